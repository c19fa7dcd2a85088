/* test_placement.c: where the simulator puts activation quantizers around gated activations
 * (x * HardSigmoid(x), x * Sigmoid(x)), constant scalings (x * a + b) and MatMul + bias: one
 * quantizer after the chain, none on the gate or between the steps; a gate on another tensor
 * (squeeze-and-excitation), a tensor with several readers and a non-affine scalar op keep
 * theirs. */
#include <stdlib.h>
#include <string.h>
#include "aimet_ir.h"
#include "aimet_qsim.h"
#include "dfq_models.h"
#include "../test.h"

/* x[1,4,6,6] -> Conv c1 -> HardSigmoid g1, Mul(c1, g1) hs -> Mul(a, hs) ms -> Add(ms, b) lab
 *   -> Conv c2 -> GlobalAveragePool gp -> Conv se -> HardSigmoid seg; Mul(c2, seg) y1
 *   -> Sigmoid sg, Mul(y1, sg) sw -> Div(sw, k) y
 *   c2 -> Relu t -> Div(k, t) y2
 *   gp -> MatMul(gp, wm) mm -> Add(mm, bm) y3 (a Linear layer: quantized once, after the bias) */
static struct aimet_model *build(void)
{
	struct aimet_model *m = dfq_model(13);
	int64_t xd[4] = {1, 4, 6, 6}, w1d[4] = {8, 4, 3, 3}, w2d[4] = {8, 8, 1, 1}, one[1] = {1};
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, xd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y", -1, NULL);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y2", -1, NULL);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "y3", -1, NULL);
	dfq_init(m, "w1", 4, w1d, -0.5, 0.5, NULL);
	dfq_init(m, "w2", 4, w2d, -0.5, 0.5, NULL);
	dfq_init(m, "w3", 4, w2d, -0.5, 0.5, NULL);
	dfq_init(m, "a", 1, one, 0.3, 0.4, NULL);
	dfq_init(m, "b", 1, one, -0.2, -0.1, NULL);
	dfq_init(m, "k", 1, one, 2.0, 3.0, NULL);
	dfq_init(m, "wm", 2, (int64_t[]){1, 8}, -0.5, 0.5, NULL);
	dfq_init(m, "bm", 1, (int64_t[]){8}, -0.1, 0.1, NULL);
	dfq_conv_attrs(dfq_node(m, "Conv", "conv1", "x,w1", "c1"), 3, 1, 1, 1);
	dfq_node(m, "HardSigmoid", "hsig", "c1", "g1");
	dfq_node(m, "Mul", "hswish", "c1,g1", "hs");
	dfq_node(m, "Mul", "lab_scale", "a,hs", "ms");
	dfq_node(m, "Add", "lab_bias", "ms,b", "lab");
	dfq_conv_attrs(dfq_node(m, "Conv", "conv2", "lab,w2", "c2"), 1, 0, 1, 1);
	dfq_node(m, "GlobalAveragePool", "pool", "c2", "gp");
	dfq_conv_attrs(dfq_node(m, "Conv", "conv3", "gp,w3", "se"), 1, 0, 1, 1);
	dfq_node(m, "HardSigmoid", "se_gate", "se", "seg");
	dfq_node(m, "Mul", "se_mul", "c2,seg", "y1");
	dfq_node(m, "Sigmoid", "sig", "y1", "sg");
	dfq_node(m, "Mul", "swish", "y1,sg", "sw");
	dfq_node(m, "Div", "div", "sw,k", "y");
	dfq_node(m, "Relu", "relu", "c2", "t");
	dfq_node(m, "Div", "recip", "k,t", "y2");
	dfq_node(m, "MatMul", "linear", "gp,wm", "mm");
	dfq_node(m, "Add", "linear_bias", "mm,bm", "y3");
	return m;
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_qsim *s = NULL;
	static const char *const none[] = {"g1", "hs", "ms", "sg", "sw", "mm"};
	static const char *const some[] = {"x", "c1", "lab", "c2", "gp", "se", "seg", "y1", "y", "t", "y2", "y3"};
	CHECK(aimet_qsim_new(ctx, build(), NULL, &s) == 0, "qsim: %s", aimet_errmsg(ctx));
	if (s) {
		for (size_t i = 0; i < sizeof(none) / sizeof(*none); i++)
			CHECK(!aimet_qsim_find(s, none[i]), "'%s' is inside a fused chain but quantized", none[i]);
		for (size_t i = 0; i < sizeof(some) / sizeof(*some); i++)
			CHECK(aimet_qsim_find(s, some[i]) != NULL, "'%s' not quantized", some[i]);
	}
	aimet_qsim_free(s);
	aimet_ctx_free(ctx);
	return test_done();
}
