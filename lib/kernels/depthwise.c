/* depthwise.c: direct depthwise convolution, one (image, channel) plane per call. The input is
 * first copied into a zero-padded scratch split by column phase (column q*SW + p goes to phase
 * p), so every tap of every stride reads a contiguous row and the loop over output columns
 * vectorises with no bounds checks. 3x3 and 5x5 at horizontal stride 1 and 2 have unrolled
 * fast paths (MobileNet/PP-OCR layers); anything else takes the generic loop. */
#include "aimet_kernels.h"

#include <string.h>

static int64_t pad_rows(const struct aimet_conv2d *g) { return (g->OH - 1) * g->SH + (g->KH - 1) * g->DH + 1; }
static int64_t phase_cols(const struct aimet_conv2d *g) { return g->OW + ((g->KW - 1) * g->DW) / g->SW; }

size_t aimet_depthwise_scratch(const struct aimet_conv2d *g)
{
	return (size_t)(g->SW * pad_rows(g) * phase_cols(g));
}

/* Scratch phase p, row r, column q holds x[r - PH][q*SW + p - PW] (zero outside x). */
static inline __attribute__((always_inline)) void pad_split(const struct aimet_conv2d *g,
                                                          const float *restrict x, float *restrict s,
                                                          int64_t Hp, int64_t Wq)
{
	const int64_t H = g->H, W = g->W, SW = g->SW;
	for (int64_t p = 0; p < SW; p++)
		for (int64_t r = 0; r < Hp; r++) {
			float *restrict d = s + (p * Hp + r) * Wq;
			int64_t ih = r - g->PH, base = p - g->PW, lo, hi;
			if (ih < 0 || ih >= H) {
				memset(d, 0, (size_t)Wq * sizeof(float));
				continue;
			}
			lo = base >= 0 ? 0 : (-base + SW - 1) / SW;
			hi = W - 1 - base < 0 ? 0 : (W - 1 - base) / SW + 1;
			if (hi > Wq)
				hi = Wq;
			if (lo > hi)
				lo = hi;
			const float *restrict xr = x + ih * W + base;
			memset(d, 0, (size_t)lo * sizeof(float));
			if (SW == 1)
				memcpy(d + lo, xr + lo, (size_t)(hi - lo) * sizeof(float));
			else
				for (int64_t q = lo; q < hi; q++)
					d[q] = xr[q * SW];
			memset(d + hi, 0, (size_t)(Wq - hi) * sizeof(float));
		}
}

/* K x K taps, horizontal stride SWC, no dilation; K and SWC are constants after
 * inlining so the tap loops unroll and the column loop vectorises. */
static inline __attribute__((always_inline)) void dw_fixed(const struct aimet_conv2d *g,
                                                         const float *restrict s, int64_t Hp,
                                                         int64_t Wq, const float *restrict w,
                                                         float bias, float lo, float hi,
                                                         float *restrict y, const int K,
                                                         const int SWC)
{
	const int64_t OW = g->OW, plane = Hp * Wq;
	float wt[25];
	for (int t = 0; t < K * K; t++)
		wt[t] = w[t];
	for (int64_t oh = 0; oh < g->OH; oh++) {
		const float *restrict b = s + oh * g->SH * Wq;
		float *restrict yo = y + oh * OW;
		for (int64_t ow = 0; ow < OW; ow++) {
			float acc = 0;
#pragma GCC unroll 5
			for (int kh = 0; kh < K; kh++)
#pragma GCC unroll 5
				for (int kw = 0; kw < K; kw++)
					acc += wt[kh * K + kw] * b[kh * Wq + (kw % SWC) * plane + kw / SWC + ow];
			acc += bias;
			acc = acc < lo ? lo : acc;
			yo[ow] = acc > hi ? hi : acc;
		}
	}
}

static void dw_generic(const struct aimet_conv2d *g, const float *restrict s, int64_t Hp, int64_t Wq,
                       const float *restrict w, float bias, float lo, float hi, float *restrict y)
{
	const int64_t OW = g->OW, plane = Hp * Wq;
	for (int64_t oh = 0; oh < g->OH; oh++) {
		float *restrict yo = y + oh * OW;
		for (int64_t ow = 0; ow < OW; ow++)
			yo[ow] = 0;
		for (int64_t kh = 0; kh < g->KH; kh++)
			for (int64_t kw = 0; kw < g->KW; kw++) {
				int64_t off = kw * g->DW;
				const float *restrict r = s + (off % g->SW) * plane +
				                          (oh * g->SH + kh * g->DH) * Wq + off / g->SW;
				const float wv = w[kh * g->KW + kw];
				for (int64_t ow = 0; ow < OW; ow++)
					yo[ow] += wv * r[ow];
			}
		for (int64_t ow = 0; ow < OW; ow++) {
			float v = yo[ow] + bias;
			v = v < lo ? lo : v;
			yo[ow] = v > hi ? hi : v;
		}
	}
}

AIMET_KERNEL_CLONES
void aimet_depthwise_plane(const struct aimet_conv2d *g, const float *x, const float *w,
                           float bias, float lo, float hi, float *y, float *scratch)
{
	const int64_t Hp = pad_rows(g), Wq = phase_cols(g);
	pad_split(g, x, scratch, Hp, Wq);
	if (g->KH == g->KW && g->DW == 1 && g->DH == 1 && (g->KH == 3 || g->KH == 5) && (g->SW == 1 || g->SW == 2)) {
		if (g->KH == 3 && g->SW == 1)
			dw_fixed(g, scratch, Hp, Wq, w, bias, lo, hi, y, 3, 1);
		else if (g->KH == 3)
			dw_fixed(g, scratch, Hp, Wq, w, bias, lo, hi, y, 3, 2);
		else if (g->SW == 1)
			dw_fixed(g, scratch, Hp, Wq, w, bias, lo, hi, y, 5, 1);
		else
			dw_fixed(g, scratch, Hp, Wq, w, bias, lo, hi, y, 5, 2);
		return;
	}
	dw_generic(g, scratch, Hp, Wq, w, bias, lo, hi, y);
}
