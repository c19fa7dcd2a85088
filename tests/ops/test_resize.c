/* test_resize.c: Resize and Upsample — the ONNX node cases run directly on the op, hand-computed
 * cases, fast vs reference sweeps over modes and scales, thread invariance, and infer errors. */
#include "nodecase.h"

static const struct aimet_op *op_resize, *op_upsample;

static struct aimet_tensor *f32(int ndim, const int64_t *dims, const float *v)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_FLOAT, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) exit(2);
	memcpy(t->data, v, t->nbytes);
	return t;
}

/* Resize-13 node X, roi, scales|sizes with the given attributes. */
static struct aimet_node *rs_node(const char *mode, const char *ct, const char *nm, int use_sizes)
{
	struct aimet_node *n = h_node("Resize", use_sizes ? 4 : 3, 1);
	if (mode) h_attr_str(n, "mode", mode);
	if (ct) h_attr_str(n, "coordinate_transformation_mode", ct);
	if (nm) h_attr_str(n, "nearest_mode", nm);
	return n;
}

static void hand_cases(struct aimet_ctx *ctx)
{
	int64_t d4[4] = {1, 1, 2, 2}, d1[1] = {4};
	float xv[4] = {1, 2, 3, 4}, sv[4] = {1, 1, 2, 2};
	struct aimet_tensor *x = f32(4, d4, xv), *sc = f32(1, d1, sv), *in[4] = {x, NULL, sc, NULL}, *y;
	struct aimet_node *n = rs_node("nearest", "asymmetric", "floor", 0);
	/* 2x nearest (the ppocr_det upsampling): each value becomes a 2x2 block */
	static const float e1[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
	for (int v = 0; v < 2; v++) {
		CHECK(h_run(ctx, op_resize, n, 11, 3, in, 1, &y, v, 1) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y->dims[2] == 4 && y->dims[3] == 4, "nearest 2x shape");
		CHECK(!memcmp(y->data, e1, sizeof e1), "nearest 2x values (%s)", v ? "ref" : "fast");
		aimet_tensor_free(y);
	}
	aimet_node_free(n);
	/* linear, align_corners, 2x2 -> 3x3: corners kept, midpoints averaged */
	static const float e2[9] = {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4};
	float s2[4] = {1, 1, 1.5f, 1.5f};
	struct aimet_tensor *sc2 = f32(1, d1, s2);
	in[2] = sc2;
	n = rs_node("linear", "align_corners", NULL, 0);
	for (int v = 0; v < 2; v++) {
		CHECK(h_run(ctx, op_resize, n, 13, 3, in, 1, &y, v, 1) == 0, "%s", aimet_errmsg(ctx));
		struct aimet_tensor *want = f32(4, (int64_t[]){1, 1, 3, 3}, e2);
		CHECK(h_max_rel_err(y, want) < 1e-7, "align_corners values");
		aimet_tensor_free(want);
		aimet_tensor_free(y);
	}
	aimet_node_free(n);
	/* Upsample-7 with the scales attribute: nearest, floor of x/scale */
	n = h_node("Upsample", 1, 1);
	h_attr_floats(n, "scales", 4, (float[]){1, 1, 1, 3});
	{
		static const float e3[12] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4};
		CHECK(h_run(ctx, op_upsample, n, 7, 1, in, 1, &y, 0, 1) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y->dims[3] == 6 && !memcmp(y->data, e3, sizeof e3), "Upsample-7 nearest");
		aimet_tensor_free(y);
	}
	aimet_node_free(n);
	/* Resize-10: asymmetric coordinates; linear clamps at the edge, nearest floors when
	 * upsampling and takes the ceiling when downsampling (as ONNX Runtime does) */
	{
		int64_t dr[4] = {1, 1, 1, 4};
		struct aimet_tensor *xr = f32(4, dr, (float[]){1, 3, 5, 7});
		struct aimet_tensor *up = f32(1, d1, (float[]){1, 1, 1, 2}), *down = f32(1, d1, (float[]){1, 1, 1, 0.5f});
		struct aimet_tensor *i_up[2] = {xr, up}, *i_dn[2] = {xr, down};
		static const float e_lin[8] = {1, 2, 3, 4, 5, 6, 7, 7}, e_dn[2] = {1, 5};
		n = h_node("Resize", 2, 1);
		h_attr_str(n, "mode", "linear");
		for (int v = 0; v < 2; v++) {
			CHECK(h_run(ctx, op_resize, n, 10, 2, i_up, 1, &y, v, 1) == 0, "%s", aimet_errmsg(ctx));
			CHECK(y->dims[3] == 8 && !memcmp(y->data, e_lin, sizeof e_lin), "Resize-10 linear (%s)", v ? "ref" : "fast");
			aimet_tensor_free(y);
		}
		aimet_node_free(n);
		n = h_node("Resize", 2, 1);
		for (int v = 0; v < 2; v++) {
			CHECK(h_run(ctx, op_resize, n, 10, 2, i_dn, 1, &y, v, 1) == 0, "%s", aimet_errmsg(ctx));
			CHECK(y->dims[3] == 2 && !memcmp(y->data, e_dn, sizeof e_dn), "Resize-10 nearest down (%s)", v ? "ref" : "fast");
			aimet_tensor_free(y);
		}
		aimet_node_free(n);
		aimet_tensor_free(xr); aimet_tensor_free(up); aimet_tensor_free(down);
	}
	/* opset 18 axes + keep_aspect_ratio_policy: sizes [3, 3] on a 4x6 map */
	{
		int64_t dk[4] = {1, 1, 4, 6}, d2[1] = {2};
		uint32_t seed = 3;
		static const char *pol[2] = {"not_larger", "not_smaller"};
		static const int64_t want[2][2] = {{2, 3}, {3, 5}};
		struct aimet_tensor *xk = h_tensor_rand(4, dk, &seed, 0, 1), *sz = h_tensor_i64(1, d2, (int64_t[]){3, 3});
		struct aimet_tensor *ik[4] = {xk, NULL, NULL, sz}, *yr;
		for (int k = 0; k < 2; k++) {
			n = rs_node("linear", NULL, NULL, 1);
			h_attr_ints(n, "axes", 2, (int64_t[]){2, 3});
			h_attr_str(n, "keep_aspect_ratio_policy", pol[k]);
			CHECK(h_run(ctx, op_resize, n, 18, 4, ik, 1, &y, 0, 1) == 0, "%s", aimet_errmsg(ctx));
			CHECK(h_run(ctx, op_resize, n, 18, 4, ik, 1, &yr, 1, 1) == 0, "%s", aimet_errmsg(ctx));
			CHECK(y->dims[2] == want[k][0] && y->dims[3] == want[k][1], "%s shape %lldx%lld", pol[k],
			      (long long)y->dims[2], (long long)y->dims[3]);
			CHECK(h_max_rel_err(y, yr) < 1e-6, "%s fast vs ref", pol[k]);
			aimet_tensor_free(y);
			aimet_tensor_free(yr);
			aimet_node_free(n);
		}
		aimet_tensor_free(xk);
		aimet_tensor_free(sz);
	}
	aimet_tensor_free(x);
	aimet_tensor_free(sc);
	aimet_tensor_free(sc2);
}

