/* aimet_exec.h: the executor — plan a model once (ops resolved, constants folded, fusions
 * chosen), prepare it for concrete input shapes (shapes, memory plan, weight packing), run many. */
#ifndef AIMET_EXEC_H
#define AIMET_EXEC_H

#include "aimet.h"
#include "aimet_ops.h"
#include "aimet_kernels.h"

struct aimet_plan;   /* private to lib/exec */

/* Called after a run-time node output is computed, before any later node reads it. The
 * tensor belongs to the plan; the callback may modify its data in place (that is how fake
 * quantization of activations is injected) but not its shape, dtype or data pointer.
 * `node` is the model node that names this output (for a fused group, the last node: the
 * BatchNormalization or Relu/Clip folded into a Conv) and `out_index` the output's index in
 * that node. Graph inputs are reported first with node == NULL and out_index = the input's
 * index among the plan's inputs (they are then copied into plan memory, so the caller's
 * tensors are never modified). Constants (weights, values folded at prepare time) are not
 * reported; use aimet_plan_set_weight to change them. */
typedef void (*aimet_output_fn)(void *user, const struct aimet_node *node, int out_index,
                                struct aimet_tensor *t);

struct aimet_plan_opts {
	int use_ref;          /* run every node with its reference kernel */
	int no_fold_bn;       /* keep BatchNormalization separate from the Conv before it */
	int no_fuse;          /* no Relu/Clip fusion into the producer, no elementwise chains */
	/* Tensors that must exist at run time: never fused away, never removed as dead (so a hook
	 * sees them and aimet_plan_run_until can stop at them). Borrowed for aimet_plan_new only. */
	const char *const *keep; int n_keep;
	/* Op lookup; NULL means aimet_op_find. Lets a caller substitute or add ops. */
	const struct aimet_op *(*find_op)(const char *domain, const char *op_type);
};

/* Build a plan: resolve every node to its op (an unsupported op fails here, naming op, node
 * and opset), order the nodes, fold everything computable from the weights alone (initializers
 * and Constant nodes), and choose the Conv+BatchNormalization folds and Relu/Clip fusions.
 * `model` is borrowed and must outlive the plan unchanged (weights are read in place). `opts`
 * may be NULL. On success *out is owned by the caller (aimet_plan_free). */
int aimet_plan_new(struct aimet_ctx *ctx, const struct aimet_model *model,
                   const struct aimet_plan_opts *opts, struct aimet_plan **out);
void aimet_plan_free(struct aimet_plan *p);   /* accepts NULL */

/* The run-time inputs (graph inputs that are not initializers) and the graph outputs, in
 * graph order. Names are borrowed from the model. */
int aimet_plan_n_inputs(const struct aimet_plan *p);
const char *aimet_plan_input_name(const struct aimet_plan *p, int i);
/* Declared input type and shape: dtype (0 if unknown), rank (-1 if unknown) and dims with -1
 * for symbolic or unknown dims; returns the rank. */
int aimet_plan_input_decl(const struct aimet_plan *p, int i, int *dtype, int64_t *dims);
int aimet_plan_n_outputs(const struct aimet_plan *p);
const char *aimet_plan_output_name(const struct aimet_plan *p, int i);

/* Prepare for concrete inputs: dtype, ndim and dims of `inputs[i]` are read (data may be
 * NULL). `inputs` may be NULL when every declared input shape is fully static. Infers every
 * shape, folds values that depend only on shapes (Shape->Gather->Concat->Reshape chains),
 * plans one arena reusing buffers by liveness, prepares each node (weight packing) and sizes
 * the shared workspace. Calling it again with other shapes re-plans.
 * An input whose value decides a shape (Expand's shape or Range's limits fed as a graph input)
 * is used by value when its data is given: what depends only on it is computed here, and a run
 * with other contents in that input prepares again. */
int aimet_plan_prepare(struct aimet_ctx *ctx, struct aimet_plan *p,
                       const struct aimet_tensor *const *inputs);

/* Run on `inputs` (one per plan input, with data; not modified). When their shapes differ
 * from the prepared ones (or nothing is prepared yet) the plan is prepared again first; a
 * prepared plan run again allocates nothing. If `outputs` is non-NULL, outputs[i] receives a
 * borrowed pointer to graph output i: owned by the plan, valid until the next prepare, run,
 * set_weight or free (aimet_tensor_clone to keep it). Kernels use ctx->threads threads.
 * Returns AIMET_ERR_INTERRUPTED if ctx->interrupted is raised between nodes. */
int aimet_plan_run(struct aimet_ctx *ctx, struct aimet_plan *p,
                   struct aimet_tensor *const *inputs, struct aimet_tensor **outputs);
