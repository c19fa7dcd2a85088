/* depthtospace.c: DepthToSpace (DCR and, from opset 11, CRD) and SpaceToDepth — pure data
 * movement on 4-D tensors of any fixed-size dtype, copied row segment by row segment. */
/* O3 and no-trapping-math let GCC vectorise the row loops at the project's -O2; fp-contract=off
 * keeps every target clone and the scalar tail bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "nn_util.h"
#include "aimet_kernels.h"

enum { D2S_DCR, D2S_CRD, S2D };

static int d2s_kind(const struct aimet_op_ctx *c)
{
	if (!strcmp(c->node->op_type, "SpaceToDepth"))
		return S2D;
	return c->opset >= 11 && !strcmp(aimet_node_attr_str(c->node, "mode", "DCR"), "CRD") ? D2S_CRD : D2S_DCR;
}

static int d2s_infer(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x;
	int64_t b = aimet_node_attr_int(c->node, "blocksize", 0), dims[4];
	const char *mode = aimet_node_attr_str(c->node, "mode", "DCR");
	int st, kind = d2s_kind(c);
	if ((st = nn_need_in(c, 0, "input")))
		return st;
	x = c->in[0];
	if (!nn_out(c, 0))
		return nn_fail(c, AIMET_ERR_INVALID, "output is missing");
	if (x->dtype == AIMET_STRING || !aimet_dtype_size(x->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported",
		               aimet_dtype_name(x->dtype));
	if (x->ndim != 4)
		return nn_fail(c, AIMET_ERR_INVALID, "input has rank %d, expected 4", x->ndim);
	if (b < 1 || b > 65536)
		return nn_fail(c, AIMET_ERR_INVALID, "blocksize %lld is invalid", (long long)b);
	if (kind != S2D && strcmp(mode, "DCR") && strcmp(mode, "CRD"))
		return nn_fail(c, AIMET_ERR_INVALID, "mode '%s' is invalid", mode);
	dims[0] = x->dims[0];
	if (kind == S2D) {
		if (x->dims[2] % b || x->dims[3] % b)
			return nn_fail(c, AIMET_ERR_INVALID, "spatial dims %lldx%lld are not multiples of %lld",
			               (long long)x->dims[2], (long long)x->dims[3], (long long)b);
		dims[1] = x->dims[1] * b * b;
		dims[2] = x->dims[2] / b;
		dims[3] = x->dims[3] / b;
	} else {
		if (x->dims[1] % (b * b))
			return nn_fail(c, AIMET_ERR_INVALID, "channels %lld are not a multiple of %lld",
			               (long long)x->dims[1], (long long)(b * b));
		dims[1] = x->dims[1] / (b * b);
		if (x->dims[2] > INT64_MAX / b || x->dims[3] > INT64_MAX / b)
			return nn_fail(c, AIMET_ERR_INVALID, "output shape overflows");
		dims[2] = x->dims[2] * b;
		dims[3] = x->dims[3] * b;
	}
	aimet_tensor_set_shape(c->out[0], x->dtype, 4, dims);
	return nn_check_shape(c, c->out[0]);
}

/* Input element of DepthToSpace output (n, oc, oh, ow) / SpaceToDepth output (n, oc, oh, ow). */
static int64_t d2s_src(int kind, const int64_t *xd, int64_t b, int64_t n, int64_t oc, int64_t oh,
                       int64_t ow)
{
	int64_t C = xd[1], H = xd[2], W = xd[3];
	if (kind == S2D) {
		int64_t c = oc % C, blk = oc / C, i = blk / b, j = blk % b;
		return ((n * C + c) * H + oh * b + i) * W + ow * b + j;
	}
	int64_t i = oh % b, j = ow % b, h = oh / b, w = ow / b, c;
	c = kind == D2S_DCR ? (i * b + j) * (C / (b * b)) + oc : oc * b * b + i * b + j;
	return ((n * C + c) * H + h) * W + w;
}

static void d2s_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	size_t es = aimet_dtype_size(x->dtype);
	int64_t b = aimet_node_attr_int(c->node, "blocksize", 1);
	int kind = d2s_kind(c);
	const int64_t *yd = y->dims;
	for (int64_t n = 0; n < yd[0]; n++)
		for (int64_t oc = 0; oc < yd[1]; oc++)
			for (int64_t oh = 0; oh < yd[2]; oh++)
				for (int64_t ow = 0; ow < yd[3]; ow++) {
					int64_t o = ((n * yd[1] + oc) * yd[2] + oh) * yd[3] + ow;
					memcpy((char *)y->data + (size_t)o * es,
					       (const char *)x->data + (size_t)d2s_src(kind, x->dims, b, n, oc, oh, ow) * es, es);
				}
}

/* Fast path for 4-byte elements: each output row interleaves (DepthToSpace) or strides
 * (SpaceToDepth) b input rows, so the inner loop walks output width directly. */
static void d2s_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	if (aimet_dtype_size(x->dtype) != 4) {
		d2s_ref(c);
		return;
	}
	int64_t b = aimet_node_attr_int(c->node, "blocksize", 1);
	int kind = d2s_kind(c);
	const int64_t *yd = y->dims;
	int64_t rows = yd[0] * yd[1] * yd[2], ow_n = yd[3];
	const uint32_t *xp = x->data;
	uint32_t *yp = y->data;
	int nt = rows * ow_n >= (1 << 17) ? c->threads : 1;
	#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
	for (int64_t r = 0; r < rows; r++) {
		int64_t oh = r % yd[2], oc = (r / yd[2]) % yd[1], n = r / (yd[2] * yd[1]);
		uint32_t *yr = yp + r * ow_n;
		if (kind == S2D) {
			const uint32_t *src = xp + d2s_src(kind, x->dims, b, n, oc, oh, 0);
			for (int64_t ow = 0; ow < ow_n; ow++)
				yr[ow] = src[ow * b];
		} else {
			/* output column ow reads input column ow / b of channel block j = ow % b */
			for (int64_t j = 0; j < b; j++) {
				const uint32_t *src = xp + d2s_src(kind, x->dims, b, n, oc, oh, j);
				for (int64_t w = 0; w * b + j < ow_n; w++)
					yr[w * b + j] = src[w];
			}
		}
	}
}

const struct aimet_op aimet_op_DepthToSpace = {
	.op_type = "DepthToSpace", .domain = "", .since_opset = 1,
	.infer = d2s_infer, .run = d2s_run, .ref = d2s_ref,
};
const struct aimet_op aimet_op_SpaceToDepth = {
	.op_type = "SpaceToDepth", .domain = "", .since_opset = 1,
	.infer = d2s_infer, .run = d2s_run, .ref = d2s_ref,
};
