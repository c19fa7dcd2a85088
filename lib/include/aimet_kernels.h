/* aimet_kernels.h: fast float32 kernels shared by the ops (lib/kernels/): GEMM over OpenBLAS in a
 * fixed grid of output tiles, im2col panels, direct depthwise convolution. Kernels cannot fail. */
#ifndef AIMET_KERNELS_H
#define AIMET_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Hot loops are compiled for AVX-512 and AVX2+FMA as well as the baseline and picked at load
 * time (the build uses plain -O2 without -march). Only on GCC/x86-64, where ifunc works. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define AIMET_KERNEL_CLONES \
	__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), \
	               optimize("O3", "no-tree-loop-distribute-patterns")))
#else
#define AIMET_KERNEL_CLONES
#endif

/* ---- fake quantization (simulation): y = round_half_even(y / scale) clamped to [lo, hi],
 * times scale, all in float32 — the same operations, so the same bits, as aimet_qdq_array on
 * an integer encoding (lo = offset, hi = offset + qmax); NaN passes. Applied by kernels to
 * their output while it is hot (see aimet_op_ctx.fq and the epilogue). ---- */
struct aimet_fq {
	float scale;          /* finite, > 0 */
	float lo, hi;         /* integer grid ends, as floats */
};
/* y = fq(y) over n contiguous floats, on the calling thread. */
void aimet_fq_apply(const struct aimet_fq *q, float *y, int64_t n);
/* The same over `rows` rows of n floats, ld apart. */
void aimet_fq_apply_rows(const struct aimet_fq *q, float *y, int64_t ld, int64_t rows, int64_t n);
/* y = fq(x) over n floats (y may be x), on up to `threads` threads in a fixed split. */
void aimet_fq_apply_mt(const struct aimet_fq *q, const float *x, float *y, int64_t n, int threads);

/* ---- epilogue: applied to each output tile while it is still in cache ---- */
enum aimet_epi_kind {
	AIMET_EPI_NONE = 0,   /* nothing added */
	AIMET_EPI_SCALAR,     /* add[0] everywhere */
	AIMET_EPI_ROW,        /* add[i] on row i (a conv bias: one per output channel) */
	AIMET_EPI_COL,        /* add[j] on column j (a Gemm bias of shape [N]) */
	AIMET_EPI_FULL        /* add[i * add_ld + j] */
};
struct aimet_epilogue {
	int kind;             /* enum aimet_epi_kind */
	const float *add;     /* borrowed */
	int64_t add_ld;       /* row stride of add for AIMET_EPI_FULL */
	float scale;          /* add is multiplied by this (Gemm's beta); 1 for a bias */
	float lo, hi;         /* clamp to [lo, hi] after the add; -INFINITY/INFINITY for none */
	const struct aimet_fq *fq;  /* fake quantization after the clamp, or NULL; borrowed */
};
/* An epilogue that only clamps (kind NONE) to [lo, hi]. */
struct aimet_epilogue aimet_epilogue_clamp(float lo, float hi);
/* Apply e to the m x n block C (row stride ldc) whose top-left element is (i0, j0) of the
 * whole output; NaN passes the clamp unchanged (like Clip). The fake quantization, if any,
 * comes last, so a fused step gives the bits of the unfused ones. */
void aimet_epilogue_apply(const struct aimet_epilogue *e, float *C, int64_t ldc,
                          int64_t i0, int64_t m, int64_t j0, int64_t n);

/* ---- GEMM ----
 * Every kernel here runs OpenBLAS single-threaded and parallelises over its own grid of
 * output tiles, each computed by one single-threaded sgemm call. The grid depends only on the
 * problem's shape, never on the thread count, so results are bitwise identical for any -j by
 * construction. OpenBLAS's own threading is NOT: measured with Debian's 0.3.21 (openmp), an
 * 8x256x784 or 64x256x784 sgemm gives different bits on 1 and 2 threads (while 64x3136x576
 * does not). Call these rather than cblas_sgemm directly. */

