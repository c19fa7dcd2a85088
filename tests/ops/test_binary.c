/* test_binary.c: broadcasting elementwise ops (binary, variadic, Where, Clip) — fast vs
 * reference on seeded random broadcast shapes, independent expectations, -j 1 vs -j 2, integer
 * semantics from the ONNX node tests, the fused clamp of Add, and infer errors. */
#include "../test.h"
#include "harness.h"

static struct aimet_ctx *ctx;

/* Like h_run, with a fused activation range. */
static int run_op(const char *op_type, const struct aimet_node *n, int64_t opset, int n_in,
                  struct aimet_tensor **in, struct aimet_tensor **out, int ref, int threads,
                  float lo, float hi)
{
	const struct aimet_op *op = aimet_op_find("", op_type);
	struct aimet_op_ctx c;
	int st;
	if (!op)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "no op '%s'", op_type);
	memset(&c, 0, sizeof(c));
	c.ctx = ctx; c.node = n; c.opset = opset; c.n_in = n_in; c.n_out = 1;
	c.in = in; c.out = out; c.threads = threads; c.act_lo = lo; c.act_hi = hi;
	out[0] = aimet_tensor_new(NULL, AIMET_UNDEFINED, 0, NULL);
	if ((st = op->infer(&c)) || (st = aimet_tensor_alloc(ctx, out[0])))
		return st;
	if (ref || !op->run)
		op->ref(&c);
	else
		op->run(&c);
	return AIMET_OK;
}

/* Flat index into an input of shape (nd, d) for output flat index i: by the multi-index. */
static int64_t bidx(int ond, const int64_t *od, int nd, const int64_t *d, int64_t i)
{
	int64_t mi[AIMET_MAX_DIMS], r = 0;
	for (int k = ond - 1; k >= 0; k--) {
		mi[k] = i % od[k];
		i /= od[k];
	}
	for (int k = 0; k < nd; k++) {
		int64_t c = d[k] == 1 ? 0 : mi[k + ond - nd];
		r = r * d[k] + c;
	}
	return r;
}

/* A random shape that broadcasts to (nd, d): leading dims dropped, others kept or set to 1. */
static int sub_shape(uint32_t *s, int nd, const int64_t *d, int64_t *out)
{
	int drop = h_rand_int(s, 0, nd), k = 0;
	for (int i = drop; i < nd; i++)
		out[k++] = h_rand_int(s, 0, 2) ? d[i] : 1;
	return k;
}

static struct aimet_tensor *tensor_of(int dtype, int ndim, const int64_t *dims, const double *v)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, dtype, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) { fprintf(stderr, "out of memory\n"); exit(2); }
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++) {
		switch (dtype) {
		case AIMET_FLOAT: ((float *)t->data)[i] = (float)v[i]; break;
		case AIMET_DOUBLE: ((double *)t->data)[i] = v[i]; break;
		case AIMET_INT8: ((int8_t *)t->data)[i] = (int8_t)v[i]; break;
		case AIMET_INT16: ((int16_t *)t->data)[i] = (int16_t)v[i]; break;
		case AIMET_INT32: ((int32_t *)t->data)[i] = (int32_t)v[i]; break;
		case AIMET_INT64: ((int64_t *)t->data)[i] = (int64_t)v[i]; break;
		case AIMET_UINT8: case AIMET_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)v[i]; break;
		case AIMET_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)v[i]; break;
		case AIMET_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)v[i]; break;
		case AIMET_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)v[i]; break;
		case AIMET_FLOAT16: ((uint16_t *)t->data)[i] = aimet_f64_to_f16(v[i]); break;
		default: fprintf(stderr, "tensor_of: dtype %d\n", dtype); exit(2);
		}
	}
	return t;
}

static double expect2(const char *op, double a, double b)
{
	if (!strcmp(op, "Add")) return (float)a + (float)b;
	if (!strcmp(op, "Sub")) return (float)a - (float)b;
	if (!strcmp(op, "Mul")) return (float)a * (float)b;
	if (!strcmp(op, "Div")) return (float)a / (float)b;
	if (!strcmp(op, "Max")) return a > b ? a : b;
	if (!strcmp(op, "Min")) return a < b ? a : b;
	if (!strcmp(op, "PRelu")) return a < 0 ? a * b : a;
	if (!strcmp(op, "Pow")) return pow(a, b);
	if (!strcmp(op, "Equal")) return a == b;
	if (!strcmp(op, "Less")) return a < b;
	if (!strcmp(op, "LessOrEqual")) return a <= b;
	if (!strcmp(op, "Greater")) return a > b;
	if (!strcmp(op, "GreaterOrEqual")) return a >= b;
	return NAN;
}

