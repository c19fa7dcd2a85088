/* tensor.c: dtypes and dense tensors shared by the IR (weights) and the executor (values). */
#include "aimet.h"
#include "aimet_ops.h"   /* the float16 conversion */

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct { size_t size; const char *name; } dtype_info[AIMET_DTYPE_MAX + 1] = {
	[AIMET_UNDEFINED] = {0, "undefined"},
	[AIMET_FLOAT] = {4, "float32"},   [AIMET_UINT8] = {1, "uint8"},
	[AIMET_INT8] = {1, "int8"},       [AIMET_UINT16] = {2, "uint16"},
	[AIMET_INT16] = {2, "int16"},     [AIMET_INT32] = {4, "int32"},
	[AIMET_INT64] = {8, "int64"},     [AIMET_STRING] = {sizeof(struct aimet_string), "string"},
	[AIMET_BOOL] = {1, "bool"},       [AIMET_FLOAT16] = {2, "float16"},
	[AIMET_DOUBLE] = {8, "float64"},  [AIMET_UINT32] = {4, "uint32"},
	[AIMET_UINT64] = {8, "uint64"},   [AIMET_COMPLEX64] = {8, "complex64"},
	[AIMET_COMPLEX128] = {16, "complex128"}, [AIMET_BFLOAT16] = {2, "bfloat16"},
	[AIMET_FLOAT8E4M3FN] = {1, "float8e4m3fn"}, [AIMET_FLOAT8E4M3FNUZ] = {1, "float8e4m3fnuz"},
	[AIMET_FLOAT8E5M2] = {1, "float8e5m2"}, [AIMET_FLOAT8E5M2FNUZ] = {1, "float8e5m2fnuz"},
	/* int4/uint4 are unpacked to one byte per element in memory; packed only in files */
	[AIMET_UINT4] = {1, "uint4"},     [AIMET_INT4] = {1, "int4"},
};

int aimet_dtype_is_valid(int dtype)
{
	return dtype > 0 && dtype <= AIMET_DTYPE_MAX && dtype_info[dtype].size;
}

size_t aimet_dtype_size(int dtype)
{
	return dtype >= 0 && dtype <= AIMET_DTYPE_MAX ? dtype_info[dtype].size : 0;
}

const char *aimet_dtype_name(int dtype)
{
	return dtype >= 0 && dtype <= AIMET_DTYPE_MAX && dtype_info[dtype].name ? dtype_info[dtype].name : "?";
}

int64_t aimet_shape_numel(int ndim, const int64_t *dims)
{
	int64_t n = 1;
	if (ndim < 0 || ndim > AIMET_MAX_DIMS)
		return -1;
	for (int i = 0; i < ndim; i++) {
		if (dims[i] < 0)
			return -1;
		if (dims[i] && n > INT64_MAX / dims[i])
			return -1;
		n *= dims[i];
	}
	return n;
}

int64_t aimet_tensor_numel(const struct aimet_tensor *t)
{
	return aimet_shape_numel(t->ndim, t->dims);
}

struct aimet_tensor *aimet_tensor_new(const char *name, int dtype, int ndim, const int64_t *dims)
{
	struct aimet_tensor *t;
	if (ndim < 0 || ndim > AIMET_MAX_DIMS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (name && !(t->name = strdup(name))) {
		free(t);
		return NULL;
	}
	t->dtype = dtype;
	t->ndim = ndim;
	if (ndim)
		memcpy(t->dims, dims, (size_t)ndim * sizeof(*dims));
	return t;
}

int aimet_tensor_alloc(struct aimet_ctx *ctx, struct aimet_tensor *t)
{
	int64_t n = aimet_tensor_numel(t);
	size_t es = aimet_dtype_size(t->dtype), bytes;
	if (!es)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "tensor '%s': unsupported dtype %d",
		                   t->name ? t->name : "", t->dtype);
	if (n < 0 || (uint64_t)n > SIZE_MAX || aimet_mul_size((size_t)n, es, &bytes))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "tensor '%s': size overflows",
		                   t->name ? t->name : "");
	if (t->data && !t->borrowed) {
		if (t->dtype == AIMET_STRING) {
			/* strings of the old shape are released by aimet_tensor_free's logic */
			struct aimet_string *s = t->data;
			for (size_t i = 0; i < t->nbytes / sizeof(*s); i++)
				free(s[i].data);
		}
		free(t->data);
	}
	t->data = calloc(bytes ? bytes : 1, 1);
	t->borrowed = 0;
	if (!t->data) {
		t->nbytes = 0;
		return aimet_error(ctx, AIMET_ERR_NOMEM, "tensor '%s': out of memory (%zu bytes)",
		                   t->name ? t->name : "", bytes);
	}
	t->nbytes = bytes;
	return AIMET_OK;
}

void aimet_tensor_free(struct aimet_tensor *t)
{
	if (!t)
		return;
	if (!t->borrowed && t->data) {
		if (t->dtype == AIMET_STRING) {
			struct aimet_string *s = t->data;
			for (size_t i = 0; i < t->nbytes / sizeof(*s); i++)
				free(s[i].data);
		}
		free(t->data);
	}
	free(t->name);
	free(t->doc_string);
	free(t->external_location);
	free(t->extra.data);
	free(t);
}

