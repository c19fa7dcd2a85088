/* test_cast.c: Cast/CastLike conversions (rounding, truncation, wrap-around, float16/bfloat16,
 * strings), fast vs reference, and the value ops Constant, Dropout and Identity. */
#include "../test.h"
#include "harness.h"

static struct aimet_ctx *ctx;

static struct aimet_tensor *tensor_of(int dtype, int ndim, const int64_t *dims, const double *v)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, dtype, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) { fprintf(stderr, "out of memory\n"); exit(2); }
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++) {
		switch (dtype) {
		case AIMET_FLOAT: ((float *)t->data)[i] = (float)v[i]; break;
		case AIMET_DOUBLE: ((double *)t->data)[i] = v[i]; break;
		case AIMET_INT8: ((int8_t *)t->data)[i] = (int8_t)v[i]; break;
		case AIMET_INT32: ((int32_t *)t->data)[i] = (int32_t)v[i]; break;
		case AIMET_INT64: ((int64_t *)t->data)[i] = (int64_t)v[i]; break;
		case AIMET_UINT8: case AIMET_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)v[i]; break;
		case AIMET_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)v[i]; break;
		case AIMET_FLOAT16: ((uint16_t *)t->data)[i] = aimet_f64_to_f16(v[i]); break;
		default: fprintf(stderr, "tensor_of: dtype %d\n", dtype); exit(2);
		}
	}
	return t;
}

static struct aimet_tensor *cast(struct aimet_tensor *x, int to, int ref, int threads, int *st)
{
	struct aimet_node *n = h_node("Cast", 1, 1);
	struct aimet_tensor *in[1] = {x}, *out[1] = {NULL};
	h_attr_int(n, "to", to);
	*st = h_run(ctx, aimet_op_find("", "Cast"), n, 13, 1, in, 1, out, ref, threads);
	aimet_node_free(n);
	if (*st) {
		aimet_tensor_free(out[0]);
		return NULL;
	}
	return out[0];
}

/* Cast `count` values from `from` to `to` and compare with want (as doubles), ref and fast. */
static void check_cast(int from, int to, int count, const double *in, const double *want)
{
	int64_t d[1] = {count};
	struct aimet_tensor *x = tensor_of(from, 1, d, in);
	for (int ref = 0; ref <= 1; ref++) {
		int st;
		struct aimet_tensor *y = cast(x, to, ref, 1, &st);
		CHECK(y != NULL, "cast %s->%s: %s", aimet_dtype_name(from), aimet_dtype_name(to), aimet_errmsg(ctx));
		if (!y)
			continue;
		CHECK(y->dtype == to, "cast dtype");
		for (int i = 0; i < count; i++) {
			double g = aimet_tensor_get_f64(y, i);
			CHECK(g == want[i] || (isnan(g) && isnan(want[i])), "cast %s->%s %s [%d]: %.17g -> %.17g, want %.17g",
			      aimet_dtype_name(from), aimet_dtype_name(to), ref ? "ref" : "fast", i, in[i], g, want[i]);
		}
		aimet_tensor_free(y);
	}
	aimet_tensor_free(x);
}

