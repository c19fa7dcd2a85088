/* test_qdq.c: QuantizeLinear and DequantizeLinear — node cases run directly, round-half-to-even
 * and saturation by hand for every storage type (int4/uint4 unpacked), per-axis and blocked
 * scales, fast vs reference sweeps, thread invariance, and infer errors. */
#include "nodecase.h"

static struct aimet_tensor *mk(int dtype, int ndim, const int64_t *dims, const double *v)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, dtype, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) exit(2);
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++) {
		switch (dtype) {
		case AIMET_FLOAT: ((float *)t->data)[i] = (float)v[i]; break;
		case AIMET_UINT8: case AIMET_UINT4: ((uint8_t *)t->data)[i] = (uint8_t)v[i]; break;
		case AIMET_INT8: case AIMET_INT4: ((int8_t *)t->data)[i] = (int8_t)v[i]; break;
		case AIMET_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)v[i]; break;
		case AIMET_INT16: ((int16_t *)t->data)[i] = (int16_t)v[i]; break;
		case AIMET_INT32: ((int32_t *)t->data)[i] = (int32_t)v[i]; break;
		default: exit(3);
		}
	}
	return t;
}

static int same_values(const struct aimet_tensor *t, const double *v)
{
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++)
		if (aimet_tensor_get_f64(t, i) != v[i])
			return 0;
	return 1;
}

/* Run ref and fast (1 and 2 threads): all three must agree exactly; y gets the fast output. */
static int run_all(struct aimet_ctx *ctx, const char *op_type, struct aimet_node *n, int64_t opset,
                   int n_in, struct aimet_tensor **in, struct aimet_tensor **y)
{
	const struct aimet_op *op = aimet_op_find("", op_type);
	struct aimet_tensor *r = NULL, *f2 = NULL;
	int st = h_run(ctx, op, n, opset, n_in, in, 1, &r, 1, 1);
	if (!st) st = h_run(ctx, op, n, opset, n_in, in, 1, y, 0, 1);
	if (!st) st = h_run(ctx, op, n, opset, n_in, in, 1, &f2, 0, 2);
	if (!st) {
		CHECK(aimet_tensor_equal(*y, r), "%s: fast and ref differ", op_type);
		CHECK(aimet_tensor_equal(*y, f2), "%s: -j1 and -j2 differ", op_type);
	}
	aimet_tensor_free(r);
	aimet_tensor_free(f2);
	return st;
}

