/* softmax.c: Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D at
 * `axis` (default 1) and the op runs over the flattened trailing block; from 13 it runs along
 * the single axis (default -1). */
/* O3 and no-trapping-math let GCC vectorise the row loops at the project's -O2; fp-contract=off
 * keeps every target clone and the scalar tail bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "nn_util.h"
#include "aimet_kernels.h"

#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { SM_SOFT, SM_LOG, SM_HARD };

/* The op as [outer, len, inner]: reduce over len, stride inner. */
struct sm_view { int64_t outer, len, inner; };

static int sm_view(const struct aimet_op_ctx *c, struct sm_view *v)
{
	const struct aimet_tensor *x = c->in[0];
	int64_t axis = aimet_node_attr_int(c->node, "axis", c->opset >= 13 ? -1 : 1);
	int a, r = x->ndim;
	/* a scalar behaves as a 1-element vector */
	a = aimet_norm_axis(axis, r ? r : 1);
	if (a < 0)
		return nn_fail(c, AIMET_ERR_INVALID, "axis %lld is out of range for rank %d",
		               (long long)axis, r);
	v->outer = nn_prod(x->dims, 0, a < r ? a : r);
	if (c->opset >= 13) {
		v->len = r ? x->dims[a] : 1;
		v->inner = nn_prod(x->dims, a + 1, r);
	} else {
		v->len = nn_prod(x->dims, a, r);
		v->inner = 1;
	}
	return AIMET_OK;
}

static int sm_infer(struct aimet_op_ctx *c)
{
	struct sm_view v;
	int st;
	if ((st = nn_need_in(c, 0, "input")))
		return st;
	if (!nn_out(c, 0))
		return nn_fail(c, AIMET_ERR_INVALID, "output is missing");
	if (!nn_is_float(c->in[0]->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported",
		               aimet_dtype_name(c->in[0]->dtype));
	if ((st = sm_view(c, &v)))
		return st;
	aimet_tensor_set_shape(c->out[0], c->in[0]->dtype, c->in[0]->ndim, c->in[0]->dims);
	return nn_check_shape(c, c->out[0]);
}

static int sm_kind(const struct aimet_op_ctx *c)
{
	const char *t = c->node->op_type;
	return !strcmp(t, "LogSoftmax") ? SM_LOG : !strcmp(t, "Hardmax") ? SM_HARD : SM_SOFT;
}

/* Reference in double: max, sum of exp(x - max), then normalise. */
static void sm_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	struct sm_view v;
	int kind = sm_kind(c);
	if (sm_view(c, &v))
		return;
	for (int64_t o = 0; o < v.outer; o++)
		for (int64_t in = 0; in < v.inner; in++) {
			int64_t base = o * v.len * v.inner + in, arg = 0;
			double m = -INFINITY, sum = 0;
			for (int64_t l = 0; l < v.len; l++) {
				double e = aimet_tensor_get_f64(x, base + l * v.inner);
				if (e > m) {
					m = e;
					arg = l;
				}
			}
			for (int64_t l = 0; l < v.len; l++)
				sum += exp(aimet_tensor_get_f64(x, base + l * v.inner) - m);
			for (int64_t l = 0; l < v.len; l++) {
				double e = aimet_tensor_get_f64(x, base + l * v.inner) - m, r;
				if (kind == SM_SOFT)
					r = exp(e) / sum;
				else if (kind == SM_LOG)
					r = e - log(sum);
				else
					r = l == arg;
				nn_set(y, base + l * v.inner, r);
			}
		}
}

/* One contiguous row of float32. */
AIMET_KERNEL_CLONES static void sm_row(const float *x, float *y, int64_t n, int kind)
{
	float m = nn_max_f32(x, n);
	if (kind == SM_HARD) {
		int64_t arg = 0;
		while (arg < n && !(x[arg] == m))
			arg++;
		for (int64_t i = 0; i < n; i++)
			y[i] = i == arg ? 1.0f : 0.0f;
		return;
	}
	nn_exp_row(x, m, y, n);
	double sum = nn_sum_f32(y, n);
	if (kind == SM_SOFT) {
		float inv = (float)(1.0 / sum);
		for (int64_t i = 0; i < n; i++)
			y[i] *= inv;
	} else {
		float ls = (float)log(sum);
		for (int64_t i = 0; i < n; i++)
			y[i] = (x[i] - m) - ls;
	}
}