static void numeric(void)
{
	{
		double in[] = {2.7, -2.7, 0, 100.5, -0.9};
		double w[] = {2, -2, 0, 100, 0};
		check_cast(AIMET_FLOAT, AIMET_INT32, 5, in, w);
		check_cast(AIMET_FLOAT, AIMET_INT64, 5, in, w);
		check_cast(AIMET_DOUBLE, AIMET_INT8, 5, in, w);
	}
	{
		double in[] = {0, 0.1, NAN, -3}, w[] = {0, 1, 1, 1};
		check_cast(AIMET_FLOAT, AIMET_BOOL, 4, in, w);
		double iw[] = {1, 0, 1}, iin[] = {-5, 0, 7};
		check_cast(AIMET_INT64, AIMET_BOOL, 3, iin, iw);
		double bin[] = {0, 1}, bw[] = {0, 1};
		check_cast(AIMET_BOOL, AIMET_FLOAT, 2, bin, bw);
		check_cast(AIMET_BOOL, AIMET_INT64, 2, bin, bw);
	}
	{
		/* integer narrowing wraps like C; widening keeps the sign */
		double in[] = {300, -1, 127, -129}, w8[] = {44, -1, 127, 127}, wu8[] = {44, 255, 127, 127};
		check_cast(AIMET_INT32, AIMET_INT8, 4, in, w8);
		check_cast(AIMET_INT64, AIMET_UINT8, 4, in, wu8);
		double sin_[] = {-128, 5}, sw[] = {-128, 5};
		check_cast(AIMET_INT8, AIMET_INT64, 2, sin_, sw);
		check_cast(AIMET_INT8, AIMET_FLOAT, 2, sin_, sw);
	}
	{
		/* int64 to float rounds once */
		int64_t d[1] = {2};
		double dummy[2] = {0, 0};
		struct aimet_tensor *x = tensor_of(AIMET_INT64, 1, d, dummy);
		((int64_t *)x->data)[0] = (1LL << 53) + 1;
		((int64_t *)x->data)[1] = (1LL << 24) + 1;
		int st;
		struct aimet_tensor *y = cast(x, AIMET_FLOAT, 0, 1, &st), *yd = cast(x, AIMET_DOUBLE, 1, 1, &st);
		CHECK(y && ((float *)y->data)[1] == 16777216.0f, "int64 -> float");
		CHECK(yd && ((double *)yd->data)[0] == 9007199254740992.0, "int64 -> double");
		aimet_tensor_free(x); aimet_tensor_free(y); aimet_tensor_free(yd);
		struct aimet_tensor *u = tensor_of(AIMET_UINT64, 1, d, dummy);
		((uint64_t *)u->data)[0] = UINT64_MAX;
		((uint64_t *)u->data)[1] = 1ULL << 63;
		y = cast(u, AIMET_FLOAT, 1, 1, &st);
		CHECK(y && ((float *)y->data)[0] == 18446744073709551616.0f &&
		      ((float *)y->data)[1] == 9223372036854775808.0f, "uint64 -> float keeps large values positive");
		aimet_tensor_free(y);
		y = cast(u, AIMET_DOUBLE, 0, 1, &st);
		CHECK(y && ((double *)y->data)[0] == 18446744073709551616.0, "uint64 -> double");
		aimet_tensor_free(u); aimet_tensor_free(y);
	}
	{
		/* out-of-range and NaN floats to integers: defined, no crash */
		double in[] = {NAN, 1e30, -1e30, INFINITY};
		int64_t d[1] = {4};
		struct aimet_tensor *x = tensor_of(AIMET_FLOAT, 1, d, in);
		int st;
		struct aimet_tensor *y = cast(x, AIMET_INT64, 1, 1, &st), *z = cast(x, AIMET_INT64, 0, 1, &st);
		CHECK(y && z && aimet_tensor_equal(y, z), "float->int64 out of range: fast equals ref");
		CHECK(y && ((int64_t *)y->data)[0] == INT64_MIN, "NaN -> int64 min");
		aimet_tensor_free(x); aimet_tensor_free(y); aimet_tensor_free(z);
	}
}

