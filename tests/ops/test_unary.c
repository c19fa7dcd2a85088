/* test_unary.c: the unary elementwise ops — fast vs reference on seeded random shapes, the
 * reference against independent double-precision formulas, -j 1 vs -j 2, dtypes and errors. */
#include "../test.h"
#include "harness.h"

#include <float.h>

static struct aimet_ctx *ctx;

/* Independent expectations, in double. */
static double expect(const char *op, double x)
{
	if (!strcmp(op, "Relu")) return x > 0 ? x : 0;
	if (!strcmp(op, "LeakyRelu")) return x >= 0 ? x : 0.1 * x;           /* alpha 0.1 */
	if (!strcmp(op, "ThresholdedRelu")) return x > 0.5 ? x : 0;         /* alpha 0.5 */
	if (!strcmp(op, "Sigmoid")) return 1 / (1 + exp(-x));
	if (!strcmp(op, "HardSigmoid")) return fmax(0, fmin(1, 0.3 * x + 0.4)); /* alpha .3 beta .4 */
	if (!strcmp(op, "HardSwish")) return x * fmax(0, fmin(1, x / 6 + 0.5));
	if (!strcmp(op, "Tanh")) return tanh(x);
	if (!strcmp(op, "Elu")) return x >= 0 ? x : 2.0 * (exp(x) - 1);     /* alpha 2 */
	if (!strcmp(op, "Selu")) return x > 0 ? 1.0507009873554805 * x : 1.0507009873554805 * 1.6732632423543772 * (exp(x) - 1);
	if (!strcmp(op, "Celu")) return fmax(0, x) + fmin(0, 1.5 * (exp(x / 1.5) - 1)); /* alpha 1.5 */
	if (!strcmp(op, "Softplus")) return log(1 + exp(x));
	if (!strcmp(op, "Softsign")) return x / (1 + fabs(x));
	if (!strcmp(op, "Mish")) return x * tanh(log(1 + exp(x)));
	if (!strcmp(op, "Gelu")) return 0.5 * x * (1 + erf(x / sqrt(2.0)));
	if (!strcmp(op, "Erf")) return erf(x);
	if (!strcmp(op, "Exp")) return exp(x);
	if (!strcmp(op, "Log")) return log(x);
	if (!strcmp(op, "Sqrt")) return sqrt(x);
	if (!strcmp(op, "Reciprocal")) return 1 / x;
	if (!strcmp(op, "Neg")) return -x;
	if (!strcmp(op, "Abs")) return fabs(x);
	if (!strcmp(op, "Floor")) return floor(x);
	if (!strcmp(op, "Ceil")) return ceil(x);
	if (!strcmp(op, "Round")) return nearbyint(x);
	if (!strcmp(op, "Sign")) return x > 0 ? 1 : x < 0 ? -1 : 0;
	if (!strcmp(op, "Sin")) return sin(x);
	if (!strcmp(op, "Cos")) return cos(x);
	if (!strcmp(op, "Tan")) return tan(x);
	if (!strcmp(op, "Asin")) return asin(x);
	if (!strcmp(op, "Acos")) return acos(x);
	if (!strcmp(op, "Atan")) return atan(x);
	if (!strcmp(op, "Sinh")) return sinh(x);
	if (!strcmp(op, "Cosh")) return cosh(x);
	if (!strcmp(op, "Asinh")) return asinh(x);
	if (!strcmp(op, "Acosh")) return acosh(x);
	if (!strcmp(op, "Atanh")) return atanh(x);
	return NAN;
}

static const struct { const char *op; float lo, hi; } ops[] = {
	{"Relu", -3, 3}, {"LeakyRelu", -3, 3}, {"ThresholdedRelu", -2, 2}, {"Sigmoid", -10, 10},
	{"HardSigmoid", -6, 6}, {"HardSwish", -6, 6}, {"Tanh", -5, 5}, {"Elu", -4, 4},
	{"Selu", -4, 4}, {"Celu", -4, 4}, {"Softplus", -8, 8}, {"Softsign", -5, 5}, {"Mish", -5, 5},
	{"Gelu", -5, 5}, {"Erf", -3, 3}, {"Exp", -10, 10}, {"Log", 0.01f, 50}, {"Sqrt", 0, 100},
	{"Reciprocal", 0.1f, 10}, {"Neg", -5, 5}, {"Abs", -5, 5}, {"Floor", -5, 5}, {"Ceil", -5, 5},
	{"Round", -5, 5}, {"Sign", -2, 2}, {"Sin", -6, 6}, {"Cos", -6, 6}, {"Tan", -1.4f, 1.4f},
	{"Asin", -0.99f, 0.99f}, {"Acos", -0.99f, 0.99f}, {"Atan", -10, 10}, {"Sinh", -5, 5},
	{"Cosh", -5, 5}, {"Asinh", -10, 10}, {"Acosh", 1, 10}, {"Atanh", -0.99f, 0.99f},
};

