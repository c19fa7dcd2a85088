/* test_norm.c: BatchNormalization, LayerNormalization, InstanceNormalization, LRN, Softmax,
 * LogSoftmax, Hardmax, DepthToSpace and SpaceToDepth — node cases run directly, hand-computed
 * cases, fast vs reference sweeps, thread invariance, opset semantics and infer errors. */
#include "nodecase.h"

static struct aimet_tensor *f32(int ndim, const int64_t *dims, const float *v)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_FLOAT, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) exit(2);
	memcpy(t->data, v, t->nbytes);
	return t;
}

/* Run fast (-j1), fast (-j2) and ref; check agreement; returns the ref outputs in ref[]. */
static int run3(struct aimet_ctx *ctx, const char *what, const struct aimet_node *n, int64_t opset,
                int n_in, struct aimet_tensor **in, int n_out, struct aimet_tensor **ref,
                double tol)
{
	const struct aimet_op *op = aimet_op_find("", n->op_type);
	struct aimet_tensor *f1[4] = {0}, *f2[4] = {0};
	int st = 0;
	st = h_run(ctx, op, n, opset, n_in, in, n_out, ref, 1, 1);
	if (!st) st = h_run(ctx, op, n, opset, n_in, in, n_out, f1, 0, 1);
	if (!st) st = h_run(ctx, op, n, opset, n_in, in, n_out, f2, 0, 2);
	CHECK(st == 0, "%s: %s", what, aimet_errmsg(ctx));
	for (int i = 0; !st && i < n_out; i++) {
		double e = h_max_rel_err(f1[i], ref[i]);
		CHECK(e <= tol, "%s: output %d fast vs ref %g", what, i, e);
		CHECK(aimet_tensor_equal(f1[i], f2[i]), "%s: output %d -j1 vs -j2 differ", what, i);
	}
	for (int i = 0; i < n_out; i++) {
		aimet_tensor_free(f1[i]);
		aimet_tensor_free(f2[i]);
	}
	return st;
}

