/* qdq.c: QuantizeLinear and DequantizeLinear (opsets 10-21): per-tensor, per-axis (13) and
 * blocked (21) scales; int8/uint8/int16/uint16/int4/uint4 storage (int4 unpacked, one per byte).
 * Quantization divides by the scale, rounds half to even and saturates, as ONNX specifies. */
/* O3 and no-trapping-math let GCC vectorise the row loops at the project's -O2; fp-contract=off
 * keeps every target clone and the scalar tail bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "nn_util.h"
#include "aimet_kernels.h"

enum { QD_TENSOR, QD_AXIS, QD_BLOCK };
#define QD_CHUNK 16384

/* The data as [outer, len, inner] around `axis`; scale element for (o, l, i) by `mode`. */
struct qd_view {
	int mode;
	int64_t outer, len, inner, bs, nblk;
};

static int qd_quant_type(int t)
{
	return t == AIMET_UINT8 || t == AIMET_INT8 || t == AIMET_UINT16 || t == AIMET_INT16 ||
	       t == AIMET_UINT4 || t == AIMET_INT4;
}

static int qd_view(const struct aimet_op_ctx *c, struct qd_view *v)
{
	const struct aimet_tensor *x = c->in[0], *s = c->in[1], *zp = nn_in(c, 2);
	int64_t axis = c->opset >= 13 ? aimet_node_attr_int(c->node, "axis", 1) : 1;
	int64_t bs = c->opset >= 21 ? aimet_node_attr_int(c->node, "block_size", 0) : 0;
	int64_t sn = aimet_tensor_numel(s);
	int a;
	memset(v, 0, sizeof(*v));
	if (zp && (zp->ndim != s->ndim || aimet_tensor_numel(zp) != sn))
		return nn_fail(c, AIMET_ERR_INVALID, "zero point shape differs from scale shape");
	if (bs < 0)
		return nn_fail(c, AIMET_ERR_INVALID, "block_size %lld is invalid", (long long)bs);
	if (bs == 0 && sn == 1 && s->ndim <= 1) {
		v->mode = QD_TENSOR;
		v->outer = 1;
		v->len = 1;
		v->inner = aimet_tensor_numel(x);
		return AIMET_OK;
	}
	if (c->opset < 13)
		return nn_fail(c, AIMET_ERR_INVALID, "scale must be a scalar before opset 13");
	a = aimet_norm_axis(axis, x->ndim);
	if (a < 0)
		return nn_fail(c, AIMET_ERR_INVALID, "axis %lld is out of range for rank %d",
		               (long long)axis, x->ndim);
	v->outer = nn_prod(x->dims, 0, a);
	v->len = x->dims[a];
	v->inner = nn_prod(x->dims, a + 1, x->ndim);
	if (bs == 0) {
		if (s->ndim != 1 || sn != v->len)
			return nn_fail(c, AIMET_ERR_INVALID, "scale has %lld values, expected 1 or %lld (axis %d)",
			               (long long)sn, (long long)v->len, a);
		v->mode = QD_AXIS;
		return AIMET_OK;
	}
	v->mode = QD_BLOCK;
	v->bs = bs;
	v->nblk = (v->len + bs - 1) / bs;
	if (s->ndim != x->ndim)
		return nn_fail(c, AIMET_ERR_INVALID, "blocked scale must have the input's rank");
	for (int i = 0; i < x->ndim; i++)
		if (s->dims[i] != (i == a ? v->nblk : x->dims[i]))
			return nn_fail(c, AIMET_ERR_INVALID, "blocked scale dim %d is %lld, expected %lld", i,
			               (long long)s->dims[i], (long long)(i == a ? v->nblk : x->dims[i]));
	return AIMET_OK;
}

static int64_t qd_sidx(const struct qd_view *v, int64_t o, int64_t l, int64_t i)
{
	switch (v->mode) {
	case QD_TENSOR: return 0;
	case QD_AXIS: return l;
	default: return (o * v->nblk + l / v->bs) * v->inner + i;
	}
}

static int qd_common(struct aimet_op_ctx *c, int quant)
{
	int st;
	const struct aimet_tensor *s, *zp;
	if ((st = nn_need_in(c, 0, "x")) || (st = nn_need_in(c, 1, "scale")))
		return st;
	if (nn_in(c, 2) && (st = nn_need_in(c, 2, "zero_point")))
		return st;
	if (!nn_out(c, 0))
		return nn_fail(c, AIMET_ERR_INVALID, "output 'y' is missing");
	s = c->in[1];
	zp = nn_in(c, 2);
	if (!nn_is_float(s->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "scale dtype %s is not supported",
		               aimet_dtype_name(s->dtype));
	if (zp && !qd_quant_type(zp->dtype) && !(zp->dtype == AIMET_INT32 && !quant))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "zero point dtype %s is not supported",
		               aimet_dtype_name(zp->dtype));
	(void)quant;
	return AIMET_OK;
}

