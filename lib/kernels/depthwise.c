/* depthwise.c: direct depthwise convolution, one (image, channel) plane per call. The input is
 * first copied into zero-padded scratch planes split by (row, column) phase of the stride:
 * phase (pr, pc) holds padded rows i*SH + pr and columns q*SW + pc. In that layout every tap
 * of every output reads phase plane t at a fixed offset from the output's position in a grid
 * as wide as the phase rows (Wq), so each tap is one long contiguous multiply-add over the
 * whole plane, whatever the stride or dilation; the extra columns are dropped at the end.
 * Each output sums its taps in the order of ONNX Runtime's single-row GEMM kernel (which its
 * CPU convolution uses for depthwise layers): products rounded on their own (no fused
 * multiply-add), added in groups of four taps, ((t0 + t1) + t2) + t3, each group added to the
 * running sum, then a pair, then a last tap; the bias after. A quantized model turns a one-ulp
 * difference at a rounding boundary into a whole grid step that grows through the layers, so
 * the simulation must give ONNX Runtime's bits on the exported QDQ model. */
#include "aimet_kernels.h"

#include <string.h>

/* Output-grid floats per pass: the accumulator stays in L1 across all taps. */
#define CHUNK 512

struct dw_dims { int64_t Hq, Wq, tail, plane; };

static void dw_dims(const struct aimet_conv2d *g, struct dw_dims *d)
{
	d->Hq = g->OH + ((g->KH - 1) * g->DH) / g->SH;
	d->Wq = g->OW + ((g->KW - 1) * g->DW) / g->SW;
	/* reads for the dropped columns of the last row run past the plane by at most this */
	d->tail = ((g->KW - 1) * g->DW) / g->SW;
	d->plane = d->Hq * d->Wq + d->tail;
}

/* Start of tap t's (row-major over the window) plane for output-grid offset f0. */
static const float *tap(const struct aimet_conv2d *g, const struct dw_dims *d, const float *scratch,
                        int64_t t, int64_t f0)
{
	int64_t rh = (t / g->KW) * g->DH, rw = (t % g->KW) * g->DW;
	return scratch + ((rh % g->SH) * g->SW + rw % g->SW) * d->plane + (rh / g->SH) * d->Wq +
	       rw / g->SW + f0;
}

size_t aimet_depthwise_scratch(const struct aimet_conv2d *g)
{
	struct dw_dims d;
	dw_dims(g, &d);
	return (size_t)(g->SH * g->SW * d.plane + g->OH * d.Wq);
}

AIMET_KERNEL_CLONES
void aimet_depthwise_plane(const struct aimet_conv2d *g, const float *x, const float *w,
                           float bias, float lo, float hi, float *y, float *scratch)
{
	const int64_t H = g->H, W = g->W, SH = g->SH, SW = g->SW;
	struct dw_dims d;
	float *restrict acc;
	int64_t total, T = g->KH * g->KW;
	dw_dims(g, &d);
	acc = scratch + SH * SW * d.plane;
	total = g->OH * d.Wq;
	/* zero every phase plane in one long pass, then copy each row's valid run: cheaper than
	 * three short loops per row on the small planes of MobileNet-style models */
	for (int64_t i = 0; i < SH * SW * d.plane; i++)
		scratch[i] = 0;
	for (int64_t pr = 0; pr < SH; pr++)
		for (int64_t pc = 0; pc < SW; pc++) {
			float *restrict ph = scratch + (pr * SW + pc) * d.plane;
			/* columns q with 0 <= q*SW + pc - PW < W */
			int64_t base = pc - g->PW;
			int64_t qlo = base >= 0 ? 0 : (-base + SW - 1) / SW;
			int64_t qhi = W - 1 - base < 0 ? 0 : (W - 1 - base) / SW + 1;
			if (qhi > d.Wq)
				qhi = d.Wq;
			if (qlo >= qhi)
				continue;
			for (int64_t i = 0; i < d.Hq; i++) {
				float *restrict r = ph + i * d.Wq;
				int64_t ih = i * SH + pr - g->PH;
				if (ih < 0 || ih >= H)
					continue;
				const float *restrict xr = x + ih * W + base;
				if (SW == 1)
					for (int64_t q = qlo; q < qhi; q++)
						r[q] = xr[q];
				else if (SW == 2)  /* a constant stride vectorises as shuffles */
					for (int64_t q = qlo; q < qhi; q++)
						r[q] = xr[q * 2];
				else
					for (int64_t q = qlo; q < qhi; q++)
						r[q] = xr[q * SW];
			}
		}
	for (int64_t f0 = 0; f0 < total; f0 += CHUNK) {
		int64_t n = total - f0 < CHUNK ? total - f0 : CHUNK;
		float *restrict a = acc + f0;
		/* 3x3: all nine taps in one pass; else one pass per group of four taps (fewer trips
		 * of the accumulator through L1) */
		if (g->KH == 3 && g->KW == 3) {
			const float *p[9];
			for (int64_t t = 0; t < 9; t++)
				p[t] = tap(g, &d, scratch, t, f0);
			const float *restrict p0 = p[0], *restrict p1 = p[1], *restrict p2 = p[2];
			const float *restrict p3 = p[3], *restrict p4 = p[4], *restrict p5 = p[5];
			const float *restrict p6 = p[6], *restrict p7 = p[7], *restrict p8 = p[8];
			const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
			const float w6 = w[6], w7 = w[7], w8 = w[8];
			for (int64_t i = 0; i < n; i++) {
				float g0 = w0 * p0[i] + w1 * p1[i] + w2 * p2[i] + w3 * p3[i];
				float g1 = w4 * p4[i] + w5 * p5[i] + w6 * p6[i] + w7 * p7[i];
				a[i] = w8 * p8[i] + (g1 + g0);
			}
			continue;
		}
		for (int64_t i = 0; i < n; i++)
			a[i] = 0;
		/* taps in groups of four, then a pair, then one (see the comment at the top) */
		for (int64_t t = 0; t < T;) {
			int64_t k = T - t >= 4 ? 4 : T - t >= 2 ? 2 : 1;
			const float *restrict q0 = tap(g, &d, scratch, t, f0);
			const float v0 = w[t];
			if (k == 4) {
				const float *restrict q1 = tap(g, &d, scratch, t + 1, f0);
				const float *restrict q2 = tap(g, &d, scratch, t + 2, f0);
				const float *restrict q3 = tap(g, &d, scratch, t + 3, f0);
				const float v1 = w[t + 1], v2 = w[t + 2], v3 = w[t + 3];
				for (int64_t i = 0; i < n; i++)
					a[i] = (v0 * q0[i] + v1 * q1[i] + v2 * q2[i] + v3 * q3[i]) + a[i];
			} else if (k == 2) {
				const float *restrict q1 = tap(g, &d, scratch, t + 1, f0);
				const float v1 = w[t + 1];
				for (int64_t i = 0; i < n; i++)
					a[i] = (v0 * q0[i] + v1 * q1[i]) + a[i];
			} else {
				for (int64_t i = 0; i < n; i++)
					a[i] = v0 * q0[i] + a[i];
			}
			t += k;
		}
	}
	for (int64_t oh = 0; oh < g->OH; oh++) {
		const float *restrict a = acc + oh * d.Wq;
		float *restrict yo = y + oh * g->OW;
		for (int64_t ow = 0; ow < g->OW; ow++) {
			float v = a[ow] + bias;
			v = v < lo ? lo : v;
			yo[ow] = v > hi ? hi : v;
		}
	}
}
