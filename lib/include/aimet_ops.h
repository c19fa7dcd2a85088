/* aimet_ops.h: the operator interface. Each ONNX op is one `struct aimet_op` (lib/ops/<op>.c),
 * listed once in lib/ops/ops.def; the executor finds it with aimet_op_find(). */
#ifndef AIMET_OPS_H
#define AIMET_OPS_H

#include "aimet.h"

struct aimet_fq;

/* What an op sees at prepare and at run time for one node. */
struct aimet_op_ctx {
	struct aimet_ctx *ctx;        /* for error messages (infer/prepare only) */
	const struct aimet_node *node;
	int64_t opset;                /* opset of the node's domain in the model */
	int n_in, n_out;
	/* Inputs: NULL for an omitted optional input. At infer/prepare time, an input whose
	 * `data` is non-NULL holds its actual value (a weight, or a value folded from
	 * constants/shapes); data == NULL means only dtype and shape are known.
	 * At run time every present input has data. */
	struct aimet_tensor **in;
	/* Outputs: infer sets dtype, ndim and dims; the executor allocates data before run. */
	struct aimet_tensor **out;
	void *state;                  /* op-owned, made by prepare, freed by free_state */
	void *workspace;              /* scratch of `workspace_size` bytes at run time, shared by nodes */
	size_t workspace_size;        /* prepare sets how much it needs */
	int threads;                  /* OpenMP threads the kernel may use (>= 1) */
	/* Activation fused by the planner into this node (Conv, ConvTranspose, Gemm, MatMul,
	 * Add, BatchNormalization honour it): the output is clamped to [act_lo, act_hi].
	 * Defaults are -INFINITY/+INFINITY (no clamp). Only ops with `fuse_clamp` set get one. */
	float act_lo, act_hi;
	/* Simulation: fake quantization of output 0 (struct aimet_fq, aimet_kernels.h), applied
	 * after the clamp, or NULL. An op that applies it in its kernel sets fq_done = 1; for the
	 * others the executor makes a pass of its own after the op (same bits either way). */
	const struct aimet_fq *fq;
	int fq_done;
	/* Simulation, Add only (the executor asks no other op): fake quantization of the sum
	 * BEFORE the fused clamp — an Add whose quantized output feeds only a Relu/Clip, run as
	 * one step; NULL otherwise. The op must apply it (and fq after the clamp). */
	const struct aimet_fq *fq_mid;
};

struct aimet_op {
	const char *op_type;          /* ONNX op type, e.g. "Conv" */
	const char *domain;           /* "" for the default ONNX domain */
	int since_opset;              /* lowest opset handled; 0 = all */
	/* Validate attributes and input dtypes/shapes, and set every output's dtype and shape.
	 * Must not read input data except where the ONNX op's output shape depends on an input's
	 * value (Reshape, Expand, Tile, Slice, Resize, ConstantOfShape, TopK, Split...), in which case
	 * it fails with AIMET_ERR_UNSUPPORTED when that input's data is NULL. Errors go through
	 * aimet_error(c->ctx, ...) naming the problem. */
	int (*infer)(struct aimet_op_ctx *c);
	/* Optional: pack weights or choose an algorithm (c->state), size c->workspace_size.
	 * Called after infer with the same inputs (weights have data). */
	int (*prepare)(struct aimet_op_ctx *c);
	void (*run)(struct aimet_op_ctx *c);  /* fast kernel; NULL means use ref */
	void (*ref)(struct aimet_op_ctx *c);  /* reference kernel: plain loops, the ground truth */
	void (*free_state)(void *state);      /* optional */
	int fuse_clamp;                       /* honours act_lo/act_hi */
};

/* The op for (domain, op_type), or NULL. "ai.onnx" and NULL are the default domain. */
const struct aimet_op *aimet_op_find(const char *domain, const char *op_type);
/* All registered ops (for listing); *n receives the count. */
const struct aimet_op *const *aimet_op_list(size_t *n);

/* ---- helpers for op implementations (lib/ops/common.c) ---- */
/* Numpy-style broadcast of two shapes into out (returns -1 when incompatible). */
int aimet_broadcast_shape(int na, const int64_t *a, int nb, const int64_t *b,
                          int *nout, int64_t *out);
