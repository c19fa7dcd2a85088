/* test_reduce.c: the Reduce* family, ArgMax/ArgMin and TopK — ONNX node cases run directly on
 * each op, hand-computed values, fast vs reference sweeps (float32 within 1e-6 of the largest
 * magnitude, other dtypes exact), -j1 == -j2 bitwise, and infer errors. */
#include "nodecase.h"

#define OP(name) aimet_op_find("", name)

static uint32_t seed = 777;

static const char *red_ops[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                                "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
                                "ReduceSumSquare"};

static struct aimet_tensor *tnew(int dtype, int ndim, const int64_t *dims)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, dtype, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) { fprintf(stderr, "out of memory\n"); exit(2); }
	return t;
}

static struct aimet_tensor *tf32(int ndim, const int64_t *dims, const float *v)
{
	struct aimet_tensor *t = tnew(AIMET_FLOAT, ndim, dims);
	memcpy(t->data, v, t->nbytes);
	return t;
}

static struct aimet_tensor *ti64(int n, const int64_t *v)
{
	int64_t d = n;
	return h_tensor_i64(1, &d, v);
}

/* Values in a range where every op stays finite (LogSum needs positive sums, Prod moderate). */
static struct aimet_tensor *trand(int dtype, int ndim, const int64_t *dims, int small_ints)
{
	struct aimet_tensor *t = tnew(dtype, ndim, dims);
	int64_t n = aimet_tensor_numel(t);
	for (int64_t i = 0; i < n; i++) {
		double v = h_rand_uniform(&seed, 0.5f, 1.5f);
		int64_t iv = small_ints ? h_rand_int(&seed, 0, 3) : h_rand_int(&seed, 1, 3);
		switch (dtype) {
		case AIMET_FLOAT: ((float *)t->data)[i] = small_ints ? (float)iv : (float)v; break;
		case AIMET_DOUBLE: ((double *)t->data)[i] = small_ints ? (double)iv : v; break;
		case AIMET_INT32: ((int32_t *)t->data)[i] = (int32_t)iv; break;
		case AIMET_INT64: ((int64_t *)t->data)[i] = iv; break;
		case AIMET_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)iv; break;
		}
	}
	return t;
}

/* Run ref, fast -j1, fast -j2; fast must match ref (float32 within tol of the largest
 * magnitude, else bitwise) and the two fast runs must be bitwise identical. */
static int run3(struct aimet_ctx *ctx, const char *what, const struct aimet_op *op,
                const struct aimet_node *n, int64_t opset, int n_in, struct aimet_tensor **in,
                int n_out, struct aimet_tensor **res, double tol)
{
	struct aimet_tensor *o[3][4];
	int st = 0;
	memset(o, 0, sizeof o);
	for (int v = 0; v < 3; v++)
		if ((st = h_run(ctx, op, n, opset, n_in, in, n_out, o[v], v == 0, v == 2 ? 2 : 1)))
			break;
	if (!st)
		for (int i = 0; i < n_out; i++) {
			if (o[0][i]->dtype == AIMET_FLOAT && tol > 0)
				CHECK(h_max_rel_err(o[1][i], o[0][i]) <= tol, "%s: fast vs ref error %g", what,
				      h_max_rel_err(o[1][i], o[0][i]));
			else
				CHECK(aimet_tensor_equal(o[0][i], o[1][i]), "%s: fast differs from ref", what);
			CHECK(aimet_tensor_equal(o[1][i], o[2][i]), "%s: -j1 and -j2 differ", what);
		}
	for (int v = 0; v < 3; v++)
		for (int i = 0; i < n_out; i++) {
			if (v == 0 && res && !st)
				res[i] = o[0][i];
			else
				aimet_tensor_free(o[v][i]);
		}
	return st;
}

static void expect_err(struct aimet_ctx *ctx, const char *what, const struct aimet_op *op,
                       const struct aimet_node *n, int64_t opset, int n_in, struct aimet_tensor **in,
                       int n_out, int want, const char *needle)
{
	struct aimet_tensor *o[4] = {0};
	int st = h_run(ctx, op, n, opset, n_in, in, n_out, o, 1, 1);
	CHECK(st == want, "%s: status %d, want %d (%s)", what, st, want, aimet_errmsg(ctx));
	CHECK(strstr(aimet_errmsg(ctx), needle) != NULL, "%s: message '%s' lacks '%s'", what,
	      aimet_errmsg(ctx), needle);
	for (int i = 0; i < n_out; i++)
		aimet_tensor_free(o[i]);
}

