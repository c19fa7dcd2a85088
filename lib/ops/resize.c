/* resize.c: Resize (opsets 10-19) and Upsample (7, 9). Each axis maps output coordinates to
 * input taps (index, weight); prepare tabulates them once so a run is gathers and sums. */
/* O3 and no-trapping-math let GCC vectorise the row loops at the project's -O2; fp-contract=off
 * keeps every target clone and the scalar tail bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "nn_util.h"
#include "aimet_kernels.h"

#include <stdlib.h>

enum { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum { CT_HALF, CT_HALF_SYM, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_TFNN, CT_TFCROP };
enum { NM_RPF, NM_RPC, NM_FLOOR, NM_CEIL, NM_SIMPLE };

#define RS_MAX_COMB 256   /* outer tap combinations the fast path handles per output row */

struct rs_param {
	int mode, ct, nm, exclude, rank;
	double a, extrap;
	int64_t in[AIMET_MAX_DIMS], out[AIMET_MAX_DIMS];
	double scale[AIMET_MAX_DIMS], rs[AIMET_MAX_DIMS], re[AIMET_MAX_DIMS];
};

static int rs_legacy(const struct aimet_op_ctx *c)
{
	return !strcmp(c->node->op_type, "Upsample") || c->opset < 11;
}

/* Values of a constant input as doubles; `want` values exactly. */
static int rs_vals(const struct aimet_op_ctx *c, const struct aimet_tensor *t, const char *what,
                   int64_t want, double *dst)
{
	if (!t->data)
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input '%s' must be constant (known before running)", what);
	if (aimet_tensor_numel(t) != want)
		return nn_fail(c, AIMET_ERR_INVALID, "input '%s' has %lld values, expected %lld", what,
		               (long long)aimet_tensor_numel(t), (long long)want);
	for (int64_t i = 0; i < want; i++)
		dst[i] = aimet_tensor_get_f64(t, i);
	return AIMET_OK;
}

