/* reduce.c: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare. Floats accumulate
 * in double, integers in (wrapping) int64, always in the row-major order of the reduced
 * elements; threads split the outputs, never a reduction, so any -j gives the same bits. */
#include "movement.h"

#include <math.h>

#define GRAIN 4096   /* input elements worth a thread */

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP, R_SUMSQ };

/* Which reduced dims, and whether the op is the identity (noop_with_empty_axes). */
struct red_axes {
	unsigned mask;
	int noop, keepdims;
};

static int red_get_axes(struct aimet_op_ctx *c, int kind, const struct aimet_tensor *x,
                        struct red_axes *ra)
{
	/* axes became an input at opset 13 for ReduceSum, at 18 for the others */
	int64_t from = kind == R_SUM ? 13 : 18, axes[AIMET_MAX_DIMS], n = 0;
	int st;
	ra->keepdims = aimet_node_attr_int(c->node, "keepdims", 1) != 0;
	ra->noop = 0;
	ra->mask = 0;
	if (c->opset >= from) {
		if (mv_in(c, 1) &&
		    (st = aimet_op_const_ints(c, 1, "axes", axes, AIMET_MAX_DIMS, &n)))
			return st;
		if (n == 0 && aimet_node_attr_int(c->node, "noop_with_empty_axes", 0)) {
			ra->noop = 1;
			return AIMET_OK;
		}
	} else {
		const int64_t *v;
		int cnt = aimet_node_attr_ints(c->node, "axes", &v);
		if (cnt > AIMET_MAX_DIMS)
			return aimet_op_error(c, AIMET_ERR_INVALID, "too many axes (%d)", cnt);
		for (int i = 0; i < cnt; i++)
			axes[i] = v[i];
		n = cnt > 0 ? cnt : 0;
	}
	if ((st = mv_norm_axes(c, axes, n, x->ndim)))
		return st;
	for (int64_t i = 0; i < n; i++)
		ra->mask |= 1u << axes[i];
	if (n == 0)
		ra->mask = x->ndim ? (1u << x->ndim) - 1 : 0;
	return AIMET_OK;
}

static int red_dtype_ok(int kind, int dtype)
{
	switch (dtype) {
	case AIMET_FLOAT: case AIMET_DOUBLE: case AIMET_INT32: case AIMET_INT64:
	case AIMET_INT8: case AIMET_UINT8: case AIMET_INT16: case AIMET_UINT16: case AIMET_UINT32:
		return 1;
	default:
		return 0;
	}
}

static int red_infer(struct aimet_op_ctx *c, int kind)
{
	struct aimet_tensor *x = mv_in(c, 0);
	struct red_axes ra;
	int64_t dims[AIMET_MAX_DIMS];
	int nd = 0, st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs a 'data' input and one output");
	if (!red_dtype_ok(kind, x->dtype))
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dtype %s", aimet_dtype_name(x->dtype));
	if ((st = red_get_axes(c, kind, x, &ra)))
		return st;
	if (ra.noop)
		return mv_set_out(c, 0, x->dtype, x->ndim, x->dims);
	for (int i = 0; i < x->ndim; i++) {
		if (!(ra.mask & (1u << i)))
			dims[nd++] = x->dims[i];
		else if (ra.keepdims)
			dims[nd++] = 1;
	}
	return mv_set_out(c, 0, x->dtype, nd, dims);
}

/* ---- the arithmetic, shared by every path ---- */

static inline double f_init(int kind)
{
	return kind == R_PROD ? 1 : kind == R_MAX ? -INFINITY : kind == R_MIN ? INFINITY : 0;
}

/* m: the maximum, for LogSumExp's shifted sum. */
static inline double f_step(int kind, double acc, double v, double m)
{
	switch (kind) {
	case R_MAX: return v > acc || v != v ? v : acc;
	case R_MIN: return v < acc || v != v ? v : acc;
	case R_PROD: return acc * v;
	case R_L1: return acc + fabs(v);
	case R_L2: case R_SUMSQ: return acc + v * v;
	case R_LOGSUMEXP: return acc + exp(v - m);
	default: return acc + v;
	}
}

