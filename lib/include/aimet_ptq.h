/* aimet_ptq.h: post-training passes on the model IR — batch-norm folding (and later cross-layer
 * equalization, bias correction, AdaRound). Each edits a model in place. */
#ifndef AIMET_PTQ_H
#define AIMET_PTQ_H

#include "aimet.h"

/* Metadata key prefix under which a folded BatchNormalization's gamma and beta are kept, per
 * folded layer output: "aimet.bn.<tensor>" = {"gamma": [...], "beta": [...]} (JSON), scaled as
 * the layer's output now is. High-bias absorption and analytical bias correction read them. */
#define AIMET_BN_META_PREFIX "aimet.bn."

/* Fold every BatchNormalization that directly follows a Conv, ConvTranspose or Gemm (the
 * layer's output read by the BN alone, weights constant) into that layer's weight and bias
 * (backward fold), and every BatchNormalization that directly precedes an unpadded group-1
 * Conv (forward fold). A Mul/Add/Sub/Div of such a layer's output by a constant that varies at
 * most along the channel axis (an affine step, as exporters write "learnable affine" blocks) is
 * folded the same way. *n_folded (may be NULL) gets the number of nodes folded away. The
 * function of the model is unchanged up to float rounding. */
int aimet_fold_batchnorms(struct aimet_ctx *ctx, struct aimet_model *m, int *n_folded);
/* Model preparation: x * Clip(x + 3, 0, 6) / 6 (HardSwish as exporters such as PaddlePaddle
 * spell it out) becomes x * HardSigmoid(x), so that quantization places one quantizer after the
 * gate and one after the product instead of four on the intermediate arithmetic (on
 * ppocr_rec W8A8 per-channel: character accuracy 0.944 -> 0.953). Intermediate tensors read
 * elsewhere or graph outputs keep the pattern as it is. *n_fused (may be NULL) gets the count. */
int aimet_fuse_hardswish(struct aimet_ctx *ctx, struct aimet_model *m, int *n_fused);

/* Set a Conv/ConvTranspose/Gemm's bias (input 2) to `b` (n floats; NULL = zeros): the existing
 * bias weight is replaced in place, or a new initializer "<layer>.bias" is added. */
int aimet_layer_set_bias(struct aimet_ctx *ctx, struct aimet_graph *g, struct aimet_node *layer,
                         const float *b, size_t n);

/* The folded BN statistics recorded for a layer output (see AIMET_BN_META_PREFIX): arrays of
 * n channels, malloc'd (caller frees both). Returns 0 when found, -1 when none. */
int aimet_bn_meta_get(const struct aimet_model *m, const char *tensor, float **gamma,
                      float **beta, size_t *n);
int aimet_bn_meta_set(struct aimet_ctx *ctx, struct aimet_model *m, const char *tensor,
                      const float *gamma, const float *beta, size_t n);

/* How the passes view a layer's weight: as [dim0, dim1, inner] — Conv [O, I/g, k...],
 * ConvTranspose [I, O/g, k...], Gemm/MatMul [I, O] (or [O, I] with transB). */
enum { AIMET_WL_CONV = 0, AIMET_WL_CONVT, AIMET_WL_GEMM };
struct aimet_wlayout {
	int kind, tb;                  /* AIMET_WL_*, Gemm's transB */
	size_t n_out, n_in, groups, dim1;
};
/* Output and input channel of weight element (a, j, *) in that view (report.c). */
void aimet_wlayout_chan(const struct aimet_wlayout *l, size_t a, size_t j, size_t *oc, size_t *ic);