/* A [len, inner] block reduced along len, vectorised across inner (tmp: 2*inner floats). */
AIMET_KERNEL_CLONES static void sm_cols(const float *x, float *y, int64_t len, int64_t inner, int kind,
                                        float *tmp)
{
	float *m = tmp, *s = tmp + inner;
	for (int64_t i = 0; i < inner; i++) {
		m[i] = -FLT_MAX;
		s[i] = 0;
	}
	for (int64_t l = 0; l < len; l++) {
		const float *r = x + l * inner;
		for (int64_t i = 0; i < inner; i++)
			m[i] = r[i] > m[i] ? r[i] : m[i];
	}
	if (kind == SM_HARD) {
		/* first maximum along len wins, as in the reference */
		for (int64_t l = 0; l < len; l++) {
			const float *r = x + l * inner;
			float *o = y + l * inner;
			for (int64_t i = 0; i < inner; i++) {
				int hit = r[i] == m[i] && s[i] == 0;
				o[i] = hit ? 1.0f : 0.0f;
				s[i] = hit ? 1.0f : s[i];
			}
		}
		return;
	}
	for (int64_t l = 0; l < len; l++) {
		const float *r = x + l * inner;
		float *o = y + l * inner;
		for (int64_t i = 0; i < inner; i++)
			o[i] = r[i] - m[i];
		nn_exp_row(o, 0.0f, o, inner);
		for (int64_t i = 0; i < inner; i++)
			s[i] += o[i];
	}
	for (int64_t i = 0; i < inner; i++)
		s[i] = kind == SM_SOFT ? 1.0f / s[i] : logf(s[i]);
	for (int64_t l = 0; l < len; l++) {
		const float *r = x + l * inner;
		float *o = y + l * inner;
		if (kind == SM_SOFT)
			for (int64_t i = 0; i < inner; i++) o[i] *= s[i];
		else
			for (int64_t i = 0; i < inner; i++) o[i] = (r[i] - m[i]) - s[i];
	}
}

static int sm_prepare(struct aimet_op_ctx *c)
{
	struct sm_view v;
	size_t bytes;
	int st;
	if ((st = sm_view(c, &v)))
		return st;
	if (v.inner > 1) {
		if (aimet_mul_size((size_t)v.inner, 2 * sizeof(float) * (size_t)(c->threads > 0 ? c->threads : 1), &bytes))
			return nn_fail(c, AIMET_ERR_NOMEM, "workspace size overflows");
		c->workspace_size = bytes;
	}
	return AIMET_OK;
}

static void sm_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct sm_view v;
	int kind = sm_kind(c);
	if (x->dtype != AIMET_FLOAT || sm_view(c, &v)) {
		sm_ref(c);
		return;
	}
	const float *xp = x->data;
	float *yp = c->out[0]->data;
	int64_t blk = v.len * v.inner;
	if (blk == 0 || v.outer == 0)
		return;
	int nt = (double)v.outer * (double)blk >= 32768.0 ? c->threads : 1;
	if (v.inner == 1) {
		#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
		for (int64_t o = 0; o < v.outer; o++)
			sm_row(xp + o * blk, yp + o * blk, v.len, kind);
		return;
	}
	/* threads the workspace was sized for at prepare */
	size_t per = (size_t)v.inner * 2 * sizeof(float);
	int cap = (int)(c->workspace_size / per > 64 ? 64 : c->workspace_size / per);
	if (cap < 1 || !c->workspace) {
		sm_ref(c);
		return;
	}
	if (nt > cap)
		nt = cap;
	#pragma omp parallel num_threads(nt) if (nt > 1)
	{
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		float *tmp = (float *)c->workspace + (size_t)tid * 2 * (size_t)v.inner;
		#pragma omp for schedule(static)
		for (int64_t o = 0; o < v.outer; o++)
			sm_cols(xp + o * blk, yp + o * blk, v.len, v.inner, kind, tmp);
	}
}

const struct aimet_op aimet_op_Softmax = {
	.op_type = "Softmax", .domain = "", .since_opset = 1,
	.infer = sm_infer, .prepare = sm_prepare, .run = sm_run, .ref = sm_ref,
};
const struct aimet_op aimet_op_LogSoftmax = {
	.op_type = "LogSoftmax", .domain = "", .since_opset = 1,
	.infer = sm_infer, .prepare = sm_prepare, .run = sm_run, .ref = sm_ref,
};
const struct aimet_op aimet_op_Hardmax = {
	.op_type = "Hardmax", .domain = "", .since_opset = 1,
	.infer = sm_infer, .prepare = sm_prepare, .run = sm_run, .ref = sm_ref,
};
