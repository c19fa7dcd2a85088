/* pad.c: Pad — attributes pads/value before opset 11, inputs pads/constant_value from 11,
 * axes from 18; modes constant, reflect, edge and wrap; negative pads crop. The fast kernel
 * works row by row: one memcpy for the interior of each row, the border element by element. */
#include "movement.h"
#include "aimet_kernels.h"

#include <math.h>

#define GRAIN_BYTES (64 * 1024)

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

struct pad_geom {
	int mode, ndim;
	int64_t begin[AIMET_MAX_DIMS];    /* may be negative (cropping) */
	int64_t in[AIMET_MAX_DIMS], out[AIMET_MAX_DIMS];
	unsigned char value[16];          /* the constant, in the data's dtype */
};

/* Convert the pre-11 float `value` attribute to the data's dtype (integers saturate: a
 * hostile value must not make the conversion undefined). */
static int value_bytes(struct aimet_op_ctx *c, int dtype, double v, unsigned char *out)
{
	memset(out, 0, 16);
	if (dtype != AIMET_FLOAT && dtype != AIMET_DOUBLE && dtype != AIMET_FLOAT16 &&
	    dtype != AIMET_BFLOAT16)
		v = v != v ? 0 : v < -9.2e18 ? -9.2e18 : v > 9.2e18 ? 9.2e18 : v;
#define SAT(lo, hi) (v < (lo) ? (lo) : v > (hi) ? (hi) : v)
	switch (dtype) {
	case AIMET_FLOAT: { float f = (float)v; memcpy(out, &f, 4); break; }
	case AIMET_DOUBLE: memcpy(out, &v, 8); break;
	case AIMET_FLOAT16: { uint16_t h = aimet_f64_to_f16(v); memcpy(out, &h, 2); break; }
	case AIMET_BFLOAT16: { uint16_t h = aimet_f32_to_bf16((float)v); memcpy(out, &h, 2); break; }
	case AIMET_INT8: case AIMET_INT4: { int8_t x = (int8_t)SAT(INT8_MIN, INT8_MAX); memcpy(out, &x, 1); break; }
	case AIMET_UINT8: case AIMET_UINT4: case AIMET_BOOL: { uint8_t x = (uint8_t)SAT(0, UINT8_MAX); memcpy(out, &x, 1); break; }
	case AIMET_INT16: { int16_t x = (int16_t)SAT(INT16_MIN, INT16_MAX); memcpy(out, &x, 2); break; }
	case AIMET_UINT16: { uint16_t x = (uint16_t)SAT(0, UINT16_MAX); memcpy(out, &x, 2); break; }
	case AIMET_INT32: { int32_t x = (int32_t)SAT(INT32_MIN, INT32_MAX); memcpy(out, &x, 4); break; }
	case AIMET_UINT32: { uint32_t x = (uint32_t)SAT(0, UINT32_MAX); memcpy(out, &x, 4); break; }
	case AIMET_INT64: { int64_t x = (int64_t)v; memcpy(out, &x, 8); break; }
	case AIMET_UINT64: { uint64_t x = (uint64_t)SAT(0, 9.2e18); memcpy(out, &x, 8); break; }
	default:
		if (v != 0)
			return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "a pad value for %s",
			                      aimet_dtype_name(dtype));
	}
#undef SAT
	return AIMET_OK;
}