static void node_cases(void)
{
	static const struct { const char *pat, *op; int min; } cases[] = {
		{"test_reduce_sum_[dkne]*", "ReduceSum", 10}, {"test_reduce_mean_*", "ReduceMean", 8},
		{"test_reduce_max_*", "ReduceMax", 8}, {"test_reduce_min_*", "ReduceMin", 8},
		{"test_reduce_prod_*", "ReduceProd", 8}, {"test_reduce_l1_*", "ReduceL1", 8},
		{"test_reduce_l2_*", "ReduceL2", 8}, {"test_reduce_log_sum", "ReduceLogSum", 1},
		{"test_reduce_log_sum_[adn]*", "ReduceLogSum", 4},
		{"test_reduce_log_sum_exp_*", "ReduceLogSumExp", 8},
		{"test_reduce_sum_square_*", "ReduceSumSquare", 8},
		{"test_argmax_*", "ArgMax", 16}, {"test_argmin_*", "ArgMin", 16}, {"test_top_k*", "TopK", 0},
		{"test_cumsum_*", "CumSum", 7},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int ran = nc_run_all(cases[i].pat, cases[i].op);
		CHECK(ran >= cases[i].min, "%s: %d node cases ran, expected at least %d", cases[i].pat,
		      ran, cases[i].min);
	}
}

static struct aimet_node *red_node(const char *op, int n_in, int keepdims)
{
	struct aimet_node *n = h_node(op, n_in, 1);
	h_attr_int(n, "keepdims", keepdims);
	return n;
}

