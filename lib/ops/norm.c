/* norm.c: LRN, InstanceNormalization and LayerNormalization (with its optional Mean and
 * InvStdDev outputs). Statistics are taken in double, two-pass, in both kernels. */
/* O3 and no-trapping-math let GCC vectorise the row loops at the project's -O2; fp-contract=off
 * keeps every target clone and the scalar tail bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "nn_util.h"
#include "aimet_kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- LayerNormalization ---- */

/* Normalised block [axis:], scale/bias broadcast onto it (unidirectionally, right-aligned). */
struct ln_view { int axis; int64_t rows, m; };

static int ln_view(const struct aimet_op_ctx *c, struct ln_view *v)
{
	const struct aimet_tensor *x = c->in[0];
	int64_t axis = aimet_node_attr_int(c->node, "axis", -1);
	int a = aimet_norm_axis(axis, x->ndim);
	if (a < 0)
		return nn_fail(c, AIMET_ERR_INVALID, "axis %lld is out of range for rank %d",
		               (long long)axis, x->ndim);
	v->axis = a;
	v->rows = nn_prod(x->dims, 0, a);
	v->m = nn_prod(x->dims, a, x->ndim);
	return AIMET_OK;
}

/* Index into a parameter broadcast onto the normalised block for block element j. */
static int64_t ln_pidx(const struct aimet_tensor *x, int axis, const struct aimet_tensor *p, int64_t j)
{
	int64_t idx = 0, stride = 1;
	for (int d = x->ndim - 1, k = p->ndim - 1; d >= axis && k >= 0; d--, k--) {
		int64_t coord = j % x->dims[d];
		j /= x->dims[d];
		if (p->dims[k] != 1)
			idx += coord * stride;
		stride *= p->dims[k];
	}
	return idx;
}

static int ln_param_ok(const struct aimet_tensor *x, int axis, const struct aimet_tensor *p)
{
	if (p->ndim > x->ndim - axis)
		return 0;
	for (int d = x->ndim - 1, k = p->ndim - 1; k >= 0; d--, k--)
		if (p->dims[k] != 1 && p->dims[k] != x->dims[d])
			return 0;
	return 1;
}

static int ln_infer(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x, *b;
	struct ln_view v;
	int64_t dims[AIMET_MAX_DIMS];
	int st, stash = (int)aimet_node_attr_int(c->node, "stash_type", 1);
	if ((st = nn_need_in(c, 0, "X")) || (st = nn_need_in(c, 1, "Scale")))
		return st;
	if ((b = nn_in(c, 2)) && (st = nn_need_in(c, 2, "B")))
		return st;
	x = c->in[0];
	if (!nn_out(c, 0))
		return nn_fail(c, AIMET_ERR_INVALID, "output 'Y' is missing");
	if (!nn_is_float(x->dtype) || c->in[1]->dtype != x->dtype || (b && b->dtype != x->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtypes are not supported");
	if (stash != AIMET_FLOAT && stash != AIMET_DOUBLE)
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "stash_type %d is not supported", stash);
	if ((st = ln_view(c, &v)))
		return st;
	if (!ln_param_ok(x, v.axis, c->in[1]) || (b && !ln_param_ok(x, v.axis, b)))
		return nn_fail(c, AIMET_ERR_INVALID, "Scale or B does not broadcast to the normalised shape");
	aimet_tensor_set_shape(c->out[0], x->dtype, x->ndim, x->dims);
	if ((st = nn_check_shape(c, c->out[0])))
		return st;
	for (int i = 0; i < x->ndim; i++)
		dims[i] = i < v.axis ? x->dims[i] : 1;
	for (int i = 1; i < 3; i++)
		if (nn_out(c, i))
			aimet_tensor_set_shape(c->out[i], stash, x->ndim, dims);
	for (int i = 3; i < c->n_out; i++)
		if (nn_out(c, i))
			return nn_fail(c, AIMET_ERR_INVALID, "unexpected output %d", i);
	return AIMET_OK;
}

static void ln_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *sc = c->in[1], *b = nn_in(c, 2);
	struct aimet_tensor *mo = nn_out(c, 1), *io = nn_out(c, 2);
	struct ln_view v;
	double eps = aimet_node_attr_float(c->node, "epsilon", 1e-5f);
	if (ln_view(c, &v))
		return;
	for (int64_t r = 0; r < v.rows; r++) {
		double sum = 0, sq = 0, mean, inv;
		for (int64_t j = 0; j < v.m; j++)
			sum += aimet_tensor_get_f64(x, r * v.m + j);
		mean = v.m ? sum / (double)v.m : 0;
		for (int64_t j = 0; j < v.m; j++) {
			double d = aimet_tensor_get_f64(x, r * v.m + j) - mean;
			sq += d * d;
		}
		inv = 1 / sqrt((v.m ? sq / (double)v.m : 0) + eps);
		for (int64_t j = 0; j < v.m; j++) {
			double y = (aimet_tensor_get_f64(x, r * v.m + j) - mean) * inv *
			           aimet_tensor_get_f64(sc, ln_pidx(x, v.axis, sc, j));
			if (b)
				y += aimet_tensor_get_f64(b, ln_pidx(x, v.axis, b, j));
			nn_set(c->out[0], r * v.m + j, y);
		}
		if (mo)
			nn_set(mo, r, mean);
		if (io)
			nn_set(io, r, inv);
	}
}

