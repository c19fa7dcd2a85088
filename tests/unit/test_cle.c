/* test_cle.c: cross-layer equalization on small hand-built models (outputs kept, ranges
 * equalized for pairs, depthwise triples, ConvTranspose/PRelu/grouped, high-bias absorption
 * math, ReLU6 handling) and on every shared model with --keep-relu6 (outputs within 1e-4 of the
 * model's own and of ONNX Runtime's reference output); without it, the function is kept wherever
 * no ReLU6 was replaced (nearly, where high-bias absorption went through a Relu), and a
 * replacement is reported in the set where it happened. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aimet.h"
#include "aimet_exec.h"
#include "aimet_io.h"
#include "aimet_ir.h"
#include "aimet_onnx.h"
#include "aimet_ptq.h"
#include "../test.h"
#include "dfq_models.h"

/* Run m on x; the first output, cloned (NULL on failure, with a failed check). */
static struct aimet_tensor *run(struct aimet_ctx *ctx, const struct aimet_model *m, struct aimet_tensor *x)
{
	struct aimet_plan *p = NULL;
	struct aimet_tensor *out[8] = {0}, *r = NULL;
	if (aimet_plan_new(ctx, m, NULL, &p) || aimet_plan_run(ctx, p, &x, out))
		CHECK(0, "run: %s", aimet_errmsg(ctx));
	else
		r = aimet_tensor_clone(out[0]);
	aimet_plan_free(p);
	return r;
}

/* max |a - b| relative to max |a| */
static double rel_diff(const struct aimet_tensor *a, const struct aimet_tensor *b)
{
	double mx = 0, err = 0;
	int64_t n = aimet_tensor_numel(a);
	if (!a || !b || n != aimet_tensor_numel(b))
		return INFINITY;
	for (int64_t i = 0; i < n; i++) {
		double x = ((float *)a->data)[i], y = ((float *)b->data)[i];
		mx = fmax(mx, fabs(x));
		err = fmax(err, fabs(x - y));
		if (isnan(y))
			return INFINITY;
	}
	return mx > 0 ? err / mx : err;
}

static const float *W(const struct aimet_model *m, const char *name)
{
	const struct aimet_tensor *t = aimet_graph_find_weight(m->graph, name, NULL);
	return t ? t->data : NULL;
}

/* Range of output channel c of a Conv weight [O, I/g, k, k] with `per` elements per channel. */
static double out_range(const float *w, int c, int per)
{
	double r = 0;
	for (int i = 0; i < per; i++)
		r = fmax(r, fabs(w[c * per + i]));
	return r;
}

/* Range of input channel c of a group-1 Conv weight [O, I, k*k]. */
static double in_range(const float *w, int c, int O, int I, int kk)
{
	double r = 0;
	for (int o = 0; o < O; o++)
		for (int k = 0; k < kk; k++)
			r = fmax(r, fabs(w[(o * I + c) * kk + k]));
	return r;
}

/* Conv(4->8, 3x3, pad 1) -> Relu -> depthwise(8, 3x3, pad 1) -> Relu -> Conv(8->6, 1x1),
 * with the first layer's channels scaled by up to e^+-2. */