/* Run only the nodes that `tensor` depends on and stop once it is computed; *value (if
 * non-NULL) receives it, borrowed as above. The tensor must exist at run time: a graph input,
 * a constant, or a node output that was not fused away (list it in opts.keep to be sure). */
int aimet_plan_run_until(struct aimet_ctx *ctx, struct aimet_plan *p,
                         struct aimet_tensor *const *inputs, const char *tensor,
                         struct aimet_tensor **value);

/* Hook called for every run-time tensor (see aimet_output_fn); NULL removes it. */
void aimet_plan_set_hook(struct aimet_plan *p, aimet_output_fn fn, void *user);

/* Simulation: fake-quantize the float32 tensor `name` (struct aimet_fq, aimet_kernels.h) as
 * soon as it is computed, before the hook or any later node sees it: inside the producing
 * kernel where the op does it (the binary elementwise ops and Clip, in L1-sized pieces; an
 * Add whose quantized output feeds only a Relu/Clip runs with it as one pass when no hook is
 * set), else by a pass of the executor right after the step (measured faster than the GEMM
 * epilogue for Conv's short tile rows); the bits are those of aimet_qdq_array either way.
 * `name` must be a graph input (its plan copy is quantized; the caller's tensor never is) or a
 * node output computed at run time (not fused away: list it in the plan's keep option);
 * AIMET_ERR_INVALID otherwise (ctx may be NULL). q == NULL removes it. Kept across prepares. */
int aimet_plan_set_output_quant(struct aimet_ctx *ctx, struct aimet_plan *p, const char *name,
                                const struct aimet_fq *q);
/* Remove every output quantizer. */
void aimet_plan_clear_output_quant(struct aimet_plan *p);

/* Replace the value of a weight (an initializer or a Constant node's output) by name; `w` must
 * have the same dtype and shape and is copied (the model is not modified). Everything derived
 * from it (folded constants, BN folds, packed weights) is recomputed for the next run; nothing
 * else is re-planned. */
int aimet_plan_set_weight(struct aimet_ctx *ctx, struct aimet_plan *p, const char *name,
                          const struct aimet_tensor *w);
/* The current value of a constant (weight or folded value) by name, borrowed; NULL if `name`
 * is not a constant of the plan. */
const struct aimet_tensor *aimet_plan_constant(const struct aimet_plan *p, const char *name);

/* One run-time step in run order, with the prepared shapes. Everything is borrowed from the
 * plan and valid until the next prepare or free; tensors' data is valid only for constants
 * and, during a hook call, for values already computed. */
struct aimet_plan_step {
	const struct aimet_node *node;      /* the model node computed (first of a fused group) */
	const struct aimet_node *bn;        /* BatchNormalization folded into it, or NULL */
	const struct aimet_node *act;       /* Relu/Clip fused into it (the last of a chain), or NULL */
	const struct aimet_op *op;
	int n_in, n_out;
	struct aimet_tensor *const *in;     /* NULL entries for omitted optional inputs */
	struct aimet_tensor *const *out;    /* named as the group's outputs */
	float act_lo, act_hi;               /* fused clamp (-inf, +inf when none) */
	/* a chain of elementwise nodes run as one pass (node is the first): their op types joined
	 * by '+' ("Add+Clip+Mul+Div"), else NULL */
	const char *label;
};
size_t aimet_plan_n_steps(const struct aimet_plan *p);
const struct aimet_plan_step *aimet_plan_get_step(const struct aimet_plan *p, size_t i);
/* Profiling: while on, every run adds each step's wall time; aimet_plan_step_ms gives the
 * total in milliseconds since profiling was (re)enabled, aimet_plan_profile_runs the number of
 * runs counted. Off by default (a clock read per step when on). */
void aimet_plan_set_profile(struct aimet_plan *p, int on);
double aimet_plan_step_ms(const struct aimet_plan *p, size_t i);
int64_t aimet_plan_profile_runs(const struct aimet_plan *p);
/* Bytes of the activation arena and the shared workspace of the prepared plan. */
size_t aimet_plan_arena_bytes(const struct aimet_plan *p);
size_t aimet_plan_workspace_bytes(const struct aimet_plan *p);

/* Shape inference over the whole graph for tools: every tensor (inputs, weights, node outputs)
 * with its dtype and shape for the given input shapes (NULL: the declared ones). *out is an
 * array of *n entries owned by the caller (free()); names are borrowed from `model`. Nothing
 * is fused, so every node output is listed. */
struct aimet_value_shape {
	const char *name;
	int dtype;
	int ndim;
	int64_t dims[AIMET_MAX_DIMS];
	int is_constant;    /* a weight or a value folded from weights/shapes */
};
int aimet_graph_infer_shapes(struct aimet_ctx *ctx, const struct aimet_model *model,
                             const struct aimet_tensor *const *inputs,
                             struct aimet_value_shape **out, size_t *n);

#endif