static void ln_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *sc = c->in[1], *b = nn_in(c, 2);
	struct aimet_tensor *mo = nn_out(c, 1), *io = nn_out(c, 2);
	struct ln_view v;
	int64_t sn, bn;
	if (x->dtype != AIMET_FLOAT || ln_view(c, &v)) {
		ln_ref(c);
		return;
	}
	sn = aimet_tensor_numel(sc);
	bn = b ? aimet_tensor_numel(b) : 0;
	/* fast path: parameters are full-size or scalar (the usual export) */
	if ((sn != v.m && sn != 1) || (b && bn != v.m && bn != 1)) {
		ln_ref(c);
		return;
	}
	double eps = aimet_node_attr_float(c->node, "epsilon", 1e-5f);
	const float *xp = x->data, *sp = sc->data, *bp = b ? b->data : NULL;
	float *yp = c->out[0]->data;
	int nt = v.rows * v.m >= (1 << 16) ? c->threads : 1;
	#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
	for (int64_t r = 0; r < v.rows; r++) {
		const float *xr = xp + r * v.m;
		float *yr = yp + r * v.m;
		double mean = v.m ? nn_sum_f32(xr, v.m) / (double)v.m : 0;
		double inv = 1 / sqrt((v.m ? nn_sqdev_f32(xr, v.m, mean) / (double)v.m : 0) + eps);
		/* in double: with a tiny variance, float (x - mean) * inv loses digits */
		if (sn == v.m && bp && bn == v.m) {
			for (int64_t j = 0; j < v.m; j++)
				yr[j] = (float)(((double)xr[j] - mean) * inv * sp[j] + bp[j]);
		} else {
			for (int64_t j = 0; j < v.m; j++) {
				double y = ((double)xr[j] - mean) * inv * sp[sn == 1 ? 0 : j];
				yr[j] = (float)(bp ? y + bp[bn == 1 ? 0 : j] : y);
			}
		}
		if (mo)
			nn_set(mo, r, mean);
		if (io)
			nn_set(io, r, inv);
	}
}

/* ---- InstanceNormalization ---- */

static int in_infer(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x;
	int st;
	if ((st = nn_need_in(c, 0, "input")) || (st = nn_need_in(c, 1, "scale")) ||
	    (st = nn_need_in(c, 2, "B")))
		return st;
	x = c->in[0];
	if (!nn_out(c, 0))
		return nn_fail(c, AIMET_ERR_INVALID, "output is missing");
	if (!nn_is_float(x->dtype) || !nn_is_float(c->in[1]->dtype) || !nn_is_float(c->in[2]->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtypes are not supported");
	if (x->ndim < 2)
		return nn_fail(c, AIMET_ERR_INVALID, "input has rank %d, expected at least 2", x->ndim);
	for (int i = 1; i < 3; i++)
		if (aimet_tensor_numel(c->in[i]) != x->dims[1])
			return nn_fail(c, AIMET_ERR_INVALID, "input %d has %lld values, expected %lld", i,
			               (long long)aimet_tensor_numel(c->in[i]), (long long)x->dims[1]);
	aimet_tensor_set_shape(c->out[0], x->dtype, x->ndim, x->dims);
	return nn_check_shape(c, c->out[0]);
}

static void in_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	int64_t ch = x->dims[1], planes = x->dims[0] * ch, inner = nn_prod(x->dims, 2, x->ndim);
	double eps = aimet_node_attr_float(c->node, "epsilon", 1e-5f);
	for (int64_t p = 0; p < planes; p++) {
		double sum = 0, sq = 0, mean, inv;
		for (int64_t i = 0; i < inner; i++)
			sum += aimet_tensor_get_f64(x, p * inner + i);
		mean = inner ? sum / (double)inner : 0;
		for (int64_t i = 0; i < inner; i++) {
			double d = aimet_tensor_get_f64(x, p * inner + i) - mean;
			sq += d * d;
		}
		inv = 1 / sqrt((inner ? sq / (double)inner : 0) + eps);
		for (int64_t i = 0; i < inner; i++)
			nn_set(c->out[0], p * inner + i,
			       (aimet_tensor_get_f64(x, p * inner + i) - mean) * inv *
			       aimet_tensor_get_f64(c->in[1], p % ch) + aimet_tensor_get_f64(c->in[2], p % ch));
	}
}

static void in_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	if (x->dtype != AIMET_FLOAT) {
		in_ref(c);
		return;
	}
	int64_t ch = x->dims[1], planes = x->dims[0] * ch, inner = nn_prod(x->dims, 2, x->ndim);
	double eps = aimet_node_attr_float(c->node, "epsilon", 1e-5f);
	const float *xp = x->data;
	float *yp = c->out[0]->data;
	int nt = planes * inner >= (1 << 16) ? c->threads : 1;
	#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
	for (int64_t p = 0; p < planes; p++) {
		const float *xr = xp + p * inner;
		float *yr = yp + p * inner;
		double mean = inner ? nn_sum_f32(xr, inner) / (double)inner : 0;
		double inv = 1 / sqrt((inner ? nn_sqdev_f32(xr, inner, mean) / (double)inner : 0) + eps);
		double k = inv * aimet_tensor_get_f64(c->in[1], p % ch), b = aimet_tensor_get_f64(c->in[2], p % ch);
		/* in double, and centred first: x * k + (b - mean * k) cancels badly when k is large */
		for (int64_t i = 0; i < inner; i++)
			yr[i] = (float)(((double)xr[i] - mean) * k + b);
	}
}