static struct aimet_node *make_node(const char *op)
{
	struct aimet_node *n = h_node(op, 1, 1);
	if (!strcmp(op, "LeakyRelu")) h_attr_float(n, "alpha", 0.1f);
	if (!strcmp(op, "ThresholdedRelu")) h_attr_float(n, "alpha", 0.5f);
	if (!strcmp(op, "HardSigmoid")) { h_attr_float(n, "alpha", 0.3f); h_attr_float(n, "beta", 0.4f); }
	if (!strcmp(op, "Elu")) h_attr_float(n, "alpha", 2.0f);
	if (!strcmp(op, "Celu")) h_attr_float(n, "alpha", 1.5f);
	return n;
}

static void free_all(struct aimet_tensor **t, int n)
{
	for (int i = 0; i < n; i++)
		aimet_tensor_free(t[i]);
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
		case AIMET_INT32: ((int32_t *)t->data)[i] = (int32_t)v[i]; break;
		case AIMET_INT64: ((int64_t *)t->data)[i] = (int64_t)v[i]; break;
		case AIMET_UINT8: case AIMET_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)v[i]; break;
		case AIMET_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)v[i]; break;
		case AIMET_FLOAT16: ((uint16_t *)t->data)[i] = aimet_f64_to_f16(v[i]); break;
		default: fprintf(stderr, "tensor_of: dtype %d\n", dtype); exit(2);
		}
	}
	return t;
}

/* Run one node on one input; returns the output (caller frees) or NULL on an error. */
static struct aimet_tensor *run1(const char *op, struct aimet_node *n, int64_t opset,
                                 struct aimet_tensor *x, int ref, int threads, int *status)
{
	struct aimet_tensor *in[1] = {x}, *out[1] = {NULL};
	int st = h_run(ctx, aimet_op_find("", op), n, opset, 1, in, 1, out, ref, threads);
	if (status)
		*status = st;
	if (st) {
		aimet_tensor_free(out[0]);
		return NULL;
	}
	return out[0];
}

static void sweep(void)
{
	uint32_t seed = 12345;
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		const char *op = ops[k].op;
		struct aimet_node *n = make_node(op);
		for (int rep = 0; rep < 6; rep++) {
			int64_t dims[4];
			int nd = h_rand_int(&seed, 0, 4);
			for (int d = 0; d < nd; d++)
				dims[d] = h_rand_int(&seed, 1, 9);
			if (rep == 5) {      /* one large enough to be split across threads */
				nd = 2; dims[0] = 301; dims[1] = 1111;
			}
			struct aimet_tensor *x = h_tensor_rand(nd, dims, &seed, ops[k].lo, ops[k].hi);
			struct aimet_tensor *r = run1(op, n, 18, x, 1, 1, NULL);
			struct aimet_tensor *f1 = run1(op, n, 18, x, 0, 1, NULL);
			struct aimet_tensor *f2 = run1(op, n, 18, x, 0, 2, NULL);
			CHECK(r && f1 && f2, "%s: run failed: %s", op, aimet_errmsg(ctx));
			if (!(r && f1 && f2))
				continue;
			CHECK(h_max_rel_err(f1, r) <= 1e-6, "%s: fast vs ref %g", op, h_max_rel_err(f1, r));
			CHECK(aimet_tensor_equal(f1, f2), "%s: -j1 and -j2 differ", op);
			double maxabs = 0, maxerr = 0;
			for (int64_t i = 0; i < aimet_tensor_numel(x); i++) {
				double e = expect(op, ((float *)x->data)[i]);
				double got = ((float *)r->data)[i];
				if (fabs(e) > maxabs) maxabs = fabs(e);
				if (fabs(e - got) > maxerr) maxerr = fabs(e - got);
			}
			CHECK(maxerr <= 2e-6 * (maxabs > 1 ? maxabs : 1), "%s: ref vs formula err %g (max %g)",
			      op, maxerr, maxabs);
			aimet_tensor_free(x); aimet_tensor_free(r); aimet_tensor_free(f1); aimet_tensor_free(f2);
		}
		aimet_node_free(n);
	}
}

