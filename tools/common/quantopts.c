/* quantopts.c: the quantization options shared by aimet-sim, aimet-biascorr, aimet-adaround. */
#include "quantopts.h"

#include <string.h>

void cli_qsim_opts(struct aimet_ctx *ctx, const struct cli_args *a, const struct cli_opt *opts,
                   struct aimet_qsim_opts *out, struct aimet_qconfig **config)
{
	const char *v;
	aimet_qsim_opts_init(out);
	*config = NULL;
	if ((v = cli_get(a, opts, "param-bw")))
		out->param_bw = (int)cli_parse_long("--param-bw", v, AIMET_BW_COMPUTE_MIN, AIMET_BW_COMPUTE_MAX);
	if ((v = cli_get(a, opts, "act-bw")))
		out->act_bw = (int)cli_parse_long("--act-bw", v, AIMET_BW_COMPUTE_MIN, AIMET_BW_COMPUTE_MAX);
	if ((v = cli_get(a, opts, "scheme")) && (out->scheme = aimet_scheme_parse(v)) < 0)
		cli_usage_error("--scheme: '%s' is not tf, tf_enhanced, percentile or mse", v);
	if ((v = cli_get(a, opts, "percentile"))) {
		out->percentile = cli_parse_double("--percentile", v, 50, 100);
		if (!cli_get(a, opts, "scheme"))
			out->scheme = AIMET_SCHEME_PERCENTILE;
	}
	if (cli_has(a, opts, "per-channel"))
		out->per_channel = 1;
	if ((v = cli_get(a, opts, "config"))) {
		if (aimet_qconfig_read(ctx, v, config))
			cli_die_ctx(ctx);
		out->config = *config;
	}
}

int cli_encoding_version(const struct cli_args *a, const struct cli_opt *opts)
{
	const char *v = cli_get(a, opts, "encoding-version");
	int ver;
	if (!v)
		return AIMET_ENC_DEFAULT_VERSION;
	if (!(ver = aimet_enc_version_parse(v)))
		cli_usage_error("--encoding-version: '%s' is not 0.6.1, 1.0.0 or 2.0.0", v);
	return ver;
}

static const char *progress_label = "samples";

void cli_progress_label(const char *label) { progress_label = label; }

void cli_progress_samples(int64_t done, int64_t total)
{
	cli_progress("%s: %lld/%lld samples", progress_label, (long long)done, (long long)total);
}
