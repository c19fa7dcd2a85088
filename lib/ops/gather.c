/* gather.c: Gather and GatherElements. Indices are run-time data: when they are known at infer
 * time they are checked there; at run time an out-of-range index yields zeros (the kernel
 * cannot fail, and must never read outside the table). */
#include "movement.h"

#define GRAIN_BYTES (64 * 1024)

static int check_indices(struct aimet_op_ctx *c, const struct aimet_tensor *idx, int64_t limit)
{
	if (idx->dtype != AIMET_INT64 && idx->dtype != AIMET_INT32)
		return aimet_op_error(c, AIMET_ERR_INVALID, "indices must be int32 or int64, not %s",
		                      aimet_dtype_name(idx->dtype));
	if (idx->data) {
		int64_t n = aimet_tensor_numel(idx);
		for (int64_t i = 0; i < n; i++) {
			int64_t v = aimet_tensor_get_i64(idx, i);
			if (v < -limit || v >= limit)
				return aimet_op_error(c, AIMET_ERR_INVALID,
				                      "index %lld out of range [-%lld, %lld)", (long long)v,
				                      (long long)limit, (long long)limit);
		}
	}
	return AIMET_OK;
}

/* Index i of the indices tensor, normalized; -1 when out of range. */
static inline int64_t get_index(const struct aimet_tensor *idx, int64_t i, int64_t limit)
{
	int64_t v = idx->dtype == AIMET_INT64 ? ((const int64_t *)idx->data)[i]
	                                      : ((const int32_t *)idx->data)[i];
	if (v < 0)
		v += limit;
	return v >= 0 && v < limit ? v : -1;
}

