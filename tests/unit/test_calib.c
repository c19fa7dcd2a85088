/* test_calib.c: calibration observers and quant schemes — FORMATS.md's worked table through
 * the real calibration path, streaming invariance, scheme behaviour, determinism across -j. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "aimet_calib.h"
#include "../test.h"

static int close_to(double a, double b, double tol) { return fabs(a - b) <= tol * fmax(1.0, fabs(b)); }

/* Observe data spanning exactly [lo, hi] (plus interior points) with `scheme`, in `batches`. */
static struct aimet_observer *observe(int scheme, float lo, float hi, int batches)
{
	struct aimet_observer *o = aimet_observer_new(scheme, 1);
	for (int b = 0; b < batches; b++) {
		float x[101];
		for (int i = 0; i <= 100; i++)
			x[i] = lo + (hi - lo) * (float)((i * 37 + b * 11) % 101) / 100.0f;
		aimet_observer_update(o, x, 1, 101);
	}
	return o;
}

struct row {
	const char *what;
	int bw;
	float lo, hi;
	unsigned flags;
	double scale;
	int64_t offset;
	double min, max;
};

static void worked_table(struct aimet_ctx *ctx)
{
	/* FORMATS.md section 1, reproduced with the tf (min/max) scheme's observers */
	static const struct row rows[] = {
		{"activation asym", 8, -0.52f, 2.37f, 0, 0.0113333, -46, -0.521333, 2.368667},
		{"weight sym", 8, -0.80f, 0.61f, AIMET_GRID_SYMMETRIC, 0.0062992, -128, -0.806299, 0.8},
		{"weight strict sym", 8, -0.80f, 0.61f, AIMET_GRID_SYMMETRIC | AIMET_GRID_STRICT, 0.0062992, -127, -0.8, 0.8},
		{"relu asym", 8, 0.0f, 6.0f, 0, 0.0235294, 0, 0, 6},
		{"relu unsigned sym", 8, 0.0f, 6.0f, AIMET_GRID_SYMMETRIC | AIMET_GRID_UNSIGNED, 0.0235294, 0, 0, 6},
		{"all positive", 8, 1.0f, 3.0f, 0, 0.0117647, 0, 0, 3},
		{"weight 4-bit sym", 4, -0.80f, 0.61f, AIMET_GRID_SYMMETRIC, 0.1142857, -8, -0.914286, 0.8},
		{"activation 16-bit", 16, -0.52f, 2.37f, 0, 4.40986e-05, -11792, -0.520010, 2.369990},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct aimet_observer *o = observe(AIMET_SCHEME_TF, r->lo, r->hi, 3);
		struct aimet_encoding e;
		int st = aimet_observer_encodings(ctx, o, r->bw, r->flags, 100, &e);
		CHECK(st == 0, "%s: %s", r->what, aimet_errmsg(ctx));
		CHECK(close_to(e.scale, r->scale, 5e-6), "%s: scale %.9g want %.9g", r->what, e.scale, r->scale);
		CHECK(e.offset == r->offset, "%s: offset %lld want %lld", r->what, (long long)e.offset, (long long)r->offset);
		CHECK(fabs(e.min - r->min) < 5e-6, "%s: min %.7f want %.7f", r->what, e.min, r->min);
		CHECK(fabs(e.max - r->max) < 5e-6, "%s: max %.7f want %.7f", r->what, e.max, r->max);
		aimet_observer_free(o);
	}
}

static void streaming(struct aimet_ctx *ctx)
{
	/* one batch or many: min/max and the resulting tf encoding agree */
	float x[1000];
	struct aimet_observer *a = aimet_observer_new(AIMET_SCHEME_TF, 1), *b = aimet_observer_new(AIMET_SCHEME_TF, 1);
	struct aimet_encoding ea, eb;
	for (int i = 0; i < 1000; i++)
		x[i] = sinf((float)i * 0.37f) * (1.0f + (float)i / 300.0f);
	aimet_observer_update(a, x, 1, 1000);
	for (int i = 0; i < 10; i++)
		aimet_observer_update(b, x + i * 100, 1, 100);
	aimet_observer_encodings(ctx, a, 8, 0, 100, &ea);
	aimet_observer_encodings(ctx, b, 8, 0, 100, &eb);
	CHECK(aimet_encoding_equal(&ea, &eb), "batched tf encoding differs");
	aimet_observer_free(a);
	aimet_observer_free(b);
	/* non-finite values are ignored */
	a = aimet_observer_new(AIMET_SCHEME_TF, 1);
	x[0] = NAN;
	x[1] = INFINITY;
	aimet_observer_update(a, x, 1, 2);
	CHECK(!aimet_observer_seen(a), "NaN/inf counted as data");
	aimet_observer_free(a);
}