static void hand(struct aimet_ctx *ctx)
{
	static const struct { int dtype; double zp; double x[8]; double want[8]; } cases[] = {
		/* ties go to even; then saturate to the storage range */
		{AIMET_INT8, 0, {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 200, -200}, {0, 2, 2, 0, -2, -2, 127, -128}},
		{AIMET_UINT8, 128, {0.5, 1.5, -0.5, 127, 128, -128, -129, 1e30}, {128, 130, 128, 255, 255, 0, 0, 255}},
		{AIMET_INT16, -3, {2.5, 3.5, 40000, -40000, 0, 1, -1, 7.49}, {-1, 1, 32767, -32768, -3, -2, -4, 4}},
		{AIMET_UINT16, 1, {65534.5, 65535, 70000, -1, -3, 0.5, 1.5, 2.5}, {65535, 65535, 65535, 0, 0, 1, 3, 3}},
		{AIMET_INT4, 0, {7.4, 7.5, 8, -8, -8.5, -9, 0.5, 1.5}, {7, 7, 7, -8, -8, -8, 0, 2}},
		{AIMET_UINT4, 2, {13, 13.5, 14, -2, -2.5, -3, 0.5, 1.49}, {15, 15, 15, 0, 0, 0, 2, 3}},
	};
	int64_t d8[1] = {8}, d1[1] = {1};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct aimet_tensor *x = mk(AIMET_FLOAT, 1, d8, cases[k].x), *s = mk(AIMET_FLOAT, 0, d1, (double[]){1});
		struct aimet_tensor *zp = mk(cases[k].dtype, 0, d1, &cases[k].zp), *in[3] = {x, s, zp}, *y, *back;
		struct aimet_node *n = h_node("QuantizeLinear", 3, 1), *m = h_node("DequantizeLinear", 3, 1);
		int opset = cases[k].dtype == AIMET_INT8 || cases[k].dtype == AIMET_UINT8 ? 13 : 21;
		if (run_all(ctx, "QuantizeLinear", n, opset, 3, in, &y) == 0) {
			CHECK(y->dtype == cases[k].dtype && same_values(y, cases[k].want), "quantize %s",
			      aimet_dtype_name(cases[k].dtype));
			/* and back: (q - zp) * scale */
			struct aimet_tensor *din[3] = {y, s, zp};
			if (run_all(ctx, "DequantizeLinear", m, opset, 3, din, &back) == 0) {
				double w[8];
				for (int i = 0; i < 8; i++) w[i] = cases[k].want[i] - cases[k].zp;
				CHECK(back->dtype == AIMET_FLOAT && same_values(back, w), "dequantize %s",
				      aimet_dtype_name(cases[k].dtype));
				aimet_tensor_free(back);
			}
			aimet_tensor_free(y);
		}
		aimet_node_free(n); aimet_node_free(m);
		aimet_tensor_free(x); aimet_tensor_free(s); aimet_tensor_free(zp);
	}
	/* no zero point: uint8 output, zero point 0 */
	{
		struct aimet_tensor *x = mk(AIMET_FLOAT, 1, d8, (double[]){-1, 0, 1, 2, 3, 254.5, 255.5, 300});
		struct aimet_tensor *s = mk(AIMET_FLOAT, 0, d1, (double[]){1}), *in[2] = {x, s}, *y;
		struct aimet_node *n = h_node("QuantizeLinear", 2, 1);
		if (run_all(ctx, "QuantizeLinear", n, 10, 2, in, &y) == 0) {
			CHECK(y->dtype == AIMET_UINT8 && same_values(y, (double[]){0, 0, 1, 2, 3, 254, 255, 255}), "quantize no zp");
			aimet_tensor_free(y);
		}
		aimet_node_free(n);
		/* opset 21 output_dtype picks the type when there is no zero point */
		n = h_node("QuantizeLinear", 2, 1);
		h_attr_int(n, "output_dtype", AIMET_INT8);
		if (run_all(ctx, "QuantizeLinear", n, 21, 2, in, &y) == 0) {
			CHECK(y->dtype == AIMET_INT8 && same_values(y, (double[]){-1, 0, 1, 2, 3, 127, 127, 127}), "output_dtype int8");
			aimet_tensor_free(y);
		}
		aimet_node_free(n);
		aimet_tensor_free(x); aimet_tensor_free(s);
	}
	/* per-axis (axis 1 of [2,3,2]) and blocked (opset 21, axis 1 of [2,4], block 2) */
	{
		int64_t d[3] = {2, 3, 2}, c[1] = {3};
		double xv[12], want[12], sv[3] = {1, 2, 4}, zv[3] = {0, 1, 2};
		for (int i = 0; i < 12; i++) {
			xv[i] = i - 5.0;
			int ch = (i / 2) % 3;
			double q = nearbyint(xv[i] / sv[ch]) + zv[ch];
			want[i] = q < -128 ? -128 : q > 127 ? 127 : q;
		}
		struct aimet_tensor *x = mk(AIMET_FLOAT, 3, d, xv), *s = mk(AIMET_FLOAT, 1, c, sv);
		struct aimet_tensor *zp = mk(AIMET_INT8, 1, c, zv), *in[3] = {x, s, zp}, *y;
		struct aimet_node *n = h_node("QuantizeLinear", 3, 1);
		if (run_all(ctx, "QuantizeLinear", n, 13, 3, in, &y) == 0) {
			CHECK(same_values(y, want), "per-axis quantize");
			aimet_tensor_free(y);
		}
		aimet_node_free(n);
		n = h_node("QuantizeLinear", 3, 1);
		h_attr_int(n, "axis", -3);
		CHECK(h_run(ctx, aimet_op_find("", "QuantizeLinear"), n, 13, 3, in, 1, &y, 1, 1) == AIMET_ERR_INVALID,
		      "per-axis scale on the wrong axis");
		aimet_tensor_free(y);
		aimet_node_free(n);
		aimet_tensor_free(x); aimet_tensor_free(s); aimet_tensor_free(zp);
	}
	{
		int64_t d[2] = {2, 4}, ds[2] = {2, 2};
		struct aimet_tensor *x = mk(AIMET_INT8, 2, d, (double[]){1, 2, 3, 4, -1, -2, -3, -4});
		struct aimet_tensor *s = mk(AIMET_FLOAT, 2, ds, (double[]){1, 10, 100, 1000});
		struct aimet_tensor *zp = mk(AIMET_INT8, 2, ds, (double[]){0, 1, 2, 3}), *in[3] = {x, s, zp}, *y;
		struct aimet_node *n = h_node("DequantizeLinear", 3, 1);
		h_attr_int(n, "block_size", 2);
		if (run_all(ctx, "DequantizeLinear", n, 21, 3, in, &y) == 0) {
			CHECK(same_values(y, (double[]){1, 2, 20, 30, -300, -400, -6000, -7000}), "blocked dequantize");
			aimet_tensor_free(y);
		}
		aimet_node_free(n);
		aimet_tensor_free(x); aimet_tensor_free(s); aimet_tensor_free(zp);
	}
	/* int32 input to DequantizeLinear (bias): no zero point */
	{
		int64_t d[1] = {3};
		struct aimet_tensor *x = mk(AIMET_INT32, 1, d, (double[]){-100000, 0, 123456});
		struct aimet_tensor *s = mk(AIMET_FLOAT, 0, d1, (double[]){0.5}), *in[2] = {x, s}, *y;
		struct aimet_node *n = h_node("DequantizeLinear", 2, 1);
		if (run_all(ctx, "DequantizeLinear", n, 13, 2, in, &y) == 0) {
			CHECK(same_values(y, (double[]){-50000, 0, 61728}), "int32 dequantize");
			aimet_tensor_free(y);
		}
		aimet_node_free(n);
		aimet_tensor_free(x); aimet_tensor_free(s);
	}
}

