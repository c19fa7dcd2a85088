/* batchnorm.c: BatchNormalization (opsets 7-15) — inference as a per-channel scale and shift
 * folded in prepare, training mode (batch statistics, running-stat outputs) in the reference. */
/* O3 and no-trapping-math let GCC vectorise the row loops at the project's -O2; fp-contract=off
 * keeps every target clone and the scalar tail bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "nn_util.h"
#include "aimet_kernels.h"

#include <stdlib.h>

struct bn_state {
	float *a, *b;        /* y = x * a[p] + b[p]; NULL when the parameters are not constant */
	int64_t p;           /* parameter count: C (spatial) or C*D1*..*Dn (opset < 9, spatial=0) */
};

static int bn_spatial(const struct aimet_op_ctx *c)
{
	return c->opset < 9 ? aimet_node_attr_int(c->node, "spatial", 1) != 0 : 1;
}
static int bn_training(const struct aimet_op_ctx *c)
{
	return c->opset >= 14 ? aimet_node_attr_int(c->node, "training_mode", 0) != 0 : 0;
}
static int64_t bn_params(const struct aimet_tensor *x, int spatial)
{
	return spatial ? x->dims[1] : nn_prod(x->dims, 1, x->ndim);
}

static int bn_infer(struct aimet_op_ctx *c)
{
	static const char *names[5] = {"X", "scale", "B", "input_mean", "input_var"};
	struct aimet_tensor *x, *y = nn_out(c, 0);
	int st, spatial = bn_spatial(c), training = bn_training(c);
	int64_t p;
	float eps = aimet_node_attr_float(c->node, "epsilon", 1e-5f);
	for (int i = 0; i < 5; i++)
		if ((st = nn_need_in(c, i, names[i])))
			return st;
	x = c->in[0];
	if (!y)
		return nn_fail(c, AIMET_ERR_INVALID, "output 'Y' is missing");
	if (!nn_is_float(x->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported",
		               aimet_dtype_name(x->dtype));
	if (x->ndim < 2)
		return nn_fail(c, AIMET_ERR_INVALID, "input 'X' has rank %d, expected at least 2", x->ndim);
	if (!(eps >= 0) || isinf(eps))
		return nn_fail(c, AIMET_ERR_INVALID, "epsilon %g is invalid", eps);
	p = bn_params(x, spatial);
	for (int i = 1; i < 5; i++) {
		if (!nn_is_float(c->in[i]->dtype))
			return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input '%s' dtype %s is not supported",
			               names[i], aimet_dtype_name(c->in[i]->dtype));
		if (aimet_tensor_numel(c->in[i]) != p)
			return nn_fail(c, AIMET_ERR_INVALID, "input '%s' has %lld values, expected %lld",
			               names[i], (long long)aimet_tensor_numel(c->in[i]), (long long)p);
	}
	if (training && !spatial)
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "training mode with spatial=0");
	for (int i = 1; i < c->n_out; i++) {
		struct aimet_tensor *o = nn_out(c, i);
		if (!o)
			continue;
		if (!training || i > 2)
			return nn_fail(c, AIMET_ERR_UNSUPPORTED,
			               "output %d is only produced in training mode (opset >= 14)", i);
		aimet_tensor_set_shape(o, c->in[3]->dtype, 1, &p);
	}
	aimet_tensor_set_shape(y, x->dtype, x->ndim, x->dims);
	return nn_check_shape(c, y);
}

/* Per-parameter scale and shift computed in double so the fast path loses at most one rounding. */
static void bn_fold(const struct aimet_op_ctx *c, int64_t p, float *a, float *b)
{
	double eps = aimet_node_attr_float(c->node, "epsilon", 1e-5f);
	for (int64_t i = 0; i < p; i++) {
		double s = aimet_tensor_get_f64(c->in[1], i), bias = aimet_tensor_get_f64(c->in[2], i);
		double mean = aimet_tensor_get_f64(c->in[3], i), var = aimet_tensor_get_f64(c->in[4], i);
		double k = s / sqrt(var + eps);
		a[i] = (float)k;
		b[i] = (float)(bias - mean * k);
	}
}

static int bn_prepare(struct aimet_op_ctx *c)
{
	struct bn_state *s;
	size_t bytes;
	int64_t p = bn_params(c->in[0], bn_spatial(c));
	if (bn_training(c) || c->in[0]->dtype != AIMET_FLOAT)
		return AIMET_OK;
	if (aimet_mul_size((size_t)p, 2 * sizeof(float), &bytes))
		return nn_fail(c, AIMET_ERR_NOMEM, "parameter size overflows");
	for (int i = 1; i < 5; i++)
		if (!c->in[i]->data) {
			/* parameters computed at run time: fold them into the workspace on each run */
			c->workspace_size = bytes;
			return AIMET_OK;
		}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->a = aimet_malloc(bytes ? bytes : 1))) {
		free(s);
		return nn_fail(c, AIMET_ERR_NOMEM, "out of memory");
	}
	s->b = s->a + p;
	s->p = p;
	bn_fold(c, p, s->a, s->b);
	c->state = s;
	return AIMET_OK;
}

static void bn_free(void *state)
{
	struct bn_state *s = state;
	if (s)
		free(s->a);
	free(s);
}

static void bn_ref_training(struct aimet_op_ctx *c);

