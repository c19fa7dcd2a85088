/* test_pool.c: AveragePool, MaxPool, GlobalAveragePool, GlobalMaxPool — node cases run directly,
 * hand-computed cases, fast vs reference sweeps (kernels, strides, pads, dilations, ceil mode,
 * auto_pad, count_include_pad), thread invariance, and infer errors. */
#include "nodecase.h"

static void hand_cases(struct aimet_ctx *ctx)
{
	const struct aimet_op *avg = aimet_op_find("", "AveragePool"), *mx = aimet_op_find("", "MaxPool");
	int64_t d[4] = {1, 1, 3, 3};
	struct aimet_tensor *x = aimet_tensor_new(NULL, AIMET_FLOAT, 4, d), *y[2];
	aimet_tensor_alloc(NULL, x);
	for (int i = 0; i < 9; i++)
		((float *)x->data)[i] = (float)(i + 1);
	/* 2x2 kernel, stride 2, ceil_mode: windows {1,2,4,5} {3,6} {7,8} {9}; pads not counted */
	struct aimet_node *n = h_node("AveragePool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
	h_attr_ints(n, "strides", 2, (int64_t[]){2, 2});
	h_attr_int(n, "ceil_mode", 1);
	static const float ea[4] = {3, 4.5f, 7.5f, 9};
	for (int v = 0; v < 2; v++) {
		CHECK(h_run(ctx, avg, n, 11, 1, &x, 1, &y[v], v, 1) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[v]->dims[2] == 2 && y[v]->dims[3] == 2 && !memcmp(y[v]->data, ea, sizeof ea),
		      "avg ceil_mode (%s)", v ? "ref" : "fast");
		aimet_tensor_free(y[v]);
	}
	aimet_node_free(n);
	/* count_include_pad: 3x3 kernel, pads 1 -> corner = (1+2+4+5)/9 */
	n = h_node("AveragePool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){3, 3});
	h_attr_ints(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
	h_attr_int(n, "count_include_pad", 1);
	for (int v = 0; v < 2; v++) {
		CHECK(h_run(ctx, avg, n, 11, 1, &x, 1, &y[v], v, 1) == 0, "%s", aimet_errmsg(ctx));
		CHECK(fabsf(((float *)y[v]->data)[0] - 12.0f / 9) < 1e-6f && ((float *)y[v]->data)[4] == 5,
		      "avg count_include_pad (%s)", v ? "ref" : "fast");
		aimet_tensor_free(y[v]);
	}
	aimet_node_free(n);
	/* max with dilation 2 over 3x3 -> one output: max of the corners {1,3,7,9}; indices */
	n = h_node("MaxPool", 1, 2);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
	h_attr_ints(n, "dilations", 2, (int64_t[]){2, 2});
	struct aimet_tensor *o2[2];
	CHECK(h_run(ctx, mx, n, 12, 1, &x, 2, o2, 0, 1) == 0, "%s", aimet_errmsg(ctx));
	CHECK(((float *)o2[0]->data)[0] == 9 && ((int64_t *)o2[1]->data)[0] == 8, "max dilation + index");
	aimet_tensor_free(o2[0]);
	aimet_tensor_free(o2[1]);
	aimet_node_free(n);
	aimet_tensor_free(x);
}

static void sweep(struct aimet_ctx *ctx)
{
	static const char *aps[] = {"NOTSET", "NOTSET", "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};
	uint32_t seed = 4242;
	int bad = 0;
	for (int it = 0; it < 400; it++) {
		int kind = it & 1, nsp = h_rand_int(&seed, 1, 3), ap = h_rand_int(&seed, 0, 5);
		int64_t dims[5], k[3], s[3], dl[3], pads[6];
		int opset = kind ? 12 : 19, ok = 1;
		const struct aimet_op *op = aimet_op_find("", kind ? "MaxPool" : "AveragePool");
		dims[0] = h_rand_int(&seed, 1, 2);
		dims[1] = h_rand_int(&seed, 1, 4);
		for (int i = 0; i < nsp; i++) {
			dims[2 + i] = h_rand_int(&seed, 1, nsp == 3 ? 6 : 13);
			k[i] = h_rand_int(&seed, 1, 4);
			s[i] = h_rand_int(&seed, 1, 3);
			dl[i] = h_rand_int(&seed, 1, 3) == 3 ? 2 : 1;
			pads[i] = h_rand_int(&seed, 0, k[i] - 1);
			pads[nsp + i] = h_rand_int(&seed, 0, k[i] - 1);
			if ((k[i] - 1) * dl[i] + 1 > dims[2 + i] + (ap < 3 ? pads[i] + pads[nsp + i] : 0))
				ok = 0;
		}
		if (!ok) {
			it--;   /* draw again: this geometry has no output */
			continue;
		}
		struct aimet_node *n = h_node(kind ? "MaxPool" : "AveragePool", 1, 1);
		h_attr_ints(n, "kernel_shape", nsp, k);
		h_attr_ints(n, "strides", nsp, s);
		h_attr_ints(n, "dilations", nsp, dl);
		if (ap < 3)
			h_attr_ints(n, "pads", 2 * nsp, pads);
		else
			h_attr_str(n, "auto_pad", aps[ap]);
		h_attr_int(n, "ceil_mode", h_rand_int(&seed, 0, 1));
		if (!kind)
			h_attr_int(n, "count_include_pad", h_rand_int(&seed, 0, 1));
		struct aimet_tensor *x = h_tensor_rand(2 + nsp, dims, &seed, -2, 2), *y[3];
		int st = 0;
		for (int v = 0; v < 3 && !st; v++)
			st = h_run(ctx, op, n, opset, 1, &x, 1, &y[v], v == 0, v == 2 ? 2 : 1);
		CHECK(st == 0, "sweep %d: %s", it, aimet_errmsg(ctx));
		if (!st) {
			double e = h_max_rel_err(y[1], y[0]);
			CHECK(e < 1e-6, "sweep %d (%s nsp %d ap %s): fast vs ref %g", it, n->op_type, nsp, aps[ap], e);
			CHECK(aimet_tensor_equal(y[1], y[2]), "sweep %d: -j1 vs -j2 differ", it);
			bad += e >= 1e-6;
			for (int v = 0; v < 3; v++) aimet_tensor_free(y[v]);
		}
		aimet_tensor_free(x);
		aimet_node_free(n);
	}
	/* a large map for the threaded path (ppocr-like 3x3 s2 pad 1, and the 2x2 s2 max) */
	for (int kind = 0; kind < 2; kind++) {
		int64_t dims[4] = {2, 16, 48, 64};
		const struct aimet_op *op = aimet_op_find("", kind ? "MaxPool" : "AveragePool");
		struct aimet_node *n = h_node(op->op_type, 1, 1);
		h_attr_ints(n, "kernel_shape", 2, kind ? (int64_t[]){2, 2} : (int64_t[]){3, 3});
		h_attr_ints(n, "strides", 2, (int64_t[]){2, 2});
		if (!kind)
			h_attr_ints(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
		struct aimet_tensor *x = h_tensor_rand(4, dims, &seed, -1, 1), *y[3];
		for (int v = 0; v < 3; v++)
			CHECK(h_run(ctx, op, n, 11, 1, &x, 1, &y[v], v == 0, v == 2 ? 2 : 1) == 0, "%s", aimet_errmsg(ctx));
		CHECK(h_max_rel_err(y[1], y[0]) < 1e-6, "big %s: fast vs ref", op->op_type);
		CHECK(aimet_tensor_equal(y[1], y[2]), "big %s: -j1 vs -j2", op->op_type);
		for (int v = 0; v < 3; v++) aimet_tensor_free(y[v]);
		aimet_tensor_free(x);
		aimet_node_free(n);
	}
	/* global pools */
	for (int kind = 0; kind < 2; kind++) {
		int64_t dims[4] = {3, 40, 33, 35};
		const struct aimet_op *op = aimet_op_find("", kind ? "GlobalMaxPool" : "GlobalAveragePool");
		struct aimet_node *n = h_node(op->op_type, 1, 1);
		struct aimet_tensor *x = h_tensor_rand(4, dims, &seed, -1, 3), *y[3];
		for (int v = 0; v < 3; v++)
			CHECK(h_run(ctx, op, n, 1, 1, &x, 1, &y[v], v == 0, v == 2 ? 2 : 1) == 0, "%s", aimet_errmsg(ctx));
		CHECK(y[0]->ndim == 4 && y[0]->dims[1] == 40 && y[0]->dims[2] == 1 && y[0]->dims[3] == 1, "global shape");
		CHECK(h_max_rel_err(y[1], y[0]) < 1e-6, "%s: fast vs ref", op->op_type);
		CHECK(aimet_tensor_equal(y[1], y[2]), "%s: -j1 vs -j2", op->op_type);
		/* independent check of one plane */
		double sum = 0, mx = -1e30;
		for (int i = 0; i < 33 * 35; i++) {
			double v = ((float *)x->data)[5 * 33 * 35 + i];
			sum += v;
			mx = v > mx ? v : mx;
		}
		CHECK(fabs(((float *)y[1]->data)[5] - (kind ? mx : sum / (33 * 35))) < 1e-6, "%s plane 5", op->op_type);
		for (int v = 0; v < 3; v++) aimet_tensor_free(y[v]);
		aimet_tensor_free(x);
		aimet_node_free(n);
	}
}

static int infer_status(struct aimet_ctx *ctx, struct aimet_node *n, int64_t opset, struct aimet_tensor *x)
{
	struct aimet_tensor *y[2] = {NULL, NULL};
	int st = h_run(ctx, aimet_op_find("", n->op_type), n, opset, 1, &x, n->n_outputs, y, 1, 1);
	aimet_tensor_free(y[0]);
	aimet_tensor_free(y[1]);
	aimet_node_free(n);
	return st;
}

static void errors(struct aimet_ctx *ctx)
{
	int64_t d[4] = {1, 2, 5, 5}, d2[2] = {2, 5};
	uint32_t seed = 1;
	struct aimet_tensor *x = h_tensor_rand(4, d, &seed, 0, 1), *x2 = h_tensor_rand(2, d2, &seed, 0, 1);
	struct aimet_node *n;
	n = h_node("MaxPool", 1, 1);
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "missing kernel_shape");
	n = h_node("MaxPool", 1, 1);
	h_attr_ints(n, "kernel_shape", 1, (int64_t[]){2});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "kernel_shape rank");
	n = h_node("AveragePool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 0});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "zero kernel");
	n = h_node("AveragePool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
	h_attr_ints(n, "strides", 2, (int64_t[]){0, 1});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "zero stride");
	n = h_node("AveragePool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){6, 2});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "kernel larger than input");
	n = h_node("AveragePool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
	h_attr_ints(n, "pads", 4, (int64_t[]){-1, 0, 0, 0});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "negative pad");
	n = h_node("AveragePool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
	h_attr_str(n, "auto_pad", "SAME");
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "bad auto_pad");
	n = h_node("MaxPool", 1, 1);
	h_attr_ints(n, "kernel_shape", 1, (int64_t[]){2});
	CHECK(infer_status(ctx, n, 12, x2) == AIMET_ERR_INVALID, "rank 2 input");
	n = h_node("AveragePool", 1, 2);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "AveragePool with 2 outputs");
	n = h_node("MaxPool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
	h_attr_ints(n, "pads", 4, (int64_t[]){0, 0, 0, INT64_MAX});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "huge pad");
	/* hostile geometry: a huge kernel made valid by huge pads must fail in infer, not hang */
	n = h_node("MaxPool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){1 << 20, 1 << 20});
	h_attr_ints(n, "pads", 4, (int64_t[]){(1 << 20) - 1, (1 << 20) - 1, (1 << 20) - 1, (1 << 20) - 1});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "huge kernel");
	n = h_node("AveragePool", 1, 1);
	h_attr_ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
	h_attr_ints(n, "pads", 4, (int64_t[]){2, 0, 0, 0});
	CHECK(infer_status(ctx, n, 12, x) == AIMET_ERR_INVALID, "pad not smaller than kernel");
	aimet_tensor_free(x);
	aimet_tensor_free(x2);
}

/* Random, often invalid geometry: infer must refuse or the kernels must run; never a crash. */
static void hostile(struct aimet_ctx *ctx)
{
	static const int64_t vals[] = {-5, -1, 0, 1, 2, 3, 7, 1000, INT32_MAX, (int64_t)1 << 40, INT64_MAX};
	static const char *aps[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "bogus"};
	static const char *ops[] = {"AveragePool", "MaxPool", "GlobalAveragePool", "GlobalMaxPool"};
	uint32_t seed = 555;
	int accepted = 0;
	for (int it = 0; it < 600; it++) {
		int rank = h_rand_int(&seed, 0, 5), nsp = rank > 2 ? rank - 2 : 1, na = h_rand_int(&seed, 0, 3);
		int64_t d[5], k[4], s[4], dl[4], p[8];
		for (int i = 0; i < rank; i++) d[i] = h_rand_int(&seed, 0, 5);
		for (int i = 0; i < 4; i++) {
			k[i] = h_rand_int(&seed, 0, 3) ? h_rand_int(&seed, 1, 4) : vals[h_rand_int(&seed, 0, 10)];
			s[i] = h_rand_int(&seed, 0, 3) ? h_rand_int(&seed, 1, 3) : vals[h_rand_int(&seed, 0, 10)];
			dl[i] = h_rand_int(&seed, 0, 3) ? 1 : vals[h_rand_int(&seed, 0, 10)];
			p[i] = h_rand_int(&seed, 0, 3) ? h_rand_int(&seed, 0, 2) : vals[h_rand_int(&seed, 0, 10)];
			p[4 + i] = h_rand_int(&seed, 0, 3) ? h_rand_int(&seed, 0, 2) : vals[h_rand_int(&seed, 0, 10)];
		}
		const struct aimet_op *op = aimet_op_find("", ops[it % 4]);
		struct aimet_node *n = h_node(ops[it % 4], 1, it % 4 == 1 ? h_rand_int(&seed, 1, 2) : 1);
		h_attr_ints(n, "kernel_shape", na ? nsp : nsp + 1, k);
		if (h_rand_int(&seed, 0, 1)) h_attr_ints(n, "strides", nsp, s);
		if (h_rand_int(&seed, 0, 1)) h_attr_ints(n, "dilations", nsp, dl);
		if (h_rand_int(&seed, 0, 1)) h_attr_ints(n, "pads", 2 * nsp, p);
		if (h_rand_int(&seed, 0, 1)) h_attr_str(n, "auto_pad", aps[h_rand_int(&seed, 0, 4)]);
		if (h_rand_int(&seed, 0, 1)) h_attr_int(n, "ceil_mode", h_rand_int(&seed, -1, 2));
		if (h_rand_int(&seed, 0, 1)) h_attr_int(n, "storage_order", h_rand_int(&seed, -1, 2));
		struct aimet_tensor *x = h_tensor_rand(rank, d, &seed, -1, 1);
		if (it % 7 == 0) x->dtype = AIMET_UINT8;   /* same bytes, reinterpreted */
		if (it % 11 == 0) x->dtype = AIMET_STRING;
		int st = nc_try(ctx, op, n, 7 + it % 13, 1, &x, n->n_outputs);
		accepted += st == 0;
		x->dtype = AIMET_FLOAT;
		aimet_tensor_free(x);
		aimet_node_free(n);
	}
	CHECK(accepted > 50 && accepted < 550, "hostile pool sweep accepted %d of 600", accepted);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	int ran = 0;
	hand_cases(ctx);
	sweep(ctx);
	errors(ctx);
	hostile(ctx);
	ran += nc_run_all("test_averagepool_*", "AveragePool");
	ran += nc_run_all("test_maxpool_*", "MaxPool");
	ran += nc_run_all("test_globalaveragepool*", "GlobalAveragePool");
	ran += nc_run_all("test_globalmaxpool*", "GlobalMaxPool");
	printf("node cases run: %d\n", ran);
	aimet_ctx_free(ctx);
	return test_done();
}
