/* test_biascorr.c: bias correction on small hand-built models — empirical correction cuts the
 * mean output shift (checked independently through the simulator, and on held-out data), analytical correction from
 * the BN statistics agrees with the measured one (Relu, ReLU6, Relu+Clip, padded convs whose border
 * taps reach fewer outputs), layer selection, MatMul layers (a bias Add found or inserted). */
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
#include "../test.h"
#include "dfq_models.h"

static char npy_path[256];

/* Mean over channels of |mean(quantized y of m) - mean(FP32 y of ref)| on ds, the simulator
 * calibrated on ds with opts q (y = the first output, channels on axis 1). */
static double sim_shift(struct aimet_ctx *ctx, const struct aimet_model *ref, const struct aimet_model *m,
                        const struct aimet_qsim_opts *q, struct aimet_dataset *ds)
{
	struct aimet_qsim *sim = NULL;
	struct aimet_tensor *batch[AIMET_DATASET_MAX_INPUTS] = {0}, *out[4];
	double sum[2][64] = {{0}}, cnt = 0, shift = 0;
	int64_t C = 0;
	for (int on = 0; on <= 1; on++) {
		aimet_qsim_free(sim);
		if (aimet_qsim_new(ctx, aimet_model_clone(on ? m : ref), q, &sim) ||
		    aimet_qsim_calibrate(ctx, sim, ds, NULL) || aimet_qsim_set_enabled(ctx, sim, on)) {
			CHECK(0, "sim: %s", aimet_errmsg(ctx));
			return INFINITY;
		}
		aimet_dataset_rewind(ds);
		cnt = 0;
		while (aimet_dataset_next(ctx, ds, batch) == 1) {
			int64_t inner = 1;
			if (aimet_plan_run(ctx, aimet_qsim_plan(sim), batch, out))
				break;
			C = out[0]->dims[1];
			for (int d = 2; d < out[0]->ndim; d++)
				inner *= out[0]->dims[d];
			for (int64_t n = 0; n < out[0]->dims[0]; n++)
				for (int64_t c = 0; c < C && c < 64; c++)
					for (int64_t k = 0; k < inner; k++)
						sum[on][c] += ((float *)out[0]->data)[(n * C + c) * inner + k];
			cnt += (double)(out[0]->dims[0] * inner);
		}
	}
	for (int64_t c = 0; c < C && c < 64; c++)
		shift += fabs(sum[1][c] - sum[0][c]) / cnt;
	aimet_qsim_free(sim);
	return C ? shift / (double)C : INFINITY;
}

/* Conv(3->8, 3x3, pad 1) -> Relu -> Conv(8->4, 1x1, no bias), W4A8 per-tensor. */
static struct aimet_model *two_convs(void)
{
	struct aimet_model *m = dfq_model(13);
	int64_t w1d[4] = {8, 3, 3, 3}, w2d[4] = {4, 8, 1, 1}, b8 = 8, xd[4] = {-1, 3, 6, 6};
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, xd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	dfq_init(m, "w1", 4, w1d, -1, 1, NULL);
	dfq_init(m, "b1", 1, &b8, -0.2, 0.2, NULL);
	dfq_init(m, "w2", 4, w2d, -1, 1, NULL);
	dfq_conv_attrs(dfq_node(m, "Conv", "c1", "x,w1,b1", "a1"), 3, 1, 1, 1);
	dfq_node(m, "Relu", "r1", "a1", "h1");
	dfq_conv_attrs(dfq_node(m, "Conv", "c2", "h1,w2", "y"), 1, 0, 1, 1);
	return m;
}

