/* scatter.c: ScatterElements (and its opset 9-10 name Scatter) and ScatterND — a copy of the
 * data with updates written (or combined: add, mul, max, min) at indexed places. Updates are
 * applied in index order on one thread, so duplicate indices give a fixed result; an index
 * out of range at run time (unknown at infer) is skipped. */
#include "movement.h"

enum { SC_NONE, SC_ADD, SC_MUL, SC_MAX, SC_MIN };

static int sc_reduction(struct aimet_op_ctx *c, int dtype, int *red)
{
	const char *r = c->opset >= 16 ? aimet_node_attr_str(c->node, "reduction", "none") : "none";
	if (!strcmp(r, "none"))
		*red = SC_NONE;
	else if (!strcmp(r, "add"))
		*red = SC_ADD;
	else if (!strcmp(r, "mul"))
		*red = SC_MUL;
	else if (!strcmp(r, "max") && c->opset >= 18)
		*red = SC_MAX;
	else if (!strcmp(r, "min") && c->opset >= 18)
		*red = SC_MIN;
	else
		return aimet_op_error(c, AIMET_ERR_INVALID, "reduction '%s'", r);
	if (*red != SC_NONE && dtype != AIMET_FLOAT && dtype != AIMET_DOUBLE &&
	    dtype != AIMET_INT32 && dtype != AIMET_INT64)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "reduction '%s' on %s", r,
		                      aimet_dtype_name(dtype));
	return AIMET_OK;
}

/* dst = red(dst, src) for one element. */
static void sc_apply(int red, int dtype, void *dst, const void *src)
{
#define SC_OP(T, W)                                                                         \
	do {                                                                                \
		T a, b;                                                                     \
		memcpy(&a, dst, sizeof a);                                                  \
		memcpy(&b, src, sizeof b);                                                  \
		a = red == SC_ADD ? (T)((W)a + (W)b) : red == SC_MUL ? (T)((W)a * (W)b)     \
		  : red == SC_MAX ? (b > a ? b : a) : (b < a ? b : a);                      \
		memcpy(dst, &a, sizeof a);                                                  \
	} while (0)
	switch (dtype) {
	case AIMET_FLOAT: SC_OP(float, float); break;
	case AIMET_DOUBLE: SC_OP(double, double); break;
	case AIMET_INT32: SC_OP(int32_t, uint32_t); break;
	case AIMET_INT64: SC_OP(int64_t, uint64_t); break;
	}
#undef SC_OP
}

static int idx_ok(struct aimet_op_ctx *c, const struct aimet_tensor *idx)
{
	if (idx->dtype != AIMET_INT64 && idx->dtype != AIMET_INT32)
		return aimet_op_error(c, AIMET_ERR_INVALID, "indices must be int32 or int64");
	return AIMET_OK;
}

/* ---- ScatterElements / Scatter ---- */