static void test_triple(struct aimet_ctx *ctx)
{
	struct aimet_model *m = dfq_model(13), *orig;
	int64_t w1d[4] = {8, 4, 3, 3}, w2d[4] = {8, 1, 3, 3}, w3d[4] = {6, 8, 1, 1}, b8 = 8, b6 = 6;
	int64_t xd[4] = {2, 4, 6, 6};
	double f[8];
	struct aimet_tensor *x, *y0, *y1, *w1;
	struct aimet_cle_report *rep = NULL;
	int ok = 1;
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, xd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	w1 = dfq_init(m, "w1", 4, w1d, -1, 1, NULL);
	dfq_init(m, "b1", 1, &b8, -0.5, 0.5, NULL);
	dfq_init(m, "w2", 4, w2d, -1, 1, NULL);
	dfq_init(m, "b2", 1, &b8, -0.5, 0.5, NULL);
	dfq_init(m, "w3", 4, w3d, -1, 1, NULL);
	dfq_init(m, "b3", 1, &b6, -0.5, 0.5, NULL);
	for (int c = 0; c < 8; c++)
		f[c] = exp(dfq_uniform(-2, 2));
	dfq_scale_rows(w1, f);
	dfq_conv_attrs(dfq_node(m, "Conv", "c1", "x,w1,b1", "a1"), 3, 1, 1, 1);
	dfq_node(m, "Relu", "r1", "a1", "h1");
	dfq_conv_attrs(dfq_node(m, "Conv", "dw", "h1,w2,b2", "a2"), 3, 1, 8, 1);
	dfq_node(m, "Relu", "r2", "a2", "h2");
	dfq_conv_attrs(dfq_node(m, "Conv", "c3", "h2,w3,b3", "y"), 1, 0, 1, 1);
	orig = aimet_model_clone(m);
	x = dfq_input(4, xd, -1, 1);
	y0 = run(ctx, orig, x);
	CHECK(aimet_cle(ctx, m, NULL, &rep) == 0, "cle: %s", aimet_errmsg(ctx));
	y1 = run(ctx, m, x);
	CHECK(rel_diff(y0, y1) < 1e-5, "triple: output changed by %g", rel_diff(y0, y1));
	CHECK(rep && rep->n_sets == 1 && rep->sets[0].n_layers == 3, "triple: one set of three layers");
	if (rep && rep->n_sets == 1)
		CHECK(rep->sets[0].scale_min < 0.5 && rep->sets[0].scale_max > 2, "triple: scales %g..%g",
		      rep->sets[0].scale_min, rep->sets[0].scale_max);
	for (int c = 0; c < 8; c++) {
		double r1 = out_range(W(m, "w1"), c, 36), r2 = out_range(W(m, "w2"), c, 9);
		double r3 = in_range(W(m, "w3"), c, 6, 8, 1);
		if (fabs(r1 - r2) > 1e-4 * r1 || fabs(r2 - r3) > 1e-4 * r2)
			ok = 0;
	}
	CHECK(ok, "triple: ranges r1 == r2 == r3 after scaling");
	aimet_cle_report_free(rep);
	aimet_tensor_free(x), aimet_tensor_free(y0), aimet_tensor_free(y1);
	aimet_model_free(m), aimet_model_free(orig);
}

/* ConvTranspose(4->6, group 2, stride 2) -> PRelu -> Conv(6->4, group 2, 3x3, pad 1), and
 * Gemm -> Relu -> Gemm (transB both ways): pairs equalized, outputs kept. */
