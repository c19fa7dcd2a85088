/* aimet-encodings: look at, check, convert and compare AIMET encodings files (versions 0.6.1,
 * 1.0.0 and 2.0.0), and export a model with its encodings as a QDQ model. A thin layer over
 * lib/quant/encodings.c and lib/quant/qdq.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aimet.h"
#include "aimet_ir.h"
#include "aimet_onnx.h"
#include "aimet_quant.h"
#include "aimet_qsim.h"
#include "common/cli.h"

static const char usage[] =
	"usage: aimet-encodings show ENCODINGS\n"
	"       aimet-encodings validate MODEL.onnx ENCODINGS\n"
	"       aimet-encodings convert ENCODINGS [--to VERSION] [--model MODEL.onnx] [-o OUT]\n"
	"       aimet-encodings diff ENCODINGS1 ENCODINGS2\n"
	"       aimet-encodings qdq MODEL.onnx ENCODINGS [-o OUT.onnx]\n"
	"Reads AIMET encodings files of version 0.6.1, 1.0.0 or 2.0.0 ('-' reads stdin).\n"
	"  show      prints a table: name, kind (act, param, or ? when a 2.0.0 file does not say),\n"
	"            bitwidth, mode (asym, sym, strict, unsigned, float), channels, scale, offset,\n"
	"            min and max.\n"
	"  validate  checks the encodings against MODEL: every name is a tensor of the model, params\n"
	"            are weights, per-channel counts match the weight's channel axis, scales > 0,\n"
	"            offsets on the grid. Prints 'valid' (exit 0) or the first problem (exit 1).\n"
	"  convert   writes the encodings in VERSION (default 1.0.0) to OUT (default stdout).\n"
	"            --model fills what a 2.0.0 file leaves out (which tensors are params) and\n"
	"            per-channel axes, which 2.0.0 needs.\n"
	"  diff      prints the differences, tensor by tensor (values compared bit for bit; the\n"
	"            file version and quantizer_args are not compared). Like diff(1): exit 0 when\n"
	"            the encodings are identical, 1 when they differ (or on an error, with a\n"
	"            message on stderr).\n"
	"  qdq       writes MODEL (the model aimet-sim -o wrote) with QuantizeLinear/DequantizeLinear\n"
	"            on every encoded tensor, for ONNX Runtime: the QDQ model aimet-sim writes for\n"
	"            the same model and encodings. Output to OUT (default stdout, never a terminal).";

static const struct cli_opt opts[] = {
	{"output", 'o', 1, 0, "convert, qdq: write to FILE (default '-', stdout)", "FILE"},
	{"to", 0, 1, 0, "convert: version to write: 0.6.1, 1.0.0 or 2.0.0 (default 1.0.0)", "VERSION"},
	{"model", 0, 1, 0, "convert: take param kinds and channel axes from MODEL", "MODEL"},
	{0}};

static struct aimet_ctx *ctx;

static struct aimet_encodings *read_enc(const char *path)
{
	struct aimet_encodings *e = NULL;
	if (aimet_encodings_read(ctx, path, &e) < 0)
		cli_die_ctx(ctx);
	return e;
}

static struct aimet_model *read_model(const char *path)
{
	struct aimet_model *m = NULL;
	if (aimet_model_load(ctx, path, &m) < 0)
		cli_die_ctx(ctx);
	return m;
}

static const char *kind_name(int kind)
{
	return kind == AIMET_ENC_ACT ? "act" : kind == AIMET_ENC_PARAM ? "param" : "?";
}

/* ---- show ---- */

static void range_str(char *buf, size_t len, double lo, double hi, const char *fmt)
{
	char a[40], b[40];
	snprintf(a, sizeof(a), fmt, lo);
	snprintf(b, sizeof(b), fmt, hi);
	if (!strcmp(a, b))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s..%s", a, b);
}

/* The modes of an entry's channels: "sym", or "sym+strict" when channels differ. */
static const char *modes(const struct aimet_enc_entry *t)
{
	static char buf[64];
	static const char *names[] = {"asym", "sym", "strict", "unsigned", "float"};
	int seen[5] = {0};
	buf[0] = '\0';
	for (size_t c = 0; c < t->n; c++)
		for (int k = 0; k < 5; k++)
			if (!strcmp(aimet_encoding_mode(&t->enc[c]), names[k]))
				seen[k] = 1;
	for (int k = 0; k < 5; k++)
		if (seen[k]) {
			if (buf[0])
				strcat(buf, "+");
			strcat(buf, names[k]);
		}
	return buf;
}

