/* slice.c: Slice — attributes starts/ends/axes before opset 10, inputs starts/ends/axes/steps
 * from 10 — with ONNX's clamping of out-of-range (and INT64_MAX/MIN) bounds. The output is a
 * strided view of the input, copied by the shared strided-copy kernel. */
#include "movement.h"
#include "aimet_kernels.h"

/* Per input dim: first index, step and element count of the slice. */
struct slice_geom {
	int64_t start[AIMET_MAX_DIMS], step[AIMET_MAX_DIMS], count[AIMET_MAX_DIMS];
};

static int attr_list(struct aimet_op_ctx *c, const char *name, int64_t *v, int64_t *n)
{
	const int64_t *a;
	int cnt = aimet_node_attr_ints(c->node, name, &a);
	if (cnt > AIMET_MAX_DIMS)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'%s' has %d values", name, cnt);
	for (int i = 0; i < cnt; i++)
		v[i] = a[i];
	*n = cnt;
	return AIMET_OK;
}

static int slice_geom(struct aimet_op_ctx *c, const struct aimet_tensor *x, struct slice_geom *g)
{
	int64_t starts[AIMET_MAX_DIMS], ends[AIMET_MAX_DIMS], axes[AIMET_MAX_DIMS];
	int64_t steps[AIMET_MAX_DIMS], ns, ne, na = -1, nst = -1;
	int st, r = x->ndim;

	if (c->opset >= 10) {
		if ((st = aimet_op_const_ints(c, 1, "starts", starts, AIMET_MAX_DIMS, &ns)) ||
		    (st = aimet_op_const_ints(c, 2, "ends", ends, AIMET_MAX_DIMS, &ne)))
			return st;
		if (mv_in(c, 3) && (st = aimet_op_const_ints(c, 3, "axes", axes, AIMET_MAX_DIMS, &na)))
			return st;
		if (mv_in(c, 4) && (st = aimet_op_const_ints(c, 4, "steps", steps, AIMET_MAX_DIMS, &nst)))
			return st;
	} else {
		if ((st = attr_list(c, "starts", starts, &ns)) || (st = attr_list(c, "ends", ends, &ne)) ||
		    (st = attr_list(c, "axes", axes, &na)))
			return st;
		if (ns < 0 || ne < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "missing 'starts' or 'ends'");
	}
	if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
		return aimet_op_error(c, AIMET_ERR_INVALID,
		                      "'starts', 'ends', 'axes' and 'steps' differ in length");
	if (na < 0) {
		if (ns > r)
			return aimet_op_error(c, AIMET_ERR_INVALID, "%lld starts for rank %d",
			                      (long long)ns, r);
		for (int i = 0; i < ns; i++)
			axes[i] = i;
	}
	if ((st = mv_norm_axes(c, axes, ns, r)))
		return st;
	for (int i = 0; i < r; i++) {
		g->start[i] = 0;
		g->step[i] = 1;
		g->count[i] = x->dims[i];
	}
	for (int i = 0; i < ns; i++) {
		int a = (int)axes[i];
		int64_t d = x->dims[a], s = starts[i], e = ends[i], stp = nst >= 0 ? steps[i] : 1;
		int64_t diff;
		uint64_t astep;
		if (stp == 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "step 0 on axis %d", a);
		if (s < 0)
			s += d;   /* d >= 0, so even INT64_MIN + d does not overflow */
		if (e < 0)
			e += d;
		if (stp > 0) {
			s = s < 0 ? 0 : s > d ? d : s;
			e = e < 0 ? 0 : e > d ? d : e;
			diff = e - s;
			astep = (uint64_t)stp;
		} else {
			s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
			e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
			diff = s - e;
			astep = (uint64_t)0 - (uint64_t)stp;
		}
		g->start[a] = s;
		g->step[a] = stp;
		g->count[a] = diff > 0 && d > 0 ? (int64_t)(1 + (uint64_t)(diff - 1) / astep) : 0;
		if (g->count[a] == 0)
			g->start[a] = 0;
		if (g->count[a] == 1)
			g->step[a] = 1;   /* the step is never taken; keeps strides small */
	}
	return AIMET_OK;
}

static int slice_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	struct slice_geom g;
	int st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs a 'data' input and one output");
	if ((st = mv_check_dtype(c, x, "data")) || (st = slice_geom(c, x, &g)))
		return st;
	return mv_set_out(c, 0, x->dtype, x->ndim, g.count);
}

/* Geometry again at run time (the bounds are constants, checked by infer); 0 if it still
 * matches the output that infer shaped. */
static int run_geom(struct aimet_op_ctx *c, struct slice_geom *g)
{
	const struct aimet_tensor *x = c->in[0], *y = c->out[0];
	if (slice_geom(c, x, g) || y->ndim != x->ndim)
		return -1;
	for (int i = 0; i < x->ndim; i++)
		if (g->count[i] != y->dims[i])
			return -1;
	return 0;
}

static void slice_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	struct slice_geom g;
	int r = x->ndim;
	int64_t xs[AIMET_MAX_DIMS], n = aimet_tensor_numel(y);
	size_t es = aimet_dtype_size(x->dtype);
	if (run_geom(c, &g)) {
		memset(y->data, 0, y->nbytes);
		return;
	}
	mv_strides(r, x->dims, xs);
	for (int64_t i = 0; i < n; i++) {
		int64_t rem = i, src = 0;
		for (int d = r - 1; d >= 0; d--) {
			src += (g.start[d] + (rem % y->dims[d]) * g.step[d]) * xs[d];
			rem /= y->dims[d];
		}
		memcpy((char *)y->data + (size_t)i * es, (const char *)x->data + (size_t)src * es, es);
	}
}

static void slice_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	struct slice_geom g;
	int64_t xs[AIMET_MAX_DIMS], ss[AIMET_MAX_DIMS], base = 0;
	size_t es = aimet_dtype_size(x->dtype);
	if (run_geom(c, &g)) {
		memset(y->data, 0, y->nbytes);
		return;
	}
	if (aimet_tensor_numel(y) == 0)
		return;
	mv_strides(x->ndim, x->dims, xs);
	for (int i = 0; i < x->ndim; i++) {
		base += g.start[i] * xs[i];
		ss[i] = g.step[i] * xs[i];
	}
	aimet_copy_strided(y->data, (const char *)x->data + (size_t)base * es, es, y->ndim, y->dims,
	                   ss, c->threads);
}

const struct aimet_op aimet_op_Slice = {
	.op_type = "Slice", .domain = "", .infer = slice_infer, .run = slice_run, .ref = slice_ref,
};