static int rs_str(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int rs_parse(const struct aimet_op_ctx *c, struct rs_param *p)
{
	static const char *const modes[] = {"nearest", "linear", "cubic"};
	static const char *const cts[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
	                                  "align_corners", "asymmetric", "tf_half_pixel_for_nn",
	                                  "tf_crop_and_resize"};
	static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
	const struct aimet_tensor *x = c->in[0], *roi = NULL, *sc = NULL, *sz = NULL;
	const char *mode = aimet_node_attr_str(c->node, "mode", "nearest");
	double vals[2 * AIMET_MAX_DIMS];
	int64_t axes[AIMET_MAX_DIMS];
	int legacy = rs_legacy(c), st, k, use_sizes = 0;
	memset(p, 0, sizeof(*p));
	p->rank = x->ndim;
	if (x->ndim < 1)
		return nn_fail(c, AIMET_ERR_INVALID, "input 'X' is a scalar");
	if (legacy && !strcmp(mode, "bilinear"))
		mode = "linear";
	if ((p->mode = rs_str(mode, modes, legacy ? 2 : 3)) < 0)
		return nn_fail(c, AIMET_ERR_INVALID, "mode '%s' is invalid", mode);
	for (int i = 0; i < x->ndim; i++) {
		p->in[i] = x->dims[i];
		p->scale[i] = 1;
		p->rs[i] = 0;
		p->re[i] = 1;
	}
	k = x->ndim;
	for (int i = 0; i < k; i++)
		axes[i] = i;
	if (legacy) {
		p->ct = CT_ASYM;
		p->nm = NM_SIMPLE;
		if (!strcmp(c->node->op_type, "Upsample") && c->opset < 9) {
			const struct aimet_attr *a = aimet_node_attr(c->node, "scales");
			if (!a || a->type != AIMET_ATTR_FLOATS)
				return nn_fail(c, AIMET_ERR_INVALID, "attribute 'scales' is missing");
			if ((int64_t)a->n_floats != k)
				return nn_fail(c, AIMET_ERR_INVALID, "attribute 'scales' has %zu values, expected %d",
				               a->n_floats, k);
			for (int i = 0; i < k; i++)
				vals[i] = a->floats[i];
		} else {
			if ((st = nn_need_in(c, 1, "scales")) || (st = rs_vals(c, c->in[1], "scales", k, vals)))
				return st;
		}
	} else {
		const char *ct = aimet_node_attr_str(c->node, "coordinate_transformation_mode", "half_pixel");
		const char *nm = aimet_node_attr_str(c->node, "nearest_mode", "round_prefer_floor");
		const char *kar = aimet_node_attr_str(c->node, "keep_aspect_ratio_policy", "stretch");
		const int64_t *ax;
		int nax = c->opset >= 18 ? aimet_node_attr_ints(c->node, "axes", &ax) : -1;
		if ((p->ct = rs_str(ct, cts, 7)) < 0)
			return nn_fail(c, AIMET_ERR_INVALID, "coordinate_transformation_mode '%s' is invalid", ct);
		if ((p->nm = rs_str(nm, nms, 4)) < 0)
			return nn_fail(c, AIMET_ERR_INVALID, "nearest_mode '%s' is invalid", nm);
		p->a = aimet_node_attr_float(c->node, "cubic_coeff_a", -0.75f);
		p->exclude = aimet_node_attr_int(c->node, "exclude_outside", 0) != 0;
		p->extrap = aimet_node_attr_float(c->node, "extrapolation_value", 0.0f);
		if (nax >= 0) {
			if (nax < 1 || nax > x->ndim)
				return nn_fail(c, AIMET_ERR_INVALID, "attribute 'axes' has %d values", nax);
			k = nax;
			for (int i = 0; i < k; i++) {
				int a = aimet_norm_axis(ax[i], x->ndim);
				if (a < 0)
					return nn_fail(c, AIMET_ERR_INVALID, "axis %lld is out of range", (long long)ax[i]);
				for (int j = 0; j < i; j++)
					if (axes[j] == a)
						return nn_fail(c, AIMET_ERR_INVALID, "axis %d repeats in 'axes'", a);
				axes[i] = a;
			}
		}
		roi = nn_in(c, 1);
		sc = nn_in(c, 2);
		sz = nn_in(c, 3);
		if (sc && aimet_tensor_numel(sc) == 0)
			sc = NULL;
		if (sz && aimet_tensor_numel(sz) == 0)
			sz = NULL;
		if (sc && sz)
			return nn_fail(c, AIMET_ERR_INVALID, "both 'scales' and 'sizes' are given");
		if (!sc && !sz)
			return nn_fail(c, AIMET_ERR_INVALID, "neither 'scales' nor 'sizes' is given");
		if (c->opset >= 18 && aimet_node_attr_int(c->node, "antialias", 0) && p->mode != RS_NEAREST) {
			/* antialiasing only changes downsampling; refuse it there rather than ignore it */
			if (sz || sc) {
				double v[AIMET_MAX_DIMS];
				const struct aimet_tensor *t = sc ? sc : sz;
				if ((st = rs_vals(c, t, sc ? "scales" : "sizes", k, v)))
					return st;
				for (int i = 0; i < k; i++)
					if (sc ? v[i] < 1 : v[i] < (double)p->in[axes[i]])
						return nn_fail(c, AIMET_ERR_UNSUPPORTED, "antialias=1 when downsampling");
			}
		}
		if (sz) {
			use_sizes = 1;
			if (sz->dtype != AIMET_INT64)
				return nn_fail(c, AIMET_ERR_INVALID, "input 'sizes' must be int64");
			if ((st = rs_vals(c, sz, "sizes", k, vals)))
				return st;
		} else if ((st = rs_vals(c, sc, "scales", k, vals))) {
			return st;
		}
		if (p->ct == CT_TFCROP) {
			double r[2 * AIMET_MAX_DIMS];
			if (!roi || aimet_tensor_numel(roi) == 0)
				return nn_fail(c, AIMET_ERR_INVALID, "tf_crop_and_resize needs input 'roi'");
			if ((st = rs_vals(c, roi, "roi", 2 * k, r)))
				return st;
			for (int i = 0; i < k; i++) {
				p->rs[axes[i]] = r[i];
				p->re[axes[i]] = r[k + i];
				if (!isfinite(r[i]) || !isfinite(r[k + i]))
					return nn_fail(c, AIMET_ERR_INVALID, "input 'roi' is not finite");
			}
		}
		if (strcmp(kar, "stretch") && c->opset >= 18) {
			double s = 0;
			int larger = !strcmp(kar, "not_smaller");
			if (strcmp(kar, "not_larger") && !larger)
				return nn_fail(c, AIMET_ERR_INVALID, "keep_aspect_ratio_policy '%s' is invalid", kar);
			if (use_sizes) {
				for (int i = 0; i < k; i++) {
					double r;
					if (p->in[axes[i]] <= 0 || vals[i] < 0)
						return nn_fail(c, AIMET_ERR_INVALID, "cannot keep the aspect ratio of an empty axis");
					r = vals[i] / (double)p->in[axes[i]];
					if (i == 0 || (larger ? r > s : r < s))
						s = r;
				}
				for (int i = 0; i < k; i++) {
					double o = floor(s * (double)p->in[axes[i]] + 0.5);
					if (!(o < 4e18))
						return nn_fail(c, AIMET_ERR_INVALID, "output size overflows");
					p->out[axes[i]] = (int64_t)o;
					p->scale[axes[i]] = s;
				}
				goto rest;
			}
		}
	}
	for (int i = 0; i < k; i++) {
		int a = (int)axes[i];
		double o;
		if (use_sizes) {
			if (vals[i] < 0 || vals[i] > 4e18)
				return nn_fail(c, AIMET_ERR_INVALID, "size %g is invalid", vals[i]);
			p->out[a] = (int64_t)vals[i];
			if (p->out[a] > 0 && p->in[a] == 0)
				return nn_fail(c, AIMET_ERR_INVALID, "cannot resize an empty axis %d", a);
			p->scale[a] = p->in[a] ? (double)p->out[a] / (double)p->in[a] : 1;
		} else {
			/* scales are float32 values; the product is taken in double as ONNX specifies */
			if (!(vals[i] > 0) || isinf(vals[i]))
				return nn_fail(c, AIMET_ERR_INVALID, "scale %g is invalid", vals[i]);
			o = floor(vals[i] * (double)p->in[a]);
			if (!(o < 4e18))
				return nn_fail(c, AIMET_ERR_INVALID, "output size overflows");
			p->out[a] = (int64_t)o;
			p->scale[a] = vals[i];
		}
	}
rest:
	for (int i = 0; i < x->ndim; i++) {
		int listed = 0;
		for (int j = 0; j < k; j++)
			listed |= axes[j] == i;
		if (!listed)
			p->out[i] = p->in[i];
		if (p->out[i] > 0 && p->in[i] == 0)
			return nn_fail(c, AIMET_ERR_INVALID, "cannot resize an empty axis %d", i);
	}
	return AIMET_OK;
}

/* Input coordinate of output coordinate o along axis a. As in the ONNX reference, the resized
 * length in these formulas is in * scale, not the (floored) output size. */
static double rs_coord(const struct rs_param *p, int a, int64_t o)
{
	double x = (double)o, s = p->scale[a], in = (double)p->in[a], out = s * in;
	switch (p->ct) {
	case CT_HALF: return (x + 0.5) / s - 0.5;
	case CT_HALF_SYM: {
		double adj = (double)p->out[a] / out, center = in / 2;
		return center * (1 - adj) + (x + 0.5) / s - 0.5;
	}
	case CT_PYTORCH: return out > 1 ? (x + 0.5) / s - 0.5 : 0;
	case CT_ALIGN: return out > 1 ? x * (in - 1) / (out - 1) : 0;
	case CT_TFNN: return (x + 0.5) / s;
	case CT_TFCROP:
		return out > 1 ? p->rs[a] * (in - 1) + x * (p->re[a] - p->rs[a]) * (in - 1) / (out - 1)
		               : 0.5 * (p->rs[a] + p->re[a]) * (in - 1);
	default: return x / s;
	}
}

static int64_t rs_clampi(double v, int64_t n)
{
	if (!(v > 0))
		return 0;
	if (v > (double)(n - 1))
		return n - 1;
	return (int64_t)v;
}

/* Taps of output coordinate o along axis a: indices (clamped to the input) and weights;
 * returns the count and sets *ext when tf_crop_and_resize samples outside the input. */
static int rs_taps(const struct rs_param *p, int a, int64_t o, int64_t *idx, double *w, int *ext)
{
	double x = rs_coord(p, a, o), x0, t;
	int64_t n = p->in[a];
	int cnt;
	*ext = p->ct == CT_TFCROP && (x < 0 || x > (double)(n - 1));
	if (p->mode == RS_NEAREST) {
		double r;
		switch (p->nm) {
		case NM_RPF: r = x - floor(x) == 0.5 ? floor(x) : round(x); break;
		case NM_RPC: r = x - floor(x) == 0.5 ? ceil(x) : round(x); break;
		case NM_FLOOR: r = floor(x); break;
		case NM_CEIL: r = ceil(x); break;
		default: r = p->scale[a] < 1 ? ceil(x) : floor(x); break;
		}
		idx[0] = rs_clampi(r, n);
		w[0] = 1;
		return 1;
	}
	x0 = floor(x);
	t = x - x0;
	if (!isfinite(t))
		t = 0;
	if (p->mode == RS_LINEAR) {
		cnt = 2;
		w[0] = 1 - t;
		w[1] = t;
	} else {
		double A = p->a, u = t + 1, v = 1 - t, z = 2 - t;
		cnt = 4;
		w[0] = ((A * u - 5 * A) * u + 8 * A) * u - 4 * A;
		w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
		w[2] = ((A + 2) * v - (A + 3)) * v * v + 1;
		w[3] = ((A * z - 5 * A) * z + 8 * A) * z - 4 * A;
		x0 -= 1;
	}
	if (p->exclude) {
		double sum = 0;
		for (int i = 0; i < cnt; i++) {
			double pos = x0 + i;
			if (pos < 0 || pos > (double)(n - 1))
				w[i] = 0;
			sum += w[i];
		}
		if (sum != 0)
			for (int i = 0; i < cnt; i++)
				w[i] /= sum;
	}
	for (int i = 0; i < cnt; i++)
		idx[i] = rs_clampi(x0 + i, n);
	return cnt;
}

static int rs_infer(struct aimet_op_ctx *c)
{
	struct rs_param p;
	int st;
	const struct aimet_tensor *x;
	if ((st = nn_need_in(c, 0, "X")))
		return st;
	x = c->in[0];
	if (!nn_out(c, 0))
		return nn_fail(c, AIMET_ERR_INVALID, "output 'Y' is missing");
	if ((st = rs_parse(c, &p)))
		return st;
	if (p.mode == RS_NEAREST ? (x->dtype == AIMET_STRING || !aimet_dtype_size(x->dtype))
	                         : !nn_is_float(x->dtype))
		return nn_fail(c, AIMET_ERR_UNSUPPORTED, "input dtype %s is not supported in mode '%s'",
		               aimet_dtype_name(x->dtype), aimet_node_attr_str(c->node, "mode", "nearest"));
	aimet_tensor_set_shape(c->out[0], x->dtype, x->ndim, p.out);
	return nn_check_shape(c, c->out[0]);
}

/* Reference: every output element sums over the product of its per-axis taps. */
static void rs_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	struct rs_param p;
	size_t es = aimet_dtype_size(x->dtype);
	int64_t n_out, istr[AIMET_MAX_DIMS];
	if (rs_parse(c, &p))
		return;
	n_out = aimet_tensor_numel(y);
	istr[p.rank - 1] = 1;
	for (int a = p.rank - 2; a >= 0; a--)
		istr[a] = istr[a + 1] * p.in[a + 1];
	for (int64_t e = 0; e < n_out; e++) {
		int64_t oc[AIMET_MAX_DIMS], rem = e, idx[AIMET_MAX_DIMS][4], combos = 1;
		double w[AIMET_MAX_DIMS][4], sum = 0;
		int nt[AIMET_MAX_DIMS], ext = 0, ex;
		for (int a = p.rank - 1; a >= 0; a--) {
			oc[a] = rem % p.out[a];
			rem /= p.out[a];
		}
		for (int a = 0; a < p.rank; a++) {
			nt[a] = rs_taps(&p, a, oc[a], idx[a], w[a], &ex);
			ext |= ex;
			combos *= nt[a];
		}
		if (ext) {
			nn_set(y, e, p.extrap);
			continue;
		}
		if (p.mode == RS_NEAREST) {
			int64_t off = 0;
			for (int a = 0; a < p.rank; a++)
				off += idx[a][0] * istr[a];
			memcpy((char *)y->data + (size_t)e * es, (const char *)x->data + (size_t)off * es, es);
			continue;
		}
		for (int64_t t = 0; t < combos; t++) {
			int64_t trem = t, off = 0;
			double wt = 1;
			for (int a = p.rank - 1; a >= 0; a--) {
				int k = (int)(trem % nt[a]);
				trem /= nt[a];
				off += idx[a][k] * istr[a];
				wt *= w[a][k];
			}
			sum += wt * aimet_tensor_get_f64(x, off);
		}
		nn_set(y, e, sum);
	}
}