/* A random output shape, with a few fixed cases that the fast paths single out. */
static int out_shape(uint32_t *s, int rep, int64_t *d, int *fixed_b, int64_t *bd, int *bnd)
{
	*fixed_b = 1;
	switch (rep) {
	case 0: d[0] = 2; d[1] = 16; d[2] = 5; d[3] = 7;        /* per-channel [1,C,1,1] */
		*bnd = 4; bd[0] = 1; bd[1] = 16; bd[2] = 1; bd[3] = 1; return 4;
	case 1: d[0] = 3; d[1] = 9; d[2] = 33;                   /* trailing dim */
		*bnd = 1; bd[0] = 33; return 3;
	case 2: d[0] = 4; d[1] = 5;                              /* scalar */
		*bnd = 0; return 2;
	case 3: d[0] = 4; d[1] = 64; d[2] = 32; d[3] = 33;       /* large per-channel: threads */
		*bnd = 3; bd[0] = 64; bd[1] = 1; bd[2] = 1; return 4;
	case 4: d[0] = 3; d[1] = 1; d[2] = 70001;                /* large, same shape */
		*bnd = 3; bd[0] = 3; bd[1] = 1; bd[2] = 70001; return 3;
	default: {
		int nd = h_rand_int(s, 0, 5);
		for (int i = 0; i < nd; i++)
			d[i] = h_rand_int(s, 1, 6);
		*fixed_b = 0;
		return nd;
	}
	}
}

static void sweep_binary(void)
{
	static const char *ops[] = {"Add", "Sub", "Mul", "Div", "PRelu", "Pow", "Equal", "Less",
	                            "LessOrEqual", "Greater", "GreaterOrEqual"};
	uint32_t seed = 777;
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		const char *op = ops[k];
		struct aimet_node *n = h_node(op, 2, 1);
		for (int rep = 0; rep < 25; rep++) {
			int64_t od[AIMET_MAX_DIMS], ad[AIMET_MAX_DIMS], bd[AIMET_MAX_DIMS];
			int fixed, and_, bnd, ond = out_shape(&seed, rep, od, &fixed, bd, &bnd);
			int swap = !strcmp(op, "PRelu") ? 0 : h_rand_int(&seed, 0, 1);
			if (!fixed)
				bnd = sub_shape(&seed, ond, od, bd);
			if (!strcmp(op, "PRelu") || fixed || h_rand_int(&seed, 0, 1)) {
				and_ = ond;
				memcpy(ad, od, sizeof(od));
			} else {
				and_ = sub_shape(&seed, ond, od, ad);
			}
			float lo = !strcmp(op, "Pow") ? 0.1f : -4, hi = 4;
			struct aimet_tensor *a = h_tensor_rand(and_, ad, &seed, lo, hi);
			struct aimet_tensor *b = h_tensor_rand(bnd, bd, &seed, !strcmp(op, "Pow") ? -2 : lo, hi);
			if (!strcmp(op, "Div"))
				for (int64_t i = 0; i < aimet_tensor_numel(b); i++)
					if (fabsf(((float *)b->data)[i]) < 0.05f)
						((float *)b->data)[i] = 0.5f;
			if (strstr(op, "Equal") || strstr(op, "Less") || strstr(op, "Greater"))
				for (int64_t i = 0; i < aimet_tensor_numel(a); i++)   /* some ties */
					if (i % 3 == 0)
						((float *)a->data)[i] = ((float *)b->data)[i % aimet_tensor_numel(b)];
			struct aimet_tensor *in[2] = {swap ? b : a, swap ? a : b}, *r, *f1, *f2;
			/* the expected shape: per dim the larger of the right-aligned dims */
			ond = and_ > bnd ? and_ : bnd;
			for (int i = 0; i < ond; i++) {
				int64_t x = i - (ond - and_) >= 0 ? ad[i - (ond - and_)] : 1;
				int64_t y = i - (ond - bnd) >= 0 ? bd[i - (ond - bnd)] : 1;
				od[i] = x > y ? x : y;
			}
			int st = run_op(op, n, 16, 2, in, &r, 1, 1, -INFINITY, INFINITY);
			st |= run_op(op, n, 16, 2, in, &f1, 0, 1, -INFINITY, INFINITY);
			st |= run_op(op, n, 16, 2, in, &f2, 0, 2, -INFINITY, INFINITY);
			CHECK(st == 0, "%s: %s", op, aimet_errmsg(ctx));
			if (!st) {
				CHECK(aimet_tensor_equal(r, f1), "%s rep %d: fast and ref differ (%g)", op, rep,
				      h_max_rel_err(f1, r));
				CHECK(aimet_tensor_equal(f1, f2), "%s rep %d: -j1 and -j2 differ", op, rep);
				CHECK(r->ndim == ond && !memcmp(r->dims, od, sizeof(int64_t) * (size_t)ond),
				      "%s rep %d: output shape", op, rep);
				int bad = 0;
				for (int64_t i = 0; i < aimet_tensor_numel(r) && !bad; i++) {
					const struct aimet_tensor *x0 = in[0], *x1 = in[1];
					double va = ((float *)x0->data)[bidx(ond, od, x0->ndim, x0->dims, i)];
					double vb = ((float *)x1->data)[bidx(ond, od, x1->ndim, x1->dims, i)];
					double e = expect2(op, va, vb), g = aimet_tensor_get_f64(r, i);
					if (fabs(e - g) > 1e-6 * (fabs(e) > 1 ? fabs(e) : 1)) {
						bad = 1;
						CHECK(0, "%s rep %d [%lld]: %g %g -> %.9g, want %.9g", op, rep,
						      (long long)i, va, vb, g, e);
					}
				}
				CHECK(!bad, "%s: values", op);
			}
			aimet_tensor_free(a); aimet_tensor_free(b);
			aimet_tensor_free(r); aimet_tensor_free(f1); aimet_tensor_free(f2);
		}
		aimet_node_free(n);
	}
}