/* ---- cross-layer equalization (cle.c; FORMATS.md section 5) ---- */
struct aimet_cle_opts {
	int keep_relu6;          /* leave Clip(0,6) between convs (those pairs are then skipped) */
	int no_high_bias_fold;   /* skip high-bias absorption */
	int max_rounds;          /* scaling rounds until converged; 0 = default (20) */
};
/* A scaled set: two layers (pair) or three (a depthwise layer in the middle). */
struct aimet_cle_set {
	char *layers[3]; int n_layers;   /* node names (or output names when unnamed) */
	double scale_min, scale_max;     /* range of the accumulated per-channel scales */
	int relu6_replaced;              /* a Clip(0,6) in the set became Relu */
	double bias_absorbed;            /* sum over channels of the absorbed bias c */
	int n_absorbed;                  /* channels with c > 0 */
};
struct aimet_cle_skip { char *layer; char *reason; };
/* Append to a pass report's skip list: the layer's label and a formatted reason. */
int aimet_skip_add(struct aimet_ctx *ctx, struct aimet_cle_skip **skips, size_t *n,
                   const struct aimet_node *layer, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* 1 if the layer's name or first output is one of the count names (--layers/--skip-layers). */
int aimet_layer_in_list(const struct aimet_node *n, const char *const *names, int count);
/* Free a skip list (accepts NULL / 0). */
void aimet_skips_free(struct aimet_cle_skip *skips, size_t n);
struct aimet_cle_report {
	int n_bn_folded, n_relu6_replaced, rounds;
	struct aimet_cle_set *sets; size_t n_sets;
	struct aimet_cle_skip *skips; size_t n_skips;
};
void aimet_cle_opts_init(struct aimet_cle_opts *o);
/* BN fold, ReLU6 -> ReLU (unless keep_relu6), cross-layer scaling of Conv/ConvTranspose/Gemm
 * chains (only Relu/PRelu or nothing between, single consumers), then high-bias absorption
 * from the folded BN statistics. Edits `m` in place; *report (may be NULL) gets a description
 * owned by the caller (aimet_cle_report_free). */
int aimet_cle(struct aimet_ctx *ctx, struct aimet_model *m, const struct aimet_cle_opts *opts,
              struct aimet_cle_report **report);
void aimet_cle_report_free(struct aimet_cle_report *r);   /* accepts NULL */

/* ---- bias correction (biascorr.c; FORMATS.md section 5) ---- */
struct aimet_qsim_opts;
struct aimet_dataset;
struct aimet_bc_opts {
	int analytical;                  /* from the folded BN statistics (data-free) */
	const char *const *layers; int n_layers;        /* only these (NULL: every layer) */
	const char *const *skip_layers; int n_skip;     /* never these */
	void (*progress)(int64_t done, int64_t total);  /* layers done; may be NULL */
	/* Other data (needs `ds` too) on which the shift is measured again, before and after,
	 * against the uncorrected FP32 model: the correction's effect on data it was not fitted to. */
	struct aimet_dataset *heldout;
};
/* Per corrected layer: the mean |quantized - FP32| output shift over channels before and after
 * (empirical: measured on the data; analytical: the predicted shift, after = 0). */
struct aimet_bc_layer {
	char *name;            /* node name (or its output) */
	char *output;          /* pre-activation output tensor */
	int analytical;
	double shift_before, shift_after;
	int has_heldout;       /* measured on opts->heldout too: */
	double heldout_before, heldout_after;
	int measured;          /* shift_* measured on data (else the analytical prediction) */
	/* analytical with data: the shift of this layer's own weight quantization alone (FP32
	 * inputs and other weights, activations not quantized), before and after — what the
	 * analytical correction models, where shift_* also carry the earlier layers' errors */
	int has_weight_shift;
	double weight_shift_before, weight_shift_after;
};
struct aimet_bc_report {
	struct aimet_bc_layer *layers; size_t n_layers;
	struct aimet_cle_skip *skips; size_t n_skips;
};
/* Fold batch norms, then correct the bias of every Conv/ConvTranspose/Gemm (adding a zero bias
 * where there is none) and MatMul with a constant 2-D weight (its bias: the constant [C] of the
 * Add that alone follows it, or a zero one in an Add inserted after it) so that the quantized
 * model's mean pre-activation output per channel matches FP32's: empirically on `ds` (per layer
 * in topological order, the quantized model carrying the earlier corrections) or analytically.
 * `qopts` decides what "quantized" means.
 * `ds` may be NULL only with analytical. *report may be NULL. */
int aimet_bias_correct(struct aimet_ctx *ctx, struct aimet_model *m,
                       const struct aimet_qsim_opts *qopts, struct aimet_dataset *ds,
                       const struct aimet_bc_opts *opts, struct aimet_bc_report **report);
void aimet_bc_report_free(struct aimet_bc_report *r);   /* accepts NULL */

/* ---- AdaRound (adaround.c; FORMATS.md section 5) ---- */
struct aimet_encodings;
struct aimet_ada_layer {
	char *name;              /* node name (or its output) */
	char *weight;            /* the weight tensor rounded */
	int64_t iterations;
	double loss_first, loss_last;    /* reconstruction loss of the first and last batch */
	double seconds;
	size_t n_weights, n_up;          /* weights, and those rounded up (h = 1) */
	size_t n_flipped;                /* weights rounded the other way than round-to-nearest */
	double gemm_flops;               /* GEMM work of one step (forward and weight gradient) */
};
struct aimet_ada_report {
	struct aimet_ada_layer *layers; size_t n_layers;
	struct aimet_cle_skip *skips; size_t n_skips;
	double seconds;
	int spilled;                     /* some layer's cache went to a temporary file */
};
struct aimet_ada_opts {
	int64_t iterations;      /* per layer; <= 0: 10000 */
	double reg_param;        /* lambda; < 0: 0.01 */
	double beta_start, beta_end;     /* <= 0: 20 and 2 */
	double warm_start;       /* fraction without regularization; < 0: 0.2 */
	int batch;               /* <= 0: 32 */
	int64_t samples;         /* samples of the dataset used; <= 0: all up to 2000 */
	uint64_t seed;
	size_t cache_bytes;      /* activation cache budget; 0: 512 MiB */
	int fp32_inputs;         /* layer inputs from the FP32 model, not the rounded one */
	double lr;               /* Adam learning rate; <= 0: 1e-3 */
	double thread_min_flops; /* work per step per thread before a second one joins; <= 0: 2e7 */
	const char *const *layers; int n_layers;        /* only these (NULL: every layer) */
	const char *const *skip_layers; int n_skip;     /* never these */
	/* Called during a layer (iter < total) and once when it is done (iter == total, `l`
	 * complete); may be NULL. */
	void (*progress)(void *user, size_t layer, size_t n_layers, const struct aimet_ada_layer *l,
	                 int64_t iter, int64_t total, double loss);
	void *user;
};
void aimet_ada_opts_init(struct aimet_ada_opts *o);   /* every field to its default */
/* Fold batch norms, compute the param encodings of `qopts` from the folded weights, then learn
 * per layer (Conv, Gemm, MatMul with constant weights, topological order) whether each weight
 * rounds up or down, and write the hard-rounded (dequantized) weights into `m`. *enc gets the
 * param encodings (caller owns; the weights now lie on their grids); *report may be NULL. */
int aimet_adaround(struct aimet_ctx *ctx, struct aimet_model *m,
                   const struct aimet_qsim_opts *qopts, struct aimet_dataset *ds,
                   const struct aimet_ada_opts *opts, struct aimet_encodings **enc,
                   struct aimet_ada_report **report);
void aimet_ada_report_free(struct aimet_ada_report *r);   /* accepts NULL */
/* Self-check for tests: layer `layer` of `m` (no BN folding) with `n` random inputs of the
 * model's input shape run through the layer, and random soft-rounding variables: the largest
 * relative difference between the analytic gradient of the AdaRound loss (reconstruction plus
 * regularization at `beta`) and central finite differences in double, over up to `n_check`
 * variables (*max_err), and the relative difference of the fast forward against a plain
 * double-precision one (*fwd_err). */
int aimet_ada_gradcheck(struct aimet_ctx *ctx, const struct aimet_model *m, const char *layer,
                        int bw, double beta, double reg, uint64_t seed, int n_check,
                        double *max_err, double *fwd_err);

#endif
