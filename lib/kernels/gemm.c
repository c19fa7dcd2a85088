/* gemm.c: float32 GEMM over OpenBLAS, split into a fixed grid of output tiles that our own
 * OpenMP loop hands out (so any thread count gives the same bits), plus the fused epilogue. */
#include "aimet_kernels.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* Least work (flops) worth a tile of its own: an sgemm call costs a few microseconds to set
 * up (packing, buffer handout), so smaller tiles lose more than the parallelism gains. */
#define TILE_MIN_FLOPS 4.0e6
/* Tiles per batch of problems: enough for even load on a few cores with a dynamic schedule. */
#define MAX_TASKS 16
/* Work below this runs on the calling thread only: waking a team costs ~10 us. */
#define PAR_MIN_FLOPS 1.0e6

struct aimet_epilogue aimet_epilogue_clamp(float lo, float hi)
{
	struct aimet_epilogue e;
	memset(&e, 0, sizeof(e));
	e.kind = AIMET_EPI_NONE;
	e.scale = 1;
	e.lo = lo;
	e.hi = hi;
	return e;
}

AIMET_KERNEL_CLONES
void aimet_epilogue_apply(const struct aimet_epilogue *e, float *C, int64_t ldc,
                          int64_t i0, int64_t m, int64_t j0, int64_t n)
{
	const float lo = e->lo, hi = e->hi, s = e->scale;
	const int clamp = lo > -INFINITY || hi < INFINITY;
	/* nothing to add or clamp: no pass over the rows (the fake quantization may remain) */
	const int64_t rows = e->kind == AIMET_EPI_NONE && !clamp ? 0 : m;
	for (int64_t i = 0; i < rows; i++) {
		float *restrict c = C + i * ldc;
		switch (e->kind) {
		case AIMET_EPI_SCALAR: {
			const float a = s * e->add[0];
			for (int64_t j = 0; j < n; j++)
				c[j] += a;
			break;
		}
		case AIMET_EPI_ROW: {
			const float a = s * e->add[i0 + i];
			for (int64_t j = 0; j < n; j++)
				c[j] += a;
			break;
		}
		case AIMET_EPI_COL: {
			const float *restrict a = e->add + j0;
			for (int64_t j = 0; j < n; j++)
				c[j] += s * a[j];
			break;
		}
		case AIMET_EPI_FULL: {
			const float *restrict a = e->add + (i0 + i) * e->add_ld + j0;
			for (int64_t j = 0; j < n; j++)
				c[j] += s * a[j];
			break;
		}
		default:
			break;
		}
		if (clamp)
			for (int64_t j = 0; j < n; j++) {
				float v = c[j];
				v = v < lo ? lo : v;
				c[j] = v > hi ? hi : v;
			}
	}
	/* the tile (in cache still) in one call: short rows one by one cost more in set-up
	 * than in arithmetic (measured on fmnist_resnet8's convolutions) */
	if (e->fq)
		aimet_fq_apply_rows(e->fq, C, ldc, m, n);
}

int aimet_blas_begin(void)
{
	int saved = omp_get_max_threads();
	if (saved != 1)
		omp_set_num_threads(1);
	if (openblas_get_num_threads() != 1)
		openblas_set_num_threads(1);
	return saved;
}

void aimet_blas_end(int saved)
{
	if (saved != omp_get_max_threads())
		omp_set_num_threads(saved);
}