static void batchnorm(struct aimet_ctx *ctx)
{
	uint32_t seed = 99;
	/* hand case: x=[1,2] per channel, scale 2, bias 1, mean 1, var 3 (+eps 1 -> std 2) */
	int64_t dx[4] = {1, 2, 1, 1}, dc[1] = {2};
	struct aimet_tensor *in[5] = {f32(4, dx, (float[]){5, 9}), f32(1, dc, (float[]){2, 0.5f}),
	                              f32(1, dc, (float[]){1, -1}), f32(1, dc, (float[]){1, 1}),
	                              f32(1, dc, (float[]){3, 15})}, *y[3];
	struct aimet_node *n = h_node("BatchNormalization", 5, 1);
	h_attr_float(n, "epsilon", 1);
	CHECK(run3(ctx, "bn hand", n, 15, 5, in, 1, y, 1e-7) == 0, "bn hand");
	/* (5-1)/2*2+1 = 5; (9-1)/4*0.5-1 = 0 */
	CHECK(((float *)y[0]->data)[0] == 5 && fabsf(((float *)y[0]->data)[1]) < 1e-7f, "bn hand values");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	for (int i = 0; i < 5; i++) aimet_tensor_free(in[i]);
	/* sweep: random shapes and ranks, opset 9 and 15 */
	for (int it = 0; it < 40; it++) {
		int rank = h_rand_int(&seed, 2, 5);
		int64_t d[5], c;
		for (int i = 0; i < rank; i++)
			d[i] = h_rand_int(&seed, 1, i == 1 ? 9 : 7);
		if (it == 0) { rank = 4; d[0] = 2; d[1] = 16; d[2] = 40; d[3] = 50; }
		c = d[1];
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -3, 3);
		struct aimet_tensor *p[4];
		for (int i = 0; i < 4; i++)
			p[i] = h_tensor_rand(1, &c, &seed, i == 3 ? 0.1f : -1, i == 3 ? 2 : 1);
		struct aimet_tensor *bin[5] = {x, p[0], p[1], p[2], p[3]}, *yr[1];
		n = h_node("BatchNormalization", 5, 1);
		if (it & 1) h_attr_float(n, "epsilon", 1e-3f);
		run3(ctx, "bn sweep", n, it % 2 ? 9 : 15, 5, bin, 1, yr, 2e-6);
		aimet_tensor_free(yr[0]);
		aimet_node_free(n);
		aimet_tensor_free(x);
		for (int i = 0; i < 4; i++) aimet_tensor_free(p[i]);
	}
	/* opset 7 spatial=0: one parameter per (channel, position) */
	{
		int64_t d[4] = {2, 2, 1, 3}, dp[3] = {2, 1, 3};
		struct aimet_tensor *x = h_tensor_rand(4, d, &seed, -2, 2), *p[4], *yo[1];
		for (int i = 0; i < 4; i++) p[i] = h_tensor_rand(3, dp, &seed, i == 3 ? 0.5f : -1, 1);
		struct aimet_tensor *bin[5] = {x, p[0], p[1], p[2], p[3]};
		n = h_node("BatchNormalization", 5, 1);
		h_attr_int(n, "spatial", 0);
		if (run3(ctx, "bn spatial=0", n, 7, 5, bin, 1, yo, 2e-6) == 0) {
			/* element (n=1, c=1, w=2) uses parameter index c*3 + 2 = 5 */
			double e = (((float *)x->data)[11] - ((float *)p[2]->data)[5]) /
			           sqrt(((float *)p[3]->data)[5] + 1e-5) * ((float *)p[0]->data)[5] + ((float *)p[1]->data)[5];
			CHECK(fabs(((float *)yo[0]->data)[11] - e) < 1e-5, "bn spatial=0 value");
			aimet_tensor_free(yo[0]);
		}
		aimet_node_free(n);
		aimet_tensor_free(x);
		for (int i = 0; i < 4; i++) aimet_tensor_free(p[i]);
	}
	/* fused clamp: the planner sets act_lo/act_hi; emulate it directly */
	{
		int64_t d[4] = {1, 3, 4, 4}, c = 3;
		struct aimet_tensor *x = h_tensor_rand(4, d, &seed, -3, 3), *p[4], *yo[2];
		for (int i = 0; i < 4; i++) p[i] = h_tensor_rand(1, &c, &seed, i == 3 ? 0.5f : -1, 1);
		struct aimet_tensor *bin[5] = {x, p[0], p[1], p[2], p[3]};
		const struct aimet_op *op = aimet_op_find("", "BatchNormalization");
		n = h_node("BatchNormalization", 5, 1);
		CHECK(op->fuse_clamp == 1, "bn fuse_clamp");
		for (int v = 0; v < 2; v++) {
			struct aimet_op_ctx oc;
			memset(&oc, 0, sizeof oc);
			oc.ctx = ctx; oc.node = n; oc.opset = 15; oc.n_in = 5; oc.n_out = 1; oc.in = bin;
			oc.out = &yo[v]; oc.threads = 1; oc.act_lo = 0; oc.act_hi = 6;
			yo[v] = aimet_tensor_new(NULL, AIMET_UNDEFINED, 0, NULL);
			CHECK(op->infer(&oc) == 0 && aimet_tensor_alloc(ctx, yo[v]) == 0 && op->prepare(&oc) == 0, "bn clamp prepare");
			if (oc.workspace_size) oc.workspace = malloc(oc.workspace_size);
			(v ? op->ref : op->run)(&oc);
			free(oc.workspace);
			op->free_state(oc.state);
			float mn = 1e9f, mx = -1e9f;
			for (int i = 0; i < 48; i++) {
				float e = ((float *)yo[v]->data)[i];
				mn = e < mn ? e : mn; mx = e > mx ? e : mx;
			}
			CHECK(mn >= 0 && mx <= 6, "bn clamp range (%s) [%g, %g]", v ? "ref" : "fast", mn, mx);
		}
		CHECK(h_max_rel_err(yo[0], yo[1]) < 2e-6, "bn clamp fast vs ref");
		aimet_tensor_free(yo[0]); aimet_tensor_free(yo[1]);
		aimet_node_free(n);
		aimet_tensor_free(x);
		for (int i = 0; i < 4; i++) aimet_tensor_free(p[i]);
	}
	/* parameters known only at run time (data NULL at prepare) still work */
	{
		int64_t d[4] = {2, 3, 5, 5}, c = 3;
		struct aimet_tensor *x = h_tensor_rand(4, d, &seed, -3, 3), *p[4], *y1, *y2;
		for (int i = 0; i < 4; i++) p[i] = h_tensor_rand(1, &c, &seed, i == 3 ? 0.5f : -1, 1);
		struct aimet_tensor *bin[5] = {x, p[0], p[1], p[2], p[3]};
		const struct aimet_op *op = aimet_op_find("", "BatchNormalization");
		struct aimet_op_ctx oc;
		n = h_node("BatchNormalization", 5, 1);
		CHECK(h_run(ctx, op, n, 15, 5, bin, 1, &y1, 1, 1) == 0, "bn ref");
		memset(&oc, 0, sizeof oc);
		oc.ctx = ctx; oc.node = n; oc.opset = 15; oc.n_in = 5; oc.n_out = 1; oc.in = bin;
		oc.out = &y2; oc.threads = 1; oc.act_lo = -INFINITY; oc.act_hi = INFINITY;
		y2 = aimet_tensor_new(NULL, AIMET_UNDEFINED, 0, NULL);
		void *saved = p[2]->data;
		p[2]->data = NULL;
		CHECK(op->infer(&oc) == 0 && aimet_tensor_alloc(ctx, y2) == 0 && op->prepare(&oc) == 0, "bn runtime prepare");
		p[2]->data = saved;
		CHECK(oc.state == NULL && oc.workspace_size >= 6 * sizeof(float), "bn runtime params use the workspace");
		oc.workspace = malloc(oc.workspace_size);
		op->run(&oc);
		free(oc.workspace);
		CHECK(h_max_rel_err(y2, y1) < 2e-6, "bn runtime params fast vs ref");
		aimet_tensor_free(y1); aimet_tensor_free(y2);
		aimet_node_free(n);
		aimet_tensor_free(x);
		for (int i = 0; i < 4; i++) aimet_tensor_free(p[i]);
	}
	/* errors: wrong parameter length; extra outputs outside training mode */
	{
		int64_t d[4] = {1, 3, 2, 2}, c = 3, c2 = 2;
		struct aimet_tensor *x = h_tensor_rand(4, d, &seed, -1, 1), *p = h_tensor_rand(1, &c, &seed, 1, 2);
		struct aimet_tensor *q = h_tensor_rand(1, &c2, &seed, 1, 2), *y[3] = {0};
		struct aimet_tensor *bad[5] = {x, p, p, q, p}, *good[5] = {x, p, p, p, p};
		const struct aimet_op *op = aimet_op_find("", "BatchNormalization");
		n = h_node("BatchNormalization", 5, 1);
		CHECK(h_run(ctx, op, n, 15, 5, bad, 1, y, 1, 1) == AIMET_ERR_INVALID, "bn param length");
		aimet_tensor_free(y[0]);
		aimet_node_free(n);
		n = h_node("BatchNormalization", 5, 3);
		CHECK(h_run(ctx, op, n, 15, 5, good, 3, y, 1, 1) == AIMET_ERR_UNSUPPORTED, "bn outputs w/o training");
		for (int i = 0; i < 3; i++) aimet_tensor_free(y[i]);
		aimet_node_free(n);
		aimet_tensor_free(x); aimet_tensor_free(p); aimet_tensor_free(q);
	}
}

