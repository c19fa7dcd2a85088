/* calib.c: streaming tensor statistics and the quant schemes tf, tf_enhanced, percentile and mse
 * (FORMATS.md section 2). State is fixed-size per channel, so memory does not grow with data. */
#include "aimet_calib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* tf_enhanced weighs clipping error this much more than rounding noise (AIMET's gamma). */
#define SAT_COST_WEIGHT 3.0
#define ASYM_DELTA_CANDIDATES 17   /* scale candidates d/16 of the observed step, d = 1..17 */
#define ASYM_OFFSET_CANDIDATES 21
#define SYM_DELTA_CANDIDATES 101   /* scale candidates f/100 of absmax/(steps/2), f = 1..101 */

struct channel_stats {
	float min, max;           /* running range of finite values */
	int seen;
	double lo, width;         /* histogram range, fixed by the first batch; width 0 = unset */
	double *pdf;              /* sum over batches of each batch's normalized histogram */
	int64_t batches;
};

struct aimet_observer {
	int scheme;
	size_t n_ch;
	struct channel_stats *ch;
	int64_t *counts;          /* scratch: one batch's bin counts, n_ch * BINS */
};

int aimet_scheme_parse(const char *s)
{
	static const char *const names[] = {"tf", "tf_enhanced", "percentile", "mse"};
	for (int i = 0; i < 4; i++)
		if (s && !strcmp(s, names[i]))
			return i;
	return -1;
}

const char *aimet_scheme_name(int scheme)
{
	static const char *const names[] = {"tf", "tf_enhanced", "percentile", "mse"};
	return scheme >= 0 && scheme < 4 ? names[scheme] : "?";
}

static int uses_histogram(int scheme) { return scheme != AIMET_SCHEME_TF; }

struct aimet_observer *aimet_observer_new(int scheme, size_t n_channels)
{
	struct aimet_observer *o = calloc(1, sizeof(*o));
	if (!o || !n_channels)
		goto fail;
	o->scheme = scheme;
	o->n_ch = n_channels;
	o->ch = calloc(n_channels, sizeof(*o->ch));
	if (!o->ch)
		goto fail;
	if (uses_histogram(scheme)) {
		o->counts = aimet_realloc_array(NULL, n_channels, AIMET_HIST_BINS * sizeof(int64_t));
		if (!o->counts)
			goto fail;
		for (size_t c = 0; c < n_channels; c++)
			if (!(o->ch[c].pdf = calloc(AIMET_HIST_BINS, sizeof(double))))
				goto fail;
	}
	return o;
fail:
	aimet_observer_free(o);
	return NULL;
}

void aimet_observer_free(struct aimet_observer *o)
{
	if (!o)
		return;
	if (o->ch)
		for (size_t c = 0; c < o->n_ch; c++)
			free(o->ch[c].pdf);
	free(o->ch);
	free(o->counts);
	free(o);
}

int aimet_observer_seen(const struct aimet_observer *o)
{
	for (size_t c = 0; c < o->n_ch; c++)
		if (o->ch[c].seen)
			return 1;
	return 0;
}

void aimet_observer_range(const struct aimet_observer *o, size_t c, float *min, float *max)
{
	*min = o->ch[c].seen ? o->ch[c].min : 0;
	*max = o->ch[c].seen ? o->ch[c].max : 0;
}

/* Range of channel c's values in this batch; returns 0 when it has no finite value. */
static int batch_range(const float *x, size_t outer, size_t n_ch, size_t inner, size_t c,
                       float *bmin, float *bmax)
{
	float mn = INFINITY, mx = -INFINITY;
	for (size_t o = 0; o < outer; o++) {
		const float *p = x + (o * n_ch + c) * inner;
		for (size_t i = 0; i < inner; i++) {
			float v = p[i];
			if (!isfinite(v))
				continue;
			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
		}
	}
	*bmin = mn;
	*bmax = mx;
	return mn <= mx;
}

void aimet_observer_update(struct aimet_observer *o, const float *x, size_t outer, size_t inner)
{
	size_t n_ch = o->n_ch;
	/* Channels are independent: threads split channels (or, per tensor, nothing), so every
	 * statistic is computed in one fixed order whatever the thread count. Bin counts are
	 * integers, hence exact. */
	#pragma omp parallel for schedule(static) if (n_ch > 1 && outer * inner * n_ch > 65536)
	for (size_t c = 0; c < n_ch; c++) {
		struct channel_stats *s = &o->ch[c];
		float bmin, bmax;
		if (!batch_range(x, outer, n_ch, inner, c, &bmin, &bmax))
			continue;
		if (!s->seen || bmin < s->min)
			s->min = bmin;
		if (!s->seen || bmax > s->max)
			s->max = bmax;
		s->seen = 1;
		if (!uses_histogram(o->scheme))
			continue;
		if (s->width == 0) {
			double centre = 0.5 * ((double)bmin + bmax), w = (double)bmax - bmin;
			if (w <= 0)
				w = fabs(centre) > 0 ? fabs(centre) : 1.0;
			s->width = 3.0 * w;
			s->lo = centre - 1.5 * w;
		}
		int64_t *cnt = o->counts + c * AIMET_HIST_BINS, total = 0;
		memset(cnt, 0, AIMET_HIST_BINS * sizeof(*cnt));
		double scale = AIMET_HIST_BINS / s->width;
		for (size_t oo = 0; oo < outer; oo++) {
			const float *p = x + (oo * n_ch + c) * inner;
			for (size_t i = 0; i < inner; i++) {
				double b = ((double)p[i] - s->lo) * scale;
				if (!(b >= 0 && b <= AIMET_HIST_BINS))
					continue;  /* outside the first batch's widened range, or NaN */
				int bin = b >= AIMET_HIST_BINS ? AIMET_HIST_BINS - 1 : (int)b;
				cnt[bin]++;
				total++;
			}
		}
		if (!total)
			continue;
		for (int b = 0; b < AIMET_HIST_BINS; b++)
			s->pdf[b] += (double)cnt[b] / (double)total;
		s->batches++;
	}
}

