/* aimet-sim: quantization simulation — calibrate encodings on representative data, write the
 * (batch-norm folded) model, its encodings and a QDQ model, and predict quantized accuracy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aimet_eval.h"
#include "aimet_onnx.h"
#include "aimet_qsim.h"
#include "cli.h"
#include "quantopts.h"

static const struct cli_opt opts[] = {
	{"output", 'o', 1, 0, "write the model the encodings refer to (batch norms folded)", "OUT.onnx"},
	{"qdq", 0, 1, 0, "also write a QuantizeLinear/DequantizeLinear model for ONNX Runtime", "FILE"},
	{"eval", 0, 1, 0, "evaluation data: print FP32 and quantized top-1 accuracy", "X.npy"},
	{"labels", 0, 1, 0, "labels of the evaluation data", "Y.npy"},
	{"no-fold-bn", 0, 0, 0, "keep batch normalizations instead of folding them", NULL},
	{"ref", 0, 0, 0, "use the reference kernels", NULL},
	CLI_DATA_OPTS,
	CLI_QUANT_OPTS,
	{0}};

static const char usage[] =
	"usage: aimet-sim [OPTIONS] MODEL.onnx --data CALIB [-o OUT.onnx] [--encodings OUT.encodings]\n"
	"                 [--qdq OUT_QDQ.onnx] [--eval X.npy --labels Y.npy]\n"
	"Computes quantization encodings from representative data (CALIB) and simulates the\n"
	"quantized model. MODEL may be '-' (stdin); OUT may be '-' (stdout).";

/* Outputs already renamed into place, removed again if a later one fails. */
static const char *written[4];
static int n_written;

static void undo_outputs(void)
{
	for (int i = 0; i < n_written; i++)
		if (strcmp(written[i], "-"))
			unlink(written[i]);
	n_written = 0;
}

static void fail(struct aimet_ctx *ctx)
{
	undo_outputs();
	cli_die_ctx(ctx);
}

/* Open a dataset for `path` with the preprocessing options of the command line. */
static struct aimet_dataset *open_data(struct aimet_ctx *ctx, const struct cli_args *a,
                                       const char *path)
{
	struct aimet_dataset_spec spec;
	struct aimet_dataset *ds;
	aimet_dataset_spec_init(&spec);
	cli_dataset_spec(a, opts, &spec);
	if (path) {
		/* --eval X: one source, the same preprocessing, no --samples limit */
		aimet_dataset_spec_clear(&spec);
		spec.n_sources = 1;
		spec.names[0] = NULL;
		spec.paths[0] = path;
		spec.samples = 0;
	}
	if (spec.batch <= 0)
		spec.batch = 32;
	if (aimet_dataset_open(ctx, &spec, &ds))
		cli_die_ctx(ctx);
	aimet_dataset_spec_clear(&spec);
	return ds;
}

static double evaluate(struct aimet_ctx *ctx, struct aimet_qsim *sim, struct aimet_dataset *ds,
                       const int64_t *labels, int64_t n_labels, int64_t *n)
{
	int64_t correct = 0;
	if (aimet_eval_top1(ctx, aimet_qsim_plan(sim), ds, labels, n_labels, &correct, n,
	                    cli_progress_samples))
		cli_die_ctx(ctx);
	cli_progress_done();
	return *n ? (double)correct / (double)*n : 0;
}