static void halves(void)
{
	/* float -> float16: round to nearest even, overflow to infinity, subnormals */
	static const struct { double v; uint16_t h; } cases[] = {
		{0.0, 0x0000}, {-0.0, 0x8000}, {1.0, 0x3c00}, {65504.0, 0x7bff}, {65519.0, 0x7bff},
		{65520.0, 0x7c00}, {1e10, 0x7c00}, {-1e10, 0xfc00}, {1.0 / 3, 0x3555},
		{0x1p-24, 0x0001}, {0x1p-25, 0x0000}, {0x1.8p-24, 0x0002}, {0x1p-14, 0x0400},
		{0x1.ffcp-15, 0x0400}, {1 + 0x1p-11, 0x3c00}, {1 + 0x1.8p-10, 0x3c02},
		{1 + 0x1p-11 + 0x1p-40, 0x3c01},  /* from double: just above the tie rounds up */
		{INFINITY, 0x7c00}, {-INFINITY, 0xfc00},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t h = aimet_f64_to_f16(cases[i].v);
		if (h != cases[i].h) {
			bad++;
			fprintf(stderr, "f64_to_f16(%a) = %04x, want %04x\n", cases[i].v, h, cases[i].h);
		}
	}
	CHECK(!bad, "f64_to_f16: %d wrong", bad);
	CHECK((aimet_f64_to_f16(NAN) & 0x7c00) == 0x7c00 && (aimet_f64_to_f16(NAN) & 0x3ff), "NaN stays NaN");
	/* every half round-trips through float */
	bad = 0;
	for (uint32_t h = 0; h < 0x10000; h++) {
		float f = aimet_f16_to_f32((uint16_t)h);
		if (isnan(f))
			continue;
		bad += aimet_f64_to_f16(f) != h;
	}
	CHECK(!bad, "half round trip: %d wrong", bad);
	/* bfloat16 truncates, as the ONNX 1.12 node test test_cast_FLOAT_to_BFLOAT16 expects */
	uint32_t bits = 0x3ef5eeb0;
	float f;
	memcpy(&f, &bits, 4);
	CHECK(aimet_f32_to_bf16(f) == 0x3ef5, "bf16 of %08x: %04x", bits, aimet_f32_to_bf16(f));
	CHECK(aimet_bf16_to_f32(0x3f80) == 1.0f, "bf16 1.0");

	double in[] = {1.0 / 3, 65520, -2.5, 0x1p-25}, w[4];
	for (int i = 0; i < 4; i++)
		w[i] = aimet_f16_to_f32(aimet_f64_to_f16((float)in[i]));
	check_cast(AIMET_FLOAT, AIMET_FLOAT16, 4, in, w);
	check_cast(AIMET_FLOAT16, AIMET_FLOAT, 4, w, w);
	check_cast(AIMET_FLOAT16, AIMET_DOUBLE, 4, w, w);
	double din[] = {1 + 0x1p-11 + 0x1p-40}, dw[] = {1 + 0x1p-10};
	check_cast(AIMET_DOUBLE, AIMET_FLOAT16, 1, din, dw);
}

static void strings(void)
{
	int64_t d[1] = {8};
	double v[] = {0.9767611026763916, 0.039187793, 100, -2.5, 1e20, 1.5e-5, 123456789, 0};
	const char *want[] = {"0.9767611", "0.039187793", "100.0", "-2.5", "1e+20", "1.5e-05",
	                      "123456790.0", "0.0"};
	struct aimet_tensor *x = tensor_of(AIMET_FLOAT, 1, d, v);
	int st;
	struct aimet_tensor *s = cast(x, AIMET_STRING, 1, 1, &st);
	CHECK(s && s->dtype == AIMET_STRING, "float -> string: %s", aimet_errmsg(ctx));
	if (s) {
		struct aimet_string *str = s->data;
		for (int i = 0; i < 8; i++)
			CHECK(str[i].len == strlen(want[i]) && !memcmp(str[i].data, want[i], str[i].len),
			      "string [%d]: '%.*s', want '%s'", i, (int)str[i].len, str[i].data, want[i]);
		/* and back */
		struct aimet_tensor *back = cast(s, AIMET_FLOAT, 0, 1, &st);
		CHECK(back && !memcmp(back->data, x->data, 32), "string -> float round trip");
		aimet_tensor_free(back);
		/* the node test's special spellings */
		const char *sp[] = {"NaN", "INF", "+INF", "-INF"};
		for (int i = 0; i < 4; i++) {
			free(str[i].data);
			str[i].data = strdup(sp[i]);
			str[i].len = strlen(sp[i]);
		}
		back = cast(s, AIMET_FLOAT, 1, 1, &st);
		CHECK(back && isnan(((float *)back->data)[0]) && ((float *)back->data)[1] == INFINITY &&
		      ((float *)back->data)[2] == INFINITY && ((float *)back->data)[3] == -INFINITY,
		      "NaN/INF strings");
		aimet_tensor_free(back);
		/* strings to integers: exact */
		free(str[0].data);
		str[0].data = strdup("9007199254740993");
		str[0].len = 16;
		back = cast(s, AIMET_INT64, 1, 1, &st);
		CHECK(back && ((int64_t *)back->data)[0] == 9007199254740993LL, "string -> int64 exact");
		aimet_tensor_free(back);
	}
	aimet_tensor_free(s);
	aimet_tensor_free(x);
}