int aimet_kernel_threads(double flops, int64_t tasks, int threads)
{
	int64_t n = threads < 1 ? 1 : threads;
	if (tasks < n)
		n = tasks;
	if (flops < PAR_MIN_FLOPS * (double)n)
		n = (int64_t)(flops / PAR_MIN_FLOPS);
	return n < 1 ? 1 : (int)n;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

void aimet_gemm_grid_make(struct aimet_gemm_grid *g, int64_t batch, int64_t M, int64_t N, int64_t K)
{
	double flops = 2.0 * (double)M * (double)N * (double)(K > 0 ? K : 1);
	int64_t want = batch > 0 ? ceil_div(MAX_TASKS, batch) : 1;
	g->M = M; g->N = N; g->K = K; g->n_order = 0;
	g->mb = M > 0 ? M : 1; g->nb = N > 0 ? N : 1;
	g->mt = g->nt = 1;
	if ((double)want * TILE_MIN_FLOPS > flops)
		want = (int64_t)(flops / TILE_MIN_FLOPS);
	if (want <= 1)
		return;
	/* Split the columns first (conv: output pixels, so every tile shares the small weight
	 * matrix), in multiples of 16 floats, at least 64 wide; then the rows if needed. */
	int64_t nt = want < ceil_div(N, 64) ? want : ceil_div(N, 64);
	if (nt > 1) {
		g->nb = round_up(ceil_div(N, nt), 16);
		g->nt = ceil_div(N, g->nb);
	}
	int64_t mt = want / g->nt;
	if (mt > ceil_div(M, 32))
		mt = ceil_div(M, 32);
	if (mt > 1) {
		g->mb = round_up(ceil_div(M, mt), 8);
		g->mt = ceil_div(M, g->mb);
	}
}

int64_t aimet_gemm_kstride(int64_t N, int64_t K, int trans_a)
{
	int64_t ks = 128, ns = 128;
	if (N >= K) {
		while (ks / 2 >= K) {
			ks /= 2;
			ns *= 2;
		}
	} else if (!trans_a) {
		while (ns > 16 && ns / 2 >= N) {
			ks *= 2;
			ns /= 2;
		}
	}
	return ks;
}

/* C[i] = sum_k A[i,k] * B[k] for rows [i0, i0 + m) of an M-row problem, in the order of ONNX
 * Runtime's one-column kernel: eight lanes, lane l summing k = l, l + 8, ... (products rounded
 * alone), then combined by a tree that depends on the row's place in its group of four rows
 * (full groups, then a pair, then a last row). */
static void gemv_lanes(int64_t M, int64_t K, int64_t i0, int64_t m, const float *a, int64_t lda,
                       const float *b, int64_t bs, float *c, int64_t ldc)
{
	const int64_t M4 = M - M % 4;
	for (int64_t i = 0; i < m; i++) {
		const float *ar = a + i * lda;
		float l[8] = {0, 0, 0, 0, 0, 0, 0, 0}, r;
		int64_t gi = i0 + i;
		for (int64_t k = 0; k < K; k++)
			l[k & 7] += ar[k] * b[k * bs];
		if (gi < M4)
			r = (((l[0] + l[1]) + l[2]) + l[3]) + (((l[4] + l[5]) + l[6]) + l[7]);
		else if (M - M4 >= 2 && gi < M4 + 2)
			r = ((l[0] + l[2]) + (l[4] + l[6])) + ((l[1] + l[3]) + (l[5] + l[7]));
		else
			r = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
		c[i * ldc] = r;
	}
}

void aimet_sgemm_tile(const struct aimet_gemm_grid *g, int64_t t, int trans_a, int trans_b,
                      float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                      float *C, int64_t ldc, const struct aimet_epilogue *e)
{
	int64_t ti = t / g->nt, tj = t % g->nt;
	int64_t i0 = ti * g->mb, j0 = tj * g->nb;
	int64_t m = g->M - i0 < g->mb ? g->M - i0 : g->mb;
	int64_t n = g->N - j0 < g->nb ? g->N - j0 : g->nb;
	float *c = C + i0 * ldc + j0;
	if (m <= 0 || n <= 0)
		return;
	if (g->K <= 0) {
		for (int64_t i = 0; i < m; i++)
			memset(c + i * ldc, 0, (size_t)n * sizeof(float));
	} else if ((g->n_order ? g->n_order : g->N) == 1 && !trans_a && alpha == 1.0f) {
		gemv_lanes(g->M, g->K, i0, m, A + i0 * lda, lda, B, trans_b ? 1 : ldb, c, ldc);
	} else {
		/* K in ONNX Runtime's blocks, each summed from zero and added to C (see header) */
		const int64_t ks = aimet_gemm_kstride(g->n_order ? g->n_order : g->N, g->K, trans_a);
		const float *a = trans_a ? A + i0 : A + i0 * lda;
		const float *b = trans_b ? B + j0 * ldb : B + j0;
		for (int64_t k0 = 0; k0 < g->K; k0 += ks) {
			int64_t kn = g->K - k0 < ks ? g->K - k0 : ks;
			cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
			            trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)kn,
			            alpha, trans_a ? a + k0 * lda : a + k0, (blasint)lda,
			            trans_b ? b + k0 : b + k0 * ldb, (blasint)ldb, k0 ? 1.0f : 0.0f, c,
			            (blasint)ldc);
		}
	}
	if (e)
		aimet_epilogue_apply(e, c, ldc, i0, m, j0, n);
}

void aimet_sgemm_batch(int trans_a, int trans_b, int64_t batch, int64_t M, int64_t N, int64_t K,
                       float alpha, const float *A, int64_t lda, int64_t stride_a,
                       const float *B, int64_t ldb, int64_t stride_b,
                       float *C, int64_t ldc, int64_t stride_c,
                       const struct aimet_epilogue *e, int threads)
{
	struct aimet_gemm_grid g;
	int64_t tiles, tasks;
	int nt, saved;
	if (batch <= 0 || M <= 0 || N <= 0)
		return;
	saved = aimet_blas_begin();
	aimet_gemm_grid_make(&g, batch, M, N, K);
	tiles = g.mt * g.nt;
	tasks = batch * tiles;
	nt = aimet_kernel_threads(2.0 * (double)batch * (double)M * (double)N * (double)K, tasks,
	                          threads);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
	for (int64_t t = 0; t < tasks; t++) {
		int64_t b = t / tiles;
		aimet_sgemm_tile(&g, t % tiles, trans_a, trans_b, alpha, A + b * stride_a, lda,
		                 B + b * stride_b, ldb, C + b * stride_c, ldc, e);
	}
	aimet_blas_end(saved);
}