static void test_empirical(struct aimet_ctx *ctx)
{
	struct aimet_model *m = two_convs(), *orig = aimet_model_clone(m);
	int64_t xd[4] = {64, 3, 6, 6};
	struct aimet_tensor *x = dfq_input(4, xd, 0, 1);
	struct aimet_dataset *ds = dfq_dataset(ctx, x, npy_path);
	struct aimet_qsim_opts q;
	struct aimet_bc_report *rep = NULL;
	double s0, s1;
	aimet_qsim_opts_init(&q);
	q.param_bw = 4;
	q.scheme = AIMET_SCHEME_TF;
	if (!ds)
		return;
	CHECK(aimet_bias_correct(ctx, m, &q, ds, NULL, &rep) == 0, "empirical: %s", aimet_errmsg(ctx));
	CHECK(rep && rep->n_layers == 2, "empirical: two layers corrected");
	for (size_t i = 0; getenv("TEST_VERBOSE") && rep && i < rep->n_layers; i++)
		fprintf(stderr, "%s %g -> %g\n", rep->layers[i].name, rep->layers[i].shift_before, rep->layers[i].shift_after);
	for (size_t i = 0; rep && i < rep->n_layers; i++) {
		CHECK(rep->layers[i].shift_before > 1e-4, "%s: a shift to correct (%g)", rep->layers[i].name,
		      rep->layers[i].shift_before);
		CHECK(rep->layers[i].shift_after < 0.5 * rep->layers[i].shift_before, "%s: shift %g -> %g",
		      rep->layers[i].name, rep->layers[i].shift_before, rep->layers[i].shift_after);
	}
	{
		struct aimet_node *c2 = aimet_graph_producer(m->graph, "y", NULL, NULL);
		CHECK(c2 && c2->n_inputs == 3 && aimet_graph_find_weight(m->graph, c2->inputs[2], NULL),
		      "a layer without a bias gets one");
	}
	/* independently: the simulated model's output shift before and after */
	s0 = sim_shift(ctx, orig, orig, &q, ds);
	s1 = sim_shift(ctx, orig, m, &q, ds);
	CHECK(s1 < 0.5 * s0, "simulated output shift cut by half: %g -> %g", s0, s1);
	aimet_bc_report_free(rep);
	/* layer selection */
	{
		struct aimet_model *m2 = aimet_model_clone(orig);
		const char *only[1] = {"c2"}, *bad[1] = {"nope"};
		struct aimet_bc_opts o;
		memset(&o, 0, sizeof(o));
		o.layers = only;
		o.n_layers = 1;
		rep = NULL;
		CHECK(aimet_bias_correct(ctx, m2, &q, ds, &o, &rep) == 0 && rep && rep->n_layers == 1 &&
		      !strcmp(rep->layers[0].name, "c2"), "--layers c2 corrects c2 alone");
		aimet_bc_report_free(rep);
		o.layers = bad;
		CHECK(aimet_bias_correct(ctx, m2, &q, ds, &o, NULL) == AIMET_ERR_INVALID &&
		      strstr(aimet_errmsg(ctx), "nope"), "an unknown layer is an error naming it");
		o.layers = NULL;
		o.n_layers = 0;
		o.skip_layers = only;
		o.n_skip = 1;
		rep = NULL;
		aimet_model_free(m2);
		m2 = aimet_model_clone(orig);
		CHECK(aimet_bias_correct(ctx, m2, &q, ds, &o, &rep) == 0 && rep && rep->n_layers == 1 &&
		      !strcmp(rep->layers[0].name, "c1"), "--skip-layers c2 corrects c1 alone");
		aimet_bc_report_free(rep);
		aimet_model_free(m2);
	}
	/* measured again on other data, against the uncorrected FP32 model */
	{
		struct aimet_tensor *x2 = dfq_input(4, xd, 0, 1);
		char keep_path[256];
		struct aimet_dataset *ds2;
		struct aimet_bc_opts o;
		struct aimet_model *m3 = aimet_model_clone(orig);
		snprintf(keep_path, sizeof(keep_path), "%s", npy_path);
		ds2 = dfq_dataset(ctx, x2, npy_path);
		memset(&o, 0, sizeof(o));
		o.heldout = ds2;
		rep = NULL;
		CHECK(ds2 && aimet_bias_correct(ctx, m3, &q, ds, &o, &rep) == 0 && rep && rep->n_layers == 2,
		      "held-out: %s", aimet_errmsg(ctx));
		for (size_t i = 0; rep && i < rep->n_layers; i++)
			CHECK(rep->layers[i].has_heldout && rep->layers[i].heldout_before > 1e-4 &&
			      rep->layers[i].heldout_after < 0.5 * rep->layers[i].heldout_before,
			      "%s: held-out shift %g -> %g", rep->layers[i].name, rep->layers[i].heldout_before,
			      rep->layers[i].heldout_after);
		aimet_bc_report_free(rep);
		aimet_dataset_free(ds2);
		unlink(npy_path);
		snprintf(npy_path, sizeof(npy_path), "%s", keep_path);
		aimet_tensor_free(x2);
		aimet_model_free(m3);
	}
	CHECK(aimet_bias_correct(ctx, orig, &q, NULL, NULL, NULL) == AIMET_ERR_INVALID,
	      "empirical correction without data is refused");
	aimet_dataset_free(ds);
	unlink(npy_path);
	aimet_tensor_free(x);
	aimet_model_free(m);
	aimet_model_free(orig);
}

