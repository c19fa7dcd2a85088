/* gemm.c: Gemm (opsets 1..21): Y = alpha * op(A) * op(B) + beta * C, with C broadcast
 * unidirectionally to [M, N] (opset 7+ rules; C optional from 11). The fast float32 kernel
 * folds beta * C and the fused clamp into the GEMM tiles' epilogue. */
#include "aimet_kernels.h"
#include "aimet_ops.h"
#include "nn_util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

struct gemm_geom {
	int64_t M, N, K;
	int ta, tb;
	float alpha, beta;
	const struct aimet_tensor *C;    /* NULL when absent */
	int64_t cs_i, cs_j;             /* C's strides along the output rows/columns (0: broadcast) */
};

static int is_gemm_type(int dt)
{
	return dt == AIMET_FLOAT || dt == AIMET_DOUBLE || dt == AIMET_INT32 || dt == AIMET_INT64 ||
	       dt == AIMET_UINT32 || dt == AIMET_UINT64;
}

static int geom(struct aimet_op_ctx *c, struct gemm_geom *g)
{
	const struct aimet_tensor *A = c->n_in > 0 ? c->in[0] : NULL;
	const struct aimet_tensor *B = c->n_in > 1 ? c->in[1] : NULL;
	const struct aimet_tensor *C = c->n_in > 2 ? c->in[2] : NULL;
	int64_t ta = aimet_node_attr_int(c->node, "transA", 0), tb = aimet_node_attr_int(c->node, "transB", 0);
	int64_t k2;
	memset(g, 0, sizeof(*g));
	if (!A || !B || c->n_in > 3)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs inputs A, B and an optional C (%d given)",
		                      c->n_in);
	if (!is_gemm_type(A->dtype))
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "input type %s is not supported",
		                      aimet_dtype_name(A->dtype));
	if (B->dtype != A->dtype || (C && C->dtype != A->dtype))
		return aimet_op_error(c, AIMET_ERR_INVALID, "inputs have different types");
	if (A->ndim != 2 || B->ndim != 2)
		return aimet_op_error(c, AIMET_ERR_INVALID, "A and B must be 2-D (ranks %d and %d)",
		                      A->ndim, B->ndim);
	if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
		return aimet_op_error(c, AIMET_ERR_INVALID, "transA/transB must be 0 or 1");
	g->ta = (int)ta;
	g->tb = (int)tb;
	g->M = ta ? A->dims[1] : A->dims[0];
	g->K = ta ? A->dims[0] : A->dims[1];
	k2 = tb ? B->dims[1] : B->dims[0];
	g->N = tb ? B->dims[0] : B->dims[1];
	for (int i = 0; i < 2; i++)
		if (A->dims[i] < 0 || A->dims[i] > INT_MAX || B->dims[i] < 0 || B->dims[i] > INT_MAX)
			return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "matrix dimension out of range");
	if (k2 != g->K)
		return aimet_op_error(c, AIMET_ERR_INVALID, "inner dimensions differ: %lld and %lld",
		                      (long long)g->K, (long long)k2);
	g->alpha = aimet_node_attr_float(c->node, "alpha", 1.0f);
	g->beta = aimet_node_attr_float(c->node, "beta", 1.0f);
	if (C) {
		int64_t d0 = C->ndim == 2 ? C->dims[0] : 1, d1 = C->ndim >= 1 ? C->dims[C->ndim - 1] : 1;
		if (C->ndim > 2 || (d0 != 1 && d0 != g->M) || (d1 != 1 && d1 != g->N))
			return aimet_op_error(c, AIMET_ERR_INVALID, "C does not broadcast to [%lld, %lld]",
			                      (long long)g->M, (long long)g->N);
		g->C = C;
		g->cs_j = d1 == g->N && g->N != 1 ? 1 : 0;
		g->cs_i = d0 == g->M && g->M != 1 ? d1 : 0;
	}
	return AIMET_OK;
}

static int gemm_infer(struct aimet_op_ctx *c)
{
	struct gemm_geom g;
	int64_t dims[2];
	size_t n;
	int st;
	if ((st = geom(c, &g)))
		return st;
	if (aimet_mul_size((size_t)g.M, (size_t)g.N, &n) ||
	    aimet_mul_size(n, aimet_dtype_size(c->in[0]->dtype), &n))
		return aimet_op_error(c, AIMET_ERR_NOMEM, "output size overflows");
	dims[0] = g.M;
	dims[1] = g.N;
	aimet_tensor_set_shape(c->out[0], c->in[0]->dtype, 2, dims);
	return AIMET_OK;
}

/* Plain loops in double; float results are clamped in float like the fast path. */
static void gemm_ref(struct aimet_op_ctx *c)
{
	struct gemm_geom g;
	const struct aimet_tensor *A = c->in[0], *B = c->in[1];
	struct aimet_tensor *Y = c->out[0];
	if (geom(c, &g))
		return;
	for (int64_t i = 0; i < g.M; i++)
		for (int64_t j = 0; j < g.N; j++) {
			double acc = 0, v;
			for (int64_t k = 0; k < g.K; k++) {
				int64_t ia = g.ta ? k * g.M + i : i * g.K + k;
				int64_t ib = g.tb ? j * g.K + k : k * g.N + j;
				acc += aimet_tensor_get_f64(A, ia) * aimet_tensor_get_f64(B, ib);
			}
			v = (double)g.alpha * acc;
			if (g.C)
				v += (double)g.beta * aimet_tensor_get_f64(g.C, i * g.cs_i + j * g.cs_j);
			if (Y->dtype == AIMET_FLOAT) {
				float f = (float)v;
				f = f < c->act_lo ? c->act_lo : f;
				v = f > c->act_hi ? c->act_hi : f;
			} else if (Y->dtype == AIMET_DOUBLE) {
				v = v < c->act_lo ? c->act_lo : v;
				v = v > c->act_hi ? c->act_hi : v;
			}
			nn_set(Y, i * g.N + j, v);
		}
}

static void gemm_run(struct aimet_op_ctx *c)
{
	struct gemm_geom g;
	struct aimet_epilogue e;
	if (c->in[0]->dtype != AIMET_FLOAT) {
		gemm_ref(c);
		return;
	}
	if (geom(c, &g))
		return;
	e = aimet_epilogue_clamp(c->act_lo, c->act_hi);
	/* beta == 0 drops C like BLAS does (the reference would propagate a NaN/Inf in C) */
	if (g.C && g.beta != 0) {
		e.add = g.C->data;
		e.scale = g.beta;
		e.add_ld = g.cs_i;
		e.kind = g.cs_i ? (g.cs_j ? AIMET_EPI_FULL : AIMET_EPI_ROW)
		                : (g.cs_j ? AIMET_EPI_COL : AIMET_EPI_SCALAR);
	}
	aimet_sgemm_batch(g.ta, g.tb, 1, g.M, g.N, g.K, g.alpha, c->in[0]->data,
	                  g.ta ? (g.M > 0 ? g.M : 1) : (g.K > 0 ? g.K : 1), 0, c->in[1]->data,
	                  g.tb ? (g.K > 0 ? g.K : 1) : (g.N > 0 ? g.N : 1), 0, c->out[0]->data,
	                  g.N > 0 ? g.N : 1, 0, &e, c->threads);
}

const struct aimet_op aimet_op_Gemm = {
	.op_type = "Gemm",
	.domain = "",
	.infer = gemm_infer,
	.run = gemm_run,
	.ref = gemm_ref,
	.fuse_clamp = 1,
};
