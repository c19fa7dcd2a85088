/* fuzz_onnx.c: libFuzzer harness for the ONNX loader (graph validation included) and, on a model
 * that loads, the executor's plan and prepare (op resolution, shape inference, memory plan). */
#include <stdint.h>
#include <stdlib.h>
#include "aimet.h"
#include "aimet_onnx.h"
#include "aimet_exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_model *m = NULL;
	if (!ctx)
		return 0;
	/* no directory: external data is refused, so the harness never touches the file system */
	if (aimet_model_load_buffer(ctx, data, size, NULL, &m) == 0) {
		struct aimet_plan *p = NULL;
		if (aimet_plan_new(ctx, m, NULL, &p) == 0) {
			/* symbolic dims become 1 so that prepare gets concrete shapes; a huge declared
			 * dim is kept: prepare must refuse it, not allocate it */
			int n = aimet_plan_n_inputs(p), ok = n <= 16;
			struct aimet_tensor in[16];
			const struct aimet_tensor *inp[16];
			for (int i = 0; ok && i < n; i++) {
				int dt = 0;
				int64_t dims[AIMET_MAX_DIMS];
				int r = aimet_plan_input_decl(p, i, &dt, dims);
				if (r < 0 || r > AIMET_MAX_DIMS || dt == 0) {
					ok = 0;
					break;
				}
				in[i] = (struct aimet_tensor){0};
				in[i].dtype = dt;
				in[i].ndim = r;
				for (int d = 0; d < r; d++)
					in[i].dims[d] = dims[d] < 0 ? 1 : dims[d];
				inp[i] = &in[i];
			}
			if (ok)
				aimet_plan_prepare(ctx, p, n ? inp : NULL);
			aimet_plan_free(p);
		}
		aimet_model_free(m);
	}
	aimet_ctx_free(ctx);
	return 0;
}