static void add_fused_clamp(void)
{
	uint32_t seed = 99;
	int64_t od[4] = {2, 8, 9, 9}, bd[4] = {1, 8, 1, 1};
	struct aimet_node *n = h_node("Add", 2, 1);
	struct aimet_tensor *a = h_tensor_rand(4, od, &seed, -5, 5), *b = h_tensor_rand(4, bd, &seed, -2, 2);
	struct aimet_tensor *in[2] = {a, b}, *r, *f;
	CHECK(aimet_op_find("", "Add")->fuse_clamp == 1, "Add fuses a clamp");
	CHECK(!run_op("Add", n, 14, 2, in, &r, 1, 1, 0.0f, 6.0f), "Add ref");
	CHECK(!run_op("Add", n, 14, 2, in, &f, 0, 2, 0.0f, 6.0f), "Add fast");
	CHECK(aimet_tensor_equal(r, f), "Add clamp: fast and ref differ");
	int bad = 0;
	for (int64_t i = 0; i < aimet_tensor_numel(r); i++) {
		float v = ((float *)a->data)[i] + ((float *)b->data)[bidx(4, od, 4, bd, i)];
		v = v < 0 ? 0 : v > 6 ? 6 : v;
		bad += ((float *)r->data)[i] != v;
	}
	CHECK(!bad, "Add clamp: %d values differ", bad);
	aimet_tensor_free(a); aimet_tensor_free(b); aimet_tensor_free(r); aimet_tensor_free(f);
	aimet_node_free(n);
}

/* Check op(a, b) on small typed vectors against hand-computed values, ref and fast. */
static void check2(const char *op, struct aimet_node *n, int64_t opset, int ta, const double *va,
                   int tb, const double *vb, int count, int tout, const double *want)
{
	int64_t d[1] = {count};
	struct aimet_tensor *a = tensor_of(ta, 1, d, va), *b = tensor_of(tb, 1, d, vb);
	for (int ref = 0; ref <= 1; ref++) {
		struct aimet_tensor *in[2] = {a, b}, *y;
		int st = run_op(op, n, opset, 2, in, &y, ref, 1, -INFINITY, INFINITY);
		CHECK(st == 0, "%s: %s", op, aimet_errmsg(ctx));
		if (!st) {
			CHECK(y->dtype == tout, "%s: output dtype %d, want %d", op, y->dtype, tout);
			for (int i = 0; i < count; i++) {
				double g = tout == AIMET_INT64 ? (double)((int64_t *)y->data)[i] : aimet_tensor_get_f64(y, i);
				CHECK(g == want[i] || (isnan(g) && isnan(want[i])) ||
				      fabs(g - want[i]) <= 1e-6 * fabs(want[i]),
				      "%s(%s) [%d]: %g, %g -> %.9g, want %.9g", op, aimet_dtype_name(ta), i,
				      va[i], vb[i], g, want[i]);
			}
		}
		aimet_tensor_free(y);
	}
	aimet_tensor_free(a); aimet_tensor_free(b);
}

