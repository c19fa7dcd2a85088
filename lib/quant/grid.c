/* grid.c: AIMET's quantization grid (FORMATS.md section 1) — scale/offset from an observed
 * range, checks on read-in encodings, float32 quantize/dequantize and the ONNX zero point.
 *
 * Precision: scale and offset are computed in double, as AIMET's C++ TfEncoding does, and the
 * offset comes from that double scale (so our offsets match AIMET's files). The scale is then
 * rounded once to float32 and from there on the float32 scale *is* the grid: it is what the
 * files carry after a round trip and what a QDQ model multiplies by. min/max are derived from
 * the float32 scale (a float32 product, exactly what DequantizeLinear gives for q = 0 and
 * q = qmax), and quantize/dequantize run in float32 like ONNX Runtime's kernels. */
#include "aimet_quant.h"
#include "aimet_kernels.h"

#include <math.h>
#include <omp.h>
#include <string.h>

static int64_t pow2(int n) { return (int64_t)1 << n; }

void aimet_encoding_derive(struct aimet_encoding *e)
{
	if (e->is_float) {
		e->symmetric = 0;
		e->strict = 0;
		e->scale = 0;
		e->offset = 0;
		e->qmax = 0;
		e->min = e->max = 0;
		return;
	}
	/* Strict symmetric drops the top level so that the grid is [-absmax, absmax]
	 * (AIMET clamps to its encoding max; FORMATS.md's worked table, row 3). */
	e->strict = e->symmetric && e->bw >= 2 && e->offset == -(pow2(e->bw - 1) - 1);
	e->qmax = pow2(e->bw) - 1 - (e->strict ? 1 : 0);
	/* For bw <= 24 the double product is exact, so this is a single rounding: the float32
	 * product scale * offset. */
	e->min = (float)((double)e->scale * (double)e->offset);
	e->max = (float)((double)e->scale * (double)(e->offset + e->qmax));
}

int aimet_encoding_set(struct aimet_ctx *ctx, int bw, int symmetric, double scale, int64_t offset,
                       struct aimet_encoding *out)
{
	float sf;
	int64_t lo;
	if (bw < AIMET_BW_FILE_MIN || bw > AIMET_BW_FILE_MAX)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "bitwidth %d is out of range (%d to %d)", bw,
		                   AIMET_BW_FILE_MIN, AIMET_BW_FILE_MAX);
	if (isnan(scale))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "scale is not a number");
	if (!isfinite(scale))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "scale must be finite");
	if (!(scale > 0))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "scale must be > 0 (got %g)", scale);
	sf = (float)scale;
	if (!(sf > 0) || isinf(sf))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "scale %g is out of float32 range", scale);
	lo = -(pow2(bw) - 1);
	if (offset < lo || offset > 0)
		return aimet_error(ctx, AIMET_ERR_FORMAT,
		                   "offset %lld is outside the %d-bit grid [%lld, 0]", (long long)offset,
		                   bw, (long long)lo);
	if (symmetric && offset != -pow2(bw - 1) && offset != -(pow2(bw - 1) - 1) && offset != 0)
		return aimet_error(ctx, AIMET_ERR_FORMAT,
		                   "offset %lld is not a symmetric %d-bit offset (%lld, %lld or 0)",
		                   (long long)offset, bw, (long long)-pow2(bw - 1),
		                   (long long)-(pow2(bw - 1) - 1));
	memset(out, 0, sizeof(*out));
	out->bw = bw;
	out->symmetric = symmetric ? 1 : 0;
	out->scale = sf;
	out->offset = offset;
	aimet_encoding_derive(out);
	if (!isfinite(out->min) || !isfinite(out->max))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "scale %g is too large for a %d-bit grid",
		                   scale, bw);
	return AIMET_OK;
}

int aimet_encoding_set_float(struct aimet_ctx *ctx, int bw, struct aimet_encoding *out)
{
	if (bw != 16 && bw != 32)
		return aimet_error(ctx, AIMET_ERR_FORMAT,
		                   "float encoding bitwidth %d is not supported (16 or 32)", bw);
	memset(out, 0, sizeof(*out));
	out->bw = bw;
	out->is_float = 1;
	aimet_encoding_derive(out);
	return AIMET_OK;
}