static inline double f_finish(int kind, double acc, int64_t count, double m)
{
	switch (kind) {
	case R_MEAN: return acc / (double)count;
	case R_L2: return sqrt(acc);
	case R_LOGSUM: return log(acc);
	case R_LOGSUMEXP: return isfinite(m) ? log(acc) + m : m;   /* empty: -inf */
	default: return acc;
	}
}

/* Integers: wrapping arithmetic in int64; L2, LogSum and LogSumExp go through double. */
static inline int64_t i_init(int kind)
{
	return kind == R_PROD ? 1 : kind == R_MAX ? INT64_MIN : kind == R_MIN ? INT64_MAX : 0;
}

static inline int64_t i_step(int kind, int64_t acc, int64_t v)
{
	uint64_t a = (uint64_t)acc, u = (uint64_t)v;
	switch (kind) {
	case R_MAX: return v > acc ? v : acc;
	case R_MIN: return v < acc ? v : acc;
	case R_PROD: return (int64_t)(a * u);
	case R_L1: return (int64_t)(a + (v < 0 ? 0 - u : u));
	case R_SUMSQ: return (int64_t)(a + u * u);
	default: return (int64_t)(a + u);
	}
}

static int64_t d_to_i64(double d)
{
	if (d != d)
		return 0;
	if (d >= 9.2e18)
		return INT64_MAX;
	if (d <= -9.2e18)
		return INT64_MIN;
	return (int64_t)d;
}

/* Store v (already computed in double or int64) into y[i] of y's dtype, saturating integers
 * at the type's range (what a max/min of the empty set means for them). */
static void store(struct aimet_tensor *y, int64_t i, double dv, int64_t iv, int is_int)
{
	void *p = y->data;
	int64_t v = is_int ? iv : d_to_i64(dv);
#define SAT(T, lo, hi) ((T)(v < (lo) ? (lo) : v > (hi) ? (hi) : v))
	switch (y->dtype) {
	case AIMET_FLOAT: ((float *)p)[i] = (float)(is_int ? (double)iv : dv); break;
	case AIMET_DOUBLE: ((double *)p)[i] = is_int ? (double)iv : dv; break;
	case AIMET_INT64: ((int64_t *)p)[i] = v; break;
	case AIMET_INT32: ((int32_t *)p)[i] = SAT(int32_t, INT32_MIN, INT32_MAX); break;
	case AIMET_UINT32: ((uint32_t *)p)[i] = SAT(uint32_t, 0, (int64_t)UINT32_MAX); break;
	case AIMET_INT16: ((int16_t *)p)[i] = SAT(int16_t, INT16_MIN, INT16_MAX); break;
	case AIMET_UINT16: ((uint16_t *)p)[i] = SAT(uint16_t, 0, UINT16_MAX); break;
	case AIMET_INT8: ((int8_t *)p)[i] = SAT(int8_t, INT8_MIN, INT8_MAX); break;
	case AIMET_UINT8: ((uint8_t *)p)[i] = SAT(uint8_t, 0, UINT8_MAX); break;
	}
#undef SAT
}

/* The layout of one reduction: kept dims (in output order) and reduced dims, with strides
 * into x. */
struct red_plan {
	int kind, nk, nr, noop;
	int64_t kdims[AIMET_MAX_DIMS], kstr[AIMET_MAX_DIMS];
	int64_t rdims[AIMET_MAX_DIMS], rstr[AIMET_MAX_DIMS];
	int64_t n_out, count;        /* outputs; elements per reduction */
	const struct aimet_tensor *x;
	struct aimet_tensor *y;
};