static void integer_semantics(void)
{
	struct aimet_node *n;
	{
		/* Div truncates toward zero; by zero gives 0 rather than a trap */
		double a[] = {7, -7, 7, -7, 5, -128}, b[] = {2, 2, -2, -2, 0, -1};
		double w[] = {3, -3, -3, 3, 0, -128}, w64[] = {3, -3, -3, 3, 0, 128};
		n = h_node("Div", 2, 1);
		check2("Div", n, 14, AIMET_INT8, a, AIMET_INT8, b, 6, AIMET_INT8, w);
		check2("Div", n, 14, AIMET_INT64, a, AIMET_INT64, b, 6, AIMET_INT64, w64);
		double ua[] = {200, 7, 9}, ub[] = {3, 0, 10}, uw[] = {66, 0, 0};
		check2("Div", n, 14, AIMET_UINT8, ua, AIMET_UINT8, ub, 3, AIMET_UINT8, uw);
		aimet_node_free(n);
	}
	{
		/* test_mod_mixed_sign_int8: sign of the divisor; fmod=1: sign of the dividend */
		double a[] = {-4, 7, 5, 4, -7, 8}, b[] = {2, -3, 8, -2, 3, 5};
		double w[] = {0, -2, 5, 0, 2, 3}, wf[] = {0, 1, 5, 0, -1, 3};
		n = h_node("Mod", 2, 1);
		check2("Mod", n, 13, AIMET_INT8, a, AIMET_INT8, b, 6, AIMET_INT8, w);
		check2("Mod", n, 13, AIMET_INT64, a, AIMET_INT64, b, 6, AIMET_INT64, w);
		aimet_node_free(n);
		n = h_node("Mod", 2, 1);
		h_attr_int(n, "fmod", 1);
		check2("Mod", n, 13, AIMET_INT64, a, AIMET_INT64, b, 6, AIMET_INT64, wf);
		double fa[] = {-4.3, 7.2, 5.0, 4.3, -7.2, 8.0}, fb[] = {2.1, -3.4, 8.0, -2.1, 3.4, 5.0};
		double fw[6];
		for (int i = 0; i < 6; i++)
			fw[i] = fmodf((float)fa[i], (float)fb[i]);
		check2("Mod", n, 13, AIMET_FLOAT, fa, AIMET_FLOAT, fb, 6, AIMET_FLOAT, fw);
		aimet_node_free(n);
	}
	{
		/* Pow: the output has the base's type (test_pow_types_*) */
		double a[] = {1, 2, 3}, b[] = {4, 5, 6}, w[] = {1, 32, 729};
		n = h_node("Pow", 2, 1);
		check2("Pow", n, 15, AIMET_INT32, a, AIMET_FLOAT, b, 3, AIMET_INT32, w);
		check2("Pow", n, 15, AIMET_INT64, a, AIMET_INT64, b, 3, AIMET_INT64, w);
		check2("Pow", n, 15, AIMET_FLOAT, a, AIMET_INT64, b, 3, AIMET_FLOAT, w);
		check2("Pow", n, 15, AIMET_FLOAT, a, AIMET_UINT32, b, 3, AIMET_FLOAT, w);
		double big[] = {3}, e40[] = {40}, w40[] = {(double)(int64_t)12157665459056928801ull};
		check2("Pow", n, 15, AIMET_INT64, big, AIMET_INT64, e40, 1, AIMET_INT64, w40);
		/* a scalar exponent of 2 squares exactly, in both kernels */
		uint32_t seed = 11;
		int64_t dx[2] = {100, 257}, d0[1] = {1};
		double two[1] = {2};
		struct aimet_tensor *x = h_tensor_rand(2, dx, &seed, -50, 50), *e2 = tensor_of(AIMET_FLOAT, 0, d0, two);
		struct aimet_tensor *in[2] = {x, e2}, *r, *f;
		CHECK(!run_op("Pow", n, 15, 2, in, &r, 1, 1, -INFINITY, INFINITY) &&
		      !run_op("Pow", n, 15, 2, in, &f, 0, 2, -INFINITY, INFINITY), "Pow x^2");
		CHECK(aimet_tensor_equal(r, f), "Pow x^2: fast and ref differ");
		int bad = 0;
		for (int64_t i = 0; i < 25700; i++) {
			float v = ((float *)x->data)[i];
			bad += ((float *)f->data)[i] != v * v;
		}
		CHECK(!bad, "Pow x^2: %d not exact", bad);
		aimet_tensor_free(x); aimet_tensor_free(e2); aimet_tensor_free(r); aimet_tensor_free(f);
		aimet_node_free(n);
	}
	{
		/* uint8 wraps */
		double a[] = {250, 3}, b[] = {10, 5}, add[] = {4, 8}, sub[] = {240, 254};
		n = h_node("Add", 2, 1);
		check2("Add", n, 14, AIMET_UINT8, a, AIMET_UINT8, b, 2, AIMET_UINT8, add);
		aimet_node_free(n);
		n = h_node("Sub", 2, 1);
		check2("Sub", n, 14, AIMET_UINT8, a, AIMET_UINT8, b, 2, AIMET_UINT8, sub);
		aimet_node_free(n);
		double ia[] = {100000, -3}, ib[] = {100000, 7}, mul[] = {1410065408, -21};
		n = h_node("Mul", 2, 1);
		check2("Mul", n, 14, AIMET_INT32, ia, AIMET_INT32, ib, 2, AIMET_INT32, mul);
		aimet_node_free(n);
	}
	{
		double x[] = {16, 4, 1}, y[] = {1, 2, 3}, l[] = {32, 16, 8}, r[] = {8, 1, 0};
		n = h_node("BitShift", 2, 1);
		h_attr_str(n, "direction", "LEFT");
		check2("BitShift", n, 11, AIMET_UINT16, x, AIMET_UINT16, y, 3, AIMET_UINT16, l);
		aimet_node_free(n);
		n = h_node("BitShift", 2, 1);
		h_attr_str(n, "direction", "RIGHT");
		check2("BitShift", n, 11, AIMET_UINT64, x, AIMET_UINT64, y, 3, AIMET_UINT64, r);
		aimet_node_free(n);
	}
	{
		double a[] = {0, 0, 1, 1}, b[] = {0, 1, 0, 1};
		double wand[] = {0, 0, 0, 1}, wor[] = {0, 1, 1, 1}, wxor[] = {0, 1, 1, 0}, weq[] = {1, 0, 0, 1};
		n = h_node("And", 2, 1);
		check2("And", n, 7, AIMET_BOOL, a, AIMET_BOOL, b, 4, AIMET_BOOL, wand);
		aimet_node_free(n);
		n = h_node("Or", 2, 1);
		check2("Or", n, 7, AIMET_BOOL, a, AIMET_BOOL, b, 4, AIMET_BOOL, wor);
		aimet_node_free(n);
		n = h_node("Xor", 2, 1);
		check2("Xor", n, 7, AIMET_BOOL, a, AIMET_BOOL, b, 4, AIMET_BOOL, wxor);
		aimet_node_free(n);
		n = h_node("Equal", 2, 1);
		check2("Equal", n, 13, AIMET_BOOL, a, AIMET_BOOL, b, 4, AIMET_BOOL, weq);
		double ia[] = {9007199254740993.0, -1, 5, 2}, ib[] = {9007199254740992.0, -1, 4, 3};
		double ieq[] = {0, 1, 0, 0}, igt[] = {1, 0, 1, 0};
		/* int64 compares exactly, not through double */
		int64_t d1[1] = {4};
		struct aimet_tensor *ta = tensor_of(AIMET_INT64, 1, d1, ia), *tb = tensor_of(AIMET_INT64, 1, d1, ib);
		((int64_t *)ta->data)[0] = 9007199254740993LL;
		struct aimet_tensor *in[2] = {ta, tb}, *y;
		CHECK(!run_op("Equal", n, 13, 2, in, &y, 1, 1, -INFINITY, INFINITY), "Equal int64");
		for (int i = 0; i < 4; i++)
			CHECK(((uint8_t *)y->data)[i] == ieq[i], "Equal int64 [%d]", i);
		aimet_tensor_free(y);
		aimet_node_free(n);
		n = h_node("Greater", 2, 1);
		CHECK(!run_op("Greater", n, 13, 2, in, &y, 0, 1, -INFINITY, INFINITY), "Greater int64");
		for (int i = 0; i < 4; i++)
			CHECK(((uint8_t *)y->data)[i] == igt[i], "Greater int64 [%d]", i);
		aimet_tensor_free(y);
		aimet_node_free(n);
		aimet_tensor_free(ta); aimet_tensor_free(tb);
	}
	{
		/* NaN: Max/Min propagate it; comparisons are false */
		double a[] = {NAN, 1, 2}, b[] = {1, NAN, 3}, mx[] = {NAN, NAN, 3}, lt[] = {0, 0, 1};
		n = h_node("Max", 2, 1);
		check2("Max", n, 13, AIMET_FLOAT, a, AIMET_FLOAT, b, 3, AIMET_FLOAT, mx);
		aimet_node_free(n);
		n = h_node("Less", 2, 1);
		check2("Less", n, 13, AIMET_FLOAT, a, AIMET_FLOAT, b, 3, AIMET_BOOL, lt);
		aimet_node_free(n);
		double ha[] = {1.5, -2, 0.25}, hb[] = {2, 3, -1}, hw[] = {3, -6, -0.25};
		n = h_node("Mul", 2, 1);
		check2("Mul", n, 14, AIMET_FLOAT16, ha, AIMET_FLOAT16, hb, 3, AIMET_FLOAT16, hw);
		check2("Mul", n, 14, AIMET_DOUBLE, ha, AIMET_DOUBLE, hb, 3, AIMET_DOUBLE, hw);
		aimet_node_free(n);
	}
}