static void sweep(struct aimet_ctx *ctx)
{
	static const char *modes[] = {"nearest", "linear", "cubic"};
	static const char *cts[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
	                            "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
	static const char *nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
	uint32_t seed = 12345;
	int worst_case = -1;
	double worst = 0;
	for (int it = 0; it < 240; it++) {
		int use_sizes = h_rand_int(&seed, 0, 1), rank = h_rand_int(&seed, 1, 4);
		int mode = h_rand_int(&seed, 0, 2), ct = h_rand_int(&seed, 0, 6), nm = h_rand_int(&seed, 0, 3);
		int64_t dims[4], d1[1] = {rank}, d2[1] = {2 * rank};
		float scales[4], roi[8];
		int64_t sizes[4];
		for (int i = 0; i < rank; i++) {
			dims[i] = h_rand_int(&seed, 1, i + 2 >= rank ? 9 : 3);
			/* the last two axes get real resampling; leading axes mostly unchanged */
			scales[i] = i + 2 >= rank ? (float)h_rand_int(&seed, 1, 12) / 4.0f : 1.0f;
			sizes[i] = i + 2 >= rank ? h_rand_int(&seed, 1, 14) : dims[i];
			roi[i] = h_rand_uniform(&seed, -0.2f, 0.5f);
			roi[rank + i] = h_rand_uniform(&seed, 0.5f, 1.2f);
		}
		struct aimet_node *n = rs_node(modes[mode], cts[ct], nms[nm], use_sizes);
		h_attr_float(n, "extrapolation_value", -7.0f);
		if (h_rand_int(&seed, 0, 1))
			h_attr_int(n, "exclude_outside", 1);
		if (mode == 2 && h_rand_int(&seed, 0, 1))
			h_attr_float(n, "cubic_coeff_a", -0.5f);
		struct aimet_tensor *x = h_tensor_rand(rank, dims, &seed, -3, 3);
		struct aimet_tensor *r = f32(1, d2, roi), *s = f32(1, d1, scales);
		struct aimet_tensor *z = h_tensor_i64(1, d1, sizes);
		struct aimet_tensor *in[4] = {x, r, use_sizes ? NULL : s, use_sizes ? z : NULL}, *y[3];
		int st = 0;
		for (int v = 0; v < 3 && !st; v++)
			st = h_run(ctx, op_resize, n, 19, use_sizes ? 4 : 3, in, 1, &y[v], v == 0, v == 2 ? 2 : 1);
		CHECK(st == 0, "sweep %d: %s", it, aimet_errmsg(ctx));
		if (!st) {
			double e = h_max_rel_err(y[1], y[0]);
			if (e > worst) { worst = e; worst_case = it; }
			CHECK(e < 1e-5, "sweep %d (%s %s %s sizes=%d rank %d): fast vs ref %g", it, modes[mode],
			      cts[ct], nms[nm], use_sizes, rank, e);
			CHECK(aimet_tensor_equal(y[1], y[2]), "sweep %d: -j1 vs -j2 differ", it);
			for (int v = 0; v < 3; v++) aimet_tensor_free(y[v]);
		}
		aimet_tensor_free(x); aimet_tensor_free(r); aimet_tensor_free(s); aimet_tensor_free(z);
		aimet_node_free(n);
	}
	printf("resize sweep: worst fast/ref relative error %.3g (case %d)\n", worst, worst_case);
	/* big enough to take the threaded path: nearest 2x on a feature map, and bilinear */
	for (int m = 0; m < 2; m++) {
		int64_t dims[4] = {1, 24, 40, 40}, d1[1] = {4};
		struct aimet_node *n = rs_node(modes[m], m ? "half_pixel" : "asymmetric", "floor", 0);
		struct aimet_tensor *x = h_tensor_rand(4, dims, &seed, -1, 1);
		struct aimet_tensor *s = f32(1, d1, (float[]){1, 1, 2, 2}), *in[3] = {x, NULL, s}, *y[3];
		for (int v = 0; v < 3; v++)
			CHECK(h_run(ctx, op_resize, n, 13, 3, in, 1, &y[v], v == 0, v == 2 ? 2 : 1) == 0, "%s", aimet_errmsg(ctx));
		CHECK(h_max_rel_err(y[1], y[0]) < 1e-6, "big %s: fast vs ref", modes[m]);
		CHECK(aimet_tensor_equal(y[1], y[2]), "big %s: -j1 vs -j2", modes[m]);
		for (int v = 0; v < 3; v++) aimet_tensor_free(y[v]);
		aimet_tensor_free(x); aimet_tensor_free(s); aimet_node_free(n);
	}
}

static void errors(struct aimet_ctx *ctx)
{
	int64_t d4[4] = {1, 1, 2, 2}, d1[1] = {4}, d3[1] = {3};
	uint32_t seed = 7;
	struct aimet_tensor *x = h_tensor_rand(4, d4, &seed, 0, 1), *y;
	struct aimet_tensor *s = f32(1, d1, (float[]){1, 1, 2, 2});
	struct aimet_tensor *bad = f32(1, d1, (float[]){1, 1, -2, 2}), *short3 = f32(1, d3, (float[]){1, 2, 2});
	struct aimet_tensor *z = h_tensor_i64(1, d1, (int64_t[]){1, 1, 4, 4});
	struct aimet_node *n = rs_node("nearest", NULL, NULL, 1);
	struct aimet_tensor *both[4] = {x, NULL, s, z}, *neg[3] = {x, NULL, bad}, *shrt[3] = {x, NULL, short3};
	CHECK(h_run(ctx, op_resize, n, 13, 4, both, 1, &y, 1, 1) == AIMET_ERR_INVALID, "scales and sizes");
	aimet_tensor_free(y);
	CHECK(h_run(ctx, op_resize, n, 13, 3, neg, 1, &y, 1, 1) == AIMET_ERR_INVALID, "negative scale");
	aimet_tensor_free(y);
	CHECK(h_run(ctx, op_resize, n, 13, 3, shrt, 1, &y, 1, 1) == AIMET_ERR_INVALID, "short scales");
	aimet_tensor_free(y);
	aimet_node_free(n);
	n = rs_node("bicubic", NULL, NULL, 0);
	struct aimet_tensor *ok[3] = {x, NULL, s};
	CHECK(h_run(ctx, op_resize, n, 13, 3, ok, 1, &y, 1, 1) == AIMET_ERR_INVALID, "bad mode");
	aimet_tensor_free(y);
	aimet_node_free(n);
	n = rs_node("nearest", "sideways", NULL, 0);
	CHECK(h_run(ctx, op_resize, n, 13, 3, ok, 1, &y, 1, 1) == AIMET_ERR_INVALID, "bad coordinate mode");
	aimet_tensor_free(y);
	aimet_node_free(n);
	/* scales known only at run time: infer must refuse rather than guess */
	n = rs_node("nearest", NULL, NULL, 0);
	struct aimet_tensor nodata = *s;
	nodata.data = NULL;
	struct aimet_tensor *nd[3] = {x, NULL, &nodata};
	CHECK(h_run(ctx, op_resize, n, 13, 3, nd, 1, &y, 1, 1) == AIMET_ERR_UNSUPPORTED, "non-constant scales");
	aimet_tensor_free(y);
	aimet_node_free(n);
	/* antialias when downsampling (opset 18) is refused, not ignored */
	n = rs_node("linear", NULL, NULL, 0);
	h_attr_int(n, "antialias", 1);
	struct aimet_tensor *half = f32(1, d1, (float[]){1, 1, 0.5f, 0.5f}), *dn[3] = {x, NULL, half};
	CHECK(h_run(ctx, op_resize, n, 18, 3, dn, 1, &y, 1, 1) == AIMET_ERR_UNSUPPORTED, "antialias");
	aimet_tensor_free(y);
	aimet_node_free(n);
	/* linear on integers is refused (nearest on integers is fine) */
	struct aimet_tensor *xi = h_tensor_i64(4, d4, (int64_t[]){1, 2, 3, 4}), *li[3] = {xi, NULL, s};
	n = rs_node("linear", NULL, NULL, 0);
	CHECK(h_run(ctx, op_resize, n, 13, 3, li, 1, &y, 1, 1) == AIMET_ERR_UNSUPPORTED, "linear int64");
	aimet_tensor_free(y);
	aimet_node_free(n);
	n = rs_node("nearest", "asymmetric", "floor", 0);
	CHECK(h_run(ctx, op_resize, n, 13, 3, li, 1, &y, 0, 1) == 0, "nearest int64: %s", aimet_errmsg(ctx));
	CHECK(y->dtype == AIMET_INT64 && ((int64_t *)y->data)[15] == 4, "nearest int64 values");
	aimet_tensor_free(y);
	aimet_node_free(n);
	aimet_tensor_free(x); aimet_tensor_free(s); aimet_tensor_free(bad); aimet_tensor_free(short3);
	aimet_tensor_free(z); aimet_tensor_free(half); aimet_tensor_free(xi);
}

/* Random, often invalid scales/sizes/roi/attributes: refuse or run; never a crash. */
static void hostile(struct aimet_ctx *ctx)
{
	static const float fv[] = {0, -1, 1e-30f, 0.5f, 1, 2, 3.7f, 1e6f, 1e30f, INFINITY, NAN};
	static const int64_t iv[] = {-1, 0, 1, 2, 5, 1000000, INT64_MAX};
	static const char *modes[] = {"nearest", "linear", "cubic", "x"};
	static const char *cts[] = {"half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize", "pytorch_half_pixel"};
	uint32_t seed = 8080;
	int accepted = 0;
	for (int it = 0; it < 600; it++) {
		int rank = h_rand_int(&seed, 0, 4), k = h_rand_int(&seed, 0, 3) ? rank : h_rand_int(&seed, 0, 5);
		int use_sizes = h_rand_int(&seed, 0, 1), opset = (int[]){9, 10, 11, 13, 18, 19}[h_rand_int(&seed, 0, 5)];
		int64_t d[4], dk[1] = {k}, d2k[1] = {2 * k}, sz[8];
		float sc[8], roi[16];
		for (int i = 0; i < rank; i++) d[i] = h_rand_int(&seed, 0, 4);
		for (int i = 0; i < 8; i++) {
			sc[i] = h_rand_int(&seed, 0, 2) ? (float)h_rand_int(&seed, 1, 8) / 4 : fv[h_rand_int(&seed, 0, 10)];
			sz[i] = h_rand_int(&seed, 0, 2) ? h_rand_int(&seed, 0, 6) : iv[h_rand_int(&seed, 0, 6)];
		}
		for (int i = 0; i < 16; i++)
			roi[i] = h_rand_int(&seed, 0, 3) ? h_rand_uniform(&seed, -1, 2) : fv[h_rand_int(&seed, 0, 10)];
		struct aimet_node *n = h_node(it % 5 ? "Resize" : "Upsample", 4, 1);
		h_attr_str(n, "mode", modes[h_rand_int(&seed, 0, 3)]);
		h_attr_str(n, "coordinate_transformation_mode", cts[h_rand_int(&seed, 0, 4)]);
		if (h_rand_int(&seed, 0, 1)) h_attr_int(n, "exclude_outside", 1);
		if (h_rand_int(&seed, 0, 3) == 0) h_attr_ints(n, "axes", 2, (int64_t[]){h_rand_int(&seed, -5, 4), h_rand_int(&seed, -5, 4)});
		if (h_rand_int(&seed, 0, 3) == 0) h_attr_str(n, "keep_aspect_ratio_policy", "not_smaller");
		if (h_rand_int(&seed, 0, 3) == 0) h_attr_floats(n, "scales", k, sc);
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -1, 1);
		struct aimet_tensor *t_roi = aimet_tensor_new(NULL, AIMET_FLOAT, 1, d2k);
		struct aimet_tensor *t_sc = aimet_tensor_new(NULL, AIMET_FLOAT, 1, dk), *t_sz = h_tensor_i64(1, dk, sz);
		aimet_tensor_alloc(NULL, t_roi);
		aimet_tensor_alloc(NULL, t_sc);
		memcpy(t_roi->data, roi, t_roi->nbytes);
		memcpy(t_sc->data, sc, t_sc->nbytes);
		struct aimet_tensor *in[4] = {x, h_rand_int(&seed, 0, 3) ? t_roi : NULL,
		                              use_sizes && opset >= 13 ? NULL : t_sc, use_sizes ? t_sz : NULL};
		if (opset < 11) in[1] = t_sc;
		if (it % 9 == 0) x->dtype = AIMET_INT32;   /* same bytes, reinterpreted */
		int st = nc_try(ctx, it % 5 ? op_resize : op_upsample, n, opset, h_rand_int(&seed, 1, 4), in, 1);
		accepted += st == 0;
		x->dtype = AIMET_FLOAT;
		aimet_tensor_free(x); aimet_tensor_free(t_roi); aimet_tensor_free(t_sc); aimet_tensor_free(t_sz);
		aimet_node_free(n);
	}
	CHECK(accepted > 30 && accepted < 570, "hostile resize sweep accepted %d of 600", accepted);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	int ran;
	op_resize = aimet_op_find("", "Resize");
	op_upsample = aimet_op_find("", "Upsample");
	CHECK(op_resize && op_upsample, "Resize/Upsample registered");
	if (!op_resize || !op_upsample)
		return test_done();
	hand_cases(ctx);
	sweep(ctx);
	errors(ctx);
	hostile(ctx);
	ran = nc_run_all("test_resize_*", "Resize") + nc_run_all("test_upsample_*", "Upsample");
	printf("node cases run: %d\n", ran);
	aimet_ctx_free(ctx);
	return test_done();
}