static int red_plan(struct aimet_op_ctx *c, int kind, struct red_plan *p)
{
	const struct aimet_tensor *x = c->in[0];
	struct red_axes ra;
	int64_t xs[AIMET_MAX_DIMS];
	if (red_get_axes(c, kind, x, &ra))
		return -1;
	p->noop = ra.noop;
	mv_strides(x->ndim, x->dims, xs);
	p->kind = kind;
	p->nk = p->nr = 0;
	p->n_out = p->count = 1;
	for (int i = 0; i < x->ndim; i++) {
		if (ra.mask & (1u << i)) {
			p->rdims[p->nr] = x->dims[i];
			p->rstr[p->nr++] = xs[i];
			p->count *= x->dims[i];
		} else {
			p->kdims[p->nk] = x->dims[i];
			p->kstr[p->nk++] = xs[i];
			p->n_out *= x->dims[i];
		}
	}
	p->x = x;
	p->y = c->out[0];
	return aimet_tensor_numel(p->y) == p->n_out ? 0 : -1;
}

static inline int64_t out_base(const struct red_plan *p, int64_t o)
{
	int64_t base = 0;
	for (int d = p->nk - 1; d >= 0; d--) {
		base += o % p->kdims[d] * p->kstr[d];
		o /= p->kdims[d];
	}
	return base;
}

static inline int64_t red_off(const struct red_plan *p, int64_t r)
{
	int64_t off = 0;
	for (int d = p->nr - 1; d >= 0; d--) {
		off += r % p->rdims[d] * p->rstr[d];
		r /= p->rdims[d];
	}
	return off;
}

static int is_float(int dtype) { return dtype == AIMET_FLOAT || dtype == AIMET_DOUBLE; }

/* Output o, any dtype, the plain way (reads through aimet_tensor_get_*). */
static void reduce_one(const struct red_plan *p, int64_t o)
{
	int64_t base = out_base(p, o);
	int kind = p->kind;
	if (is_float(p->x->dtype) || kind == R_L2 || kind == R_LOGSUM || kind == R_LOGSUMEXP) {
		double acc = f_init(kind), m = 0;
		if (kind == R_LOGSUMEXP) {
			m = -INFINITY;
			for (int64_t r = 0; r < p->count; r++)
				m = f_step(R_MAX, m, aimet_tensor_get_f64(p->x, base + red_off(p, r)), 0);
		}
		for (int64_t r = 0; r < p->count; r++)
			acc = f_step(kind, acc, aimet_tensor_get_f64(p->x, base + red_off(p, r)), m);
		store(p->y, o, f_finish(kind, acc, p->count, m), 0, 0);
	} else {
		int64_t acc = i_init(kind);
		for (int64_t r = 0; r < p->count; r++)
			acc = i_step(kind, acc, aimet_tensor_get_i64(p->x, base + red_off(p, r)));
		if (kind == R_MEAN)
			acc = p->count ? acc / p->count : 0;
		store(p->y, o, 0, acc, 1);
	}
}

static void red_ref(struct aimet_op_ctx *c, int kind)
{
	struct red_plan p;
	if (red_plan(c, kind, &p)) {
		memset(c->out[0]->data, 0, c->out[0]->nbytes);
		return;
	}
	if (p.noop) {   /* noop_with_empty_axes: the output is the input, unchanged */
		mv_copy_all(c);
		return;
	}
	for (int64_t o = 0; o < p.n_out; o++)
		reduce_one(&p, o);
}

/* ---- fast float32 paths ---- */

/* A contiguous run of n floats. The additive kinds let the compiler vectorise the double
 * accumulation (a fixed order for this binary, the same for any thread count). */
