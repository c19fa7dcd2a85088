/* test_grid.c: the quantization grid — FORMATS.md's worked table row by row, the symmetric
 * variants, float32 quantize/dequantize, float16 rounding and the ONNX zero-point mapping. */
#include "aimet_quant.h"
#include "../test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* |v - printed| within half a unit of the printed value's last digit (the table's precision). */
static int near_printed(double v, const char *printed)
{
	const char *dot = strchr(printed, '.'), *e = strpbrk(printed, "eE");
	int decimals = 0, exp10 = e ? atoi(e + 1) : 0;
	double tol;
	if (dot)
		for (const char *p = dot + 1; *p >= '0' && *p <= '9'; p++)
			decimals++;
	tol = 0.5 * pow(10.0, exp10 - decimals);
	return fabs(v - strtod(printed, NULL)) <= tol * (1 + 1e-9);
}

struct row {
	const char *what;
	int bw;
	double lo, hi;
	unsigned flags;
	const char *scale;
	long long offset;
	const char *min, *max;
};

/* FORMATS.md section 1, "Worked numbers that tests should reproduce exactly" */
static const struct row table[] = {
	{"activation", 8, -0.52, 2.37, 0, "0.0113333", -46, "-0.521333", "2.368667"},
	{"weight sym", 8, -0.80, 0.61, AIMET_GRID_SYMMETRIC, "0.0062992", -128, "-0.806299", "0.8"},
	{"weight strict", 8, -0.80, 0.61, AIMET_GRID_SYMMETRIC | AIMET_GRID_STRICT, "0.0062992", -127,
	 "-0.8", "0.8"},
	{"relu asym", 8, 0, 6, 0, "0.0235294", 0, "0", "6"},
	{"relu unsigned sym", 8, 0, 6, AIMET_GRID_SYMMETRIC | AIMET_GRID_UNSIGNED, "0.0235294", 0, "0",
	 "6"},
	{"all positive", 8, 1, 3, 0, "0.0117647", 0, "0", "3"},
	{"weight 4-bit sym", 4, -0.80, 0.61, AIMET_GRID_SYMMETRIC, "0.1142857", -8, "-0.914286", "0.8"},
	{"activation 16-bit", 16, -0.52, 2.37, 0, "4.40986e-05", -11792, "-0.520010", "2.369990"},
};

static void test_table(struct aimet_ctx *ctx)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct row *r = &table[i];
		struct aimet_encoding e;
		int rc = aimet_encoding_compute(ctx, r->lo, r->hi, r->bw, r->flags, &e);
		CHECK(rc == 0, "%s: compute failed: %s", r->what, aimet_errmsg(ctx));
		if (rc)
			continue;
		CHECK(near_printed(e.scale, r->scale), "%s: scale %.9g, table %s", r->what, e.scale, r->scale);
		CHECK(e.offset == r->offset, "%s: offset %lld, table %lld", r->what, (long long)e.offset,
		      r->offset);
		CHECK(near_printed(e.min, r->min), "%s: min %.9g, table %s", r->what, e.min, r->min);
		CHECK(near_printed(e.max, r->max), "%s: max %.9g, table %s", r->what, e.max, r->max);
		/* 0 is exactly on the grid */
		CHECK(aimet_qdq(&e, 0.0f) == 0.0f, "%s: 0 not exact", r->what);
		CHECK(aimet_dequantize(&e, aimet_quantize(&e, 0.0f)) == 0.0f, "%s: 0 not exact", r->what);
		/* the grid ends are what min/max say */
		CHECK(aimet_dequantize(&e, 0) == e.min && aimet_dequantize(&e, e.qmax) == e.max,
		      "%s: grid ends", r->what);
		/* the same encoding survives being rebuilt from scale and offset (a file round trip) */
		{
			struct aimet_encoding f;
			CHECK(aimet_encoding_set(ctx, e.bw, e.symmetric, e.scale, e.offset, &f) == 0 &&
			      aimet_encoding_equal(&e, &f) && f.strict == e.strict && f.qmax == e.qmax &&
			      f.min == e.min && f.max == e.max, "%s: rebuilt", r->what);
		}
	}
	/* the exact ratios the table states */
	{
		struct aimet_encoding e;
		aimet_encoding_compute(ctx, -0.8, 0.61, 8, AIMET_GRID_SYMMETRIC, &e);
		CHECK(e.scale == (float)(0.8 / 127), "sym scale is 0.8/127");
		CHECK(e.qmax == 255 && !e.strict && strcmp(aimet_encoding_mode(&e), "sym") == 0, "sym qmax");
		aimet_encoding_compute(ctx, -0.8, 0.61, 8, AIMET_GRID_SYMMETRIC | AIMET_GRID_STRICT, &e);
		CHECK(e.qmax == 254 && e.strict && strcmp(aimet_encoding_mode(&e), "strict") == 0,
		      "strict: one step fewer");
		CHECK(aimet_qdq(&e, 5.0f) == e.max && e.max == (float)(0.8 / 127) * 127, "strict top is absmax");
		CHECK(aimet_qdq(&e, -5.0f) == -e.max, "strict grid is symmetric");
		aimet_encoding_compute(ctx, 0, 6, 8, 0, &e);
		CHECK(e.scale == (float)(6.0 / 255), "relu scale 6/255");
		aimet_encoding_compute(ctx, 1, 3, 8, 0, &e);
		CHECK(e.scale == (float)(3.0 / 255), "all positive scale 3/255");
		aimet_encoding_compute(ctx, -0.8, 0.61, 4, AIMET_GRID_SYMMETRIC, &e);
		CHECK(e.scale == (float)(0.8 / 7), "4-bit scale 0.8/7");
	}
}

