/* quantopts.h: CLI_QUANT_OPTS (cli.h) turned into simulator settings, one way for every tool. */
#ifndef AIMET_QUANTOPTS_H
#define AIMET_QUANTOPTS_H

#include "cli.h"
#include "aimet_qsim.h"

/* Fill `out` from --param-bw, --act-bw, --scheme, --percentile, --per-channel and --config
 * (the configuration read into *config, owned by the caller: aimet_qconfig_free; NULL when
 * none was given, meaning AIMET's default). Dies with a usage error on bad values and with
 * exit 1 when the configuration cannot be read. */
void cli_qsim_opts(struct aimet_ctx *ctx, const struct cli_args *a, const struct cli_opt *opts,
                   struct aimet_qsim_opts *out, struct aimet_qconfig **config);
/* --encoding-version as an enum aimet_enc_version (default 1.0.0). */
int cli_encoding_version(const struct cli_args *a, const struct cli_opt *opts);
/* Progress callback for calibration/evaluation loops: "LABEL: done/total samples". */
void cli_progress_samples(int64_t done, int64_t total);
void cli_progress_label(const char *label);

#endif
