/* convgemm.c: the register-blocked GEMM behind convolution with up to a hundred-odd output
 * channels: weights packed per run into row blocks, and a B operand whose row k is any offset
 * (a tap's shifted view of a padded input split by stride phase, or an im2col panel row), so
 * no BLAS packing copy and no pass over the output per tap; plus the phase fill and copy-out
 * helpers. Each output is summed in ONNX Runtime's order (aimet_kernels.h): k in blocks of
 * ks, each a chain of fused multiply-adds from zero, added to the sum so far: the same bits
 * whatever the tiling or thread count. */
#include "aimet_kernels.h"

#include <math.h>
#include <string.h>

/* One kernel per instruction set: VW floats per vector, MB rows x PB (up to 3) vectors of
 * accumulators kept in registers for the whole K loop (AVX-512: 24 of 32 registers; AVX2: 12
 * of 16). */
#define CG_TILE(NAME, ATTR, VW, MB, PB)                                                          \
	ATTR static void NAME##_tile##PB(int64_t K, int64_t ks, const float *restrict w,          \
	                                 const float *B, const int64_t *restrict roff, float *C,  \
	                                 int64_t ldc)                                             \
	{                                                                                        \
		int64_t k0 = 0;                                                                  \
		do {                                                                             \
			int64_t k1 = K - k0 < ks ? K : k0 + ks;                                  \
			NAME##_v acc[MB][PB];                                                    \
			for (int m = 0; m < MB; m++)                                             \
				for (int p = 0; p < PB; p++)                                     \
					acc[m][p] = (NAME##_v){0};                               \
			for (int64_t k = k0; k < k1; k++) {                                      \
				const float *b = B + roff[k];                                    \
				NAME##_v x[PB];                                                  \
				for (int p = 0; p < PB; p++)                                     \
					x[p] = NAME##_ld(b + p * VW);                            \
				for (int m = 0; m < MB; m++) {                                   \
					NAME##_v wv = w[k * MB + m] - (NAME##_v){0}; /* broadcast */ \
					for (int p = 0; p < PB; p++)                             \
						acc[m][p] = NAME##_fma(wv, x[p], acc[m][p]);     \
				}                                                                \
			}                                                                        \
			for (int m = 0; m < MB; m++)                                             \
				for (int p = 0; p < PB; p++) {                                   \
					float *c = C + m * ldc + p * VW;                         \
					*(NAME##_u *)c = k0 ? NAME##_ld(c) + acc[m][p] : acc[m][p]; \
				}                                                                \
		} while ((k0 += ks) < K);                                                        \
	}

/* Column blocks of 3 vectors, the last one or two of 1 or 2: columns round up to one vector. */
#define CG_KERNEL(NAME, ATTR, VW, MB, FMA)                                                       \
	typedef float NAME##_v __attribute__((vector_size(VW * 4)));                              \
	/* the same, unaligned and aliasing anything: stores straight from the registers */      \
	typedef float NAME##_u __attribute__((vector_size(VW * 4), aligned(4), may_alias));       \
	ATTR static inline NAME##_v NAME##_ld(const float *p)                                     \
	{                                                                                        \
		NAME##_v v;                                                                      \
		memcpy(&v, p, sizeof v);                                                         \
		return v;                                                                        \
	}                                                                                        \
	ATTR static inline NAME##_v NAME##_fma(NAME##_v a, NAME##_v b, NAME##_v c)                \
	{                                                                                        \
		return FMA(a, b, c);                                                             \
	}                                                                                        \
	CG_TILE(NAME, ATTR, VW, MB, 1)                                                           \
	CG_TILE(NAME, ATTR, VW, MB, 2)                                                           \
	CG_TILE(NAME, ATTR, VW, MB, 3)                                                           \
	ATTR static void NAME##_run(const float *wp, int64_t Mpad, int64_t K, int64_t ks,         \
	                            const float *B, const int64_t *roff, int64_t ncols, float *C, \
	                            int64_t ldc)                                                  \
	{                                                                                        \
		for (int64_t j = 0; j < ncols;) {                                                \
			int64_t left = ncols - j;                                                \
			int pb = left > 2 * VW ? 3 : left > VW ? 2 : 1;                          \
			for (int64_t m = 0; m < Mpad; m += MB) {                                 \
				const float *wm = wp + m * K;                                    \
				float *cm = C + m * ldc + j;                                     \
				if (pb == 3)                                                     \
					NAME##_tile3(K, ks, wm, B + j, roff, cm, ldc);               \
				else if (pb == 2)                                                \
					NAME##_tile2(K, ks, wm, B + j, roff, cm, ldc);               \
				else                                                             \
					NAME##_tile1(K, ks, wm, B + j, roff, cm, ldc);               \
			}                                                                        \
			j += pb * VW;                                                            \
		}                                                                                \
	}

/* Fused multiply-adds, written out (the build turns off contraction so that expressions
 * round alike on every CPU): one rounding per step in every clone, the portable one through
 * fmaf, so each CPU gets the same bits. */
typedef float cg_v4 __attribute__((vector_size(16)));
static inline cg_v4 cg_fma4(cg_v4 a, cg_v4 b, cg_v4 c)
{
	for (int i = 0; i < 4; i++)
		c[i] = fmaf(a[i], b[i], c[i]);
	return c;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CG_X86 1
#include <immintrin.h>
_Pragma("GCC push_options")
_Pragma("GCC optimize(\"O3\")")
CG_KERNEL(cg512, __attribute__((target("arch=x86-64-v4"))), 16, 8, _mm512_fmadd_ps)
CG_KERNEL(cg256, __attribute__((target("arch=x86-64-v3"))), 8, 4, _mm256_fmadd_ps)
CG_KERNEL(cg128, , 4, 4, cg_fma4)
_Pragma("GCC pop_options")
#else
CG_KERNEL(cg128, , 4, 4, cg_fma4)
#endif

#ifdef CG_X86
/* Transposed tiles (AVX-512 only): vectors over MV*16 output channels, each of PB output
 * pixels broadcast from its own offset pix[p], so no column of the grid is computed in vain.
 * Each output is the same k-ordered chain of fused multiply-adds as in the tiles above. */
typedef float cgt_v __attribute__((vector_size(64)));
typedef float cgt_u __attribute__((vector_size(64), aligned(4), may_alias));
#define CGT_TILE(MV, PB)                                                                         \
	__attribute__((target("arch=x86-64-v4"))) static void cgt_tile_##MV##_##PB(              \
		int64_t K, int64_t ks, const float *restrict w, const float *B,                     \
		const int64_t *restrict roff, const int64_t *pix, float *restrict out)             \
	{                                                                                        \
		const float *bp[PB];                                                             \
		int64_t k0 = 0;                                                                  \
		for (int p = 0; p < PB; p++)                                                     \
			bp[p] = B + pix[p];                                                      \
		do {                                                                             \
			int64_t k1 = K - k0 < ks ? K : k0 + ks;                                  \
			cgt_v acc[PB][MV];                                                       \
			for (int p = 0; p < PB; p++)                                             \
				for (int v = 0; v < MV; v++)                                     \
					acc[p][v] = (cgt_v){0};                                  \
			for (int64_t k = k0; k < k1; k++) {                                      \
				const int64_t o = roff[k];                                       \
				cgt_v wv[MV];                                                    \
				for (int v = 0; v < MV; v++)                                     \
					memcpy(&wv[v], w + (k * MV + v) * 16, sizeof(cgt_v));   \
				for (int p = 0; p < PB; p++) {                                   \
					cgt_v xb = bp[p][o] - (cgt_v){0}; /* a broadcast */      \
					for (int v = 0; v < MV; v++)                             \
						acc[p][v] = _mm512_fmadd_ps(wv[v], xb, acc[p][v]); \
				}                                                                \
			}                                                                        \
			for (int p = 0; p < PB; p++)                                             \
				for (int v = 0; v < MV; v++) {                                   \
					cgt_v *o = (cgt_v *)(out + (p * MV + v) * 16);           \
					*o = k0 ? *o + acc[p][v] : acc[p][v];                    \
				}                                                                \
		} while ((k0 += ks) < K);                                                        \
	}
_Pragma("GCC push_options")
_Pragma("GCC optimize(\"O3\")")
CGT_TILE(1, 12)
CGT_TILE(2, 12)
CGT_TILE(3, 8)
CGT_TILE(4, 6)
_Pragma("GCC pop_options")
#endif

/* 0 portable, 1 AVX2+FMA, 2 AVX-512; a build may pin a lower one with -DAIMET_CGEMM_LEVEL=N
 * (how the other kernels get tested on a machine that has the best). */
static int cg_level(void)
{
#if defined(CG_X86) && defined(AIMET_CGEMM_LEVEL)
	return AIMET_CGEMM_LEVEL;
#elif defined(CG_X86)
	/* libgcc fills the CPU model in a constructor: plain reads, safe from any thread */
	/* what arch=x86-64-v4 and -v3 may use */
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
		return 2;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
	    __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("f16c"))
		return 1;
	return 0;
#else
	return 0;
#endif
}