/* x ~ N(beta, gamma^2) per channel (recorded as folded BN statistics of x) -> Relu or
 * Clip(0, 6) -> Conv(6->4, 3x3): the analytical correction matches the one measured on data
 * (activations at 16 bits, so only the weight error remains). */
static void test_analytical(struct aimet_ctx *ctx, int relu6, int pad)
{
	struct aimet_model *m = dfq_model(13), *m2, *m0;
	int64_t wd[4] = {4, 6, 3, 3}, b4 = 4, xd[4] = {512, 6, 6, 6}, one = 1;
	float gamma[6] = {1.0f, 0.5f, 2.0f, 1.5f, 0.8f, 3.0f}, beta[6] = {0.5f, -0.3f, 1.0f, 5.5f, 0.0f, 4.0f};
	float zero = 0, six = 6;
	struct aimet_tensor *x;
	struct aimet_dataset *ds;
	struct aimet_qsim_opts q;
	struct aimet_bc_opts o;
	struct aimet_bc_report *rep = NULL;
	double diff = 0, mag = 0;
	float b0[4];
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, (int64_t[]){-1, 6, 6, 6});
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	dfq_init(m, "w", 4, wd, -1, 1, NULL);
	memcpy(b0, dfq_init(m, "b", 1, &b4, -0.1, 0.1, NULL)->data, sizeof(b0));
	if (relu6) {
		dfq_init(m, "lo", 0, &one, 0, 0, &zero);
		dfq_init(m, "hi", 0, &one, 0, 0, &six);
		if (relu6 == 2) {   /* ReLU6 as PyTorch exports it */
			dfq_node(m, "Relu", "act0", "x", "x2");
			dfq_node(m, "Clip", "act", "x2,lo,hi", "h");
		} else {
			dfq_node(m, "Clip", "act", "x,lo,hi", "h");
		}
	} else {
		dfq_node(m, "Relu", "act", "x", "h");
	}
	dfq_conv_attrs(dfq_node(m, "Conv", "c", "h,w,b", "y"), 3, pad, 1, 1);
	aimet_bn_meta_set(ctx, m, "x", gamma, beta, 6);
	x = aimet_tensor_new("x", AIMET_FLOAT, 4, xd);
	aimet_tensor_alloc(NULL, x);
	for (int64_t i = 0; i < aimet_tensor_numel(x); i++) {
		int c = (int)((i / 36) % 6);
		double u1 = dfq_uniform(1e-12, 1), u2 = dfq_rand();
		((float *)x->data)[i] = (float)(beta[c] + gamma[c] * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
	}
	ds = dfq_dataset(ctx, x, npy_path);
	aimet_qsim_opts_init(&q);
	q.param_bw = 4;
	q.act_bw = 16;
	q.scheme = AIMET_SCHEME_TF;
	m2 = aimet_model_clone(m);
	m0 = aimet_model_clone(m);
	memset(&o, 0, sizeof(o));
	o.analytical = 1;
	CHECK(aimet_bias_correct(ctx, m, &q, NULL, &o, &rep) == 0, "analytical: %s", aimet_errmsg(ctx));
	CHECK(rep && rep->n_layers == 1 && rep->layers[0].analytical, "analytical: one layer, data-free");
	aimet_bc_report_free(rep);
	CHECK(ds && aimet_bias_correct(ctx, m2, &q, ds, NULL, NULL) == 0, "empirical: %s", aimet_errmsg(ctx));
	{
		const float *ba = aimet_graph_find_weight(m->graph, "b", NULL)->data;
		const float *be = aimet_graph_find_weight(m2->graph, "b", NULL)->data;
		for (int c = 0; c < 4; c++) {
			diff = fmax(diff, fabs((ba[c] - b0[c]) - (be[c] - b0[c])));
			mag = fmax(mag, fabs(be[c] - b0[c]));
		}
	}
	/* both corrections move the bias the same way: analytical within 15% of the measured one */
	CHECK(mag > 1e-3, "relu6 %d pad %d: a correction to make (%g)", relu6, pad, mag);
	CHECK(diff < 0.15 * mag, "relu6 %d pad %d: analytical and empirical corrections differ by %g (largest %g)",
	      relu6, pad, diff, mag);
	/* with data: the layer's own weight error alone, measured before and after */
	rep = NULL;
	CHECK(ds && aimet_bias_correct(ctx, m0, &q, ds, &o, &rep) == 0 && rep && rep->n_layers == 1,
	      "analytical with data: %s", aimet_errmsg(ctx));
	if (rep && rep->n_layers == 1) {
		const struct aimet_bc_layer *l = &rep->layers[0];
		CHECK(l->analytical && l->measured && l->has_weight_shift && l->weight_shift_before > 1e-3 &&
		      l->weight_shift_after < 0.5 * l->weight_shift_before,
		      "relu6 %d pad %d: own weight error %g -> %g", relu6, pad, l->weight_shift_before,
		      l->weight_shift_after);
	}
	aimet_bc_report_free(rep);
	aimet_model_free(m0);
	aimet_dataset_free(ds);
	unlink(npy_path);
	aimet_tensor_free(x);
	aimet_model_free(m);
	aimet_model_free(m2);
}