int aimet_encoding_check(struct aimet_ctx *ctx, const struct aimet_encoding *e)
{
	struct aimet_encoding t;
	int rc = e->is_float ? aimet_encoding_set_float(ctx, e->bw, &t)
	                     : aimet_encoding_set(ctx, e->bw, e->symmetric, e->scale, e->offset, &t);
	if (rc < 0)
		return rc;
	if (t.strict != e->strict || t.qmax != e->qmax ||
	    memcmp(&t.min, &e->min, sizeof(float)) || memcmp(&t.max, &e->max, sizeof(float)))
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "derived fields are stale (call aimet_encoding_derive)");
	return AIMET_OK;
}

int aimet_encoding_equal(const struct aimet_encoding *a, const struct aimet_encoding *b)
{
	if (a->is_float != b->is_float || a->bw != b->bw)
		return 0;
	if (a->is_float)
		return 1;
	return a->symmetric == b->symmetric && a->offset == b->offset &&
	       memcmp(&a->scale, &b->scale, sizeof(float)) == 0;
}

const char *aimet_encoding_mode(const struct aimet_encoding *e)
{
	if (e->is_float)
		return "float";
	if (!e->symmetric)
		return "asym";
	if (e->offset == 0)
		return "unsigned";
	return e->strict ? "strict" : "sym";
}

int aimet_encoding_compute(struct aimet_ctx *ctx, double min, double max, int bw, unsigned flags,
                           struct aimet_encoding *out)
{
	double mn, mx, steps, scale;
	int64_t offset;
	float sf;
	if (bw < AIMET_BW_COMPUTE_MIN || bw > AIMET_BW_COMPUTE_MAX)
		return aimet_error(ctx, AIMET_ERR_INVALID, "bitwidth %d is not supported (%d to %d)", bw,
		                   AIMET_BW_COMPUTE_MIN, AIMET_BW_COMPUTE_MAX);
	if (!isfinite(min) || !isfinite(max))
		return aimet_error(ctx, AIMET_ERR_INVALID, "range [%g, %g] is not finite", min, max);
	if (min > max)
		return aimet_error(ctx, AIMET_ERR_INVALID, "range [%g, %g] is empty", min, max);
	mn = min < 0 ? min : 0;
	mx = max > 0 ? max : 0;
	if (!(flags & AIMET_GRID_NO_MIN_RANGE) && mx < mn + AIMET_MIN_RANGE)
		mx = mn + AIMET_MIN_RANGE;
	steps = (double)(pow2(bw) - 1);
	if (flags & AIMET_GRID_SYMMETRIC) {
		if ((flags & AIMET_GRID_UNSIGNED) && mn >= 0) {
			scale = mx / steps;
			offset = 0;
		} else {
			double absmax = -mn > mx ? -mn : mx;
			int64_t half = pow2(bw - 1) - 1;
			scale = absmax / (double)half;
			offset = (flags & AIMET_GRID_STRICT) ? -half : -(half + 1);
		}
	} else {
		double r;
		scale = (mx - mn) / steps;
		r = scale > 0 ? round(-mn / scale) : 0;   /* C round(): half away from zero */
		if (r > steps)
			r = steps;
		offset = -(int64_t)r;
	}
	if (!(scale > 0))
		return aimet_error(ctx, AIMET_ERR_INVALID, "range [%g, %g] is empty", min, max);
	sf = (float)scale;
	if (!(sf > 0) || isinf(sf))
		return aimet_error(ctx, AIMET_ERR_INVALID, "range [%g, %g] is out of float32 range",
		                   min, max);
	memset(out, 0, sizeof(*out));
	out->bw = bw;
	out->symmetric = (flags & AIMET_GRID_SYMMETRIC) ? 1 : 0;
	out->scale = sf;
	out->offset = offset;
	aimet_encoding_derive(out);
	if (!isfinite(out->min) || !isfinite(out->max))
		return aimet_error(ctx, AIMET_ERR_INVALID, "range [%g, %g] is out of float32 range",
		                   min, max);
	return AIMET_OK;
}

/* ---- quantize / dequantize ----
 * One rounding rule for values: half to even (rintf in the default rounding mode), as ONNX
 * QuantizeLinear rounds, so the simulation and the exported QDQ model agree bit for bit. AIMET
 * rounds half away from zero; the two differ only on exact .5 ties of x / scale, which real
 * data almost never hits — except where a tensor already on one grid is requantized onto
 * another (a scale ratio of 2 makes every other level a tie), and there matching the model
 * that users deploy matters more. Offsets of encodings (aimet_encoding_compute) still round
 * as AIMET does. */