static void test_variants(struct aimet_ctx *ctx)
{
	struct aimet_encoding e;
	/* unsigned symmetric falls back to signed when the range goes negative */
	CHECK(aimet_encoding_compute(ctx, -1, 2, 8, AIMET_GRID_SYMMETRIC | AIMET_GRID_UNSIGNED, &e) == 0 &&
	      e.offset == -128 && e.scale == (float)(2.0 / 127), "unsigned sym with negatives");
	CHECK(aimet_encoding_compute(ctx, 0.5, 2, 8, AIMET_GRID_SYMMETRIC | AIMET_GRID_UNSIGNED, &e) == 0 &&
	      e.offset == 0 && strcmp(aimet_encoding_mode(&e), "unsigned") == 0, "unsigned sym mode");
	/* MIN_RANGE: an all-zero range becomes [0, 0.01] */
	CHECK(aimet_encoding_compute(ctx, 0, 0, 8, 0, &e) == 0 && e.offset == 0 &&
	      e.scale == (float)(0.01 / 255), "min range");
	CHECK(aimet_encoding_compute(ctx, 0.001, 0.002, 8, 0, &e) == 0 &&
	      e.scale == (float)(0.01 / 255), "tiny range widened");
	CHECK(aimet_encoding_compute(ctx, 0, 0, 8, AIMET_GRID_NO_MIN_RANGE, &e) < 0,
	      "empty range without min range rejected");
	CHECK(aimet_encoding_compute(ctx, -0.001, 0.002, 8, AIMET_GRID_NO_MIN_RANGE, &e) == 0 &&
	      e.scale == (float)(0.003 / 255), "no min range keeps the range");
	/* all negative: max becomes 0 */
	CHECK(aimet_encoding_compute(ctx, -3, -1, 8, 0, &e) == 0 && e.offset == -255 && e.max == 0,
	      "all negative");
	/* offset rounding is half away from zero: -min/scale = 2.5 exactly -> 3 */
	CHECK(aimet_encoding_compute(ctx, -2.5, 252.5, 8, AIMET_GRID_NO_MIN_RANGE, &e) == 0 &&
	      e.scale == 1.0f && e.offset == -3, "offset rounds half away (%lld)", (long long)e.offset);
	/* bad input */
	CHECK(aimet_encoding_compute(ctx, NAN, 1, 8, 0, &e) < 0, "NaN min");
	CHECK(aimet_encoding_compute(ctx, 0, INFINITY, 8, 0, &e) < 0, "inf max");
	CHECK(aimet_encoding_compute(ctx, 2, 1, 8, 0, &e) < 0, "min > max");
	CHECK(aimet_encoding_compute(ctx, -1, 1, 3, 0, &e) < 0 &&
	      strstr(aimet_errmsg(ctx), "bitwidth 3"), "bw 3: %s", aimet_errmsg(ctx));
	CHECK(aimet_encoding_compute(ctx, -1, 1, 17, 0, &e) < 0, "bw 17");
	for (int bw = 4; bw <= 16; bw++) {
		CHECK(aimet_encoding_compute(ctx, -1, 3, bw, 0, &e) == 0 && e.qmax == (1 << bw) - 1 &&
		      e.offset >= -e.qmax && e.offset <= 0, "bw %d asym", bw);
		CHECK(aimet_encoding_compute(ctx, -1, 3, bw, AIMET_GRID_SYMMETRIC, &e) == 0 &&
		      e.offset == -(1 << (bw - 1)) && e.scale == (float)(3.0 / ((1 << (bw - 1)) - 1)),
		      "bw %d sym", bw);
	}
}