static void sweep(struct aimet_ctx *ctx)
{
	static const int types[] = {AIMET_UINT8, AIMET_INT8, AIMET_UINT16, AIMET_INT16, AIMET_UINT4, AIMET_INT4};
	uint32_t seed = 31337;
	for (int it = 0; it < 60; it++) {
		int t = types[it % 6], per_axis = it % 4 >= 2, rank = h_rand_int(&seed, 1, 4);
		int64_t d[4], c[1];
		double lo, hi;
		for (int i = 0; i < rank; i++) d[i] = h_rand_int(&seed, 1, 9);
		if (it < 6) { rank = 4; d[0] = 4; d[1] = 32; d[2] = 40; d[3] = 40; }
		int axis = h_rand_int(&seed, 0, rank - 1);
		c[0] = per_axis ? d[axis] : 1;
		switch (t) {
		case AIMET_UINT8: lo = 0; hi = 255; break;
		case AIMET_INT8: lo = -128; hi = 127; break;
		case AIMET_UINT16: lo = 0; hi = 65535; break;
		case AIMET_INT16: lo = -32768; hi = 32767; break;
		case AIMET_UINT4: lo = 0; hi = 15; break;
		default: lo = -8; hi = 7; break;
		}
		double *sv = malloc(sizeof(double) * (size_t)c[0]), *zv = malloc(sizeof(double) * (size_t)c[0]);
		for (int64_t i = 0; i < c[0]; i++) {
			sv[i] = h_rand_uniform(&seed, 0.01f, 0.2f);
			zv[i] = floor(h_rand_uniform(&seed, (float)lo, (float)hi));
		}
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -3, 3);
		/* put some exact ties in: multiples of half a step */
		for (int64_t i = 0; i < aimet_tensor_numel(x); i += 7)
			((float *)x->data)[i] = (float)(sv[0] * (double)(h_rand_int(&seed, -40, 40) + 0.5));
		struct aimet_tensor *s = mk(AIMET_FLOAT, per_axis ? 1 : 0, c, sv), *zp = mk(t, per_axis ? 1 : 0, c, zv);
		struct aimet_tensor *in[3] = {x, s, zp}, *y, *back;
		struct aimet_node *n = h_node("QuantizeLinear", 3, 1), *m = h_node("DequantizeLinear", 3, 1);
		h_attr_int(n, "axis", axis);
		h_attr_int(m, "axis", axis);
		if (run_all(ctx, "QuantizeLinear", n, 21, 3, in, &y) == 0) {
			struct aimet_tensor *din[3] = {y, s, zp};
			if (run_all(ctx, "DequantizeLinear", m, 21, 3, din, &back) == 0)
				aimet_tensor_free(back);
			aimet_tensor_free(y);
		}
		aimet_node_free(n); aimet_node_free(m);
		aimet_tensor_free(x); aimet_tensor_free(s); aimet_tensor_free(zp);
		free(sv); free(zv);
	}
}

