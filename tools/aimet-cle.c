/* aimet-cle: cross-layer equalization — fold batch norms, ReLU6 -> ReLU, cross-layer scaling
 * and high-bias absorption; writes the equalized model and a report of what was done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <jansson.h>

#include "aimet_onnx.h"
#include "aimet_ptq.h"
#include "cli.h"

static const struct cli_opt opts[] = {
	{"output", 'o', 1, 0, "write the equalized model to FILE ('-' = stdout)", "FILE"},
	{"keep-relu6", 0, 0, 0, "keep Clip(0,6) activations (the pairs around them are not scaled)", NULL},
	{"no-high-bias-fold", 0, 0, 0, "skip high-bias absorption", NULL},
	{"report", 0, 1, 0, "write the report as JSON to FILE instead of text on stderr", "FILE"},
	{0}};

static const char usage[] =
	"usage: aimet-cle [OPTIONS] MODEL.onnx -o OUT.onnx\n"
	"Folds batch norms, replaces ReLU6 between convolutions by ReLU, equalizes the weight\n"
	"ranges of consecutive layers (cross-layer scaling) and absorbs high biases. The FP32\n"
	"function is kept, except where ReLU6 is replaced. MODEL may be '-' (stdin); OUT may be '-'.";

static void text_report(const struct aimet_cle_report *r)
{
	double lo = 0, hi = 0, absorbed = 0;
	int n_abs = 0;
	for (size_t i = 0; i < r->n_sets; i++) {
		const struct aimet_cle_set *s = &r->sets[i];
		if (!i || s->scale_min < lo)
			lo = s->scale_min;
		if (!i || s->scale_max > hi)
			hi = s->scale_max;
		absorbed += s->bias_absorbed;
		n_abs += s->n_absorbed;
	}
	fprintf(stderr, "aimet-cle: %d batch norms folded, %zu sets equalized in %d rounds, scales %.4g to %.4g, "
	        "%d ReLU6 replaced, bias absorbed in %d channels (sum %.4g), %zu skipped\n",
	        r->n_bn_folded, r->n_sets, r->rounds, lo, hi, r->n_relu6_replaced, n_abs, absorbed, r->n_skips);
	if (cli_verbosity < 2)
		return;
	for (size_t i = 0; i < r->n_sets; i++) {
		const struct aimet_cle_set *s = &r->sets[i];
		fprintf(stderr, "  set %s -> %s%s%s: scales %.4g..%.4g%s, absorbed %d (sum %.4g)\n", s->layers[0],
		        s->layers[1], s->n_layers == 3 ? " -> " : "", s->n_layers == 3 ? s->layers[2] : "",
		        s->scale_min, s->scale_max, s->relu6_replaced ? ", ReLU6 -> ReLU" : "", s->n_absorbed,
		        s->bias_absorbed);
	}
	for (size_t i = 0; i < r->n_skips; i++)
		fprintf(stderr, "  skipped %s: %s\n", r->skips[i].layer, r->skips[i].reason);
}

/* The report is written to its temporary before the model is saved and committed after, so
 * a failure leaves neither file. */
static struct cli_out *json_report(const struct aimet_cle_report *r, const char *path)
{
	json_t *o = json_object(), *sets = json_array(), *skips = json_array();
	struct cli_out *out;
	char *text;
	for (size_t i = 0; i < r->n_sets; i++) {
		const struct aimet_cle_set *s = &r->sets[i];
		json_t *ly = json_array();
		for (int j = 0; j < s->n_layers; j++)
			json_array_append_new(ly, json_string(s->layers[j]));
		json_array_append_new(sets, json_pack("{s:o, s:f, s:f, s:b, s:i, s:f}", "layers", ly,
		                                      "scale_min", s->scale_min, "scale_max", s->scale_max,
		                                      "relu6_replaced", s->relu6_replaced, "bias_absorbed_channels",
		                                      s->n_absorbed, "bias_absorbed_sum", s->bias_absorbed));
	}
	for (size_t i = 0; i < r->n_skips; i++)
		json_array_append_new(skips, json_pack("{s:s, s:s}", "layer", r->skips[i].layer, "reason",
		                                       r->skips[i].reason));
	json_object_set_new(o, "batchnorms_folded", json_integer(r->n_bn_folded));
	json_object_set_new(o, "relu6_replaced", json_integer(r->n_relu6_replaced));
	json_object_set_new(o, "rounds", json_integer(r->rounds));
	json_object_set_new(o, "sets", sets);
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


int main(int argc, char **argv)
{
	struct aimet_ctx *ctx = cli_init("aimet-cle");
	struct cli_args a;
	struct aimet_model *model;
	struct aimet_cle_opts co;
	struct aimet_cle_report *rep;
	const char *out, *report;
	struct cli_out *rout = NULL;

	cli_parse(argc, argv, opts, usage, &a, ctx);
	if (a.n_pos != 1)
		cli_usage_error("expected one model, got %d arguments", a.n_pos);
	if (!(out = cli_get(&a, opts, "output")))
		cli_usage_error("-o is required (the output model)");
	report = cli_get(&a, opts, "report");
	if (report && !strcmp(report, "-") && !strcmp(out, "-"))
		cli_usage_error("only one output can go to stdout");
	if (!strcmp(out, "-") && isatty(1))
		cli_die("refusing to write a binary model to a terminal");
	cli_check_writable(out);
	cli_check_writable(report);
	aimet_cle_opts_init(&co);
	co.keep_relu6 = cli_has(&a, opts, "keep-relu6");
	co.no_high_bias_fold = cli_has(&a, opts, "no-high-bias-fold");

	if (aimet_model_load(ctx, a.pos[0], &model))
		cli_die_ctx(ctx);
	if (aimet_cle(ctx, model, &co, &rep))
		cli_die_ctx(ctx);
	if (report)
		rout = json_report(rep, report);
	if (aimet_model_save(ctx, model, out, NULL))
		cli_die_ctx(ctx);
	if (rout)
		cli_out_commit(rout);
	else if (cli_verbosity >= 1)
		text_report(rep);
	aimet_cle_report_free(rep);
	aimet_model_free(model);
	cli_args_free(&a, opts);
	aimet_ctx_free(ctx);
	return 0;
}
