/* exec_internal.h: the private structures of the executor (lib/exec only): values, nodes,
 * run-time steps and the plan that owns them. */
#ifndef AIMET_EXEC_INTERNAL_H
#define AIMET_EXEC_INTERNAL_H

#include "aimet_exec.h"
#include "aimet_kernels.h"

/* How a value comes to be known. CONST: from weights alone, computed at plan time. SHAPE:
 * from the input shapes (Shape outputs and what is computed from them only), computed at
 * prepare time. DATA: only at run time. */
enum { DEP_CONST = 0, DEP_SHAPE = 1, DEP_DATA = 2 };

/* The newest default-domain opset whose semantics the ops were written against (ONNX 1.18);
 * a model claiming a later one may mean things we do not know. */
#define AIMET_MAX_OPSET 23

enum { V_NODE = 0, V_INPUT = 1, V_INIT = 2, V_SCRATCH = 3, V_FOLDED = 4 };

struct xvalue {
	const char *name;          /* borrowed from the model, or owned when `own_name` */
	char *own_name;
	struct aimet_tensor t;     /* t.name aliases `name`; data: constant, arena or caller's */
	int kind;                  /* V_* */
	int dep;                   /* DEP_* */
	int producer;              /* node index, -1 for inputs and weights */
	int input_index;           /* V_INPUT: index among the plan's inputs */
	int n_consumers;           /* references by live nodes' inputs */
	int is_output, keep, needed, fused_away;
	const struct aimet_tensor *init;  /* V_INIT: the model's initializer */
	void *owned;               /* constant data owned by the plan (folded or replaced) */
	size_t owned_bytes;
	int dirty;                 /* changed by set_weight, derived values not yet recomputed */
	/* V_INPUT needed by value (an op's output shape depends on it): known at prepare time
	 * like a shape, and a run with other contents prepares again */
	int spec;
	/* memory plan (DATA values made by steps) */
	int first, last;
	size_t off, size;
	int alias_of;              /* value whose buffer this one shares, or -1 */
	int step;                  /* step producing it, -1 otherwise */
	/* aimet_plan_set_output_quant: fake-quantized as soon as computed */
	int has_fq;
	struct aimet_fq fq;
};

struct xnode {
	const struct aimet_node *node;
	const struct aimet_op *op;     /* NULL for the executor-native Shape and Size */
	int64_t opset;
	int *in, *out;                 /* value indices, -1 for omitted */
	struct aimet_tensor **tin, **tout;
	int dep;
	int dead;                      /* contributes to no needed value */
	int absorbed;                  /* folded into the step of another node (BN, Relu/Clip) */
	int step;                      /* step index for DATA nodes that head a step, else -1 */
};

/* A Conv whose weight and bias are recomputed from a BatchNormalization. */
struct xbnfold {
	int conv, bn;                  /* node indices */
	int w, b, scale, bias, mean, var;  /* source values (b may be -1) */
	int wf, bf;                    /* folded values (V_FOLDED) */
	float eps;
};

struct xstep {
	int node;                      /* head node index */
	int bn, act;                   /* absorbed node indices or -1 */
	struct aimet_node synth;       /* the head node as the op sees it when fused */
	char **synth_in, **synth_out;
	int n_in, n_out;
	int *in, *out;                 /* value indices */
	struct aimet_tensor **tin, **tout;
	struct aimet_op_ctx c;
	int prepared;                  /* c.state valid */
	/* Reshape-like op whose output is its input's bytes: it shares the buffer and does not
	 * run (the input is read by nothing else) */
	int alias;
	/* a Relu/Clip step that may run inside this (Add) step when both outputs are fake-
	 * quantized by the plan (quantize, clamp, quantize in one pass): its constant bounds */
	int pair_ok;
	float pair_lo, pair_hi;
	/* a chain of float32 elementwise nodes run as one pass (aimet_ew_run): the node indices in
	 * order (chain[0] == node; the others absorbed), or n_chain == 0. in[0] is the chain's
	 * input, the other in[] every other value its nodes read (operands, Clip bounds). */
	int *chain, n_chain;
	struct aimet_plan *plan;       /* for the chain op's callbacks (aimet__ewchain_op) */
	char *label;                   /* "Add+Clip+Mul+Div" for a chain, else NULL */
	double ms;                     /* profiled time, summed over runs */
	struct aimet_plan_step pub;
};

struct aimet_plan {
	const struct aimet_model *model;
	struct aimet_plan_opts opts;
	int no_dce, infer_only;        /* for aimet_graph_infer_shapes */
	struct xvalue **values; size_t n_values, cap_values;   /* stable addresses: ops hold &t */
	int *hash; size_t hash_cap;    /* open addressing: value index + 1, 0 empty */
	struct xnode *nodes; size_t n_nodes;
	int *order;                    /* node indices in topological order */
	int *inputs; int n_inputs;     /* value indices of the run-time inputs */
	int *outputs; int n_outputs;   /* value indices of the graph outputs */
	struct xbnfold *folds; size_t n_folds;
	struct xstep *steps; size_t n_steps;
	/* prepared state */
	int prepared;
	int fail_node;                 /* node whose infer failed in the last prepare, or -1 */
	char *arena; size_t arena_size, arena_cap;
	void *workspace; size_t ws_size, ws_cap;
	char *input_copy; size_t input_copy_cap;   /* graph inputs copied when a hook is set */
	unsigned char *needed_mark;    /* run_until scratch, one per step */
	aimet_output_fn hook; void *hook_user;
	int n_input_fq;                /* graph inputs with an output quantizer (copied to quantize) */
	int profile; int64_t profile_runs;
};

/* plan.c */
/* no_dce: keep every node and mark the plan shape-only (aimet_graph_infer_shapes). */
int aimet__plan_new_impl(struct aimet_ctx *ctx, const struct aimet_model *model,
                         const struct aimet_plan_opts *opts, int no_dce, struct aimet_plan **out);
int aimet__value_find(const struct aimet_plan *p, const char *name);
int aimet__fold_node(struct aimet_ctx *ctx, struct aimet_plan *p, int ni, int do_infer);
void aimet__node_ctx(struct aimet_op_ctx *c, struct aimet_ctx *ctx, const struct xnode *n);
int aimet__bnfold_compute(struct aimet_ctx *ctx, struct aimet_plan *p, struct xbnfold *f);
void aimet__value_release(struct xvalue *v);
size_t aimet__mem_limit(void);
int aimet__node_error(struct aimet_ctx *ctx, int st, const struct aimet_node *n);   /* largest buffer we allocate (half of physical memory) */
/* Classify and lay out the steps again after inputs were marked `spec`. */
int aimet__replan(struct aimet_ctx *ctx, struct aimet_plan *p);
int aimet__value_own(struct aimet_ctx *ctx, struct xvalue *v);
/* The clamp of a Relu or Clip node with constant bounds: 1 and the bounds, else 0. */
int aimet__clamp_bounds(const struct aimet_plan *p, const struct xnode *a, float *lo, float *hi);
/* The enum aimet_ew_op that node n computes exactly (the library's own op, float32 semantics
 * permitting), or 0. */
int aimet__ew_kind(const struct aimet_plan *p, const struct xnode *n);
/* run.c: the executor's op that runs a step's elementwise chain */
extern const struct aimet_op aimet__ewchain_op;
/* prepare.c */
void aimet__unprepare(struct aimet_plan *p);
int aimet__ws_reserve(struct aimet_ctx *ctx, struct aimet_plan *p);  /* grow to ws_size */
int aimet__step_prepare(struct aimet_ctx *ctx, struct aimet_plan *p, struct xstep *s);

#endif