static void sweep_variadic(void)
{
	static const char *ops[] = {"Sum", "Mean", "Max", "Min"};
	uint32_t seed = 4242;
	for (size_t k = 0; k < 4; k++) {
		const char *op = ops[k];
		for (int rep = 0; rep < 16; rep++) {
			int64_t od[AIMET_MAX_DIMS], sd[4][AIMET_MAX_DIMS];
			int ond = h_rand_int(&seed, 0, 4), nin = h_rand_int(&seed, 1, 4), snd[4];
			for (int i = 0; i < ond; i++)
				od[i] = h_rand_int(&seed, 1, 5);
			if (rep == 0) {
				ond = 3; od[0] = 2; od[1] = 300; od[2] = 301; nin = 3;
			}
			struct aimet_tensor *in[4], *r, *f1, *f2;
			struct aimet_node *n = h_node(op, nin, 1);
			for (int j = 0; j < nin; j++) {
				snd[j] = j == nin - 1 ? ond : sub_shape(&seed, ond, od, sd[j]);
				if (j == nin - 1)
					memcpy(sd[j], od, sizeof(od));
				in[j] = h_tensor_rand(snd[j], sd[j], &seed, -3, 3);
			}
			int st = run_op(op, n, 13, nin, in, &r, 1, 1, -INFINITY, INFINITY);
			st |= run_op(op, n, 13, nin, in, &f1, 0, 1, -INFINITY, INFINITY);
			st |= run_op(op, n, 13, nin, in, &f2, 0, 2, -INFINITY, INFINITY);
			CHECK(!st, "%s: %s", op, aimet_errmsg(ctx));
			if (!st) {
				CHECK(aimet_tensor_equal(r, f1), "%s rep %d: fast and ref differ", op, rep);
				CHECK(aimet_tensor_equal(f1, f2), "%s rep %d: -j1 and -j2 differ", op, rep);
				double maxerr = 0;
				for (int64_t i = 0; i < aimet_tensor_numel(r); i++) {
					double acc = k == 2 ? -INFINITY : k == 3 ? INFINITY : 0;
					for (int j = 0; j < nin; j++) {
						double v = ((float *)in[j]->data)[bidx(ond, od, snd[j], sd[j], i)];
						acc = k < 2 ? acc + v : k == 2 ? fmax(acc, v) : fmin(acc, v);
					}
					if (k == 1)
						acc /= nin;
					maxerr = fmax(maxerr, fabs(acc - ((float *)r->data)[i]));
				}
				CHECK(maxerr < 1e-5, "%s rep %d: error %g", op, rep, maxerr);
			}
			for (int j = 0; j < nin; j++)
				aimet_tensor_free(in[j]);
			aimet_tensor_free(r); aimet_tensor_free(f1); aimet_tensor_free(f2);
			aimet_node_free(n);
		}
	}
	/* integer Max/Min and float16 */
	{
		int64_t d[1] = {4};
		double a[] = {-5, 100, 3, 0}, b[] = {7, -100, 3, -1}, c[] = {0, 0, 9, 0};
		double mx[] = {7, 100, 9, 0}, mn[] = {-5, -100, 3, -1};
		int types[] = {AIMET_INT8, AIMET_INT32, AIMET_INT64, AIMET_FLOAT16, AIMET_DOUBLE};
		for (int t = 0; t < 5; t++) {
			struct aimet_tensor *in[3] = {tensor_of(types[t], 1, d, a), tensor_of(types[t], 1, d, b),
			                              tensor_of(types[t], 1, d, c)}, *y;
			struct aimet_node *n = h_node("Max", 3, 1);
			CHECK(!run_op("Max", n, 13, 3, in, &y, 0, 1, -INFINITY, INFINITY), "Max %d", types[t]);
			for (int i = 0; i < 4; i++)
				CHECK(aimet_tensor_get_f64(y, i) == mx[i], "Max %s [%d]", aimet_dtype_name(types[t]), i);
			aimet_tensor_free(y);
			aimet_node_free(n);
			n = h_node("Min", 2, 1);
			CHECK(!run_op("Min", n, 13, 2, in, &y, 1, 1, -INFINITY, INFINITY), "Min %d", types[t]);
			for (int i = 0; i < 4; i++)
				CHECK(aimet_tensor_get_f64(y, i) == mn[i], "Min %s [%d]", aimet_dtype_name(types[t]), i);
			aimet_tensor_free(y);
			aimet_node_free(n);
			for (int j = 0; j < 3; j++)
				aimet_tensor_free(in[j]);
		}
	}
}

