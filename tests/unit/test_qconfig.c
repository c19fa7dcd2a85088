/* test_qconfig.c: quantsim configurations in JSON and YAML — AIMET's default file, overrides,
 * and hostile documents (alias bombs, deep nesting, wrong types). */
#include <stdlib.h>
#include <string.h>
#include "aimet_qsim.h"
#include "../test.h"

static const char yaml_cfg[] =
	"defaults:\n"
	"  ops: {is_output_quantized: \"True\"}\n"
	"  params: {is_quantized: \"True\", is_symmetric: \"True\"}\n"
	"  strict_symmetric: \"False\"\n"
	"  unsigned_symmetric: \"True\"\n"
	"  per_channel_quantization: \"False\"\n"
	"params:\n"
	"  bias: {is_quantized: \"False\"}\n"
	"op_type:\n"
	"  Squeeze: {is_output_quantized: \"False\"}\n"
	"  Gemm:\n"
	"    per_channel_quantization: \"True\"\n"
	"    params: {weight: {is_symmetric: \"False\"}}\n"
	"  Softmax:\n"
	"    encoding_constraints: {min: 0.0, max: 1.0}\n"
	"supergroups:\n"
	"  - op_list: [Conv, Relu]\n"
	"  - op_list: [Add, Relu]\n"
	"model_input: {is_input_quantized: \"True\"}\n"
	"model_output: {is_output_quantized: true}\n";

static int parse(struct aimet_ctx *ctx, const char *text, struct aimet_qconfig **c)
{
	return aimet_qconfig_parse(ctx, text, strlen(text), "t", c);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_qconfig *c = NULL;
	int q, sym, pc;

	CHECK(aimet_qconfig_read(ctx, "share/aimet/default_config.json", &c) == 0, "default: %s", aimet_errmsg(ctx));
	if (c) {
		CHECK(c->act_quantized == 1 && c->act_symmetric == 0 && c->param_symmetric == 1 &&
		      c->unsigned_symmetric == 1 && c->strict_symmetric == 0 && c->per_channel == 0, "defaults");
		CHECK(c->model_input_quantized == 1 && c->model_output_quantized == 0, "model input/output");
		CHECK(c->n_supergroups == 5 && c->supergroup_len[0] == 2, "supergroups");
		CHECK(!aimet_qconfig_output_quantized(c, "Squeeze") && aimet_qconfig_output_quantized(c, "Conv"),
		      "op output rules");
		aimet_qconfig_param_settings(c, "Conv", "bias", &q, &sym, &pc);
		CHECK(q == 0, "bias not quantized");
		aimet_qconfig_param_settings(c, "Conv", "weight", &q, &sym, &pc);
		CHECK(q == 1 && sym == 1 && pc == 0, "weight settings");
		aimet_qconfig_free(c);
		c = NULL;
	}
	CHECK(aimet_qconfig_read(ctx, "share/aimet/per_channel_config.json", &c) == 0 && c && c->per_channel == 1,
	      "per-channel variant");
	aimet_qconfig_free(c);
	c = NULL;

	CHECK(parse(ctx, yaml_cfg, &c) == 0, "yaml: %s", aimet_errmsg(ctx));
	if (c) {
		const struct aimet_qconfig_op *sm = aimet_qconfig_op(c, "Softmax");
		CHECK(sm && sm->has_constraint && sm->cmin == 0 && sm->cmax == 1, "encoding_constraints");
		aimet_qconfig_param_settings(c, "Gemm", "weight", &q, &sym, &pc);
		CHECK(q == 1 && sym == 0 && pc == 1, "op params override (%d %d %d)", q, sym, pc);
		aimet_qconfig_param_settings(c, "Conv", "weight", &q, &sym, &pc);
		CHECK(q == 1 && sym == 1 && pc == 0, "other ops keep defaults");
		CHECK(c->model_output_quantized == 1, "JSON-style boolean in YAML");
		CHECK(c->n_supergroups == 2 && !strcmp(c->supergroups[1][0], "Add"), "yaml supergroups");
		aimet_qconfig_free(c);
		c = NULL;
	}

	/* hostile or wrong documents: a clear error, never a crash */
	{
		static const char *bad[] = {
			"a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n",   /* alias bomb */
			"{\"defaults\": {\"strict_symmetric\": \"maybe\"}}",
			"{\"defaults\": []}",
			"{\"supergroups\": [{\"op_list\": [\"Conv\"]}]}",
			"{\"supergroups\": [{\"op_list\": [\"Conv\", 3]}]}",
			"{\"op_type\": {\"Softmax\": {\"encoding_constraints\": {\"min\": 1, \"max\": 0}}}}",
			"{\"defaults\": {",
			"[1, 2, 3]",
			"key: [unclosed\n",
			"",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int st = parse(ctx, bad[i], &c);
			CHECK(st < 0 && strstr(aimet_errmsg(ctx), "'t'"), "bad config %zu accepted (%s)", i, aimet_errmsg(ctx));
			if (!st) {
				aimet_qconfig_free(c);
				c = NULL;
			}
		}
		/* deep nesting in both syntaxes */
		char *deep = malloc(20000);
		size_t n = 0;
		for (int i = 0; i < 5000; i++)
			deep[n++] = '[';
		deep[n] = 0;
		CHECK(parse(ctx, deep, &c) < 0, "deep YAML accepted");
		deep[0] = '{';
		CHECK(parse(ctx, deep, &c) < 0, "deep JSON accepted");
		free(deep);
	}
	CHECK(aimet_qconfig_read(ctx, "/nonexistent/config.json", &c) == AIMET_ERR_IO, "missing file");
	aimet_ctx_free(ctx);
	return test_done();
}