static void test_set(struct aimet_ctx *ctx)
{
	struct aimet_encoding e;
	CHECK(aimet_encoding_set(ctx, 8, 0, 0.1, -10, &e) == 0, "set ok");
	CHECK(aimet_encoding_set(ctx, 8, 0, 0, -10, &e) < 0 && strstr(aimet_errmsg(ctx), "scale must be > 0"),
	      "zero scale: %s", aimet_errmsg(ctx));
	CHECK(aimet_encoding_set(ctx, 8, 0, -0.1, -10, &e) < 0, "negative scale");
	CHECK(aimet_encoding_set(ctx, 8, 0, NAN, -10, &e) < 0 && strstr(aimet_errmsg(ctx), "not a number"),
	      "NaN scale");
	CHECK(aimet_encoding_set(ctx, 8, 0, INFINITY, -10, &e) < 0, "inf scale");
	CHECK(aimet_encoding_set(ctx, 8, 0, 1e-50, -10, &e) < 0, "scale underflows float32");
	CHECK(aimet_encoding_set(ctx, 8, 0, 1e50, -10, &e) < 0, "scale overflows float32");
	CHECK(aimet_encoding_set(ctx, 8, 0, 3e38, -10, &e) < 0 && strstr(aimet_errmsg(ctx), "too large"),
	      "grid end overflows float32");
	CHECK(aimet_encoding_set(ctx, 8, 0, 0.1, 1, &e) < 0, "positive offset");
	CHECK(aimet_encoding_set(ctx, 8, 0, 0.1, -256, &e) < 0, "offset below the grid");
	CHECK(aimet_encoding_set(ctx, 8, 0, 0.1, -255, &e) == 0, "offset -255 ok");
	CHECK(aimet_encoding_set(ctx, 8, 1, 0.1, -100, &e) < 0 && strstr(aimet_errmsg(ctx), "symmetric"),
	      "symmetric with an asymmetric offset");
	CHECK(aimet_encoding_set(ctx, 8, 1, 0.1, -127, &e) == 0 && e.strict && e.qmax == 254, "strict");
	CHECK(aimet_encoding_set(ctx, 8, 1, 0.1, 0, &e) == 0 && !e.strict && e.qmax == 255, "unsigned");
	CHECK(aimet_encoding_set(ctx, 0, 0, 0.1, 0, &e) < 0, "bw 0");
	CHECK(aimet_encoding_set(ctx, 1, 0, 0.1, 0, &e) < 0, "bw 1");
	CHECK(aimet_encoding_set(ctx, 64, 0, 0.1, 0, &e) < 0, "bw 64");
	CHECK(aimet_encoding_set(ctx, 32, 0, 0.1, -4294967295LL, &e) == 0, "bw 32");
	CHECK(aimet_encoding_set(ctx, 2, 1, 0.1, -2, &e) == 0, "bw 2");
	CHECK(aimet_encoding_set_float(ctx, 16, &e) == 0 && e.is_float, "float16");
	CHECK(aimet_encoding_set_float(ctx, 8, &e) < 0, "float8 refused");
	/* check catches stale derived fields */
	aimet_encoding_set(ctx, 8, 0, 0.1, -10, &e);
	CHECK(aimet_encoding_check(ctx, &e) == 0, "check ok");
	e.offset = -11;
	CHECK(aimet_encoding_check(ctx, &e) < 0, "stale min/max caught");
	aimet_encoding_derive(&e);
	CHECK(aimet_encoding_check(ctx, &e) == 0, "derive fixes it");
}