static int cmd_show(const char *path)
{
	struct aimet_encodings *e = read_enc(path);
	int w = 4;
	for (size_t i = 0; i < e->n_entries; i++) {
		int l = (int)strlen(e->entries[i].name);
		if (l > w)
			w = l < 60 ? l : 60;
	}
	printf("%-*s  %-5s  %2s  %-12s  %8s  %-21s  %-13s  %-11s  %s\n", w, "NAME", "KIND", "BW", "MODE",
	       "CHANNELS", "SCALE", "OFFSET", "MIN", "MAX");
	for (size_t i = 0; i < e->n_entries; i++) {
		const struct aimet_enc_entry *t = &e->entries[i];
		const struct aimet_encoding *x = &t->enc[0];
		char ch[24], sc[96], of[96], mn[24], mx[24];
		if (t->per_channel)
			snprintf(ch, sizeof(ch), "%zu", t->n);
		else
			snprintf(ch, sizeof(ch), "-");
		if (x->is_float) {
			strcpy(sc, "-");
			strcpy(of, "-");
			strcpy(mn, "-");
			strcpy(mx, "-");
		} else {
			double slo = x->scale, shi = x->scale, olo = (double)x->offset, ohi = olo;
			double vmin = x->min, vmax = x->max;
			for (size_t c = 1; c < t->n; c++) {
				const struct aimet_encoding *y = &t->enc[c];
				slo = fmin(slo, y->scale);
				shi = fmax(shi, y->scale);
				olo = fmin(olo, (double)y->offset);
				ohi = fmax(ohi, (double)y->offset);
				vmin = fmin(vmin, y->min);
				vmax = fmax(vmax, y->max);
			}
			range_str(sc, sizeof(sc), slo, shi, "%.6g");
			range_str(of, sizeof(of), olo, ohi, "%.0f");
			snprintf(mn, sizeof(mn), "%.6g", vmin);
			snprintf(mx, sizeof(mx), "%.6g", vmax);
		}
		printf("%-*s  %-5s  %2d  %-12s  %8s  %-21s  %-13s  %-11s  %s\n", w, t->name,
		       kind_name(t->kind), x->bw, modes(t), ch, sc, of, mn, mx);
	}
	cli_debug("'%s': version %s, %zu encodings", path, aimet_enc_version_name(e->version),
	          e->n_entries);
	aimet_encodings_free(e);
	return CLI_EXIT_OK;
}

/* ---- validate ---- */

static int cmd_validate(const char *model_path, const char *enc_path)
{
	struct aimet_model *m = read_model(model_path);
	struct aimet_encodings *e = read_enc(enc_path);
	if (aimet_encodings_validate(ctx, e, m) < 0)
		cli_die("'%s' does not fit '%s': %s", enc_path, model_path, aimet_errmsg(ctx));
	printf("valid\n");
	aimet_encodings_free(e);
	aimet_model_free(m);
	return CLI_EXIT_OK;
}

/* ---- convert ---- */

static int cmd_convert(const char *path, const char *to, const char *model_path, const char *out)
{
	int version = to ? aimet_enc_version_parse(to) : AIMET_ENC_DEFAULT_VERSION;
	struct aimet_encodings *e;
	struct cli_out *o;
	size_t unknown_kind = 0, unknown_axis = 0;
	char *text = NULL;
	size_t n;
	if (!version)
		cli_usage_error("invalid value '%s' for --to (expected 0.6.1, 1.0.0 or 2.0.0)", to);
	e = read_enc(path);
	if (model_path) {
		struct aimet_model *m = read_model(model_path);
		if (aimet_encodings_resolve(ctx, e, m) < 0)
			cli_die_ctx(ctx);
		aimet_model_free(m);
	}
	for (size_t i = 0; i < e->n_entries; i++) {
		unknown_kind += e->entries[i].kind == AIMET_ENC_UNKNOWN;
		unknown_axis += e->entries[i].per_channel && e->entries[i].axis < 0;
	}
	/* serialize before opening the output, so a refusal leaves nothing behind */
	if (aimet_encodings_dump(ctx, e, version, &text) < 0)
		cli_die("cannot convert '%s' to %s: %s", path, aimet_enc_version_name(version),
		        aimet_errmsg(ctx));
	if (unknown_kind && version != AIMET_ENC_V2_0_0)
		cli_info("note: %zu encodings of unknown kind written as activations "
		         "(--model tells params apart)", unknown_kind);
	if (unknown_axis && version == AIMET_ENC_V2_0_0)
		cli_info("note: %zu per-channel axes unknown, written as axis 0 "
		         "(--model gives the real axes)", unknown_axis);
	o = cli_out_open(out, 0);
	n = strlen(text);
	if (fwrite(text, 1, n, cli_out_fp(o)) != n) {
		cli_out_abort(o);
		cli_die("cannot write '%s'", out);
	}
	cli_out_commit(o);
	free(text);
	aimet_encodings_free(e);
	return CLI_EXIT_OK;
}

