/* reshape.c: the ops that change only a tensor's shape, never its bytes — Reshape, Flatten,
 * Squeeze, Unsqueeze. Their kernel is one copy (the executor may alias instead). */
#include "movement.h"

/* Axes from the `axes` attribute (before `input_from` opset) or from input 1; *n = -1 when
 * neither is given. */
static int get_axes(struct aimet_op_ctx *c, int64_t input_from, int64_t *axes, int64_t *n)
{
	if (c->opset >= input_from) {
		if (!mv_in(c, 1)) {
			*n = -1;
			return AIMET_OK;
		}
		return aimet_op_const_ints(c, 1, "axes", axes, AIMET_MAX_DIMS, n);
	} else {
		const int64_t *v;
		int cnt = aimet_node_attr_ints(c->node, "axes", &v);
		if (cnt > AIMET_MAX_DIMS)
			return aimet_op_error(c, AIMET_ERR_INVALID, "too many axes (%d)", cnt);
		for (int i = 0; i < cnt; i++)
			axes[i] = v[i];
		*n = cnt;
	}
	return AIMET_OK;
}

static int reshape_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t shape[AIMET_MAX_DIMS], n, known = 1, in_numel;
	int neg = -1, allowzero = 0, st, has_zero = 0;

	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one input and one output");
	if ((st = mv_check_dtype(c, x, "data")))
		return st;
	if (c->opset >= 5) {
		if ((st = aimet_op_const_ints(c, 1, "shape", shape, AIMET_MAX_DIMS, &n)))
			return st;
	} else {
		const int64_t *v;
		int cnt = aimet_node_attr_ints(c->node, "shape", &v);
		if (cnt < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "missing 'shape' attribute");
		if (cnt > AIMET_MAX_DIMS)
			return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "rank %d exceeds %d", cnt,
			                      AIMET_MAX_DIMS);
		for (int i = 0; i < cnt; i++)
			shape[i] = v[i];
		n = cnt;
	}
	if (c->opset >= 14)
		allowzero = aimet_node_attr_int(c->node, "allowzero", 0) != 0;
	in_numel = aimet_tensor_numel(x);
	for (int i = 0; i < n; i++) {
		if (shape[i] == -1) {
			if (neg >= 0)
				return aimet_op_error(c, AIMET_ERR_INVALID, "more than one -1 in 'shape'");
			neg = i;
			continue;
		}
		if (shape[i] < -1)
			return aimet_op_error(c, AIMET_ERR_INVALID, "invalid dimension %lld in 'shape'",
			                      (long long)shape[i]);
		if (shape[i] == 0) {
			has_zero = 1;
			if (!allowzero) {
				if (i >= x->ndim)
					return aimet_op_error(c, AIMET_ERR_INVALID,
					                      "'shape' copies dim %d of a rank-%d input", i, x->ndim);
				shape[i] = x->dims[i];
			}
		}
		if (shape[i] && known > INT64_MAX / shape[i])
			return aimet_op_error(c, AIMET_ERR_INVALID, "'shape' overflows");
		known *= shape[i];
	}
	if (allowzero && has_zero && neg >= 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'shape' has both 0 and -1 with allowzero");
	if (neg >= 0) {
		if (known == 0 || in_numel % known)
			return aimet_op_error(c, AIMET_ERR_INVALID,
			                      "cannot infer the -1 dimension (%lld elements)", (long long)in_numel);
		shape[neg] = in_numel / known;
	} else if (known != in_numel) {
		return aimet_op_error(c, AIMET_ERR_INVALID, "cannot reshape %lld elements to %lld",
		                      (long long)in_numel, (long long)known);
	}
	return mv_set_out(c, 0, x->dtype, (int)n, shape);
}

static int flatten_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t axis, dims[2] = {1, 1};
	int st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one input and one output");
	if ((st = mv_check_dtype(c, x, "input")))
		return st;
	axis = aimet_node_attr_int(c->node, "axis", 1);
	if (axis < 0 && c->opset >= 11)
		axis += x->ndim;
	if (axis < 0 || axis > x->ndim)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range for rank %d",
		                      (long long)aimet_node_attr_int(c->node, "axis", 1), x->ndim);
	for (int i = 0; i < x->ndim; i++)
		dims[i < axis ? 0 : 1] *= x->dims[i];
	return mv_set_out(c, 0, x->dtype, 2, dims);
}

static int squeeze_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t axes[AIMET_MAX_DIMS], n, dims[AIMET_MAX_DIMS];
	unsigned drop = 0;
	int nd = 0, st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one input and one output");
	if ((st = mv_check_dtype(c, x, "data")) || (st = get_axes(c, 13, axes, &n)))
		return st;
	if (n <= 0) {   /* no axes (or an empty list, as ONNX Runtime reads it): every unit dim */
		for (int i = 0; i < x->ndim; i++)
			if (x->dims[i] == 1)
				drop |= 1u << i;
	} else {
		if ((st = mv_norm_axes(c, axes, n, x->ndim)))
			return st;
		for (int64_t i = 0; i < n; i++) {
			if (x->dims[axes[i]] != 1)
				return aimet_op_error(c, AIMET_ERR_INVALID, "cannot squeeze dim %lld of size %lld",
				                      (long long)axes[i], (long long)x->dims[axes[i]]);
			drop |= 1u << axes[i];
		}
	}
	for (int i = 0; i < x->ndim; i++)
		if (!(drop & (1u << i)))
			dims[nd++] = x->dims[i];
	return mv_set_out(c, 0, x->dtype, nd, dims);
}

static int unsqueeze_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t axes[AIMET_MAX_DIMS], n, dims[AIMET_MAX_DIMS];
	unsigned add = 0;
	int rank, st, j = 0;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one input and one output");
	if ((st = mv_check_dtype(c, x, "data")) || (st = get_axes(c, 13, axes, &n)))
		return st;
	if (n < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "missing 'axes'");
	if (x->ndim + n > AIMET_MAX_DIMS)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "output rank %lld exceeds %d",
		                      (long long)(x->ndim + n), AIMET_MAX_DIMS);
	rank = x->ndim + (int)n;
	if ((st = mv_norm_axes(c, axes, n, rank)))
		return st;
	for (int64_t i = 0; i < n; i++)
		add |= 1u << axes[i];
	for (int i = 0; i < rank; i++)
		dims[i] = (add & (1u << i)) ? 1 : x->dims[j++];
	return mv_set_out(c, 0, x->dtype, rank, dims);
}

const struct aimet_op aimet_op_Reshape = {
	.op_type = "Reshape", .domain = "", .infer = reshape_infer, .ref = mv_copy_all,
};
const struct aimet_op aimet_op_Flatten = {
	.op_type = "Flatten", .domain = "", .infer = flatten_infer, .ref = mv_copy_all,
};
const struct aimet_op aimet_op_Squeeze = {
	.op_type = "Squeeze", .domain = "", .infer = squeeze_infer, .ref = mv_copy_all,
};
const struct aimet_op aimet_op_Unsqueeze = {
	.op_type = "Unsqueeze", .domain = "", .infer = unsqueeze_infer, .ref = mv_copy_all,
};