static int sce_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0), *idx = mv_in(c, 1), *u = mv_in(c, 2);
	int64_t raw = aimet_node_attr_int(c->node, "axis", 0);
	int axis, red, st;
	if (!x || !idx || !u || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'data', 'indices' and 'updates'");
	if ((st = mv_check_dtype(c, x, "data")) || (st = idx_ok(c, idx)) ||
	    (st = sc_reduction(c, x->dtype, &red)))
		return st;
	if ((axis = aimet_norm_axis(raw, x->ndim)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range", (long long)raw);
	if (u->dtype != x->dtype || idx->ndim != x->ndim || u->ndim != x->ndim)
		return aimet_op_error(c, AIMET_ERR_INVALID, "data, indices and updates disagree");
	for (int i = 0; i < x->ndim; i++)
		if (u->dims[i] != idx->dims[i] || (i != axis && idx->dims[i] > x->dims[i]))
			return aimet_op_error(c, AIMET_ERR_INVALID, "indices/updates dim %d does not fit", i);
	if (idx->data)
		for (int64_t i = 0; i < aimet_tensor_numel(idx); i++) {
			int64_t v = aimet_tensor_get_i64(idx, i);
			if (v < -x->dims[axis] || v >= x->dims[axis])
				return aimet_op_error(c, AIMET_ERR_INVALID, "index %lld out of range", (long long)v);
		}
	return mv_set_out(c, 0, x->dtype, x->ndim, x->dims);
}

static void sce_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *idx = c->in[1], *u = c->in[2];
	struct aimet_tensor *y = c->out[0];
	int axis = aimet_norm_axis(aimet_node_attr_int(c->node, "axis", 0), x->ndim), red = SC_NONE;
	int64_t xs[AIMET_MAX_DIMS], n = aimet_tensor_numel(idx);
	size_t es = aimet_dtype_size(x->dtype);
	mv_copy_all(c);
	if (sc_reduction(c, x->dtype, &red))
		return;
	mv_strides(x->ndim, x->dims, xs);
	for (int64_t p = 0; p < n; p++) {
		int64_t v = aimet_tensor_get_i64(idx, p), rem = p, dst = 0;
		if (v < 0)
			v += x->dims[axis];
		if (v < 0 || v >= x->dims[axis])
			continue;
		for (int d = x->ndim - 1; d >= 0; d--) {
			dst += (d == axis ? v : rem % idx->dims[d]) * xs[d];
			rem /= idx->dims[d];
		}
		char *dp = (char *)y->data + (size_t)dst * es;
		const char *sp = (const char *)u->data + (size_t)p * es;
		if (red == SC_NONE)
			memcpy(dp, sp, es);
		else
			sc_apply(red, x->dtype, dp, sp);
	}
}

/* ---- ScatterND ---- */

static int scnd_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0), *idx = mv_in(c, 1), *u = mv_in(c, 2);
	int64_t m;
	int red, st, q;
	if (!x || !idx || !u || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'data', 'indices' and 'updates'");
	if ((st = mv_check_dtype(c, x, "data")) || (st = sc_reduction(c, x->dtype, &red)))
		return st;
	if (idx->dtype != AIMET_INT64)
		return aimet_op_error(c, AIMET_ERR_INVALID, "indices must be int64");
	q = idx->ndim;
	if (q < 1 || x->ndim < 1 || (m = idx->dims[q - 1]) < 1 || m > x->ndim)
		return aimet_op_error(c, AIMET_ERR_INVALID, "invalid indices shape");
	/* updates = indices.shape[:-1] + data.shape[m:] */
	if (u->dtype != x->dtype || u->ndim != q - 1 + x->ndim - (int)m)
		return aimet_op_error(c, AIMET_ERR_INVALID, "updates have the wrong rank or dtype");
	for (int i = 0; i < q - 1; i++)
		if (u->dims[i] != idx->dims[i])
			return aimet_op_error(c, AIMET_ERR_INVALID, "updates dim %d differs", i);
	for (int i = (int)m; i < x->ndim; i++)
		if (u->dims[q - 1 + i - m] != x->dims[i])
			return aimet_op_error(c, AIMET_ERR_INVALID, "updates dim %lld differs",
			                      (long long)(q - 1 + i - m));
	if (idx->data)
		for (int64_t i = 0; i < aimet_tensor_numel(idx); i++) {
			int64_t v = ((const int64_t *)idx->data)[i], d = x->dims[i % m];
			if (v < -d || v >= d)
				return aimet_op_error(c, AIMET_ERR_INVALID, "index %lld out of range", (long long)v);
		}
	return mv_set_out(c, 0, x->dtype, x->ndim, x->dims);
}

static void scnd_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *idx = c->in[1], *u = c->in[2];
	struct aimet_tensor *y = c->out[0];
	int64_t m = idx->dims[idx->ndim - 1], xs[AIMET_MAX_DIMS], block = 1, nt;
	size_t es = aimet_dtype_size(x->dtype);
	int red = SC_NONE;
	mv_copy_all(c);
	if (sc_reduction(c, x->dtype, &red))
		return;
	mv_strides(x->ndim, x->dims, xs);
	for (int i = (int)m; i < x->ndim; i++)
		block *= x->dims[i];
	nt = aimet_tensor_numel(idx) / m;
	for (int64_t t = 0; t < nt; t++) {
		const int64_t *iv = (const int64_t *)idx->data + t * m;
		int64_t off = 0;
		int ok = 1;
		for (int64_t k = 0; k < m && ok; k++) {
			int64_t v = iv[k] < 0 ? iv[k] + x->dims[k] : iv[k];
			if ((ok = v >= 0 && v < x->dims[k]))
				off += v * xs[k];
		}
		if (!ok)
			continue;
		char *dp = (char *)y->data + (size_t)off * es;
		const char *sp = (const char *)u->data + (size_t)(t * block) * es;
		if (red == SC_NONE)
			memcpy(dp, sp, (size_t)block * es);
		else
			for (int64_t i = 0; i < block; i++)
				sc_apply(red, x->dtype, dp + (size_t)i * es, sp + (size_t)i * es);
	}
}

const struct aimet_op aimet_op_ScatterElements = {
	.op_type = "ScatterElements", .domain = "", .infer = sce_infer, .ref = sce_ref,
};
const struct aimet_op aimet_op_Scatter = {
	.op_type = "Scatter", .domain = "", .infer = sce_infer, .ref = sce_ref,
};
const struct aimet_op aimet_op_ScatterND = {
	.op_type = "ScatterND", .domain = "", .infer = scnd_infer, .ref = scnd_ref,
};
