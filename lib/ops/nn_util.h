/* nn_util.h: private helpers for the pooling, normalization, softmax, resize and QDQ ops —
 * element access by dtype, node-named errors, optional inputs/outputs, attribute parsing. */
#ifndef AIMET_NN_UTIL_H
#define AIMET_NN_UTIL_H

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "aimet_ops.h"

/* Input/output i, or NULL when omitted or beyond the node's count. */
static inline struct aimet_tensor *nn_in(const struct aimet_op_ctx *c, int i)
{
	return i >= 0 && i < c->n_in ? c->in[i] : NULL;
}
static inline struct aimet_tensor *nn_out(const struct aimet_op_ctx *c, int i)
{
	if (i < 0 || i >= c->n_out || !c->out[i])
		return NULL;
	if (c->node && i < c->node->n_outputs && c->node->outputs[i] && !c->node->outputs[i][0])
		return NULL;
	return c->out[i];
}

/* Fail with a formatted message; the executor prefixes the node's name and op type. */
static inline int nn_fail(const struct aimet_op_ctx *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int nn_fail(const struct aimet_op_ctx *c, int status, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return aimet_error(c->ctx, status, "%s", msg);
}

static inline int nn_is_float(int dtype)
{
	return dtype == AIMET_FLOAT || dtype == AIMET_DOUBLE;
}

/* Integer dtypes we compute on, with their ranges (int4/uint4 are stored one per byte). */
static inline int nn_int_range(int dtype, double *lo, double *hi)
{
	switch (dtype) {
	case AIMET_UINT8: *lo = 0; *hi = 255; return 1;
	case AIMET_INT8: *lo = -128; *hi = 127; return 1;
	case AIMET_UINT16: *lo = 0; *hi = 65535; return 1;
	case AIMET_INT16: *lo = -32768; *hi = 32767; return 1;
	case AIMET_INT32: *lo = -2147483648.0; *hi = 2147483647.0; return 1;
	case AIMET_UINT32: *lo = 0; *hi = 4294967295.0; return 1;
	case AIMET_INT64: *lo = -9223372036854775808.0; *hi = 9223372036854774784.0; return 1;
	case AIMET_UINT64: *lo = 0; *hi = 18446744073709549568.0; return 1;
	case AIMET_UINT4: *lo = 0; *hi = 15; return 1;
	case AIMET_INT4: *lo = -8; *hi = 7; return 1;
	case AIMET_BOOL: *lo = 0; *hi = 1; return 1;
	default: return 0;
	}
}

/* Store v into element i, rounding half to even and saturating for integer types (NaN -> 0),
 * so that no out-of-range conversion can happen whatever the input holds. */
static inline void nn_set(struct aimet_tensor *t, int64_t i, double v)
{
	double lo, hi;
	if (t->dtype == AIMET_FLOAT) { ((float *)t->data)[i] = (float)v; return; }
	if (t->dtype == AIMET_DOUBLE) { ((double *)t->data)[i] = v; return; }
	if (!nn_int_range(t->dtype, &lo, &hi))
		return;
	v = v != v ? 0 : nearbyint(v);
	v = v < lo ? lo : v > hi ? hi : v;
	switch (t->dtype) {
	case AIMET_UINT8: case AIMET_BOOL: case AIMET_UINT4: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
	case AIMET_INT8: case AIMET_INT4: ((int8_t *)t->data)[i] = (int8_t)v; break;
	case AIMET_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
	case AIMET_INT16: ((int16_t *)t->data)[i] = (int16_t)v; break;
	case AIMET_INT32: ((int32_t *)t->data)[i] = (int32_t)v; break;
	case AIMET_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)v; break;
	case AIMET_INT64: ((int64_t *)t->data)[i] = (int64_t)v; break;
	case AIMET_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
	}
}

/* Lowest value of a dtype (the start of a max reduction). */
static inline double nn_lowest(int dtype)
{
	double lo, hi;
	if (dtype == AIMET_FLOAT)
		return -FLT_MAX;
	if (dtype == AIMET_DOUBLE)
		return -DBL_MAX;
	return nn_int_range(dtype, &lo, &hi) ? lo : -DBL_MAX;
}