int64_t aimet_quantize(const struct aimet_encoding *e, float x)
{
	double v;
	if (e->is_float)
		return 0;
	v = (double)rintf(x / e->scale) - (double)e->offset;
	if (!(v > 0))   /* also NaN */
		return 0;
	if (v >= (double)e->qmax)
		return e->qmax;
	return (int64_t)v;
}

float aimet_dequantize(const struct aimet_encoding *e, int64_t q)
{
	if (e->is_float)
		return (float)q;
	return (float)(q + e->offset) * e->scale;
}

float aimet_round_f16(float x)
{
	float a = fabsf(x), r;
	int ex;
	if (!isfinite(x) || a == 0)
		return x;
	if (a >= 65520.0f)   /* halfway to 2^16 and beyond rounds to infinity */
		return copysignf(INFINITY, x);
	if (a < 6.103515625e-05f) {
		/* subnormal float16: multiples of 2^-24 (scaling by powers of two is exact) */
		r = nearbyintf(a * 16777216.0f) / 16777216.0f;
	} else {
		float quantum;
		frexpf(a, &ex);              /* a = m * 2^ex, m in [0.5, 1) */
		quantum = ldexpf(1.0f, ex - 11);   /* 10 fraction bits below the leading one */
		r = nearbyintf(a / quantum) * quantum;
	}
	return copysignf(r, x);
}

float aimet_qdq(const struct aimet_encoding *e, float x)
{
	float t, lo, hi;
	if (e->is_float)
		return e->bw == 16 ? aimet_round_f16(x) : x;
	if (x != x)
		return x;
	if (e->bw > 24) {   /* offsets beyond float32's integers: clamp in double */
		int64_t q = aimet_quantize(e, x);
		return (float)((double)(q + e->offset) * (double)e->scale);
	}
	t = rintf(x / e->scale);
	lo = (float)e->offset;
	hi = (float)(e->offset + e->qmax);
	if (t < lo)
		t = lo;
	else if (t > hi)
		t = hi;
	return t * e->scale;
}

void aimet_qdq_array(const struct aimet_encoding *e, const float *x, float *y, size_t n)
{
	if (e->is_float || e->bw > 24) {
		for (size_t i = 0; i < n; i++)
			y[i] = aimet_qdq(e, x[i]);
		return;
	}
	{
		/* the simulator's kernel (lib/kernels/ewchain.c): the same float32 operations as
		 * aimet_qdq; elementwise, so any split over threads gives the same bits */
		const struct aimet_fq q = { e->scale, (float)e->offset, (float)(e->offset + e->qmax) };
		aimet_fq_apply_mt(&q, x, y, (int64_t)n, omp_get_max_threads());
	}
}

void aimet_qdq_channels(const struct aimet_encoding *enc, size_t n_ch, const float *x, float *y,
                        size_t outer, size_t inner)
{
	for (size_t o = 0; o < outer; o++)
		for (size_t c = 0; c < n_ch; c++) {
			size_t base = (o * n_ch + c) * inner;
			aimet_qdq_array(&enc[c], x + base, y + base, inner);
		}
}

/* ---- ONNX QuantizeLinear mapping ---- */

int aimet_encoding_is_signed(const struct aimet_encoding *e)
{
	return !e->is_float && e->symmetric;
}

int64_t aimet_encoding_zero_point(const struct aimet_encoding *e)
{
	if (e->is_float)
		return 0;
	return aimet_encoding_is_signed(e) ? -e->offset - pow2(e->bw - 1) : -e->offset;
}

int64_t aimet_offset_from_zero_point(int64_t zero_point, int bw, int is_signed)
{
	return is_signed ? -(zero_point + pow2(bw - 1)) : -zero_point;
}

int aimet_encoding_onnx_dtype(const struct aimet_encoding *e)
{
	int s = aimet_encoding_is_signed(e);
	if (e->is_float)
		return e->bw == 16 ? AIMET_FLOAT16 : e->bw == 32 ? AIMET_FLOAT : 0;
	switch (e->bw) {
	case 4: return s ? AIMET_INT4 : AIMET_UINT4;
	case 8: return s ? AIMET_INT8 : AIMET_UINT8;
	case 16: return s ? AIMET_INT16 : AIMET_UINT16;
	case 32: return s ? AIMET_INT32 : AIMET_UINT32;
	default: return 0;
	}
}