static void test_pairs(struct aimet_ctx *ctx)
{
	struct aimet_model *m = dfq_model(13), *orig;
	int64_t w1d[4] = {4, 3, 3, 3}, w2d[4] = {4, 3, 3, 3}, sd[3] = {6, 1, 1}, b6 = 6, b4 = 4;
	int64_t xd[4] = {2, 4, 5, 5};
	double f[4], r1[6] = {0}, r2[6] = {0};
	struct aimet_tensor *x, *y0, *y1, *w1;
	struct aimet_cle_report *rep = NULL;
	struct aimet_node *n;
	int ok = 1;
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, xd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	w1 = dfq_init(m, "w1", 4, w1d, -1, 1, NULL);
	dfq_init(m, "b1", 1, &b6, -0.5, 0.5, NULL);
	dfq_init(m, "slope", 3, sd, 0.05, 0.3, NULL);
	dfq_init(m, "w2", 4, w2d, -1, 1, NULL);
	dfq_init(m, "b2", 1, &b4, -0.5, 0.5, NULL);
	for (int c = 0; c < 4; c++)
		f[c] = exp(dfq_uniform(-2, 2));
	dfq_scale_rows(w1, f);   /* (rows of a ConvTranspose weight are its input channels) */
	{
		/* and its output channels: element (i, j) belongs to channel (i / 2) * 3 + j */
		float *w = w1->data;
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 3; j++)
				for (int k = 0; k < 9; k++)
					w[(i * 3 + j) * 9 + k] *= (float)exp(((i / 2) * 3 + j) - 2.5);
	}
	n = dfq_node(m, "ConvTranspose", "ct", "x,w1,b1", "a1");
	dfq_conv_attrs(n, 3, 0, 2, 2);
	dfq_node(m, "PRelu", "pr", "a1,slope", "h1");
	dfq_conv_attrs(dfq_node(m, "Conv", "c2", "h1,w2,b2", "y"), 3, 1, 2, 1);
	orig = aimet_model_clone(m);
	x = dfq_input(4, xd, -1, 1);
	y0 = run(ctx, orig, x);
	CHECK(aimet_cle(ctx, m, NULL, &rep) == 0, "cle: %s", aimet_errmsg(ctx));
	y1 = run(ctx, m, x);
	CHECK(rel_diff(y0, y1) < 1e-5, "convtranspose: output changed by %g", rel_diff(y0, y1));
	CHECK(rep && rep->n_sets == 1, "convtranspose: one set");
	{
		const float *a = W(m, "w1"), *b = W(m, "w2");
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 3; j++)
				for (int k = 0; k < 9; k++)
					r1[(i / 2) * 3 + j] = fmax(r1[(i / 2) * 3 + j], fabs(a[(i * 3 + j) * 9 + k]));
		/* Conv group 2: output o reads input channels (o / 2) * 3 + j */
		for (int o = 0; o < 4; o++)
			for (int j = 0; j < 3; j++)
				for (int k = 0; k < 9; k++)
					r2[(o / 2) * 3 + j] = fmax(r2[(o / 2) * 3 + j], fabs(b[(o * 3 + j) * 9 + k]));
		for (int c = 0; c < 6; c++)
			if (fabs(r1[c] - r2[c]) > 1e-4 * r1[c])
				ok = 0;
	}
	CHECK(ok, "convtranspose: ranges r1 == r2 after scaling");
	aimet_cle_report_free(rep);
	aimet_tensor_free(x), aimet_tensor_free(y0), aimet_tensor_free(y1);
	aimet_model_free(m), aimet_model_free(orig);

	/* Gemm (transB = 1) -> Relu -> Gemm (transB = 0) */
	m = dfq_model(13);
	{
		int64_t g1[2] = {5, 7}, g2[2] = {5, 3}, b5 = 5, b3 = 3, xg[2] = {4, 7};
		struct aimet_tensor *t = dfq_init(m, "g1", 2, g1, -1, 1, NULL);
		double fr[5];
		for (int c = 0; c < 5; c++)
			fr[c] = exp(dfq_uniform(-2, 2));
		dfq_scale_rows(t, fr);
		dfq_init(m, "gb1", 1, &b5, -1, 1, NULL);
		dfq_init(m, "g2", 2, g2, -1, 1, NULL);
		dfq_init(m, "gb2", 1, &b3, -1, 1, NULL);
		dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 2, xg);
		dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
		aimet_node_set_int(dfq_node(m, "Gemm", "l1", "x,g1,gb1", "a"), "transB", 1);
		dfq_node(m, "Relu", "r", "a", "h");
		dfq_node(m, "Gemm", "l2", "h,g2,gb2", "y");
		orig = aimet_model_clone(m);
		x = dfq_input(2, xg, -1, 1);
		y0 = run(ctx, orig, x);
		CHECK(aimet_cle(ctx, m, NULL, &rep) == 0, "cle: %s", aimet_errmsg(ctx));
		y1 = run(ctx, m, x);
		CHECK(rel_diff(y0, y1) < 1e-5, "gemm: output changed by %g", rel_diff(y0, y1));
		ok = rep && rep->n_sets == 1;
		for (int c = 0; c < 5 && ok; c++) {
			double a = 0, b = 0;
			for (int k = 0; k < 7; k++)
				a = fmax(a, fabs(W(m, "g1")[c * 7 + k]));
			for (int k = 0; k < 3; k++)
				b = fmax(b, fabs(W(m, "g2")[c * 3 + k]));
			ok = fabs(a - b) <= 1e-4 * a;
		}
		CHECK(ok, "gemm: ranges equalized");
		aimet_cle_report_free(rep);
		aimet_tensor_free(x), aimet_tensor_free(y0), aimet_tensor_free(y1);
		aimet_model_free(m), aimet_model_free(orig);
	}
}

/* Conv(3->5, 3x3, no pad) -> BN (high beta) -> [Relu] -> Conv(5->4, 1x1): BN folded, then the
 * high bias absorbed: c = max(0, beta - 3|gamma|) with Relu, c = beta without. */
