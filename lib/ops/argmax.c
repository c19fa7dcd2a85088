/* argmax.c: ArgMax, ArgMin and TopK — the ops that return positions along an axis as int64.
 * Ties go to the lower index (ArgMax/ArgMin unless select_last_index; always for TopK, as
 * ONNX Runtime does); NaN counts as larger than every number. */
#include "movement.h"

#include <math.h>

#define GRAIN 4096

static int arg_dtype_ok(int dtype)
{
	switch (dtype) {
	case AIMET_FLOAT: case AIMET_DOUBLE: case AIMET_FLOAT16: case AIMET_BFLOAT16:
	case AIMET_INT8: case AIMET_UINT8: case AIMET_INT16: case AIMET_UINT16:
	case AIMET_INT32: case AIMET_UINT32: case AIMET_INT64:
		return 1;
	default:
		return 0;
	}
}

static int is_int(int dtype)
{
	return dtype != AIMET_FLOAT && dtype != AIMET_DOUBLE && dtype != AIMET_FLOAT16 &&
	       dtype != AIMET_BFLOAT16;
}

/* A value as a sortable key: integers exactly as int64, floats as double. */
struct key { double d; int64_t i; };

static inline struct key get_key(const struct aimet_tensor *x, int integer, int64_t at)
{
	struct key k = {0, 0};
	if (integer)
		k.i = aimet_tensor_get_i64(x, at);
	else
		k.d = aimet_tensor_get_f64(x, at);
	return k;
}

/* >0 when a > b, 0 when equal, <0 when a < b; NaN is the largest, NaNs are equal. */
static inline int key_cmp(struct key a, struct key b, int integer)
{
	if (integer)
		return (a.i > b.i) - (a.i < b.i);
	if (a.d != a.d || b.d != b.d)
		return (a.d != a.d) - (b.d != b.d);
	return (a.d > b.d) - (a.d < b.d);
}

/* ---- ArgMax / ArgMin ---- */

static int arg_axis(const struct aimet_op_ctx *c, int rank)
{
	return aimet_norm_axis(aimet_node_attr_int(c->node, "axis", 0), rank);
}

static int arg_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t dims[AIMET_MAX_DIMS];
	int axis, nd = 0, keep;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs a 'data' input and one output");
	if (!arg_dtype_ok(x->dtype))
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dtype %s", aimet_dtype_name(x->dtype));
	if ((axis = arg_axis(c, x->ndim)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range for rank %d",
		                      (long long)aimet_node_attr_int(c->node, "axis", 0), x->ndim);
	keep = aimet_node_attr_int(c->node, "keepdims", 1) != 0;
	for (int i = 0; i < x->ndim; i++) {
		if (i != axis)
			dims[nd++] = x->dims[i];
		else if (keep)
			dims[nd++] = 1;
	}
	if (x->dims[axis] == 0 && aimet_shape_numel(nd, dims) > 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "reduction over an empty axis");
	return mv_set_out(c, 0, AIMET_INT64, nd, dims);
}

struct arg_job {
	const struct aimet_tensor *x;
	int64_t *y;
	int64_t d, inner;
	int max, last, integer;
};

static void arg_range(void *arg, int64_t b, int64_t e)
{
	const struct arg_job *j = arg;
	for (int64_t u = b; u < e; u++) {
		int64_t o = u / j->inner, in = u % j->inner, base = o * j->d * j->inner + in, best = 0;
		struct key bk = get_key(j->x, j->integer, base);
		for (int64_t r = 1; r < j->d; r++) {
			struct key k = get_key(j->x, j->integer, base + r * j->inner);
			int cmp = key_cmp(k, bk, j->integer);
			if (!j->max)
				cmp = -cmp;
			if (cmp > 0 || (cmp == 0 && j->last)) {
				bk = k;
				best = r;
			}
		}
		j->y[u] = best;
	}
}

static void arg_setup(struct aimet_op_ctx *c, int max, struct arg_job *j)
{
	const struct aimet_tensor *x = c->in[0];
	int axis = arg_axis(c, x->ndim);
	j->x = x;
	j->y = c->out[0]->data;
	j->d = x->dims[axis];
	j->inner = 1;
	for (int i = axis + 1; i < x->ndim; i++)
		j->inner *= x->dims[i];
	j->max = max;
	j->last = c->opset >= 12 && aimet_node_attr_int(c->node, "select_last_index", 0) != 0;
	j->integer = is_int(x->dtype);
}

static void arg_ref(struct aimet_op_ctx *c, int max)
{
	struct arg_job j;
	arg_setup(c, max, &j);
	arg_range(&j, 0, aimet_tensor_numel(c->out[0]));
}