static void check_values(const char *op, struct aimet_node *n, int64_t opset, int dtype_in,
                         int count, const double *in, int dtype_out, const double *want)
{
	int64_t dims[1] = {count};
	struct aimet_tensor *x = tensor_of(dtype_in, 1, dims, in);
	for (int ref = 0; ref <= 1; ref++) {
		int st;
		struct aimet_tensor *y = run1(op, n, opset, x, ref, 1, &st);
		CHECK(y != NULL, "%s: failed: %s", op, aimet_errmsg(ctx));
		if (!y)
			continue;
		CHECK(y->dtype == dtype_out, "%s: output dtype %d, want %d", op, y->dtype, dtype_out);
		for (int i = 0; i < count; i++) {
			double g = aimet_tensor_get_f64(y, i);
			CHECK(g == want[i] || (isnan(g) && isnan(want[i])) ||
			      fabs(g - want[i]) <= 1e-6 * (fabs(want[i]) > 1 ? fabs(want[i]) : 1),
			      "%s %s[%d]: got %.9g want %.9g", op, ref ? "ref" : "fast", i, g, want[i]);
		}
		aimet_tensor_free(y);
	}
	aimet_tensor_free(x);
}

static void specific(void)
{
	struct aimet_node *n;
	{
		double in[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 3.7, -3.7};
		double want[] = {0, 2, 2, -0.0, -2, -2, 0, 4, -4};
		n = h_node("Round", 1, 1);
		check_values("Round", n, 11, AIMET_FLOAT, 9, in, AIMET_FLOAT, want);
		check_values("Round", n, 11, AIMET_DOUBLE, 9, in, AIMET_DOUBLE, want);
		aimet_node_free(n);
	}
	{
		double in[] = {-1.2, NAN, INFINITY, 2.8, -INFINITY, INFINITY};
		double isinf_all[] = {0, 0, 1, 0, 1, 1}, isinf_neg[] = {0, 0, 0, 0, 1, 0};
		double isnan_w[] = {0, 1, 0, 0, 0, 0};
		n = h_node("IsInf", 1, 1);
		check_values("IsInf", n, 10, AIMET_FLOAT, 6, in, AIMET_BOOL, isinf_all);
		h_attr_int(n, "detect_positive", 0);
		check_values("IsInf", n, 10, AIMET_FLOAT, 6, in, AIMET_BOOL, isinf_neg);
		aimet_node_free(n);
		n = h_node("IsNaN", 1, 1);
		check_values("IsNaN", n, 13, AIMET_FLOAT, 6, in, AIMET_BOOL, isnan_w);
		check_values("IsNaN", n, 13, AIMET_DOUBLE, 6, in, AIMET_BOOL, isnan_w);
		aimet_node_free(n);
	}
	{
		double in[] = {-128, -5, 0, 7, 127};
		double relu[] = {0, 0, 0, 7, 127}, neg[] = {-128, 5, 0, -7, -127}, abs_[] = {-128, 5, 0, 7, 127};
		double sign[] = {-1, -1, 0, 1, 1};
		n = h_node("Relu", 1, 1);
		check_values("Relu", n, 14, AIMET_INT8, 5, in, AIMET_INT8, relu);
		check_values("Relu", n, 14, AIMET_INT64, 5, in, AIMET_INT64, relu);
		aimet_node_free(n);
		n = h_node("Neg", 1, 1);
		check_values("Neg", n, 13, AIMET_INT8, 5, in, AIMET_INT8, neg);   /* -(-128) wraps */
		aimet_node_free(n);
		n = h_node("Abs", 1, 1);
		check_values("Abs", n, 13, AIMET_INT8, 5, in, AIMET_INT8, abs_);
		aimet_node_free(n);
		n = h_node("Sign", 1, 1);
		check_values("Sign", n, 13, AIMET_INT32, 5, in, AIMET_INT32, sign);
		aimet_node_free(n);
		double u[] = {0, 3, 200}, usign[] = {0, 1, 1};
		n = h_node("Abs", 1, 1);
		check_values("Abs", n, 13, AIMET_UINT8, 3, u, AIMET_UINT8, u);
		aimet_node_free(n);
		n = h_node("Sign", 1, 1);
		check_values("Sign", n, 13, AIMET_UINT16, 3, u, AIMET_UINT16, usign);
		aimet_node_free(n);
	}
	{
		double in[] = {0, 1, 1, 0}, want[] = {1, 0, 0, 1};
		n = h_node("Not", 1, 1);
		check_values("Not", n, 1, AIMET_BOOL, 4, in, AIMET_BOOL, want);
		aimet_node_free(n);
	}
	{
		/* float16 is computed in float and rounded once */
		double in[] = {-2, -0.5, 0, 1, 3}, want[] = {0, 0, 0, 1, 3};
		double ein[] = {0, 1, -1}, ewant[3];
		n = h_node("Relu", 1, 1);
		check_values("Relu", n, 14, AIMET_FLOAT16, 5, in, AIMET_FLOAT16, want);
		aimet_node_free(n);
		for (int i = 0; i < 3; i++)
			ewant[i] = aimet_f16_to_f32(aimet_f64_to_f16(expf((float)ein[i])));
		n = h_node("Exp", 1, 1);
		check_values("Exp", n, 13, AIMET_FLOAT16, 3, ein, AIMET_FLOAT16, ewant);
		aimet_node_free(n);
	}
	{
		double in[] = {-3, -1, 0, 0.5, 2, NAN}, want[6];
		for (int i = 0; i < 6; i++) {
			double x = in[i];
			want[i] = 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
		}
		n = h_node("Gelu", 1, 1);
		h_attr_str(n, "approximate", "tanh");
		check_values("Gelu", n, 20, AIMET_FLOAT, 6, in, AIMET_FLOAT, want);
		aimet_node_free(n);
		/* NaN propagates through the clamping activations */
		double nin[] = {NAN, -1}, nrelu[] = {NAN, 0};
		n = h_node("Relu", 1, 1);
		check_values("Relu", n, 14, AIMET_FLOAT, 2, nin, AIMET_FLOAT, nrelu);
		aimet_node_free(n);
	}
	{
		/* Selu and HardSigmoid defaults */
		double in[] = {-1, 0.5, 3}, selu[3], hs[3];
		for (int i = 0; i < 3; i++) {
			double x = in[i];
			selu[i] = x > 0 ? 1.05070102214813232421875 * x
			                : 1.05070102214813232421875 * 1.67326319217681884765625 * (exp(x) - 1);
			hs[i] = fmax(0, fmin(1, 0.2 * x + 0.5));
		}
		n = h_node("Selu", 1, 1);
		check_values("Selu", n, 6, AIMET_FLOAT, 3, in, AIMET_FLOAT, selu);
		aimet_node_free(n);
		n = h_node("HardSigmoid", 1, 1);
		check_values("HardSigmoid", n, 6, AIMET_FLOAT, 3, in, AIMET_FLOAT, hs);
		aimet_node_free(n);
	}
}