/* ---- cost of a grid [lo, hi] with step delta against a histogram ---- */
struct hist {
	double lo, bin;                  /* left edge of bin 0, bin width */
	double p[AIMET_HIST_BINS];       /* probabilities summing to 1 */
	/* prefix sums over bins [0, b) of p, p*x and p*x^2 (x = bin centre): O(log) costs */
	double cp[AIMET_HIST_BINS + 1], cpx[AIMET_HIST_BINS + 1], cpx2[AIMET_HIST_BINS + 1];
};

static double bin_centre(const struct hist *h, int b) { return h->lo + (b + 0.5) * h->bin; }

static void hist_prefix(struct hist *h)
{
	h->cp[0] = h->cpx[0] = h->cpx2[0] = 0;
	for (int b = 0; b < AIMET_HIST_BINS; b++) {
		double x = bin_centre(h, b);
		h->cp[b + 1] = h->cp[b] + h->p[b];
		h->cpx[b + 1] = h->cpx[b] + h->p[b] * x;
		h->cpx2[b + 1] = h->cpx2[b] + h->p[b] * x * x;
	}
}

/* Number of bins whose centre is below v (or at most v when `inclusive`). */
static int bins_below(const struct hist *h, double v, int inclusive)
{
	int lo = 0, hi = AIMET_HIST_BINS;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		double x = bin_centre(h, mid);
		if (inclusive ? x <= v : x < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* sat_weight * E[clipping error^2] + E[rounding noise^2] (delta^2/12 for values inside). */
static double grid_cost(const struct hist *h, double lo, double hi, double delta, double sat_weight)
{
	int a = bins_below(h, lo, 0), b = bins_below(h, hi, 1);
	double n = AIMET_HIST_BINS;
	/* sum_{x<lo} p (lo - x)^2 and sum_{x>hi} p (x - hi)^2 expanded over the prefix sums */
	double sat_lo = lo * lo * h->cp[a] - 2 * lo * h->cpx[a] + h->cpx2[a];
	double p_hi = h->cp[(int)n] - h->cp[b], px_hi = h->cpx[(int)n] - h->cpx[b];
	double px2_hi = h->cpx2[(int)n] - h->cpx2[b];
	double sat_hi = px2_hi - 2 * hi * px_hi + hi * hi * p_hi;
	double inside = h->cp[b] - h->cp[a];
	return sat_weight * (fmax(sat_lo, 0) + fmax(sat_hi, 0)) + inside * delta * delta / 12.0;
}

/* tf_enhanced: search scale/offset candidates around the observed grid. Returns the range. */
static void sqnr_search(const struct hist *h, double mn, double mx, int bw, unsigned flags,
                        double *out_min, double *out_max)
{
	double steps = ldexp(1.0, bw) - 1, best = INFINITY;
	int symmetric = flags & AIMET_GRID_SYMMETRIC;
	if (symmetric && (flags & AIMET_GRID_UNSIGNED) && mn >= 0)
		symmetric = 0;  /* unsigned symmetric of a non-negative tensor: grid [0, max] */
	*out_min = mn;
	*out_max = mx;
	if (symmetric) {
		double absmax = fmax(fabs(mn), fabs(mx)), half = floor(steps / 2);
		for (int f = 1; f <= SYM_DELTA_CANDIDATES; f++) {
			double a = absmax * f / 100.0, delta = a / half;
			double cost = grid_cost(h, -a - delta, a, delta, SAT_COST_WEIGHT);
			if (cost < best) {
				best = cost;
				*out_min = -a;
				*out_max = a;
			}
		}
		return;
	}
	double delta0 = (mx - mn) / steps;
	/* the plain observed min/max grid is a candidate too */
	best = grid_cost(h, mn, mx, delta0, SAT_COST_WEIGHT);
	for (int d = 1; d <= ASYM_DELTA_CANDIDATES; d++) {
		for (int k = 0; k < ASYM_OFFSET_CANDIDATES; k++) {
			double delta = delta0 * d / 16.0;
			double off = round(-steps * k / (ASYM_OFFSET_CANDIDATES - 1));
			/* a candidate never reaches beyond the observed range (as AIMET clamps it): a
			 * non-negative tensor keeps offset 0 */
			double lo = fmax(mn, delta * off), hi = fmin(mx, lo + delta * steps), cost;
			if (hi - lo <= 0)
				continue;
			delta = (hi - lo) / steps;
			off = round(lo / delta);
			lo = delta * off;
			hi = lo + delta * steps;
			cost = grid_cost(h, lo, hi, delta, SAT_COST_WEIGHT);
			if (cost < best) {
				best = cost;
				*out_min = lo;
				*out_max = hi;
			}
		}
	}
}

/* Value below which a fraction q of the histogram's mass lies (linear within a bin). */
static double hist_quantile(const struct hist *h, double q)
{
	double acc = 0;
	for (int b = 0; b < AIMET_HIST_BINS; b++) {
		if (acc + h->p[b] >= q && h->p[b] > 0)
			return h->lo + (b + (q - acc) / h->p[b]) * h->bin;
		acc += h->p[b];
	}
	return h->lo + AIMET_HIST_BINS * h->bin;
}

/* mse: the histogram bin edges lo <= 0 <= hi whose grid has the lowest expected squared error. */
static void mse_search(const struct hist *h, double mn, double mx, int bw, unsigned flags,
                       double *out_min, double *out_max)
{
	double steps = ldexp(1.0, bw) - 1, best = INFINITY;
	int symmetric = (flags & AIMET_GRID_SYMMETRIC) &&
	                !((flags & AIMET_GRID_UNSIGNED) && mn >= 0);
	*out_min = mn;
	*out_max = mx;
	for (int i = 0; i <= AIMET_HIST_BINS; i++) {
		double lo = fmin(h->lo + i * h->bin, 0);
		if (lo < mn && i > 0)
			continue;
		for (int j = AIMET_HIST_BINS; j >= 0; j--) {
			double hi = fmax(h->lo + j * h->bin, 0), cost;
			if (hi > mx && j < AIMET_HIST_BINS)
				continue;
			if (symmetric) {
				double a = fmax(-lo, hi);
				if (a <= 0)
					continue;
				cost = grid_cost(h, -a, a, 2 * a / steps, 1.0);
				if (cost < best) {
					best = cost;
					*out_min = -a;
					*out_max = a;
				}
			} else {
				if (hi - lo <= 0)
					continue;
				cost = grid_cost(h, lo, hi, (hi - lo) / steps, 1.0);
				if (cost < best) {
					best = cost;
					*out_min = lo;
					*out_max = hi;
				}
			}
			if (symmetric)
				break;  /* for a symmetric grid only the larger side matters: one hi per lo */
		}
	}
}

int aimet_observer_encodings(struct aimet_ctx *ctx, const struct aimet_observer *o, int bw,
                             unsigned flags, double percentile, struct aimet_encoding *out)
{
	struct hist *h = NULL;
	int st = AIMET_OK;
	if (uses_histogram(o->scheme) && !(h = malloc(sizeof(*h))))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t c = 0; c < o->n_ch && !st; c++) {
		const struct channel_stats *s = &o->ch[c];
		double mn = fmin(s->seen ? s->min : 0, 0), mx = fmax(s->seen ? s->max : 0, 0);
		unsigned f = flags;
		if (mn == 0 && mx == 0) {
			/* an all-zero (or never seen) tensor gets [-1, 1], as AIMET does */
			st = aimet_encoding_compute(ctx, -1, 1, bw, f, &out[c]);
			continue;
		}
		if (o->scheme != AIMET_SCHEME_TF && s->batches > 0) {
			double rmin = mn, rmax = mx;
			h->lo = s->lo;
			h->bin = s->width / AIMET_HIST_BINS;
			for (int b = 0; b < AIMET_HIST_BINS; b++)
				h->p[b] = s->pdf[b] / (double)s->batches;
			hist_prefix(h);
			if (o->scheme == AIMET_SCHEME_TF_ENHANCED) {
				sqnr_search(h, mn, mx, bw, flags, &rmin, &rmax);
			} else if (o->scheme == AIMET_SCHEME_PERCENTILE) {
				double q = (100.0 - percentile) / 100.0;
				if (q > 0) {
					rmin = fmin(fmax(hist_quantile(h, q), mn), 0);
					rmax = fmax(fmin(hist_quantile(h, 1 - q), mx), 0);
				}
			} else {
				mse_search(h, mn, mx, bw, flags, &rmin, &rmax);
			}
			/* the searched range is the grid: no MIN_RANGE widening beyond it */
			if (rmax - rmin > 0) {
				mn = rmin;
				mx = rmax;
				f |= AIMET_GRID_NO_MIN_RANGE;
			}
		}
		st = aimet_encoding_compute(ctx, mn, mx, bw, f, &out[c]);
	}
	free(h);
	return st;
}