static void arg_run(struct aimet_op_ctx *c, int max)
{
	struct arg_job j;
	arg_setup(c, max, &j);
	aimet_parallel_range(c->threads, aimet_tensor_numel(c->out[0]), 1 + GRAIN / (j.d ? j.d : 1),
	                     arg_range, &j);
}

static void argmax_ref(struct aimet_op_ctx *c) { arg_ref(c, 1); }
static void argmax_run(struct aimet_op_ctx *c) { arg_run(c, 1); }
static void argmin_ref(struct aimet_op_ctx *c) { arg_ref(c, 0); }
static void argmin_run(struct aimet_op_ctx *c) { arg_run(c, 0); }

/* ---- TopK ---- */

struct topk_geom {
	int axis, largest;
	int64_t k, d, outer, inner;
};

static int topk_geom(struct aimet_op_ctx *c, const struct aimet_tensor *x, struct topk_geom *g)
{
	int64_t raw = aimet_node_attr_int(c->node, "axis", -1), n;
	int st;
	if ((g->axis = aimet_norm_axis(raw, x->ndim)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range for rank %d",
		                      (long long)raw, x->ndim);
	if (c->opset >= 10) {
		if ((st = aimet_op_const_ints(c, 1, "K", &g->k, 1, &n)))
			return st;
		if (n != 1)
			return aimet_op_error(c, AIMET_ERR_INVALID, "'K' must hold one value");
	} else {
		g->k = aimet_node_attr_int(c->node, "k", -1);
	}
	g->d = x->dims[g->axis];
	if (g->k < 0 || g->k > g->d)
		return aimet_op_error(c, AIMET_ERR_INVALID, "k = %lld for an axis of %lld",
		                      (long long)g->k, (long long)g->d);
	g->largest = c->opset < 11 || aimet_node_attr_int(c->node, "largest", 1) != 0;
	g->outer = g->inner = 1;
	for (int i = 0; i < g->axis; i++)
		g->outer *= x->dims[i];
	for (int i = g->axis + 1; i < x->ndim; i++)
		g->inner *= x->dims[i];
	return AIMET_OK;
}

static int topk_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	struct topk_geom g;
	int64_t dims[AIMET_MAX_DIMS];
	int st;
	if (!x || c->n_out < 2 || !c->out[0] || !c->out[1])
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs an input and two outputs");
	if (!arg_dtype_ok(x->dtype))
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dtype %s", aimet_dtype_name(x->dtype));
	if ((st = topk_geom(c, x, &g)))
		return st;
	memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->ndim);
	dims[g.axis] = g.k;
	if ((st = mv_set_out(c, 0, x->dtype, x->ndim, dims)))
		return st;
	return mv_set_out(c, 1, AIMET_INT64, x->ndim, dims);
}

/* Does element a (index ia) come before b (index ib) in the output order? */
static inline int topk_before(struct key a, int64_t ia, struct key b, int64_t ib, int integer,
                              int largest)
{
	int cmp = key_cmp(a, b, integer);
	if (!largest)
		cmp = -cmp;
	return cmp > 0 || (cmp == 0 && ia < ib);
}

static int run_geom(struct aimet_op_ctx *c, struct topk_geom *g)
{
	if (topk_geom(c, c->in[0], g) || c->out[0]->dims[g->axis] != g->k)
		return -1;
	return 0;
}

/* Reference: an element's rank is the number of elements that precede it; rank < k is out. */
static void topk_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *v = c->out[0], *ix = c->out[1];
	struct topk_geom g;
	size_t es = aimet_dtype_size(x->dtype);
	int integer = is_int(x->dtype);
	if (run_geom(c, &g)) {
		memset(v->data, 0, v->nbytes);
		memset(ix->data, 0, ix->nbytes);
		return;
	}
	for (int64_t o = 0; o < g.outer; o++)
		for (int64_t in = 0; in < g.inner; in++) {
			int64_t base = o * g.d * g.inner + in, obase = o * g.k * g.inner + in;
			for (int64_t i = 0; i < g.d; i++) {
				struct key ki = get_key(x, integer, base + i * g.inner);
				int64_t rank = 0;
				for (int64_t j = 0; j < g.d; j++)
					rank += topk_before(get_key(x, integer, base + j * g.inner), j, ki, i,
					                    integer, g.largest);
				if (rank < g.k) {
					int64_t at = obase + rank * g.inner;
					memcpy((char *)v->data + (size_t)at * es,
					       (const char *)x->data + (size_t)(base + i * g.inner) * es, es);
					((int64_t *)ix->data)[at] = i;
				}
			}
		}
}