/* ---- prepared tables and the fast kernel ---- */

struct rs_axis {
	int nt;             /* taps per output coordinate (1 for nearest or identity axes) */
	int64_t *idx;       /* out * nt input indices */
	float *w;           /* out * nt weights */
	uint8_t *ext;       /* out flags: extrapolate */
};

struct rs_state {
	struct rs_param p;
	struct rs_axis ax[AIMET_MAX_DIMS];
	int64_t istr[AIMET_MAX_DIMS];
	int64_t max_comb;
	int64_t rep;        /* > 0: the last axis repeats each input element rep times (nearest) */
	void *mem;
};

static void rs_free(void *state)
{
	struct rs_state *s = state;
	if (s)
		free(s->mem);
	free(s);
}

static int rs_prepare(struct aimet_op_ctx *c)
{
	struct rs_state *s;
	size_t total = 0, bytes;
	char *m;
	if (!(s = calloc(1, sizeof(*s))))
		return nn_fail(c, AIMET_ERR_NOMEM, "out of memory");
	if (rs_parse(c, &s->p)) {
		free(s);
		return AIMET_ERR_INVALID;
	}
	s->max_comb = 1;
	for (int a = 0; a < s->p.rank; a++) {
		struct rs_axis *ax = &s->ax[a];
		int64_t idx[4];
		double w[4];
		int ext, ident = s->p.out[a] == s->p.in[a];
		ax->nt = s->p.mode == RS_NEAREST ? 1 : s->p.mode == RS_LINEAR ? 2 : 4;
		/* an axis whose every output reads exactly its own input needs one tap */
		for (int64_t o = 0; ident && o < s->p.out[a]; o++) {
			int n = rs_taps(&s->p, a, o, idx, w, &ext), hit = 0;
			for (int k = 0; k < n; k++) {
				if (w[k] == 1 && idx[k] == o)
					hit++;
				else if (w[k] != 0)
					ident = 0;
			}
			if (hit != 1 || ext)
				ident = 0;
		}
		if (ident)
			ax->nt = 1;
		if (a < s->p.rank - 1)
			s->max_comb *= ax->nt;
		if (s->max_comb > RS_MAX_COMB)
			s->max_comb = RS_MAX_COMB + 1;
		/* idx + w + ext per output coordinate */
		if (aimet_mul_size((size_t)s->p.out[a], (size_t)ax->nt * 12 + 1, &bytes) ||
		    aimet_add_size(total, bytes + 16, &total)) {
			rs_free(s);
			return nn_fail(c, AIMET_ERR_NOMEM, "resize tables overflow");
		}
	}
	if (s->max_comb > RS_MAX_COMB) {
		/* very high-rank interpolation: the reference kernel handles it */
		rs_free(s);
		return AIMET_OK;
	}
	if (!(s->mem = aimet_malloc(total ? total : 1))) {
		rs_free(s);
		return nn_fail(c, AIMET_ERR_NOMEM, "out of memory for resize tables");
	}
	m = s->mem;
	s->istr[s->p.rank - 1] = 1;
	for (int a = s->p.rank - 2; a >= 0; a--)
		s->istr[a] = s->istr[a + 1] * s->p.in[a + 1];
	for (int a = 0; a < s->p.rank; a++) {
		struct rs_axis *ax = &s->ax[a];
		size_t n = (size_t)s->p.out[a] * (size_t)ax->nt;
		ax->idx = (int64_t *)m; m += n * sizeof(int64_t);
		ax->w = (float *)m; m += n * sizeof(float);
		ax->ext = (uint8_t *)m; m += (size_t)s->p.out[a];
		m += 16 - ((uintptr_t)m & 7);   /* keep the next axis's int64 table aligned */
		for (int64_t o = 0; o < s->p.out[a]; o++) {
			int64_t idx[4];
			double w[4];
			int ext, cnt = rs_taps(&s->p, a, o, idx, w, &ext);
			if (ax->nt == 1 && cnt > 1) {
				/* identity axis: keep the one tap with weight 1 */
				int best = 0;
				for (int k = 1; k < cnt; k++)
					if (w[k] > w[best])
						best = k;
				idx[0] = idx[best];
				w[0] = 1;
			}
			for (int k = 0; k < ax->nt; k++) {
				ax->idx[o * ax->nt + k] = idx[k] * s->istr[a];
				ax->w[o * ax->nt + k] = (float)w[k];
			}
			ax->ext[o] = (uint8_t)ext;
		}
	}
	{
		/* integer nearest upsampling of rows (the common FPN case) becomes a repeat */
		const struct rs_axis *al = &s->ax[s->p.rank - 1];
		int64_t in = s->p.in[s->p.rank - 1], out = s->p.out[s->p.rank - 1];
		int64_t rep = in > 0 && out % in == 0 ? out / in : 0;
		for (int64_t o = 0; rep && o < out; o++)
			if (al->nt != 1 || al->ext[o] || al->idx[o] != o / rep)
				rep = 0;
		s->rep = rep;
	}
	c->state = s;
	return AIMET_OK;
}

