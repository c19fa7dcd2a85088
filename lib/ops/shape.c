/* shape.c: ops that make tensors from shapes and scalars — Shape, Size, ConstantOfShape,
 * Range, NonZero. Those whose output shape depends on input values need them constant. */
#include "movement.h"
#include "aimet_kernels.h"

#include <math.h>

/* ---- Shape ---- */

static void shape_range(const struct aimet_op_ctx *c, int r, int64_t *start, int64_t *end)
{
	int64_t s = 0, e = r;
	if (c->opset >= 15) {
		s = aimet_node_attr_int(c->node, "start", 0);
		e = aimet_node_attr_int(c->node, "end", r);
	}
	if (s < 0)
		s = s < -(int64_t)r ? 0 : s + r;
	if (e < 0)
		e = e < -(int64_t)r ? 0 : e + r;
	*start = s > r ? r : s;
	*end = e > r ? r : e < *start ? *start : e;
}

static int shape_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t s, e, n;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one input and one output");
	shape_range(c, x->ndim, &s, &e);
	n = e - s;
	return mv_set_out(c, 0, AIMET_INT64, 1, &n);
}

static void shape_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	int64_t s, e, *y = c->out[0]->data;
	shape_range(c, x->ndim, &s, &e);
	for (int64_t i = s; i < e; i++)
		y[i - s] = x->dims[i];
}

/* ---- Size ---- */

static int size_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one input and one output");
	if (aimet_tensor_numel(x) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "input size overflows");
	return mv_set_out(c, 0, AIMET_INT64, 0, NULL);
}

static void size_ref(struct aimet_op_ctx *c)
{
	*(int64_t *)c->out[0]->data = aimet_tensor_numel(c->in[0]);
}

/* ---- ConstantOfShape ---- */

static const struct aimet_tensor *cos_value(const struct aimet_op_ctx *c)
{
	const struct aimet_attr *a = aimet_node_attr(c->node, "value");
	return a && a->type == AIMET_ATTR_TENSOR ? a->t : NULL;
}

static int cos_infer(struct aimet_op_ctx *c)
{
	const struct aimet_attr *a = aimet_node_attr(c->node, "value");
	const struct aimet_tensor *v = cos_value(c);
	int64_t dims[AIMET_MAX_DIMS], n;
	int st, dtype = AIMET_FLOAT;
	if (c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one output");
	if (a && !v)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'value' is not a tensor");
	if (v) {
		if (aimet_tensor_numel(v) != 1 || !v->data ||
		    v->nbytes < aimet_dtype_size(v->dtype))
			return aimet_op_error(c, AIMET_ERR_INVALID, "'value' must hold one element");
		if ((st = mv_check_dtype(c, v, "value")))
			return st;
		dtype = v->dtype;
	}
	if ((st = aimet_op_const_ints(c, 0, "input", dims, AIMET_MAX_DIMS, &n)))
		return st;
	for (int i = 0; i < n; i++)
		if (dims[i] < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "negative dimension %lld",
			                      (long long)dims[i]);
	return mv_set_out(c, 0, dtype, (int)n, dims);
}

static void cos_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *v = cos_value(c);
	struct aimet_tensor *y = c->out[0];
	if (!v) {
		memset(y->data, 0, y->nbytes);   /* float 0 */
		return;
	}
	aimet_fill_elems(y->data, v->data, aimet_dtype_size(y->dtype), aimet_tensor_numel(y));
}

/* ---- Range ---- */