static void test_hba(struct aimet_ctx *ctx, int relu)
{
	struct aimet_model *m = dfq_model(13), *m2, *orig;
	int64_t w1d[4] = {5, 3, 3, 3}, w2d[4] = {4, 5, 1, 1}, b5 = 5, b4 = 4, xd[4] = {2, 3, 6, 6};
	float gamma[5] = {0.5f, -0.4f, 1.0f, 0.2f, 0.3f}, beta[5] = {3.0f, 2.0f, 0.5f, -1.0f, 4.0f};
	float mean[5] = {0.1f, -0.2f, 0.3f, 0.0f, 0.05f}, var[5] = {1.0f, 0.5f, 2.0f, 1.5f, 0.8f};
	struct aimet_tensor *x, *y0, *y1;
	struct aimet_cle_report *rep = NULL;
	struct aimet_cle_opts o;
	float *g = NULL, *bt = NULL, *g2 = NULL, *bt2 = NULL;
	size_t n = 0, n2 = 0;
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, xd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	dfq_init(m, "w1", 4, w1d, -1, 1, NULL);
	dfq_init(m, "b1", 1, &b5, -0.5, 0.5, NULL);
	dfq_init(m, "gamma", 1, &b5, 0, 0, gamma);
	dfq_init(m, "beta", 1, &b5, 0, 0, beta);
	dfq_init(m, "mean", 1, &b5, 0, 0, mean);
	dfq_init(m, "var", 1, &b5, 0, 0, var);
	dfq_init(m, "w2", 4, w2d, -1, 1, NULL);
	dfq_init(m, "b2", 1, &b4, -0.5, 0.5, NULL);
	dfq_conv_attrs(dfq_node(m, "Conv", "c1", "x,w1,b1", "a1"), 3, 0, 1, 1);
	dfq_node(m, "BatchNormalization", "bn", "a1,gamma,beta,mean,var", relu ? "n1" : "h1");
	if (relu)
		dfq_node(m, "Relu", "r1", "n1", "h1");
	dfq_conv_attrs(dfq_node(m, "Conv", "c2", "h1,w2,b2", "y"), 1, 0, 1, 1);
	orig = aimet_model_clone(m);
	m2 = aimet_model_clone(m);
	x = dfq_input(4, xd, -1, 1);
	y0 = run(ctx, orig, x);
	aimet_cle_opts_init(&o);
	o.no_high_bias_fold = 1;
	CHECK(aimet_cle(ctx, m2, &o, NULL) == 0, "cle: %s", aimet_errmsg(ctx));
	CHECK(aimet_cle(ctx, m, NULL, &rep) == 0, "cle: %s", aimet_errmsg(ctx));
	CHECK(rep && rep->n_bn_folded == 1 && rep->n_sets == 1, "hba: BN folded and one set");
	CHECK(aimet_bn_meta_get(m2, "a1", &g, &bt, &n) == 0 && n == 5, "hba: BN statistics before absorption");
	CHECK(aimet_bn_meta_get(m, "a1", &g2, &bt2, &n2) == 0 && n2 == 5, "hba: BN statistics after absorption");
	if (g && g2 && n == 5 && n2 == 5) {
		const float *b1a = W(m2, "b1"), *b1b = W(m, "b1"), *b2a = W(m2, "b2"), *b2b = W(m, "b2");
		const float *w2 = W(m, "w2");
		double c[5], err = 0, absorbed = 0;
		for (int i = 0; i < 5; i++) {
			c[i] = relu ? fmax(0, bt[i] - 3 * fabs(g[i])) : bt[i];
			absorbed += c[i];
			err = fmax(err, fabs(b1b[i] - (b1a[i] - c[i])));
			err = fmax(err, fabs(bt2[i] - (bt[i] - c[i])));
		}
		for (int o2 = 0; o2 < 4; o2++) {
			double s = b2a[o2];
			for (int i = 0; i < 5; i++)
				s += w2[o2 * 5 + i] * c[i];
			err = fmax(err, fabs(b2b[o2] - s));
		}
		CHECK(err < 1e-5, "hba (relu %d): b1 -= c, b2 += W2 c (error %g)", relu, err);
		CHECK(absorbed > 0.5, "hba (relu %d): something absorbed (%g)", relu, absorbed);
		CHECK(rep && rep->n_sets == 1 && fabs(rep->sets[0].bias_absorbed - absorbed) < 1e-4,
		      "hba: report says how much");
	}
	y1 = run(ctx, m, x);
	if (!relu)
		CHECK(rel_diff(y0, y1) < 1e-5, "hba without activation is exact: %g", rel_diff(y0, y1));
	else
		CHECK(rel_diff(y0, y1) < 0.5, "hba with relu stays close: %g", rel_diff(y0, y1));
	{
		struct aimet_tensor *y2 = run(ctx, m2, x);
		CHECK(rel_diff(y0, y2) < 1e-5, "bn fold + cls keep the output: %g", rel_diff(y0, y2));
		aimet_tensor_free(y2);
	}
	free(g), free(bt), free(g2), free(bt2);
	aimet_cle_report_free(rep);
	aimet_tensor_free(x), aimet_tensor_free(y0), aimet_tensor_free(y1);
	aimet_model_free(m), aimet_model_free(m2), aimet_model_free(orig);
}

