/* fuzz_npy.c: libFuzzer harness for the .npy reader (header parsing, dtype and shape checks,
 * byte-order conversion) through an in-memory stream. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include "aimet.h"
#include "aimet_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_tensor *t = NULL;
	if (!ctx)
		return 0;
	FILE *fp = size ? fmemopen((void *)data, size, "rb") : NULL;
	if (fp) {
		if (aimet_npy_read_fp(ctx, fp, "fuzz.npy", &t) == 0)
			aimet_tensor_free(t);
		fclose(fp);
	}
	aimet_ctx_free(ctx);
	return 0;
}