/* ---- LRN ---- */

static int lrn_infer(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x;
	int64_t size = aimet_node_attr_int(c->node, "size", 0);
	int st;
	if ((st = nn_need_in(c, 0, "X")))
		return st;
	x = c->in[0];
	if (!nn_out(c, 0))
		return nn_fail(c, AIMET_ERR_INVALID, "output is missing");
	if (!nn_is_float(x->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported",
		               aimet_dtype_name(x->dtype));
	if (x->ndim < 2)
		return nn_fail(c, AIMET_ERR_INVALID, "input has rank %d, expected at least 2", x->ndim);
	if (size < 1 || size > INT32_MAX)
		return nn_fail(c, AIMET_ERR_INVALID, "attribute 'size' %lld is invalid", (long long)size);
	aimet_tensor_set_shape(c->out[0], x->dtype, x->ndim, x->dims);
	return nn_check_shape(c, c->out[0]);
}

/* Reference, also used as the kernel (LRN is rare in current exports): the sum of squares over
 * channels [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to the tensor. */
static void lrn_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	int64_t size = aimet_node_attr_int(c->node, "size", 1);
	double alpha = aimet_node_attr_float(c->node, "alpha", 1e-4f);
	double beta = aimet_node_attr_float(c->node, "beta", 0.75f);
	double bias = aimet_node_attr_float(c->node, "bias", 1.0f);
	int64_t n = x->dims[0], ch = x->dims[1], inner = nn_prod(x->dims, 2, x->ndim);
	int64_t before = (size - 1) / 2, after = size - 1 - before;
	for (int64_t in = 0; in < n; in++)
		for (int64_t ic = 0; ic < ch; ic++) {
			int64_t c0 = ic - before < 0 ? 0 : ic - before;
			int64_t c1 = ic + after >= ch ? ch - 1 : ic + after;
			for (int64_t s = 0; s < inner; s++) {
				double sq = 0, v;
				for (int64_t k = c0; k <= c1; k++) {
					double e = aimet_tensor_get_f64(x, (in * ch + k) * inner + s);
					sq += e * e;
				}
				v = aimet_tensor_get_f64(x, (in * ch + ic) * inner + s);
				nn_set(c->out[0], (in * ch + ic) * inner + s,
				       v / pow(bias + alpha / (double)size * sq, beta));
			}
		}
}

const struct aimet_op aimet_op_LayerNormalization = {
	.op_type = "LayerNormalization", .domain = "", .since_opset = 17,
	.infer = ln_infer, .run = ln_run, .ref = ln_ref,
};
const struct aimet_op aimet_op_InstanceNormalization = {
	.op_type = "InstanceNormalization", .domain = "", .since_opset = 1,
	.infer = in_infer, .run = in_run, .ref = in_ref,
};
const struct aimet_op aimet_op_LRN = {
	.op_type = "LRN", .domain = "", .since_opset = 1,
	.infer = lrn_infer, .ref = lrn_ref,
};
