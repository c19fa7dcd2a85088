/* aimet-adaround: adaptive rounding — learn per layer whether each weight rounds up or down, write
 * the model with the rounded weights and the param encodings for aimet-sim --freeze-params. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aimet_onnx.h"
#include "aimet_ptq.h"
#include "aimet_qsim.h"
#include "cli.h"
#include "quantopts.h"

static const struct cli_opt opts[] = {
	{"output", 'o', 1, 0, "write the model with the rounded weights (batch norms folded)", "OUT.onnx"},
	{"iterations", 0, 1, 0, "optimisation steps per layer (default 10000)", "N"},
	{"reg-param", 0, 1, 0, "weight of the rounding regularizer (default 0.01)", "L"},
	{"beta-range", 0, 1, 0, "regularizer exponent, annealed from B0 to B1 (default 20,2)", "B0,B1"},
	{"warm-start", 0, 1, 0, "fraction of the steps without regularization (default 0.2)", "F"},
	{"seed", 0, 1, 0, "seed of the batch sampling (default 0)", "S"},
	{"layers", 0, 1, 1, "round only these layers (node or output names, comma-separated)", "L1,L2"},
	{"skip-layers", 0, 1, 1, "leave these layers round-to-nearest (comma-separated)", "L1,L2"},
	{"cache-mb", 0, 1, 0, "memory for cached layer activations in MiB (default 512)", "M"},
	{"fp32-inputs", 0, 0, 0, "feed each layer the FP32 model's activations", NULL},
	CLI_DATA_OPTS,
	CLI_QUANT_OPTS,
	{0}};

static const char usage[] =
	"usage: aimet-adaround [OPTIONS] MODEL.onnx --data CALIB -o OUT.onnx --encodings PARAMS.encodings\n"
	"Folds batch norms, computes the param encodings (default 4 bits), then for each Conv, Gemm\n"
	"and MatMul in order learns whether each weight rounds up or down so that the layer's output\n"
	"(after its activation) stays close to FP32 on CALIB (--samples, default 2000; --batch, default\n"
	"32, is the optimisation batch). Writes the model with the rounded weights and the param\n"
	"encodings; run aimet-sim OUT.onnx --freeze-params PARAMS.encodings to calibrate activations.";



static void progress(void *user, size_t layer, size_t n_layers, const struct aimet_ada_layer *l,
                     int64_t iter, int64_t total, double loss)
{
	if (iter < total) {
		cli_progress("layer %zu/%zu %s: step %lld/%lld, loss %.4g", layer + 1, n_layers,
		             l->name, (long long)iter, (long long)total, loss);
		return;
	}
	cli_progress_done();
	if (cli_verbosity >= 1)
		fprintf(stderr, "aimet-adaround: layer %zu/%zu %s: loss %.4g -> %.4g, %zu of %zu weights "
		        "rounded differently from nearest, %.1f s\n", layer + 1, n_layers, l->name, l->loss_first,
		        l->loss_last, l->n_flipped, l->n_weights, l->seconds);
	if (cli_verbosity >= 2 && l->iterations > 0 && l->seconds > 0)
		fprintf(stderr, "aimet-adaround:   %.3f ms per step, %.3g GFLOP per step in GEMMs, %.2f GFLOP/s\n",
		        1e3 * l->seconds / (double)l->iterations, 1e-9 * l->gemm_flops,
		        1e-9 * l->gemm_flops * (double)l->iterations / l->seconds);
}

int main(int argc, char **argv)
{
	struct aimet_ctx *ctx = cli_init("aimet-adaround");
	struct cli_args a;
	struct aimet_model *model;
	struct aimet_qsim_opts qo;
	struct aimet_qconfig *config = NULL;
	struct aimet_dataset *ds = NULL;
	struct aimet_dataset_spec spec;
	struct aimet_ada_opts ao;
	struct aimet_ada_report *rep;
	struct aimet_encodings *enc;
	const char *out, *enc_out, *v;
	char *s1, *s2;
	const char **l1, **l2;
	int version;

	cli_parse(argc, argv, opts, usage, &a, ctx);
	if (a.n_pos != 1)
		cli_usage_error("expected one model, got %d arguments", a.n_pos);
	if (!(out = cli_get(&a, opts, "output")))
		cli_usage_error("-o is required (the output model)");
	if (!(enc_out = cli_get(&a, opts, "encodings")))
		cli_usage_error("--encodings is required (the param encodings)");
	if (!cli_has(&a, opts, "data"))
		cli_usage_error("--data is required (the calibration data)");
	if (cli_has(&a, opts, "freeze-params"))
		cli_usage_error("--freeze-params is not supported by aimet-adaround");
	if (!strcmp(out, "-") && !strcmp(enc_out, "-"))
		cli_usage_error("only one output can go to stdout");
	if (!strcmp(out, "-") && isatty(1))
		cli_die("refusing to write a binary model to a terminal");
	aimet_ada_opts_init(&ao);
	if ((v = cli_get(&a, opts, "iterations")))
		ao.iterations = cli_parse_long("--iterations", v, 1, 100000000);
	if ((v = cli_get(&a, opts, "reg-param")))
		ao.reg_param = cli_parse_double("--reg-param", v, 0, 1e6);
	if ((v = cli_get(&a, opts, "beta-range"))) {
		float b[2];
		if (cli_parse_floats("--beta-range", v, b, 2) != 2 || !(b[0] >= 1) || !(b[1] >= 1) || b[0] > 1000 ||
		    b[1] > 1000)
			cli_usage_error("--beta-range: expected two values B0,B1 between 1 and 1000");
		ao.beta_start = b[0];
		ao.beta_end = b[1];
	}
	if ((v = cli_get(&a, opts, "warm-start")))
		ao.warm_start = cli_parse_double("--warm-start", v, 0, 0.99);
	if ((v = cli_get(&a, opts, "seed")))
		ao.seed = (uint64_t)cli_parse_long("--seed", v, 0, 0x7fffffffL);
	if ((v = cli_get(&a, opts, "cache-mb")))
		ao.cache_bytes = (size_t)cli_parse_long("--cache-mb", v, 1, 1L << 30) << 20;
	ao.fp32_inputs = cli_has(&a, opts, "fp32-inputs");
	version = cli_encoding_version(&a, opts);
	cli_qsim_opts(ctx, &a, opts, &qo, &config);
	if (!cli_has(&a, opts, "param-bw"))
		qo.param_bw = 4;
	ao.n_layers = cli_get_list(&a, opts, "layers", &s1, &l1);
	ao.n_skip = cli_get_list(&a, opts, "skip-layers", &s2, &l2);
	ao.layers = l1;
	ao.skip_layers = l2;
	ao.progress = progress;
	aimet_dataset_spec_init(&spec);
	cli_dataset_spec(&a, opts, &spec);
	if (spec.batch <= 0)
		spec.batch = 32;
	ao.batch = (int)spec.batch;
	if (spec.samples <= 0)
		spec.samples = 2000;
	ao.samples = spec.samples;
	cli_check_writable(out);
	cli_check_writable(enc_out);

	if (aimet_model_load(ctx, a.pos[0], &model))
		cli_die_ctx(ctx);
	if (aimet_dataset_open(ctx, &spec, &ds))
		cli_die_ctx(ctx);
	aimet_dataset_spec_clear(&spec);
	if (aimet_adaround(ctx, model, &qo, ds, &ao, &enc, &rep))
		cli_die_ctx(ctx);
	cli_progress_done();
	if (aimet_encodings_write(ctx, enc, version, enc_out))
		cli_die_ctx(ctx);
	if (aimet_model_save(ctx, model, out, NULL)) {
		if (strcmp(enc_out, "-"))
			unlink(enc_out);
		cli_die_ctx(ctx);
	}
	if (cli_verbosity >= 1) {
		fprintf(stderr, "aimet-adaround: %zu layers rounded in %.1f s%s", rep->n_layers, rep->seconds,
		        rep->spilled ? " (activations spilled to a temporary file)" : "");
		fprintf(stderr, ", %zu skipped\n", rep->n_skips);
		for (size_t i = 0; i < rep->n_skips; i++)
			fprintf(stderr, "  skipped %s: %s\n", rep->skips[i].layer, rep->skips[i].reason);
	}
	aimet_ada_report_free(rep);
	aimet_encodings_free(enc);
	aimet_dataset_free(ds);
	aimet_model_free(model);
	aimet_qconfig_free(config);
	free(s1);
	free(s2);
	free(l1);
	free(l2);
	cli_args_free(&a, opts);
	aimet_ctx_free(ctx);
	return 0;
}