static int pad_geom(struct aimet_op_ctx *c, const struct aimet_tensor *x, struct pad_geom *g)
{
	const char *mode = aimet_node_attr_str(c->node, "mode", "constant");
	int64_t pads[2 * AIMET_MAX_DIMS], axes[AIMET_MAX_DIMS], np, na = -1;
	int r = x->ndim, st;
	size_t es = aimet_dtype_size(x->dtype);

	if (!strcmp(mode, "constant"))
		g->mode = PAD_CONSTANT;
	else if (!strcmp(mode, "reflect"))
		g->mode = PAD_REFLECT;
	else if (!strcmp(mode, "edge"))
		g->mode = PAD_EDGE;
	else if (!strcmp(mode, "wrap"))
		g->mode = PAD_WRAP;
	else
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "mode '%s'", mode);
	memset(g->value, 0, sizeof g->value);
	if (c->opset < 11) {
		const int64_t *v;
		int cnt = aimet_node_attr_ints(c->node, "pads", &v);
		if (cnt < 0)
			cnt = aimet_node_attr_ints(c->node, "paddings", &v);   /* opset 1 */
		if (cnt < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "missing 'pads' attribute");
		if (cnt > 2 * AIMET_MAX_DIMS)
			return aimet_op_error(c, AIMET_ERR_INVALID, "'pads' has %d values", cnt);
		memcpy(pads, v, sizeof(int64_t) * (size_t)cnt);
		np = cnt;
		if (g->mode == PAD_CONSTANT &&
		    (st = value_bytes(c, x->dtype, aimet_node_attr_float(c->node, "value", 0), g->value)))
			return st;
	} else {
		const struct aimet_tensor *cv = mv_in(c, 2);
		if ((st = aimet_op_const_ints(c, 1, "pads", pads, 2 * AIMET_MAX_DIMS, &np)))
			return st;
		if (c->opset >= 18 && mv_in(c, 3) &&
		    (st = aimet_op_const_ints(c, 3, "axes", axes, AIMET_MAX_DIMS, &na)))
			return st;
		if (cv) {
			if (cv->dtype != x->dtype)
				return aimet_op_error(c, AIMET_ERR_INVALID, "'constant_value' is %s, data %s",
				                      aimet_dtype_name(cv->dtype), aimet_dtype_name(x->dtype));
			if (aimet_tensor_numel(cv) > 1)
				return aimet_op_error(c, AIMET_ERR_INVALID, "'constant_value' is not a scalar");
			/* its value is read at run time: only its existence matters here */
			if (cv->data && cv->nbytes >= es)
				memcpy(g->value, cv->data, es);
		}
	}
	if (na < 0) {
		na = r;
		for (int i = 0; i < r; i++)
			axes[i] = i;
	} else if ((st = mv_norm_axes(c, axes, na, r))) {
		return st;
	}
	if (np != 2 * na)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'pads' has %lld values for %lld axes",
		                      (long long)np, (long long)na);
	g->ndim = r;
	for (int i = 0; i < r; i++) {
		g->begin[i] = 0;
		g->in[i] = g->out[i] = x->dims[i];
	}
	for (int k = 0; k < na; k++) {
		int a = (int)axes[k];
		int64_t b = pads[k], e = pads[k + na], d = x->dims[a];
		/* |pads| beyond 2^61 cannot describe a real tensor; refusing them keeps sums exact */
		if (b > (1LL << 61) || b < -(1LL << 61) || e > (1LL << 61) || e < -(1LL << 61) ||
		    d + b + e < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "pads %lld, %lld on a dim of %lld",
			                      (long long)b, (long long)e, (long long)d);
		if (g->mode != PAD_CONSTANT && d == 0 && d + b + e > 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "cannot %s-pad an empty dim", mode);
		g->begin[a] = b;
		g->out[a] = d + b + e;
	}
	return AIMET_OK;
}

static int pad_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	struct pad_geom g;
	int st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs a 'data' input and one output");
	if ((st = mv_check_dtype(c, x, "data")) || (st = pad_geom(c, x, &g)))
		return st;
	return mv_set_out(c, 0, x->dtype, x->ndim, g.out);
}

/* Source coordinate of output coordinate o along a dim, or -1 for the constant. */
static inline int64_t map_coord(int mode, int64_t o, int64_t begin, int64_t d)
{
	int64_t i = o - begin, p;
	if (i >= 0 && i < d)
		return i;
	switch (mode) {
	case PAD_EDGE:
		return i < 0 ? 0 : d - 1;
	case PAD_REFLECT:   /* mirror without repeating the edge: period 2(d-1) */
		if (d == 1)
			return 0;
		p = 2 * (d - 1);
		i %= p;
		if (i < 0)
			i += p;
		return i >= d ? p - i : i;
	case PAD_WRAP:
		i %= d;
		return i < 0 ? i + d : i;
	default:
		return -1;
	}
}

/* Run-time geometry: the constant comes from input 2 when present. 0 if it matches y. */
static int run_geom(struct aimet_op_ctx *c, struct pad_geom *g)
{
	const struct aimet_tensor *x = c->in[0], *y = c->out[0];
	if (pad_geom(c, x, g) || y->ndim != g->ndim)
		return -1;
	for (int i = 0; i < g->ndim; i++)
		if (g->out[i] != y->dims[i])
			return -1;
	return 0;
}

