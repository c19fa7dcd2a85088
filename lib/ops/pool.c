/* pool.c: AveragePool, MaxPool (with the optional Indices output), GlobalAveragePool and
 * GlobalMaxPool. The fast path handles 1-D/2-D float32 row by row over output width. */
/* O3 and no-trapping-math let GCC vectorise the row loops at the project's -O2; fp-contract=off
 * keeps every target clone and the scalar tail bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "nn_util.h"
#include "aimet_kernels.h"

#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define POOL_MAX_SP (AIMET_MAX_DIMS - 2)

enum { POOL_AVG, POOL_MAX };

struct pool_geom {
	int kind, nsp;
	int64_t k[POOL_MAX_SP], s[POOL_MAX_SP], d[POOL_MAX_SP], pb[POOL_MAX_SP], pe[POOL_MAX_SP];
	int64_t in[POOL_MAX_SP], out[POOL_MAX_SP];
	int count_include_pad, storage_order;
};

/* Read an optional INTS attribute of exactly `n` values in [lo, hi] (dflt fills when absent). */
static int pool_ints(const struct aimet_op_ctx *c, const char *name, int n, int64_t lo, int64_t hi,
                     int64_t dflt, int required, int64_t *dst)
{
	const int64_t *v;
	int cnt = aimet_node_attr_ints(c->node, name, &v);
	if (cnt < 0) {
		if (required)
			return nn_fail(c, AIMET_ERR_INVALID, "attribute '%s' is missing", name);
		for (int i = 0; i < n; i++)
			dst[i] = dflt;
		return AIMET_OK;
	}
	if (cnt != n)
		return nn_fail(c, AIMET_ERR_INVALID, "attribute '%s' has %d values, expected %d", name, cnt, n);
	for (int i = 0; i < n; i++) {
		if (v[i] < lo || v[i] > hi)
			return nn_fail(c, AIMET_ERR_INVALID, "attribute '%s' value %lld is out of range",
			               name, (long long)v[i]);
		dst[i] = v[i];
	}
	return AIMET_OK;
}

/* Parse and validate every attribute and derive the output size and the effective pads. */
static int pool_geometry(const struct aimet_op_ctx *c, int kind, struct pool_geom *g)
{
	const struct aimet_tensor *x = c->in[0];
	const char *ap = aimet_node_attr_str(c->node, "auto_pad", "NOTSET");
	int64_t pads[2 * POOL_MAX_SP], big = INT32_MAX;
	int st, ceil_mode = c->opset >= 10 ? (int)aimet_node_attr_int(c->node, "ceil_mode", 0) : 0;
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	if (x->ndim < 3)
		return nn_fail(c, AIMET_ERR_INVALID, "input has rank %d, expected at least 3", x->ndim);
	g->nsp = x->ndim - 2;
	if ((st = pool_ints(c, "kernel_shape", g->nsp, 1, big, 1, 1, g->k)) ||
	    (st = pool_ints(c, "strides", g->nsp, 1, big, 1, 0, g->s)) ||
	    (st = pool_ints(c, "dilations", g->nsp, 1, big, 1, 0, g->d)) ||
	    (st = pool_ints(c, "pads", 2 * g->nsp, 0, big, 0, 0, pads)))
		return st;
	if (ceil_mode != 0 && ceil_mode != 1)
		return nn_fail(c, AIMET_ERR_INVALID, "ceil_mode %d is invalid", ceil_mode);
	g->count_include_pad = kind == POOL_AVG ? aimet_node_attr_int(c->node, "count_include_pad", 0) != 0 : 0;
	g->storage_order = kind == POOL_MAX ? (int)aimet_node_attr_int(c->node, "storage_order", 0) : 0;
	if (g->storage_order != 0 && g->storage_order != 1)
		return nn_fail(c, AIMET_ERR_INVALID, "storage_order %d is invalid", g->storage_order);
	if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && strcmp(ap, "SAME_UPPER") && strcmp(ap, "SAME_LOWER"))
		return nn_fail(c, AIMET_ERR_INVALID, "auto_pad '%s' is invalid", ap);
	for (int i = 0, taps = 1; i < g->nsp; i++) {
		int64_t in = x->dims[2 + i], dk = (g->k[i] - 1) * g->d[i] + 1, out;
		g->in[i] = in;
		/* bounded work per output: a hostile kernel must fail here, not hang a kernel */
		if (g->k[i] > (1 << 26) / taps)
			return nn_fail(c, AIMET_ERR_INVALID, "kernel_shape has more than %d taps", 1 << 26);
		taps *= (int)g->k[i];
		if (!strcmp(ap, "NOTSET") && (pads[i] >= dk || pads[g->nsp + i] >= dk))
			return nn_fail(c, AIMET_ERR_INVALID, "pads on axis %d are not smaller than the kernel", 2 + i);
		if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
			int64_t need;
			out = (in + g->s[i] - 1) / g->s[i];
			need = (out - 1) * g->s[i] + dk - in;
			if (need < 0)
				need = 0;
			g->pb[i] = !strcmp(ap, "SAME_UPPER") ? need / 2 : need - need / 2;
			g->pe[i] = need - g->pb[i];
		} else {
			int64_t span;
			if (!strcmp(ap, "NOTSET")) {
				g->pb[i] = pads[i];
				g->pe[i] = pads[g->nsp + i];
			}
			span = in + g->pb[i] + g->pe[i] - dk;
			if (span < 0)
				return nn_fail(c, AIMET_ERR_INVALID,
				               "kernel extent %lld exceeds padded input size %lld on axis %d",
				               (long long)dk, (long long)(in + g->pb[i] + g->pe[i]), 2 + i);
			out = (ceil_mode ? (span + g->s[i] - 1) / g->s[i] : span / g->s[i]) + 1;
			/* a last window that would start in the end padding is dropped (as ORT does) */
			if (ceil_mode && out > 1 && (out - 1) * g->s[i] >= in + g->pb[i])
				out--;
		}
		g->out[i] = out;
	}
	return AIMET_OK;
}