/* The fast Sigmoid approximates e^x: within 1e-6 relative of the libm reference everywhere,
 * subnormal outputs included (there within 1e-44 absolute). */
static void sigmoid_accuracy(void)
{
	int64_t dims[1] = {400001};
	struct aimet_tensor *x = aimet_tensor_new(NULL, AIMET_FLOAT, 1, dims);
	struct aimet_node *n = h_node("Sigmoid", 1, 1);
	double worst = 0;
	int bad = 0;
	if (!x || aimet_tensor_alloc(NULL, x)) exit(2);
	for (int64_t i = 0; i < dims[0]; i++)
		((float *)x->data)[i] = (float)(-110.0 + 220.0 * (double)i / (double)(dims[0] - 1));
	((float *)x->data)[0] = -INFINITY;
	((float *)x->data)[1] = INFINITY;
	((float *)x->data)[2] = NAN;
	struct aimet_tensor *r = run1("Sigmoid", n, 13, x, 1, 1, NULL), *f = run1("Sigmoid", n, 13, x, 0, 2, NULL);
	CHECK(r && f, "Sigmoid grid");
	for (int64_t i = 0; r && f && i < dims[0]; i++) {
		double a = ((float *)f->data)[i], b = ((float *)r->data)[i];
		if (isnan(a) || isnan(b)) {
			bad += isnan(a) != isnan(b);
			continue;
		}
		double e = fabs(a - b) / (fabs(b) >= FLT_MIN ? fabs(b) : FLT_MIN);
		if (fabs(b) < FLT_MIN ? fabs(a - b) > 1e-44 : e > 1e-6)
			bad++;
		if (fabs(b) >= FLT_MIN && e > worst)
			worst = e;
	}
	CHECK(!bad, "Sigmoid fast: %d points off (worst relative %g)", bad, worst);
	CHECK(r && ((float *)r->data)[0] == 0 && ((float *)r->data)[1] == 1, "Sigmoid(+-inf)");
	CHECK(f && ((float *)f->data)[0] == 0 && ((float *)f->data)[1] == 1, "fast Sigmoid(+-inf)");
	aimet_tensor_free(x); aimet_tensor_free(r); aimet_tensor_free(f);
	aimet_node_free(n);
}

