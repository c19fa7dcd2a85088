/* test_encodings.c: AIMET encodings files — the FORMATS.md examples, lossless conversion
 * 0.6.1 -> 1.0.0 -> 2.0.0 -> 0.6.1, float32 round trips, hostile input, checks against a model. */
#include "aimet_quant.h"
#include "aimet_ir.h"
#include "../test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct aimet_ctx *ctx;

static struct aimet_encodings *parse(const char *text)
{
	struct aimet_encodings *e = NULL;
	if (aimet_encodings_parse(ctx, text, strlen(text), "t.encodings", &e) < 0)
		return NULL;
	return e;
}

/* parse must fail with a message containing `want` (and naming the file) */
static void expect_reject(const char *what, const char *text, const char *want)
{
	struct aimet_encodings *e = parse(text);
	CHECK(!e, "%s: accepted", what);
	if (e) {
		aimet_encodings_free(e);
		return;
	}
	CHECK(strstr(aimet_errmsg(ctx), want) != NULL, "%s: message '%s' lacks '%s'", what,
	      aimet_errmsg(ctx), want);
	CHECK(strncmp(aimet_errmsg(ctx), "cannot read 't.encodings': ", 27) == 0 &&
	      !strchr(aimet_errmsg(ctx), '\n'), "%s: message '%s' is not one line naming the file",
	      what, aimet_errmsg(ctx));
}

static const char *ex061 =
	"{\"version\": \"0.6.1\",\n"
	" \"activation_encodings\": {\n"
	"  \"input\": [{\"bitwidth\": 8, \"dtype\": \"int\", \"is_symmetric\": \"False\",\n"
	"             \"max\": 2.3686666, \"min\": -0.5213333, \"offset\": -46, \"scale\": 0.0113333}]},\n"
	" \"param_encodings\": {\n"
	"  \"conv1.weight\": [\n"
	"   {\"bitwidth\": 8, \"dtype\": \"int\", \"is_symmetric\": \"True\",\n"
	"    \"max\": 0.8, \"min\": -0.8062992, \"offset\": -128, \"scale\": 0.0062992},\n"
	"   {\"bitwidth\": 8, \"dtype\": \"int\", \"is_symmetric\": \"True\",\n"
	"    \"max\": 0.2, \"min\": -0.2015748, \"offset\": -128, \"scale\": 0.0015748}]},\n"
	" \"quantizer_args\": {\"activation_bitwidth\": 8, \"dtype\": \"int\", \"is_symmetric\": true,\n"
	"   \"param_bitwidth\": 8, \"per_channel_quantization\": true,\n"
	"   \"quant_scheme\": \"post_training_tf_enhanced\"}}\n";

static const char *ex100 =
	"{\"version\": \"1.0.0\",\n"
	" \"activation_encodings\": [\n"
	"  {\"name\": \"input\", \"enc_type\": \"PER_TENSOR\", \"dtype\": \"INT\", \"bw\": 8, \"is_sym\": false,\n"
	"   \"scale\": [0.0113333], \"offset\": [-46]}],\n"
	" \"param_encodings\": [\n"
	"  {\"name\": \"conv1.weight\", \"enc_type\": \"PER_CHANNEL\", \"dtype\": \"INT\", \"bw\": 8, \"is_sym\": true,\n"
	"   \"scale\": [0.0062992, 0.0015748], \"offset\": [-128.0, -128]}],\n"
	" \"quantizer_args\": {\"activation_bitwidth\": 8}}\n";

static const char *ex200 =
	"{\"version\": \"2.0.0\", \"encodings\": [\n"
	" {\"name\": \"input\", \"output_dtype\": \"uint8\", \"y_scale\": 0.0113333, \"y_zero_point\": 46},\n"
	" {\"name\": \"conv1.weight\", \"output_dtype\": \"int8\", \"y_scale\": [0.0062992, 0.0015748], \"axis\": 0}]}\n";

static void check_example(const char *what, struct aimet_encodings *e)
{
	struct aimet_enc_entry *in, *w;
	CHECK(e != NULL, "%s: parse failed: %s", what, aimet_errmsg(ctx));
	if (!e)
		return;
	in = aimet_encodings_find(e, "input");
	w = aimet_encodings_find(e, "conv1.weight");
	CHECK(e->n_entries == 2 && in && w, "%s: entries", what);
	if (!in || !w)
		return;
	CHECK(!in->per_channel && in->n == 1 && in->enc[0].bw == 8 && !in->enc[0].symmetric &&
	      in->enc[0].offset == -46 && in->enc[0].scale == 0.0113333f, "%s: input", what);
	CHECK(in->kind != AIMET_ENC_PARAM, "%s: input is not a param", what);
	CHECK(w->per_channel && w->n == 2 && w->kind == AIMET_ENC_PARAM && w->enc[0].symmetric &&
	      w->enc[0].offset == -128 && w->enc[1].offset == -128 && w->enc[0].scale == 0.0062992f &&
	      w->enc[1].scale == 0.0015748f, "%s: conv1.weight", what);
	/* min/max recomputed from scale and offset */
	CHECK(w->enc[0].min == (float)(0.0062992f * -128.0) &&
	      w->enc[0].max == (float)(0.0062992f * 127.0), "%s: derived min/max", what);
}