void aimet_cgemm_shape(int *mb, int *vb)
{
	switch (cg_level()) {
#ifdef CG_X86
	case 2: *mb = 8; *vb = 16; return;
	case 1: *mb = 4; *vb = 8; return;
#endif
	default: *mb = 4; *vb = 4; return;
	}
}

void aimet_cgemm_pack(const float *w, int64_t M, int64_t K, int64_t ldw, float *wp)
{
	int mb, vb;
	aimet_cgemm_shape(&mb, &vb);
	for (int64_t m0 = 0; m0 < M; m0 += mb)
		for (int64_t k = 0; k < K; k++)
			for (int r = 0; r < mb; r++)
				wp[(m0 * K) + k * mb + r] = m0 + r < M ? w[(m0 + r) * ldw + k] : 0.0f;
}

void aimet_cgemm_run(const float *wp, int64_t Mpad, int64_t K, int64_t ks, const float *B,
                     const int64_t *roff, int64_t ncols, float *C, int64_t ldc)
{
	switch (cg_level()) {
#ifdef CG_X86
	case 2: cg512_run(wp, Mpad, K, ks, B, roff, ncols, C, ldc); return;
	case 1: cg256_run(wp, Mpad, K, ks, B, roff, ncols, C, ldc); return;
#endif
	default: cg128_run(wp, Mpad, K, ks, B, roff, ncols, C, ldc); return;
	}
}