static double row_f32(int kind, const float *x, int64_t n)
{
	double acc = f_init(kind), m = 0;
	switch (kind) {
	case R_SUM: case R_MEAN: case R_LOGSUM:
#pragma omp simd reduction(+:acc)
		for (int64_t i = 0; i < n; i++)
			acc += x[i];
		break;
	case R_L1:
#pragma omp simd reduction(+:acc)
		for (int64_t i = 0; i < n; i++)
			acc += fabs((double)x[i]);
		break;
	case R_L2: case R_SUMSQ:
#pragma omp simd reduction(+:acc)
		for (int64_t i = 0; i < n; i++)
			acc += (double)x[i] * x[i];
		break;
	case R_LOGSUMEXP:
		m = -INFINITY;
		for (int64_t i = 0; i < n; i++)
			m = f_step(R_MAX, m, x[i], 0);
		for (int64_t i = 0; i < n; i++)
			acc += exp(x[i] - m);
		break;
	default:
		for (int64_t i = 0; i < n; i++)
			acc = f_step(kind, acc, x[i], 0);
	}
	return f_finish(kind, acc, n, m);
}

/* Collapsed float32 layout: outer O, reduced R, inner I (x = [O, R, I], y = [O, I]). */
struct f32_job {
	int kind;
	int64_t O, R, I;
	const float *x;
	float *y;
};

static void job_rows(void *arg, int64_t b, int64_t e)   /* I == 1: unit = one output */
{
	const struct f32_job *j = arg;
	for (int64_t o = b; o < e; o++)
		j->y[o] = (float)row_f32(j->kind, j->x + o * j->R, j->R);
}

#define CBLK 256
/* I > 1: unit = a block of CBLK outputs of one o; each output still sums r = 0..R-1 in order. */
static void job_cols(void *arg, int64_t b, int64_t e)
{
	const struct f32_job *j = arg;
	int64_t nblk = (j->I + CBLK - 1) / CBLK;
	double acc[CBLK], m[CBLK];
	for (int64_t u = b; u < e; u++) {
		int64_t o = u / nblk, i0 = u % nblk * CBLK;
		int64_t w = j->I - i0 < CBLK ? j->I - i0 : CBLK;
		const float *x = j->x + o * j->R * j->I + i0;
		int kind = j->kind;
		for (int64_t i = 0; i < w; i++) {
			acc[i] = f_init(kind);
			m[i] = 0;
		}
		if (kind == R_LOGSUMEXP) {
			for (int64_t i = 0; i < w; i++)
				m[i] = -INFINITY;
			for (int64_t r = 0; r < j->R; r++)
				for (int64_t i = 0; i < w; i++)
					m[i] = f_step(R_MAX, m[i], x[r * j->I + i], 0);
		}
		switch (kind) {
		case R_SUM: case R_MEAN: case R_LOGSUM:
			for (int64_t r = 0; r < j->R; r++)
				for (int64_t i = 0; i < w; i++)
					acc[i] += x[r * j->I + i];
			break;
		case R_L2: case R_SUMSQ:
			for (int64_t r = 0; r < j->R; r++)
				for (int64_t i = 0; i < w; i++)
					acc[i] += (double)x[r * j->I + i] * x[r * j->I + i];
			break;
		default:
			for (int64_t r = 0; r < j->R; r++)
				for (int64_t i = 0; i < w; i++)
					acc[i] = f_step(kind, acc[i], x[r * j->I + i], m[i]);
		}
		for (int64_t i = 0; i < w; i++)
			j->y[o * j->I + i0 + i] = (float)f_finish(kind, acc[i], j->R, m[i]);
	}
}

struct gen_job { const struct red_plan *p; };

static void job_generic(void *arg, int64_t b, int64_t e)
{
	const struct gen_job *j = arg;
	for (int64_t o = b; o < e; o++)
		reduce_one(j->p, o);
}