/* Conv -> Clip(0, 6) -> Conv (or Relu then Clip, as PyTorch exports ReLU6): replaced by Relu and
 * scaled, or (keep_relu6) left alone. */
static void test_relu6(struct aimet_ctx *ctx, int keep, int pair)
{
	struct aimet_model *m = dfq_model(13), *orig;
	int64_t w1d[4] = {6, 2, 1, 1}, w2d[4] = {3, 6, 1, 1}, b6 = 6, xd[4] = {1, 2, 3, 3}, one = 1;
	float zero = 0, six = 6;
	struct aimet_cle_report *rep = NULL;
	struct aimet_cle_opts o;
	struct aimet_tensor *w1;
	double f[6] = {10, 0.1, 5, 0.2, 1, 3};
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, xd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	w1 = dfq_init(m, "w1", 4, w1d, -1, 1, NULL);
	dfq_scale_rows(w1, f);
	dfq_init(m, "b1", 1, &b6, -0.5, 0.5, NULL);
	dfq_init(m, "lo", 0, &one, 0, 0, &zero);
	dfq_init(m, "hi", 0, &one, 0, 0, &six);
	dfq_init(m, "w2", 4, w2d, -1, 1, NULL);
	dfq_conv_attrs(dfq_node(m, "Conv", "c1", "x,w1,b1", "a"), 1, 0, 1, 1);
	if (pair) {
		dfq_node(m, "Relu", "relu", "a", "a2");
		dfq_node(m, "Clip", "clip", "a2,lo,hi", "h");
	} else {
		dfq_node(m, "Clip", "clip", "a,lo,hi", "h");
	}
	dfq_conv_attrs(dfq_node(m, "Conv", "c2", "h,w2", "y"), 1, 0, 1, 1);
	orig = aimet_model_clone(m);
	aimet_cle_opts_init(&o);
	o.keep_relu6 = keep;
	CHECK(aimet_cle(ctx, m, &o, &rep) == 0, "cle: %s", aimet_errmsg(ctx));
	if (keep) {
		char why[256];
		int skipped = 0;
		for (size_t i = 0; rep && i < rep->n_skips; i++)
			skipped |= strstr(rep->skips[i].reason, "keep-relu6") != NULL;
		CHECK(rep && rep->n_sets == 0 && skipped, "keep-relu6: the pair is skipped and says why");
		CHECK(aimet_model_equal(orig, m, why, sizeof(why)), "keep-relu6: model unchanged (%s)", why);
	} else {
		struct aimet_node *c2 = aimet_graph_producer(m->graph, "y", NULL, NULL);
		struct aimet_node *act = c2 ? aimet_graph_producer(m->graph, c2->inputs[0], NULL, NULL) : NULL;
		struct aimet_node *before = act ? aimet_graph_producer(m->graph, act->inputs[0], NULL, NULL) : NULL;
		CHECK(act && !strcmp(act->op_type, "Relu") && act->n_inputs == 1, "relu6 replaced by Relu");
		CHECK(before && !strcmp(before->op_type, "Conv"), "relu6 (pair %d): one Relu left between the convs", pair);
		CHECK(rep && rep->n_sets == 1 && rep->n_relu6_replaced == 1 && rep->sets[0].relu6_replaced,
		      "relu6: one set, reported as replaced");
		CHECK(!aimet_graph_find_weight(m->graph, "hi", NULL), "relu6: Clip bounds removed");
	}
	aimet_cle_report_free(rep);
	aimet_model_free(m), aimet_model_free(orig);
}

/* The reference output (ONNX Runtime's) of a shared model: reference/NAME/0_*.npy, or NULL. */
static struct aimet_tensor *reference_output(struct aimet_ctx *ctx, const char *shared, const char *name)
{
	char dir[1400], path[2000];
	struct aimet_tensor *t = NULL;
	struct dirent *e;
	DIR *d;
	snprintf(dir, sizeof(dir), "%s/reference/%s", shared, name);
	if (!(d = opendir(dir)))
		return NULL;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "0_", 2) && strstr(e->d_name, ".npy")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (aimet_npy_read(ctx, path, &t))
				t = NULL;
			break;
		}
	closedir(d);
	return t;
}