static int pool_check_input(const struct aimet_op_ctx *c, int kind)
{
	int st;
	const struct aimet_tensor *x;
	if ((st = nn_need_in(c, 0, "X")))
		return st;
	x = c->in[0];
	if (!nn_out(c, 0))
		return nn_fail(c, AIMET_ERR_INVALID, "output 'Y' is missing");
	if (!nn_is_float(x->dtype) &&
	    !(kind == POOL_MAX && (x->dtype == AIMET_INT8 || x->dtype == AIMET_UINT8)))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported",
		               aimet_dtype_name(x->dtype));
	return AIMET_OK;
}

static int pool_infer_kind(struct aimet_op_ctx *c, int kind)
{
	struct pool_geom g;
	struct aimet_tensor *y, *ind;
	int64_t dims[AIMET_MAX_DIMS];
	int st;
	if ((st = pool_check_input(c, kind)) || (st = pool_geometry(c, kind, &g)))
		return st;
	dims[0] = c->in[0]->dims[0];
	dims[1] = c->in[0]->dims[1];
	for (int i = 0; i < g.nsp; i++)
		dims[2 + i] = g.out[i];
	y = c->out[0];
	aimet_tensor_set_shape(y, c->in[0]->dtype, c->in[0]->ndim, dims);
	if ((st = nn_check_shape(c, y)))
		return st;
	if ((ind = nn_out(c, 1))) {
		if (kind != POOL_MAX)
			return nn_fail(c, AIMET_ERR_INVALID, "unexpected second output");
		aimet_tensor_set_shape(ind, AIMET_INT64, c->in[0]->ndim, dims);
		if ((st = nn_check_shape(c, ind)))
			return st;
	}
	for (int i = 2; i < c->n_out; i++)
		if (nn_out(c, i))
			return nn_fail(c, AIMET_ERR_INVALID, "unexpected output %d", i);
	return AIMET_OK;
}
static int avgpool_infer(struct aimet_op_ctx *c) { return pool_infer_kind(c, POOL_AVG); }
static int maxpool_infer(struct aimet_op_ctx *c) { return pool_infer_kind(c, POOL_MAX); }