static void red_run(struct aimet_op_ctx *c, int kind)
{
	struct red_plan p;
	struct f32_job j;
	int64_t d[AIMET_MAX_DIMS];
	int cls[AIMET_MAX_DIMS], n = 0;
	unsigned mask = 0;

	if (red_plan(c, kind, &p)) {
		memset(c->out[0]->data, 0, c->out[0]->nbytes);
		return;
	}
	if (p.noop) {
		mv_copy_all(c);
		return;
	}
	if (p.n_out == 0)
		return;
	if (p.x->dtype != AIMET_FLOAT || p.count == 0) {
		struct gen_job g = { &p };
		aimet_parallel_range(c->threads, p.n_out, 1 + GRAIN / (p.count ? p.count : 1),
		                     job_generic, &g);
		return;
	}
	/* collapse x into alternating runs of kept (0) and reduced (1) dims; size-1 dims vanish */
	{
		struct red_axes ra;
		red_get_axes(c, kind, p.x, &ra);
		mask = ra.mask;
	}
	for (int i = 0; i < p.x->ndim; i++) {
		int k = (mask >> i) & 1;
		if (p.x->dims[i] == 1)
			continue;
		if (n > 0 && cls[n - 1] == k) {
			d[n - 1] *= p.x->dims[i];
			continue;
		}
		d[n] = p.x->dims[i];
		cls[n++] = k;
	}
	j.kind = kind;
	j.x = p.x->data;
	j.y = p.y->data;
	j.O = 1;
	j.R = 1;
	j.I = 1;
	if (n == 0 || (n == 1 && cls[0] == 0)) {          /* nothing reduced: R = 1 */
		j.O = n ? d[0] : 1;
	} else if (n == 1) {                               /* [R] */
		j.R = d[0];
	} else if (n == 2 && cls[0] == 0) {                /* [K, R] */
		j.O = d[0];
		j.R = d[1];
	} else if (n == 2) {                               /* [R, K] */
		j.R = d[0];
		j.I = d[1];
	} else if (n == 3 && cls[0] == 0) {                /* [K, R, K] */
		j.O = d[0];
		j.R = d[1];
		j.I = d[2];
	} else {
		struct gen_job g = { &p };
		aimet_parallel_range(c->threads, p.n_out, 1 + GRAIN / p.count, job_generic, &g);
		return;
	}
	if (j.I == 1)
		aimet_parallel_range(c->threads, j.O, 1 + GRAIN / j.R, job_rows, &j);
	else
		aimet_parallel_range(c->threads, j.O * ((j.I + CBLK - 1) / CBLK),
		                     1 + GRAIN / (j.R * CBLK), job_cols, &j);
}

#define REDUCE_OP(Name, KIND)                                                              \
	static int infer_##Name(struct aimet_op_ctx *c) { return red_infer(c, KIND); }      \
	static void ref_##Name(struct aimet_op_ctx *c) { red_ref(c, KIND); }                \
	static void run_##Name(struct aimet_op_ctx *c) { red_run(c, KIND); }                \
	const struct aimet_op aimet_op_##Name = {                                           \
		.op_type = #Name, .domain = "", .infer = infer_##Name,                      \
		.run = run_##Name, .ref = ref_##Name,                                       \
	};

REDUCE_OP(ReduceSum, R_SUM)
REDUCE_OP(ReduceMean, R_MEAN)
REDUCE_OP(ReduceMax, R_MAX)
REDUCE_OP(ReduceMin, R_MIN)
REDUCE_OP(ReduceProd, R_PROD)
REDUCE_OP(ReduceL1, R_L1)
REDUCE_OP(ReduceL2, R_L2)
REDUCE_OP(ReduceLogSum, R_LOGSUM)
REDUCE_OP(ReduceLogSumExp, R_LOGSUMEXP)
REDUCE_OP(ReduceSumSquare, R_SUMSQ)

/* ---- CumSum: a running sum along one axis, in the input's own type (as ONNX Runtime) ---- */

struct cum_geom {
	int64_t outer, d, inner;
	int exclusive, reverse;
};