static void test_qdq(struct aimet_ctx *ctx)
{
	struct aimet_encoding e, pc[2];
	float x[7] = {-1.0f, -0.52f, 0.0f, 0.3f, 2.37f, 100.0f, NAN}, y[7];
	aimet_encoding_compute(ctx, -0.52, 2.37, 8, 0, &e);
	/* q = clamp(round(x / scale) - offset, 0, 255) in float32 */
	for (int i = 0; i < 6; i++) {
		float t = roundf(x[i] / e.scale);
		long long q = (long long)t + 46;
		q = q < 0 ? 0 : q > 255 ? 255 : q;
		CHECK(aimet_quantize(&e, x[i]) == q, "quantize %g", x[i]);
		CHECK(aimet_qdq(&e, x[i]) == (float)(q - 46) * e.scale, "qdq %g", x[i]);
	}
	aimet_qdq_array(&e, x, y, 7);
	for (int i = 0; i < 6; i++)
		CHECK(y[i] == aimet_qdq(&e, x[i]), "array %d", i);
	CHECK(isnan(y[6]) && isnan(aimet_qdq(&e, NAN)), "NaN propagates");
	CHECK(aimet_quantize(&e, NAN) == 0, "NaN quantizes to level 0");
	CHECK(aimet_qdq(&e, INFINITY) == e.max && aimet_qdq(&e, -INFINITY) == e.min, "inf clamps");
	/* values round half to even on an exact tie, as ONNX QuantizeLinear: 2.5 -> 2, 3.5 -> 4 */
	aimet_encoding_set(ctx, 8, 1, 1.0, -128, &e);
	CHECK(aimet_qdq(&e, 2.5f) == 2.0f && aimet_qdq(&e, -2.5f) == -2.0f && aimet_qdq(&e, 3.5f) == 4.0f,
	      "ties to even");
	CHECK(aimet_quantize(&e, 2.5f) == 130 && aimet_quantize(&e, 3.5f) == 132, "tie quantize");
	{
		float xs[4] = {2.5f, -2.5f, 3.5f, 0.5f}, ys[4];
		aimet_qdq_array(&e, xs, ys, 4);
		CHECK(ys[0] == 2.0f && ys[1] == -2.0f && ys[2] == 4.0f && ys[3] == 0.0f, "array ties to even");
	}
	/* per channel: [outer=2, ch=2, inner=3] */
	{
		float a[12], b[12];
		aimet_encoding_set(ctx, 8, 1, 0.5, -128, &pc[0]);
		aimet_encoding_set(ctx, 8, 1, 0.25, -128, &pc[1]);
		for (int i = 0; i < 12; i++)
			a[i] = 0.3f * (float)i - 1.1f;
		aimet_qdq_channels(pc, 2, a, b, 2, 3);
		for (int o = 0; o < 2; o++)
			for (int c = 0; c < 2; c++)
				for (int k = 0; k < 3; k++) {
					int i = (o * 2 + c) * 3 + k;
					CHECK(b[i] == aimet_qdq(&pc[c], a[i]), "channel %d", c);
				}
	}
	/* float encodings: float16 rounding */
	aimet_encoding_set_float(ctx, 16, &e);
	CHECK(aimet_qdq(&e, 1.0f) == 1.0f && aimet_qdq(&e, 0.1f) == 0.0999755859375f, "fp16 0.1");
	CHECK(aimet_qdq(&e, 65504.0f) == 65504.0f && isinf(aimet_qdq(&e, 65520.0f)) &&
	      aimet_qdq(&e, 65519.0f) == 65504.0f, "fp16 overflow");
	CHECK(aimet_round_f16(1.0f + 1.0f / 2048) == 1.0f, "fp16 tie to even (down)");
	CHECK(aimet_round_f16(1.0f + 3.0f / 2048) == 1.0f + 2.0f / 1024, "fp16 tie to even (up)");
	CHECK(aimet_round_f16(5.96046448e-08f) == 5.96046448e-08f && aimet_round_f16(2.0e-8f) == 0.0f,
	      "fp16 subnormals");
	CHECK(aimet_round_f16(-3.14159f) == -3.140625f, "fp16 negative");
	aimet_encoding_set_float(ctx, 32, &e);
	CHECK(aimet_qdq(&e, 0.1f) == 0.1f, "fp32 passthrough");
}