/* Every shared model: aimet_cle with keep_relu6 keeps outputs within 1e-4 relative. */
static void test_shared(struct aimet_ctx *ctx, const char *shared)
{
	char dir[1024];
	DIR *d;
	struct dirent *e;
	int count = 0;
	snprintf(dir, sizeof(dir), "%s/models", shared);
	if (!(d = opendir(dir))) {
		CHECK(0, "cannot open %s", dir);
		return;
	}
	while ((e = readdir(d))) {
		char path[1400], in[1400], name[256];
		size_t len = strlen(e->d_name);
		struct aimet_model *m = NULL, *c = NULL;
		struct aimet_tensor *x = NULL, *y0 = NULL, *y1 = NULL;
		struct aimet_cle_opts o;
		if (len < 6 || strcmp(e->d_name + len - 5, ".onnx"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(in, sizeof(in), "%s/reference/%s/input.npy", shared, name);
		if (aimet_model_load(ctx, path, &m) || aimet_npy_read(ctx, in, &x)) {
			CHECK(0, "%s: %s", name, aimet_errmsg(ctx));
			aimet_model_free(m);
			continue;
		}
		c = aimet_model_clone(m);
		aimet_cle_opts_init(&o);
		o.keep_relu6 = 1;
		o.no_high_bias_fold = getenv("TEST_NO_HBA") != NULL;
		y0 = run(ctx, m, x);
		CHECK(aimet_cle(ctx, c, &o, NULL) == 0, "%s: %s", name, aimet_errmsg(ctx));
		y1 = run(ctx, c, x);
		CHECK(rel_diff(y0, y1) <= 1e-4, "%s: cle --keep-relu6 changed the output by %g relative", name,
		      rel_diff(y0, y1));
		{
			struct aimet_tensor *ref = reference_output(ctx, shared, name), *y2 = NULL;
			struct aimet_model *c2 = aimet_model_clone(m);
			struct aimet_cle_report *rep = NULL;
			int in_sets = 0, absorbed = 0;
			CHECK(ref && rel_diff(ref, y1) <= 1e-4, "%s: cle --keep-relu6 output against the reference: %g",
			      name, ref ? rel_diff(ref, y1) : INFINITY);
			o.keep_relu6 = 0;
			CHECK(aimet_cle(ctx, c2, &o, &rep) == 0 && rep, "%s default: %s", name, aimet_errmsg(ctx));
			y2 = run(ctx, c2, x);
			for (size_t i = 0; rep && i < rep->n_sets; i++) {
				in_sets += rep->sets[i].relu6_replaced;
				absorbed += rep->sets[i].n_absorbed;
			}
			/* high-bias absorption through a Relu holds where x >= c = beta - 3 gamma: nearly */
			if (rep && rep->n_relu6_replaced == 0)
				CHECK(rel_diff(y0, y2) <= (absorbed ? 1e-2 : 1e-4),
				      "%s: cle (no ReLU6 found, %d channels absorbed) changed the output by %g", name, absorbed,
				      rel_diff(y0, y2));
			else if (rep)
				CHECK(in_sets > 0, "%s: %d ReLU6 replaced, reported in no set", name, rep->n_relu6_replaced);
			if (getenv("TEST_VERBOSE"))
				fprintf(stderr, "%s: keep-relu6 %g (reference %g); default: %d ReLU6 replaced, %g\n", name,
				        rel_diff(y0, y1), ref ? rel_diff(ref, y1) : INFINITY, rep ? rep->n_relu6_replaced : -1,
				        rel_diff(y0, y2));
			aimet_cle_report_free(rep);
			aimet_tensor_free(ref), aimet_tensor_free(y2);
			aimet_model_free(c2);
		}
		count++;
		aimet_tensor_free(x), aimet_tensor_free(y0), aimet_tensor_free(y1);
		aimet_model_free(m), aimet_model_free(c);
	}
	closedir(d);
	CHECK(count >= 8, "all shared models checked (%d)", count);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	const char *shared = getenv("AIMET_SHARED") ? getenv("AIMET_SHARED") : "../shared";
	test_triple(ctx);
	test_pairs(ctx);
	test_hba(ctx, 0);
	test_hba(ctx, 1);
	for (int pair = 0; pair <= 1; pair++) {
		test_relu6(ctx, 0, pair);
		test_relu6(ctx, 1, pair);
	}
	test_shared(ctx, shared);
	aimet_ctx_free(ctx);
	return test_done();
}
