/* test_bnfold.c: batch-norm and affine folding keep the model's function and remove the folded
 * nodes; the simulator quantizes a decomposed LayerNorm only at its output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "aimet_exec.h"
#include "aimet_ir.h"
#include "aimet_ptq.h"
#include "aimet_qsim.h"
#include "../test.h"

static uint32_t seed = 7;
static float frand(void)
{
	seed = seed * 1664525u + 1013904223u;
	return (float)(seed >> 8) / 16777216.0f - 0.5f;
}

static struct aimet_tensor *weight(const char *name, int ndim, const int64_t *dims, float lo, float hi)
{
	struct aimet_tensor *t = aimet_tensor_new(name, AIMET_FLOAT, ndim, dims);
	aimet_tensor_alloc(NULL, t);
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++)
		((float *)t->data)[i] = lo + (hi - lo) * (frand() + 0.5f);
	return t;
}

static void add_node(struct aimet_graph *g, const char *op, int n_in, const char **in, const char *out)
{
	const char *outs[1] = {out};
	aimet_graph_add_node(NULL, g, g->n_nodes, aimet_node_new(op, out, n_in, in, 1, outs));
}

/* x[2,4,6,6] -> Conv(8, 3x3, pad 1) -> BN -> Mul(c[8,1,1]) -> Add(scalar) -> Relu
 *   -> Conv(8, 1x1) -> LayerNorm over the last axis, decomposed: ReduceMean, Sub, Pow 2,
 *   ReduceMean, Add eps, Sqrt, Div, Mul gamma[6], Add beta[6] -> y */
static struct aimet_model *build(void)
{
	struct aimet_model *m = calloc(1, sizeof(*m));
	struct aimet_graph *g = calloc(1, sizeof(*g));
	int64_t w1d[4] = {8, 4, 3, 3}, w2d[4] = {8, 8, 1, 1}, c8[1] = {8}, c811[3] = {8, 1, 1};
	m->graph = g;
	m->ir_version = 8;
	m->opsets = calloc(1, sizeof(*m->opsets));
	m->opsets[0].domain = strdup("");
	m->opsets[0].version = 13;
	m->n_opsets = 1;
	g->inputs = calloc(1, sizeof(*g->inputs));
	g->inputs[0].name = strdup("x");
	g->inputs[0].elem_type = AIMET_FLOAT;
	g->n_inputs = 1;
	g->outputs = calloc(1, sizeof(*g->outputs));
	g->outputs[0].name = strdup("y");
	g->outputs[0].elem_type = AIMET_FLOAT;
	g->n_outputs = 1;
	aimet_graph_add_initializer(NULL, g, weight("w1", 4, w1d, -0.5f, 0.5f));
	aimet_graph_add_initializer(NULL, g, weight("b1", 1, c8, -0.1f, 0.1f));
	aimet_graph_add_initializer(NULL, g, weight("gamma", 1, c8, 0.5f, 2.0f));
	aimet_graph_add_initializer(NULL, g, weight("beta", 1, c8, -0.5f, 0.5f));
	aimet_graph_add_initializer(NULL, g, weight("mean", 1, c8, -0.2f, 0.2f));
	aimet_graph_add_initializer(NULL, g, weight("var", 1, c8, 0.5f, 1.5f));
	aimet_graph_add_initializer(NULL, g, weight("scale", 3, c811, 0.2f, 3.0f));
	aimet_graph_add_initializer(NULL, g, weight("shift", 0, NULL, 0.1f, 0.1f));
	aimet_graph_add_initializer(NULL, g, weight("w2", 4, w2d, -0.5f, 0.5f));
	aimet_graph_add_initializer(NULL, g, weight("two", 0, NULL, 2, 2));
	aimet_graph_add_initializer(NULL, g, weight("eps", 0, NULL, 1e-5f, 1e-5f));
	aimet_graph_add_initializer(NULL, g, weight("ln_gamma", 1, (int64_t[]){6}, 0.5f, 1.5f));
	aimet_graph_add_initializer(NULL, g, weight("ln_beta", 1, (int64_t[]){6}, -0.5f, 0.5f));
	{
		const char *conv1[3] = {"x", "w1", "b1"}, *bn[5] = {"c1", "gamma", "beta", "mean", "var"};
		const char *mul[2] = {"scale", "bn"}, *add[2] = {"mul", "shift"}, *relu[1] = {"add"};
		const char *conv2[2] = {"relu", "w2"}, *rm1[1] = {"c2"}, *sub[2] = {"c2", "mean1"};
		const char *pw[2] = {"d", "two"}, *rm2[1] = {"sq"}, *ae[2] = {"lnvar", "eps"}, *sr[1] = {"ve"};
		const char *dv[2] = {"d", "sd"}, *mg[2] = {"nrm", "ln_gamma"}, *ab[2] = {"gn", "ln_beta"};
		add_node(g, "Conv", 3, conv1, "c1");
		aimet_node_set_ints(g->nodes[0], "pads", (const int64_t[]){1, 1, 1, 1}, 4);
		add_node(g, "BatchNormalization", 5, bn, "bn");
		add_node(g, "Mul", 2, mul, "mul");
		add_node(g, "Add", 2, add, "add");
		add_node(g, "Relu", 1, relu, "relu");
		add_node(g, "Conv", 2, conv2, "c2");
		add_node(g, "ReduceMean", 1, rm1, "mean1");
		aimet_node_set_ints(g->nodes[g->n_nodes - 1], "axes", (const int64_t[]){-1}, 1);
		add_node(g, "Sub", 2, sub, "d");
		add_node(g, "Pow", 2, pw, "sq");
		add_node(g, "ReduceMean", 1, rm2, "lnvar");
		aimet_node_set_ints(g->nodes[g->n_nodes - 1], "axes", (const int64_t[]){-1}, 1);
		add_node(g, "Add", 2, ae, "ve");
		add_node(g, "Sqrt", 1, sr, "sd");
		add_node(g, "Div", 2, dv, "nrm");
		add_node(g, "Mul", 2, mg, "gn");
		add_node(g, "Add", 2, ab, "y");
	}
	return m;
}