static void layernorm(struct aimet_ctx *ctx)
{
	uint32_t seed = 5;
	for (int it = 0; it < 40; it++) {
		int rank = h_rand_int(&seed, 1, 4), axis = h_rand_int(&seed, -rank, rank - 1), a = axis < 0 ? axis + rank : axis;
		int64_t d[4], pd[4];
		int np = rank - a, full = it % 3 != 0, with_b = it % 4 != 1;
		for (int i = 0; i < rank; i++) d[i] = h_rand_int(&seed, 1, 9);
		if (it == 0) { rank = 3; d[0] = 4; d[1] = 64; d[2] = 384; axis = a = 2; np = 1; }
		for (int i = 0; i < np; i++) pd[i] = full ? d[a + i] : (i == np - 1 ? d[rank - 1] : 1);
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -2, 4);
		struct aimet_tensor *s = h_tensor_rand(np, pd, &seed, 0.5f, 1.5f), *b = h_tensor_rand(np, pd, &seed, -1, 1);
		struct aimet_tensor *in[3] = {x, s, with_b ? b : NULL}, *y[3];
		struct aimet_node *n = h_node("LayerNormalization", 3, 3);
		h_attr_int(n, "axis", axis);
		if (run3(ctx, "layernorm", n, 17, 3, in, 3, y, 2e-6) == 0) {
			/* independent check of row 0: mean/invstd outputs and y */
			int64_t m = 1;
			double sum = 0, sq = 0;
			for (int i = a; i < rank; i++) m *= d[i];
			for (int64_t j = 0; j < m; j++) sum += ((float *)x->data)[j];
			for (int64_t j = 0; j < m; j++) sq += pow(((float *)x->data)[j] - sum / m, 2);
			CHECK(fabs(((float *)y[1]->data)[0] - sum / m) < 1e-5, "layernorm mean");
			CHECK(fabs(((float *)y[2]->data)[0] - 1 / sqrt(sq / m + 1e-5)) < 1e-4 * (1 / sqrt(sq / m + 1e-5)), "layernorm invstd");
			CHECK(y[1]->ndim == rank && y[1]->dims[rank - 1] == 1, "layernorm mean shape");
			for (int i = 0; i < 3; i++) aimet_tensor_free(y[i]);
		}
		aimet_node_free(n);
		aimet_tensor_free(x); aimet_tensor_free(s); aimet_tensor_free(b);
	}
	/* bad axis; scale that does not broadcast */
	int64_t d[2] = {3, 4}, bad[1] = {3};
	struct aimet_tensor *x = h_tensor_rand(2, d, &seed, 0, 1), *s = h_tensor_rand(1, bad, &seed, 0, 1), *y[1];
	struct aimet_tensor *in[2] = {x, s};
	struct aimet_node *n = h_node("LayerNormalization", 2, 1);
	CHECK(h_run(ctx, aimet_op_find("", "LayerNormalization"), n, 17, 2, in, 1, y, 1, 1) == AIMET_ERR_INVALID, "ln broadcast");
	aimet_tensor_free(y[0]);
	h_attr_int(n, "axis", 2);
	CHECK(h_run(ctx, aimet_op_find("", "LayerNormalization"), n, 17, 2, in, 1, y, 1, 1) == AIMET_ERR_INVALID, "ln axis");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	aimet_tensor_free(x); aimet_tensor_free(s);
}