/* Reference: every output element visits every kernel tap in row-major order. */
static void pool_ref_kind(struct aimet_op_ctx *c, int kind)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0], *ind = nn_out(c, 1);
	struct pool_geom g;
	int64_t planes, in_plane = 1, out_plane = 1, ktaps = 1;
	if (pool_geometry(c, kind, &g))
		return;
	planes = x->dims[0] * x->dims[1];
	for (int i = 0; i < g.nsp; i++) {
		in_plane *= g.in[i];
		out_plane *= g.out[i];
		ktaps *= g.k[i];
	}
	for (int64_t p = 0; p < planes; p++)
		for (int64_t o = 0; o < out_plane; o++) {
			int64_t oc[POOL_MAX_SP], rem = o, best_idx = 0;
			double sum = 0, best = nn_lowest(x->dtype), count = 0;
			for (int i = g.nsp - 1; i >= 0; i--) {
				oc[i] = rem % g.out[i];
				rem /= g.out[i];
			}
			for (int64_t t = 0; t < ktaps; t++) {
				int64_t kc, trem = t, off = 0, cm = 0, cm_stride = 1;
				int valid = 1, in_padded = 1;
				int64_t pos[POOL_MAX_SP];
				for (int i = g.nsp - 1; i >= 0; i--) {
					kc = trem % g.k[i];
					trem /= g.k[i];
					pos[i] = oc[i] * g.s[i] - g.pb[i] + kc * g.d[i];
					if (pos[i] < 0 || pos[i] >= g.in[i])
						valid = 0;
					if (pos[i] < -g.pb[i] || pos[i] >= g.in[i] + g.pe[i])
						in_padded = 0;
				}
				if (kind == POOL_AVG && (g.count_include_pad ? in_padded : valid))
					count++;
				if (!valid)
					continue;
				for (int i = 0; i < g.nsp; i++)
					off = off * g.in[i] + pos[i];
				for (int i = 0; i < g.nsp; i++) {
					cm += pos[i] * cm_stride;
					cm_stride *= g.in[i];
				}
				double v = aimet_tensor_get_f64(x, p * in_plane + off);
				if (kind == POOL_AVG) {
					sum += v;
				} else if (v > best) {
					best = v;
					best_idx = p * in_plane + (g.storage_order ? cm : off);
				}
			}
			if (kind == POOL_AVG) {
				nn_set(y, p * out_plane + o, sum / count);
			} else {
				nn_set(y, p * out_plane + o, best);
				if (ind)
					((int64_t *)ind->data)[p * out_plane + o] = best_idx;
			}
		}
}
static void avgpool_ref(struct aimet_op_ctx *c) { pool_ref_kind(c, POOL_AVG); }
static void maxpool_ref(struct aimet_op_ctx *c) { pool_ref_kind(c, POOL_MAX); }

/* ---- fast path: 1-D and 2-D float32 ---- */

/* Tables along one axis: for output o the valid taps are [t0[o], t1[o]) and the divisor factor
 * cnt[o]; for each tap t the outputs whose tap lands inside the input are [lo[t], hi[t]). */
struct pool_axis {
	int64_t in, out, k, s, d, pb;
	int64_t *t0, *t1, *lo, *hi;
	float *cnt;
};

struct pool_state {
	struct pool_geom g;
	int fast, threads;
	struct pool_axis ax[2];  /* [0] = H (a dummy of size 1 for 1-D), [1] = W */
	void *mem;
};

static void pool_free(void *state)
{
	struct pool_state *s = state;
	if (s)
		free(s->mem);
	free(s);
}

static void pool_axis_fill(struct pool_axis *a, int64_t pe, int cip)
{
	for (int64_t o = 0; o < a->out; o++) {
		int64_t t0 = a->k, t1 = 0, npad = 0;
		for (int64_t t = 0; t < a->k; t++) {
			int64_t pos = o * a->s - a->pb + t * a->d;
			if (pos >= 0 && pos < a->in) {
				if (t < t0) t0 = t;
				t1 = t + 1;
			}
			if (pos >= -a->pb && pos < a->in + pe)
				npad++;
		}
		if (t1 == 0)
			t0 = 0;
		a->t0[o] = t0;
		a->t1[o] = t1;
		if (cip) {
			a->cnt[o] = (float)npad;
		} else {
			/* with dilation some taps in [t0, t1) may still fall outside: count exactly */
			int64_t n = 0;
			for (int64_t t = t0; t < t1; t++) {
				int64_t pos = o * a->s - a->pb + t * a->d;
				n += pos >= 0 && pos < a->in;
			}
			a->cnt[o] = (float)n;
		}
	}
	for (int64_t t = 0; t < a->k; t++) {
		int64_t off = t * a->d - a->pb, lo, hi;
		/* smallest o with o*s + off >= 0, and one past the largest with o*s + off < in */
		lo = off >= 0 ? 0 : (-off + a->s - 1) / a->s;
		hi = a->in - 1 - off < 0 ? 0 : (a->in - 1 - off) / a->s + 1;
		if (hi > a->out) hi = a->out;
		if (lo > hi) lo = hi;
		a->lo[t] = lo;
		a->hi[t] = hi;
	}
}