static struct aimet_tensor *run(struct aimet_ctx *ctx, const struct aimet_model *m, struct aimet_tensor *x)
{
	struct aimet_plan *p = NULL;
	struct aimet_tensor *out[1] = {0}, *r = NULL;
	struct aimet_plan_opts o = {0};
	o.no_fold_bn = 1;   /* the executor's own fold must not hide ours */
	if (aimet_plan_new(ctx, m, &o, &p) || aimet_plan_run(ctx, p, &x, out))
		fprintf(stderr, "run: %s\n", aimet_errmsg(ctx));
	else
		r = aimet_tensor_clone(out[0]);
	aimet_plan_free(p);
	return r;
}

static int count_op(const struct aimet_graph *g, const char *op)
{
	int n = 0;
	for (size_t i = 0; i < g->n_nodes; i++)
		n += !strcmp(g->nodes[i]->op_type, op);
	return n;
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_model *m = build(), *f;
	int64_t xd[4] = {2, 4, 6, 6};
	struct aimet_tensor *x = weight("x", 4, xd, -2, 2), *y0, *y1;
	int n = 0;
	float *gam, *bet;
	size_t nm;

	y0 = run(ctx, m, x);
	f = aimet_model_clone(m);
	CHECK(aimet_fold_batchnorms(ctx, f, &n) == 0, "fold: %s", aimet_errmsg(ctx));
	CHECK(n == 3, "folded %d nodes, want 3 (BN, Mul, Add)", n);
	CHECK(count_op(f->graph, "BatchNormalization") == 0 && count_op(f->graph, "Mul") == 1 &&
	      count_op(f->graph, "Add") == 2, "folded nodes still there (or the LayerNorm's folded)");
	CHECK(aimet_graph_find_initializer(f->graph, "gamma", NULL) == NULL, "unused BN parameters kept");
	y1 = run(ctx, f, x);
	CHECK(y0 && y1, "runs");
	if (y0 && y1) {
		double maxd = 0, maxv = 0;
		for (int64_t i = 0; i < aimet_tensor_numel(y0); i++) {
			maxd = fmax(maxd, fabs(((float *)y0->data)[i] - ((float *)y1->data)[i]));
			maxv = fmax(maxv, fabs(((float *)y0->data)[i]));
		}
		CHECK(maxd <= 1e-5 * maxv, "folding changed the function: %g of %g", maxd, maxv);
	}
	/* the BN statistics follow the affine steps: gamma scaled by |scale|, beta by scale + shift */
	CHECK(aimet_bn_meta_get(f, "c1", &gam, &bet, &nm) == 0 && nm == 8, "BN metadata for the folded conv");
	if (nm == 8) {
		const struct aimet_tensor *g0 = aimet_graph_find_weight(m->graph, "gamma", NULL);
		const struct aimet_tensor *b0 = aimet_graph_find_weight(m->graph, "beta", NULL);
		const struct aimet_tensor *sc = aimet_graph_find_weight(m->graph, "scale", NULL);
		float sh = *(float *)aimet_graph_find_weight(m->graph, "shift", NULL)->data;
		int ok = 1;
		for (int c = 0; c < 8; c++) {
			float s = ((float *)sc->data)[c];
			ok &= fabsf(gam[c] - fabsf(s * ((float *)g0->data)[c])) < 1e-5f;
			ok &= fabsf(bet[c] - (s * ((float *)b0->data)[c] + sh)) < 1e-5f;
		}
		CHECK(ok, "BN metadata not transformed by the affine steps");
		free(gam);
		free(bet);
	}

	/* the simulator quantizes the decomposed LayerNorm at its output only */
	{
		struct aimet_qsim *s = NULL;
		static const char *const inner[] = {"mean1", "d", "sq", "lnvar", "ve", "sd", "nrm", "gn"};
		CHECK(aimet_qsim_new(ctx, aimet_model_clone(m), NULL, &s) == 0, "qsim: %s", aimet_errmsg(ctx));
		if (s) {
			for (int i = 0; i < 8; i++)
				CHECK(!aimet_qsim_find(s, inner[i]), "LayerNorm internal '%s' quantized", inner[i]);
			CHECK(aimet_qsim_find(s, "y") && aimet_qsim_find(s, "c2"), "LayerNorm input/output not quantized");
			CHECK(aimet_qsim_find(s, "relu") && !aimet_qsim_find(s, "c1"), "folded chain placement");
		}
		aimet_qsim_free(s);
	}
	aimet_tensor_free(x);
	aimet_tensor_free(y0);
	aimet_tensor_free(y1);
	aimet_model_free(m);
	aimet_model_free(f);
	aimet_ctx_free(ctx);
	return test_done();
}