static void test_examples(void)
{
	struct aimet_encodings *e;
	check_example("0.6.1", e = parse(ex061));
	if (e) {
		CHECK(e->version == AIMET_ENC_V0_6_1, "0.6.1 version");
		CHECK(e->extra_json && strstr(e->extra_json, "post_training_tf_enhanced"),
		      "quantizer_args kept");
		CHECK(aimet_encodings_find(e, "input")->kind == AIMET_ENC_ACT, "0.6.1 kinds");
	}
	aimet_encodings_free(e);
	check_example("1.0.0", e = parse(ex100));
	CHECK(e && e->version == AIMET_ENC_V1_0_0, "1.0.0 version");
	aimet_encodings_free(e);
	check_example("2.0.0", e = parse(ex200));
	if (e) {
		CHECK(e->version == AIMET_ENC_V2_0_0, "2.0.0 version");
		CHECK(aimet_encodings_find(e, "input")->kind == AIMET_ENC_UNKNOWN, "2.0.0 kind unknown");
		CHECK(aimet_encodings_find(e, "conv1.weight")->axis == 0, "2.0.0 axis kept");
	}
	aimet_encodings_free(e);
	/* 0.6.1 without "version" (older files) and with float encodings */
	e = parse("{\"activation_encodings\": {\"a\": [{\"bitwidth\": 16, \"dtype\": \"float\"}]},"
	          " \"param_encodings\": {}}");
	CHECK(e && e->version == AIMET_ENC_V0_6_1 && e->entries[0].enc[0].is_float &&
	      e->entries[0].enc[0].bw == 16, "0.6.1 without version: %s", aimet_errmsg(ctx));
	aimet_encodings_free(e);
	e = parse("{\"activation_encodings\": [], \"param_encodings\": [{\"name\": \"w\", "
	          "\"enc_type\": \"PER_TENSOR\", \"dtype\": \"FLOAT\", \"bw\": 16}]}");
	CHECK(e && e->version == AIMET_ENC_V1_0_0 && e->entries[0].enc[0].is_float,
	      "1.0.0 without version, float: %s", aimet_errmsg(ctx));
	aimet_encodings_free(e);
	e = parse("{\"encodings\": [{\"name\": \"a\", \"output_dtype\": \"int8\", \"y_scale\": 0.5, "
	          "\"y_zero_point\": -1}, {\"name\": \"b\", \"output_dtype\": \"uint4\", \"y_scale\": 2}]}");
	CHECK(e && e->version == AIMET_ENC_V2_0_0 && e->entries[0].enc[0].strict &&
	      e->entries[0].enc[0].offset == -127 && e->entries[1].enc[0].bw == 4 &&
	      e->entries[1].enc[0].offset == 0 && !e->entries[1].enc[0].symmetric,
	      "2.0.0 without version, strict, default zero point: %s", aimet_errmsg(ctx));
	aimet_encodings_free(e);
}

/* ---- a model to resolve kinds and axes against ---- */
static struct aimet_tensor *weight(const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                                   int64_t d3)
{
	int64_t dims[4] = {d0, d1, d2, d3};
	struct aimet_tensor *t = aimet_tensor_new(name, AIMET_FLOAT, ndim, dims);
	aimet_tensor_alloc(ctx, t);
	return t;
}

static void add_node(struct aimet_graph *g, const char *op, const char *a, const char *b,
                     const char *out, struct aimet_node **made)
{
	const char *in[2] = {a, b}, *o[1] = {out};
	struct aimet_node *n = aimet_node_new(op, NULL, b ? 2 : (a ? 1 : 0), in, 1, o);
	aimet_graph_add_node(ctx, g, g->n_nodes, n);
	if (made)
		*made = n;
}

/* input -> Conv(conv1.weight [2,1,3,3]) -> ConvTranspose(deconv.weight [2,5,3,3]) -> Relu
 * -> MatMul(fc.weight [K=4, N=3], a Constant node) -> Gemm(g.weight [3,6], transB=0) -> out */