/* Number of elements of the output shape, or fail when it overflows a size_t byte count. */
static inline int nn_check_shape(const struct aimet_op_ctx *c, const struct aimet_tensor *t)
{
	int64_t n = aimet_tensor_numel(t);
	size_t es = aimet_dtype_size(t->dtype);
	if (n < 0 || (es && (uint64_t)n > SIZE_MAX / es))
		return nn_fail(c, AIMET_ERR_INVALID, "output shape overflows");
	return AIMET_OK;
}

/* Check that input i is present with a shape we can index (dims >= 0, numel fits). */
static inline int nn_need_in(const struct aimet_op_ctx *c, int i, const char *what)
{
	const struct aimet_tensor *t = nn_in(c, i);
	if (!t)
		return nn_fail(c, AIMET_ERR_INVALID, "input %d (%s) is missing", i, what);
	if (t->ndim < 0 || t->ndim > AIMET_MAX_DIMS || aimet_tensor_numel(t) < 0)
		return nn_fail(c, AIMET_ERR_INVALID, "input '%s' has an invalid shape", what);
	return AIMET_OK;
}

/* Product of dims [from, to). */
static inline int64_t nn_prod(const int64_t *dims, int from, int to)
{
	int64_t p = 1;
	for (int i = from; i < to; i++)
		p *= dims[i];
	return p;
}

/* Clamp helpers for fused activations. */
static inline float nn_clampf(float v, float lo, float hi)
{
	v = v < lo ? lo : v;
	return v > hi ? hi : v;
}

/* Sum (and sum of squared deviations from `mean`) in eight double lanes: vectorisable without
 * reassociation, deterministic, and more accurate than one float accumulator on long rows. */
static inline double nn_sum_f32(const float *x, int64_t n)
{
	double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s;
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			lane[j] += (double)x[i + j];
	s = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
	for (; i < n; i++)
		s += x[i];
	return s;
}
static inline double nn_sqdev_f32(const float *x, int64_t n, double mean)
{
	double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s;
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++) {
			double d = (double)x[i + j] - mean;
			lane[j] += d * d;
		}
	s = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
	for (; i < n; i++)
		s += ((double)x[i] - mean) * ((double)x[i] - mean);
	return s;
}

/* Largest value of a row in eight lanes (NaN ignored; -FLT_MAX for an empty row). */
static inline float nn_max_f32(const float *x, int64_t n)
{
	float lane[8], m = -FLT_MAX;
	int64_t i = 0;
	for (int j = 0; j < 8; j++)
		lane[j] = -FLT_MAX;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
	for (int j = 0; j < 8; j++)
		m = lane[j] > m ? lane[j] : m;
	for (; i < n; i++)
		m = x[i] > m ? x[i] : m;
	return m;
}

/* exp(x - shift) over a row into y, vectorisable (no libm call): Cephes-style range reduction
 * x = n ln2 + r, a degree-7 polynomial for e^r, and 2^n built in the exponent bits; within
 * about 2 ulp of expf for x - shift in [-87, 88] (inputs below give ~1e-38, above saturate). */
static inline void nn_exp_row(const float *x, float shift, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		float v = x[i] - shift;
		v = v < -87.0f ? -87.0f : v;
		v = v > 88.0f ? 88.0f : v;
		float k = (v * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
		float r = v - k * 0.693359375f;
		r = r - k * -2.12194440e-4f;
		float p = 1.9875691500e-4f;
		p = p * r + 1.3981999507e-3f;
		p = p * r + 8.3334519073e-3f;
		p = p * r + 4.1665795894e-2f;
		p = p * r + 1.6666665459e-1f;
		p = p * r + 5.0000001201e-1f;
		p = p * r * r + r + 1.0f;
		int32_t e = ((int32_t)k + 127) << 23;
		float s;
		memcpy(&s, &e, sizeof s);
		y[i] = p * s;
	}
}

#endif