/* Normalize a possibly negative axis against rank; -1 when out of range. */
int aimet_norm_axis(int64_t axis, int rank);
/* Copy dtype and shape from src into dst. */
void aimet_tensor_set_shape(struct aimet_tensor *dst, int dtype, int ndim, const int64_t *dims);

/* Broadcasting of up to AIMET_BCAST_MAX_IN inputs to an output shape (elementwise ops, Where,
 * Expand, PRelu...). Dims of size 1 and runs of dims that every input walks contiguously (or
 * broadcasts alike) are merged, so the innermost row is as long as possible; each input's
 * stride along the innermost dim is then 0 (broadcast) or 1 (contiguous). */
#define AIMET_BCAST_MAX_IN 4
struct aimet_bcast {
	int n_in;
	int ndim;                                   /* >= 1 after merging */
	int64_t dims[AIMET_MAX_DIMS];
	int64_t strides[AIMET_BCAST_MAX_IN][AIMET_MAX_DIMS]; /* elements; 0 along broadcast dims */
	int64_t numel;                              /* output elements */
	int64_t inner;                              /* dims[ndim-1] */
};
/* Set up b for inputs in_ndim[k]/in_dims[k] broadcast to (ndim, dims); -1 when an input does
 * not broadcast to that shape (or n_in is out of range). */
int aimet_bcast_init(struct aimet_bcast *b, int ndim, const int64_t *dims, int n_in,
                     const int *in_ndim, const int64_t *const *in_dims);
/* Same, taking the shapes from tensors (NULL entries are not allowed). */
int aimet_bcast_init_t(struct aimet_bcast *b, const struct aimet_tensor *out, int n_in,
                       const struct aimet_tensor *const *in);
/* Walker over rows: input k's element at output position (row, col) is
 * off[k] + col * strides[k][ndim-1]. */
struct aimet_bcast_iter {
	int64_t idx[AIMET_MAX_DIMS];            /* position in the outer dims */
	int64_t off[AIMET_BCAST_MAX_IN];        /* each input's offset of the current row's start */
	int64_t col;                            /* column within the row */
};
/* Position the iterator at output element `pos` (any element, not only a row start). */
void aimet_bcast_seek(const struct aimet_bcast *b, struct aimet_bcast_iter *it, int64_t pos);
/* Move to the start of the next row (col = 0), after consuming the current one. */
void aimet_bcast_next_row(const struct aimet_bcast *b, struct aimet_bcast_iter *it);
/* The plain definition, for reference kernels: flat index into a tensor of shape (nd, d) that
 * is broadcast to (ndim, dims), for flat output index i. */
int64_t aimet_bcast_src_index(int ndim, const int64_t *dims, int nd, const int64_t *d, int64_t i);

/* Run fn(arg, begin, end) over [0, n) in contiguous chunks, on up to `threads` OpenMP threads
 * when n >= 2 * grain (grain: the least work worth a thread, in elements). The split only
 * depends on n, threads and grain; fn must write disjoint outputs per element. */
void aimet_parallel_range(int threads, int64_t n, int64_t grain,
                          void (*fn)(void *arg, int64_t begin, int64_t end), void *arg);

/* IEEE half and bfloat16 conversions (round to nearest even; NaN stays NaN). */
float aimet_f16_to_f32(uint16_t h);
uint16_t aimet_f64_to_f16(double x);     /* rounded once, straight from double */
float aimet_bf16_to_f32(uint16_t h);
uint16_t aimet_f32_to_bf16(float x);     /* truncation, as the ONNX 1.12 node tests expect */

/* Set the context's message prefixed with "<op_type> '<node name>': " and return status. */
int aimet_op_error(struct aimet_op_ctx *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Read input `idx`, an integer (int32/int64) scalar or 1-D tensor whose value decides an
 * output shape (Reshape's shape, Slice's starts...), into vals (at most `max` values; *n gets
 * the count). AIMET_ERR_UNSUPPORTED "requires a constant '<what>' input" when its data is not
 * known at infer time; AIMET_ERR_INVALID for another dtype or rank, or more than max values. */
int aimet_op_const_ints(struct aimet_op_ctx *c, int idx, const char *what,
                        int64_t *vals, int64_t max, int64_t *n);

#endif