static void instnorm_lrn(struct aimet_ctx *ctx)
{
	uint32_t seed = 17;
	for (int it = 0; it < 20; it++) {
		int rank = h_rand_int(&seed, 2, 5);
		int64_t d[5], c;
		for (int i = 0; i < rank; i++) d[i] = h_rand_int(&seed, 1, 8);
		if (it == 0) { rank = 4; d[0] = 2; d[1] = 8; d[2] = 64; d[3] = 64; }
		c = d[1];
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -2, 5), *s = h_tensor_rand(1, &c, &seed, 0, 2);
		struct aimet_tensor *b = h_tensor_rand(1, &c, &seed, -1, 1), *in[3] = {x, s, b}, *y[1];
		struct aimet_node *n = h_node("InstanceNormalization", 3, 1);
		if (run3(ctx, "instancenorm", n, 6, 3, in, 1, y, 2e-6) == 0)
			aimet_tensor_free(y[0]);
		aimet_node_free(n);
		n = h_node("LRN", 1, 1);
		h_attr_int(n, "size", h_rand_int(&seed, 1, 5));
		if (run3(ctx, "lrn", n, 13, 1, in, 1, y, 1e-6) == 0)
			aimet_tensor_free(y[0]);
		aimet_node_free(n);
		aimet_tensor_free(x); aimet_tensor_free(s); aimet_tensor_free(b);
	}
	/* LRN hand case: size 3 over 3 channels of one pixel, alpha 3, bias 1, beta 1:
	 * y_c = x_c / (1 + sum of squares in the window) */
	int64_t d[4] = {1, 3, 1, 1};
	struct aimet_tensor *x = f32(4, d, (float[]){1, 2, 3}), *y[1];
	struct aimet_node *n = h_node("LRN", 1, 1);
	h_attr_int(n, "size", 3);
	h_attr_float(n, "alpha", 3);
	h_attr_float(n, "beta", 1);
	CHECK(h_run(ctx, aimet_op_find("", "LRN"), n, 13, 1, &x, 1, y, 1, 1) == 0, "lrn hand");
	CHECK(fabsf(((float *)y[0]->data)[0] - 1.0f / 6) < 1e-6f && fabsf(((float *)y[0]->data)[1] - 2.0f / 15) < 1e-6f &&
	      fabsf(((float *)y[0]->data)[2] - 3.0f / 14) < 1e-6f, "lrn hand values");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	n = h_node("LRN", 1, 1);
	CHECK(h_run(ctx, aimet_op_find("", "LRN"), n, 13, 1, &x, 1, y, 1, 1) == AIMET_ERR_INVALID, "lrn without size");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	aimet_tensor_free(x);
}

