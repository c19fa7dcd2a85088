/* where.c: Where (condition ? X : Y) with three-way numpy broadcasting, for any fixed-size
 * dtype; the fast kernel walks rows with the shared broadcast iterator. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=off")
#endif
#include "elt.h"

#include <string.h>

static int where_infer(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *cd, *x, *y;
	int64_t d1[AIMET_MAX_DIMS], d2[AIMET_MAX_DIMS];
	int n1, n2, st = elt_check_io(c, 3, 3, 3, 1);
	if (st)
		return st;
	cd = c->in[0];
	x = c->in[1];
	y = c->in[2];
	if (cd->dtype != AIMET_BOOL)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Where): condition has type '%s', not bool",
		                   elt_name(c), aimet_dtype_name(cd->dtype));
	if (x->dtype != y->dtype)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Where): X and Y types '%s' and '%s' differ",
		                   elt_name(c), aimet_dtype_name(x->dtype), aimet_dtype_name(y->dtype));
	if (x->dtype == AIMET_STRING || !aimet_dtype_size(x->dtype))
		return aimet_error(c->ctx, AIMET_ERR_UNSUPPORTED, "node '%s' (Where): type '%s' is not supported",
		                   elt_name(c), aimet_dtype_name(x->dtype));
	if (aimet_broadcast_shape(cd->ndim, cd->dims, x->ndim, x->dims, &n1, d1) ||
	    aimet_broadcast_shape(n1, d1, y->ndim, y->dims, &n2, d2))
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Where): shapes do not broadcast", elt_name(c));
	aimet_tensor_set_shape(c->out[0], x->dtype, n2, d2);
	return AIMET_OK;
}

static void where_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *cd = c->in[0], *x = c->in[1], *y = c->in[2];
	struct aimet_tensor *z = c->out[0];
	size_t es = aimet_dtype_size(z->dtype);
	int64_t n = aimet_tensor_numel(z);
	for (int64_t i = 0; i < n; i++) {
		int64_t ic = aimet_bcast_src_index(z->ndim, z->dims, cd->ndim, cd->dims, i);
		const struct aimet_tensor *s = ((const uint8_t *)cd->data)[ic] ? x : y;
		int64_t is = aimet_bcast_src_index(z->ndim, z->dims, s->ndim, s->dims, i);
		memcpy((char *)z->data + (size_t)i * es, (const char *)s->data + (size_t)is * es, es);
	}
}

struct where_job {
	struct aimet_bcast bc;
	const uint8_t *c;
	const void *x, *y;
	void *z;
	size_t es;
};

#define WHERE_ROW(T)                                                                          \
	ELT_CLONES static void row_##T(const uint8_t *c, int sc, const T *x, int sx, const T *y, int sy,   \
	                    T *z, int64_t n)                                                    \
	{                                                                                     \
		if (sc && sx && sy)                                                           \
			for (int64_t i = 0; i < n; i++)                                       \
				z[i] = c[i] ? x[i] : y[i];                                    \
		else                                                                          \
			for (int64_t i = 0; i < n; i++)                                       \
				z[i] = c[i * sc] ? x[i * sx] : y[i * sy];                     \
	}
WHERE_ROW(uint8_t)
WHERE_ROW(uint16_t)
WHERE_ROW(uint32_t)
WHERE_ROW(uint64_t)

static void where_range(void *arg, int64_t beg, int64_t end)
{
	struct where_job *j = arg;
	struct aimet_bcast_iter it;
	int last = j->bc.ndim - 1;
	int sc = (int)j->bc.strides[0][last], sx = (int)j->bc.strides[1][last];
	int sy = (int)j->bc.strides[2][last];
	int64_t pos = beg;
	aimet_bcast_seek(&j->bc, &it, beg);
	while (pos < end) {
		int64_t len = j->bc.inner - it.col;
		const uint8_t *pc = j->c + it.off[0] + it.col * sc;
		int64_t ox = it.off[1] + it.col * sx, oy = it.off[2] + it.col * sy;
		if (len > end - pos)
			len = end - pos;
		switch (j->es) {
#define CASE(N, T) case N: row_##T(pc, sc, (const T *)j->x + ox, sx, (const T *)j->y + oy, sy, (T *)j->z + pos, len); break;
		CASE(1, uint8_t)
		CASE(2, uint16_t)
		CASE(4, uint32_t)
		CASE(8, uint64_t)
#undef CASE
		default:
			for (int64_t i = 0; i < len; i++)
				memcpy((char *)j->z + (size_t)(pos + i) * j->es,
				       pc[i * sc] ? (const char *)j->x + (size_t)(ox + i * sx) * j->es
				                  : (const char *)j->y + (size_t)(oy + i * sy) * j->es, j->es);
		}
		pos += len;
		aimet_bcast_next_row(&j->bc, &it);
	}
}

static void where_run(struct aimet_op_ctx *c)
{
	struct where_job j;
	const struct aimet_tensor *in[3] = {c->in[0], c->in[1], c->in[2]};
	if (aimet_bcast_init_t(&j.bc, c->out[0], 3, in))
		return;   /* infer guarantees it broadcasts */
	j.c = c->in[0]->data;
	j.x = c->in[1]->data;
	j.y = c->in[2]->data;
	j.z = c->out[0]->data;
	j.es = aimet_dtype_size(c->out[0]->dtype);
	aimet_parallel_range(c->threads, j.bc.numel, 32768, where_range, &j);
}

const struct aimet_op aimet_op_Where = {"Where", "", 0, where_infer, NULL, where_run, where_ref, NULL, 0};