static void errors(void)
{
	int64_t dims[2] = {2, 3};
	double v[6] = {1, 2, 3, 4, 5, 6};
	int st;
	struct aimet_node *n;
	struct aimet_tensor *xi = tensor_of(AIMET_INT32, 2, dims, v), *xf = tensor_of(AIMET_FLOAT, 2, dims, v);
	struct aimet_tensor *xu = tensor_of(AIMET_UINT8, 2, dims, v);

	n = h_node("Sigmoid", 1, 1);
	CHECK(!run1("Sigmoid", n, 13, xi, 1, 1, &st) && st == AIMET_ERR_UNSUPPORTED, "Sigmoid int32: %d", st);
	aimet_node_free(n);
	n = h_node("Neg", 1, 1);
	CHECK(!run1("Neg", n, 13, xu, 1, 1, &st) && st == AIMET_ERR_UNSUPPORTED, "Neg uint8: %d", st);
	aimet_node_free(n);
	n = h_node("Not", 1, 1);
	CHECK(!run1("Not", n, 1, xf, 1, 1, &st) && st == AIMET_ERR_UNSUPPORTED, "Not float: %d", st);
	aimet_node_free(n);
	n = h_node("Gelu", 1, 1);
	h_attr_str(n, "approximate", "fast");
	CHECK(!run1("Gelu", n, 20, xf, 1, 1, &st) && st == AIMET_ERR_INVALID, "Gelu approximate: %d", st);
	CHECK(strstr(aimet_errmsg(ctx), "node") != NULL, "message names the node: %s", aimet_errmsg(ctx));
	aimet_node_free(n);
	n = h_node("Celu", 1, 1);
	h_attr_float(n, "alpha", 0);
	CHECK(!run1("Celu", n, 12, xf, 1, 1, &st) && st == AIMET_ERR_INVALID, "Celu alpha 0: %d", st);
	aimet_node_free(n);
	{
		/* two inputs to a unary op; a missing input */
		struct aimet_tensor *in[2] = {xf, xf}, *out[1] = {NULL};
		n = h_node("Relu", 2, 1);
		st = h_run(ctx, aimet_op_find("", "Relu"), n, 14, 2, in, 1, out, 1, 1);
		CHECK(st == AIMET_ERR_INVALID, "Relu with 2 inputs: %d", st);
		aimet_tensor_free(out[0]);
		aimet_node_free(n);
		in[0] = NULL;
		out[0] = NULL;
		n = h_node("Exp", 1, 1);
		st = h_run(ctx, aimet_op_find("", "Exp"), n, 13, 1, in, 1, out, 1, 1);
		CHECK(st == AIMET_ERR_INVALID, "Exp without input: %d", st);
		aimet_tensor_free(out[0]);
		aimet_node_free(n);
	}
	free_all((struct aimet_tensor *[]){xi, xf, xu}, 3);
}

int main(void)
{
	ctx = aimet_ctx_new();
	sweep();
	specific();
	sigmoid_accuracy();
	errors();
	aimet_ctx_free(ctx);
	return test_done();
}