static void softmax(struct aimet_ctx *ctx)
{
	static const char *ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
	uint32_t seed = 23;
	for (int it = 0; it < 90; it++) {
		int rank = h_rand_int(&seed, 1, 4), axis = h_rand_int(&seed, -rank, rank - 1);
		int opset = it % 2 ? 11 : 13;
		int64_t d[4];
		for (int i = 0; i < rank; i++) d[i] = h_rand_int(&seed, 1, 9);
		if (it < 6) { rank = 3; d[0] = 8; d[1] = 40; d[2] = 6625; axis = it < 3 ? 2 : 1; }
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -8, 8), *y[1];
		struct aimet_node *n = h_node(ops[it % 3], 1, 1);
		h_attr_int(n, "axis", axis);
		if (run3(ctx, ops[it % 3], n, opset, 1, &x, 1, y, 2e-6) == 0) {
			if (it % 3 == 0) {
				/* every reduced group sums to 1: check group 0 */
				int a = axis < 0 ? axis + rank : axis;
				int64_t len = 1, inner = 1;
				double sum = 0;
				if (opset >= 13) {
					len = d[a];
					for (int i = a + 1; i < rank; i++) inner *= d[i];
				} else {
					for (int i = a; i < rank; i++) len *= d[i];
				}
				for (int64_t l = 0; l < len; l++) sum += ((float *)y[0]->data)[l * inner];
				CHECK(fabs(sum - 1) < 1e-5, "softmax group sums to %g (opset %d)", sum, opset);
			}
			aimet_tensor_free(y[0]);
		}
		aimet_node_free(n);
		aimet_tensor_free(x);
	}
	/* opset semantics: [2,3] axis=0 before 13 normalises over all 6 values, from 13 per column */
	int64_t d[2] = {2, 3};
	struct aimet_tensor *x = f32(2, d, (float[]){0, 0, 0, 0, 0, 0}), *y[1];
	struct aimet_node *n = h_node("Softmax", 1, 1);
	h_attr_int(n, "axis", 0);
	CHECK(h_run(ctx, aimet_op_find("", "Softmax"), n, 11, 1, &x, 1, y, 0, 1) == 0 &&
	      fabsf(((float *)y[0]->data)[0] - 1.0f / 6) < 1e-7f, "softmax-11 coerces to 2-D");
	aimet_tensor_free(y[0]);
	CHECK(h_run(ctx, aimet_op_find("", "Softmax"), n, 13, 1, &x, 1, y, 0, 1) == 0 &&
	      fabsf(((float *)y[0]->data)[0] - 0.5f) < 1e-7f, "softmax-13 along one axis");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	n = h_node("Softmax", 1, 1);
	h_attr_int(n, "axis", 2);
	CHECK(h_run(ctx, aimet_op_find("", "Softmax"), n, 13, 1, &x, 1, y, 0, 1) == AIMET_ERR_INVALID, "softmax bad axis");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	aimet_tensor_free(x);
}