static void bn_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int spatial = bn_spatial(c);
	int64_t n = x->dims[0], ch = x->dims[1], inner = nn_prod(x->dims, 2, x->ndim);
	double eps = aimet_node_attr_float(c->node, "epsilon", 1e-5f);
	if (bn_training(c)) {
		bn_ref_training(c);
		return;
	}
	for (int64_t in = 0; in < n; in++)
		for (int64_t ic = 0; ic < ch; ic++)
			for (int64_t s = 0; s < inner; s++) {
				int64_t i = (in * ch + ic) * inner + s, p = spatial ? ic : ic * inner + s;
				double v = (aimet_tensor_get_f64(x, i) - aimet_tensor_get_f64(c->in[3], p)) /
				           sqrt(aimet_tensor_get_f64(c->in[4], p) + eps) *
				           aimet_tensor_get_f64(c->in[1], p) + aimet_tensor_get_f64(c->in[2], p);
				if (v < c->act_lo) v = c->act_lo;
				if (v > c->act_hi) v = c->act_hi;
				nn_set(y, i, v);
			}
}

/* Training mode: normalise with the batch's own mean and (population) variance, and blend them
 * into the running statistics with `momentum`. */
static void bn_ref_training(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0], *rm = nn_out(c, 1), *rv = nn_out(c, 2);
	int64_t n = x->dims[0], ch = x->dims[1], inner = nn_prod(x->dims, 2, x->ndim);
	double eps = aimet_node_attr_float(c->node, "epsilon", 1e-5f);
	double mom = aimet_node_attr_float(c->node, "momentum", 0.9f);
	for (int64_t ic = 0; ic < ch; ic++) {
		double sum = 0, sq = 0, cnt = (double)n * (double)inner, mean, var;
		for (int64_t in = 0; in < n; in++)
			for (int64_t s = 0; s < inner; s++)
				sum += aimet_tensor_get_f64(x, (in * ch + ic) * inner + s);
		mean = cnt > 0 ? sum / cnt : 0;
		for (int64_t in = 0; in < n; in++)
			for (int64_t s = 0; s < inner; s++) {
				double d = aimet_tensor_get_f64(x, (in * ch + ic) * inner + s) - mean;
				sq += d * d;
			}
		var = cnt > 0 ? sq / cnt : 0;
		for (int64_t in = 0; in < n; in++)
			for (int64_t s = 0; s < inner; s++) {
				int64_t i = (in * ch + ic) * inner + s;
				double v = (aimet_tensor_get_f64(x, i) - mean) / sqrt(var + eps) *
				           aimet_tensor_get_f64(c->in[1], ic) + aimet_tensor_get_f64(c->in[2], ic);
				if (v < c->act_lo) v = c->act_lo;
				if (v > c->act_hi) v = c->act_hi;
				nn_set(y, i, v);
			}
		if (rm)
			nn_set(rm, ic, aimet_tensor_get_f64(c->in[3], ic) * mom + mean * (1 - mom));
		if (rv)
			nn_set(rv, ic, aimet_tensor_get_f64(c->in[4], ic) * mom + var * (1 - mom));
	}
}

AIMET_KERNEL_CLONES static void bn_plane(const float *xs, float *ys, int64_t n, float k, float d,
                                         int clamp, float lo, float hi)
{
	if (clamp) {
		for (int64_t i = 0; i < n; i++)
			ys[i] = nn_clampf(xs[i] * k + d, lo, hi);
	} else {
		for (int64_t i = 0; i < n; i++)
			ys[i] = xs[i] * k + d;
	}
}

static void bn_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct bn_state *s = c->state;
	const float *a, *b, *xp;
	float *yp, lo = c->act_lo, hi = c->act_hi;
	int spatial = bn_spatial(c), clamp = lo > -INFINITY || hi < INFINITY;
	int64_t n = x->dims[0], ch = x->dims[1], inner = nn_prod(x->dims, 2, x->ndim);
	int64_t planes = n * ch;
	if (x->dtype != AIMET_FLOAT || bn_training(c)) {
		bn_ref(c);
		return;
	}
	if (s) {
		a = s->a;
		b = s->b;
	} else {
		int64_t p = bn_params(x, spatial);
		float *w = c->workspace;
		bn_fold(c, p, w, w + p);
		a = w;
		b = w + p;
	}
	xp = x->data;
	yp = c->out[0]->data;
	if (!spatial) {
		/* opset < 9 spatial=0: one scale per (channel, position); planes share the tables */
		int64_t per = ch * inner;
		for (int64_t in = 0; in < n; in++) {
			const float *xs = xp + in * per;
			float *ys = yp + in * per;
			for (int64_t i = 0; i < per; i++) {
				float v = xs[i] * a[i] + b[i];
				ys[i] = clamp ? nn_clampf(v, lo, hi) : v;
			}
		}
		return;
	}
	int nt = planes * inner >= (1 << 16) ? c->threads : 1;
	#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
	for (int64_t pl = 0; pl < planes; pl++) {
		const float *xs = xp + pl * inner;
		float *ys = yp + pl * inner;
		bn_plane(xs, ys, inner, a[pl % ch], b[pl % ch], clamp, lo, hi);
	}
}

const struct aimet_op aimet_op_BatchNormalization = {
	.op_type = "BatchNormalization", .domain = "", .since_opset = 7,
	.infer = bn_infer, .prepare = bn_prepare, .run = bn_run, .ref = bn_ref,
	.free_state = bn_free, .fuse_clamp = 1,
};