static void pad_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	struct pad_geom g;
	int64_t xs[AIMET_MAX_DIMS], n = aimet_tensor_numel(y);
	size_t es = aimet_dtype_size(x->dtype);
	if (run_geom(c, &g)) {
		memset(y->data, 0, y->nbytes);
		return;
	}
	mv_strides(x->ndim, x->dims, xs);
	for (int64_t i = 0; i < n; i++) {
		int64_t rem = i, src = 0;
		char *dst = (char *)y->data + (size_t)i * es;
		for (int d = y->ndim - 1; d >= 0 && src >= 0; d--) {
			int64_t s = map_coord(g.mode, rem % y->dims[d], g.begin[d], g.in[d]);
			rem /= y->dims[d];
			src = s < 0 ? -1 : src + s * xs[d];
		}
		memcpy(dst, src < 0 ? (const void *)g.value : (const char *)x->data + (size_t)src * es, es);
	}
}

struct pad_job {
	const struct aimet_op_ctx *c;
	struct pad_geom g;
	int64_t xs[AIMET_MAX_DIMS];
	size_t es;
};

static void pad_rows(void *arg, int64_t b, int64_t e)
{
	const struct pad_job *j = arg;
	const struct pad_geom *g = &j->g;
	const char *x = j->c->in[0]->data;
	char *y = j->c->out[0]->data;
	int last = g->ndim - 1;
	int64_t O = g->out[last], D = g->in[last], bg = g->begin[last];
	int64_t lo = bg > 0 ? bg : 0, hi = bg + D < O ? bg + D : O;
	size_t es = j->es;
	for (int64_t row = b; row < e; row++) {
		char *d = y + (size_t)(row * O) * es;
		int64_t rem = row, src = 0;
		for (int k = last - 1; k >= 0 && src >= 0; k--) {
			int64_t s = map_coord(g->mode, rem % g->out[k], g->begin[k], g->in[k]);
			rem /= g->out[k];
			src = s < 0 ? -1 : src + s * j->xs[k];
		}
		if (src < 0) {
			aimet_fill_elems(d, g->value, es, O);
			continue;
		}
		const char *s = x + (size_t)src * es;
		if (g->mode == PAD_CONSTANT) {
			int64_t l = lo < O ? lo : O, r0 = hi > l ? hi : l;
			aimet_fill_elems(d, g->value, es, l);
			if (hi > lo)
				memcpy(d + (size_t)lo * es, s + (size_t)(lo - bg) * es, (size_t)(hi - lo) * es);
			aimet_fill_elems(d + (size_t)r0 * es, g->value, es, O - r0);
			continue;
		}
		for (int64_t o = 0; o < O; o++) {
			if (o == lo && hi > lo) {
				memcpy(d + (size_t)lo * es, s + (size_t)(lo - bg) * es, (size_t)(hi - lo) * es);
				o = hi - 1;
				continue;
			}
			memcpy(d + (size_t)o * es, s + (size_t)map_coord(g->mode, o, bg, D) * es, es);
		}
	}
}

static void pad_run(struct aimet_op_ctx *c)
{
	struct aimet_tensor *y = c->out[0];
	struct pad_job j;
	int64_t rows, O;
	if (run_geom(c, &j.g)) {
		memset(y->data, 0, y->nbytes);
		return;
	}
	if (j.g.ndim == 0) {
		memcpy(y->data, c->in[0]->data, y->nbytes);
		return;
	}
	j.c = c;
	j.es = aimet_dtype_size(y->dtype);
	mv_strides(c->in[0]->ndim, c->in[0]->dims, j.xs);
	O = y->dims[y->ndim - 1];
	if (!O || !(rows = aimet_tensor_numel(y) / O))
		return;
	aimet_parallel_range(c->threads, rows, 1 + GRAIN_BYTES / (int64_t)((size_t)O * j.es),
	                     pad_rows, &j);
}

const struct aimet_op aimet_op_Pad = {
	.op_type = "Pad", .domain = "", .infer = pad_infer, .run = pad_run, .ref = pad_ref,
};