static void depth_space(struct aimet_ctx *ctx)
{
	uint32_t seed = 77;
	for (int it = 0; it < 20; it++) {
		int64_t b = h_rand_int(&seed, 1, 3), d[4];
		d[0] = h_rand_int(&seed, 1, 2);
		d[1] = b * b * h_rand_int(&seed, 1, 3);
		d[2] = h_rand_int(&seed, 1, 5);
		d[3] = h_rand_int(&seed, 1, 5);
		struct aimet_tensor *x = h_tensor_rand(4, d, &seed, -1, 1), *y[1], *z[1];
		struct aimet_node *n = h_node("DepthToSpace", 1, 1), *m = h_node("SpaceToDepth", 1, 1);
		h_attr_int(n, "blocksize", b);
		h_attr_int(m, "blocksize", b);
		if (it & 1) h_attr_str(n, "mode", "CRD");
		if (run3(ctx, "d2s", n, 13, 1, &x, 1, y, 0) == 0) {
			/* SpaceToDepth inverts DCR DepthToSpace */
			if (!(it & 1) && run3(ctx, "s2d", m, 13, 1, y, 1, z, 0) == 0) {
				CHECK(aimet_tensor_equal(z[0], x), "s2d(d2s(x)) == x");
				aimet_tensor_free(z[0]);
			}
			aimet_tensor_free(y[0]);
		}
		aimet_node_free(n);
		aimet_node_free(m);
		aimet_tensor_free(x);
	}
	/* hand case, CRD with b=2 on 4 channels of 1x1: channel k goes to pixel (k/2, k%2) */
	int64_t d[4] = {1, 4, 1, 1};
	struct aimet_tensor *x = f32(4, d, (float[]){1, 2, 3, 4}), *y[1];
	struct aimet_node *n = h_node("DepthToSpace", 1, 1);
	h_attr_int(n, "blocksize", 2);
	h_attr_str(n, "mode", "CRD");
	CHECK(h_run(ctx, aimet_op_find("", "DepthToSpace"), n, 13, 1, &x, 1, y, 0, 1) == 0 &&
	      y[0]->dims[1] == 1 && y[0]->dims[2] == 2 && ((float *)y[0]->data)[2] == 3, "d2s hand");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	n = h_node("DepthToSpace", 1, 1);
	h_attr_int(n, "blocksize", 3);
	CHECK(h_run(ctx, aimet_op_find("", "DepthToSpace"), n, 13, 1, &x, 1, y, 0, 1) == AIMET_ERR_INVALID, "d2s channels");
	aimet_tensor_free(y[0]);
	aimet_node_free(n);
	aimet_tensor_free(x);
}

