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

/* ---- GatherND ---- */

/* data [B..., D(m)..., S...], indices [B..., Q..., m] -> out [B..., Q..., S...]: B the batch_dims
 * leading dims shared by both, each index tuple picks a block of S elements. */
struct gnd_geom {
	int64_t batch, nq, m, block;   /* batch count, tuples per batch, tuple length, block elems */
	int64_t dd[AIMET_MAX_DIMS];    /* the m indexed dims of data */
	int64_t ds[AIMET_MAX_DIMS];    /* their strides (elements) within one batch */
	int64_t batch_size;            /* data elements per batch */
};

static int gnd_geom(struct aimet_op_ctx *c, struct gnd_geom *g, int64_t *dims, int *nd)
{
	const struct aimet_tensor *x = c->in[0], *idx = c->in[1];
	int64_t b = aimet_node_attr_int(c->node, "batch_dims", 0), m;
	int r = x->ndim, q = idx->ndim, n = 0;
	if (idx->dtype != AIMET_INT64)
		return aimet_op_error(c, AIMET_ERR_INVALID, "indices must be int64");
	if (r < 1 || q < 1 || b < 0 || b >= q || b >= r)
		return aimet_op_error(c, AIMET_ERR_INVALID, "invalid ranks %d, %d for batch_dims %lld",
		                      r, q, (long long)b);
	m = idx->dims[q - 1];
	if (m < 1 || m > r - b)
		return aimet_op_error(c, AIMET_ERR_INVALID, "index tuples of %lld for rank %d", (long long)m, r);
	g->batch = g->nq = g->block = 1;
	for (int i = 0; i < b; i++) {
		if (idx->dims[i] != x->dims[i])
			return aimet_op_error(c, AIMET_ERR_INVALID, "batch dim %d differs", i);
		g->batch *= x->dims[i];
		dims[n++] = x->dims[i];
	}
	for (int i = (int)b; i < q - 1; i++) {
		g->nq *= idx->dims[i];
		dims[n++] = idx->dims[i];
	}
	for (int i = (int)(b + m); i < r; i++) {
		g->block *= x->dims[i];
		if (n >= AIMET_MAX_DIMS)
			return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "output rank exceeds %d", AIMET_MAX_DIMS);
		dims[n++] = x->dims[i];
	}
	g->m = m;
	for (int64_t k = m - 1, s = g->block; k >= 0; k--) {
		g->dd[k] = x->dims[b + k];
		g->ds[k] = s;
		s *= g->dd[k];
	}
	g->batch_size = g->block;
	for (int64_t k = 0; k < m; k++)
		g->batch_size *= g->dd[k];
	*nd = n;
	return AIMET_OK;
}

static int gnd_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0), *idx = mv_in(c, 1);
	struct gnd_geom g;
	int64_t dims[AIMET_MAX_DIMS];
	int nd, st;
	if (!x || !idx || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'data' and 'indices' inputs");
	if ((st = mv_check_dtype(c, x, "data")) || (st = gnd_geom(c, &g, dims, &nd)))
		return st;
	if (idx->data) {
		const int64_t *iv = idx->data;
		for (int64_t t = 0; t < g.batch * g.nq; t++)
			for (int64_t k = 0; k < g.m; k++)
				if (iv[t * g.m + k] < -g.dd[k] || iv[t * g.m + k] >= g.dd[k])
					return aimet_op_error(c, AIMET_ERR_INVALID, "index %lld out of range",
					                      (long long)iv[t * g.m + k]);
	}
	return mv_set_out(c, 0, x->dtype, nd, dims);
}

/* Out-of-range tuples (only possible when the indices were not known at infer) give zeros. */
static void gnd_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct gnd_geom g;
	int64_t dims[AIMET_MAX_DIMS];
	int nd;
	size_t es = aimet_dtype_size(x->dtype), blk;
	if (gnd_geom(c, &g, dims, &nd)) {
		memset(c->out[0]->data, 0, c->out[0]->nbytes);
		return;
	}
	blk = (size_t)g.block * es;
	for (int64_t t = 0; t < g.batch * g.nq; t++) {
		const int64_t *iv = (const int64_t *)c->in[1]->data + t * g.m;
		int64_t off = t / g.nq * g.batch_size;
		int ok = 1;
		for (int64_t k = 0; k < g.m; k++) {
			int64_t v = iv[k] < 0 ? iv[k] + g.dd[k] : iv[k];
			if (!(ok = v >= 0 && v < g.dd[k]))
				break;
			off += v * g.ds[k];
		}
		char *dst = (char *)c->out[0]->data + (size_t)t * blk;
		if (ok)
			memcpy(dst, (const char *)x->data + (size_t)off * es, blk);
		else
			memset(dst, 0, blk);
	}
}

const struct aimet_op aimet_op_Gather = {
	.op_type = "Gather", .domain = "", .infer = gather_infer, .run = gather_run, .ref = gather_ref,
};
const struct aimet_op aimet_op_GatherElements = {
	.op_type = "GatherElements", .domain = "", .infer = gel_infer, .ref = gel_ref,
};
const struct aimet_op aimet_op_GatherND = {
	.op_type = "GatherND", .domain = "", .infer = gnd_infer, .ref = gnd_ref,
};
