/* test_shape_ops.c: the shape and data-movement ops (Reshape ... Range) — ONNX node cases run
 * directly on each op, hand-computed cases, seeded sweeps where the fast kernel must equal the
 * reference bit for bit at 1 and 2 threads, and infer errors for hostile attributes/inputs. */
#include "nodecase.h"

#include <limits.h>

#define OP(name) aimet_op_find("", #name)

static uint32_t seed = 12345;

static struct aimet_tensor *tnew(int dtype, int ndim, const int64_t *dims)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, dtype, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) { fprintf(stderr, "out of memory\n"); exit(2); }
	return t;
}

/* Random bytes: data movement must copy them exactly whatever they mean. */
static struct aimet_tensor *trand(int dtype, int ndim, const int64_t *dims)
{
	struct aimet_tensor *t = tnew(dtype, ndim, dims);
	for (size_t i = 0; i < t->nbytes; i++)
		((uint8_t *)t->data)[i] = (uint8_t)h_rand_u32(&seed);
	return t;
}

static struct aimet_tensor *ti64(int n, const int64_t *v)
{
	int64_t d = n;
	return h_tensor_i64(1, &d, v);
}

static struct aimet_tensor *tf32(int ndim, const int64_t *dims, const float *v)
{
	struct aimet_tensor *t = tnew(AIMET_FLOAT, ndim, dims);
	memcpy(t->data, v, t->nbytes);
	return t;
}

static int same_shape(const struct aimet_tensor *t, int ndim, const int64_t *dims)
{
	if (t->ndim != ndim)
		return 0;
	for (int i = 0; i < ndim; i++)
		if (t->dims[i] != dims[i])
			return 0;
	return 1;
}

/* Run ref, fast -j1 and fast -j2; every output must agree bitwise. The reference outputs go
 * to res[] (caller frees) when res is non-NULL. Returns the infer status. */
static int run3(struct aimet_ctx *ctx, const char *what, const struct aimet_op *op,
                const struct aimet_node *n, int64_t opset, int n_in, struct aimet_tensor **in,
                int n_out, struct aimet_tensor **res)
{
	struct aimet_tensor *o[3][8];
	int st = 0;
	memset(o, 0, sizeof o);
	for (int v = 0; v < 3; v++) {
		st = h_run(ctx, op, n, opset, n_in, in, n_out, o[v], v == 0, v == 2 ? 2 : 1);
		if (st)
			break;
	}
	if (!st)
		for (int i = 0; i < n_out; i++) {
			CHECK(aimet_tensor_equal(o[0][i], o[1][i]), "%s: fast differs from ref (output %d)", what, i);
			CHECK(aimet_tensor_equal(o[1][i], o[2][i]), "%s: -j1 and -j2 differ (output %d)", what, i);
		}
	for (int v = 0; v < 3; v++)
		for (int i = 0; i < n_out; i++) {
			if (v == 0 && res && !st)
				res[i] = o[v][i];
			else
				aimet_tensor_free(o[v][i]);
		}
	return st;
}

/* Run once (reference) and expect status `want`; the message must name the problem. */
static void expect_err(struct aimet_ctx *ctx, const char *what, const struct aimet_op *op,
                       const struct aimet_node *n, int64_t opset, int n_in, struct aimet_tensor **in,
                       int n_out, int want, const char *needle)
{
	struct aimet_tensor *o[8] = {0};
	int st = h_run(ctx, op, n, opset, n_in, in, n_out, o, 1, 1);
	CHECK(st == want, "%s: status %d, want %d (%s)", what, st, want, aimet_errmsg(ctx));
	if (needle)
		CHECK(strstr(aimet_errmsg(ctx), needle) != NULL, "%s: message '%s' lacks '%s'", what,
		      aimet_errmsg(ctx), needle);
	for (int i = 0; i < n_out; i++)
		aimet_tensor_free(o[i]);
}

static const int dtypes[] = {AIMET_FLOAT, AIMET_INT8, AIMET_INT16, AIMET_INT64, AIMET_DOUBLE,
                             AIMET_BOOL, AIMET_COMPLEX128};

static int rand_dtype(void) { return dtypes[h_rand_u32(&seed) % (sizeof dtypes / sizeof dtypes[0])]; }

/* ---- node cases ---- */

static void node_cases(void)
{
	static const struct { const char *pat, *op; int min; } cases[] = {
		{"test_reshape_*", "Reshape", 10}, {"test_flatten_*", "Flatten", 9},
		{"test_squeeze*", "Squeeze", 2}, {"test_unsqueeze*", "Unsqueeze", 8},
		{"test_transpose_*", "Transpose", 7}, {"test_slice*", "Slice", 8},
		{"test_concat_*", "Concat", 12}, {"test_split_*", "Split", 7},
		{"test_gather_[0-9n]*", "Gather", 4}, {"test_gather_elements_*", "GatherElements", 3},
		{"test_expand_*", "Expand", 2}, {"test_*_pad", "Pad", 3}, {"test_tile*", "Tile", 2},
		{"test_constantofshape_*", "ConstantOfShape", 3}, {"test_shape*", "Shape", 10},
		{"test_size*", "Size", 2}, {"test_range_*", "Range", 2}, {"test_nonzero_*", "NonZero", 1},
		/* beyond the list, cheap and in the same family */
		{"test_gathernd_*", "GatherND", 3}, {"test_tril*", "Trilu", 9}, {"test_triu*", "Trilu", 9},
		{"test_eyelike_*", "EyeLike", 3}, {"test_onehot_*", "OneHot", 4},
		{"test_scatter_elements_*", "ScatterElements", 4}, {"test_scatter_with*", "Scatter", 1},
		{"test_scatter_without*", "Scatter", 1}, {"test_scatternd*", "ScatterND", 3},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int ran = nc_run_all(cases[i].pat, cases[i].op);
		CHECK(ran >= cases[i].min, "%s: %d node cases ran, expected at least %d", cases[i].pat,
		      ran, cases[i].min);
	}
}

/* ---- hand-computed cases ---- */