/* Random attributes and shapes for every op here: refuse or run; never a crash. */
static void hostile(struct aimet_ctx *ctx)
{
	static const char *ops[] = {"BatchNormalization", "LayerNormalization", "InstanceNormalization", "LRN",
	                            "Softmax", "LogSoftmax", "Hardmax", "DepthToSpace", "SpaceToDepth"};
	static const int64_t iv[] = {-3, -1, 0, 1, 2, 3, 5, INT32_MAX, INT64_MAX, INT64_MIN};
	uint32_t seed = 4711;
	int accepted = 0;
	for (int it = 0; it < 900; it++) {
		const char *name = ops[it % 9];
		int rank = h_rand_int(&seed, 0, 5), n_in = h_rand_int(&seed, 1, 5);
		int64_t d[5], pd[5];
		for (int i = 0; i < rank; i++) d[i] = h_rand_int(&seed, 0, 4);
		int prank = h_rand_int(&seed, 0, 2);
		for (int i = 0; i < prank; i++) pd[i] = h_rand_int(&seed, 0, 1) && rank > 1 ? d[1] : h_rand_int(&seed, 0, 4);
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -2, 2), *p[4];
		for (int i = 0; i < 4; i++) p[i] = h_tensor_rand(prank, pd, &seed, -1, 1);
		struct aimet_node *n = h_node(name, n_in, h_rand_int(&seed, 1, 3));
		h_attr_int(n, "axis", iv[h_rand_int(&seed, 0, 9)]);
		if (h_rand_int(&seed, 0, 1)) h_attr_int(n, "size", iv[h_rand_int(&seed, 0, 9)]);
		if (h_rand_int(&seed, 0, 1)) h_attr_int(n, "blocksize", iv[h_rand_int(&seed, 0, 9)]);
		if (h_rand_int(&seed, 0, 1)) h_attr_float(n, "epsilon", (float[]){-1, 0, NAN, INFINITY, 1e-5f}[h_rand_int(&seed, 0, 4)]);
		if (h_rand_int(&seed, 0, 1)) h_attr_int(n, "training_mode", 1);
		if (h_rand_int(&seed, 0, 1)) h_attr_int(n, "spatial", 0);
		if (h_rand_int(&seed, 0, 3) == 0) h_attr_str(n, "mode", "CRD");
		if (h_rand_int(&seed, 0, 3) == 0) h_attr_int(n, "stash_type", h_rand_int(&seed, 0, 12));
		if (it % 13 == 0) x->dtype = AIMET_INT32;
		struct aimet_tensor *in[5] = {x, p[0], p[1], p[2], p[3]};
		int st = nc_try(ctx, aimet_op_find("", name), n, (int[]){7, 9, 11, 13, 15, 17}[h_rand_int(&seed, 0, 5)],
		                n_in, in, n->n_outputs);
		accepted += st == 0;
		x->dtype = AIMET_FLOAT;
		aimet_tensor_free(x);
		for (int i = 0; i < 4; i++) aimet_tensor_free(p[i]);
		aimet_node_free(n);
	}
	CHECK(accepted > 40 && accepted < 860, "hostile norm sweep accepted %d of 900", accepted);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	int ran = 0;
	batchnorm(ctx);
	layernorm(ctx);
	instnorm_lrn(ctx);
	softmax(ctx);
	depth_space(ctx);
	hostile(ctx);
	ran += nc_run_all("test_batchnorm_*", "BatchNormalization");
	ran += nc_run_all("test_layer_normalization_*", "LayerNormalization");
	ran += nc_run_all("test_instancenorm_*", "InstanceNormalization");
	ran += nc_run_all("test_lrn*", "LRN");
	ran += nc_run_all("test_softmax_*", "Softmax");
	ran += nc_run_all("test_logsoftmax_*", "LogSoftmax");
	ran += nc_run_all("test_hardmax_*", "Hardmax");
	ran += nc_run_all("test_depthtospace_*", "DepthToSpace");
	ran += nc_run_all("test_spacetodepth*", "SpaceToDepth");
	printf("node cases run: %d\n", ran);
	aimet_ctx_free(ctx);
	return test_done();
}