struct topk_job {
	struct aimet_op_ctx *c;
	struct topk_geom g;
	int integer;
};

/* The fast kernel keeps, per row, a heap of the best k indices seen so far, stored in the
 * row's own slots of the indices output (stride `inner`), so it needs no workspace; the heap's
 * root is the index that comes LAST in output order. */
struct topk_row {
	const struct aimet_tensor *x;
	int64_t *h, hs, base, inner;   /* heap slot i is h[i * hs]; element j is x[base + j*inner] */
	int integer, largest;
};

static inline int row_before(const struct topk_row *r, int64_t ia, int64_t ib)
{
	return topk_before(get_key(r->x, r->integer, r->base + ia * r->inner), ia,
	                   get_key(r->x, r->integer, r->base + ib * r->inner), ib, r->integer,
	                   r->largest);
}

static void sift_down(const struct topk_row *r, int64_t n, int64_t i)
{
	int64_t *h = r->h, hs = r->hs;
	for (;;) {
		int64_t l = 2 * i + 1, rr = l + 1, w = i, t;
		if (l < n && row_before(r, h[w * hs], h[l * hs]))
			w = l;
		if (rr < n && row_before(r, h[w * hs], h[rr * hs]))
			w = rr;
		if (w == i)
			return;
		t = h[i * hs];
		h[i * hs] = h[w * hs];
		h[w * hs] = t;
		i = w;
	}
}

static void topk_rows(void *arg, int64_t b, int64_t e)
{
	const struct topk_job *j = arg;
	const struct topk_geom *g = &j->g;
	const struct aimet_tensor *x = j->c->in[0];
	struct aimet_tensor *v = j->c->out[0];
	size_t es = aimet_dtype_size(x->dtype);
	struct topk_row r;
	r.x = x;
	r.hs = g->inner;
	r.inner = g->inner;
	r.integer = j->integer;
	r.largest = g->largest;
	for (int64_t u = b; u < e; u++) {
		int64_t o = u / g->inner, in = u % g->inner, obase = o * g->k * g->inner + in, n = 0;
		int64_t *h = (int64_t *)j->c->out[1]->data + obase;
		r.h = h;
		r.base = o * g->d * g->inner + in;
		if (g->k == 0)
			continue;
		for (int64_t i = 0; i < g->d; i++) {
			if (n < g->k) {
				int64_t p = n++;
				h[p * r.hs] = i;
				while (p > 0 && row_before(&r, h[(p - 1) / 2 * r.hs], h[p * r.hs])) {
					int64_t t = h[p * r.hs];
					h[p * r.hs] = h[(p - 1) / 2 * r.hs];
					h[(p - 1) / 2 * r.hs] = t;
					p = (p - 1) / 2;
				}
			} else if (row_before(&r, i, h[0])) {
				h[0] = i;
				sift_down(&r, n, 0);
			}
		}
		/* move the last-in-order root to the back, repeatedly: the slots end up sorted */
		for (int64_t m = n - 1; m > 0; m--) {
			int64_t t = h[0];
			h[0] = h[m * r.hs];
			h[m * r.hs] = t;
			sift_down(&r, m, 0);
		}
		for (int64_t q = 0; q < n; q++)
			memcpy((char *)v->data + (size_t)(obase + q * g->inner) * es,
			       (const char *)x->data + (size_t)(r.base + h[q * r.hs] * g->inner) * es, es);
	}
}

static void topk_run(struct aimet_op_ctx *c)
{
	struct topk_job j;
	j.c = c;
	j.integer = is_int(c->in[0]->dtype);
	if (run_geom(c, &j.g)) {
		memset(c->out[0]->data, 0, c->out[0]->nbytes);
		memset(c->out[1]->data, 0, c->out[1]->nbytes);
		return;
	}
	aimet_parallel_range(c->threads, j.g.outer * j.g.inner, 1 + GRAIN / (j.g.d ? j.g.d : 1),
	                     topk_rows, &j);
}

const struct aimet_op aimet_op_ArgMax = {
	.op_type = "ArgMax", .domain = "", .infer = arg_infer, .run = argmax_run, .ref = argmax_ref,
};
const struct aimet_op aimet_op_ArgMin = {
	.op_type = "ArgMin", .domain = "", .infer = arg_infer, .run = argmin_run, .ref = argmin_ref,
};
const struct aimet_op aimet_op_TopK = {
	.op_type = "TopK", .domain = "", .infer = topk_infer, .run = topk_run, .ref = topk_ref,
};