static int pool_prepare_kind(struct aimet_op_ctx *c, int kind)
{
	struct pool_state *s;
	size_t words = 0, bytes;
	int64_t *p;
	int st;
	if (c->in[0]->dtype != AIMET_FLOAT || nn_out(c, 1) || c->in[0]->ndim > 4)
		return AIMET_OK;
	if (!(s = calloc(1, sizeof(*s))))
		return nn_fail(c, AIMET_ERR_NOMEM, "out of memory");
	if ((st = pool_geometry(c, kind, &s->g))) {
		free(s);
		return st;
	}
	for (int a = 0; a < 2; a++) {
		struct pool_axis *ax = &s->ax[a];
		int i = s->g.nsp == 1 ? a - 1 : a;
		if (i < 0) {
			ax->in = ax->out = ax->k = ax->s = ax->d = 1;
			ax->pb = 0;
		} else {
			ax->in = s->g.in[i]; ax->out = s->g.out[i]; ax->k = s->g.k[i];
			ax->s = s->g.s[i]; ax->d = s->g.d[i]; ax->pb = s->g.pb[i];
		}
		/* t0, t1, cnt per output; lo, hi per tap */
		words += (size_t)(3 * ax->out + 2 * ax->k);
	}
	if (words > ((size_t)1 << 26)) {
		/* absurd kernels or pads: leave them to the reference kernel */
		pool_free(s);
		return AIMET_OK;
	}
	if (aimet_mul_size(words, sizeof(int64_t), &bytes) || !(s->mem = aimet_malloc(bytes))) {
		pool_free(s);
		return nn_fail(c, AIMET_ERR_NOMEM, "out of memory for pooling tables");
	}
	p = s->mem;
	for (int a = 0; a < 2; a++) {
		struct pool_axis *ax = &s->ax[a];
		int i = s->g.nsp == 1 ? a - 1 : a;
		ax->t0 = p; p += ax->out;
		ax->t1 = p; p += ax->out;
		ax->cnt = (float *)p; p += ax->out;
		ax->lo = p; p += ax->k;
		ax->hi = p; p += ax->k;
		pool_axis_fill(ax, i < 0 ? 0 : s->g.pe[i], s->g.count_include_pad);
	}
	s->threads = c->threads > 0 ? c->threads : 1;
	/* per thread: the output row's accumulator and one column-sum row (average pooling) */
	if (aimet_mul_size((size_t)s->ax[1].out, 2 * sizeof(float) * (size_t)s->threads, &bytes)) {
		pool_free(s);
		return nn_fail(c, AIMET_ERR_NOMEM, "workspace size overflows");
	}
	c->workspace_size = bytes;
	s->fast = 1;
	c->state = s;
	return AIMET_OK;
}
static int avgpool_prepare(struct aimet_op_ctx *c) { return pool_prepare_kind(c, POOL_AVG); }
static int maxpool_prepare(struct aimet_op_ctx *c) { return pool_prepare_kind(c, POOL_MAX); }

/* Average pooling of one output row in the order of ONNX Runtime's vectorised kernel (which it
 * uses for column strides <= 2 and windows <= 32): each window column is first summed down the
 * window's rows, then the column sums are added left to right. The order matters beyond
 * accuracy: a quantized model amplifies a one-ulp difference that crosses a rounding boundary,
 * and the simulation must give the bits ONNX Runtime gives on the exported QDQ model.
 * acc holds 2 * OW floats: the row's sums, then one row of column sums. */
AIMET_KERNEL_CLONES static void avg_row_columns(const struct pool_state *s, const float *xp, float *yp,
                                                float *acc, int64_t oh)
{
	const struct pool_axis *ah = &s->ax[0], *aw = &s->ax[1];
	int64_t ow_n = aw->out, W = aw->in, sw = aw->s;
	float *col = acc + ow_n;
	for (int64_t o = 0; o < ow_n; o++)
		acc[o] = 0.0f;
	for (int64_t tw = 0; tw < aw->k; tw++) {
		int64_t off = tw * aw->d - aw->pb, lo = aw->lo[tw], hi = aw->hi[tw];
		int have_row = 0;
		if (lo >= hi)
			continue;
		for (int64_t th = ah->t0[oh]; th < ah->t1[oh]; th++) {
			int64_t h = oh * ah->s - ah->pb + th * ah->d;
			if (h < 0 || h >= ah->in)
				continue;
			const float *r = xp + h * W + off;
			if (!have_row)
				for (int64_t o = lo; o < hi; o++) col[o] = r[o * sw];
			else
				for (int64_t o = lo; o < hi; o++) col[o] += r[o * sw];
			have_row = 1;
		}
		if (have_row)  /* the first column added to 0 gives its sum exactly */
			for (int64_t o = lo; o < hi; o++) acc[o] += col[o];
	}
	float ch = ah->cnt[oh];
	for (int64_t o = 0; o < ow_n; o++)
		yp[o] = acc[o] / (ch * aw->cnt[o]);
}