static void sweep_where(void)
{
	uint32_t seed = 31337;
	int types[] = {AIMET_FLOAT, AIMET_INT64, AIMET_UINT8, AIMET_INT16, AIMET_DOUBLE};
	for (int rep = 0; rep < 30; rep++) {
		int64_t od[AIMET_MAX_DIMS], sd[3][AIMET_MAX_DIMS];
		int ond = h_rand_int(&seed, 0, 5), snd[3], dt = types[rep % 5];
		for (int i = 0; i < ond; i++)
			od[i] = h_rand_int(&seed, 1, 5);
		if (rep == 0) {
			ond = 2; od[0] = 500; od[1] = 301;
		}
		int full = h_rand_int(&seed, 0, 2);
		struct aimet_tensor *in[3], *r, *f1, *f2;
		for (int j = 0; j < 3; j++) {
			snd[j] = j == full ? ond : sub_shape(&seed, ond, od, sd[j]);
			if (j == full)
				memcpy(sd[j], od, sizeof(od));
			int64_t n = aimet_shape_numel(snd[j], sd[j]);
			double *v = h_xmalloc(sizeof(double) * (size_t)(n ? n : 1));
			for (int64_t i = 0; i < n; i++)
				v[i] = j == 0 ? h_rand_int(&seed, 0, 1) : h_rand_int(&seed, 0, 100) + 100 * j;
			in[j] = tensor_of(j == 0 ? AIMET_BOOL : dt, snd[j], sd[j], v);
			free(v);
		}
		struct aimet_node *n = h_node("Where", 3, 1);
		int st = run_op("Where", n, 16, 3, in, &r, 1, 1, -INFINITY, INFINITY);
		st |= run_op("Where", n, 16, 3, in, &f1, 0, 1, -INFINITY, INFINITY);
		st |= run_op("Where", n, 16, 3, in, &f2, 0, 2, -INFINITY, INFINITY);
		CHECK(!st, "Where: %s", aimet_errmsg(ctx));
		if (!st) {
			CHECK(aimet_tensor_equal(r, f1), "Where rep %d: fast and ref differ", rep);
			CHECK(aimet_tensor_equal(f1, f2), "Where rep %d: -j1 and -j2 differ", rep);
			int bad = 0;
			for (int64_t i = 0; i < aimet_tensor_numel(r); i++) {
				int cnd = ((uint8_t *)in[0]->data)[bidx(ond, od, snd[0], sd[0], i)];
				int s = cnd ? 1 : 2;
				double e = aimet_tensor_get_f64(in[s], bidx(ond, od, snd[s], sd[s], i));
				bad += aimet_tensor_get_f64(r, i) != e;
			}
			CHECK(!bad, "Where rep %d: %d wrong", rep, bad);
		}
		for (int j = 0; j < 3; j++)
			aimet_tensor_free(in[j]);
		aimet_tensor_free(r); aimet_tensor_free(f1); aimet_tensor_free(f2);
		aimet_node_free(n);
	}
}