/* ---- diff ---- */

static int diff_entry(const struct aimet_enc_entry *a, const struct aimet_enc_entry *b)
{
	const char *nm = a->name;
	size_t bad = 0, first = 0;
	const char *what = NULL;
	if (a->kind != b->kind && a->kind != AIMET_ENC_UNKNOWN && b->kind != AIMET_ENC_UNKNOWN) {
		printf("%s: kind %s != %s\n", nm, kind_name(a->kind), kind_name(b->kind));
		return 1;
	}
	if (a->per_channel != b->per_channel || a->n != b->n) {
		printf("%s: %s%zu != %s%zu channels\n", nm, a->per_channel ? "" : "per-tensor ",
		       a->per_channel ? a->n : 1, b->per_channel ? "" : "per-tensor ",
		       b->per_channel ? b->n : 1);
		return 1;
	}
	if (a->per_channel && a->axis >= 0 && b->axis >= 0 && a->axis != b->axis) {
		printf("%s: axis %d != %d\n", nm, a->axis, b->axis);
		return 1;
	}
	if (a->enc[0].is_float != b->enc[0].is_float || a->enc[0].bw != b->enc[0].bw) {
		printf("%s: %s%d != %s%d\n", nm, a->enc[0].is_float ? "float" : "bitwidth ", a->enc[0].bw,
		       b->enc[0].is_float ? "float" : "bitwidth ", b->enc[0].bw);
		return 1;
	}
	if (a->enc[0].symmetric != b->enc[0].symmetric) {
		printf("%s: %s != %s\n", nm, a->enc[0].symmetric ? "symmetric" : "asymmetric",
		       b->enc[0].symmetric ? "symmetric" : "asymmetric");
		return 1;
	}
	for (size_t c = 0; c < a->n; c++) {
		const struct aimet_encoding *x = &a->enc[c], *y = &b->enc[c];
		if (aimet_encoding_equal(x, y))
			continue;
		if (!bad++)
			first = c;
	}
	if (!bad)
		return 0;
	{
		const struct aimet_encoding *x = &a->enc[first], *y = &b->enc[first];
		char idx[32] = "";
		if (a->per_channel)
			snprintf(idx, sizeof(idx), "[%zu]", first);
		if (memcmp(&x->scale, &y->scale, sizeof(float)))
			what = "scale";
		if (what)
			printf("%s: scale%s %.9g != %.9g", nm, idx, x->scale, y->scale);
		else
			printf("%s: offset%s %lld != %lld", nm, idx, (long long)x->offset,
			       (long long)y->offset);
		if (what && x->offset != y->offset)
			printf(", offset %lld != %lld", (long long)x->offset, (long long)y->offset);
		if (a->per_channel && bad > 1)
			printf(" (%zu of %zu channels differ)", bad, a->n);
		printf("\n");
	}
	return 1;
}