static struct aimet_model *make_model(void)
{
	struct aimet_model *m = calloc(1, sizeof(*m));
	struct aimet_graph *g = calloc(1, sizeof(*g));
	struct aimet_node *n;
	m->graph = g;
	g->inputs = calloc(1, sizeof(*g->inputs));
	g->inputs[0].name = strdup("input");
	g->n_inputs = 1;
	aimet_graph_add_initializer(ctx, g, weight("conv1.weight", 4, 2, 1, 3, 3));
	aimet_graph_add_initializer(ctx, g, weight("deconv.weight", 4, 2, 5, 3, 3));
	aimet_graph_add_initializer(ctx, g, weight("g.weight", 2, 3, 6, 0, 0));
	add_node(g, "Conv", "input", "conv1.weight", "c1", NULL);
	add_node(g, "ConvTranspose", "c1", "deconv.weight", "d1", NULL);
	add_node(g, "Relu", "d1", NULL, "r1", NULL);
	add_node(g, "Constant", NULL, NULL, "fc.weight", &n);
	aimet_node_set_tensor(n, "value", weight("fc.weight", 2, 4, 3, 0, 0));
	add_node(g, "MatMul", "r1", "fc.weight", "m1", NULL);
	add_node(g, "Gemm", "m1", "g.weight", "out", &n);
	aimet_node_set_int(n, "transB", 0);
	return m;
}

/* Every kind of encoding, per-tensor and per-channel. */
#define ADD(...) CHECK(aimet_encodings_add(ctx, e, __VA_ARGS__) == 0, "add: %s", aimet_errmsg(ctx))
static struct aimet_encodings *make_encodings(void)
{
	struct aimet_encodings *e = aimet_encodings_new();
	struct aimet_encoding x, ch[6];
	aimet_encoding_compute(ctx, -0.52, 2.37, 8, 0, &x);
	ADD( AIMET_ENC_ACT, "input", 0, -1, &x, 1);
	aimet_encoding_compute(ctx, 0, 6, 16, AIMET_GRID_SYMMETRIC | AIMET_GRID_UNSIGNED, &x);
	ADD( AIMET_ENC_ACT, "r1", 0, -1, &x, 1);
	aimet_encoding_compute(ctx, -3, 1, 8, AIMET_GRID_SYMMETRIC, &x);
	ADD( AIMET_ENC_ACT, "d1", 0, -1, &x, 1);
	aimet_encoding_set_float(ctx, 16, &x);
	ADD( AIMET_ENC_ACT, "m1", 0, -1, &x, 1);
	aimet_encoding_compute(ctx, -0.1, 0.7, 4, 0, &x);
	ADD( AIMET_ENC_ACT, "c1", 0, -1, &x, 1);
	/* per-channel symmetric (Conv, axis 0) */
	aimet_encoding_compute(ctx, -0.8, 0.61, 8, AIMET_GRID_SYMMETRIC, &ch[0]);
	aimet_encoding_compute(ctx, -0.2, 0.1, 8, AIMET_GRID_SYMMETRIC, &ch[1]);
	ADD( AIMET_ENC_PARAM, "conv1.weight", 1, -1, ch, 2);
	/* per-channel strict (ConvTranspose, axis 1: 5 channels) */
	for (int i = 0; i < 5; i++)
		aimet_encoding_compute(ctx, -0.1 * (i + 1), 0.05, 8,
		                       AIMET_GRID_SYMMETRIC | AIMET_GRID_STRICT, &ch[i]);
	ADD( AIMET_ENC_PARAM, "deconv.weight", 1, -1, ch, 5);
	/* per-channel unsigned symmetric, mixed (MatMul [4, 3]: axis 1, 3 channels) */
	aimet_encoding_compute(ctx, 0, 1.5, 8, AIMET_GRID_SYMMETRIC | AIMET_GRID_UNSIGNED, &ch[0]);
	aimet_encoding_compute(ctx, -1, 1.5, 8, AIMET_GRID_SYMMETRIC | AIMET_GRID_UNSIGNED, &ch[1]);
	aimet_encoding_compute(ctx, 0.2, 3, 8, AIMET_GRID_SYMMETRIC | AIMET_GRID_UNSIGNED, &ch[2]);
	ADD( AIMET_ENC_PARAM, "fc.weight", 1, -1, ch, 3);
	/* per-tensor param, asymmetric 16-bit (Gemm transB=0) */
	aimet_encoding_compute(ctx, -1e-3, 7e-4, 16, 0, &x);
	ADD( AIMET_ENC_PARAM, "g.weight", 0, -1, &x, 1);
	aimet_encodings_set_quantizer_args(ctx, e, "{\"activation_bitwidth\": 8, \"is_symmetric\": true}");
	return e;
}