static void fast_vs_ref(void)
{
	uint32_t seed = 8;
	int64_t d[2] = {257, 300};
	struct aimet_tensor *x = h_tensor_rand(2, d, &seed, -300, 300);
	int targets[] = {AIMET_DOUBLE, AIMET_INT32, AIMET_INT64, AIMET_BOOL, AIMET_FLOAT16, AIMET_UINT8,
	                 AIMET_INT8, AIMET_BFLOAT16, AIMET_UINT16};
	for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		int st;
		struct aimet_tensor *r = cast(x, targets[t], 1, 1, &st), *f1 = cast(x, targets[t], 0, 1, &st);
		struct aimet_tensor *f2 = cast(x, targets[t], 0, 2, &st);
		CHECK(r && f1 && f2 && aimet_tensor_equal(r, f1) && aimet_tensor_equal(f1, f2),
		      "float -> %s: fast, ref, -j differ", aimet_dtype_name(targets[t]));
		/* and back to float */
		if (r) {
			struct aimet_tensor *b1 = cast(r, AIMET_FLOAT, 1, 1, &st), *b2 = cast(r, AIMET_FLOAT, 0, 2, &st);
			CHECK(b1 && b2 && aimet_tensor_equal(b1, b2), "%s -> float: fast and ref differ",
			      aimet_dtype_name(targets[t]));
			aimet_tensor_free(b1); aimet_tensor_free(b2);
		}
		aimet_tensor_free(r); aimet_tensor_free(f1); aimet_tensor_free(f2);
	}
	aimet_tensor_free(x);
}

static void cast_errors(void)
{
	int64_t d[1] = {2};
	double v[2] = {1, 2};
	struct aimet_tensor *x = tensor_of(AIMET_FLOAT, 1, d, v), *in[2] = {x, NULL}, *out[1];
	struct aimet_node *n = h_node("Cast", 1, 1);
	int st = h_run(ctx, aimet_op_find("", "Cast"), n, 13, 1, in, 1, out, 1, 1);
	CHECK(st == AIMET_ERR_INVALID, "Cast without 'to': %d", st);
	aimet_tensor_free(out[0]);
	aimet_node_free(n);
	st = 0;
	CHECK(!cast(x, 99, 1, 1, &st) && st == AIMET_ERR_INVALID, "Cast to 99: %d", st);
	CHECK(!cast(x, AIMET_COMPLEX64, 1, 1, &st) && st == AIMET_ERR_UNSUPPORTED, "Cast to complex64: %d", st);
	CHECK(!cast(x, AIMET_FLOAT8E4M3FN, 1, 1, &st) && st == AIMET_ERR_UNSUPPORTED, "Cast to float8: %d", st);
	CHECK(strstr(aimet_errmsg(ctx), "float8e4m3fn") != NULL, "message names the type: %s", aimet_errmsg(ctx));

	/* CastLike takes the type of its second input */
	struct aimet_tensor *like = tensor_of(AIMET_INT64, 1, d, v);
	n = h_node("CastLike", 2, 1);
	in[1] = like;
	st = h_run(ctx, aimet_op_find("", "CastLike"), n, 15, 2, in, 1, out, 0, 1);
	CHECK(!st && out[0]->dtype == AIMET_INT64 && ((int64_t *)out[0]->data)[1] == 2, "CastLike");
	aimet_tensor_free(out[0]);
	in[1] = NULL;
	st = h_run(ctx, aimet_op_find("", "CastLike"), n, 15, 2, in, 1, out, 0, 1);
	CHECK(st == AIMET_ERR_INVALID, "CastLike without target: %d", st);
	aimet_tensor_free(out[0]);
	aimet_node_free(n);
	aimet_tensor_free(like);
	aimet_tensor_free(x);
}