static int range_count(struct aimet_op_ctx *c, int64_t *count)
{
	const struct aimet_tensor *s = mv_in(c, 0), *l = mv_in(c, 1), *d = mv_in(c, 2);
	if (!s || !l || !d)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'start', 'limit' and 'delta'");
	if (s->dtype != l->dtype || s->dtype != d->dtype)
		return aimet_op_error(c, AIMET_ERR_INVALID, "inputs differ in dtype");
	if (aimet_tensor_numel(s) != 1 || aimet_tensor_numel(l) != 1 || aimet_tensor_numel(d) != 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "inputs must be scalars");
	if (!s->data || !l->data || !d->data)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "requires constant inputs");
	switch (s->dtype) {
	case AIMET_FLOAT: case AIMET_DOUBLE: {
		double a = aimet_tensor_get_f64(s, 0), b = aimet_tensor_get_f64(l, 0);
		double dl = aimet_tensor_get_f64(d, 0), n;
		if (dl == 0 || !isfinite(a) || !isfinite(b) || !isfinite(dl))
			return aimet_op_error(c, AIMET_ERR_INVALID, "invalid start, limit or delta");
		/* in the inputs' own precision, as ONNX Runtime counts */
		n = s->dtype == AIMET_FLOAT ? ceilf(((float)b - (float)a) / (float)dl) : ceil((b - a) / dl);
		if (!(n < 0x1p53))
			return aimet_op_error(c, AIMET_ERR_INVALID, "too many elements");
		*count = n > 0 ? (int64_t)n : 0;
		return AIMET_OK;
	}
	case AIMET_INT16: case AIMET_INT32: case AIMET_INT64: {
		__int128 a = aimet_tensor_get_i64(s, 0), b = aimet_tensor_get_i64(l, 0);
		__int128 dl = aimet_tensor_get_i64(d, 0), diff = b - a, n;
		if (dl == 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "delta is 0");
		if ((diff > 0) != (dl > 0) || diff == 0) {
			*count = 0;
			return AIMET_OK;
		}
		if (diff < 0) {
			diff = -diff;
			dl = -dl;
		}
		n = (diff + dl - 1) / dl;
		if (n > INT64_MAX)
			return aimet_op_error(c, AIMET_ERR_INVALID, "too many elements");
		*count = (int64_t)n;
		return AIMET_OK;
	}
	default:
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dtype %s", aimet_dtype_name(s->dtype));
	}
}

static int range_infer(struct aimet_op_ctx *c)
{
	int64_t n;
	int st;
	if (c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one output");
	if ((st = range_count(c, &n)))
		return st;
	return mv_set_out(c, 0, c->in[0]->dtype, 1, &n);
}

/* The ONNX definition accumulates (v += delta), so that is what we do, in the output type. */
#define RANGE_LOOP(T)                                                                   \
	do {                                                                            \
		T v = *(const T *)c->in[0]->data, dl = *(const T *)c->in[2]->data;      \
		T *o = y->data;                                                         \
		for (int64_t i = 0; i < n; i++, v = (T)(v + dl))                        \
			o[i] = v;                                                       \
	} while (0)

/* Integers add in int64 and convert back (wrapping, implementation-defined, never UB). */
#define RANGE_LOOP_INT(T)                                                               \
	do {                                                                            \
		T v = *(const T *)c->in[0]->data, dl = *(const T *)c->in[2]->data;      \
		T *o = y->data;                                                         \
		for (int64_t i = 0; i < n; i++, v = (T)((int64_t)v + dl))               \
			o[i] = v;                                                       \
	} while (0)

static void range_ref(struct aimet_op_ctx *c)
{
	struct aimet_tensor *y = c->out[0];
	int64_t n = aimet_tensor_numel(y);
	switch (y->dtype) {
	case AIMET_FLOAT: RANGE_LOOP(float); break;
	case AIMET_DOUBLE: RANGE_LOOP(double); break;
	case AIMET_INT16: RANGE_LOOP_INT(int16_t); break;
	case AIMET_INT32: RANGE_LOOP_INT(int32_t); break;
	case AIMET_INT64: {   /* wrapping add: a hostile delta must not be undefined behaviour */
		int64_t v = *(const int64_t *)c->in[0]->data, dl = *(const int64_t *)c->in[2]->data;
		int64_t *o = y->data;
		for (int64_t i = 0; i < n; i++, v = (int64_t)((uint64_t)v + (uint64_t)dl))
			o[i] = v;
		break;
	}
	}
}

/* ---- NonZero ---- */

static int64_t count_nonzero(const struct aimet_tensor *x)
{
	int64_t n = aimet_tensor_numel(x), k = 0;
	for (int64_t i = 0; i < n; i++)
		k += aimet_tensor_get_f64(x, i) != 0;
	return k;
}

static int nonzero_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t dims[2];
	int st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one input and one output");
	if ((st = mv_check_dtype(c, x, "X")))
		return st;
	if (x->dtype == AIMET_COMPLEX64 || x->dtype == AIMET_COMPLEX128 || x->dtype >= AIMET_FLOAT8E4M3FN)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dtype %s", aimet_dtype_name(x->dtype));
	/* the output shape is the number of non-zeros: only known for a constant input */
	if (!x->data)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "requires a constant 'X' input");
	dims[0] = x->ndim;
	dims[1] = count_nonzero(x);
	return mv_set_out(c, 0, AIMET_INT64, 2, dims);
}

