/* aimet-biascorr: bias correction — shift each layer's bias so that the quantized model's mean
 * pre-activation output per channel matches FP32 (empirical on data, or analytical). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <jansson.h>

#include "aimet_onnx.h"
#include "aimet_ptq.h"
#include "aimet_qsim.h"
#include "cli.h"
#include "quantopts.h"

static const struct cli_opt opts[] = {
	{"output", 'o', 1, 0, "write the corrected model to FILE ('-' = stdout)", "FILE"},
	{"analytical", 0, 0, 0, "analytical correction from the folded batch-norm statistics", NULL},
	{"layers", 0, 1, 1, "correct only these layers (node or output names, comma-separated)", "L1,L2"},
	{"skip-layers", 0, 1, 1, "never correct these layers (comma-separated)", "L1,L2"},
	{"report", 0, 1, 0, "write the per-layer report as JSON to FILE", "FILE"},
	{"eval-data", 0, 1, 0, "also measure the shift on this data (not used for fitting)", "FILE"},
	CLI_DATA_OPTS,
	CLI_QUANT_OPTS,
	{0}};

static const char usage[] =
	"usage: aimet-biascorr [OPTIONS] MODEL.onnx --data CALIB -o OUT.onnx [--analytical]\n"
	"Folds batch norms and corrects the bias of every Conv, ConvTranspose, Gemm and MatMul so\n"
	"that the quantized model's mean output per channel matches FP32: measured on CALIB layer\n"
	"by layer (empirical), or computed from the folded batch-norm statistics (--analytical;\n"
	"without --data only layers after a batch norm are corrected). MODEL and OUT may be '-'.";


static struct cli_out *json_report(const struct aimet_bc_report *r, const char *path)
{
	json_t *o = json_object(), *ly = json_array(), *skips = json_array();
	struct cli_out *out;
	char *text;
	for (size_t i = 0; i < r->n_layers; i++) {
		json_t *e = json_pack("{s:s, s:s, s:s, s:f, s:f}", "layer", r->layers[i].name, "output",
		                      r->layers[i].output, "method", r->layers[i].analytical ? "analytical" : "empirical",
		                      "shift_before", r->layers[i].shift_before, "shift_after", r->layers[i].shift_after);
		json_object_set_new(e, "measured", json_boolean(r->layers[i].measured));
		if (r->layers[i].has_weight_shift) {
			json_object_set_new(e, "weight_shift_before", json_real(r->layers[i].weight_shift_before));
			json_object_set_new(e, "weight_shift_after", json_real(r->layers[i].weight_shift_after));
		}
		if (r->layers[i].has_heldout) {
			json_object_set_new(e, "heldout_shift_before", json_real(r->layers[i].heldout_before));
			json_object_set_new(e, "heldout_shift_after", json_real(r->layers[i].heldout_after));
		}
		json_array_append_new(ly, e);
	}
	for (size_t i = 0; i < r->n_skips; i++)
		json_array_append_new(skips, json_pack("{s:s, s:s}", "layer", r->skips[i].layer, "reason",
		                                       r->skips[i].reason));
	json_object_set_new(o, "layers", ly);
	json_object_set_new(o, "skipped", skips);
	if (!(text = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER)))
		cli_die("out of memory");
	out = cli_out_open(path, 0);
	fputs(text, cli_out_fp(out));
	fputc('\n', cli_out_fp(out));
	free(text);
	json_decref(o);
	return out;
}

static void text_report(const struct aimet_bc_report *r, int measured)
{
	double before = 0, after = 0, hb = 0, ha = 0;
	int n_an = 0;
	for (size_t i = 0; i < r->n_layers; i++) {
		before += r->layers[i].shift_before;
		after += r->layers[i].shift_after;
		hb += r->layers[i].heldout_before;
		ha += r->layers[i].heldout_after;
		n_an += r->layers[i].analytical;
	}
	if (r->n_layers) {
		before /= (double)r->n_layers;
		after /= (double)r->n_layers;
		hb /= (double)r->n_layers;
		ha /= (double)r->n_layers;
	}
	if (measured && r->n_layers && r->layers[0].has_heldout)
		fprintf(stderr, "aimet-biascorr: %zu layers corrected (%d analytical), mean output shift %.4g -> %.4g, "
		        "on --eval-data %.4g -> %.4g, %zu skipped\n", r->n_layers, n_an, before, after, hb, ha,
		        r->n_skips);
	else if (measured)
		fprintf(stderr, "aimet-biascorr: %zu layers corrected (%d analytical), mean output shift %.4g -> %.4g, "
		        "%zu skipped\n", r->n_layers, n_an, before, after, r->n_skips);
	else
		fprintf(stderr, "aimet-biascorr: %zu layers corrected analytically, mean predicted shift %.4g, "
		        "%zu skipped\n", r->n_layers, before, r->n_skips);
	if (cli_verbosity < 2)
		return;
	for (size_t i = 0; i < r->n_layers; i++) {
		const struct aimet_bc_layer *l = &r->layers[i];
		fprintf(stderr, "  %s (%s): %s %.4g -> %.4g", l->name, l->analytical ? "analytical" : "empirical",
		        l->measured ? "shift" : "predicted shift", l->shift_before, l->shift_after);
		if (l->has_weight_shift)
			fprintf(stderr, ", own weight error alone %.4g -> %.4g", l->weight_shift_before,
			        l->weight_shift_after);
		if (l->has_heldout)
			fprintf(stderr, ", on --eval-data %.4g -> %.4g", l->heldout_before, l->heldout_after);
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < r->n_skips; i++)
		fprintf(stderr, "  skipped %s: %s\n", r->skips[i].layer, r->skips[i].reason);
}

static void progress_layers(int64_t done, int64_t total)
{
	cli_progress("bias correction: %lld/%lld layers", (long long)done, (long long)total);
}


int main(int argc, char **argv)
{
	struct aimet_ctx *ctx = cli_init("aimet-biascorr");
	struct cli_args a;
	struct aimet_model *model;
	struct aimet_qsim_opts qo;
	struct aimet_qconfig *config = NULL;
	struct aimet_dataset *ds = NULL, *heldout = NULL;
	struct aimet_bc_opts bo;
	struct aimet_bc_report *rep;
	struct cli_out *rout = NULL;
	const char *out, *report, *enc_out;
	char *s1, *s2;
	const char **l1, **l2;
	int version;

	cli_parse(argc, argv, opts, usage, &a, ctx);
	if (a.n_pos != 1)
		cli_usage_error("expected one model, got %d arguments", a.n_pos);
	if (!(out = cli_get(&a, opts, "output")))
		cli_usage_error("-o is required (the output model)");
	memset(&bo, 0, sizeof(bo));
	bo.analytical = cli_has(&a, opts, "analytical");
	if (!cli_has(&a, opts, "data") && !bo.analytical)
		cli_usage_error("--data is required (the calibration data) unless --analytical");
	if (cli_has(&a, opts, "freeze-params"))
		cli_usage_error("--freeze-params is not supported by aimet-biascorr");
	report = cli_get(&a, opts, "report");
	enc_out = cli_get(&a, opts, "encodings");
	if (cli_has(&a, opts, "eval-data") && !cli_has(&a, opts, "data"))
		cli_usage_error("--eval-data needs --data");
	if (enc_out && !cli_has(&a, opts, "data"))
		cli_usage_error("--encodings needs --data");
	if (((report && !strcmp(report, "-")) + (enc_out && !strcmp(enc_out, "-")) + !strcmp(out, "-")) > 1)
		cli_usage_error("only one output can go to stdout");
	if (!strcmp(out, "-") && isatty(1))
		cli_die("refusing to write a binary model to a terminal");
	cli_check_writable(out);
	cli_check_writable(report);
	cli_check_writable(enc_out);
	version = cli_encoding_version(&a, opts);
	cli_qsim_opts(ctx, &a, opts, &qo, &config);
	bo.n_layers = cli_get_list(&a, opts, "layers", &s1, &l1);
	bo.n_skip = cli_get_list(&a, opts, "skip-layers", &s2, &l2);
	bo.layers = l1;
	bo.skip_layers = l2;
	bo.progress = progress_layers;

	if (aimet_model_load(ctx, a.pos[0], &model))
		cli_die_ctx(ctx);
	if (cli_has(&a, opts, "data")) {
		struct aimet_dataset_spec spec;
		aimet_dataset_spec_init(&spec);
		cli_dataset_spec(&a, opts, &spec);
		if (spec.batch <= 0)
			spec.batch = 32;
		if (aimet_dataset_open(ctx, &spec, &ds))
			cli_die_ctx(ctx);
		if (cli_get(&a, opts, "eval-data")) {
			/* the same preprocessing and limit, another file */
			aimet_dataset_spec_clear(&spec);
			cli_dataset_spec(&a, opts, &spec);
			if (spec.batch <= 0)
				spec.batch = 32;
			spec.n_sources = 1;
			spec.names[0] = NULL;
			spec.paths[0] = cli_get(&a, opts, "eval-data");
			if (aimet_dataset_open(ctx, &spec, &heldout))
				cli_die_ctx(ctx);
			bo.heldout = heldout;
		}
		aimet_dataset_spec_clear(&spec);
	}
	if (aimet_bias_correct(ctx, model, &qo, ds, &bo, &rep))
		cli_die_ctx(ctx);
	cli_progress_done();
	if (report)
		rout = json_report(rep, report);
	if (enc_out) {
		/* the encodings of the corrected model, as aimet-sim would compute them */
		struct aimet_model *copy = aimet_model_clone(model);
		struct aimet_qsim *sim;
		struct aimet_encodings *enc;
		if (!copy)
			cli_die("out of memory");
		if (aimet_qsim_new(ctx, copy, &qo, &sim) || aimet_qsim_calibrate(ctx, sim, ds, NULL) ||
		    aimet_qsim_encodings(ctx, sim, &enc))
			cli_die_ctx(ctx);
		if (aimet_encodings_write(ctx, enc, version, enc_out))
			cli_die_ctx(ctx);
		aimet_encodings_free(enc);
		aimet_qsim_free(sim);
	}
	if (aimet_model_save(ctx, model, out, NULL)) {
		if (enc_out && strcmp(enc_out, "-"))
			unlink(enc_out);
		cli_die_ctx(ctx);
	}
	if (rout)
		cli_out_commit(rout);
	else if (cli_verbosity >= 1)
		text_report(rep, ds != NULL);
	aimet_bc_report_free(rep);
	aimet_dataset_free(ds);
	aimet_dataset_free(heldout);
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
