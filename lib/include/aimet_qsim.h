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

#endif