static int cum_geom(struct aimet_op_ctx *c, struct cum_geom *g)
{
	const struct aimet_tensor *x = c->in[0];
	int64_t raw, n;
	int axis, st;
	if ((st = aimet_op_const_ints(c, 1, "axis", &raw, 1, &n)))
		return st;
	if (n != 1 || (axis = aimet_norm_axis(raw, x->ndim)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "invalid 'axis' for rank %d", x->ndim);
	g->outer = g->inner = 1;
	for (int i = 0; i < axis; i++)
		g->outer *= x->dims[i];
	for (int i = axis + 1; i < x->ndim; i++)
		g->inner *= x->dims[i];
	g->d = x->dims[axis];
	g->exclusive = aimet_node_attr_int(c->node, "exclusive", 0) != 0;
	g->reverse = aimet_node_attr_int(c->node, "reverse", 0) != 0;
	return AIMET_OK;
}

static int cumsum_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	struct cum_geom g;
	int st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs 'x' and 'axis' inputs");
	if (x->dtype != AIMET_FLOAT && x->dtype != AIMET_DOUBLE && x->dtype != AIMET_INT32 &&
	    x->dtype != AIMET_INT64 && x->dtype != AIMET_UINT32 && x->dtype != AIMET_UINT64)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dtype %s", aimet_dtype_name(x->dtype));
	if (x->ndim < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "input is a scalar");
	if ((st = cum_geom(c, &g)))
		return st;
	return mv_set_out(c, 0, x->dtype, x->ndim, x->dims);
}

/* Lanes [b, e) of (outer, inner); T the element type, A the (wrapping) arithmetic type. */
#define CUM_LANES(T, A)                                                                      \
	do {                                                                                 \
		const T *xp = x;                                                             \
		T *yp = y;                                                                   \
		for (int64_t u = b; u < e; u++) {                                            \
			int64_t base = u / g->inner * g->d * g->inner + u % g->inner;         \
			A acc = 0;                                                           \
			for (int64_t s = 0; s < g->d; s++) {                                 \
				int64_t at = base + (g->reverse ? g->d - 1 - s : s) * g->inner; \
				if (g->exclusive) {                                          \
					yp[at] = (T)acc;                                     \
					acc = (A)(acc + (A)xp[at]);                          \
				} else {                                                     \
					acc = (A)(acc + (A)xp[at]);                          \
					yp[at] = (T)acc;                                     \
				}                                                            \
			}                                                                    \
		}                                                                            \
	} while (0)

struct cum_job {
	const struct cum_geom *g;
	const void *x;
	void *y;
	int dtype;
};

static void cum_lanes(void *arg, int64_t b, int64_t e)
{
	const struct cum_job *j = arg;
	const struct cum_geom *g = j->g;
	const void *x = j->x;
	void *y = j->y;
	switch (j->dtype) {
	case AIMET_FLOAT: CUM_LANES(float, float); break;
	case AIMET_DOUBLE: CUM_LANES(double, double); break;
	case AIMET_INT32: CUM_LANES(int32_t, uint32_t); break;
	case AIMET_UINT32: CUM_LANES(uint32_t, uint32_t); break;
	case AIMET_INT64: CUM_LANES(int64_t, uint64_t); break;
	case AIMET_UINT64: CUM_LANES(uint64_t, uint64_t); break;
	}
}

static void cum_do(struct aimet_op_ctx *c, int threads)
{
	struct cum_geom g;
	struct cum_job j;
	if (cum_geom(c, &g)) {
		memset(c->out[0]->data, 0, c->out[0]->nbytes);
		return;
	}
	j.g = &g;
	j.x = c->in[0]->data;
	j.y = c->out[0]->data;
	j.dtype = c->in[0]->dtype;
	aimet_parallel_range(threads, g.outer * g.inner, 1 + GRAIN / (g.d ? g.d : 1), cum_lanes, &j);
}

/* Every lane is a sequential sum either way: the reference is the same loop on one thread. */
static void cumsum_ref(struct aimet_op_ctx *c) { cum_do(c, 1); }
static void cumsum_run(struct aimet_op_ctx *c) { cum_do(c, c->threads); }

const struct aimet_op aimet_op_CumSum = {
	.op_type = "CumSum", .domain = "", .infer = cumsum_infer, .run = cumsum_run, .ref = cumsum_ref,
};