static void clip_cases(void)
{
	int64_t d[1] = {6}, d0[1] = {1};
	double x[] = {-3, -1, 0, 0.5, 2, 7}, lo[] = {-1}, hi[] = {1};
	struct aimet_tensor *t = tensor_of(AIMET_FLOAT, 1, d, x), *tl = tensor_of(AIMET_FLOAT, 0, d0, lo);
	struct aimet_tensor *th = tensor_of(AIMET_FLOAT, 0, d0, hi), *y;
	struct aimet_node *n;
	double w_both[] = {-1, -1, 0, 0.5, 1, 1}, w_min[] = {-1, -1, 0, 0.5, 2, 7}, w_max[] = {-3, -1, 0, 0.5, 1, 1};
	double w6[] = {0, 0, 0, 0.5, 2, 6};
	for (int ref = 0; ref <= 1; ref++) {
		struct aimet_tensor *in[3] = {t, tl, th};
		n = h_node("Clip", 3, 1);
		CHECK(!run_op("Clip", n, 13, 3, in, &y, ref, 1, -INFINITY, INFINITY), "Clip both");
		for (int i = 0; i < 6; i++)
			CHECK(((float *)y->data)[i] == (float)w_both[i], "Clip both [%d]", i);
		aimet_tensor_free(y);
		in[2] = NULL;
		CHECK(!run_op("Clip", n, 13, 3, in, &y, ref, 1, -INFINITY, INFINITY), "Clip min");
		for (int i = 0; i < 6; i++)
			CHECK(((float *)y->data)[i] == (float)w_min[i], "Clip min [%d]", i);
		aimet_tensor_free(y);
		in[1] = NULL; in[2] = th;
		CHECK(!run_op("Clip", n, 13, 3, in, &y, ref, 1, -INFINITY, INFINITY), "Clip max");
		for (int i = 0; i < 6; i++)
			CHECK(((float *)y->data)[i] == (float)w_max[i], "Clip max [%d]", i);
		aimet_tensor_free(y);
		/* min > max: everything becomes max */
		in[1] = th; in[2] = tl;
		CHECK(!run_op("Clip", n, 13, 3, in, &y, ref, 1, -INFINITY, INFINITY), "Clip min>max");
		for (int i = 0; i < 6; i++)
			CHECK(((float *)y->data)[i] == -1.0f, "Clip min>max [%d]", i);
		aimet_tensor_free(y);
		aimet_node_free(n);
		/* opset 6: attributes */
		n = h_node("Clip", 1, 1);
		h_attr_float(n, "min", 0);
		h_attr_float(n, "max", 6);
		CHECK(!run_op("Clip", n, 6, 1, in, &y, ref, 1, -INFINITY, INFINITY), "Clip-6");
		for (int i = 0; i < 6; i++)
			CHECK(((float *)y->data)[i] == (float)w6[i], "Clip-6 [%d]", i);
		aimet_tensor_free(y);
		aimet_node_free(n);
		/* int8 with only a min (test_clip_default_int8_min) */
		double ix[] = {-128, -5, 0, 5, 100, 127}, il[] = {0}, iw[] = {0, 0, 0, 5, 100, 127};
		struct aimet_tensor *ti = tensor_of(AIMET_INT8, 1, d, ix), *tm = tensor_of(AIMET_INT8, 0, d0, il);
		struct aimet_tensor *iin[2] = {ti, tm};
		n = h_node("Clip", 2, 1);
		CHECK(!run_op("Clip", n, 13, 2, iin, &y, ref, 1, -INFINITY, INFINITY), "Clip int8");
		for (int i = 0; i < 6; i++)
			CHECK(((int8_t *)y->data)[i] == (int8_t)iw[i], "Clip int8 [%d]", i);
		aimet_tensor_free(y);
		aimet_node_free(n);
		aimet_tensor_free(ti); aimet_tensor_free(tm);
	}
	/* a large clip: fast vs ref and -j */
	{
		uint32_t seed = 5;
		int64_t dd[2] = {300, 700};
		struct aimet_tensor *xl = h_tensor_rand(2, dd, &seed, -10, 10), *in[3] = {xl, tl, th}, *r, *f1, *f2;
		n = h_node("Clip", 3, 1);
		CHECK(!run_op("Clip", n, 13, 3, in, &r, 1, 1, -INFINITY, INFINITY) &&
		      !run_op("Clip", n, 13, 3, in, &f1, 0, 1, -INFINITY, INFINITY) &&
		      !run_op("Clip", n, 13, 3, in, &f2, 0, 2, -INFINITY, INFINITY), "Clip large");
		CHECK(aimet_tensor_equal(r, f1) && aimet_tensor_equal(f1, f2), "Clip large: fast/ref/-j differ");
		aimet_tensor_free(xl); aimet_tensor_free(r); aimet_tensor_free(f1); aimet_tensor_free(f2);
		aimet_node_free(n);
	}
	aimet_tensor_free(t); aimet_tensor_free(tl); aimet_tensor_free(th);
}

