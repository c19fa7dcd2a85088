/* im2col.c: the column panels behind GEMM convolution (im2col for Conv, col2im for
 * ConvTranspose), for a slice of pixels at a time so the workspace stays bounded. */
#include "aimet_kernels.h"

#include <string.h>

/* Of the positions i in [0, run), those with 0 <= base + i*step < size form [*lo, *hi). */
static void valid_range(int64_t base, int64_t step, int64_t size, int64_t run, int64_t *lo, int64_t *hi)
{
	int64_t l = base >= 0 ? 0 : (-base + step - 1) / step;
	int64_t h = size - 1 - base < 0 ? 0 : (size - 1 - base) / step + 1;
	if (h > run)
		h = run;
	if (l > h)
		l = h;
	*lo = l;
	*hi = h;
}

/* One output row's run of the panel: r[i] = xr[iw0 + i*SW], zero outside [lo, hi). Runs are
 * short (one output row), so plain loops beat library calls here. */
static inline __attribute__((always_inline)) void im2col_run(float *restrict r, const float *restrict xr,
                                                           int64_t iw0, int64_t SW, int64_t lo,
                                                           int64_t hi, int64_t run)
{
	for (int64_t i = 0; i < lo; i++)
		r[i] = 0;
	if (SW == 1)
		for (int64_t i = lo; i < hi; i++)
			r[i] = xr[iw0 + i];
	else
		for (int64_t i = lo; i < hi; i++)
			r[i] = xr[iw0 + i * SW];
	for (int64_t i = hi; i < run; i++)
		r[i] = 0;
}

AIMET_KERNEL_CLONES
void aimet_im2col_panel_ld(const struct aimet_conv2d *g, const float *x, int64_t p0, int64_t np,
                           float *col, int64_t ldcol)
{
	const int64_t H = g->H, W = g->W, OW = g->OW, SW = g->SW;
	for (int64_t kw = 0; kw < g->KW; kw++) {
		/* the valid columns of a whole output row depend on kw only: no division per run */
		int64_t base = kw * g->DW - g->PW, flo, fhi;
		valid_range(base, SW, W, OW, &flo, &fhi);
		for (int64_t c = 0; c < g->C; c++)
			for (int64_t kh = 0; kh < g->KH; kh++) {
				float *restrict row = col + ((c * g->KH + kh) * g->KW + kw) * ldcol;
				const float *xc = x + c * H * W;
				int64_t oh = p0 / OW, ow = p0 % OW;
				for (int64_t p = 0; p < np;) {
					int64_t run = OW - ow < np - p ? OW - ow : np - p;
					int64_t ih = oh * g->SH - g->PH + kh * g->DH;
					float *restrict r = row + p;
					if (ih < 0 || ih >= H) {
						for (int64_t i = 0; i < run; i++)
							r[i] = 0;
					} else if (ow == 0 && run == OW) {
						im2col_run(r, xc + ih * W, base, SW, flo, fhi, run);
					} else {
						int64_t iw0 = ow * SW + base, lo, hi;
						valid_range(iw0, SW, W, run, &lo, &hi);
						im2col_run(r, xc + ih * W, iw0, SW, lo, hi, run);
					}
					p += run;
					ow = 0;
					oh++;
				}
			}
	}
}

void aimet_im2col_panel(const struct aimet_conv2d *g, const float *x, int64_t p0, int64_t np,
                        float *col)
{
	aimet_im2col_panel_ld(g, x, p0, np, col, np);
}

AIMET_KERNEL_CLONES
void aimet_col2im_panel_add(const struct aimet_conv2d *g, const float *col, int64_t p0, int64_t np,
                            float *y)
{
	const int64_t W = g->W, OH = g->OH, OW = g->OW, SW = g->SW;
	for (int64_t c = 0; c < g->C; c++)
		for (int64_t kh = 0; kh < g->KH; kh++)
			for (int64_t kw = 0; kw < g->KW; kw++) {
				const float *restrict row = col + ((c * g->KH + kh) * g->KW + kw) * np;
				int64_t ih = p0 / W, iw = p0 % W;
				for (int64_t p = 0; p < np;) {
					int64_t run = W - iw < np - p ? W - iw : np - p;
					int64_t oh = ih * g->SH - g->PH + kh * g->DH;
					if (oh >= 0 && oh < OH) {
						float *restrict yr = y + (c * OH + oh) * OW;
						const float *restrict r = row + p;
						int64_t ow0 = iw * SW - g->PW + kw * g->DW, lo, hi;
						valid_range(ow0, SW, OW, run, &lo, &hi);
						if (SW == 1)
							for (int64_t i = lo; i < hi; i++)
								yr[ow0 + i] += r[i];
						else
							for (int64_t i = lo; i < hi; i++)
								yr[ow0 + i * SW] += r[i];
					}
					p += run;
					iw = 0;
					ih++;
				}
			}
}

AIMET_KERNEL_CLONES
void aimet_col2im_panel_store(const struct aimet_conv2d *g, const float *col, int64_t p0, int64_t np,
                              float *y, const float *bias, float lo, float hi)
{
	const int64_t W = g->W, OW = g->OW, SH = g->SH, SW = g->SW;
	for (int64_t c = 0; c < g->C; c++) {
		const float b = bias ? bias[c] : 0.0f;
		for (int64_t kh = 0; kh < g->KH; kh++)
			for (int64_t kw = 0; kw < g->KW; kw++) {
				const float *restrict row = col + ((c * g->KH + kh) * g->KW + kw) * np;
				int64_t ih = p0 / W, iw = p0 % W;
				for (int64_t p = 0; p < np;) {
					int64_t run = W - iw < np - p ? W - iw : np - p;
					float *restrict yr = y + (c * g->OH + ih * SH + kh) * OW + iw * SW + kw;
					const float *restrict r = row + p;
					for (int64_t i = 0; i < run; i++) {
						float v = r[i] + b;
						v = v < lo ? lo : v;
						yr[i * SW] = v > hi ? hi : v;
					}
					p += run;
					iw = 0;
					ih++;
				}
			}
	}
}
