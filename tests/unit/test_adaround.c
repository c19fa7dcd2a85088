/* test_adaround.c: AdaRound on small hand-built models — analytic gradients of the layer loss
 * against finite differences (conv, grouped conv, Gemm, MatMul; with and without activation),
 * bitwise identical results for 1 and 2 threads, every weight rounded to floor or ceil of
 * W/scale, and a layer output closer to FP32 than round-to-nearest. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aimet.h"
#include "aimet_exec.h"
#include "aimet_io.h"
#include "aimet_ir.h"
#include "aimet_ptq.h"
#include "aimet_qsim.h"
#include "aimet_quant.h"
#include "../test.h"
#include "dfq_models.h"

static char npy_path[256];

/* x[B,3,7,7] -> Conv c1 (3->8, 3x3, pad 1) -> Relu -> Conv c2 (8->4, 1x1, stride 2, no bias)
 * -> Conv c3 (4->4, 3x3, group 2, pad 1) -> Clip(0, 6) -> y */
static struct aimet_model *convs(int64_t batch)
{
	struct aimet_model *m = dfq_model(13);
	int64_t w1d[4] = {8, 3, 3, 3}, w2d[4] = {4, 8, 1, 1}, w3d[4] = {4, 2, 3, 3}, b8 = 8, b4 = 4;
	int64_t xd[4] = {batch, 3, 7, 7}, one = 1;
	float z = 0, six = 6;
	struct aimet_node *n;
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, xd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	dfq_init(m, "w1", 4, w1d, -1, 1, NULL);
	dfq_init(m, "b1", 1, &b8, -0.2, 0.2, NULL);
	dfq_init(m, "w2", 4, w2d, -1, 1, NULL);
	dfq_init(m, "w3", 4, w3d, -1, 1, NULL);
	dfq_init(m, "b3", 1, &b4, -0.2, 0.2, NULL);
	dfq_init(m, "lo", 0, &one, 0, 0, &z);
	dfq_init(m, "hi", 0, &one, 0, 0, &six);
	dfq_conv_attrs(dfq_node(m, "Conv", "c1", "x,w1,b1", "a1"), 3, 1, 1, 1);
	dfq_node(m, "Relu", "r1", "a1", "h1");
	n = dfq_node(m, "Conv", "c2", "h1,w2", "a2");
	dfq_conv_attrs(n, 1, 0, 1, 2);
	dfq_conv_attrs(dfq_node(m, "Conv", "c3", "a2,w3,b3", "a3"), 3, 1, 2, 1);
	dfq_node(m, "Clip", "clip", "a3,lo,hi", "y");
	return m;
}

/* x[B,12] -> Gemm g1 (transB) -> Sigmoid -> Gemm g2 -> MatMul m3 -> Tanh -> y */
static struct aimet_model *gemms(int64_t batch)
{
	struct aimet_model *m = dfq_model(13);
	int64_t xd[2] = {batch, 12}, w1d[2] = {10, 12}, w2d[2] = {10, 6}, w3d[2] = {6, 5}, b10 = 10, b6 = 6;
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 2, xd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	dfq_init(m, "w1", 2, w1d, -1, 1, NULL);
	dfq_init(m, "b1", 1, &b10, -0.5, 0.5, NULL);
	dfq_init(m, "w2", 2, w2d, -1, 1, NULL);
	dfq_init(m, "b2", 1, &b6, -0.5, 0.5, NULL);
	dfq_init(m, "w3", 2, w3d, -1, 1, NULL);
	aimet_node_set_int(dfq_node(m, "Gemm", "g1", "x,w1,b1", "a1"), "transB", 1);
	dfq_node(m, "Sigmoid", "s1", "a1", "h1");
	dfq_node(m, "Gemm", "g2", "h1,w2,b2", "a2");
	dfq_node(m, "MatMul", "m3", "a2,w3", "a3");
	dfq_node(m, "Tanh", "t3", "a3", "y");
	return m;
}

static void test_gradients(struct aimet_ctx *ctx)
{
	struct aimet_model *mc = convs(3), *mg = gemms(5);
	const char *cl[] = {"c1", "c2", "c3"}, *gl[] = {"g1", "g2", "m3"};
	for (int r = 0; r < 2; r++)
		for (int k = 0; k < 6; k++) {
			double err = -1, fwd = -1, reg = r ? 0.01 : 0, beta = r ? 4 : 20;
			struct aimet_model *m = k < 3 ? mc : mg;
			const char *l = k < 3 ? cl[k] : gl[k - 3];
			int st = aimet_ada_gradcheck(ctx, m, l, 4, beta, reg, 7 + (uint64_t)k, 40, &err, &fwd);
			CHECK(!st, "gradcheck %s: %s", l, aimet_errmsg(ctx));
			CHECK(err >= 0 && err < 2e-2, "%s (reg %g): gradient vs finite differences: %g", l, reg, err);
			CHECK(fwd >= 0 && fwd < 1e-4, "%s: fast forward vs double reference: %g", l, fwd);
		}
	aimet_model_free(mc);
	aimet_model_free(mg);
}