static void nonzero_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int64_t n = aimet_tensor_numel(x), nnz = y->ndim == 2 ? y->dims[1] : 0, k = 0;
	int64_t *o = y->data;
	for (int64_t i = 0; i < n && k < nnz; i++) {
		int64_t rem = i;
		if (aimet_tensor_get_f64(x, i) == 0)
			continue;
		for (int d = x->ndim - 1; d >= 0; d--) {
			o[d * nnz + k] = rem % x->dims[d];
			rem /= x->dims[d];
		}
		k++;
	}
}

/* ---- OneHot ---- */

static int onehot_depth(struct aimet_op_ctx *c, int64_t *depth)
{
	const struct aimet_tensor *d = mv_in(c, 1);
	double v;
	if (!d || aimet_tensor_numel(d) != 1 || d->dtype == AIMET_STRING || !aimet_dtype_size(d->dtype))
		return aimet_op_error(c, AIMET_ERR_INVALID, "'depth' must be a numeric scalar");
	if (!d->data)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "requires a constant 'depth' input");
	v = aimet_tensor_get_f64(d, 0);
	if (!(v >= 1 && v < 0x1p53))
		return aimet_op_error(c, AIMET_ERR_INVALID, "depth %g", v);
	*depth = (int64_t)v;
	return AIMET_OK;
}

static int onehot_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0), *vals = mv_in(c, 2);
	int64_t depth, dims[AIMET_MAX_DIMS + 1], raw = aimet_node_attr_int(c->node, "axis", -1);
	int axis, st, j = 0;
	if (!x || !vals || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'indices', 'depth' and 'values'");
	if ((st = mv_check_dtype(c, x, "indices")) || (st = mv_check_dtype(c, vals, "values")))
		return st;
	if (aimet_tensor_numel(vals) != 2)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'values' must hold [off, on]");
	if ((st = onehot_depth(c, &depth)))
		return st;
	if ((axis = aimet_norm_axis(raw, x->ndim + 1)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range", (long long)raw);
	for (int i = 0; i <= x->ndim; i++)
		dims[i] = i == axis ? depth : x->dims[j++];
	return mv_set_out(c, 0, vals->dtype, x->ndim + 1, dims);
}

static void onehot_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *vals = c->in[2];
	struct aimet_tensor *y = c->out[0];
	int64_t depth, n = aimet_tensor_numel(y), inner = 1;
	int axis = aimet_norm_axis(aimet_node_attr_int(c->node, "axis", -1), x->ndim + 1);
	size_t es = aimet_dtype_size(y->dtype);
	if (onehot_depth(c, &depth) || y->dims[axis] != depth) {
		memset(y->data, 0, y->nbytes);
		return;
	}
	for (int i = axis + 1; i < y->ndim; i++)
		inner *= y->dims[i];
	for (int64_t i = 0; i < n; i++) {
		int64_t d = i / inner % depth, src = i / inner / depth * inner + i % inner;
		int64_t v = aimet_tensor_get_i64(x, src);
		if (v < 0)
			v += depth;
		memcpy((char *)y->data + (size_t)i * es, (const char *)vals->data + (v == d ? es : 0), es);
	}
}

const struct aimet_op aimet_op_Shape = {
	.op_type = "Shape", .domain = "", .infer = shape_infer, .ref = shape_ref,
};
const struct aimet_op aimet_op_Size = {
	.op_type = "Size", .domain = "", .infer = size_infer, .ref = size_ref,
};
const struct aimet_op aimet_op_ConstantOfShape = {
	.op_type = "ConstantOfShape", .domain = "", .infer = cos_infer, .ref = cos_ref,
};
const struct aimet_op aimet_op_Range = {
	.op_type = "Range", .domain = "", .infer = range_infer, .ref = range_ref,
};
const struct aimet_op aimet_op_NonZero = {
	.op_type = "NonZero", .domain = "", .infer = nonzero_infer, .ref = nonzero_ref,
};
const struct aimet_op aimet_op_OneHot = {
	.op_type = "OneHot", .domain = "", .infer = onehot_infer, .ref = onehot_ref,
};
