/* aimet_qsim.h: quantization simulation — the quantsim configuration (FORMATS.md section 4),
 * quantizer placement on a model, calibration through the executor, and QDQ export. */
#ifndef AIMET_QSIM_H
#define AIMET_QSIM_H

#include "aimet.h"
#include "aimet_quant.h"
#include "aimet_calib.h"

/* ---- quantsim configuration (JSON or YAML) ---- */
/* Tri-state settings: -1 = not set in this section (inherit). */
struct aimet_qconfig_param {
	char *name;            /* "weight", "bias" */
	int is_quantized, is_symmetric;
};

struct aimet_qconfig_op {
	char *op_type;
	int is_input_quantized, is_output_quantized, is_symmetric, per_channel;
	struct aimet_qconfig_param *params; size_t n_params;
	int has_constraint;    /* encoding_constraints: the output range is pinned to [cmin, cmax] */
	double cmin, cmax;
};

struct aimet_qconfig {
	/* defaults */
	int act_quantized, act_symmetric;
	int param_quantized, param_symmetric;
	int strict_symmetric, unsigned_symmetric, per_channel;
	struct aimet_qconfig_param *params; size_t n_params;   /* the "params" section */
	struct aimet_qconfig_op *ops; size_t n_ops;             /* the "op_type" section */
	char ***supergroups; size_t *supergroup_len; size_t n_supergroups;
	int model_input_quantized, model_output_quantized;
};

/* Read a configuration file (JSON, or YAML when the text does not start with '{'). YAML
 * aliases are refused (no alias bombs); nesting deeper than 32 levels is refused.
 * Booleans may be JSON booleans or the strings "True"/"False" as in AIMET's files. */
int aimet_qconfig_read(struct aimet_ctx *ctx, const char *path, struct aimet_qconfig **out);
int aimet_qconfig_parse(struct aimet_ctx *ctx, const char *text, size_t len, const char *name,
                        struct aimet_qconfig **out);
void aimet_qconfig_free(struct aimet_qconfig *c);       /* accepts NULL */
/* The op_type section for an op, or NULL. Borrowed. */
const struct aimet_qconfig_op *aimet_qconfig_op(const struct aimet_qconfig *c, const char *op_type);
/* Effective settings for an op's output and for a parameter of an op (op sections override
 * the params section, which overrides defaults). */
int aimet_qconfig_output_quantized(const struct aimet_qconfig *c, const char *op_type);
void aimet_qconfig_param_settings(const struct aimet_qconfig *c, const char *op_type,
                                  const char *param, int *quantized, int *symmetric,
                                  int *per_channel);

struct aimet_dataset;
struct aimet_plan;

/* ---- the simulator ---- */
struct aimet_qsim_opts {
	int param_bw, act_bw;           /* 4..16 */
	int scheme;                     /* enum aimet_scheme */
	double percentile;              /* for AIMET_SCHEME_PERCENTILE */
	int per_channel;                /* -1: as the configuration says; 0/1: force */
	const struct aimet_qconfig *config;  /* NULL: AIMET's default configuration */
	int no_fold_bn;                 /* keep batch norms (they are folded by default) */
	int use_ref;                    /* reference kernels */
};
void aimet_qsim_opts_init(struct aimet_qsim_opts *o);   /* W8A8, tf_enhanced, percentile 100 */

/* One quantizer: a tensor of the model (an activation, or a weight = "param"). */
struct aimet_quantizer {
	char *name;
	int kind;                       /* AIMET_ENC_ACT or AIMET_ENC_PARAM */
	int bw;
	unsigned flags;                 /* AIMET_GRID_* */
	int per_channel, axis;          /* params only */
	size_t n_ch;                    /* encodings: 1, or the channel count */
	struct aimet_observer *obs;     /* statistics while calibrating */
	struct aimet_encoding *enc;     /* n_ch encodings once computed */
	int has_enc;
	int frozen;                     /* taken from a file: never recomputed */
	int constrained; double cmin, cmax;  /* encoding_constraints: fixed range */
};

struct aimet_qsim;

/* Build a simulator for `model` (taken over: freed by aimet_qsim_free, also on failure). Batch
 * norms are folded first (unless opts->no_fold_bn), then quantizers placed following the
 * configuration, and an execution plan made. */
int aimet_qsim_new(struct aimet_ctx *ctx, struct aimet_model *model,
                   const struct aimet_qsim_opts *opts, struct aimet_qsim **out);
void aimet_qsim_free(struct aimet_qsim *s);          /* accepts NULL */
/* The (folded) model the encodings refer to; borrowed. */
const struct aimet_model *aimet_qsim_model(const struct aimet_qsim *s);
/* The plan (to run with aimet_plan_run/aimet_eval_top1: it simulates once encodings exist). */
struct aimet_plan *aimet_qsim_plan(struct aimet_qsim *s);
size_t aimet_qsim_n_quantizers(const struct aimet_qsim *s);
struct aimet_quantizer *aimet_qsim_quantizer(struct aimet_qsim *s, size_t i);
struct aimet_quantizer *aimet_qsim_find(struct aimet_qsim *s, const char *tensor);

/* Use the param encodings of `enc` for the weights it names (kept, never recomputed);
 * AIMET_ERR_INVALID when an entry does not fit its weight. */
int aimet_qsim_freeze_params(struct aimet_ctx *ctx, struct aimet_qsim *s,
                             const struct aimet_encodings *enc);
/* Use every encoding of `enc` (activations and params) as is: a model simulated with an
 * existing encodings file (aimet-run --encodings). Names not in the model are an error. */
int aimet_qsim_load_encodings(struct aimet_ctx *ctx, struct aimet_qsim *s,
                              const struct aimet_encodings *enc);
/* Compute param encodings, quantize the weights in the plan, then run every batch of `ds`
 * with activations unquantized to gather activation statistics, and compute their encodings.
 * From then on the plan simulates. `progress` may be NULL. */
int aimet_qsim_calibrate(struct aimet_ctx *ctx, struct aimet_qsim *s, struct aimet_dataset *ds,
                         void (*progress)(int64_t done, int64_t total));
/* Simulation on (1) or off (0: the FP32 model, weights unquantized). */
int aimet_qsim_set_enabled(struct aimet_ctx *ctx, struct aimet_qsim *s, int on);
/* The encodings (after calibrate or load); caller owns the result. */
int aimet_qsim_encodings(struct aimet_ctx *ctx, const struct aimet_qsim *s,
                         struct aimet_encodings **out);

/* ---- QDQ export ---- */
/* A copy of `model` with QuantizeLinear/DequantizeLinear pairs on every encoded activation and
 * quantized weights stored as integers behind DequantizeLinear, at the opset the encodings need
 * (13 for 8 bits and below, 21 for more), converting the model's older ops as needed. */
int aimet_qdq_export(struct aimet_ctx *ctx, const struct aimet_model *model,
                     const struct aimet_encodings *enc, struct aimet_model **out);

#endif