struct run {
	struct aimet_model *m;
	struct aimet_encodings *enc;
	struct aimet_ada_report *rep;
};

static int run_ada(struct aimet_ctx *ctx, struct aimet_model *src, struct aimet_dataset *ds, int threads,
                   int per_channel, int64_t iters, const char *only, struct run *r)
{
	struct aimet_qsim_opts q;
	struct aimet_ada_opts o;
	int st;
	aimet_qsim_opts_init(&q);
	q.param_bw = 4;
	q.per_channel = per_channel;
	aimet_ada_opts_init(&o);
	o.iterations = iters;
	o.batch = 16;
	o.seed = 3;
	o.thread_min_flops = 1;   /* the tiny layers still run on a team of `threads` */
	if (only) {
		o.layers = &only;
		o.n_layers = 1;
	}
	ctx->threads = threads;
	r->m = aimet_model_clone(src);
	st = aimet_adaround(ctx, r->m, &q, ds, &o, &r->enc, &r->rep);
	ctx->threads = 1;
	CHECK(!st, "adaround: %s", aimet_errmsg(ctx));
	return st;
}

static void run_free(struct run *r)
{
	aimet_model_free(r->m);
	aimet_encodings_free(r->enc);
	aimet_ada_report_free(r->rep);
}

/* Every rounded weight is floor or ceil of W/scale (clamped to the grid). */
static void check_rounding(const struct aimet_model *orig, const struct run *r, const char *wname)
{
	const struct aimet_tensor *w0 = aimet_model_weight(orig, wname), *w1 = aimet_model_weight(r->m, wname);
	const struct aimet_enc_entry *e = aimet_encodings_find(r->enc, wname);
	int64_t n, bad = 0, up = 0, inner;
	if (!w0 || !w1 || !e) {
		CHECK(0, "%s: weight or encoding missing", wname);
		return;
	}
	n = aimet_tensor_numel(w0);
	inner = n / (int64_t)e->n;   /* axis 0 */
	for (int64_t i = 0; i < n; i++) {
		const struct aimet_encoding *g = &e->enc[e->per_channel ? i / inner : 0];
		double x = ((float *)w0->data)[i] / g->scale, q = ((float *)w1->data)[i] / g->scale;
		double fl = floor((float)(((float *)w0->data)[i] / g->scale));
		double lo = g->offset, hi = g->offset + g->qmax;
		double qi = nearbyint(q);
		(void)x;
		if (fabs(q - qi) > 1e-3 || !((qi == fl || qi == fl + 1) || (qi == lo && fl < lo) || (qi == hi && fl + 1 > hi)))
			bad++;
		up += qi == fl + 1;
	}
	CHECK(bad == 0, "%s: %lld weights not floor/ceil of W/scale on the grid", wname, (long long)bad);
	CHECK(up > 0 && up < n, "%s: %lld of %lld rounded up", wname, (long long)up, (long long)n);
}

/* Mean squared difference of the model outputs on ds. */
static double out_mse(struct aimet_ctx *ctx, const struct aimet_model *a, const struct aimet_model *b,
                      struct aimet_dataset *ds)
{
	struct aimet_plan *pa = NULL, *pb = NULL;
	struct aimet_tensor *batch[AIMET_DATASET_MAX_INPUTS] = {0}, *oa[2], *ob[2];
	double s = 0, n = 0;
	if (aimet_plan_new(ctx, a, NULL, &pa) || aimet_plan_new(ctx, b, NULL, &pb)) {
		CHECK(0, "plan: %s", aimet_errmsg(ctx));
		return INFINITY;
	}
	aimet_dataset_rewind(ds);
	while (aimet_dataset_next(ctx, ds, batch) == 1) {
		struct aimet_tensor *ca;
		if (aimet_plan_run(ctx, pa, batch, oa))
			break;
		ca = aimet_tensor_clone(oa[0]);
		if (aimet_plan_run(ctx, pb, batch, ob))
			break;
		for (int64_t i = 0; i < aimet_tensor_numel(ca); i++) {
			double d = (double)((float *)ca->data)[i] - ((float *)ob[0]->data)[i];
			s += d * d;
			n++;
		}
		aimet_tensor_free(ca);
	}
	aimet_plan_free(pa);
	aimet_plan_free(pb);
	return n ? s / n : INFINITY;
}