struct aimet_tensor *aimet_tensor_clone(const struct aimet_tensor *t)
{
	struct aimet_tensor *c;
	if (!t)
		return NULL;
	c = aimet_tensor_new(t->name, t->dtype, t->ndim, t->dims);
	if (!c)
		return NULL;
	if ((t->doc_string && !(c->doc_string = strdup(t->doc_string))) ||
	    (t->external_location && !(c->external_location = strdup(t->external_location))))
		goto fail;
	if (t->extra.len) {
		if (!(c->extra.data = malloc(t->extra.len)))
			goto fail;
		memcpy(c->extra.data, t->extra.data, t->extra.len);
		c->extra.len = t->extra.len;
	}
	if (t->data) {
		c->data = malloc(t->nbytes ? t->nbytes : 1);
		if (!c->data)
			goto fail;
		c->nbytes = t->nbytes;
		if (t->dtype == AIMET_STRING) {
			const struct aimet_string *s = t->data;
			struct aimet_string *d = c->data;
			size_t n = t->nbytes / sizeof(*s);
			memset(d, 0, t->nbytes);
			for (size_t i = 0; i < n; i++) {
				d[i].len = s[i].len;
				d[i].data = malloc(s[i].len ? s[i].len : 1);
				if (!d[i].data)
					goto fail;
				if (s[i].len)
					memcpy(d[i].data, s[i].data, s[i].len);
			}
		} else if (t->nbytes) {
			memcpy(c->data, t->data, t->nbytes);
		}
	}
	return c;
fail:
	aimet_tensor_free(c);
	return NULL;
}

int aimet_tensor_equal(const struct aimet_tensor *a, const struct aimet_tensor *b)
{
	if (a->dtype != b->dtype || a->ndim != b->ndim || a->nbytes != b->nbytes)
		return 0;
	if (a->ndim && memcmp(a->dims, b->dims, (size_t)a->ndim * sizeof(a->dims[0])))
		return 0;
	if (!a->data || !b->data)
		return a->data == b->data || !a->nbytes;
	if (a->dtype == AIMET_STRING) {
		const struct aimet_string *x = a->data, *y = b->data;
		for (size_t i = 0; i < a->nbytes / sizeof(*x); i++)
			if (x[i].len != y[i].len || (x[i].len && memcmp(x[i].data, y[i].data, x[i].len)))
				return 0;
		return 1;
	}
	return memcmp(a->data, b->data, a->nbytes) == 0;
}

double aimet_tensor_get_f64(const struct aimet_tensor *t, int64_t i)
{
	const void *p = t->data;
	switch (t->dtype) {
	case AIMET_FLOAT: return ((const float *)p)[i];
	case AIMET_DOUBLE: return ((const double *)p)[i];
	case AIMET_FLOAT16: return aimet_f16_to_f32(((const uint16_t *)p)[i]);
	case AIMET_BFLOAT16: return aimet_bf16_to_f32(((const uint16_t *)p)[i]);
	case AIMET_UINT8: case AIMET_BOOL: case AIMET_UINT4: return ((const uint8_t *)p)[i];
	case AIMET_INT8: case AIMET_INT4: return ((const int8_t *)p)[i];
	case AIMET_UINT16: return ((const uint16_t *)p)[i];
	case AIMET_INT16: return ((const int16_t *)p)[i];
	case AIMET_INT32: return ((const int32_t *)p)[i];
	case AIMET_UINT32: return ((const uint32_t *)p)[i];
	case AIMET_INT64: return (double)((const int64_t *)p)[i];
	case AIMET_UINT64: return (double)((const uint64_t *)p)[i];
	default: return 0;
	}
}

int64_t aimet_tensor_get_i64(const struct aimet_tensor *t, int64_t i)
{
	switch (t->dtype) {
	case AIMET_INT64: return ((const int64_t *)t->data)[i];
	case AIMET_UINT64: return (int64_t)((const uint64_t *)t->data)[i];
	case AIMET_INT32: return ((const int32_t *)t->data)[i];
	case AIMET_FLOAT: case AIMET_DOUBLE: case AIMET_FLOAT16: case AIMET_BFLOAT16: {
		double d = aimet_tensor_get_f64(t, i);
		if (!(d == d))
			return 0;
		if (d >= 9.2e18)
			return INT64_MAX;
		if (d <= -9.2e18)
			return INT64_MIN;
		return (int64_t)d;
	}
	default: return (int64_t)aimet_tensor_get_f64(t, i);
	}
}

float *aimet_tensor_to_float(const struct aimet_tensor *t)
{
	int64_t n = aimet_tensor_numel(t);
	float *out;
	if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(float) || !t->data || t->dtype == AIMET_STRING ||
	    !aimet_dtype_size(t->dtype))
		return NULL;
	out = malloc((size_t)(n ? n : 1) * sizeof(float));
	if (!out)
		return NULL;
	if (t->dtype == AIMET_FLOAT)
		memcpy(out, t->data, (size_t)n * sizeof(float));
	else
		for (int64_t i = 0; i < n; i++)
			out[i] = (float)aimet_tensor_get_f64(t, i);
	return out;
}