static void errors(struct aimet_ctx *ctx)
{
	int64_t d[2] = {2, 3}, d1[1] = {1}, d2[1] = {2}, d3[1] = {3};
	const struct aimet_op *q = aimet_op_find("", "QuantizeLinear"), *dq = aimet_op_find("", "DequantizeLinear");
	double v[6] = {0};
	struct aimet_tensor *x = mk(AIMET_FLOAT, 2, d, v), *s1 = mk(AIMET_FLOAT, 0, d1, (double[]){1});
	struct aimet_tensor *s2 = mk(AIMET_FLOAT, 1, d2, (double[]){1, 1}), *s3 = mk(AIMET_FLOAT, 1, d3, (double[]){1, 1, 1});
	struct aimet_tensor *z3 = mk(AIMET_INT8, 1, d3, (double[]){0, 0, 0}), *z1 = mk(AIMET_INT8, 0, d1, (double[]){0});
	struct aimet_tensor *zu = mk(AIMET_UINT8, 0, d1, (double[]){0}), *xi = mk(AIMET_INT8, 2, d, v), *y;
	struct aimet_tensor *f8 = mk(AIMET_UINT8, 0, d1, (double[]){0});
	f8->dtype = AIMET_FLOAT8E4M3FN;
	struct aimet_node *n = h_node("QuantizeLinear", 3, 1);
	struct { struct aimet_tensor *in[3]; int64_t opset; int want; const char *what; } c[] = {
		{{x, s2, NULL}, 13, AIMET_ERR_INVALID, "scale length does not match axis 1"},
		{{x, s3, z1}, 13, AIMET_ERR_INVALID, "zero point shape differs"},
		{{x, s3, z3}, 10, AIMET_ERR_INVALID, "per-axis before opset 13"},
		{{x, s1, f8}, 19, AIMET_ERR_UNSUPPORTED, "float8 zero point"},
		{{xi, s1, z1}, 13, AIMET_ERR_UNSUPPORTED, "int8 input to QuantizeLinear"},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		CHECK(h_run(ctx, q, n, c[i].opset, 3, c[i].in, 1, &y, 1, 1) == c[i].want, "%s", c[i].what);
		aimet_tensor_free(y);
	}
	struct aimet_tensor *mix[3] = {xi, s1, zu};
	CHECK(h_run(ctx, dq, n, 13, 3, mix, 1, &y, 1, 1) == AIMET_ERR_INVALID, "dequantize zp type differs");
	aimet_tensor_free(y);
	struct aimet_tensor *fl[3] = {x, s1, NULL};
	CHECK(h_run(ctx, dq, n, 13, 2, fl, 1, &y, 1, 1) == AIMET_ERR_UNSUPPORTED, "dequantize float input");
	aimet_tensor_free(y);
	aimet_node_free(n);
	n = h_node("QuantizeLinear", 3, 1);
	h_attr_int(n, "output_dtype", AIMET_INT8);
	struct aimet_tensor *od[3] = {x, s1, zu};
	CHECK(h_run(ctx, q, n, 21, 3, od, 1, &y, 1, 1) == AIMET_ERR_INVALID, "output_dtype differs from zp");
	aimet_tensor_free(y);
	aimet_node_free(n);
	n = h_node("QuantizeLinear", 3, 1);
	h_attr_int(n, "block_size", 2);
	struct aimet_tensor *bl[3] = {x, s3, z3};
	CHECK(h_run(ctx, q, n, 21, 3, bl, 1, &y, 1, 1) == AIMET_ERR_INVALID, "blocked scale of the wrong rank");
	aimet_tensor_free(y);
	aimet_node_free(n);
	aimet_tensor_free(x); aimet_tensor_free(s1); aimet_tensor_free(s2); aimet_tensor_free(s3);
	aimet_tensor_free(z3); aimet_tensor_free(z1); aimet_tensor_free(zu); aimet_tensor_free(xi);
	f8->dtype = AIMET_UINT8;
	aimet_tensor_free(f8);
}