static int cmd_diff(const char *p1, const char *p2)
{
	struct aimet_encodings *a = read_enc(p1), *b = read_enc(p2);
	int differ = 0;
	for (size_t i = 0; i < a->n_entries; i++) {
		const struct aimet_enc_entry *x = &a->entries[i], *y = aimet_encodings_find(b, x->name);
		if (!y) {
			printf("%s: only in '%s'\n", x->name, p1);
			differ = 1;
		} else {
			differ |= diff_entry(x, y);
		}
	}
	for (size_t i = 0; i < b->n_entries; i++)
		if (!aimet_encodings_find(a, b->entries[i].name)) {
			printf("%s: only in '%s'\n", b->entries[i].name, p2);
			differ = 1;
		}
	if (fflush(stdout) != 0)
		cli_die("cannot write to stdout");
	aimet_encodings_free(a);
	aimet_encodings_free(b);
	return differ ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ---- qdq ---- */

/* The same export aimet-sim --qdq runs, after the model has told what a version 2.0.0 file
 * leaves out (param or activation) and the per-channel axes the older versions do not carry. */
static int cmd_qdq(const char *model_path, const char *enc_path, const char *out)
{
	struct aimet_model *m = read_model(model_path);
	struct aimet_encodings *e = read_enc(enc_path);
	struct aimet_model *q = NULL;
	if (aimet_encodings_resolve(ctx, e, m) < 0)
		cli_die_ctx(ctx);
	if (aimet_encodings_validate(ctx, e, m) < 0)
		cli_die("'%s' does not fit '%s': %s", enc_path, model_path, aimet_errmsg(ctx));
	/* Nothing produces an initializer, so an activation encoding on one has no place for a
	 * Q/DQ pair; such files come from converting 2.0.0 without --model, so say that rather
	 * than what the export would ('not a tensor of the model'). */
	for (size_t i = 0; i < e->n_entries; i++) {
		const char *nm = e->entries[i].name;
		if (e->entries[i].kind == AIMET_ENC_ACT && !e->entries[i].enc[0].is_float &&
		    aimet_graph_find_weight(m->graph, nm, NULL) &&
		    !aimet_graph_producer(m->graph, nm, NULL, NULL) && !aimet_graph_is_input(m->graph, nm))
			cli_die("'%s' does not fit '%s': '%s': activation encoding for a weight (a file "
			        "converted from 2.0.0 without --model?)", enc_path, model_path, nm);
	}
	if (aimet_qdq_export(ctx, m, e, &q) < 0)
		cli_die("cannot export '%s' with '%s': %s", model_path, enc_path, aimet_errmsg(ctx));
	if (aimet_model_save(ctx, q, out, NULL) < 0)
		cli_die_ctx(ctx);
	aimet_model_free(q);
	aimet_encodings_free(e);
	aimet_model_free(m);
	return CLI_EXIT_OK;
}

/* ---- main ---- */

static void need(int n_pos, int want, const char *cmd, const char *args)
{
	if (n_pos - 1 < want)
		cli_usage_error("%s needs %s", cmd, args);
	if (n_pos - 1 > want)
		cli_usage_error("too many arguments for %s (expected %s)", cmd, args);
}

int main(int argc, char **argv)
{
	struct cli_args a;
	const char *cmd;
	int rc;
	ctx = cli_init(argv[0]);
	cli_parse(argc, argv, opts, usage, &a, ctx);
	if (a.n_pos < 1)
		cli_usage_error("missing command (show, validate, convert, diff or qdq; see --help)");
	cmd = a.pos[0];
	if (strcmp(cmd, "convert") && (cli_has(&a, opts, "to") || cli_has(&a, opts, "model")))
		cli_usage_error("--to and --model are options of convert");
	if (strcmp(cmd, "convert") && strcmp(cmd, "qdq") && cli_has(&a, opts, "output"))
		cli_usage_error("-o is an option of convert and qdq");
	if (!strcmp(cmd, "show")) {
		need(a.n_pos, 1, cmd, "ENCODINGS");
		rc = cmd_show(a.pos[1]);
	} else if (!strcmp(cmd, "validate")) {
		need(a.n_pos, 2, cmd, "MODEL.onnx ENCODINGS");
		if (!strcmp(a.pos[1], "-") && !strcmp(a.pos[2], "-"))
			cli_usage_error("only one of the files can be '-'");
		rc = cmd_validate(a.pos[1], a.pos[2]);
	} else if (!strcmp(cmd, "convert")) {
		const char *out = cli_get(&a, opts, "output");
		need(a.n_pos, 1, cmd, "ENCODINGS");
		rc = cmd_convert(a.pos[1], cli_get(&a, opts, "to"), cli_get(&a, opts, "model"),
		                 out ? out : "-");
	} else if (!strcmp(cmd, "diff")) {
		need(a.n_pos, 2, cmd, "ENCODINGS1 ENCODINGS2");
		if (!strcmp(a.pos[1], "-") && !strcmp(a.pos[2], "-"))
			cli_usage_error("only one of the files can be '-'");
		rc = cmd_diff(a.pos[1], a.pos[2]);
	} else if (!strcmp(cmd, "qdq")) {
		const char *out = cli_get(&a, opts, "output");
		need(a.n_pos, 2, cmd, "MODEL.onnx ENCODINGS");
		if (!strcmp(a.pos[1], "-") && !strcmp(a.pos[2], "-"))
			cli_usage_error("only one of the files can be '-'");
		out = out ? out : "-";
		if (!strcmp(out, "-") && isatty(1))
			cli_die("refusing to write a binary model to a terminal");
		cli_check_writable(out);
		rc = cmd_qdq(a.pos[1], a.pos[2], out);
	} else {
		cli_usage_error("unknown command '%s' (show, validate, convert, diff or qdq)", cmd);
	}
	cli_args_free(&a, opts);
	aimet_ctx_free(ctx);
	return rc;
}