/* The openmp build of OpenBLAS sizes its team from the calling thread's OpenMP setting
 * (omp_get_max_threads, e.g. set by the CLI's -j); begin sets it to 1 around our sgemm calls
 * (inside an active parallel region OpenBLAS is single-threaded anyway) and returns the
 * caller's value, which end restores. */
int aimet_blas_begin(void);
void aimet_blas_end(int saved);

/* Row-major C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] for `batch` problems at uniform strides
 * (stride 0 shares an operand), then epilogue e (may be NULL) on every output; C is written,
 * not accumulated. Dimensions must fit in int (ops check in infer). threads >= 1. */
void aimet_sgemm_batch(int trans_a, int trans_b, int64_t batch, int64_t M, int64_t N, int64_t K,
                       float alpha, const float *A, int64_t lda, int64_t stride_a,
                       const float *B, int64_t ldb, int64_t stride_b,
                       float *C, int64_t ldc, int64_t stride_c,
                       const struct aimet_epilogue *e, int threads);

/* The tile grid behind aimet_sgemm_batch, for ops that drive their own parallel loop (e.g.
 * MatMul with broadcast batch dimensions): tiles of mb x nb, mt x nt of them per problem. */
struct aimet_gemm_grid {
	int64_t M, N, K, mb, nb, mt, nt;
	int64_t n_order;  /* N as ONNX Runtime sees the problem (decides the summation order, see
	                   * below), e.g. one image's output pixels for a panel of them; 0: N */
};
void aimet_gemm_grid_make(struct aimet_gemm_grid *g, int64_t batch, int64_t M, int64_t N, int64_t K);
/* Summation order. A quantized model turns a one-ulp difference at a rounding boundary into a
 * whole grid step that grows through the layers, so the simulation must give the bits ONNX
 * Runtime (MLAS) gives on the exported QDQ model. Each output element is therefore summed as
 * MLAS sums it: K in blocks of aimet_gemm_kstride(N, K) (N: columns of the problem as ONNX
 * Runtime sees it, e.g. one image's output pixels for a convolution), each block a chain of
 * multiply-adds from zero, added to the previous blocks' sum; and a one-column problem
 * (N = 1) as eight interleaved lanes reduced by MLAS's trees. */
int64_t aimet_gemm_kstride(int64_t N, int64_t K, int trans_a);
/* Compute tile t (0 <= t < mt*nt) of one problem with a single-threaded sgemm + epilogue, in
 * the summation order above. */
void aimet_sgemm_tile(const struct aimet_gemm_grid *g, int64_t t, int trans_a, int trans_b,
                      float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                      float *C, int64_t ldc, const struct aimet_epilogue *e);
/* Threads worth using for `flops` of work split in `tasks` pieces (1 for small work). */
int aimet_kernel_threads(double flops, int64_t tasks, int threads);

/* ---- 2-D convolution geometry (1-D convolutions use H = 1) ---- */
struct aimet_conv2d {
	int64_t C, H, W;          /* input channels (of one group) and size */
	int64_t KH, KW, SH, SW, DH, DW;
	int64_t PH, PW;           /* leading pads; trailing pads are implied by OH, OW */
	int64_t OH, OW;
};

/* im2col for output pixels [p0, p0 + np) (flattened oh*OW + ow) of one image: col is
 * [C*KH*KW rows][np columns] row-major, zeros where the window falls in the padding.
 * x holds the C input planes of H*W. */
void aimet_im2col_panel(const struct aimet_conv2d *g, const float *x, int64_t p0, int64_t np,
                        float *col);
/* col2im, accumulating: y[c, oh, ow] += col[(c,kh,kw), (ih,iw)] for input pixels
 * [p0, p0 + np) of an (H, W) input and a (OH, OW) output (ConvTranspose: oh = ih*SH - PH +
 * kh*DH); col is [C*KH*KW][np]. Entries landing outside the output are dropped. */
void aimet_col2im_panel_add(const struct aimet_conv2d *g, const float *col, int64_t p0, int64_t np,
                            float *y);

/* col2im for windows that tile the output exactly (KH == SH, KW == SW, no pads or dilation):
 * every output is stored once, as col + bias[c] (bias may be NULL) clamped to [lo, hi]. */