/* Random shapes, axes, block sizes, dtypes and scale values (0, NaN, inf): refuse or run. */
static void hostile(struct aimet_ctx *ctx)
{
	static const int types[] = {AIMET_UINT8, AIMET_INT8, AIMET_UINT16, AIMET_INT16, AIMET_UINT4,
	                            AIMET_INT4, AIMET_INT32, AIMET_FLOAT, AIMET_FLOAT16, AIMET_INT64};
	static const float sv[] = {0, -1, 1, 0.01f, 1e-30f, 1e30f, INFINITY, NAN};
	uint32_t seed = 2024;
	int accepted = 0;
	for (int it = 0; it < 800; it++) {
		int rank = h_rand_int(&seed, 0, 3), srank = h_rand_int(&seed, 0, 3), q = it & 1;
		int64_t d[3], sd[3];
		for (int i = 0; i < rank; i++) d[i] = h_rand_int(&seed, 0, 4);
		for (int i = 0; i < srank; i++) sd[i] = h_rand_int(&seed, 0, 2) ? (i < rank ? d[i] : 1) : h_rand_int(&seed, 0, 4);
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -1000, 1000);
		struct aimet_tensor *s = h_tensor_rand(srank, sd, &seed, 0, 1);
		struct aimet_tensor *z = aimet_tensor_new(NULL, types[h_rand_int(&seed, 0, 9)], srank, sd);
		aimet_tensor_alloc(NULL, z);
		for (int64_t i = 0; i < aimet_tensor_numel(s); i++)
			((float *)s->data)[i] = sv[h_rand_int(&seed, 0, 7)];
		if (!q) {
			/* integer input for DequantizeLinear: reinterpret the float bytes as some type */
			x->dtype = types[h_rand_int(&seed, 0, 9)];
			if (aimet_dtype_size(x->dtype) > 4) x->dtype = AIMET_INT32;
		}
		struct aimet_node *n = h_node(q ? "QuantizeLinear" : "DequantizeLinear", 3, 1);
		if (h_rand_int(&seed, 0, 1)) h_attr_int(n, "axis", h_rand_int(&seed, -4, 4));
		if (h_rand_int(&seed, 0, 2) == 0) h_attr_int(n, "block_size", h_rand_int(&seed, -1, 3));
		if (h_rand_int(&seed, 0, 3) == 0) h_attr_int(n, "output_dtype", types[h_rand_int(&seed, 0, 9)]);
		struct aimet_tensor *in[3] = {x, s, h_rand_int(&seed, 0, 2) ? z : NULL};
		int st = nc_try(ctx, aimet_op_find("", n->op_type), n, (int[]){10, 13, 19, 21}[it / 2 % 4], 3, in, 1);
		accepted += st == 0;
		x->dtype = AIMET_FLOAT;
		aimet_tensor_free(x); aimet_tensor_free(s); aimet_tensor_free(z);
		aimet_node_free(n);
	}
	CHECK(accepted > 40 && accepted < 760, "hostile qdq sweep accepted %d of 800", accepted);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	int ran = 0;
	hand(ctx);
	sweep(ctx);
	errors(ctx);
	hostile(ctx);
	ran += nc_run_all("test_quantizelinear*", "QuantizeLinear");
	ran += nc_run_all("test_dequantizelinear*", "DequantizeLinear");
	printf("node cases run: %d\n", ran);
	aimet_ctx_free(ctx);
	return test_done();
}