static void hand_cases(struct aimet_ctx *ctx)
{
	struct aimet_tensor *y[4], *in[5];
	struct aimet_node *n;

	{   /* Transpose 2x3 */
		int64_t d[2] = {2, 3}, e[2] = {3, 2};
		float v[6] = {1, 2, 3, 4, 5, 6}, w[6] = {1, 4, 2, 5, 3, 6};
		in[0] = tf32(2, d, v);
		n = h_node("Transpose", 1, 1);
		CHECK(run3(ctx, "transpose 2x3", OP(Transpose), n, 13, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 2, e) && !memcmp(y[0]->data, w, sizeof w), "transpose 2x3 values");
		aimet_tensor_free(y[0]);
		aimet_tensor_free(in[0]);
		aimet_node_free(n);
	}
	{   /* Slice with a negative step and an out-of-range end: [8, 5, 2] */
		int64_t d = 10, s = 8, e = -12, st = -3, ax = 0;
		int64_t v[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
		in[0] = h_tensor_i64(1, &d, v);
		in[1] = ti64(1, &s); in[2] = ti64(1, &e); in[3] = ti64(1, &ax); in[4] = ti64(1, &st);
		n = h_node("Slice", 5, 1);
		CHECK(run3(ctx, "slice neg", OP(Slice), n, 13, 5, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 3 && ((int64_t *)y[0]->data)[0] == 8 &&
		      ((int64_t *)y[0]->data)[1] == 5 && ((int64_t *)y[0]->data)[2] == 2, "slice neg values");
		aimet_tensor_free(y[0]);
		/* INT64_MAX end, INT64_MIN start with step 1: the whole axis */
		((int64_t *)in[1]->data)[0] = INT64_MIN;
		((int64_t *)in[2]->data)[0] = INT64_MAX;
		((int64_t *)in[4]->data)[0] = 1;
		CHECK(run3(ctx, "slice clamp", OP(Slice), n, 13, 5, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 10 && !memcmp(y[0]->data, v, sizeof v), "slice clamp values");
		aimet_tensor_free(y[0]);
		/* INT64_MAX start, INT64_MIN end, step -1: reversed */
		((int64_t *)in[1]->data)[0] = INT64_MAX;
		((int64_t *)in[2]->data)[0] = INT64_MIN;
		((int64_t *)in[4]->data)[0] = -1;
		CHECK(run3(ctx, "slice reverse", OP(Slice), n, 13, 5, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 10 && ((int64_t *)y[0]->data)[0] == 9 &&
		      ((int64_t *)y[0]->data)[9] == 0, "slice reverse values");
		aimet_tensor_free(y[0]);
		for (int i = 0; i < 5; i++)
			aimet_tensor_free(in[i]);
		aimet_node_free(n);
		/* opset 9: attributes, ppocr's [1:2] on axis 0 of a shape vector */
		int64_t sv[4] = {8, 3, 48, 320};
		d = 4;
		in[0] = h_tensor_i64(1, &d, sv);
		n = h_node("Slice", 1, 1);
		h_attr_ints(n, "axes", 1, (int64_t[]){0});
		h_attr_ints(n, "starts", 1, (int64_t[]){1});
		h_attr_ints(n, "ends", 1, (int64_t[]){2});
		CHECK(run3(ctx, "slice-9", OP(Slice), n, 9, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 1 && ((int64_t *)y[0]->data)[0] == 3, "slice-9 values");
		aimet_tensor_free(y[0]);
		aimet_tensor_free(in[0]);
		aimet_node_free(n);
	}
	{   /* Pad modes on [1, 2, 3] with pads (2, 2); numpy.pad gives the expectations */
		static const struct { const char *mode; float e[7]; } pc[] = {
			{"reflect", {3, 2, 1, 2, 3, 2, 1}}, {"edge", {1, 1, 1, 2, 3, 3, 3}},
			{"wrap", {2, 3, 1, 2, 3, 1, 2}}, {"constant", {9, 9, 1, 2, 3, 9, 9}},
		};
		int64_t d = 3, pads[2] = {2, 2}, one = 1;
		float v[3] = {1, 2, 3}, nine = 9;
		in[0] = tf32(1, &d, v);
		in[1] = ti64(2, pads);
		in[2] = tf32(0, &one, &nine);
		for (size_t i = 0; i < 4; i++) {
			n = h_node("Pad", 3, 1);
			h_attr_str(n, "mode", pc[i].mode);
			CHECK(run3(ctx, pc[i].mode, OP(Pad), n, 13, 3, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
			CHECK(y[0]->dims[0] == 7 && !memcmp(y[0]->data, pc[i].e, sizeof pc[i].e),
			      "pad %s values", pc[i].mode);
			aimet_tensor_free(y[0]);
			aimet_node_free(n);
		}
		/* reflect beyond one period: np.pad([1,2,3], (5,0), 'reflect') */
		static const float rf[8] = {2, 1, 2, 3, 2, 1, 2, 3};
		((int64_t *)in[1]->data)[0] = 5;
		((int64_t *)in[1]->data)[1] = 0;
		n = h_node("Pad", 2, 1);
		h_attr_str(n, "mode", "reflect");
		CHECK(run3(ctx, "reflect 5", OP(Pad), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 8 && !memcmp(y[0]->data, rf, sizeof rf), "pad reflect 5 values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		/* negative pads crop: (-1, 1) constant 0 */
		static const float cr[3] = {2, 3, 0};
		((int64_t *)in[1]->data)[0] = -1;
		((int64_t *)in[1]->data)[1] = 1;
		n = h_node("Pad", 2, 1);
		CHECK(run3(ctx, "crop", OP(Pad), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 3 && !memcmp(y[0]->data, cr, sizeof cr), "pad crop values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		/* opset 2 attributes, value 2.5 */
		static const float at[5] = {2.5f, 1, 2, 3, 2.5f};
		n = h_node("Pad", 1, 1);
		h_attr_ints(n, "pads", 2, (int64_t[]){1, 1});
		h_attr_float(n, "value", 2.5f);
		CHECK(run3(ctx, "pad-2", OP(Pad), n, 2, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 5 && !memcmp(y[0]->data, at, sizeof at), "pad-2 values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		/* opset 18 axes: pad only axis -1 of a 2x3 */
		int64_t d2[2] = {2, 3}, ax = -1;
		float v2[6] = {1, 2, 3, 4, 5, 6};
		static const float e18[10] = {0, 1, 2, 3, 0, 0, 4, 5, 6, 0};
		struct aimet_tensor *in18[4] = {tf32(2, d2, v2), ti64(2, (int64_t[]){1, 1}), NULL, ti64(1, &ax)};
		n = h_node("Pad", 4, 1);
		CHECK(run3(ctx, "pad-18", OP(Pad), n, 18, 4, in18, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 2 && y[0]->dims[1] == 5 && !memcmp(y[0]->data, e18, sizeof e18),
		      "pad-18 axes values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		for (int i = 0; i < 4; i++)
			aimet_tensor_free(in18[i]);
		for (int i = 0; i < 3; i++)
			aimet_tensor_free(in[i]);
	}
	{   /* Split-18 num_outputs 3 on 7: 3, 3, 1 */
		int64_t d = 7;
		in[0] = trand(AIMET_FLOAT, 1, &d);
		n = h_node("Split", 1, 3);
		h_attr_int(n, "num_outputs", 3);
		CHECK(run3(ctx, "split-18", OP(Split), n, 18, 1, in, 3, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 3 && y[1]->dims[0] == 3 && y[2]->dims[0] == 1, "split-18 sizes");
		CHECK(!memcmp(y[2]->data, (float *)in[0]->data + 6, 4), "split-18 last value");
		for (int i = 0; i < 3; i++)
			aimet_tensor_free(y[i]);
		aimet_node_free(n);
		/* Split-11 with the split attribute */
		n = h_node("Split", 1, 2);
		h_attr_ints(n, "split", 2, (int64_t[]){5, 2});
		CHECK(run3(ctx, "split-11", OP(Split), n, 11, 1, in, 2, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 5 && y[1]->dims[0] == 2 &&
		      !memcmp(y[1]->data, (float *)in[0]->data + 5, 8), "split-11 values");
		for (int i = 0; i < 2; i++)
			aimet_tensor_free(y[i]);
		aimet_node_free(n);
		aimet_tensor_free(in[0]);
	}
	{   /* Reshape: 0 copies, -1 infers; allowzero keeps a real 0 */
		int64_t d[3] = {2, 3, 4}, s[2] = {0, -1}, e[2] = {2, 12};
		in[0] = trand(AIMET_FLOAT, 3, d);
		in[1] = ti64(2, s);
		n = h_node("Reshape", 2, 1);
		CHECK(run3(ctx, "reshape", OP(Reshape), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 2, e) && !memcmp(y[0]->data, in[0]->data, in[0]->nbytes), "reshape 0,-1");
		aimet_tensor_free(y[0]);
		aimet_tensor_free(in[0]);
		aimet_tensor_free(in[1]);
		int64_t z[3] = {0, 3, 4}, sz[3] = {3, 4, 0};
		in[0] = tnew(AIMET_FLOAT, 3, z);
		in[1] = ti64(3, sz);
		h_attr_int(n, "allowzero", 1);
		CHECK(run3(ctx, "allowzero", OP(Reshape), n, 14, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 3, sz), "reshape allowzero shape");
		aimet_tensor_free(y[0]);
		aimet_tensor_free(in[0]);
		aimet_tensor_free(in[1]);
		aimet_node_free(n);
	}
	{   /* Flatten, Squeeze, Unsqueeze shapes across opsets */
		int64_t d[4] = {1, 3, 1, 2}, ef[2] = {3, 2}, es[2] = {3, 2}, eu[6] = {1, 1, 3, 1, 2, 1};
		in[0] = trand(AIMET_INT16, 4, d);
		n = h_node("Flatten", 1, 1);
		h_attr_int(n, "axis", -1);
		CHECK(run3(ctx, "flatten", OP(Flatten), n, 13, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 2, ef), "flatten -1 shape");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		n = h_node("Squeeze", 1, 1);
		CHECK(run3(ctx, "squeeze", OP(Squeeze), n, 13, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 2, es), "squeeze all shape");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		n = h_node("Unsqueeze", 1, 1);
		h_attr_ints(n, "axes", 2, (int64_t[]){-1, 0});
		CHECK(run3(ctx, "unsqueeze-11", OP(Unsqueeze), n, 11, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 6, eu), "unsqueeze-11 shape");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[0]);
	}
	{   /* Tile, Expand, Gather with a negative index */
		int64_t d[2] = {1, 2}, r[2] = {2, 2}, e[2] = {2, 4};
		float v[2] = {1, 2}, w[8] = {1, 2, 1, 2, 1, 2, 1, 2};
		in[0] = tf32(2, d, v);
		in[1] = ti64(2, r);
		n = h_node("Tile", 2, 1);
		CHECK(run3(ctx, "tile", OP(Tile), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 2, e) && !memcmp(y[0]->data, w, sizeof w), "tile values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[1]);
		int64_t sh[3] = {3, 1, 1}, ee[3] = {3, 1, 2};
		in[1] = ti64(3, sh);
		n = h_node("Expand", 2, 1);
		CHECK(run3(ctx, "expand", OP(Expand), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 3, ee) && !memcmp(y[0]->data, w, 6 * sizeof(float)), "expand values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[1]);
		int64_t ix[2] = {-1, 0}, di = 2;
		float g[4] = {2, 1, 2, 1};
		in[1] = h_tensor_i64(1, &di, ix);
		n = h_node("Gather", 2, 1);
		h_attr_int(n, "axis", 1);
		CHECK(run3(ctx, "gather", OP(Gather), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->ndim == 2 && y[0]->dims[1] == 2 && !memcmp(y[0]->data, g, 2 * sizeof(float)),
		      "gather values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[1]);
		aimet_tensor_free(in[0]);
	}
	{   /* ConstantOfShape int32 7; Range int and float; Shape start; Size; NonZero */
		int64_t s[2] = {2, 3};
		struct aimet_tensor *val = tnew(AIMET_INT32, 1, (int64_t[]){1});
		*(int32_t *)val->data = 7;
		in[0] = ti64(2, s);
		n = h_node("ConstantOfShape", 1, 1);
		h_attr(n, "value", AIMET_ATTR_TENSOR)->t = val;
		CHECK(run3(ctx, "cos", OP(ConstantOfShape), n, 9, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(same_shape(y[0], 2, s) && y[0]->dtype == AIMET_INT32 && ((int32_t *)y[0]->data)[5] == 7,
		      "constantofshape values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);   /* frees val */
		aimet_tensor_free(in[0]);

		struct aimet_tensor *r[3] = {tnew(AIMET_INT32, 0, NULL), tnew(AIMET_INT32, 0, NULL),
		                             tnew(AIMET_INT32, 0, NULL)};
		*(int32_t *)r[0]->data = 10; *(int32_t *)r[1]->data = 1; *(int32_t *)r[2]->data = -3;
		n = h_node("Range", 3, 1);
		CHECK(run3(ctx, "range", OP(Range), n, 11, 3, r, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 3 && ((int32_t *)y[0]->data)[2] == 4, "range int values");
		aimet_tensor_free(y[0]);
		*(int32_t *)r[2]->data = 0;
		expect_err(ctx, "range delta 0", OP(Range), n, 11, 3, r, 1, AIMET_ERR_INVALID, "delta");
		for (int i = 0; i < 3; i++)
			aimet_tensor_free(r[i]);
		float fv[3] = {0, 1, 0.25f};
		for (int i = 0; i < 3; i++)
			r[i] = tf32(0, NULL, &fv[i]);
		CHECK(run3(ctx, "range f", OP(Range), n, 11, 3, r, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 4 && ((float *)y[0]->data)[3] == 0.75f, "range float values");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		for (int i = 0; i < 3; i++)
			aimet_tensor_free(r[i]);

		int64_t d4[4] = {2, 3, 5, 7};
		in[0] = tnew(AIMET_FLOAT, 4, d4);
		n = h_node("Shape", 1, 1);
		h_attr_int(n, "start", -2);
		CHECK(run3(ctx, "shape", OP(Shape), n, 15, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 2 && ((int64_t *)y[0]->data)[0] == 5 && ((int64_t *)y[0]->data)[1] == 7,
		      "shape start -2");
		aimet_tensor_free(y[0]);
		CHECK(run3(ctx, "shape-13", OP(Shape), n, 13, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 4, "shape-13 ignores start");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		n = h_node("Size", 1, 1);
		CHECK(run3(ctx, "size", OP(Size), n, 13, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->ndim == 0 && *(int64_t *)y[0]->data == 210, "size value");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[0]);

		int64_t d2[2] = {2, 2}, nz[4] = {1, 0, 1, 1}, enz[6] = {0, 1, 1, 0, 0, 1};
		in[0] = h_tensor_i64(2, d2, nz);
		n = h_node("NonZero", 1, 1);
		CHECK(run3(ctx, "nonzero", OP(NonZero), n, 13, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->dims[0] == 2 && y[0]->dims[1] == 3 && !memcmp(y[0]->data, enz, sizeof enz),
		      "nonzero values");
		aimet_tensor_free(y[0]);
		void *keep = in[0]->data;
		in[0]->data = NULL;
		expect_err(ctx, "nonzero runtime", OP(NonZero), n, 13, 1, in, 1, AIMET_ERR_UNSUPPORTED,
		           "constant");
		in[0]->data = keep;
		aimet_node_free(n);
		aimet_tensor_free(in[0]);
	}
}

/* ---- seeded sweeps: fast == ref bitwise, -j1 == -j2 ---- */

/* Random dims in [lo, hi], halved (largest first) until the tensor has at most 64K elements
 * so that the reference kernels stay quick. */
static void rand_dims(int nd, int64_t *d, int lo, int hi)
{
	for (int i = 0; i < nd; i++)
		d[i] = h_rand_int(&seed, lo, hi);
	for (;;) {
		int64_t n = 1;
		int big = 0;
		for (int i = 0; i < nd; i++) {
			n *= d[i];
			if (d[i] > d[big])
				big = i;
		}
		if (nd == 0 || n <= 65536)
			return;
		d[big] /= 2;
	}
}

static void sweep_transpose(struct aimet_ctx *ctx)
{
	for (int it = 0; it < 300; it++) {
		int nd = h_rand_int(&seed, 1, 6), perm_i[8];
		int64_t d[8], perm[8];
		rand_dims(nd, d, 1, nd <= 2 ? 80 : nd <= 4 ? 9 : 5);
		for (int i = 0; i < nd; i++)
			perm_i[i] = i;
		for (int i = nd - 1; i > 0; i--) {
			int j = h_rand_int(&seed, 0, i), t = perm_i[i];
			perm_i[i] = perm_i[j];
			perm_i[j] = t;
		}
		for (int i = 0; i < nd; i++)
			perm[i] = perm_i[i];
		struct aimet_tensor *x = trand(rand_dtype(), nd, d), *y[1];
		struct aimet_node *n = h_node("Transpose", 1, 1);
		if (it % 7)
			h_attr_ints(n, "perm", nd, perm);
		CHECK(run3(ctx, "transpose sweep", OP(Transpose), n, 13, 1, &x, 1, y) == 0, "%s", aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_tensor_free(x);
		aimet_node_free(n);
	}
	/* the ppocr_rec attention shapes, big enough for two threads */
	static const int64_t shapes[][5] = {{8, 40, 3, 8, 32}, {8, 8, 40, 32, 0}, {8, 120, 1, 80, 0}};
	static const int64_t perms[][5] = {{2, 0, 3, 1, 4}, {0, 1, 3, 2, 0}, {0, 3, 1, 2, 0}};
	static const int ranks[] = {5, 4, 4};
	for (int i = 0; i < 3; i++) {
		struct aimet_tensor *x = trand(AIMET_FLOAT, ranks[i], shapes[i]), *y[1];
		struct aimet_node *n = h_node("Transpose", 1, 1);
		h_attr_ints(n, "perm", ranks[i], perms[i]);
		CHECK(run3(ctx, "transpose ppocr", OP(Transpose), n, 9, 1, &x, 1, y) == 0, "%s", aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_tensor_free(x);
		aimet_node_free(n);
	}
}

static int64_t rand_bound(int64_t d)
{
	switch (h_rand_int(&seed, 0, 9)) {
	case 0: return INT64_MAX;
	case 1: return INT64_MIN;
	case 2: return -d - h_rand_int(&seed, 0, 3);
	default: return h_rand_int(&seed, -(int)d - 2, (int)d + 2);
	}
}

static void sweep_slice(struct aimet_ctx *ctx)
{
	for (int it = 0; it < 300; it++) {
		int nd = h_rand_int(&seed, 1, 5), na = h_rand_int(&seed, 1, nd), use_steps = it % 3 != 0;
		int64_t d[8], st[8], en[8], ax[8], sp[8];
		rand_dims(nd, d, 0, 9);
		unsigned used = 0;
		for (int i = 0; i < na; i++) {
			int a;
			do a = h_rand_int(&seed, 0, nd - 1); while (used & (1u << a));
			used |= 1u << a;
			ax[i] = h_rand_u32(&seed) % 2 ? a : a - nd;
			st[i] = rand_bound(d[a]);
			en[i] = rand_bound(d[a]);
			sp[i] = h_rand_int(&seed, 1, 3) * (h_rand_u32(&seed) % 2 ? 1 : -1);
			if (h_rand_int(&seed, 0, 20) == 0)
				sp[i] = sp[i] > 0 ? INT64_MAX : INT64_MIN;
		}
		struct aimet_tensor *in[5] = {trand(rand_dtype(), nd, d), ti64(na, st), ti64(na, en),
		                              ti64(na, ax), use_steps ? ti64(na, sp) : NULL}, *y[1];
		struct aimet_node *n = h_node("Slice", use_steps ? 5 : 4, 1);
		CHECK(run3(ctx, "slice sweep", OP(Slice), n, 13, use_steps ? 5 : 4, in, 1, y) == 0, "%s",
		      aimet_errmsg(ctx));
		/* every output dim is the count the ONNX formula gives */
		if (y[0])
			for (int i = 0; i < na; i++) {
				int a = (int)(ax[i] < 0 ? ax[i] + nd : ax[i]);
				int64_t s = st[i], e = en[i], stp = use_steps ? sp[i] : 1, D = d[a], cnt = 0;
				s = s < 0 ? (s < -D ? 0 : s + D) : s;
				e = e < 0 ? (e < -D ? -1 : e + D) : e;
				if (stp > 0) {
					s = s > D ? D : s;
					e = e > D ? D : e < 0 ? 0 : e;
					for (int64_t k = s; k < e; k += stp > D ? D + 1 : stp)
						cnt++;
				} else {
					s = s > D - 1 ? D - 1 : s;
					e = e > D - 1 ? D - 1 : e;
					for (int64_t k = s; k > e; k += stp < -D ? -D - 1 : stp)
						cnt++;
				}
				CHECK(y[0]->dims[a] == cnt, "slice sweep dim %d: %lld, want %lld", a,
				      (long long)y[0]->dims[a], (long long)cnt);
			}
		aimet_tensor_free(y[0]);
		for (int i = 0; i < 5; i++)
			aimet_tensor_free(in[i]);
		aimet_node_free(n);
	}
}

static void sweep_concat_split(struct aimet_ctx *ctx)
{
	for (int it = 0; it < 200; it++) {
		int nd = h_rand_int(&seed, 1, 4), k = h_rand_int(&seed, 1, 4), axis = h_rand_int(&seed, 0, nd - 1);
		int dtype = rand_dtype();
		int64_t d[8], sizes[4];
		struct aimet_tensor *in[4], *y[4];
		rand_dims(nd, d, 1, it < 20 ? 64 : 6);
		for (int i = 0; i < k; i++) {
			d[axis] = sizes[i] = h_rand_int(&seed, 0, 5);
			in[i] = trand(dtype, nd, d);
		}
		struct aimet_node *n = h_node("Concat", k, 1);
		h_attr_int(n, "axis", axis - (it % 2 ? nd : 0));
		CHECK(run3(ctx, "concat sweep", OP(Concat), n, 13, k, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		aimet_node_free(n);
		/* Split undoes it */
		struct aimet_tensor *sin[2] = {y[0], ti64(k, sizes)}, *parts[4];
		n = h_node("Split", 2, k);
		h_attr_int(n, "axis", axis);
		CHECK(run3(ctx, "split sweep", OP(Split), n, 13, 2, sin, k, parts) == 0, "%s", aimet_errmsg(ctx));
		for (int i = 0; i < k; i++) {
			CHECK(aimet_tensor_equal(parts[i], in[i]), "split(concat) part %d differs", i);
			aimet_tensor_free(parts[i]);
			aimet_tensor_free(in[i]);
		}
		aimet_node_free(n);
		aimet_tensor_free(sin[0]);
		aimet_tensor_free(sin[1]);
	}
}

static void sweep_gather(struct aimet_ctx *ctx)
{
	for (int it = 0; it < 200; it++) {
		int nd = h_rand_int(&seed, 1, 4), ni = h_rand_int(&seed, 0, 2), axis = h_rand_int(&seed, 0, nd - 1);
		int64_t d[8], di[2], iv[64];
		rand_dims(nd, d, 1, it < 10 ? 300 : 6);
		rand_dims(ni, di, 0, 4);
		struct aimet_tensor *x = trand(rand_dtype(), nd, d);
		struct aimet_tensor *idx = tnew(it % 2 ? AIMET_INT64 : AIMET_INT32, ni, di);
		for (int64_t i = 0; i < aimet_tensor_numel(idx); i++) {
			iv[i] = h_rand_int(&seed, -(int)d[axis], (int)d[axis] - 1);
			if (idx->dtype == AIMET_INT64)
				((int64_t *)idx->data)[i] = iv[i];
			else
				((int32_t *)idx->data)[i] = (int32_t)iv[i];
		}
		struct aimet_tensor *in[2] = {x, idx}, *y[1];
		struct aimet_node *n = h_node("Gather", 2, 1);
		h_attr_int(n, "axis", axis);
		CHECK(run3(ctx, "gather sweep", OP(Gather), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0] && y[0]->ndim == nd - 1 + ni, "gather rank");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		/* GatherElements with indices of the data's rank */
		if (nd >= 1) {
			int64_t de[8];
			for (int i = 0; i < nd; i++)
				de[i] = h_rand_int(&seed, 1, (int)d[i]);
			de[axis] = h_rand_int(&seed, 1, 5);
			struct aimet_tensor *ie = tnew(AIMET_INT64, nd, de);
			for (int64_t i = 0; i < aimet_tensor_numel(ie); i++)
				((int64_t *)ie->data)[i] = h_rand_int(&seed, -(int)d[axis], (int)d[axis] - 1);
			in[1] = ie;
			n = h_node("GatherElements", 2, 1);
			h_attr_int(n, "axis", axis);
			CHECK(run3(ctx, "gather_elements sweep", OP(GatherElements), n, 13, 2, in, 1, y) == 0,
			      "%s", aimet_errmsg(ctx));
			aimet_tensor_free(y[0]);
			aimet_node_free(n);
			aimet_tensor_free(ie);
		}
		aimet_tensor_free(x);
		aimet_tensor_free(idx);
	}
}

static void sweep_expand_tile(struct aimet_ctx *ctx)
{
	for (int it = 0; it < 200; it++) {
		int nd = h_rand_int(&seed, 0, 4), ns = h_rand_int(&seed, nd > 0 ? nd : 0, 5);
		int64_t d[8], s[8], r[8];
		rand_dims(nd, d, 1, 5);
		for (int i = 0; i < nd; i++)
			if (h_rand_u32(&seed) % 2)
				d[i] = 1;
		/* shape: broadcast-compatible, sometimes with 1s where the input has more */
		for (int i = 0; i < ns; i++) {
			int j = i - (ns - nd);
			s[i] = j >= 0 && d[j] != 1 ? (h_rand_u32(&seed) % 3 ? d[j] : 1) : h_rand_int(&seed, 1, 4);
		}
		struct aimet_tensor *x = trand(rand_dtype(), nd, d), *in[2] = {x, ti64(ns, s)}, *y[1];
		struct aimet_node *n = h_node("Expand", 2, 1);
		CHECK(run3(ctx, "expand sweep", OP(Expand), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[1]);
		rand_dims(nd, r, 0, 3);
		in[1] = ti64(nd, r);
		n = h_node("Tile", 2, 1);
		CHECK(run3(ctx, "tile sweep", OP(Tile), n, 13, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[1]);
		aimet_tensor_free(x);
	}
}

static void sweep_pad(struct aimet_ctx *ctx)
{
	static const char *modes[] = {"constant", "reflect", "edge", "wrap"};
	for (int it = 0; it < 300; it++) {
		int nd = h_rand_int(&seed, 1, 4), mode = h_rand_int(&seed, 0, 3);
		int64_t d[8], pads[16];
		rand_dims(nd, d, 1, it < 10 ? 40 : 6);
		for (int i = 0; i < nd; i++) {
			pads[i] = h_rand_int(&seed, -(int)d[i] / 2, 4);
			pads[i + nd] = h_rand_int(&seed, -(int)d[i] / 2, 4);
		}
		int dtype = mode == 0 ? AIMET_FLOAT : rand_dtype();
		float cv = 3.5f;
		struct aimet_tensor *in[3] = {trand(dtype, nd, d), ti64(2 * nd, pads),
		                              mode == 0 ? tf32(0, NULL, &cv) : NULL}, *y[1];
		struct aimet_node *n = h_node("Pad", mode == 0 ? 3 : 2, 1);
		h_attr_str(n, "mode", modes[mode]);
		CHECK(run3(ctx, modes[mode], OP(Pad), n, 13, mode == 0 ? 3 : 2, in, 1, y) == 0, "%s",
		      aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		for (int i = 0; i < 3; i++)
			aimet_tensor_free(in[i]);
	}
	/* the common case worth a fast path: 4-D constant pad of H and W */
	int64_t d[4] = {8, 16, 40, 40}, pads[8] = {0, 0, 1, 2, 0, 0, 1, 2};
	struct aimet_tensor *in[2] = {trand(AIMET_FLOAT, 4, d), ti64(8, pads)}, *y[1];
	struct aimet_node *n = h_node("Pad", 2, 1);
	CHECK(run3(ctx, "pad 4-D", OP(Pad), n, 11, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	aimet_tensor_free(in[0]);
	aimet_tensor_free(in[1]);
}

/* Trilu with any k (INT64_MIN/MAX included), EyeLike likewise, and a few CumSum layouts. */
static void sweep_extras(struct aimet_ctx *ctx)
{
	for (int it = 0; it < 100; it++) {
		int nd = h_rand_int(&seed, 2, 4);
		int64_t d[8], k = it % 10 == 0 ? INT64_MIN : it % 10 == 1 ? INT64_MAX : h_rand_int(&seed, -7, 7);
		rand_dims(nd, d, 0, it < 4 ? 70 : 6);
		struct aimet_tensor *in[2] = {trand(rand_dtype(), nd, d), h_tensor_i64(0, NULL, &k)}, *y[1];
		struct aimet_node *n = h_node("Trilu", 2, 1);
		h_attr_int(n, "upper", it % 2);
		CHECK(run3(ctx, "trilu sweep", OP(Trilu), n, 14, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[1]);
		if (nd == 2) {
			n = h_node("EyeLike", 1, 1);
			h_attr_int(n, "k", k);
			h_attr_int(n, "dtype", AIMET_FLOAT);
			CHECK(run3(ctx, "eyelike", OP(EyeLike), n, 9, 1, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
			int64_t ones = 0;
			for (int64_t i = 0; y[0] && i < aimet_tensor_numel(y[0]); i++)
				ones += ((float *)y[0]->data)[i] == 1;
			int64_t want = 0;
			for (int64_t i = 0; i < d[0]; i++)
				want += k > -100 && k < 100 && i + k >= 0 && i + k < d[1];
			CHECK(ones == want, "eyelike k=%lld: %lld ones, want %lld", (long long)k,
			      (long long)ones, (long long)want);
			aimet_tensor_free(y[0]);
			aimet_node_free(n);
		}
		aimet_tensor_free(in[0]);
	}
	for (int it = 0; it < 60; it++) {
		int nd = h_rand_int(&seed, 1, 4), ax = h_rand_int(&seed, -nd, nd - 1);
		int64_t d[8], axis = ax;
		rand_dims(nd, d, 1, 7);
		struct aimet_tensor *x = tnew(it % 2 ? AIMET_FLOAT : AIMET_INT64, nd, d), *y[1];
		for (int64_t i = 0; i < aimet_tensor_numel(x); i++) {
			if (x->dtype == AIMET_FLOAT)
				((float *)x->data)[i] = h_rand_uniform(&seed, -1, 1);
			else
				((int64_t *)x->data)[i] = h_rand_int(&seed, -100, 100);
		}
		struct aimet_tensor *in[2] = {x, h_tensor_i64(0, NULL, &axis)};
		struct aimet_node *n = h_node("CumSum", 2, 1);
		h_attr_int(n, "exclusive", it % 3 == 0);
		h_attr_int(n, "reverse", it % 4 == 0);
		CHECK(run3(ctx, "cumsum", OP(CumSum), n, 14, 2, in, 1, y) == 0, "%s", aimet_errmsg(ctx));
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(in[1]);
		aimet_tensor_free(x);
	}
}

/* Hostile nodes: random attributes and integer inputs (INT64_MIN/MAX included) on every op
 * of this family. Each run must end in success or a clean status, never a crash (run this
 * suite under ASan/UBSan to see the difference). */
static int64_t wild(void)
{
	static const int64_t v[] = {INT64_MIN, INT64_MAX, -1, 0, 1, 2, 3, -2, -9, 7, 1LL << 40};
	return v[h_rand_u32(&seed) % (sizeof v / sizeof v[0])];
}

static void fuzz(struct aimet_ctx *ctx)
{
	static const char *ops[] = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose",
	                            "Slice", "Concat", "Split", "Gather", "GatherElements", "GatherND",
	                            "Expand", "Pad", "Tile", "ConstantOfShape", "Shape", "Size",
	                            "Range", "NonZero", "Trilu", "EyeLike", "OneHot", "ScatterElements",
	                            "ScatterND", "CumSum", "ReduceSum", "ReduceMean", "ReduceLogSumExp",
	                            "ArgMax", "TopK"};
	static const char *attrs[] = {"axis", "axes", "perm", "starts", "ends", "split", "pads",
	                              "keepdims", "k", "num_outputs", "allowzero", "batch_dims",
	                              "start", "end", "upper", "select_last_index", "value", "shape"};
	static const char *modes[] = {"constant", "reflect", "edge", "wrap", "bogus"};
	int ok = 1;
	for (int it = 0; it < 3000; it++) {
		const char *opn = ops[h_rand_u32(&seed) % (sizeof ops / sizeof ops[0])];
		const struct aimet_op *op = aimet_op_find("", opn);
		int n_in = h_rand_int(&seed, 1, 5), n_out = h_rand_int(&seed, 1, 3), nd = h_rand_int(&seed, 0, 4);
		int64_t opset = h_rand_int(&seed, 1, 21), d[8];
		struct aimet_tensor *in[5] = {0}, *out[3] = {0};
		struct aimet_node *n = h_node(opn, n_in, n_out);
		rand_dims(nd, d, 0, 4);
		in[0] = trand(h_rand_u32(&seed) % 3 ? AIMET_FLOAT : AIMET_INT64, nd, d);
		for (int i = 1; i < n_in; i++) {
			int cnt = h_rand_int(&seed, 0, 5);
			int64_t v[5];
			for (int j = 0; j < cnt; j++)
				v[j] = wild();
			in[i] = h_rand_u32(&seed) % 5 ? ti64(cnt, v) : NULL;
			if (in[i] && h_rand_u32(&seed) % 4 == 0)
				in[i]->dtype = AIMET_INT32, in[i]->nbytes = (size_t)cnt * 4;
		}
		for (int a = h_rand_int(&seed, 0, 4); a > 0; a--) {
			const char *an = attrs[h_rand_u32(&seed) % (sizeof attrs / sizeof attrs[0])];
			int64_t v[5];
			int cnt = h_rand_int(&seed, 0, 5);
			for (int j = 0; j < cnt; j++)
				v[j] = wild();
			if (h_rand_u32(&seed) % 2)
				h_attr_int(n, an, wild());
			else
				h_attr_ints(n, an, cnt, v);
		}
		if (h_rand_u32(&seed) % 4 == 0)
			h_attr_str(n, "mode", modes[h_rand_u32(&seed) % 5]);
		for (int v = 0; v < 2; v++) {
			int st = h_run(ctx, op, n, opset, n_in, in, n_out, out, v, 2);
			ok &= st == 0 || st == AIMET_ERR_INVALID || st == AIMET_ERR_UNSUPPORTED ||
			      st == AIMET_ERR_NOMEM;
			for (int i = 0; i < n_out; i++) {
				aimet_tensor_free(out[i]);
				out[i] = NULL;
			}
		}
		for (int i = 0; i < 5; i++)
			aimet_tensor_free(in[i]);
		aimet_node_free(n);
	}
	CHECK(ok, "a hostile node returned an unexpected status");
}

/* ---- infer errors ---- */

static void errors(struct aimet_ctx *ctx)
{
	int64_t d[3] = {2, 3, 4};
	struct aimet_tensor *x = trand(AIMET_FLOAT, 3, d), *in[5] = {x};
	struct aimet_node *n;

	in[1] = ti64(2, (int64_t[]){-1, -1});
	n = h_node("Reshape", 2, 1);
	expect_err(ctx, "reshape two -1", OP(Reshape), n, 13, 2, in, 1, AIMET_ERR_INVALID, "-1");
	((int64_t *)in[1]->data)[0] = 5;
	((int64_t *)in[1]->data)[1] = 5;
	expect_err(ctx, "reshape count", OP(Reshape), n, 13, 2, in, 1, AIMET_ERR_INVALID, "reshape");
	((int64_t *)in[1]->data)[0] = 0;
	((int64_t *)in[1]->data)[1] = -1;
	h_attr_int(n, "allowzero", 1);
	expect_err(ctx, "reshape allowzero", OP(Reshape), n, 14, 2, in, 1, AIMET_ERR_INVALID, "allowzero");
	void *keep = in[1]->data;
	in[1]->data = NULL;
	expect_err(ctx, "reshape non-constant", OP(Reshape), n, 13, 2, in, 1, AIMET_ERR_UNSUPPORTED,
	           "requires a constant 'shape' input");
	in[1]->data = keep;
	aimet_node_free(n);
	aimet_tensor_free(in[1]);

	n = h_node("Transpose", 1, 1);
	h_attr_ints(n, "perm", 3, (int64_t[]){0, 0, 1});
	expect_err(ctx, "transpose perm", OP(Transpose), n, 13, 1, in, 1, AIMET_ERR_INVALID, "perm");
	aimet_node_free(n);
	n = h_node("Transpose", 1, 1);
	h_attr_ints(n, "perm", 2, (int64_t[]){1, 0});
	expect_err(ctx, "transpose perm rank", OP(Transpose), n, 13, 1, in, 1, AIMET_ERR_INVALID, "perm");
	aimet_node_free(n);

	in[1] = ti64(1, (int64_t[]){0});
	in[2] = ti64(1, (int64_t[]){2});
	in[3] = ti64(1, (int64_t[]){0});
	in[4] = ti64(1, (int64_t[]){0});
	n = h_node("Slice", 5, 1);
	expect_err(ctx, "slice step 0", OP(Slice), n, 13, 5, in, 1, AIMET_ERR_INVALID, "step");
	((int64_t *)in[4]->data)[0] = 1;
	((int64_t *)in[3]->data)[0] = 3;
	expect_err(ctx, "slice axis", OP(Slice), n, 13, 5, in, 1, AIMET_ERR_INVALID, "axis");
	aimet_tensor_free(in[2]);
	in[2] = ti64(2, (int64_t[]){2, 2});
	expect_err(ctx, "slice lengths", OP(Slice), n, 13, 5, in, 1, AIMET_ERR_INVALID, "length");
	aimet_node_free(n);
	for (int i = 1; i < 5; i++)
		aimet_tensor_free(in[i]);

	n = h_node("Squeeze", 1, 1);
	h_attr_ints(n, "axes", 1, (int64_t[]){1});
	expect_err(ctx, "squeeze non-1", OP(Squeeze), n, 11, 1, in, 1, AIMET_ERR_INVALID, "squeeze");
	aimet_node_free(n);
	n = h_node("Unsqueeze", 1, 1);
	h_attr_ints(n, "axes", 2, (int64_t[]){1, -4});
	expect_err(ctx, "unsqueeze dup", OP(Unsqueeze), n, 11, 1, in, 1, AIMET_ERR_INVALID, "repeated");
	aimet_node_free(n);
	n = h_node("Unsqueeze", 1, 1);
	h_attr_ints(n, "axes", 6, (int64_t[]){0, 1, 2, 3, 4, 5});
	expect_err(ctx, "unsqueeze rank 9", OP(Unsqueeze), n, 11, 1, in, 1, AIMET_ERR_UNSUPPORTED, "rank");
	aimet_node_free(n);

	int64_t d2[3] = {2, 4, 4};
	in[1] = trand(AIMET_FLOAT, 3, d2);
	n = h_node("Concat", 2, 1);
	h_attr_int(n, "axis", 2);
	expect_err(ctx, "concat dims", OP(Concat), n, 13, 2, in, 1, AIMET_ERR_INVALID, "dim");
	aimet_node_free(n);
	n = h_node("Concat", 2, 1);
	h_attr_int(n, "axis", 3);
	expect_err(ctx, "concat axis", OP(Concat), n, 13, 2, in, 1, AIMET_ERR_INVALID, "axis");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);

	in[1] = ti64(2, (int64_t[]){1, 1});
	n = h_node("Split", 2, 2);
	h_attr_int(n, "axis", 1);
	expect_err(ctx, "split sum", OP(Split), n, 13, 2, in, 2, AIMET_ERR_INVALID, "split");
	aimet_node_free(n);
	n = h_node("Split", 1, 2);
	h_attr_int(n, "axis", 1);
	expect_err(ctx, "split uneven", OP(Split), n, 13, 1, in, 2, AIMET_ERR_INVALID, "equal");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);

	in[1] = ti64(2, (int64_t[]){0, 2});
	n = h_node("Gather", 2, 1);
	expect_err(ctx, "gather index", OP(Gather), n, 13, 2, in, 1, AIMET_ERR_INVALID, "index 2");
	aimet_node_free(n);
	n = h_node("Gather", 2, 1);
	h_attr_int(n, "axis", -4);
	expect_err(ctx, "gather axis", OP(Gather), n, 13, 2, in, 1, AIMET_ERR_INVALID, "axis");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);

	in[1] = ti64(3, (int64_t[]){2, 2, 4});
	n = h_node("Expand", 2, 1);
	expect_err(ctx, "expand", OP(Expand), n, 13, 2, in, 1, AIMET_ERR_INVALID, "broadcast");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);
	in[1] = ti64(3, (int64_t[]){1, -1, 1});
	n = h_node("Tile", 2, 1);
	expect_err(ctx, "tile negative", OP(Tile), n, 13, 2, in, 1, AIMET_ERR_INVALID, "negative");
	aimet_tensor_free(in[1]);
	in[1] = ti64(2, (int64_t[]){1, 1});
	expect_err(ctx, "tile length", OP(Tile), n, 13, 2, in, 1, AIMET_ERR_INVALID, "repeats");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);

	in[1] = ti64(4, (int64_t[]){1, 1, 1, 1});
	n = h_node("Pad", 2, 1);
	expect_err(ctx, "pad count", OP(Pad), n, 13, 2, in, 1, AIMET_ERR_INVALID, "pads");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);
	in[1] = ti64(6, (int64_t[]){0, 0, -3, 0, 0, -2});
	n = h_node("Pad", 2, 1);
	expect_err(ctx, "pad crop too far", OP(Pad), n, 13, 2, in, 1, AIMET_ERR_INVALID, "pads");
	aimet_node_free(n);
	n = h_node("Pad", 2, 1);
	h_attr_str(n, "mode", "mirror");
	expect_err(ctx, "pad mode", OP(Pad), n, 13, 2, in, 1, AIMET_ERR_UNSUPPORTED, "mirror");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);

	in[0] = ti64(2, (int64_t[]){2, -1});
	n = h_node("ConstantOfShape", 1, 1);
	expect_err(ctx, "cos negative", OP(ConstantOfShape), n, 9, 1, in, 1, AIMET_ERR_INVALID, "negative");
	aimet_node_free(n);
	aimet_tensor_free(in[0]);

	/* strings are refused, not crashed on */
	struct aimet_tensor *s = tnew(AIMET_STRING, 1, (int64_t[]){2});
	n = h_node("Transpose", 1, 1);
	expect_err(ctx, "strings", OP(Transpose), n, 13, 1, &s, 1, AIMET_ERR_UNSUPPORTED, "string");
	aimet_node_free(n);
	aimet_tensor_free(s);

	/* the extras: GatherND tuple too long, ScatterElements updates shape, OneHot depth */
	in[0] = x;
	in[1] = h_tensor_i64(2, (int64_t[]){1, 4}, (int64_t[]){0, 0, 0, 0});
	n = h_node("GatherND", 2, 1);
	expect_err(ctx, "gathernd m", OP(GatherND), n, 13, 2, in, 1, AIMET_ERR_INVALID, "tuples");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);
	in[1] = h_tensor_i64(3, (int64_t[]){1, 1, 1}, (int64_t[]){5});
	in[2] = trand(AIMET_FLOAT, 3, (int64_t[]){1, 1, 2});
	n = h_node("ScatterElements", 3, 1);
	expect_err(ctx, "scatter updates", OP(ScatterElements), n, 16, 3, in, 1, AIMET_ERR_INVALID, "fit");
	aimet_tensor_free(in[2]);
	in[2] = trand(AIMET_FLOAT, 3, (int64_t[]){1, 1, 1});
	expect_err(ctx, "scatter index", OP(ScatterElements), n, 16, 3, in, 1, AIMET_ERR_INVALID, "index 5");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);
	aimet_tensor_free(in[2]);
	in[1] = tf32(0, NULL, (float[]){0});
	in[2] = tf32(1, (int64_t[]){2}, (float[]){0, 1});
	n = h_node("OneHot", 3, 1);
	expect_err(ctx, "onehot depth", OP(OneHot), n, 11, 3, in, 1, AIMET_ERR_INVALID, "depth");
	aimet_node_free(n);
	aimet_tensor_free(in[1]);
	aimet_tensor_free(in[2]);
	aimet_tensor_free(x);
}

/* Indices known only at run time: an out-of-range one yields zeros, never a wild read. */
static void gather_runtime_range(struct aimet_ctx *ctx)
{
	int64_t d[2] = {3, 2}, di = 3, iv[3] = {1, 7, -9};
	struct aimet_tensor *x = trand(AIMET_FLOAT, 2, d), *idx = h_tensor_i64(1, &di, iv);
	struct aimet_tensor *in[2] = {x, idx}, *y = aimet_tensor_new(NULL, 0, 0, NULL);
	struct aimet_node *n = h_node("Gather", 2, 1);
	const struct aimet_op *op = OP(Gather);
	for (int v = 0; v < 2; v++) {
		struct aimet_op_ctx c;
		void *keep = idx->data;
		memset(&c, 0, sizeof c);
		c.ctx = ctx; c.node = n; c.opset = 13; c.n_in = 2; c.n_out = 1; c.in = in; c.out = &y;
		c.threads = 1;
		idx->data = NULL;
		CHECK(op->infer(&c) == 0, "gather infer without indices: %s", aimet_errmsg(ctx));
		idx->data = keep;
		CHECK(aimet_tensor_alloc(ctx, y) == 0, "alloc");
		memset(y->data, 0xff, y->nbytes);
		(v ? op->ref : op->run)(&c);
		CHECK(!memcmp(y->data, (float *)x->data + 2, 8), "gather runtime row 1");
		CHECK(((float *)y->data)[2] == 0 && ((float *)y->data)[5] == 0, "out-of-range rows are zero");
	}
	aimet_tensor_free(y);
	aimet_tensor_free(x);
	aimet_tensor_free(idx);
	aimet_node_free(n);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	node_cases();
	hand_cases(ctx);
	sweep_transpose(ctx);
	sweep_slice(ctx);
	sweep_concat_split(ctx);
	sweep_gather(ctx);
	sweep_expand_tile(ctx);
	sweep_pad(ctx);
	sweep_extras(ctx);
	fuzz(ctx);
	errors(ctx);
	gather_runtime_range(ctx);
	aimet_ctx_free(ctx);
	return test_done();
}
