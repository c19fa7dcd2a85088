/* matmul.c: MatMul (opsets 1..21) with numpy semantics: 1-D operands promoted and their
 * dimension removed again, batch dimensions broadcast. The fast float32 kernel folds a
 * shared 2-D B into one tall GEMM, else walks (batch, tile) pairs of the shared GEMM grid. */
#include "aimet_kernels.h"
#include "aimet_ops.h"
#include "nn_util.h"

#include <limits.h>
#include <string.h>

struct mm_geom {
	int64_t M, N, K;
	int nbd;                               /* broadcast batch rank */
	int64_t bdims[AIMET_MAX_DIMS];
	int na, nb;                            /* batch ranks of A and B */
	const int64_t *adims, *bdims_b;        /* their batch dims (borrowed) */
	int64_t batch, batch_a, batch_b;       /* numels */
	int out_ndim;
	int64_t out[AIMET_MAX_DIMS];
};

static int is_mm_type(int dt)
{
	return dt == AIMET_FLOAT || dt == AIMET_DOUBLE || dt == AIMET_INT32 || dt == AIMET_INT64 ||
	       dt == AIMET_UINT32 || dt == AIMET_UINT64;
}

static int geom(struct aimet_op_ctx *c, struct mm_geom *g)
{
	const struct aimet_tensor *A = c->n_in > 0 ? c->in[0] : NULL;
	const struct aimet_tensor *B = c->n_in > 1 ? c->in[1] : NULL;
	int64_t k2;
	memset(g, 0, sizeof(*g));
	if (!A || !B || c->n_in != 2)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs inputs A and B (%d given)", c->n_in);
	if (!is_mm_type(A->dtype))
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "input type %s is not supported",
		                      aimet_dtype_name(A->dtype));
	if (B->dtype != A->dtype)
		return aimet_op_error(c, AIMET_ERR_INVALID, "inputs have different types");
	if (A->ndim < 1 || B->ndim < 1 || A->ndim > AIMET_MAX_DIMS || B->ndim > AIMET_MAX_DIMS)
		return aimet_op_error(c, AIMET_ERR_INVALID, "inputs must have rank 1 or more");
	for (int i = 0; i < A->ndim; i++)
		if (A->dims[i] < 0 || A->dims[i] > INT_MAX)
			return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dimension out of range");
	for (int i = 0; i < B->ndim; i++)
		if (B->dims[i] < 0 || B->dims[i] > INT_MAX)
			return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dimension out of range");
	g->M = A->ndim == 1 ? 1 : A->dims[A->ndim - 2];
	g->K = A->dims[A->ndim - 1];
	k2 = B->ndim == 1 ? B->dims[0] : B->dims[B->ndim - 2];
	g->N = B->ndim == 1 ? 1 : B->dims[B->ndim - 1];
	if (k2 != g->K)
		return aimet_op_error(c, AIMET_ERR_INVALID, "inner dimensions differ: %lld and %lld",
		                      (long long)g->K, (long long)k2);
	g->na = A->ndim > 2 ? A->ndim - 2 : 0;
	g->nb = B->ndim > 2 ? B->ndim - 2 : 0;
	g->adims = A->dims;
	g->bdims_b = B->dims;
	if (aimet_broadcast_shape(g->na, A->dims, g->nb, B->dims, &g->nbd, g->bdims))
		return aimet_op_error(c, AIMET_ERR_INVALID, "batch dimensions do not broadcast");
	g->batch = aimet_shape_numel(g->nbd, g->bdims);
	g->batch_a = aimet_shape_numel(g->na, A->dims);
	g->batch_b = aimet_shape_numel(g->nb, B->dims);
	if (g->batch < 0 || g->batch > INT_MAX)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "batch is too large");
	memcpy(g->out, g->bdims, sizeof(int64_t) * (size_t)g->nbd);
	g->out_ndim = g->nbd;
	if (A->ndim > 1)
		g->out[g->out_ndim++] = g->M;
	if (B->ndim > 1)
		g->out[g->out_ndim++] = g->N;
	return AIMET_OK;
}

