/* expand.c: Expand and Tile, both a strided view of their input (stride 0 along repeated
 * dims) copied by the shared strided-copy kernel. */
#include "movement.h"
#include "aimet_kernels.h"

static int expand_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t shape[AIMET_MAX_DIMS], n, dims[AIMET_MAX_DIMS];
	int nd, st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'input' and 'shape' inputs");
	if ((st = mv_check_dtype(c, x, "input")) ||
	    (st = aimet_op_const_ints(c, 1, "shape", shape, AIMET_MAX_DIMS, &n)))
		return st;
	for (int i = 0; i < n; i++)
		if (shape[i] < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "negative dimension %lld in 'shape'",
			                      (long long)shape[i]);
	if (aimet_broadcast_shape(x->ndim, x->dims, (int)n, shape, &nd, dims))
		return aimet_op_error(c, AIMET_ERR_INVALID, "input does not broadcast to 'shape'");
	return mv_set_out(c, 0, x->dtype, nd, dims);
}

/* Strides of x (elements) seen as a tensor of y's rank: 0 along broadcast dims. */
static void bcast_strides(const struct aimet_tensor *x, const struct aimet_tensor *y, int64_t *ss)
{
	int64_t xs[AIMET_MAX_DIMS];
	mv_strides(x->ndim, x->dims, xs);
	for (int i = 0; i < y->ndim; i++) {
		int j = i - (y->ndim - x->ndim);
		ss[i] = j < 0 || x->dims[j] == 1 ? 0 : xs[j];
	}
}

static void expand_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int64_t ss[AIMET_MAX_DIMS], n = aimet_tensor_numel(y);
	size_t es = aimet_dtype_size(x->dtype);
	bcast_strides(x, y, ss);
	for (int64_t i = 0; i < n; i++) {
		int64_t rem = i, src = 0;
		for (int d = y->ndim - 1; d >= 0; d--) {
			src += rem % y->dims[d] * ss[d];
			rem /= y->dims[d];
		}
		memcpy((char *)y->data + (size_t)i * es, (const char *)x->data + (size_t)src * es, es);
	}
}

static void expand_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int64_t ss[AIMET_MAX_DIMS];
	bcast_strides(x, y, ss);
	aimet_copy_strided(y->data, x->data, aimet_dtype_size(x->dtype), y->ndim, y->dims, ss,
	                   c->threads);
}

/* ---- Tile ---- */

static int tile_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t rep[AIMET_MAX_DIMS], n, dims[AIMET_MAX_DIMS];
	int st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'input' and 'repeats' inputs");
	if (c->opset < 6)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "opset %lld (before 6) is not supported",
		                      (long long)c->opset);
	if ((st = mv_check_dtype(c, x, "input")) ||
	    (st = aimet_op_const_ints(c, 1, "repeats", rep, AIMET_MAX_DIMS, &n)))
		return st;
	if (n != x->ndim)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'repeats' has %lld values for rank %d",
		                      (long long)n, x->ndim);
	for (int i = 0; i < x->ndim; i++) {
		if (rep[i] < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "negative repeat %lld", (long long)rep[i]);
		if (rep[i] && x->dims[i] > INT64_MAX / rep[i])
			return aimet_op_error(c, AIMET_ERR_INVALID, "output size overflows");
		dims[i] = x->dims[i] * rep[i];
	}
	return mv_set_out(c, 0, x->dtype, x->ndim, dims);
}

static void tile_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int64_t xs[AIMET_MAX_DIMS], n = aimet_tensor_numel(y);
	size_t es = aimet_dtype_size(x->dtype);
	mv_strides(x->ndim, x->dims, xs);
	for (int64_t i = 0; i < n; i++) {
		int64_t rem = i, src = 0;
		for (int d = y->ndim - 1; d >= 0; d--) {
			src += rem % y->dims[d] % x->dims[d] * xs[d];
			rem /= y->dims[d];
		}
		memcpy((char *)y->data + (size_t)i * es, (const char *)x->data + (size_t)src * es, es);
	}
}

static void tile_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int64_t xs[AIMET_MAX_DIMS], dims[2 * AIMET_MAX_DIMS], ss[2 * AIMET_MAX_DIMS];
	mv_strides(x->ndim, x->dims, xs);
	/* out[r0, i0, r1, i1, ...] = x[i0, i1, ...]: the repeat dims have stride 0 */
	for (int i = 0; i < x->ndim; i++) {
		dims[2 * i] = x->dims[i] ? y->dims[i] / x->dims[i] : 0;
		ss[2 * i] = 0;
		dims[2 * i + 1] = x->dims[i];
		ss[2 * i + 1] = xs[i];
	}
	aimet_copy_strided(y->data, x->data, aimet_dtype_size(x->dtype), 2 * x->ndim, dims, ss,
	                   c->threads);
}

const struct aimet_op aimet_op_Expand = {
	.op_type = "Expand", .domain = "", .infer = expand_infer, .run = expand_run, .ref = expand_ref,
};
const struct aimet_op aimet_op_Tile = {
	.op_type = "Tile", .domain = "", .infer = tile_infer, .run = tile_run, .ref = tile_ref,
};