/* same values; kinds and axes compared when `strict_kinds` */
static int same(const struct aimet_encodings *a, const struct aimet_encodings *b, int strict_kinds,
                const char *what)
{
	int ok = a->n_entries == b->n_entries;
	CHECK(ok, "%s: %zu entries, want %zu", what, b->n_entries, a->n_entries);
	for (size_t i = 0; ok && i < a->n_entries; i++) {
		const struct aimet_enc_entry *x = &a->entries[i], *y = aimet_encodings_find(b, x->name);
		int good = y && x->per_channel == y->per_channel && x->n == y->n;
		for (size_t c = 0; good && c < x->n; c++) {
			const struct aimet_encoding *p = &x->enc[c], *q = &y->enc[c];
			good = aimet_encoding_equal(p, q) && p->strict == q->strict && p->qmax == q->qmax &&
			       !memcmp(&p->scale, &q->scale, 4) && !memcmp(&p->min, &q->min, 4) &&
			       !memcmp(&p->max, &q->max, 4);
		}
		if (good && strict_kinds)
			good = x->kind == y->kind && (!x->per_channel || x->axis == y->axis);
		CHECK(good, "%s: '%s' changed", what, x->name);
		ok &= good;
	}
	return ok;
}

static struct aimet_encodings *convert(const struct aimet_encodings *e, int version,
                                       const struct aimet_model *m)
{
	char *text = NULL;
	struct aimet_encodings *r;
	if (aimet_encodings_dump(ctx, e, version, &text) < 0) {
		CHECK(0, "dump %s: %s", aimet_enc_version_name(version), aimet_errmsg(ctx));
		return NULL;
	}
	r = parse(text);
	CHECK(r != NULL, "reparse %s: %s\n%s", aimet_enc_version_name(version), aimet_errmsg(ctx), text);
	free(text);
	if (r && m)
		aimet_encodings_resolve(ctx, r, m);
	return r;
}

static void test_chain(void)
{
	struct aimet_model *m = make_model();
	struct aimet_encodings *orig = make_encodings(), *a, *b, *c, *d;
	CHECK(orig->n_entries == 9, "built %zu entries: %s", orig->n_entries, aimet_errmsg(ctx));
	CHECK(aimet_encodings_resolve(ctx, orig, m) == 0, "resolve");
	CHECK(aimet_encodings_find(orig, "deconv.weight")->axis == 1 &&
	      aimet_encodings_find(orig, "fc.weight")->axis == 1 &&
	      aimet_encodings_find(orig, "conv1.weight")->axis == 0, "axes from consumers");
	CHECK(aimet_encodings_validate(ctx, orig, m) == 0, "valid: %s", aimet_errmsg(ctx));
	/* with the model: everything, kinds and axes included */
	a = convert(orig, AIMET_ENC_V0_6_1, m);
	b = a ? convert(a, AIMET_ENC_V1_0_0, m) : NULL;
	c = b ? convert(b, AIMET_ENC_V2_0_0, m) : NULL;
	d = c ? convert(c, AIMET_ENC_V0_6_1, m) : NULL;
	if (d) {
		same(orig, a, 1, "-> 0.6.1");
		same(orig, b, 1, "-> 1.0.0");
		same(orig, c, 1, "-> 2.0.0");
		same(orig, d, 1, "-> 0.6.1 again");
		CHECK(d->extra_json && strstr(d->extra_json, "activation_bitwidth"), "quantizer_args kept");
	}
	aimet_encodings_free(a);
	aimet_encodings_free(b);
	aimet_encodings_free(c);
	aimet_encodings_free(d);
	/* without a model: every value survives; the one per-tensor param becomes an activation
	 * (2.0.0 does not say) */
	a = convert(orig, AIMET_ENC_V0_6_1, NULL);
	b = a ? convert(a, AIMET_ENC_V1_0_0, NULL) : NULL;
	c = b ? convert(b, AIMET_ENC_V2_0_0, NULL) : NULL;
	d = c ? convert(c, AIMET_ENC_V0_6_1, NULL) : NULL;
	if (d) {
		same(orig, d, 0, "no model");
		CHECK(aimet_encodings_find(d, "conv1.weight")->kind == AIMET_ENC_PARAM &&
		      aimet_encodings_find(d, "input")->kind == AIMET_ENC_ACT, "no model: kinds");
	}
	/* the 2.0.0 file without a model holds per-channel axis 0 for deconv: validate says so */
	if (c) {
		CHECK(aimet_encodings_validate(ctx, c, m) < 0 &&
		      strstr(aimet_errmsg(ctx), "'deconv.weight'") && strstr(aimet_errmsg(ctx), "axis 1"),
		      "wrong axis caught: %s", aimet_errmsg(ctx));
	}
	aimet_encodings_free(a);
	aimet_encodings_free(b);
	aimet_encodings_free(c);
	aimet_encodings_free(d);
	aimet_encodings_free(orig);
	aimet_model_free(m);
}

