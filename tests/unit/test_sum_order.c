/* test_sum_order.c: the kernels whose arithmetic we write sum in ONNX Runtime's (MLAS's) order,
 * checked bit for bit against scalar emulations of that order written out here: the
 * register-blocked convolution kernel (K in MLAS's blocks, each a fused multiply-add chain from
 * zero, added block by block), the one-column GEMM's eight lanes and reduction trees, depthwise
 * taps in groups of four without fused multiply-adds. Multi-column GEMMs through OpenBLAS get
 * the K blocks, but OpenBLAS's own order inside a block depends on the shape (its small-matrix
 * and edge kernels are not one chain per output), so they are not checked here;
 * tests/cli/test_sim_ort.sh checks the end result against ONNX Runtime itself. */
#include "aimet_kernels.h"
#include "../test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;
static float frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (float)((double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}
static void fill(float *p, int64_t n) { for (int64_t i = 0; i < n; i++) p[i] = frand(); }

static int same_bits(const float *a, const float *b, int64_t n)
{
	return memcmp(a, b, (size_t)n * sizeof(float)) == 0;
}

/* C = A (M x K) * B (K x N), MLAS order */
static void emu_gemm(int64_t M, int64_t N, int64_t K, const float *A, const float *B, float *C)
{
	int64_t ks = aimet_gemm_kstride(N, K, 0);
	for (int64_t i = 0; i < M; i++)
		for (int64_t j = 0; j < N; j++) {
			float c = 0;
			for (int64_t k0 = 0; k0 < K; k0 += ks) {
				float s = 0;
				for (int64_t k = k0; k < K && k < k0 + ks; k++)
					s = fmaf(A[i * K + k], B[k * N + j], s);
				c = k0 ? c + s : s;
			}
			C[i * N + j] = c;
		}
}

static void emu_gemv(int64_t M, int64_t K, const float *A, const float *x, float *y)
{
	int64_t M4 = M - M % 4;
	for (int64_t i = 0; i < M; i++) {
		float l[8] = {0};
		for (int64_t k = 0; k < K; k++) {
			float p = A[i * K + k] * x[k];
			l[k % 8] = l[k % 8] + p;
		}
		if (i < M4)
			y[i] = (((l[0] + l[1]) + l[2]) + l[3]) + (((l[4] + l[5]) + l[6]) + l[7]);
		else if (M - M4 >= 2 && i < M4 + 2)
			y[i] = ((l[0] + l[2]) + (l[4] + l[6])) + ((l[1] + l[3]) + (l[5] + l[7]));
		else
			y[i] = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
	}
}

static void check_gemv(int64_t M, int64_t K)
{
	const int64_t N = 1;
	float *A = malloc(sizeof(float) * (size_t)(M * K)), *B = malloc(sizeof(float) * (size_t)(K * N));
	float *C = malloc(sizeof(float) * (size_t)(M * N)), *E = malloc(sizeof(float) * (size_t)(M * N));
	fill(A, M * K);
	fill(B, K * N);
	aimet_sgemm_batch(0, 0, 1, M, N, K, 1.0f, A, K, 0, B, N, 0, C, N, 0, NULL, 2);
	emu_gemv(M, K, A, B, E);
	CHECK(same_bits(C, E, M), "gemv %lldx%lld differs from MLAS's order", (long long)M, (long long)K);
	free(A), free(B), free(C), free(E);
}

/* the register-blocked kernel on an im2col-like B (row k at offset k*ld) */
static void check_cgemm(int64_t M, int64_t N, int64_t K)
{
	int mb, vb;
	aimet_cgemm_shape(&mb, &vb);
	int64_t Mpad = (M + mb - 1) / mb * mb, ld = (N + vb - 1) / vb * vb + 3 * vb;
	float *w = malloc(sizeof(float) * (size_t)(M * K)), *wp = malloc(sizeof(float) * (size_t)(Mpad * K));
	float *B = calloc((size_t)(K * ld), sizeof(float)), *Bd = malloc(sizeof(float) * (size_t)(K * N));
	float *C = malloc(sizeof(float) * (size_t)(Mpad * ld)), *E = malloc(sizeof(float) * (size_t)(M * N));
	int64_t *roff = malloc(sizeof(int64_t) * (size_t)K);
	int ok = 1;
	fill(w, M * K);
	fill(Bd, K * N);
	for (int64_t k = 0; k < K; k++) {
		roff[k] = k * ld;
		memcpy(B + k * ld, Bd + k * N, sizeof(float) * (size_t)N);
	}
	aimet_cgemm_pack(w, M, K, K, wp);
	aimet_cgemm_run(wp, Mpad, K, aimet_gemm_kstride(N, K, 0), B, roff, N, C, ld);
	emu_gemm(M, N, K, w, Bd, E);
	for (int64_t i = 0; i < M; i++)
		ok &= same_bits(C + i * ld, E + i * N, N);
	CHECK(ok, "cgemm %lldx%lldx%lld differs from MLAS's order", (long long)M, (long long)N, (long long)K);
	free(w), free(wp), free(B), free(Bd), free(C), free(E), free(roff);
}

/* depthwise, stride 1, no padding: taps in groups of four, products rounded alone */
static void check_depthwise(int64_t KH, int64_t KW)
{
	struct aimet_conv2d g = { 1, 20, 23, KH, KW, 1, 1, 1, 1, 0, 0, 20 - KH + 1, 23 - KW + 1 };
	int64_t T = KH * KW, P = g.OH * g.OW;
	float *x = malloc(sizeof(float) * 20 * 23), *w = malloc(sizeof(float) * (size_t)T);
	float *y = malloc(sizeof(float) * (size_t)P), *e = malloc(sizeof(float) * (size_t)P);
	float *scratch = malloc(sizeof(float) * aimet_depthwise_scratch(&g));
	float bias = 0.25f;
	fill(x, 20 * 23);
	fill(w, T);
	aimet_depthwise_plane(&g, x, w, bias, -INFINITY, INFINITY, y, scratch);
	for (int64_t oh = 0; oh < g.OH; oh++)
		for (int64_t ow = 0; ow < g.OW; ow++) {
			float c = 0;
			int64_t t = 0;
#define TAP(i) (w[i] * x[(oh + (i) / KW) * 23 + ow + (i) % KW])
			for (; t + 4 <= T; t += 4) {
				float p0 = TAP(t), p1 = TAP(t + 1), p2 = TAP(t + 2), p3 = TAP(t + 3);
				c = (((p0 + p1) + p2) + p3) + c;
			}
			if (T - t >= 2) {
				float p0 = TAP(t), p1 = TAP(t + 1);
				c = (p0 + p1) + c;
				t += 2;
			}
			if (t < T)
				c = TAP(t) + c;
#undef TAP
			e[oh * g.OW + ow] = c + bias;
		}
	CHECK(same_bits(y, e, P), "depthwise %lldx%lld differs from MLAS's order", (long long)KH, (long long)KW);
	free(x), free(w), free(y), free(e), free(scratch);
}

int main(void)
{
	/* K below, at and above the block (128), N above and below K (wider blocks) */
	int64_t shapes[][3] = { {7, 200, 27}, {16, 300, 128}, {24, 256, 240}, {5, 40, 1440},
	                        {9, 100, 300}, {33, 17, 500}, {3, 1000, 129} };
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
		check_cgemm(shapes[i][0], shapes[i][1], shapes[i][2]);
	/* one column: rows in groups of four, then a pair, then one */
	for (int64_t M = 1; M <= 7; M++)
		check_gemv(M, 37);
	check_gemv(480, 120);
	check_depthwise(3, 3);
	check_depthwise(5, 5);
	check_depthwise(1, 3);
	check_depthwise(7, 7);
	/* the blocks MLAS uses */
	CHECK(aimet_gemm_kstride(3840, 27, 0) == 32, "kstride small K");
	CHECK(aimet_gemm_kstride(120, 240, 0) == 128, "kstride N = K / 2");
	CHECK(aimet_gemm_kstride(40, 1440, 0) == 256, "kstride N < K");
	CHECK(aimet_gemm_kstride(1, 480, 0) == 1024, "kstride N = 1");
	return test_done();
}
