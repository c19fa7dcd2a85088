/* aimet_ops.h: the operator interface. Each ONNX op is one `struct aimet_op` (lib/ops/<op>.c),
 * listed once in lib/ops/ops.def; the executor finds it with aimet_op_find(). */
#ifndef AIMET_OPS_H
#define AIMET_OPS_H

#include "aimet.h"

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

#endif