static int mm_infer(struct aimet_op_ctx *c)
{
	struct mm_geom g;
	size_t n;
	int st;
	if ((st = geom(c, &g)))
		return st;
	if (aimet_mul_size((size_t)g.batch, (size_t)g.M, &n) || aimet_mul_size(n, (size_t)g.N, &n) ||
	    aimet_mul_size(n, aimet_dtype_size(c->in[0]->dtype), &n))
		return aimet_op_error(c, AIMET_ERR_NOMEM, "output size overflows");
	aimet_tensor_set_shape(c->out[0], c->in[0]->dtype, g.out_ndim, g.out);
	return AIMET_OK;
}

static void mm_ref(struct aimet_op_ctx *c)
{
	struct mm_geom g;
	const struct aimet_tensor *A = c->in[0], *B = c->in[1];
	struct aimet_tensor *Y = c->out[0];
	if (geom(c, &g))
		return;
	for (int64_t b = 0; b < g.batch; b++) {
		int64_t oa = aimet_bcast_src_index(g.nbd, g.bdims, g.na, g.adims, b) * g.M * g.K;
		int64_t ob = aimet_bcast_src_index(g.nbd, g.bdims, g.nb, g.bdims_b, b) * g.K * g.N;
		for (int64_t i = 0; i < g.M; i++)
			for (int64_t j = 0; j < g.N; j++) {
				double acc = 0;
				for (int64_t k = 0; k < g.K; k++)
					acc += aimet_tensor_get_f64(A, oa + i * g.K + k) *
					       aimet_tensor_get_f64(B, ob + k * g.N + j);
				if (Y->dtype == AIMET_FLOAT) {
					float f = (float)acc;
					f = f < c->act_lo ? c->act_lo : f;
					acc = f > c->act_hi ? c->act_hi : f;
				} else if (Y->dtype == AIMET_DOUBLE) {
					acc = acc < c->act_lo ? c->act_lo : acc;
					acc = acc > c->act_hi ? c->act_hi : acc;
				}
				nn_set(Y, (b * g.M + i) * g.N + j, acc);
			}
	}
}

static void mm_run(struct aimet_op_ctx *c)
{
	struct mm_geom g;
	struct aimet_epilogue e;
	struct aimet_gemm_grid grid;
	const float *A, *B;
	float *Y;
	int64_t lda, ldb, tiles, tasks;
	int nt;
	if (c->in[0]->dtype != AIMET_FLOAT) {
		mm_ref(c);
		return;
	}
	if (geom(c, &g) || g.batch == 0 || g.M == 0 || g.N == 0)
		return;
	e = aimet_epilogue_clamp(c->act_lo, c->act_hi);
	A = c->in[0]->data;
	B = c->in[1]->data;
	Y = c->out[0]->data;
	lda = g.K > 0 ? g.K : 1;
	ldb = g.N;
	/* one B for every batch entry and A not broadcast: a single [batch*M, K] x [K, N] */
	if (g.batch_b == 1 && g.batch_a == g.batch && g.batch * g.M <= INT_MAX) {
		aimet_sgemm_batch(0, 0, 1, g.batch * g.M, g.N, g.K, 1.0f, A, lda, 0, B, ldb, 0, Y, g.N, 0,
		                  &e, c->threads);
		return;
	}
	int saved = aimet_blas_begin();
	aimet_gemm_grid_make(&grid, g.batch, g.M, g.N, g.K);
	tiles = grid.mt * grid.nt;
	tasks = g.batch * tiles;
	nt = aimet_kernel_threads(2.0 * (double)g.batch * (double)g.M * (double)g.N * (double)g.K,
	                          tasks, c->threads);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
	for (int64_t t = 0; t < tasks; t++) {
		int64_t b = t / tiles;
		int64_t oa = aimet_bcast_src_index(g.nbd, g.bdims, g.na, g.adims, b) * g.M * g.K;
		int64_t ob = aimet_bcast_src_index(g.nbd, g.bdims, g.nb, g.bdims_b, b) * g.K * g.N;
		aimet_sgemm_tile(&grid, t % tiles, 0, 0, 1.0f, A + oa, lda, B + ob, ldb,
		                 Y + b * g.M * g.N, g.N, &e);
	}
	aimet_blas_end(saved);
}

const struct aimet_op aimet_op_MatMul = {
	.op_type = "MatMul",
	.domain = "",
	.infer = mm_infer,
	.run = mm_run,
	.ref = mm_ref,
	.fuse_clamp = 1,
};