/* One output row as each input element repeated `rep` times (4-byte elements). */
AIMET_KERNEL_CLONES static void rs_repeat4(const uint32_t *src, uint32_t *dst, int64_t n, int64_t rep)
{
	if (rep == 2) {
		for (int64_t i = 0; i < n; i++) {
			dst[2 * i] = src[i];
			dst[2 * i + 1] = src[i];
		}
	} else if (rep == 4) {
		for (int64_t i = 0; i < n; i++)
			for (int k = 0; k < 4; k++)
				dst[4 * i + k] = src[i];
	} else if (rep == 8) {
		for (int64_t i = 0; i < n; i++)
			for (int k = 0; k < 8; k++)
				dst[8 * i + k] = src[i];
	} else if (rep == 1) {
		memcpy(dst, src, (size_t)n * sizeof(*dst));
	} else {
		for (int64_t i = 0; i < n; i++)
			for (int64_t k = 0; k < rep; k++)
				dst[i * rep + k] = src[i];
	}
}

/* Nearest gather of one output row by element size. */
AIMET_KERNEL_CLONES static void rs_gather(const char *src, char *dst, const int64_t *idx, int64_t n, size_t es)
{
	switch (es) {
	case 4: {
		const uint32_t *s = (const uint32_t *)src;
		uint32_t *d = (uint32_t *)dst;
		for (int64_t i = 0; i < n; i++) d[i] = s[idx[i]];
		break;
	}
	case 1: for (int64_t i = 0; i < n; i++) dst[i] = src[idx[i]]; break;
	case 2: {
		const uint16_t *s = (const uint16_t *)src;
		uint16_t *d = (uint16_t *)dst;
		for (int64_t i = 0; i < n; i++) d[i] = s[idx[i]];
		break;
	}
	case 8: {
		const uint64_t *s = (const uint64_t *)src;
		uint64_t *d = (uint64_t *)dst;
		for (int64_t i = 0; i < n; i++) d[i] = s[idx[i]];
		break;
	}
	default:
		for (int64_t i = 0; i < n; i++) memcpy(dst + i * es, src + idx[i] * es, es);
	}
}

