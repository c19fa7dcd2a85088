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
};
/* An epilogue that only clamps (kind NONE) to [lo, hi]. */
struct aimet_epilogue aimet_epilogue_clamp(float lo, float hi);
/* Apply e to the m x n block C (row stride ldc) whose top-left element is (i0, j0) of the
 * whole output; NaN passes the clamp unchanged (like Clip). */
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
struct aimet_gemm_grid { int64_t M, N, K, mb, nb, mt, nt; };
void aimet_gemm_grid_make(struct aimet_gemm_grid *g, int64_t batch, int64_t M, int64_t N, int64_t K);
/* Compute tile t (0 <= t < mt*nt) of one problem with a single-threaded sgemm + epilogue. */
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