static void test_runs(struct aimet_ctx *ctx)
{
	struct aimet_model *m = convs(-1);
	int64_t xd[4] = {96, 3, 7, 7};
	struct aimet_tensor *x = dfq_input(4, xd, -1, 1);
	struct aimet_dataset *ds = dfq_dataset(ctx, x, npy_path);
	struct run r1, r2, r3;
	char why[256];
	if (!ds)
		return;
	/* -j 1 and -j 2: the same bits */
	if (run_ada(ctx, m, ds, 1, 1, 60, NULL, &r1) || run_ada(ctx, m, ds, 2, 1, 60, NULL, &r2))
		return;
	CHECK(aimet_model_equal(r1.m, r2.m, why, sizeof(why)), "-j 1 and -j 2 differ: %s", why);
	CHECK(r1.rep->n_layers == 3, "%zu layers rounded", r1.rep->n_layers);
	for (size_t i = 0; i < r1.rep->n_layers && i < r2.rep->n_layers; i++)
		CHECK(r1.rep->layers[i].loss_last == r2.rep->layers[i].loss_last, "loss differs on layer %zu", i);
	{
		char *d1 = NULL, *d2 = NULL;
		CHECK(!aimet_encodings_dump(ctx, r1.enc, 0, &d1) && !aimet_encodings_dump(ctx, r2.enc, 0, &d2) &&
		      !strcmp(d1, d2), "encodings differ between -j 1 and -j 2");
		CHECK(d1 && !strstr(d1, "\"a1\"") && strstr(d1, "\"w1\""), "param-only encodings");
		free(d1);
		free(d2);
	}
	check_rounding(m, &r1, "w1");
	check_rounding(m, &r1, "w2");
	check_rounding(m, &r1, "w3");
	run_free(&r1);
	run_free(&r2);

	/* the first layer alone (its input is the model input): hard rounding beats nearest on the
	 * layer output, and the regularized optimisation moved some weights off nearest */
	{
		struct aimet_model *one = dfq_model(13), *rtn;
		int64_t w1d[4] = {8, 3, 3, 3}, b8 = 8, xd1[4] = {-1, 3, 7, 7};
		struct aimet_qsim *sim;
		struct aimet_qsim_opts q;
		struct aimet_encodings *e;
		dfq_io(&one->graph->inputs, &one->graph->n_inputs, "x", 4, xd1);
		dfq_io(&one->graph->outputs, &one->graph->n_outputs, "y", -1, NULL);
		dfq_init(one, "w1", 4, w1d, -1, 1, NULL);
		dfq_init(one, "b1", 1, &b8, -0.2, 0.2, NULL);
		dfq_conv_attrs(dfq_node(one, "Conv", "c1", "x,w1,b1", "a1"), 3, 1, 1, 1);
		dfq_node(one, "Relu", "r1", "a1", "y");
		/* inputs correlated across pixels (per-channel level plus a little noise): the rounding
		 * errors of a window can then cancel, which nearest rounding ignores */
		int64_t xd2[4] = {64, 3, 7, 7};
		struct aimet_tensor *x2 = dfq_input(4, xd2, -0.1, 0.1);
		for (int64_t i = 0; i < 64 * 3; i++) {
			float lvl = (float)dfq_uniform(-1, 1);
			for (int64_t k = 0; k < 49; k++)
				((float *)x2->data)[i * 49 + k] += lvl;
		}
		aimet_dataset_free(ds);
		unlink(npy_path);
		if (!(ds = dfq_dataset(ctx, x2, npy_path)))
			return;
		aimet_tensor_free(x2);
		if (run_ada(ctx, one, ds, 1, 0, 1000, "c1", &r3))
			return;
		/* round-to-nearest with the same encodings, through the simulator's weights */
		aimet_qsim_opts_init(&q);
		q.param_bw = 4;
		q.per_channel = 0;
		rtn = aimet_model_clone(one);
		CHECK(!aimet_qsim_new(ctx, aimet_model_clone(one), &q, &sim) && !aimet_qsim_calibrate(ctx, sim, ds, NULL) &&
		      !aimet_qsim_encodings(ctx, sim, &e), "sim: %s", aimet_errmsg(ctx));
		{
			const struct aimet_enc_entry *en = aimet_encodings_find(r3.enc, "w1");
			struct aimet_tensor *w = aimet_tensor_clone(aimet_model_weight(one, "w1"));
			aimet_qdq_array(&en->enc[0], w->data, w->data, (size_t)aimet_tensor_numel(w));
			aimet_graph_replace_weight(ctx, rtn->graph, "w1", w);
			CHECK(aimet_encoding_equal(&en->enc[0], &aimet_encodings_find(e, "w1")->enc[0]),
			      "adaround's encodings differ from the simulator's");
		}
		{
			double mse_ada = out_mse(ctx, one, r3.m, ds), mse_rtn = out_mse(ctx, one, rtn, ds);
			printf("single layer: output mse %g (adaround) vs %g (nearest)\n", mse_ada, mse_rtn);
			CHECK(mse_ada < 0.9 * mse_rtn, "adaround output mse %g vs nearest %g", mse_ada, mse_rtn);
			CHECK(r3.rep->layers[0].n_flipped > 0, "no weight moved off nearest");
		}
		aimet_encodings_free(e);
		aimet_qsim_free(sim);
		aimet_model_free(rtn);
		aimet_model_free(one);
		run_free(&r3);
	}
	aimet_dataset_free(ds);
	aimet_tensor_free(x);
	unlink(npy_path);
	aimet_model_free(m);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	test_gradients(ctx);
	test_runs(ctx);
	aimet_ctx_free(ctx);
	return test_done();
}