static int gather_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0), *idx = mv_in(c, 1);
	int64_t raw, dims[AIMET_MAX_DIMS * 2];
	int axis, st, nd = 0;
	if (!x || !idx || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'data' and 'indices' inputs");
	if ((st = mv_check_dtype(c, x, "data")))
		return st;
	raw = aimet_node_attr_int(c->node, "axis", 0);
	if ((axis = aimet_norm_axis(raw, x->ndim)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range for rank %d",
		                      (long long)raw, x->ndim);
	if ((st = check_indices(c, idx, x->dims[axis])))
		return st;
	for (int i = 0; i < axis; i++)
		dims[nd++] = x->dims[i];
	for (int i = 0; i < idx->ndim; i++)
		dims[nd++] = idx->dims[i];
	for (int i = axis + 1; i < x->ndim; i++)
		dims[nd++] = x->dims[i];
	return mv_set_out(c, 0, x->dtype, nd, dims);
}

struct gather_geom {
	int64_t outer, n_idx, d, inner;  /* out = [outer, n_idx, inner] from data [outer, d, inner] */
	size_t es;
};

static void gather_geom(const struct aimet_op_ctx *c, struct gather_geom *g)
{
	const struct aimet_tensor *x = c->in[0];
	int axis = aimet_norm_axis(aimet_node_attr_int(c->node, "axis", 0), x->ndim);
	g->outer = 1;
	g->inner = 1;
	for (int i = 0; i < axis; i++)
		g->outer *= x->dims[i];
	for (int i = axis + 1; i < x->ndim; i++)
		g->inner *= x->dims[i];
	g->d = x->dims[axis];
	g->n_idx = aimet_tensor_numel(c->in[1]);
	g->es = aimet_dtype_size(x->dtype);
}

static void gather_ref(struct aimet_op_ctx *c)
{
	struct gather_geom g;
	const struct aimet_tensor *x = c->in[0], *idx = c->in[1];
	struct aimet_tensor *y = c->out[0];
	int64_t n;
	gather_geom(c, &g);
	n = g.outer * g.n_idx * g.inner;
	for (int64_t i = 0; i < n; i++) {
		int64_t in = i % g.inner, j = i / g.inner % g.n_idx, o = i / g.inner / g.n_idx;
		int64_t k = get_index(idx, j, g.d);
		char *dst = (char *)y->data + (size_t)i * g.es;
		if (k < 0)
			memset(dst, 0, g.es);
		else
			memcpy(dst, (const char *)x->data + (size_t)((o * g.d + k) * g.inner + in) * g.es, g.es);
	}
}

struct gather_job {
	const struct aimet_op_ctx *c;
	struct gather_geom g;
};

/* Units are (outer, index) pairs: each copies one contiguous block of `inner` elements. */
static void gather_rows(void *arg, int64_t b, int64_t e)
{
	const struct gather_job *j = arg;
	const struct gather_geom *g = &j->g;
	const struct aimet_tensor *idx = j->c->in[1];
	size_t blk = (size_t)g->inner * g->es;
	const char *x = j->c->in[0]->data;
	char *y = j->c->out[0]->data;
	for (int64_t u = b; u < e; u++) {
		int64_t o = u / g->n_idx, k = get_index(idx, u % g->n_idx, g->d);
		if (k < 0)
			memset(y + (size_t)u * blk, 0, blk);
		else
			memcpy(y + (size_t)u * blk, x + (size_t)(o * g->d + k) * blk, blk);
	}
}

static void gather_run(struct aimet_op_ctx *c)
{
	struct gather_job j;
	int64_t units;
	j.c = c;
	gather_geom(c, &j.g);
	units = j.g.outer * j.g.n_idx;
	if (!units || !j.g.inner)
		return;
	aimet_parallel_range(c->threads, units, 1 + GRAIN_BYTES / (int64_t)((size_t)j.g.inner * j.g.es),
	                     gather_rows, &j);
}

/* ---- GatherElements ---- */

static int gel_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0), *idx = mv_in(c, 1);
	int64_t raw;
	int axis, st;
	if (!x || !idx || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'data' and 'indices' inputs");
	if ((st = mv_check_dtype(c, x, "data")))
		return st;
	raw = aimet_node_attr_int(c->node, "axis", 0);
	if ((axis = aimet_norm_axis(raw, x->ndim)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range for rank %d",
		                      (long long)raw, x->ndim);
	if (idx->ndim != x->ndim)
		return aimet_op_error(c, AIMET_ERR_INVALID, "indices have rank %d, data rank %d",
		                      idx->ndim, x->ndim);
	for (int i = 0; i < x->ndim; i++)
		if (i != axis && idx->dims[i] > x->dims[i])
			return aimet_op_error(c, AIMET_ERR_INVALID,
			                      "indices dim %d is %lld, larger than the data's %lld", i,
			                      (long long)idx->dims[i], (long long)x->dims[i]);
	if ((st = check_indices(c, idx, x->dims[axis])))
		return st;
	return mv_set_out(c, 0, x->dtype, idx->ndim, idx->dims);
}

static void gel_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0], *idx = c->in[1];
	struct aimet_tensor *y = c->out[0];
	int axis = aimet_norm_axis(aimet_node_attr_int(c->node, "axis", 0), x->ndim), r = x->ndim;
	int64_t xs[AIMET_MAX_DIMS], n = aimet_tensor_numel(y);
	size_t es = aimet_dtype_size(x->dtype);
	mv_strides(r, x->dims, xs);
	for (int64_t i = 0; i < n; i++) {
		int64_t rem = i, src = 0, k = get_index(idx, i, x->dims[axis]);
		char *dst = (char *)y->data + (size_t)i * es;
		if (k < 0) {
			memset(dst, 0, es);
			continue;
		}
		for (int d = r - 1; d >= 0; d--) {
			src += (d == axis ? k : rem % y->dims[d]) * xs[d];
			rem /= y->dims[d];
		}
		memcpy(dst, (const char *)x->data + (size_t)src * es, es);
	}
}

const struct aimet_op aimet_op_Gather = {
	.op_type = "Gather", .domain = "", .infer = gather_infer, .run = gather_run, .ref = gather_ref,
};
const struct aimet_op aimet_op_GatherElements = {
	.op_type = "GatherElements", .domain = "", .infer = gel_infer, .ref = gel_ref,
};