/* x -> MatMul(W [8, 4]) -> y: without a bias an Add is inserted (y keeps its name; x [N, 5, 8],
 * channels on the last axis), with MatMul -> Add(b) that b is corrected. W4 per-tensor. */
static void test_matmul(struct aimet_ctx *ctx, int with_add)
{
	struct aimet_model *m = dfq_model(13), *orig;
	int64_t wd[2] = {8, 4}, b4 = 4, xd3[3] = {64, 5, 8}, xd2[2] = {64, 8};
	struct aimet_tensor *x;
	struct aimet_dataset *ds;
	struct aimet_qsim_opts q;
	struct aimet_bc_report *rep = NULL;
	struct aimet_node *yp;
	if (with_add)
		dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 2, (int64_t[]){-1, 8});
	else
		dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 3, (int64_t[]){-1, 5, 8});
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	dfq_init(m, "w", 2, wd, -1, 1, NULL);
	if (with_add) {
		dfq_init(m, "b", 1, &b4, -0.2, 0.2, NULL);
		dfq_node(m, "MatMul", "mm", "x,w", "p");
		dfq_node(m, "Add", "add", "p,b", "y");
	} else {
		dfq_node(m, "MatMul", "mm", "x,w", "y");
	}
	orig = aimet_model_clone(m);
	x = with_add ? dfq_input(2, xd2, 0, 1) : dfq_input(3, xd3, 0, 1);
	ds = dfq_dataset(ctx, x, npy_path);
	aimet_qsim_opts_init(&q);
	q.param_bw = 4;
	q.scheme = AIMET_SCHEME_TF;
	CHECK(ds && aimet_bias_correct(ctx, m, &q, ds, NULL, &rep) == 0, "matmul %d: %s", with_add, aimet_errmsg(ctx));
	CHECK(rep && rep->n_layers == 1 && !strcmp(rep->layers[0].name, "mm"), "matmul %d: the MatMul corrected",
	      with_add);
	if (rep && rep->n_layers == 1)
		CHECK(rep->layers[0].shift_before > 1e-4 && rep->layers[0].shift_after < 0.5 * rep->layers[0].shift_before,
		      "matmul %d: shift %g -> %g", with_add, rep->layers[0].shift_before, rep->layers[0].shift_after);
	yp = aimet_graph_producer(m->graph, "y", NULL, NULL);
	CHECK(m->graph->n_nodes == 2 && yp && !strcmp(yp->op_type, "Add") && yp->n_inputs == 2 &&
	      aimet_graph_find_weight(m->graph, yp->inputs[1], NULL) &&
	      aimet_tensor_numel(aimet_graph_find_weight(m->graph, yp->inputs[1], NULL)) == 4,
	      "matmul %d: y comes from an Add of a [4] bias", with_add);
	if (with_add) {   /* independently: the simulated output shift */
		double s0 = sim_shift(ctx, orig, orig, &q, ds), s1 = sim_shift(ctx, orig, m, &q, ds);
		CHECK(s1 < 0.5 * s0, "matmul: simulated output shift cut by half: %g -> %g", s0, s1);
	}
	aimet_bc_report_free(rep);
	aimet_dataset_free(ds);
	unlink(npy_path);
	aimet_tensor_free(x);
	aimet_model_free(m);
	aimet_model_free(orig);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	test_empirical(ctx);
	test_analytical(ctx, 0, 0);
	test_analytical(ctx, 1, 0);
	test_analytical(ctx, 2, 0);
	test_analytical(ctx, 0, 1);
	test_analytical(ctx, 1, 1);
	test_matmul(ctx, 0);
	test_matmul(ctx, 1);
	aimet_ctx_free(ctx);
	return test_done();
}