/* float32 scales of every magnitude survive write -> read bitwise, in all three versions */
static void test_float_roundtrip(void)
{
	struct aimet_encodings *e = aimet_encodings_new();
	uint32_t s = 12345;
	int n = 0;
	for (int i = 0; i < 3000; i++) {
		struct aimet_encoding x;
		uint32_t bits;
		float f;
		char name[32];
		do {
			s = s * 1664525u + 1013904223u;
			bits = s >> 1;   /* positive */
			memcpy(&f, &bits, 4);
		} while (!isfinite(f) || f == 0);
		if (i == 0) {
			bits = 1;   /* the smallest subnormal */
			memcpy(&f, &bits, 4);
		} else if (i == 1) {
			f = 1e36f;
		} else if (i == 2) {
			f = 0.8f;
		}
		if (aimet_encoding_set(ctx, 8, i & 1, f, (i & 1) ? -128 : -(i % 256), &x) < 0)
			continue;
		snprintf(name, sizeof(name), "t%d", i);
		aimet_encodings_add(ctx, e, AIMET_ENC_ACT, name, 0, -1, &x, 1);
		n++;
	}
	CHECK(n > 2500 && (size_t)n == e->n_entries, "built %d", n);   /* huge scales overflow the grid */
	for (int v = AIMET_ENC_V0_6_1; v <= AIMET_ENC_V2_0_0; v++) {
		struct aimet_encodings *r = convert(e, v, NULL);
		if (r)
			same(e, r, 0, aimet_enc_version_name(v));
		aimet_encodings_free(r);
	}
	/* and the text is the shortest form: 0.8f is written "0.8" */
	{
		char *text;
		aimet_encodings_dump(ctx, e, AIMET_ENC_V1_0_0, &text);
		CHECK(text && strstr(text, "\"scale\": [0.8]"), "shortest float form");
		free(text);
	}
	aimet_encodings_free(e);
}