/* Short-row copies for the phase fill: whole vectors and one overlapping last vector, so a
 * row of tens of floats costs a few instructions instead of a vector loop's set-up. */
typedef float cgf16 __attribute__((vector_size(64)));
typedef float cgf8 __attribute__((vector_size(32)));
typedef int cgi8 __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) void cg_zero(float *d, int64_t n)
{
	const cgf16 z = {0};
	int64_t i = 0;
	for (; i + 16 <= n; i += 16)
		memcpy(d + i, &z, sizeof z);
	for (; i < n; i++)
		d[i] = 0;
}

static inline __attribute__((always_inline)) void cg_copy(float *restrict d, const float *restrict x,
                                                         int64_t n)
{
	int64_t i = 0;
	if (n >= 16) {
		cgf16 v;
		for (; i + 16 <= n; i += 16) {
			memcpy(&v, x + i, sizeof v);
			memcpy(d + i, &v, sizeof v);
		}
		if (i < n) {
			memcpy(&v, x + n - 16, sizeof v);
			memcpy(d + n - 16, &v, sizeof v);
		}
		return;
	}
	if (n >= 8) {
		cgf8 u, w;
		memcpy(&u, x, sizeof u);
		memcpy(&w, x + n - 8, sizeof w);
		memcpy(d, &u, sizeof u);
		memcpy(d + n - 8, &w, sizeof w);
		return;
	}
	for (; i < n; i++)
		d[i] = x[i];
}

/* d[j] = x[2j] for j < n, reading no further than x[2n - 2] */
static inline __attribute__((always_inline)) void cg_copy_even(float *restrict d, const float *restrict x,
                                                              int64_t n)
{
	int64_t j = 0;
	for (; j + 9 <= n; j += 8) {
		cgf8 lo, hi, e;
		memcpy(&lo, x + 2 * j, sizeof lo);
		memcpy(&hi, x + 2 * j + 8, sizeof hi);
#ifdef __clang__
		e = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
#else
		e = __builtin_shuffle(lo, hi, (cgi8){0, 2, 4, 6, 8, 10, 12, 14});
#endif
		memcpy(d + j, &e, sizeof e);
	}
	for (; j < n; j++)
		d[j] = x[2 * j];
}

/* Phase (pr, pc) of output rows [r0, r0 + Rq) of one input plane x: Rq rows of Wq columns,
 * row i holding padded row (r0 + i)*SH + pr at columns j*SW + pc, zero in the padding, and
 * zeros after it up to `plane` floats. */