static void hand_cases(struct aimet_ctx *ctx)
{
	int64_t d[2] = {2, 3};
	float v[6] = {1, 2, 3, 4, 5, 6};
	struct aimet_tensor *x = tf32(2, d, v), *in[2] = {x, NULL}, *y[2];
	struct aimet_node *n;
	static const struct { const char *op; int axis; float e[3]; int ne; } hc[] = {
		{"ReduceMean", -1, {2, 5}, 2}, {"ReduceSum", 0, {5, 7, 9}, 3},
		{"ReduceMax", 1, {3, 6}, 2}, {"ReduceMin", 0, {1, 2, 3}, 3},
		{"ReduceProd", 1, {6, 120}, 2}, {"ReduceL1", 1, {6, 15}, 2},
		{"ReduceSumSquare", 1, {14, 77}, 2},
	};
	for (size_t i = 0; i < sizeof hc / sizeof hc[0]; i++) {
		n = red_node(hc[i].op, 1, 0);
		h_attr_ints(n, "axes", 1, (int64_t[]){hc[i].axis});
		CHECK(run3(ctx, hc[i].op, OP(hc[i].op), n, 11, 1, in, 1, y, 1e-6) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->ndim == 1 && y[0]->dims[0] == hc[i].ne &&
		      !memcmp(y[0]->data, hc[i].e, sizeof(float) * (size_t)hc[i].ne), "%s values", hc[i].op);
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
	}
	/* all axes: L2 = sqrt(91), LogSumExp = log(sum e^k), LogSum = log(21); keepdims 1 */
	static const struct { const char *op; double e; } all[] = {
		{"ReduceL2", 9.539392014169456}, {"ReduceLogSumExp", 6.456193316018123},
		{"ReduceLogSum", 3.044522437723423},
	};
	for (size_t i = 0; i < 3; i++) {
		n = red_node(all[i].op, 1, 1);
		CHECK(run3(ctx, all[i].op, OP(all[i].op), n, 13, 1, in, 1, y, 1e-6) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->ndim == 2 && y[0]->dims[0] == 1 && y[0]->dims[1] == 1 &&
		      fabs(((float *)y[0]->data)[0] - all[i].e) < 1e-5, "%s all axes = %g", all[i].op,
		      ((float *)y[0]->data)[0]);
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
	}
	/* ReduceSum-13 axes input; empty axes: all, or the identity with noop_with_empty_axes */
	in[1] = ti64(0, (int64_t[]){0});
	n = red_node("ReduceSum", 2, 0);
	CHECK(run3(ctx, "sum empty", OP("ReduceSum"), n, 13, 2, in, 1, y, 1e-6) == 0, "%s", aimet_errmsg(ctx));
	CHECK(y[0]->ndim == 0 && ((float *)y[0]->data)[0] == 21, "sum of empty axes = 21");
	aimet_tensor_free(y[0]);
	h_attr_int(n, "noop_with_empty_axes", 1);
	CHECK(run3(ctx, "sum noop", OP("ReduceSum"), n, 13, 2, in, 1, y, 1e-6) == 0, "%s", aimet_errmsg(ctx));
	CHECK(y[0]->ndim == 2 && !memcmp(y[0]->data, v, sizeof v), "noop is the identity");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	aimet_tensor_free(in[1]);
	/* ReduceMean-18 takes axes as an input; at 13 the same node reads the attribute */
	in[1] = ti64(1, (int64_t[]){0});
	n = red_node("ReduceMean", 2, 1);
	CHECK(run3(ctx, "mean-18", OP("ReduceMean"), n, 18, 2, in, 1, y, 1e-6) == 0, "%s", aimet_errmsg(ctx));
	CHECK(y[0]->dims[0] == 1 && y[0]->dims[1] == 3 && ((float *)y[0]->data)[2] == 4.5f, "mean-18 values");
	aimet_tensor_free(y[0]);
	void *keep = in[1]->data;
	in[1]->data = NULL;
	expect_err(ctx, "mean-18 non-constant axes", OP("ReduceMean"), n, 18, 2, in, 1,
	           AIMET_ERR_UNSUPPORTED, "requires a constant 'axes' input");
	in[1]->data = keep;
	aimet_node_free(n);
	aimet_tensor_free(in[1]);
	/* NaN propagates through max; an empty reduction gives the identity (-inf for max) */
	((float *)x->data)[4] = NAN;
	n = red_node("ReduceMax", 1, 0);
	h_attr_ints(n, "axes", 1, (int64_t[]){1});
	CHECK(run3(ctx, "max nan", OP("ReduceMax"), n, 13, 1, in, 1, y, 1e-6) == 0, "%s", aimet_errmsg(ctx));
	CHECK(((float *)y[0]->data)[0] == 3 && isnan(((float *)y[0]->data)[1]), "max with NaN");
	aimet_tensor_free(y[0]);
	int64_t d0[2] = {2, 0};
	struct aimet_tensor *e = tnew(AIMET_FLOAT, 2, d0);
	CHECK(run3(ctx, "max empty", OP("ReduceMax"), n, 13, 1, &e, 1, y, 1e-6) == 0, "%s", aimet_errmsg(ctx));
	CHECK(y[0]->dims[0] == 2 && isinf(((float *)y[0]->data)[1]) && ((float *)y[0]->data)[1] < 0,
	      "max of nothing is -inf");
	aimet_tensor_free(y[0]);
	aimet_tensor_free(e);
	aimet_node_free(n);
	aimet_tensor_free(x);
	/* integers: int32 sum and mean (truncating), int64 prod */
	int64_t iv[6] = {1, 2, 3, 4, 5, 7};
	struct aimet_tensor *xi = h_tensor_i64(2, d, iv);
	n = red_node("ReduceMean", 1, 0);
	h_attr_ints(n, "axes", 1, (int64_t[]){1});
	CHECK(run3(ctx, "mean int64", OP("ReduceMean"), n, 13, 1, &xi, 1, y, 0) == 0, "%s", aimet_errmsg(ctx));
	CHECK(((int64_t *)y[0]->data)[0] == 2 && ((int64_t *)y[0]->data)[1] == 5, "int mean truncates");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	aimet_tensor_free(xi);

	/* ArgMax/ArgMin: ties go to the first index unless select_last_index */
	float av[6] = {1, 3, 3, 2, 0, 0};
	struct aimet_tensor *xa = tf32(2, d, av);
	static const struct { const char *op; int last; int64_t e[2]; } ac[] = {
		{"ArgMax", 0, {1, 0}}, {"ArgMax", 1, {2, 0}}, {"ArgMin", 0, {0, 1}}, {"ArgMin", 1, {0, 2}},
	};
	for (int i = 0; i < 4; i++) {
		n = h_node(ac[i].op, 1, 1);
		h_attr_int(n, "axis", -1);
		h_attr_int(n, "keepdims", 0);
		h_attr_int(n, "select_last_index", ac[i].last);
		CHECK(run3(ctx, ac[i].op, OP(ac[i].op), n, 13, 1, &xa, 1, y, 0) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dtype == AIMET_INT64 && y[0]->ndim == 1 && !memcmp(y[0]->data, ac[i].e, 16),
		      "%s last=%d: %lld %lld", ac[i].op, ac[i].last, (long long)((int64_t *)y[0]->data)[0],
		      (long long)((int64_t *)y[0]->data)[1]);
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
	}
	aimet_tensor_free(xa);

	/* TopK on [3, 1, 3, 2]: ties keep the lower index first */
	int64_t d4 = 4, k = 2;
	float tv[4] = {3, 1, 3, 2};
	struct aimet_tensor *tin[2] = {tf32(1, &d4, tv), ti64(1, &k)};
	static const struct { int largest; float v[2]; int64_t i[2]; } tc[] = {
		{1, {3, 3}, {0, 2}}, {0, {1, 2}, {1, 3}},
	};
	for (int i = 0; i < 2; i++) {
		n = h_node("TopK", 2, 2);
		h_attr_int(n, "largest", tc[i].largest);
		CHECK(run3(ctx, "topk", OP("TopK"), n, 11, 2, tin, 2, y, 0) == 0, "%s", aimet_errmsg(ctx));
		CHECK(!memcmp(y[0]->data, tc[i].v, 8) && !memcmp(y[1]->data, tc[i].i, 16),
		      "topk largest=%d values", tc[i].largest);
		aimet_tensor_free(y[0]);
		aimet_tensor_free(y[1]);
		aimet_node_free(n);
	}
	/* TopK-1: k as an attribute */
	n = h_node("TopK", 1, 2);
	h_attr_int(n, "k", 3);
	CHECK(run3(ctx, "topk-1", OP("TopK"), n, 1, 1, tin, 2, y, 0) == 0, "%s", aimet_errmsg(ctx));
	CHECK(y[1]->dims[0] == 3 && ((int64_t *)y[1]->data)[2] == 3, "topk-1 indices");
	aimet_tensor_free(y[0]);
	aimet_tensor_free(y[1]);
	aimet_node_free(n);
	((int64_t *)tin[1]->data)[0] = 5;
	n = h_node("TopK", 2, 2);
	expect_err(ctx, "topk k > n", OP("TopK"), n, 11, 2, tin, 2, AIMET_ERR_INVALID, "k = 5");
	keep = tin[1]->data;
	tin[1]->data = NULL;
	expect_err(ctx, "topk non-constant k", OP("TopK"), n, 11, 2, tin, 2, AIMET_ERR_UNSUPPORTED,
	           "requires a constant 'K' input");
	tin[1]->data = keep;
	aimet_node_free(n);
	aimet_tensor_free(tin[0]);
	aimet_tensor_free(tin[1]);
}

