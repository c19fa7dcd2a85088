/* fuzz_encodings.c: libFuzzer harness for the encodings parser (every version); a file that
 * parses is dumped in each version and the dump must parse again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "aimet.h"
#include "aimet_quant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_encodings *e = NULL;
	if (!ctx)
		return 0;
	if (aimet_encodings_parse(ctx, data, size, "fuzz.encodings", &e) == 0) {
		for (int v = AIMET_ENC_V0_6_1; v <= AIMET_ENC_V2_0_0; v++) {
			char *out = NULL;
			if (aimet_encodings_dump(ctx, e, v, &out) == 0) {
				struct aimet_encodings *e2 = NULL;
				/* what we write we must read back */
				if (aimet_encodings_parse(ctx, out, strlen(out), "dump", &e2) != 0)
					abort();
				aimet_encodings_free(e2);
				free(out);
			}
		}
		aimet_encodings_free(e);
	}
	aimet_ctx_free(ctx);
	return 0;
}