/* One output row (plane pl, output row oh): accumulate every valid (kh, kw) tap over the whole
 * row at once so the inner loop runs along contiguous output width. The per-output order of
 * additions is (kh, kw) as in the reference and in ONNX Runtime. */
AIMET_KERNEL_CLONES static void pool_row(const struct pool_state *s, int kind, const float *xp, float *yp, float *acc,
                     int64_t oh)
{
	const struct pool_axis *ah = &s->ax[0], *aw = &s->ax[1];
	int64_t ow_n = aw->out, W = aw->in, sw = aw->s;
	if (kind == POOL_AVG && sw <= 2 && ah->k <= 32 && aw->k <= 32) {
		avg_row_columns(s, xp, yp, acc, oh);
		return;
	}
	if (kind == POOL_AVG)
		for (int64_t o = 0; o < ow_n; o++) acc[o] = 0.0f;
	else
		for (int64_t o = 0; o < ow_n; o++) acc[o] = -FLT_MAX;
	for (int64_t th = ah->t0[oh]; th < ah->t1[oh]; th++) {
		int64_t h = oh * ah->s - ah->pb + th * ah->d;
		if (h < 0 || h >= ah->in)
			continue;
		const float *row = xp + h * W;
		for (int64_t tw = 0; tw < aw->k; tw++) {
			int64_t off = tw * aw->d - aw->pb, lo = aw->lo[tw], hi = aw->hi[tw];
			const float *r = row + off;
			if (kind == POOL_AVG) {
				if (sw == 1)
					for (int64_t o = lo; o < hi; o++) acc[o] += r[o];
				else
					for (int64_t o = lo; o < hi; o++) acc[o] += r[o * sw];
			} else {
				if (sw == 1)
					for (int64_t o = lo; o < hi; o++) acc[o] = r[o] > acc[o] ? r[o] : acc[o];
				else
					for (int64_t o = lo; o < hi; o++) {
						float v = r[o * sw];
						acc[o] = v > acc[o] ? v : acc[o];
					}
			}
		}
	}
	if (kind == POOL_AVG) {
		float ch = ah->cnt[oh];
		for (int64_t o = 0; o < ow_n; o++)
			yp[o] = acc[o] / (ch * aw->cnt[o]);
	} else {
		memcpy(yp, acc, (size_t)ow_n * sizeof(float));
	}
}

static void pool_run_kind(struct aimet_op_ctx *c, int kind)
{
	const struct pool_state *s = c->state;
	const struct aimet_tensor *x = c->in[0];
	if (!s || !s->fast || x->dtype != AIMET_FLOAT || nn_out(c, 1)) {
		pool_ref_kind(c, kind);
		return;
	}
	const struct pool_axis *ah = &s->ax[0], *aw = &s->ax[1];
	int64_t planes = x->dims[0] * x->dims[1], rows = planes * ah->out;
	int64_t in_plane = ah->in * aw->in, out_plane = ah->out * aw->out;
	double work = (double)rows * (double)aw->out * (double)(ah->k * aw->k);
	int nt = work >= 65536.0 ? (c->threads < s->threads ? c->threads : s->threads) : 1;
	const float *xp = x->data;
	float *yp = c->out[0]->data, *ws = c->workspace;
	if (nt < 1)
		nt = 1;
	#pragma omp parallel num_threads(nt) if (nt > 1)
	{
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		float *acc = ws + (size_t)tid * 2 * (size_t)aw->out;
		#pragma omp for schedule(static)
		for (int64_t r = 0; r < rows; r++) {
			int64_t pl = r / ah->out, oh = r % ah->out;
			pool_row(s, kind, xp + pl * in_plane, yp + pl * out_plane + oh * aw->out, acc, oh);
		}
	}
}
static void avgpool_run(struct aimet_op_ctx *c) { pool_run_kind(c, POOL_AVG); }
static void maxpool_run(struct aimet_op_ctx *c) { pool_run_kind(c, POOL_MAX); }

/* ---- global pools ---- */