static void errors(void)
{
	int64_t d23[2] = {2, 3}, d4[1] = {4}, d2[1] = {2}, d3[1] = {3};
	double v[12] = {0};
	struct aimet_tensor *a = tensor_of(AIMET_FLOAT, 2, d23, v), *b = tensor_of(AIMET_FLOAT, 1, d4, v);
	struct aimet_tensor *ai = tensor_of(AIMET_INT32, 2, d23, v), *bl = tensor_of(AIMET_BOOL, 2, d23, v);
	struct aimet_tensor *s2 = tensor_of(AIMET_FLOAT, 1, d2, v), *s3 = tensor_of(AIMET_FLOAT, 1, d3, v);
	struct aimet_tensor *big = tensor_of(AIMET_FLOAT, 2, (int64_t[]){4, 3}, v), *y;
	struct aimet_node *n = h_node("Add", 2, 1);
	struct aimet_tensor *in[3];
	int st;

	in[0] = a; in[1] = b;
	st = run_op("Add", n, 14, 2, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Add [2,3]+[4]: %d", st);
	CHECK(strstr(aimet_errmsg(ctx), "broadcast") != NULL, "message: %s", aimet_errmsg(ctx));
	aimet_tensor_free(y);
	in[1] = ai;
	st = run_op("Add", n, 14, 2, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Add float+int32: %d", st);
	aimet_tensor_free(y);
	in[0] = bl; in[1] = bl;
	st = run_op("Add", n, 14, 2, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_UNSUPPORTED, "Add bool: %d", st);
	aimet_tensor_free(y);
	in[1] = NULL;
	st = run_op("Add", n, 14, 2, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Add missing input: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("And", 2, 1);
	in[0] = a; in[1] = a;
	st = run_op("And", n, 7, 2, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_UNSUPPORTED, "And float: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);

	/* PRelu: the slope must broadcast to X without growing it */
	n = h_node("PRelu", 2, 1);
	in[0] = s3; in[1] = a;
	st = run_op("PRelu", n, 16, 2, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "PRelu slope larger than X: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("BitShift", 2, 1);
	h_attr_str(n, "direction", "UP");
	struct aimet_tensor *u = tensor_of(AIMET_UINT8, 1, d2, v);
	in[0] = u; in[1] = u;
	st = run_op("BitShift", n, 11, 2, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "BitShift direction: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Sum", 0, 1);
	st = run_op("Sum", n, 13, 0, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Sum of nothing: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);
	n = h_node("Sum", 3, 1);
	in[0] = a; in[1] = s3; in[2] = s2;
	st = run_op("Sum", n, 13, 3, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Sum [2,3]+[3]+[2]: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Where", 3, 1);
	in[0] = a; in[1] = a; in[2] = a;
	st = run_op("Where", n, 16, 3, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Where float condition: %d", st);
	aimet_tensor_free(y);
	in[0] = bl; in[2] = ai;
	st = run_op("Where", n, 16, 3, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Where mixed types: %d", st);
	aimet_tensor_free(y);
	in[1] = a; in[2] = big;
	st = run_op("Where", n, 16, 3, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Where [2,3],[2,3],[4,3]: %d", st);
	aimet_tensor_free(y);
	aimet_node_free(n);

	n = h_node("Clip", 3, 1);
	in[0] = a; in[1] = s2; in[2] = NULL;
	st = run_op("Clip", n, 13, 3, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Clip with a vector min: %d", st);
	aimet_tensor_free(y);
	in[1] = tensor_of(AIMET_INT32, 0, d2, v);
	st = run_op("Clip", n, 13, 3, in, &y, 1, 1, -INFINITY, INFINITY);
	CHECK(st == AIMET_ERR_INVALID, "Clip with an int32 min: %d", st);
	aimet_tensor_free(y);
	aimet_tensor_free(in[1]);
	aimet_node_free(n);

	aimet_tensor_free(a); aimet_tensor_free(b); aimet_tensor_free(ai); aimet_tensor_free(bl);
	aimet_tensor_free(s2); aimet_tensor_free(s3); aimet_tensor_free(big); aimet_tensor_free(u);
}

static void bcast_helper(void)
{
	/* the merged walk visits exactly the plain definition's indices, from any start */
	uint32_t seed = 2024;
	for (int rep = 0; rep < 200; rep++) {
		int64_t od[AIMET_MAX_DIMS], sd[3][AIMET_MAX_DIMS];
		int ond = h_rand_int(&seed, 0, 6), snd[3];
		const int64_t *dp[3];
		for (int i = 0; i < ond; i++)
			od[i] = h_rand_int(&seed, 1, 4);
		for (int j = 0; j < 3; j++) {
			snd[j] = sub_shape(&seed, ond, od, sd[j]);
			dp[j] = sd[j];
		}
		struct aimet_bcast b;
		CHECK(aimet_bcast_init(&b, ond, od, 3, snd, dp) == 0, "bcast_init");
		int64_t n = aimet_shape_numel(ond, od), start = h_rand_int(&seed, 0, (int)n - 1), pos = start;
		struct aimet_bcast_iter it;
		int bad = 0;
		aimet_bcast_seek(&b, &it, start);
		while (pos < n) {
			for (int64_t c = it.col; c < b.inner && pos < n; c++, pos++)
				for (int j = 0; j < 3; j++) {
					int64_t want = bidx(ond, od, snd[j], sd[j], pos);
					int64_t got = it.off[j] + c * b.strides[j][b.ndim - 1];
					bad += want != got;
					bad += aimet_bcast_src_index(ond, od, snd[j], sd[j], pos) != want;
				}
			aimet_bcast_next_row(&b, &it);
		}
		CHECK(!bad, "bcast walk rep %d: %d mismatches", rep, bad);
	}
	int64_t o[2] = {2, 3}, x[1] = {2};
	const int64_t *dp[1] = {x};
	int nd[1] = {1};
	struct aimet_bcast b;
	CHECK(aimet_bcast_init(&b, 2, o, 1, nd, dp) == -1, "bcast [2] to [2,3] refused");
	int64_t o2[4] = {2, 3, 4, 5}, c[4] = {1, 3, 1, 1};
	const int64_t *dc[2] = {o2, c};
	int nd2[2] = {4, 4};
	CHECK(aimet_bcast_init(&b, 4, o2, 2, nd2, dc) == 0 && b.ndim == 3 && b.inner == 20,
	      "per-channel merges to 3 dims with rows of 20 (%d, %lld)", b.ndim, (long long)b.inner);
}

int main(void)
{
	ctx = aimet_ctx_new();
	bcast_helper();
	sweep_binary();
	add_fused_clamp();
	integer_semantics();
	sweep_variadic();
	sweep_where();
	clip_cases();
	errors();
	aimet_ctx_free(ctx);
	return test_done();
}