static int q_infer(struct aimet_op_ctx *c)
{
	struct qd_view v;
	const struct aimet_tensor *x, *zp;
	int st, out_t = AIMET_UINT8;
	int64_t od = c->opset >= 21 ? aimet_node_attr_int(c->node, "output_dtype", 0) : 0;
	if ((st = qd_common(c, 1)))
		return st;
	x = c->in[0];
	zp = nn_in(c, 2);
	if (!nn_is_float(x->dtype) && x->dtype != AIMET_INT32)
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported",
		               aimet_dtype_name(x->dtype));
	if (zp)
		out_t = zp->dtype;
	else if (od)
		out_t = (int)od;
	if (od && od != out_t)
		return nn_fail(c, AIMET_ERR_INVALID, "output_dtype %lld differs from the zero point's %s",
		               (long long)od, aimet_dtype_name(out_t));
	if (!qd_quant_type(out_t))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "output dtype %s is not supported",
		               aimet_dtype_name(out_t));
	if ((st = qd_view(c, &v)))
		return st;
	aimet_tensor_set_shape(c->out[0], out_t, x->ndim, x->dims);
	return nn_check_shape(c, c->out[0]);
}

static int dq_infer(struct aimet_op_ctx *c)
{
	struct qd_view v;
	const struct aimet_tensor *x, *zp;
	int st;
	if ((st = qd_common(c, 0)))
		return st;
	x = c->in[0];
	zp = nn_in(c, 2);
	if (!qd_quant_type(x->dtype) && x->dtype != AIMET_INT32)
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported",
		               aimet_dtype_name(x->dtype));
	if (zp && zp->dtype != x->dtype)
		return nn_fail(c, AIMET_ERR_INVALID, "zero point dtype %s differs from input dtype %s",
		               aimet_dtype_name(zp->dtype), aimet_dtype_name(x->dtype));
	if ((st = qd_view(c, &v)))
		return st;
	aimet_tensor_set_shape(c->out[0], c->in[1]->dtype, x->ndim, x->dims);
	return nn_check_shape(c, c->out[0]);
}

/* ---- reference ---- */

static void q_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *s = c->in[1], *zp = nn_in(c, 2);
	struct aimet_tensor *y = c->out[0];
	struct qd_view v;
	double lo, hi;
	int fl = x->dtype != AIMET_DOUBLE && s->dtype == AIMET_FLOAT;
	if (qd_view(c, &v) || !nn_int_range(y->dtype, &lo, &hi))
		return;
	for (int64_t o = 0; o < v.outer; o++)
		for (int64_t l = 0; l < v.len; l++)
			for (int64_t i = 0; i < v.inner; i++) {
				int64_t e = (o * v.len + l) * v.inner + i, si = qd_sidx(&v, o, l, i);
				double xv = aimet_tensor_get_f64(x, e), sv = aimet_tensor_get_f64(s, si), q;
				/* float inputs divide in float, as the ONNX reference and ORT do */
				q = fl ? (double)((float)xv / (float)sv) : xv / sv;
				q = nearbyint(q) + (zp ? aimet_tensor_get_f64(zp, si) : 0);
				if (!(q >= lo))
					q = lo;
				if (q > hi)
					q = hi;
				nn_set(y, e, q);
			}
}

static void dq_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *s = c->in[1], *zp = nn_in(c, 2);
	struct aimet_tensor *y = c->out[0];
	struct qd_view v;
	if (qd_view(c, &v))
		return;
	for (int64_t o = 0; o < v.outer; o++)
		for (int64_t l = 0; l < v.len; l++)
			for (int64_t i = 0; i < v.inner; i++) {
				int64_t e = (o * v.len + l) * v.inner + i, si = qd_sidx(&v, o, l, i);
				int64_t d = aimet_tensor_get_i64(x, e) - (zp ? aimet_tensor_get_i64(zp, si) : 0);
				double sv = aimet_tensor_get_f64(s, si);
				if (y->dtype == AIMET_FLOAT)
					nn_set(y, e, (double)((float)d * (float)sv));
				else
					nn_set(y, e, (double)d * sv);
			}
}

/* ---- fast float32 kernels ---- */

#define Q_ROW(T)                                                                             \
	AIMET_KERNEL_CLONES static void q_row_##T(const float *x, T *y, int64_t n, float s, float zp, float lo, float hi) \
	{                                                                                    \
		/* clamp before rounding (NaN to the low end, as the reference saturates it);      \
		 * rintf (half to even) is one vector instruction here, where a helper function     \
		 * is not inlined into the target clones and kept the loop scalar (533 of 797 ms   \
		 * of a QDQ ppocr_rec run went to this loop) */                                   \
		float vlo = lo - zp - 1, vhi = hi - zp + 1;                                       \
		for (int64_t i = 0; i < n; i++) {                                                \
			float v = x[i] / s;                                                          \
			v = !(v >= vlo) ? vlo : v;                                                   \
			v = v > vhi ? vhi : v;                                                       \
			v = rintf(v) + zp;                                                           \
			v = v < lo ? lo : v;                                                         \
			v = v > hi ? hi : v;                                                         \
			y[i] = (T)v;                                                                 \
		}                                                                                \
	}
