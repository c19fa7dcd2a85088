/* clip.c: Clip — bounds as attributes before opset 11, as optional scalar inputs from 11 on;
 * a vectorised float32 loop and a reference for every numeric dtype. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "elt.h"
#include "aimet_kernels.h"

#include <float.h>
#include <math.h>

static int clip_infer(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x;
	int st = elt_check_io(c, 1, c->opset >= 11 ? 3 : 1, 1, 1);
	if (st)
		return st;
	x = c->in[0];
	if ((st = elt_check_dtype(c, x->dtype, c->opset >= 12 ? ELT_M_NUM : ELT_M_FLOAT, "input")))
		return st;
	for (int k = 1; k < c->n_in; k++) {
		const struct aimet_tensor *b = c->in[k];
		if (!b)
			continue;
		if (b->dtype != x->dtype)
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Clip): %s has type '%s', input '%s'",
			                   elt_name(c), k == 1 ? "min" : "max", aimet_dtype_name(b->dtype),
			                   aimet_dtype_name(x->dtype));
		if (aimet_tensor_numel(b) != 1)
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Clip): %s is not a scalar",
			                   elt_name(c), k == 1 ? "min" : "max");
	}
	aimet_tensor_set_shape(c->out[0], x->dtype, x->ndim, x->dims);
	return AIMET_OK;
}

static const struct aimet_tensor *bound(const struct aimet_op_ctx *c, int k)
{
	return c->opset >= 11 && c->n_in > k && c->in[k] && c->in[k]->data ? c->in[k] : NULL;
}

/* Real-valued bounds (float dtypes); absent bounds are infinite. */
static void float_bounds(const struct aimet_op_ctx *c, double *lo, double *hi)
{
	const struct aimet_tensor *a = bound(c, 1), *b = bound(c, 2);
	if (c->opset < 11) {
		*lo = aimet_node_attr_float(c->node, "min", -FLT_MAX);
		*hi = aimet_node_attr_float(c->node, "max", FLT_MAX);
		return;
	}
	*lo = a ? elt_ld_f(a->data, a->dtype, 0) : -INFINITY;
	*hi = b ? elt_ld_f(b->data, b->dtype, 0) : INFINITY;
}

static void clip_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *a = bound(c, 1), *b = bound(c, 2);
	struct aimet_tensor *y = c->out[0];
	int64_t n = aimet_tensor_numel(y);
	int dt = x->dtype, kind = elt_kind(dt);
	if (kind == ELT_F) {
		double lo, hi;
		float_bounds(c, &lo, &hi);
		for (int64_t i = 0; i < n; i++) {
			double v = elt_ld_f(x->data, dt, i);
			v = v < lo ? lo : v;
			v = v > hi ? hi : v;
			elt_st_f(y->data, dt, i, v);
		}
	} else if (kind == ELT_I) {
		int64_t lo = a ? elt_ld_i(a->data, dt, 0) : INT64_MIN;
		int64_t hi = b ? elt_ld_i(b->data, dt, 0) : INT64_MAX;
		for (int64_t i = 0; i < n; i++) {
			int64_t v = elt_ld_i(x->data, dt, i);
			v = v < lo ? lo : v;
			v = v > hi ? hi : v;
			elt_st_i(y->data, dt, i, v);
		}
	} else {
		uint64_t lo = a ? (uint64_t)elt_ld_i(a->data, dt, 0) : 0;
		uint64_t hi = b ? (uint64_t)elt_ld_i(b->data, dt, 0) : UINT64_MAX;
		for (int64_t i = 0; i < n; i++) {
			uint64_t v = (uint64_t)elt_ld_i(x->data, dt, i);
			v = v < lo ? lo : v;
			v = v > hi ? hi : v;
			elt_st_i(y->data, dt, i, (int64_t)v);
		}
	}
}

struct clip_job { const float *x; float *y; float lo, hi; const struct aimet_fq *fq; };

ELT_CLONES static void clip_block(const float *x, float *y, float lo, float hi, int64_t beg, int64_t end)
{
	for (int64_t i = beg; i < end; i++) {
		float v = x[i];
		v = v < lo ? lo : v;
		y[i] = v > hi ? hi : v;
	}
}

static void clip_range(void *arg, int64_t beg, int64_t end)
{
	const struct clip_job *j = arg;
	if (!j->fq) {
		clip_block(j->x, j->y, j->lo, j->hi, beg, end);
		return;
	}
	/* simulation: fake-quantize each L1-sized piece while it is hot */
	for (int64_t i = beg, k; i < end; i += k) {
		k = end - i < 2048 ? end - i : 2048;
		clip_block(j->x, j->y, j->lo, j->hi, i, i + k);
		aimet_fq_apply(j->fq, j->y + i, k);
	}
}

static void clip_run(struct aimet_op_ctx *c)
{
	struct clip_job j;
	double lo, hi;
	if (c->in[0]->dtype != AIMET_FLOAT) {
		clip_ref(c);
		return;
	}
	float_bounds(c, &lo, &hi);
	/* the bounds are float32 values, so comparing in float equals comparing in double */
	j.x = c->in[0]->data;
	j.y = c->out[0]->data;
	j.lo = (float)lo;
	j.hi = (float)hi;
	j.fq = c->fq;
	if (c->fq)
		c->fq_done = 1;
	aimet_parallel_range(c->threads, aimet_tensor_numel(c->out[0]), 65536, clip_range, &j);
}

const struct aimet_op aimet_op_Clip = {"Clip", "", 0, clip_infer, NULL, clip_run, clip_ref, NULL, 0};