void aimet_col2im_panel_store(const struct aimet_conv2d *g, const float *col, int64_t p0, int64_t np,
                              float *y, const float *bias, float lo, float hi);

/* Depthwise: one output plane y[OH*OW] from one input plane x[H*W] (g->C ignored) with taps
 * w[KH*KW], plus bias, clamped to [lo, hi]. scratch holds aimet_depthwise_scratch(g) floats
 * (the zero-padded input split by stride phase, so every tap is one contiguous pass). */
size_t aimet_depthwise_scratch(const struct aimet_conv2d *g);
void aimet_depthwise_plane(const struct aimet_conv2d *g, const float *x, const float *w,
                           float bias, float lo, float hi, float *y, float *scratch);

/* ---- register-blocked GEMM for convolution (lib/kernels/convgemm.c) ----
 * C[Mpad][ldc] = A * B with A packed by aimet_cgemm_pack and row k of B starting at
 * B + roff[k] (any layout: shifted views of a padded input, or im2col panel rows). Tiles are
 * mb rows by 1-3 vectors of vb columns for this CPU (aimet_cgemm_shape): Mpad is M rounded up
 * to mb, and ncols is rounded up to vb, so every row of B must be readable, and C writable,
 * for that many columns (the extra ones are computed and must be ignored). Each output is
 * summed in ONNX Runtime's order (see "Summation order" above): k in blocks of ks
 * (aimet_gemm_kstride), each a chain of fused multiply-adds from zero added to the previous
 * blocks' sum: identical bits for any tiling or thread count. */
void aimet_cgemm_shape(int *mb, int *vb);
/* wp[roundup(M, mb) * K] = the rows of w (M x K, row stride ldw) in blocks of mb, zero-padded. */
void aimet_cgemm_pack(const float *w, int64_t M, int64_t K, int64_t ldw, float *wp);
void aimet_cgemm_run(const float *wp, int64_t Mpad, int64_t K, int64_t ks, const float *B,
                     const int64_t *roff, int64_t ncols, float *C, int64_t ldc);
/* The transposed form (vectors over output channels; only where aimet_cgemm_t_avail):
 * y[m*ldy + j] = sum over k of w[m][k] * B[roff[k] + pix[j]] for m < M, j < npix, with wt
 * from aimet_cgemm_t_pack (aimet_cgemm_t_size floats). Tiles take aimet_cgemm_t_pixels(M)
 * pixels at a time; the same k-ordered sums as aimet_cgemm_run. */
int aimet_cgemm_t_avail(void);
int aimet_cgemm_t_pixels(int64_t M);
#define aimet_cgemm_t_size(M, K) ((((M) + 15) / 16 * 16) * (K))
void aimet_cgemm_t_pack(const float *w, int64_t M, int64_t K, int64_t ldw, float *wt);
void aimet_cgemm_t_run(const float *wt, int64_t M, int64_t K, int64_t ks, const float *B,
                       const int64_t *roff, const int64_t *pix, int64_t npix, float *y, int64_t ldy);
/* Direct convolution's input: phase (pr, pc) of a block of output rows [r0, r0 + Rq) of the
 * input plane x (H x W of g): Rq rows of Wq floats at d, row i holding padded row
 * (r0 + i)*SH + pr at columns j*SW + pc (zero in the padding), then zeros up to `plane`. */
void aimet_cgemm_fill_phase(const struct aimet_conv2d *g, const float *x, int64_t r0, int64_t Rq,
                            int64_t Wq, int64_t pr, int64_t pc, float *d, int64_t plane);
/* y[m*ldy + oh*OW + ow] = ct[m*ldc + oh*Wq + ow] for m < M, oh < rows, ow < OW: the valid
 * columns of a direct convolution's output grid. */
void aimet_cgemm_unpack(const float *ct, int64_t ldc, int64_t M, int64_t rows, int64_t Wq,
                        int64_t OW, float *y, int64_t ldy);
