/* fuzz_qconfig.c: libFuzzer harness for the quantsim configuration parser, JSON and YAML (the
 * first byte picks: '{' is JSON, anything else goes to the YAML reader). */
#include <stdint.h>
#include <stdlib.h>
#include "aimet.h"
#include "aimet_qsim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_qconfig *c = NULL;
	if (!ctx)
		return 0;
	if (aimet_qconfig_parse(ctx, (const char *)data, size, "fuzz.json", &c) == 0) {
		aimet_qconfig_output_quantized(c, "Conv");
		aimet_qconfig_free(c);
	}
	aimet_ctx_free(ctx);
	return 0;
}