static void sweep_reduce(struct aimet_ctx *ctx)
{
	static const int dts[] = {AIMET_FLOAT, AIMET_FLOAT, AIMET_FLOAT, AIMET_DOUBLE, AIMET_INT32,
	                          AIMET_INT64};
	for (int it = 0; it < 400; it++) {
		const char *op = red_ops[it % 10];
		int nd = h_rand_int(&seed, 1, 5), na = h_rand_int(&seed, 0, nd), keep = h_rand_int(&seed, 0, 1);
		int dtype = dts[h_rand_int(&seed, 0, 5)], use_input = h_rand_int(&seed, 0, 1);
		int64_t d[8], axes[8], n_el = 1;
		unsigned used = 0;
		for (int i = 0; i < nd; i++) {
			d[i] = h_rand_int(&seed, 1, 7);
			n_el *= d[i];
		}
		if (!strcmp(op, "ReduceProd") || !strcmp(op, "ReduceLogSumExp"))
			dtype = it % 2 ? AIMET_FLOAT : AIMET_DOUBLE;
		for (int i = 0; i < na; i++) {
			int a;
			do a = h_rand_int(&seed, 0, nd - 1); while (used & (1u << a));
			used |= 1u << a;
			axes[i] = h_rand_u32(&seed) % 2 ? a : a - nd;
		}
		struct aimet_tensor *in[2] = {trand(dtype, nd, d, 0), NULL}, *y[1];
		int64_t opset = use_input ? 18 : 11;
		struct aimet_node *n = red_node(op, use_input ? 2 : 1, keep);
		if (use_input)
			in[1] = ti64(na, axes);
		else if (na)
			h_attr_ints(n, "axes", na, axes);
		(void)n_el;
		CHECK(run3(ctx, op, OP(op), n, opset, use_input ? 2 : 1, in, 1, y, 1e-6) == 0, "%s: %s",
		      op, aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_tensor_free(in[0]);
		aimet_tensor_free(in[1]);
		aimet_node_free(n);
	}
	/* sizes that take the threaded paths: LayerNorm's mean over the last axis, a middle axis,
	 * and a pattern left to the generic path */
	static const struct { int nd; int64_t d[4]; int na; int64_t axes[2]; } big[] = {
		{3, {8, 40, 120}, 1, {-1}}, {3, {16, 300, 40}, 1, {1}}, {4, {4, 30, 20, 50}, 2, {0, 2}},
		{2, {300, 500}, 1, {0}},
	};
	for (int b = 0; b < 4; b++)
		for (int k = 0; k < 10; k++) {
			struct aimet_tensor *x = trand(AIMET_FLOAT, big[b].nd, big[b].d, 0), *y[1];
			struct aimet_node *n = red_node(red_ops[k], 1, 1);
			h_attr_ints(n, "axes", big[b].na, big[b].axes);
			if (k == 4) {   /* keep a long product finite */
				for (int64_t i = 0; i < aimet_tensor_numel(x); i++)
					((float *)x->data)[i] = 1.0f + (((float *)x->data)[i] - 1.0f) * 0.01f;
			}
			CHECK(run3(ctx, red_ops[k], OP(red_ops[k]), n, 11, 1, &x, 1, y, 1e-6) == 0, "%s",
			      aimet_errmsg(ctx));
			aimet_tensor_free(y[0]);
			aimet_tensor_free(x);
			aimet_node_free(n);
		}
}

/* ArgMax/ArgMin and TopK with many ties (values 0..3), against a naive scan / the quadratic
 * reference. */
static void sweep_arg_topk(struct aimet_ctx *ctx)
{
	for (int it = 0; it < 200; it++) {
		int nd = it < 5 ? 2 : h_rand_int(&seed, 1, 4), last = h_rand_int(&seed, 0, 1);
		int axis = h_rand_int(&seed, 0, nd - 1);
		int dtype = it % 3 == 0 ? AIMET_INT32 : it % 3 == 1 ? AIMET_UINT8 : AIMET_FLOAT;
		int64_t d[8];
		for (int i = 0; i < nd; i++)
			d[i] = h_rand_int(&seed, 1, it < 5 ? 60 : 6);
		struct aimet_tensor *x = trand(dtype, nd, d, 1), *y[2];
		const char *op = it % 2 ? "ArgMax" : "ArgMin";
		struct aimet_node *n = h_node(op, 1, 1);
		h_attr_int(n, "axis", axis - (it % 4 < 2 ? 0 : nd));
		h_attr_int(n, "keepdims", it % 5 != 0);
		h_attr_int(n, "select_last_index", last);
		CHECK(run3(ctx, op, OP(op), n, 13, 1, &x, 1, y, 0) == 0, "%s", aimet_errmsg(ctx));
		if (y[0]) {
			/* naive: scan every output's column */
			int64_t inner = 1, outer = 1, ok = 1;
			for (int i = axis + 1; i < nd; i++) inner *= d[i];
			for (int i = 0; i < axis; i++) outer *= d[i];
			for (int64_t o = 0; o < outer; o++)
				for (int64_t in = 0; in < inner; in++) {
					int64_t best = 0;
					for (int64_t r = 1; r < d[axis]; r++) {
						double a = aimet_tensor_get_f64(x, (o * d[axis] + r) * inner + in);
						double b = aimet_tensor_get_f64(x, (o * d[axis] + best) * inner + in);
						if (it % 2 ? (a > b || (last && a == b)) : (a < b || (last && a == b)))
							best = r;
					}
					ok &= ((int64_t *)y[0]->data)[o * inner + in] == best;
				}
			CHECK(ok, "%s last=%d matches a naive scan", op, last);
		}
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		/* TopK along the same axis */
		int64_t k = h_rand_int(&seed, 0, (int)d[axis]);
		struct aimet_tensor *in[2] = {x, ti64(1, &k)};
		n = h_node("TopK", 2, 2);
		h_attr_int(n, "axis", axis);
		h_attr_int(n, "largest", it % 2);
		CHECK(run3(ctx, "TopK", OP("TopK"), n, 11, 2, in, 2, y, 0) == 0, "%s", aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_tensor_free(y[1]);
		aimet_node_free(n);
		aimet_tensor_free(in[1]);
		aimet_tensor_free(x);
	}
	/* a large TopK, enough rows for two threads (the reference is quadratic per row) */
	int64_t d[2] = {64, 1500}, k = 5;
	struct aimet_tensor *in[2] = {trand(AIMET_FLOAT, 2, d, 0), ti64(1, &k)}, *y[2];
	struct aimet_node *n = h_node("TopK", 2, 2);
	CHECK(run3(ctx, "TopK big", OP("TopK"), n, 11, 2, in, 2, y, 0) == 0, "%s", aimet_errmsg(ctx));
	aimet_tensor_free(y[0]);
	aimet_tensor_free(y[1]);
	aimet_node_free(n);
	aimet_tensor_free(in[0]);
	aimet_tensor_free(in[1]);
}

static void errors(struct aimet_ctx *ctx)
{
	int64_t d[3] = {2, 3, 4};
	struct aimet_tensor *x = trand(AIMET_FLOAT, 3, d, 0), *in[2] = {x, NULL};
	struct aimet_node *n = red_node("ReduceSum", 1, 1);
	h_attr_ints(n, "axes", 1, (int64_t[]){3});
	expect_err(ctx, "axes range", OP("ReduceSum"), n, 11, 1, in, 1, AIMET_ERR_INVALID, "axis 3");
	aimet_node_free(n);
	n = red_node("ReduceMean", 1, 1);
	h_attr_ints(n, "axes", 2, (int64_t[]){1, -2});
	expect_err(ctx, "axes repeated", OP("ReduceMean"), n, 13, 1, in, 1, AIMET_ERR_INVALID, "repeated");
	aimet_node_free(n);
	in[1] = ti64(1, (int64_t[]){-4});
	n = red_node("ReduceSum", 2, 1);
	expect_err(ctx, "axes input range", OP("ReduceSum"), n, 13, 2, in, 1, AIMET_ERR_INVALID, "axis -4");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);
	n = h_node("ArgMax", 1, 1);
	h_attr_int(n, "axis", 3);
	expect_err(ctx, "argmax axis", OP("ArgMax"), n, 13, 1, in, 1, AIMET_ERR_INVALID, "axis");
	aimet_node_free(n);
	aimet_tensor_free(x);
	struct aimet_tensor *s = tnew(AIMET_STRING, 1, (int64_t[]){2});
	n = red_node("ReduceMax", 1, 1);
	expect_err(ctx, "string", OP("ReduceMax"), n, 13, 1, &s, 1, AIMET_ERR_UNSUPPORTED, "string");
	aimet_node_free(n);
	n = h_node("ArgMin", 1, 1);
	expect_err(ctx, "string argmin", OP("ArgMin"), n, 13, 1, &s, 1, AIMET_ERR_UNSUPPORTED, "string");
	aimet_node_free(n);
	aimet_tensor_free(s);
	int64_t d0[2] = {3, 0};
	struct aimet_tensor *e = tnew(AIMET_FLOAT, 2, d0);
	n = h_node("ArgMax", 1, 1);
	h_attr_int(n, "axis", 1);
	expect_err(ctx, "argmax empty axis", OP("ArgMax"), n, 13, 1, &e, 1, AIMET_ERR_INVALID, "empty");
	aimet_node_free(n);
	aimet_tensor_free(e);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	node_cases();
	hand_cases(ctx);
	sweep_reduce(ctx);
	sweep_arg_topk(ctx);
	errors(ctx);
	aimet_ctx_free(ctx);
	return test_done();
}