static int global_infer(struct aimet_op_ctx *c, int kind)
{
	struct aimet_tensor *x, *y;
	int64_t dims[AIMET_MAX_DIMS];
	int st;
	if ((st = pool_check_input(c, kind)))
		return st;
	x = c->in[0];
	y = c->out[0];
	if (x->ndim < 2)
		return nn_fail(c, AIMET_ERR_INVALID, "input has rank %d, expected at least 2", x->ndim);
	for (int i = 0; i < x->ndim; i++)
		dims[i] = i < 2 ? x->dims[i] : 1;
	if (kind == POOL_MAX && !nn_is_float(x->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported",
		               aimet_dtype_name(x->dtype));
	aimet_tensor_set_shape(y, x->dtype, x->ndim, dims);
	return nn_check_shape(c, y);
}
static int gap_infer(struct aimet_op_ctx *c) { return global_infer(c, POOL_AVG); }
static int gmp_infer(struct aimet_op_ctx *c) { return global_infer(c, POOL_MAX); }

static void global_ref(struct aimet_op_ctx *c, int kind)
{
	const struct aimet_tensor *x = c->in[0];
	int64_t planes = x->dims[0] * x->dims[1], inner = nn_prod(x->dims, 2, x->ndim);
	for (int64_t p = 0; p < planes; p++) {
		double acc = kind == POOL_AVG ? 0 : nn_lowest(x->dtype);
		for (int64_t i = 0; i < inner; i++) {
			double v = aimet_tensor_get_f64(x, p * inner + i);
			if (kind == POOL_AVG)
				acc += v;
			else if (v > acc)
				acc = v;
		}
		nn_set(c->out[0], p, kind == POOL_AVG ? acc / (double)inner : acc);
	}
}
static void gap_ref(struct aimet_op_ctx *c) { global_ref(c, POOL_AVG); }
static void gmp_ref(struct aimet_op_ctx *c) { global_ref(c, POOL_MAX); }

AIMET_KERNEL_CLONES static float global_plane(const float *x, int64_t n, int kind)
{
	/* the sum in ONNX Runtime's order: four interleaved partial sums, combined as
	 * (s0 + s2) + (s1 + s3), then the tail one by one (see avg_row_columns for why) */
	if (kind == POOL_AVG) {
		float s0 = 0, s1 = 0, s2 = 0, s3 = 0, sum;
		int64_t i = 0;
		for (; i + 4 <= n; i += 4) {
			s0 += x[i];
			s1 += x[i + 1];
			s2 += x[i + 2];
			s3 += x[i + 3];
		}
		sum = (s0 + s2) + (s1 + s3);
		for (; i < n; i++)
			sum += x[i];
		return sum / (float)n;
	}
	return nn_max_f32(x, n);
}

static void global_run(struct aimet_op_ctx *c, int kind)
{
	const struct aimet_tensor *x = c->in[0];
	if (x->dtype != AIMET_FLOAT) {
		global_ref(c, kind);
		return;
	}
	int64_t planes = x->dims[0] * x->dims[1], inner = nn_prod(x->dims, 2, x->ndim);
	const float *xp = x->data;
	float *yp = c->out[0]->data;
	int nt = planes * inner >= (1 << 17) ? c->threads : 1;
	#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
	for (int64_t p = 0; p < planes; p++)
		yp[p] = global_plane(xp + p * inner, inner, kind);
}
static void gap_run(struct aimet_op_ctx *c) { global_run(c, POOL_AVG); }
static void gmp_run(struct aimet_op_ctx *c) { global_run(c, POOL_MAX); }

const struct aimet_op aimet_op_AveragePool = {
	.op_type = "AveragePool", .domain = "", .since_opset = 7,
	.infer = avgpool_infer, .prepare = avgpool_prepare, .run = avgpool_run, .ref = avgpool_ref,
	.free_state = pool_free,
};
const struct aimet_op aimet_op_MaxPool = {
	.op_type = "MaxPool", .domain = "", .since_opset = 7,
	.infer = maxpool_infer, .prepare = maxpool_prepare, .run = maxpool_run, .ref = maxpool_ref,
	.free_state = pool_free,
};
const struct aimet_op aimet_op_GlobalAveragePool = {
	.op_type = "GlobalAveragePool", .domain = "", .since_opset = 1,
	.infer = gap_infer, .run = gap_run, .ref = gap_ref,
};
const struct aimet_op aimet_op_GlobalMaxPool = {
	.op_type = "GlobalMaxPool", .domain = "", .since_opset = 1,
	.infer = gmp_infer, .run = gmp_run, .ref = gmp_ref,
};