AIMET_KERNEL_CLONES
void aimet_cgemm_fill_phase(const struct aimet_conv2d *v, const float *x, int64_t r0, int64_t Rq,
                            int64_t Wq, int64_t pr, int64_t pc, float *d, int64_t plane)
{
	const int64_t SW = v->SW, base = pc - v->PW;
	/* columns j with 0 <= j*SW + base < W */
	int64_t jlo = base >= 0 ? 0 : (-base + SW - 1) / SW;
	int64_t jhi = v->W - 1 - base < 0 ? 0 : (v->W - 1 - base) / SW + 1;
	if (jhi > Wq)
		jhi = Wq;
	if (jlo > jhi)
		jlo = jhi;
	if (jlo == jhi) {
		cg_zero(d, plane);
		return;
	}
	/* each float stored once: rows in the padding zeroed whole, the others as their edge
	 * zeros and the valid run (edges are a column or two) */
	for (int64_t i = 0; i < Rq; i++) {
		float *restrict r = d + i * Wq;
		int64_t ih = (r0 + i) * v->SH + pr - v->PH;
		if (ih < 0 || ih >= v->H) {
			cg_zero(r, Wq);
			continue;
		}
		const float *restrict xr = x + ih * v->W + jlo * SW + base;
		for (int64_t j = 0; j < jlo; j++)
			r[j] = 0;
		if (SW == 1)
			cg_copy(r + jlo, xr, jhi - jlo);
		else if (SW == 2)
			cg_copy_even(r + jlo, xr, jhi - jlo);
		else
			for (int64_t j = 0; j < jhi - jlo; j++)
				r[jlo + j] = xr[j * SW];
		for (int64_t j = jhi; j < Wq; j++)
			r[j] = 0;
	}
	cg_zero(d + Rq * Wq, plane - Rq * Wq);
}

AIMET_KERNEL_CLONES
void aimet_cgemm_unpack(const float *ct, int64_t ldc, int64_t M, int64_t rows, int64_t Wq,
                        int64_t OW, float *y, int64_t ldy)
{
	for (int64_t m = 0; m < M; m++)
		for (int64_t oh = 0; oh < rows; oh++) {
			const float *restrict src = ct + m * ldc + oh * Wq;
			float *restrict dst = y + m * ldy + oh * OW;
			for (int64_t ow = 0; ow < OW; ow++)
				dst[ow] = src[ow];
		}
}

int aimet_cgemm_t_avail(void)
{
	return cg_level() == 2;
}

int aimet_cgemm_t_pixels(int64_t M)
{
	int64_t mv = (M + 15) / 16;
	return mv >= 4 ? 6 : mv == 3 ? 8 : 12;
}

/* [chunk of 64 channels][k][channels of the chunk, rounded up to 16] */
void aimet_cgemm_t_pack(const float *w, int64_t M, int64_t K, int64_t ldw, float *wt)
{
	for (int64_t m0 = 0; m0 < M; m0 += 64) {
		int64_t mc = (M - m0 < 64 ? M - m0 : 64 + 0), mt = (mc + 15) / 16 * 16;
		float *d = wt + m0 * K;
		for (int64_t k = 0; k < K; k++)
			for (int64_t r = 0; r < mt; r++)
				d[k * mt + r] = r < mc ? w[(m0 + r) * ldw + k] : 0.0f;
	}
}

void aimet_cgemm_t_run(const float *wt, int64_t M, int64_t K, int64_t ks, const float *B,
                       const int64_t *roff, const int64_t *pix, int64_t npix, float *y, int64_t ldy)
{
#ifdef CG_X86
	float out[12 * 64] __attribute__((aligned(64)));
	for (int64_t m0 = 0; m0 < M; m0 += 64) {
		int64_t mc = M - m0 < 64 ? M - m0 : 64, mv = (mc + 15) / 16;
		int pb = mv >= 4 ? 6 : mv == 3 ? 8 : 12;
		const float *wc = wt + m0 * K;
		for (int64_t j0 = 0; j0 < npix; j0 += pb) {
			int64_t n = npix - j0 < pb ? npix - j0 : pb, pj[12];
			for (int p = 0; p < pb; p++)
				pj[p] = pix[j0 + (p < n ? p : n - 1)];
			switch (mv) {
			case 1: cgt_tile_1_12(K, ks, wc, B, roff, pj, out); break;
			case 2: cgt_tile_2_12(K, ks, wc, B, roff, pj, out); break;
			case 3: cgt_tile_3_8(K, ks, wc, B, roff, pj, out); break;
			default: cgt_tile_4_6(K, ks, wc, B, roff, pj, out); break;
			}
			for (int64_t m = 0; m < mc; m++) {
				float *yr = y + (m0 + m) * ldy + j0;
				for (int64_t p = 0; p < n; p++)
					yr[p] = out[p * mv * 16 + m];
			}
		}
	}
#else
	(void)wt; (void)M; (void)K; (void)ks; (void)B; (void)roff; (void)pix; (void)npix; (void)y; (void)ldy;
#endif
}