static void test_hostile(void)
{
	const char *pre = "{\"version\": \"1.0.0\", \"activation_encodings\": [";
	char buf[2048];
	expect_reject("NaN scale",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"is_symmetric\": \"False\", \"offset\": 0, \"scale\": NaN}]}}",
	              "NaN");
	expect_reject("Infinity scale",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"offset\": 0, \"scale\": Infinity}]}}",
	              "Infinity");
	expect_reject("zero scale",
	              "{\"version\": \"0.6.1\", \"param_encodings\": {\"conv1.weight\": [{\"bitwidth\": 8, "
	              "\"offset\": 0, \"scale\": 0}]}}",
	              "'conv1.weight': scale must be > 0");
	expect_reject("negative scale", "{\"version\": \"2.0.0\", \"encodings\": [{\"name\": \"x\", "
	              "\"output_dtype\": \"uint8\", \"y_scale\": -1}]}", "'x': scale must be > 0");
	expect_reject("scale overflowing float32", "{\"encodings\": [{\"name\": \"x\", "
	              "\"output_dtype\": \"uint8\", \"y_scale\": 1e300}]}", "float32");
	expect_reject("huge exponent", "{\"encodings\": [{\"name\": \"x\", "
	              "\"output_dtype\": \"uint8\", \"y_scale\": 1e999}]}", "invalid JSON");
	expect_reject("bitwidth 0",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 0, "
	              "\"offset\": 0, \"scale\": 1}]}}",
	              "'x': bitwidth 0 is out of range");
	snprintf(buf, sizeof(buf), "%s{\"name\": \"x\", \"enc_type\": \"PER_TENSOR\", \"dtype\": \"INT\", "
	         "\"bw\": 64, \"is_sym\": false, \"scale\": [1], \"offset\": [0]}]}", pre);
	expect_reject("bitwidth 64", buf, "'x': bitwidth 64 is out of range");
	expect_reject("truncated", "{\"version\": \"1.0.0\", \"activation_encodings\": [{\"name\": \"x\", ",
	              "invalid JSON");
	expect_reject("empty", "", "empty file");
	expect_reject("not an object", "[1, 2]", "not an encodings file");
	expect_reject("no encodings", "{\"foo\": 1}", "not an encodings file");
	expect_reject("unknown version", "{\"version\": \"3.0.0\", \"encodings\": []}",
	              "version '3.0.0' is not supported");
	expect_reject("version not a string", "{\"version\": 1, \"encodings\": []}", "'version' must be a string");
	expect_reject("0.6.1 with a list", "{\"version\": \"0.6.1\", \"activation_encodings\": []}",
	              "must be an object in version 0.6.1");
	expect_reject("1.0.0 with an object", "{\"version\": \"1.0.0\", \"activation_encodings\": {}}",
	              "must be a list in version 1.0.0");
	expect_reject("scale as a string",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"offset\": 0, \"scale\": \"0.1\"}]}}",
	              "'x': 'scale' must be a number");
	expect_reject("fractional offset",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"offset\": -0.5, \"scale\": 1}]}}",
	              "'x': 'offset' must be an integer");
	expect_reject("offset off the grid",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"offset\": -300, \"scale\": 1}]}}",
	              "'x': offset -300 is outside the 8-bit grid");
	expect_reject("positive offset",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"offset\": 3, \"scale\": 1}]}}",
	              "'x': offset 3 is outside");
	expect_reject("symmetric with an odd offset",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"is_symmetric\": \"True\", \"offset\": -100, \"scale\": 1}]}}",
	              "'x': offset -100 is not a symmetric");
	expect_reject("is_symmetric bad", "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": "
	              "[{\"bitwidth\": 8, \"is_symmetric\": \"maybe\", \"offset\": 0, \"scale\": 1}]}}",
	              "'x': 'is_symmetric'");
	expect_reject("missing scale", "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": "
	              "[{\"bitwidth\": 8, \"offset\": 0}]}}", "'x': missing 'scale'");
	expect_reject("empty list", "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": []}}",
	              "'x': empty list");
	expect_reject("empty name", "{\"version\": \"0.6.1\", \"activation_encodings\": {\"\": "
	              "[{\"bitwidth\": 8, \"offset\": 0, \"scale\": 1}]}}", "empty tensor name");
	expect_reject("duplicate key", "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": "
	              "[{\"bitwidth\": 8, \"offset\": 0, \"scale\": 1}], \"x\": [{\"bitwidth\": 8, "
	              "\"offset\": 0, \"scale\": 1}]}}", "duplicate");
	expect_reject("name in both sections",
	              "{\"version\": \"0.6.1\", \"activation_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"offset\": 0, \"scale\": 1}]}, \"param_encodings\": {\"x\": [{\"bitwidth\": 8, "
	              "\"offset\": 0, \"scale\": 1}]}}",
	              "'x': tensor has two encodings");
	expect_reject("channels disagree",
	              "{\"version\": \"0.6.1\", \"param_encodings\": {\"w\": [{\"bitwidth\": 8, "
	              "\"offset\": 0, \"scale\": 1}, {\"bitwidth\": 4, \"offset\": 0, \"scale\": 1}]}}",
	              "'w': channels differ in bitwidth");
	expect_reject("bad channel", "{\"version\": \"0.6.1\", \"param_encodings\": {\"w\": ["
	              "{\"bitwidth\": 8, \"offset\": 0, \"scale\": 1}, {\"bitwidth\": 8, \"offset\": 0, "
	              "\"scale\": 0}]}}", "'w': channel 1: scale must be > 0");
	snprintf(buf, sizeof(buf), "%s{\"name\": \"x\", \"enc_type\": \"PER_CHANNEL\", \"dtype\": \"INT\", "
	         "\"bw\": 8, \"is_sym\": true, \"scale\": [1, 2], \"offset\": [-128]}]}", pre);
	expect_reject("scale/offset counts", buf, "'x': 2 scales but 1 offsets");
	snprintf(buf, sizeof(buf), "%s{\"name\": \"x\", \"enc_type\": \"PER_CHANNEL\", \"dtype\": \"INT\", "
	         "\"bw\": 8, \"is_sym\": true, \"scale\": [], \"offset\": []}]}", pre);
	expect_reject("empty per-channel", buf, "'x': empty 'scale' list");
	snprintf(buf, sizeof(buf), "%s{\"name\": \"x\", \"enc_type\": \"PER_TENSOR\", \"dtype\": \"INT\", "
	         "\"bw\": 8, \"is_sym\": true, \"scale\": [1, 2], \"offset\": [-128, -128]}]}", pre);
	expect_reject("per-tensor with two", buf, "PER_TENSOR encoding with 2 scales");
	snprintf(buf, sizeof(buf), "%s{\"name\": \"x\", \"enc_type\": \"PER_BLOCK\", \"dtype\": \"INT\", "
	         "\"bw\": 4}]}", pre);
	expect_reject("per-block", buf, "'x': enc_type PER_BLOCK is not supported");
	snprintf(buf, sizeof(buf), "%s{\"name\": 5}]}", pre);
	expect_reject("name not a string", buf, "no 'name' string");
	snprintf(buf, sizeof(buf), "%s{\"name\": \"x\", \"enc_type\": \"PER_TENSOR\", \"dtype\": \"INT\", "
	         "\"bw\": \"8\", \"is_sym\": true, \"scale\": [1], \"offset\": [-128]}]}", pre);
	expect_reject("bw as a string", buf, "'x': 'bw' must be an integer");
	snprintf(buf, sizeof(buf), "%s{\"name\": \"x\", \"enc_type\": \"PER_TENSOR\", \"dtype\": \"INT\", "
	         "\"bw\": 8, \"is_sym\": true, \"scale\": [1], \"offset\": [-128]}, "
	         "{\"name\": \"x\", \"enc_type\": \"PER_TENSOR\", \"dtype\": \"INT\", "
	         "\"bw\": 8, \"is_sym\": true, \"scale\": [1], \"offset\": [-128]}]}", pre);
	expect_reject("duplicate name in a list", buf, "'x': tensor has two encodings");
	expect_reject("2.0.0 bad dtype", "{\"version\": \"2.0.0\", \"encodings\": [{\"name\": \"x\", "
	              "\"output_dtype\": \"float8e4m3fn\", \"y_scale\": 1}]}", "'x': output_dtype 'float8e4m3fn'");
	expect_reject("2.0.0 zero point range", "{\"version\": \"2.0.0\", \"encodings\": [{\"name\": \"x\", "
	              "\"output_dtype\": \"uint8\", \"y_scale\": 1, \"y_zero_point\": 256}]}",
	              "'x': zero point 256 is out of range");
	expect_reject("2.0.0 per-block", "{\"version\": \"2.0.0\", \"encodings\": [{\"name\": \"x\", "
	              "\"output_dtype\": \"int4\", \"y_scale\": [[1, 2]], \"axis\": 1, \"block_size\": 32}]}",
	              "per-block");
	expect_reject("2.0.0 counts", "{\"version\": \"2.0.0\", \"encodings\": [{\"name\": \"x\", "
	              "\"output_dtype\": \"int8\", \"y_scale\": [1, 2], \"y_zero_point\": [0], \"axis\": 0}]}",
	              "'x': 2 scales but 1 zero points");
	expect_reject("2.0.0 with sections", "{\"version\": \"2.0.0\", \"activation_encodings\": []}",
	              "one 'encodings' list");
	/* deep nesting: jansson's depth limit, not the stack */
	{
		size_t depth = 200000;
		char *deep = malloc(2 * depth + 64);
		strcpy(deep, "{\"version\": \"1.0.0\", \"activation_encodings\": ");
		size_t off = strlen(deep);
		memset(deep + off, '[', depth);
		memset(deep + off + depth, ']', depth);
		strcpy(deep + off + 2 * depth, "}");
		expect_reject("deeply nested", deep, "invalid JSON");
		free(deep);
	}
	/* a 300 MiB buffer is refused before parsing (no allocation of that size is needed) */
	{
		struct aimet_encodings *e = NULL;
		CHECK(aimet_encodings_parse(ctx, "", AIMET_ENC_MAX_FILE + 1, "big", &e) < 0 &&
		      strstr(aimet_errmsg(ctx), "larger than 256 MiB"), "size cap: %s", aimet_errmsg(ctx));
	}
	/* a file that does not exist */
	{
		struct aimet_encodings *e = NULL;
		CHECK(aimet_encodings_read(ctx, "/nonexistent/x.encodings", &e) < 0 &&
		      strstr(aimet_errmsg(ctx), "cannot read '/nonexistent/x.encodings'"), "missing file");
	}
}