int main(int argc, char **argv)
{
	struct aimet_ctx *ctx = cli_init("aimet-sim");
	struct cli_args a;
	struct aimet_qsim_opts qo;
	struct aimet_qconfig *config = NULL;
	struct aimet_model *model;
	struct aimet_qsim *sim;
	struct aimet_dataset *calib;
	struct aimet_encodings *enc;
	const char *out, *enc_out, *qdq_out, *eval, *labels_path, *v;
	int version;

	cli_parse(argc, argv, opts, usage, &a, ctx);
	if (a.n_pos != 1)
		cli_usage_error("expected one model, got %d arguments", a.n_pos);
	if (!cli_has(&a, opts, "data"))
		cli_usage_error("--data is required (the calibration data)");
	out = cli_get(&a, opts, "output");
	enc_out = cli_get(&a, opts, "encodings");
	qdq_out = cli_get(&a, opts, "qdq");
	eval = cli_get(&a, opts, "eval");
	labels_path = cli_get(&a, opts, "labels");
	if (!!eval != !!labels_path)
		cli_usage_error("--eval and --labels go together");
	if ((out && !strcmp(out, "-")) + (enc_out && !strcmp(enc_out, "-")) + (qdq_out && !strcmp(qdq_out, "-")) > 1)
		cli_usage_error("only one output can go to stdout");
	if (eval && ((out && !strcmp(out, "-")) || (qdq_out && !strcmp(qdq_out, "-"))))
		cli_usage_error("--eval prints results on stdout: write the model to a file");
	if ((out && !strcmp(out, "-") && isatty(1)) || (qdq_out && !strcmp(qdq_out, "-") && isatty(1)))
		cli_die("refusing to write a binary model to a terminal");
	version = cli_encoding_version(&a, opts);
	cli_qsim_opts(ctx, &a, opts, &qo, &config);
	qo.no_fold_bn = cli_has(&a, opts, "no-fold-bn");
	qo.use_ref = cli_has(&a, opts, "ref");

	if (aimet_model_load(ctx, a.pos[0], &model))
		cli_die_ctx(ctx);
	if (aimet_qsim_new(ctx, model, &qo, &sim))
		cli_die_ctx(ctx);
	if ((v = cli_get(&a, opts, "freeze-params"))) {
		struct aimet_encodings *frozen;
		if (aimet_encodings_read(ctx, v, &frozen))
			cli_die_ctx(ctx);
		if (aimet_encodings_resolve(ctx, frozen, aimet_qsim_model(sim)) ||
		    aimet_qsim_freeze_params(ctx, sim, frozen))
			cli_die_ctx(ctx);
		aimet_encodings_free(frozen);
	}
	calib = open_data(ctx, &a, NULL);
	cli_progress_label("calibration");
	if (aimet_qsim_calibrate(ctx, sim, calib, cli_progress_samples))
		cli_die_ctx(ctx);
	cli_progress_done();
	aimet_dataset_free(calib);
	if (aimet_qsim_encodings(ctx, sim, &enc))
		cli_die_ctx(ctx);

	if (eval) {
		struct aimet_dataset *ds = open_data(ctx, &a, eval);
		int64_t *labels, n_labels, n = 0;
		double fp32, quant;
		if (aimet_labels_read(ctx, labels_path, &labels, &n_labels))
			cli_die_ctx(ctx);
		cli_progress_label("fp32 evaluation");
		if (aimet_qsim_set_enabled(ctx, sim, 0))
			cli_die_ctx(ctx);
		fp32 = evaluate(ctx, sim, ds, labels, n_labels, &n);
		cli_progress_label("quantized evaluation");
		if (aimet_qsim_set_enabled(ctx, sim, 1))
			cli_die_ctx(ctx);
		quant = evaluate(ctx, sim, ds, labels, n_labels, &n);
		printf("fp32_accuracy %.4f\nquant_accuracy %.4f\nn %lld\n", fp32, quant, (long long)n);
		fflush(stdout);
		free(labels);
		aimet_dataset_free(ds);
	}

	if (out) {
		if (aimet_model_save(ctx, aimet_qsim_model(sim), out, NULL))
			fail(ctx);
		written[n_written++] = out;
	}
	if (enc_out) {
		if (aimet_encodings_write(ctx, enc, version, enc_out))
			fail(ctx);
		written[n_written++] = enc_out;
	}
	if (qdq_out) {
		struct aimet_model *qdq;
		if (aimet_qdq_export(ctx, aimet_qsim_model(sim), enc, &qdq) ||
		    aimet_model_save(ctx, qdq, qdq_out, NULL))
			fail(ctx);
		written[n_written++] = qdq_out;
		aimet_model_free(qdq);
	}
	aimet_encodings_free(enc);
	aimet_qsim_free(sim);
	aimet_qconfig_free(config);
	cli_args_free(&a, opts);
	aimet_ctx_free(ctx);
	return 0;
}