static void schemes(struct aimet_ctx *ctx)
{
	enum { N = 20000 };
	float *x = malloc(N * sizeof(float));
	struct aimet_encoding e_tf = {0}, e_te = {0}, e_pc = {0}, e_mse = {0}, e;
	struct aimet_observer *o;
	uint32_t s = 12345;
	/* a bell-shaped body in [-1, 1] with a few far outliers */
	for (int i = 0; i < N; i++) {
		float u = 0;
		for (int k = 0; k < 4; k++) {
			s = s * 1664525u + 1013904223u;
			u += (float)(s >> 8) / 16777216.0f - 0.5f;
		}
		x[i] = u * 0.5f;
	}
	/* a heavy (Laplace) tail on a quarter of the samples, and two far outliers */
	for (int i = 0; i < N; i += 4) {
		s = s * 1664525u + 1013904223u;
		float u = ((float)(s >> 8) + 0.5f) / 16777216.0f;
		x[i] = (i & 8 ? 1.0f : -1.0f) * -logf(u);
	}
	x[17] = 19.0f;
	x[1234] = -17.0f;
	for (int sch = 0; sch < 4; sch++) {
		o = aimet_observer_new(sch, 1);
		for (int b = 0; b < 4; b++)
			aimet_observer_update(o, x + b * (N / 4), 1, N / 4);
		/* 4 bits: coarse steps make clipping the tail pay off (at 8 bits it rarely does) */
		CHECK(aimet_observer_encodings(ctx, o, 4, 0, 99.9, &e) == 0, "scheme %d: %s", sch, aimet_errmsg(ctx));
		if (sch == AIMET_SCHEME_TF) e_tf = e;
		if (sch == AIMET_SCHEME_TF_ENHANCED) e_te = e;
		if (sch == AIMET_SCHEME_PERCENTILE) e_pc = e;
		if (sch == AIMET_SCHEME_MSE) e_mse = e;
		CHECK(e.min <= 0 && e.max >= 0, "scheme %d: range [%g, %g] excludes 0", sch, e.min, e.max);
		aimet_observer_free(o);
	}
	CHECK(fabs(e_tf.max - 19.0) < 0.5 && fabs(e_tf.min + 17.0) < 0.5, "tf keeps the outliers: [%g, %g]", e_tf.min, e_tf.max);
	/* the searches trade clipping for resolution: narrower than min/max on a heavy tail */
	CHECK(e_te.max - e_te.min < 0.8 * (e_tf.max - e_tf.min), "tf_enhanced clips the tail: [%g, %g]", e_te.min, e_te.max);
	CHECK(e_pc.max < 12 && e_pc.min > -12, "percentile 99.9 clips outliers: [%g, %g]", e_pc.min, e_pc.max);
	CHECK(e_mse.max - e_mse.min < 0.8 * (e_tf.max - e_tf.min), "mse clips the tail: [%g, %g]", e_mse.min, e_mse.max);
	/* percentile 100 is the min/max range */
	o = aimet_observer_new(AIMET_SCHEME_PERCENTILE, 1);
	aimet_observer_update(o, x, 1, N);
	aimet_observer_encodings(ctx, o, 4, 0, 100, &e);
	CHECK(aimet_encoding_equal(&e, &e_tf), "percentile 100 != tf");
	aimet_observer_free(o);
	/* a non-negative tensor keeps offset 0 under tf_enhanced */
	for (int i = 0; i < N; i++)
		x[i] = fabsf(x[i]);
	o = aimet_observer_new(AIMET_SCHEME_TF_ENHANCED, 1);
	aimet_observer_update(o, x, 1, N);
	aimet_observer_encodings(ctx, o, 8, 0, 100, &e);
	CHECK(e.offset == 0, "relu-like tf_enhanced offset %lld", (long long)e.offset);
	aimet_observer_free(o);
	/* an all-zero tensor gets [-1, 1] */
	memset(x, 0, N * sizeof(float));
	o = aimet_observer_new(AIMET_SCHEME_TF_ENHANCED, 1);
	aimet_observer_update(o, x, 1, 100);
	aimet_observer_encodings(ctx, o, 8, 0, 100, &e);
	CHECK(close_to(e.scale, 2.0 / 255, 1e-6), "all-zero scale %g", e.scale);
	aimet_observer_free(o);
	free(x);
}

static void per_channel_and_threads(struct aimet_ctx *ctx)
{
	/* [outer 3, channels 64, inner 500]: channel c spans about [-(c+1), c+1] */
	enum { OUTER = 3, CH = 64, INNER = 500 };
	float *x = malloc(sizeof(float) * OUTER * CH * INNER);
	struct aimet_encoding e1[CH], e2[CH];
	for (int o = 0; o < OUTER; o++)
		for (int c = 0; c < CH; c++)
			for (int i = 0; i < INNER; i++)
				x[(o * CH + c) * INNER + i] = (float)(c + 1) * sinf((float)(i * 7 + o * 3 + c));
	for (int sch = 0; sch < 4; sch++) {
		for (int t = 1; t <= 2; t++) {
			struct aimet_observer *ob = aimet_observer_new(sch, CH);
			omp_set_num_threads(t);
			aimet_observer_update(ob, x, OUTER, INNER);
			aimet_observer_encodings(ctx, ob, 8, AIMET_GRID_SYMMETRIC, 99.9, t == 1 ? e1 : e2);
			aimet_observer_free(ob);
		}
		int same = 1;
		for (int c = 0; c < CH; c++)
			same &= aimet_encoding_equal(&e1[c], &e2[c]);
		CHECK(same, "scheme %d: per-channel encodings differ between 1 and 2 threads", sch);
		CHECK(e1[CH - 1].scale > 30 * e1[0].scale, "scheme %d: channels not independent (%g vs %g)", sch,
		      e1[CH - 1].scale, e1[0].scale);
	}
	free(x);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	CHECK(aimet_scheme_parse("tf_enhanced") == AIMET_SCHEME_TF_ENHANCED && aimet_scheme_parse("x") < 0,
	      "scheme names");
	worked_table(ctx);
	streaming(ctx);
	schemes(ctx);
	per_channel_and_threads(ctx);
	aimet_ctx_free(ctx);
	return test_done();
}