static void test_onnx(struct aimet_ctx *ctx)
{
	struct aimet_encoding e;
	aimet_encoding_set(ctx, 8, 1, 0.1, -128, &e);
	CHECK(aimet_encoding_zero_point(&e) == 0 && aimet_encoding_onnx_dtype(&e) == AIMET_INT8,
	      "sym int8 zp 0");
	aimet_encoding_set(ctx, 8, 1, 0.1, -127, &e);
	CHECK(aimet_encoding_zero_point(&e) == -1, "strict int8 zp -1");
	aimet_encoding_set(ctx, 8, 1, 0.1, 0, &e);
	CHECK(aimet_encoding_zero_point(&e) == -128, "unsigned sym stored int8");
	aimet_encoding_set(ctx, 8, 0, 0.1, -46, &e);
	CHECK(aimet_encoding_zero_point(&e) == 46 && aimet_encoding_onnx_dtype(&e) == AIMET_UINT8,
	      "asym uint8 zp 46");
	aimet_encoding_set(ctx, 16, 0, 0.1, -11792, &e);
	CHECK(aimet_encoding_zero_point(&e) == 11792 && aimet_encoding_onnx_dtype(&e) == AIMET_UINT16,
	      "uint16");
	aimet_encoding_set(ctx, 4, 1, 0.1, -8, &e);
	CHECK(aimet_encoding_zero_point(&e) == 0 && aimet_encoding_onnx_dtype(&e) == AIMET_INT4, "int4");
	aimet_encoding_set(ctx, 6, 0, 0.1, -8, &e);
	CHECK(aimet_encoding_onnx_dtype(&e) == 0, "no 6-bit ONNX type");
	for (int bw = 2; bw <= 16; bw++)
		for (int s = 0; s < 2; s++)
			for (int64_t off = -((1 << bw) - 1); off <= 0; off += (bw > 8 ? 97 : 1)) {
				int64_t zp;
				if (s && off != -(1 << (bw - 1)) && off != -((1 << (bw - 1)) - 1) && off != 0)
					continue;
				aimet_encoding_set(ctx, bw, s, 0.1, off, &e);
				zp = aimet_encoding_zero_point(&e);
				if (aimet_offset_from_zero_point(zp, bw, s) != off) {
					CHECK(0, "zero point round trip bw %d off %lld", bw, (long long)off);
					return;
				}
			}
	CHECK(1, "zero point round trips");
	/* quantized level in signed storage = q + zp - (-offset) ... dequantizes identically */
	aimet_encoding_compute(ctx, -0.8, 0.61, 8, AIMET_GRID_SYMMETRIC, &e);
	{
		int64_t q = aimet_quantize(&e, 0.3f), qs = q - 128;   /* signed storage */
		float onnx = (float)(qs - aimet_encoding_zero_point(&e)) * e.scale;
		CHECK(onnx == aimet_dequantize(&e, q), "ONNX dequantize matches");
	}
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	test_table(ctx);
	test_variants(ctx);
	test_set(ctx);
	test_qdq(ctx);
	test_onnx(ctx);
	aimet_ctx_free(ctx);
	return test_done();
}
