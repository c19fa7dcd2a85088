/* fuzz_pb.c: libFuzzer harness for the TensorProto (.pb) reader; a tensor that parses is
 * serialized again, which must succeed. */
#include <stdint.h>
#include <stdlib.h>
#include "aimet.h"
#include "aimet_onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_tensor *t = NULL;
	if (!ctx)
		return 0;
	if (aimet_tensor_parse_pb(ctx, data, size, &t) == 0) {
		uint8_t *buf = NULL;
		size_t len = 0;
		if (aimet_tensor_serialize_pb(ctx, t, &buf, &len) == 0)
			free(buf);
		aimet_tensor_free(t);
	}
	aimet_ctx_free(ctx);
	return 0;
}