Q_ROW(uint8_t)
Q_ROW(int8_t)
Q_ROW(uint16_t)
Q_ROW(int16_t)

#define DQ_ROW(T)                                                                            \
	AIMET_KERNEL_CLONES static void dq_row_##T(const T *x, float *y, int64_t n, float s, int32_t zp)         \
	{                                                                                    \
		for (int64_t i = 0; i < n; i++)                                                  \
			y[i] = (float)((int32_t)x[i] - zp) * s;                                      \
	}
DQ_ROW(uint8_t)
DQ_ROW(int8_t)
DQ_ROW(uint16_t)
DQ_ROW(int16_t)

/* Run `row` over every (outer, len) row of `inner` elements, or over blocks of one element
 * run for blocked scales; parallel over rows when the tensor is large. */
static void q_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *s = c->in[1], *zp = nn_in(c, 2);
	struct aimet_tensor *y = c->out[0];
	struct qd_view v;
	double lo, hi;
	if (x->dtype != AIMET_FLOAT || s->dtype != AIMET_FLOAT || qd_view(c, &v) || v.mode == QD_BLOCK ||
	    !nn_int_range(y->dtype, &lo, &hi)) {
		q_ref(c);
		return;
	}
	/* per-tensor: cut the flat data into rows so that threads can share it */
	int64_t n = v.mode == QD_TENSOR ? QD_CHUNK : v.inner, total = aimet_tensor_numel(x);
	int64_t rows = v.mode == QD_TENSOR ? (total + n - 1) / n : v.outer * v.len;
	int nt = total >= (1 << 17) ? c->threads : 1;
	const float *xp = x->data, *sp = s->data;
	int t = y->dtype;
	#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && rows > 1)
	for (int64_t r = 0; r < rows; r++) {
		int64_t si = v.mode == QD_TENSOR ? 0 : r % v.len;
		float sc = sp[si], z = zp ? (float)aimet_tensor_get_f64(zp, si) : 0;
		const float *xr = xp + r * n;
		int64_t m = r * n + n > total ? total - r * n : n;
		switch (t) {
		case AIMET_UINT8: case AIMET_UINT4:
			q_row_uint8_t(xr, (uint8_t *)y->data + r * n, m, sc, z, (float)lo, (float)hi); break;
		case AIMET_INT8: case AIMET_INT4:
			q_row_int8_t(xr, (int8_t *)y->data + r * n, m, sc, z, (float)lo, (float)hi); break;
		case AIMET_UINT16:
			q_row_uint16_t(xr, (uint16_t *)y->data + r * n, m, sc, z, (float)lo, (float)hi); break;
		case AIMET_INT16:
			q_row_int16_t(xr, (int16_t *)y->data + r * n, m, sc, z, (float)lo, (float)hi); break;
		}
	}
}

static void dq_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *s = c->in[1], *zp = nn_in(c, 2);
	struct aimet_tensor *y = c->out[0];
	struct qd_view v;
	if (y->dtype != AIMET_FLOAT || x->dtype == AIMET_INT32 || qd_view(c, &v) || v.mode == QD_BLOCK) {
		dq_ref(c);
		return;
	}
	int64_t n = v.mode == QD_TENSOR ? QD_CHUNK : v.inner, total = aimet_tensor_numel(x);
	int64_t rows = v.mode == QD_TENSOR ? (total + n - 1) / n : v.outer * v.len;
	int nt = total >= (1 << 17) ? c->threads : 1;
	const float *sp = s->data;
	float *yp = y->data;
	int t = x->dtype;
	#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && rows > 1)
	for (int64_t r = 0; r < rows; r++) {
		int64_t si = v.mode == QD_TENSOR ? 0 : r % v.len;
		float sc = sp[si];
		int32_t z = zp ? (int32_t)aimet_tensor_get_i64(zp, si) : 0;
		int64_t m = r * n + n > total ? total - r * n : n;
		switch (t) {
		case AIMET_UINT8: case AIMET_UINT4:
			dq_row_uint8_t((const uint8_t *)x->data + r * n, yp + r * n, m, sc, z); break;
		case AIMET_INT8: case AIMET_INT4:
			dq_row_int8_t((const int8_t *)x->data + r * n, yp + r * n, m, sc, z); break;
		case AIMET_UINT16:
			dq_row_uint16_t((const uint16_t *)x->data + r * n, yp + r * n, m, sc, z); break;
		case AIMET_INT16:
			dq_row_int16_t((const int16_t *)x->data + r * n, yp + r * n, m, sc, z); break;
		}
	}
}

const struct aimet_op aimet_op_QuantizeLinear = {
	.op_type = "QuantizeLinear", .domain = "", .since_opset = 10,
	.infer = q_infer, .run = q_run, .ref = q_ref,
};
const struct aimet_op aimet_op_DequantizeLinear = {
	.op_type = "DequantizeLinear", .domain = "", .since_opset = 10,
	.infer = dq_infer, .run = dq_run, .ref = dq_ref,
};