/* aimet_im2col_panel with panel rows ldcol floats apart (ldcol >= np). */
void aimet_im2col_panel_ld(const struct aimet_conv2d *g, const float *x, int64_t p0, int64_t np,
                           float *col, int64_t ldcol);

/* ---- strided copy (lib/kernels/copy.c) ---- */
#define AIMET_COPY_MAX_DIMS 8
/* Fill n elements of es bytes at dst with the value at val. */
void aimet_fill_elems(void *dst, const void *val, size_t es, int64_t n);
/* dst (contiguous, shape dims) = the view of src with element strides `strides` (0 broadcasts),
 * es bytes per element, ndim <= AIMET_COPY_MAX_DIMS, on up to `threads` threads. */
void aimet_copy_strided(void *dst, const void *src, size_t es, int ndim,
                        const int64_t *dims, const int64_t *strides, int threads);

/* ---- fused float32 elementwise chains (lib/kernels/ewchain.c) ----
 * A run of elementwise nodes between two heavy ops (PaddleOCR exports hardswish as
 * Add 3, Clip 0..6, Mul, Div 6, around per-channel Mul/Add) costs one memory pass per node.
 * A program runs the whole run block by block in L1 instead. Each step performs exactly the
 * float operation of the op's own fast and reference kernels (same expression, same operand
 * order), so a fused chain gives the same bits as the nodes run one by one.
 * The output is viewed as [outer, C, inner]; r0 starts as input 0. */
#define AIMET_EW_MAX_REGS 4
#define AIMET_EW_MAX_INSTR 16
enum aimet_ew_op {
	AIMET_EW_ADD = 1, AIMET_EW_SUB, AIMET_EW_MUL, AIMET_EW_DIV,  /* r[dst] = r[a] op b */
	AIMET_EW_MAX, AIMET_EW_MIN,                                  /* as Max/Min: NaN wins */
	AIMET_EW_CLAMP,        /* Clip (and a fused clamp): r[a] to [s, s2], NaN passes */
	AIMET_EW_RELU,         /* Relu */
	AIMET_EW_HARDSIGMOID,  /* HardSigmoid with alpha s, beta s2 */
	AIMET_EW_HARDSWISH,    /* HardSwish */
	AIMET_EW_SIGMOID       /* Sigmoid (aimet_sigmoid_f32) */
};
enum aimet_ew_bkind {
	AIMET_EW_B_REG = 1,    /* register b */
	AIMET_EW_B_SCALAR,     /* the value s */
	AIMET_EW_B_CHANNEL,    /* v[c]: a per-channel constant ([C,1,..] against [outer,C,inner]) */
	AIMET_EW_B_TENSOR      /* input b, the output's shape (e.g. a residual Add) */
};
struct aimet_ew_instr {
	int op;                /* enum aimet_ew_op */
	int dst, a;            /* registers */
	int b_kind, b;         /* second operand of ADD..MIN (enum aimet_ew_bkind; b: register or input) */
	int swap;              /* compute b op r[a] (the node had the constant or tensor first) */
	float s, s2;           /* scalar operand / clamp bounds / HardSigmoid alpha, beta */
	const float *v;        /* per-channel values [C], borrowed */
};
struct aimet_ew_prog {
	int n_instr;
	struct aimet_ew_instr instr[AIMET_EW_MAX_INSTR];
	int out_reg;           /* register holding the result */
};
/* 0 if p is well formed for n_inputs inputs (registers and inputs in range, registers written
 * before read), -1 otherwise. Call once at prepare time: aimet_ew_run does not check. */
int aimet_ew_prog_check(const struct aimet_ew_prog *p, int n_inputs);
/* y = p applied to in[0] (and the TENSOR operands in[b]), all [outer, C, inner] contiguous;
 * y may be in[0]. Parallel over blocks: identical bits for any thread count. */
void aimet_ew_run(const struct aimet_ew_prog *p, const float *const *in, float *y,
                  int64_t outer, int64_t C, int64_t inner, int threads);
/* Sigmoid over n floats with a vectorised exp (within 1e-6 relative of libm's). */
void aimet_sigmoid_f32(const float *x, float *y, int64_t n);

#endif