static void test_validate(void)
{
	struct aimet_model *m = make_model();
	struct aimet_encodings *e;
	struct aimet_encoding x, ch[4];
	aimet_encoding_compute(ctx, -1, 1, 8, AIMET_GRID_SYMMETRIC, &x);
	for (int i = 0; i < 4; i++)
		ch[i] = x;
#define V_FAIL(setup, want)                                                                        \
	do {                                                                                       \
		e = aimet_encodings_new();                                                         \
		setup;                                                                             \
		CHECK(aimet_encodings_validate(ctx, e, m) < 0 && strstr(aimet_errmsg(ctx), want),   \
		      "validate: '%s' lacks '%s'", aimet_errmsg(ctx), want);                        \
		aimet_encodings_free(e);                                                           \
	} while (0)
	V_FAIL(aimet_encodings_add(ctx, e, AIMET_ENC_ACT, "nope", 0, -1, &x, 1),
	       "'nope': no tensor of that name");
	V_FAIL(aimet_encodings_add(ctx, e, AIMET_ENC_PARAM, "r1", 0, -1, &x, 1),
	       "'r1': param encoding for a tensor that is not a weight");
	V_FAIL(aimet_encodings_add(ctx, e, AIMET_ENC_ACT, "r1", 1, -1, ch, 2),
	       "'r1': per-channel encoding for a tensor that is not a weight");
	V_FAIL(aimet_encodings_add(ctx, e, AIMET_ENC_PARAM, "conv1.weight", 1, -1, ch, 3),
	       "'conv1.weight': 3 per-channel encodings, but the weight has 2 channels along axis 0");
	V_FAIL(aimet_encodings_add(ctx, e, AIMET_ENC_PARAM, "fc.weight", 1, -1, ch, 4),
	       "'fc.weight': 4 per-channel encodings, but the weight has 3 channels along axis 1");
	V_FAIL(aimet_encodings_add(ctx, e, AIMET_ENC_PARAM, "g.weight", 1, -1, ch, 3),
	       "has 6 channels along axis 1");
	V_FAIL(aimet_encodings_add(ctx, e, AIMET_ENC_PARAM, "conv1.weight", 1, 1, ch, 1),
	       "'conv1.weight': channel axis 1, but the weight's consumer quantizes along axis 0");
	V_FAIL((aimet_encodings_add(ctx, e, AIMET_ENC_ACT, "r1", 0, -1, &x, 1),
	        e->entries[0].enc[0].scale = 0),
	       "'r1': scale must be > 0");
	/* valid: Constant weight per-channel on MatMul's axis 1; unknown kind resolved */
	e = aimet_encodings_new();
	aimet_encodings_add(ctx, e, AIMET_ENC_PARAM, "fc.weight", 1, -1, ch, 3);
	aimet_encodings_add(ctx, e, AIMET_ENC_UNKNOWN, "g.weight", 0, -1, &x, 1);
	aimet_encodings_add(ctx, e, AIMET_ENC_UNKNOWN, "input", 0, -1, &x, 1);
	CHECK(aimet_encodings_validate(ctx, e, m) == 0, "valid: %s", aimet_errmsg(ctx));
	aimet_encodings_resolve(ctx, e, m);
	CHECK(aimet_encodings_find(e, "g.weight")->kind == AIMET_ENC_PARAM &&
	      aimet_encodings_find(e, "input")->kind == AIMET_ENC_ACT, "resolved kinds");
	CHECK(aimet_weight_channel_axis(m, "fc.weight") == 1 &&
	      aimet_weight_channel_axis(m, "conv1.weight") == 0 &&
	      aimet_weight_channel_axis(m, "deconv.weight") == 1 &&
	      aimet_weight_channel_axis(m, "g.weight") == 1 && aimet_weight_channel_axis(m, "r1") == -1,
	      "channel axes");
	aimet_encodings_free(e);
	/* add() refuses what a reader would */
	e = aimet_encodings_new();
	CHECK(aimet_encodings_add(ctx, e, AIMET_ENC_ACT, "", 0, -1, &x, 1) < 0, "empty name");
	CHECK(aimet_encodings_add(ctx, e, AIMET_ENC_ACT, "a", 0, -1, ch, 2) < 0, "per-tensor with 2");
	CHECK(aimet_encodings_add(ctx, e, AIMET_ENC_ACT, "a", 1, -1, ch, 0) < 0, "no channels");
	CHECK(aimet_encodings_add(ctx, e, AIMET_ENC_ACT, "bad\xff", 0, -1, &x, 1) < 0 &&
	      strstr(aimet_errmsg(ctx), "UTF-8"), "invalid UTF-8 name");
	aimet_encodings_free(e);
	aimet_model_free(m);
}

static void test_2_0_0_limits(void)
{
	struct aimet_encodings *e = aimet_encodings_new();
	struct aimet_encoding x;
	char *text = NULL;
	aimet_encoding_compute(ctx, -1, 1, 6, 0, &x);
	aimet_encodings_add(ctx, e, AIMET_ENC_ACT, "six", 0, -1, &x, 1);
	CHECK(aimet_encodings_dump(ctx, e, AIMET_ENC_V2_0_0, &text) < 0 &&
	      strstr(aimet_errmsg(ctx), "'six': a 6-bit encoding has no 2.0.0 output_dtype"),
	      "6-bit in 2.0.0: %s", aimet_errmsg(ctx));
	CHECK(aimet_encodings_dump(ctx, e, AIMET_ENC_V1_0_0, &text) == 0, "6-bit in 1.0.0");
	free(text);
	aimet_encodings_free(e);
}

int main(void)
{
	ctx = aimet_ctx_new();
	test_examples();
	test_chain();
	test_float_roundtrip();
	test_hostile();
	test_validate();
	test_2_0_0_limits();
	aimet_ctx_free(ctx);
	return test_done();
}
