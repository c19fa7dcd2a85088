/* preprocess.c: dtype conversion of loaded data and the CLI.md input preprocessing
 * ((x * scale) - mean[c]) / std[c] that turns uint8 images (or any numbers) into float32. */
#include "aimet_io.h"

#include <string.h>

static int numeric(int dtype)
{
	switch (dtype) {
	case AIMET_FLOAT: case AIMET_DOUBLE: case AIMET_FLOAT16: case AIMET_BFLOAT16:
	case AIMET_UINT8: case AIMET_INT8: case AIMET_UINT16: case AIMET_INT16:
	case AIMET_UINT32: case AIMET_INT32: case AIMET_UINT64: case AIMET_INT64: case AIMET_BOOL:
		return 1;
	default:
		return 0;
	}
}

static int is_float(int dtype)
{
	return dtype == AIMET_FLOAT || dtype == AIMET_DOUBLE || dtype == AIMET_FLOAT16 ||
	       dtype == AIMET_BFLOAT16;
}

int aimet_convert(struct aimet_ctx *ctx, void *dst, int dst_dtype, const void *src, int src_dtype,
                  size_t n)
{
	struct aimet_tensor view;
	if (!numeric(src_dtype) || !numeric(dst_dtype) || dst_dtype == AIMET_FLOAT16 ||
	    dst_dtype == AIMET_BFLOAT16)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "cannot convert %s data to %s",
		                   aimet_dtype_name(src_dtype), aimet_dtype_name(dst_dtype));
	if (src_dtype == dst_dtype) {
		memcpy(dst, src, n * aimet_dtype_size(src_dtype));
		return AIMET_OK;
	}
	/* a borrowed one-dimensional view lets the IR's element getters do the decoding */
	memset(&view, 0, sizeof(view));
	view.dtype = src_dtype;
	view.data = (void *)src;
	view.borrowed = 1;
	for (size_t i = 0; i < n; i++) {
		if (is_float(dst_dtype) || is_float(src_dtype)) {
			double v = aimet_tensor_get_f64(&view, (int64_t)i);
			switch (dst_dtype) {
			case AIMET_FLOAT: ((float *)dst)[i] = (float)v; continue;
			case AIMET_DOUBLE: ((double *)dst)[i] = v; continue;
			default: break;
			}
		}
		int64_t v = aimet_tensor_get_i64(&view, (int64_t)i);
		switch (dst_dtype) {
		case AIMET_UINT8: ((uint8_t *)dst)[i] = (uint8_t)v; break;
		case AIMET_INT8: ((int8_t *)dst)[i] = (int8_t)v; break;
		case AIMET_UINT16: ((uint16_t *)dst)[i] = (uint16_t)v; break;
		case AIMET_INT16: ((int16_t *)dst)[i] = (int16_t)v; break;
		case AIMET_UINT32: ((uint32_t *)dst)[i] = (uint32_t)v; break;
		case AIMET_INT32: ((int32_t *)dst)[i] = (int32_t)v; break;
		case AIMET_UINT64: ((uint64_t *)dst)[i] = (uint64_t)v; break;
		case AIMET_INT64: ((int64_t *)dst)[i] = v; break;
		case AIMET_BOOL: ((uint8_t *)dst)[i] = v != 0; break;
		case AIMET_FLOAT: ((float *)dst)[i] = (float)v; break;
		case AIMET_DOUBLE: ((double *)dst)[i] = (double)v; break;
		default: break;
		}
	}
	return AIMET_OK;
}

int aimet_preprocess(struct aimet_ctx *ctx, const struct aimet_dataset_spec *spec,
                     const void *src, int src_dtype, float *dst, int64_t rows, int64_t channels,
                     int64_t inner)
{
	struct aimet_tensor view;
	float scale = spec->scale;
	int64_t i = 0;
	if (!numeric(src_dtype))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "cannot preprocess %s data",
		                   aimet_dtype_name(src_dtype));
	if ((spec->n_mean > 1 && spec->n_mean != channels) ||
	    (spec->n_std > 1 && spec->n_std != channels))
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "mean/std have %d/%d values but the data has %lld channels on axis 1",
		                   spec->n_mean, spec->n_std, (long long)channels);
	memset(&view, 0, sizeof(view));
	view.dtype = src_dtype;
	view.data = (void *)src;
	view.borrowed = 1;
	for (int64_t r = 0; r < rows; r++)
		for (int64_t c = 0; c < channels; c++) {
			double m = spec->n_mean ? spec->mean[spec->n_mean > 1 ? c : 0] : 0.0;
			double s = spec->n_std ? spec->std[spec->n_std > 1 ? c : 0] : 1.0;
			for (int64_t k = 0; k < inner; k++, i++) {
				double x = src_dtype == AIMET_FLOAT ? ((const float *)src)[i]
				         : src_dtype == AIMET_UINT8 ? ((const uint8_t *)src)[i]
				         : aimet_tensor_get_f64(&view, i);
				dst[i] = (float)((x * scale - m) / s);
			}
		}
	return AIMET_OK;
}