static void rs_run(struct aimet_op_ctx *c)
{
	const struct rs_state *s = c->state;
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	size_t es = aimet_dtype_size(x->dtype);
	if (!s || (s->p.mode != RS_NEAREST && x->dtype != AIMET_FLOAT)) {
		rs_ref(c);
		return;
	}
	int R = s->p.rank, L = R - 1;
	const struct rs_axis *al = &s->ax[L];
	int64_t ow = s->p.out[L], rows = 1;
	for (int a = 0; a < L; a++)
		rows *= s->p.out[a];
	if (ow == 0 || rows == 0)
		return;
	double work = (double)rows * (double)ow * (double)(s->max_comb * al->nt);
	int nt = work >= 65536.0 ? c->threads : 1;
	float extrap = (float)s->p.extrap;
	#pragma omp parallel num_threads(nt) if (nt > 1)
	{
		int64_t coff[RS_MAX_COMB], prev_r = -2, prev_base = -1;
		float cw[RS_MAX_COMB];
		#pragma omp for schedule(static)
		for (int64_t r = 0; r < rows; r++) {
			int64_t oc[AIMET_MAX_DIMS], rem = r, ncomb = 1;
			int ext = 0;
			char *yrow = (char *)y->data + (size_t)(r * ow) * es;
			for (int a = L - 1; a >= 0; a--) {
				oc[a] = rem % s->p.out[a];
				rem /= s->p.out[a];
			}
			coff[0] = 0;
			cw[0] = 1;
			for (int a = 0; a < L; a++) {
				const struct rs_axis *ax = &s->ax[a];
				int64_t base = oc[a] * ax->nt;
				ext |= ax->ext[oc[a]];
				if (ax->nt == 1) {
					for (int64_t k = 0; k < ncomb; k++)
						coff[k] += ax->idx[base];
					continue;
				}
				/* expand the combinations in place, last tap first */
				for (int64_t k = ncomb - 1; k >= 0; k--)
					for (int t = ax->nt - 1; t >= 0; t--) {
						coff[k * ax->nt + t] = coff[k] + ax->idx[base + t];
						cw[k * ax->nt + t] = cw[k] * ax->w[base + t];
					}
				ncomb *= ax->nt;
			}
			if (ext) {
				/* only tf_crop_and_resize extrapolates, and only in float modes or nearest;
				 * nearest of non-float types stores the value through the generic setter */
				for (int64_t i = 0; i < ow; i++)
					nn_set(y, r * ow + i, s->p.extrap);
				prev_r = -2;
				continue;
			}
			if (ncomb == 1 && al->nt == 1) {
				if (prev_r == r - 1 && prev_base == coff[0]) {
					memcpy(yrow, yrow - (size_t)ow * es, (size_t)ow * es);
				} else {
					if (s->rep && es == 4)
						rs_repeat4((const uint32_t *)x->data + coff[0], (uint32_t *)yrow,
						           s->p.in[L], s->rep);
					else
						rs_gather((const char *)x->data + (size_t)coff[0] * es, yrow, al->idx, ow, es);
					for (int64_t i = 0; s->p.ct == CT_TFCROP && i < ow; i++)
						if (al->ext[i])
							nn_set(y, r * ow + i, s->p.extrap);
				}
				prev_r = r;
				prev_base = coff[0];
				continue;
			}
			prev_r = -2;
			float *yr = (float *)yrow;
			const float *xp = x->data;
			for (int64_t k = 0; k < ncomb; k++) {
				const float *src = xp + coff[k];
				float wk = cw[k];
				if (al->nt == 1) {
					for (int64_t i = 0; i < ow; i++) {
						float v = wk * src[al->idx[i]];
						yr[i] = k ? yr[i] + v : v;
					}
				} else if (al->nt == 2) {
					for (int64_t i = 0; i < ow; i++) {
						const int64_t *id = al->idx + 2 * i;
						const float *wt = al->w + 2 * i;
						float v = wk * (wt[0] * src[id[0]] + wt[1] * src[id[1]]);
						yr[i] = k ? yr[i] + v : v;
					}
				} else {
					for (int64_t i = 0; i < ow; i++) {
						const int64_t *id = al->idx + 4 * i;
						const float *wt = al->w + 4 * i;
						float v = wk * (wt[0] * src[id[0]] + wt[1] * src[id[1]] +
						                wt[2] * src[id[2]] + wt[3] * src[id[3]]);
						yr[i] = k ? yr[i] + v : v;
					}
				}
			}
			for (int64_t i = 0; s->p.ct == CT_TFCROP && i < ow; i++)
				if (al->ext[i])
					yr[i] = extrap;
		}
	}
}

const struct aimet_op aimet_op_Resize = {
	.op_type = "Resize", .domain = "", .since_opset = 10,
	.infer = rs_infer, .prepare = rs_prepare, .run = rs_run, .ref = rs_ref, .free_state = rs_free,
};
const struct aimet_op aimet_op_Upsample = {
	.op_type = "Upsample", .domain = "", .since_opset = 7,
	.infer = rs_infer, .prepare = rs_prepare, .run = rs_run, .ref = rs_ref, .free_state = rs_free,
};