static int run_const(struct aimet_node *n, struct aimet_tensor **y)
{
	struct aimet_tensor *out[1] = {NULL};
	int st = h_run(ctx, aimet_op_find("", "Constant"), n, 13, 0, NULL, 1, out, 1, 1);
	*y = out[0];
	return st;
}

static void constant(void)
{
	struct aimet_node *n;
	struct aimet_tensor *y;
	int st;
	{
		int64_t d[2] = {2, 2};
		double v[4] = {1, -2, 3.5, 4};
		n = h_node("Constant", 0, 1);
		struct aimet_attr *a = h_attr(n, "value", AIMET_ATTR_TENSOR);
		a->t = tensor_of(AIMET_FLOAT, 2, d, v);
		st = run_const(n, &y);
		CHECK(!st && aimet_tensor_equal(y, a->t), "Constant value: %s", aimet_errmsg(ctx));
		aimet_tensor_free(y);
		a->t->nbytes = 8;   /* a tensor that lies about its size */
		st = run_const(n, &y);
		CHECK(st == AIMET_ERR_FORMAT, "Constant with short data: %d", st);
		a->t->nbytes = 16;
		aimet_tensor_free(y);
		h_attr_float(n, "value_float", 1);
		st = run_const(n, &y);
		CHECK(st == AIMET_ERR_INVALID, "Constant with two values: %d", st);
		aimet_tensor_free(y);
		aimet_node_free(n);
	}
	n = h_node("Constant", 0, 1);
	h_attr_float(n, "value_float", 2.5f);
	st = run_const(n, &y);
	CHECK(!st && y->dtype == AIMET_FLOAT && y->ndim == 0 && ((float *)y->data)[0] == 2.5f, "value_float");
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Constant", 0, 1);
	h_attr_floats(n, "value_floats", 3, (const float[]){1, 2, 3});
	st = run_const(n, &y);
	CHECK(!st && y->ndim == 1 && y->dims[0] == 3 && ((float *)y->data)[2] == 3, "value_floats");
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Constant", 0, 1);
	h_attr_int(n, "value_int", -7);
	st = run_const(n, &y);
	CHECK(!st && y->dtype == AIMET_INT64 && y->ndim == 0 && ((int64_t *)y->data)[0] == -7, "value_int");
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Constant", 0, 1);
	h_attr_ints(n, "value_ints", 2, (const int64_t[]){4, 5});
	st = run_const(n, &y);
	CHECK(!st && y->dtype == AIMET_INT64 && y->dims[0] == 2 && ((int64_t *)y->data)[1] == 5, "value_ints");
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Constant", 0, 1);
	h_attr_str(n, "value_string", "hello");
	st = run_const(n, &y);
	CHECK(!st && y->dtype == AIMET_STRING && ((struct aimet_string *)y->data)[0].len == 5 &&
	      !memcmp(((struct aimet_string *)y->data)[0].data, "hello", 5), "value_string");
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Constant", 0, 1);
	h_attr(n, "sparse_value", AIMET_ATTR_SPARSE_TENSOR);
	st = run_const(n, &y);
	CHECK(st == AIMET_ERR_UNSUPPORTED, "sparse_value: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Constant", 0, 1);
	st = run_const(n, &y);
	CHECK(st == AIMET_ERR_INVALID, "no value: %d", st);
	aimet_tensor_free(y);
	h_attr_int(n, "value_floats", 3);   /* wrong kind */
	st = run_const(n, &y);
	CHECK(st == AIMET_ERR_INVALID, "value_floats as an int: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);
}

static void dropout_identity(void)
{
	uint32_t seed = 3;
	int64_t d[3] = {3, 4, 5}, d0[1] = {1};
	double r[1] = {0.5}, tm[1] = {0};
	struct aimet_tensor *x = h_tensor_rand(3, d, &seed, -1, 1), *ratio = tensor_of(AIMET_FLOAT, 0, d0, r);
	struct aimet_tensor *mode = tensor_of(AIMET_BOOL, 0, d0, tm);
	struct aimet_tensor *in[3] = {x, ratio, NULL}, *out[2];
	struct aimet_node *n = h_node("Dropout", 2, 2);
	int st = h_run(ctx, aimet_op_find("", "Dropout"), n, 13, 2, in, 2, out, 0, 1);
	CHECK(!st && !memcmp(out[0]->data, x->data, x->nbytes), "Dropout is identity: %s", aimet_errmsg(ctx));
	CHECK(!st && out[1]->dtype == AIMET_BOOL && out[1]->ndim == 3, "Dropout mask is bool");
	int ones = 0;
	for (int i = 0; !st && i < 60; i++)
		ones += ((uint8_t *)out[1]->data)[i] == 1;
	CHECK(ones == 60, "mask all true (%d)", ones);
	aimet_tensor_free(out[0]); aimet_tensor_free(out[1]);
	/* opset 7: the mask has the input's type */
	st = h_run(ctx, aimet_op_find("", "Dropout"), n, 7, 1, in, 2, out, 1, 1);
	CHECK(!st && out[1]->dtype == AIMET_FLOAT && ((float *)out[1]->data)[59] == 1.0f, "Dropout-7 mask");
	aimet_tensor_free(out[0]); aimet_tensor_free(out[1]);
	aimet_node_free(n);
	/* training_mode: false is fine, true or unknown is refused */
	n = h_node("Dropout", 3, 1);
	in[2] = mode;
	st = h_run(ctx, aimet_op_find("", "Dropout"), n, 13, 3, in, 1, out, 1, 1);
	CHECK(!st, "training_mode false: %s", aimet_errmsg(ctx));
	aimet_tensor_free(out[0]);
	((uint8_t *)mode->data)[0] = 1;
	st = h_run(ctx, aimet_op_find("", "Dropout"), n, 13, 3, in, 1, out, 1, 1);
	CHECK(st == AIMET_ERR_UNSUPPORTED, "training_mode true: %d", st);
	aimet_tensor_free(out[0]);
	free(mode->data);
	mode->data = NULL;
	st = h_run(ctx, aimet_op_find("", "Dropout"), n, 13, 3, in, 1, out, 1, 1);
	CHECK(st == AIMET_ERR_UNSUPPORTED, "training_mode unknown: %d", st);
	aimet_tensor_free(out[0]);
	aimet_node_free(n);

	n = h_node("Identity", 1, 1);
	st = h_run(ctx, aimet_op_find("", "Identity"), n, 16, 1, in, 1, out, 0, 1);
	CHECK(!st && aimet_tensor_equal(out[0], x), "Identity");
	aimet_tensor_free(out[0]);
	aimet_node_free(n);
	aimet_tensor_free(x); aimet_tensor_free(ratio); aimet_tensor_free(mode);
}

int main(void)
{
	ctx = aimet_ctx_new();
	numeric();
	halves();
	strings();
	fast_vs_ref();
	cast_errors();
	constant();
	dropout_identity();
	aimet_ctx_free(ctx);
	return test_done();
}
