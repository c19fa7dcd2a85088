/* test_ewfuse.c: the executor runs chains of elementwise nodes as one step (aimet_ew_run): same
 * bits as node by node (no_fuse) at any thread count, fewer steps, chains broken by kept
 * (quantized) values, and a chain whose shapes broadcast still right (run node by node). */
#include "dfq_models.h"
#include "aimet_exec.h"

static const float three = 3, zero = 0, six = 6, a2 = 0.75f, b2 = -0.125f, ws = 1.5f;

/* x -> Mul(cw) -> Add(cb) = y0; y0 -> Add 3 -> Clip(0,6) -> Mul(y0, .) -> Div 6 -> Mul a2
 * -> Add(b2, .) = t6; out1 = Mul(t6, Sigmoid(t6)); out2 = Sub(Mul(x, HardSigmoid(x)), r);
 * out3 = Sigmoid(Mul(q, c5)) (q [8,1] against c5 [5]: the shape grows, no one pass). */
static struct aimet_model *build(void)
{
	struct aimet_model *m = dfq_model(13);
	int64_t xd[4] = {2, 8, 5, 7}, cd[3] = {8, 1, 1}, sd[1] = {1}, qd[2] = {8, 1}, c5d[1] = {5};
	struct aimet_node *hs;
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "x", 4, xd);
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "r", 4, xd);
	dfq_io(&m->graph->inputs, &m->graph->n_inputs, "q", 2, qd);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "out1", -1, NULL);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "out2", -1, NULL);
	dfq_io(&m->graph->outputs, &m->graph->n_outputs, "out3", -1, NULL);
	dfq_init(m, "cw", 3, cd, 0.5, 2, NULL);
	dfq_init(m, "cb", 3, cd, -1, 1, NULL);
	dfq_init(m, "three", 0, sd, 0, 0, &three);
	dfq_init(m, "zero", 0, sd, 0, 0, &zero);
	dfq_init(m, "six", 0, sd, 0, 0, &six);
	dfq_init(m, "a2", 1, sd, 0, 0, &a2);
	dfq_init(m, "b2", 1, sd, 0, 0, &b2);
	dfq_init(m, "ws", 1, sd, 0, 0, &ws);
	dfq_init(m, "c5", 1, c5d, -2, 2, NULL);
	dfq_node(m, "Mul", "m0", "x,cw", "h");
	dfq_node(m, "Add", "a0", "h,cb", "y0");
	dfq_node(m, "Add", "a1", "y0,three", "t1");
	dfq_node(m, "Clip", "c1", "t1,zero,six", "t2");
	dfq_node(m, "Mul", "m1", "y0,t2", "t3");
	dfq_node(m, "Div", "d1", "t3,six", "t4");
	dfq_node(m, "Mul", "m2", "t4,a2", "t5");
	dfq_node(m, "Add", "a2", "b2,t5", "t6");
	dfq_node(m, "Sigmoid", "s1", "t6", "s");
	dfq_node(m, "Mul", "m3", "t6,s", "out1");
	hs = dfq_node(m, "HardSigmoid", "hs", "x", "g");
	aimet_node_set_float(hs, "alpha", 0.25f);
	dfq_node(m, "Mul", "m4", "x,g", "z");
	dfq_node(m, "Sub", "s2", "z,r", "out2");
	dfq_node(m, "Mul", "m5", "q,c5", "w");
	dfq_node(m, "Sigmoid", "s3", "w", "out3");
	(void)ws;
	return m;
}

/* Run the model with these options and threads; the three outputs copied into o[]. */
static int run(struct aimet_ctx *ctx, const struct aimet_model *m, const struct aimet_plan_opts *po,
               int threads, struct aimet_tensor *const *in, struct aimet_tensor **o, size_t *steps,
               const struct aimet_fq *fq)
{
	struct aimet_plan *p = NULL;
	struct aimet_tensor *out[3];
	int st;
	ctx->threads = threads;
	if ((st = aimet_plan_new(ctx, m, po, &p)))
		return st;
	if (fq && ((st = aimet_plan_set_output_quant(ctx, p, "t3", fq)) ||
	           (st = aimet_plan_set_output_quant(ctx, p, "out1", fq)))) {
		aimet_plan_free(p);
		return st;
	}
	if (!(st = aimet_plan_run(ctx, p, in, out)))
		for (int i = 0; i < 3; i++)
			o[i] = aimet_tensor_clone(out[i]);
	if (steps)
		*steps = aimet_plan_n_steps(p);
	aimet_plan_free(p);
	return st;
}

static int same(struct aimet_tensor *const *a, struct aimet_tensor *const *b)
{
	for (int i = 0; i < 3; i++)
		if (!a[i] || !b[i] || a[i]->nbytes != b[i]->nbytes || a[i]->ndim != b[i]->ndim ||
		    memcmp(a[i]->dims, b[i]->dims, sizeof(a[i]->dims[0]) * (size_t)a[i]->ndim) ||
		    memcmp(a[i]->data, b[i]->data, a[i]->nbytes))
			return 0;
	return 1;
}

static void drop(struct aimet_tensor **o)
{
	for (int i = 0; i < 3; i++)
		aimet_tensor_free(o[i]), o[i] = NULL;
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_model *m = build();
	int64_t xd[4] = {2, 8, 5, 7}, qd[2] = {8, 1};
	struct aimet_tensor *in[3] = {dfq_input(4, xd, -8, 8), dfq_input(4, xd, -2, 2), dfq_input(2, qd, -3, 3)};
	struct aimet_tensor *ref[3] = {0}, *got[3] = {0};
	struct aimet_plan_opts nofuse = {.no_fuse = 1}, fuse = {0}, refo = {.use_ref = 1};
	size_t n_ref = 0, n_got = 0;
	const char *keep[1] = {"t3"};
	struct aimet_fq fq = {0.05f, -128, 127};

	/* a few exact edge values through the chains: NaN, infinities, signed zeros */
	((float *)in[0]->data)[0] = NAN;
	((float *)in[0]->data)[1] = INFINITY;
	((float *)in[0]->data)[2] = -INFINITY;
	((float *)in[0]->data)[3] = -0.0f;
	((float *)in[0]->data)[4] = -3.0f;

	CHECK(run(ctx, m, &nofuse, 1, in, ref, &n_ref, NULL) == 0, "unfused run: %s", aimet_errmsg(ctx));
	CHECK(n_ref == 15, "unfused: one step per node (%zu)", n_ref);
	for (int threads = 1; threads <= 3; threads++) {
		CHECK(run(ctx, m, &fuse, threads, in, got, &n_got, NULL) == 0, "fused run: %s", aimet_errmsg(ctx));
		/* Mul+Add, Add+Clip+Mul+Div+Mul+Add, Sigmoid+Mul, HardSigmoid+Mul+Sub, Mul+Sigmoid */
		CHECK(n_got == 5, "fused steps %zu (threads %d)", n_got, threads);
		CHECK(same(ref, got), "fused == unfused, bit for bit (threads %d)", threads);
		drop(got);
	}
	/* the reference path makes no chains (only Add+Clip, the ops' own fusion, remains) */
	CHECK(run(ctx, m, &refo, 1, in, got, &n_got, NULL) == 0 && n_got == 14, "ref: %zu steps", n_got);
	drop(got);

	/* the step list names the chain */
	{
		struct aimet_plan *p = NULL;
		int found = 0;
		CHECK(aimet_plan_new(ctx, m, NULL, &p) == 0, "plan");
		for (size_t i = 0; p && i < aimet_plan_n_steps(p); i++) {
			const struct aimet_plan_step *s = aimet_plan_get_step(p, i);
			if (s->label && !strcmp(s->label, "Add+Clip+Mul+Div+Mul+Add") &&
			    !strcmp(s->node->name, "a1") && s->n_out == 1 && !strcmp(s->out[0]->name, "t6"))
				found = 1;
		}
		CHECK(found, "a step labelled Add+Clip+Mul+Div+Mul+Add from a1 to t6");
		/* an inner value is fused away: not quantizable, not reachable by run_until */
		CHECK(aimet_plan_set_output_quant(ctx, p, "t3", &fq) != 0, "fq on a fused-away value refused");
		CHECK(aimet_plan_run_until(ctx, p, in, "t3", NULL) != 0, "run_until a fused-away value refused");
		CHECK(aimet_plan_run_until(ctx, p, in, "t6", NULL) == 0, "run_until a chain's output");
		/* one pass keeps no inner value; only Mul+Sigmoid of q (which broadcasts) runs node by
		 * node, its [8,5] inner value in the workspace (2 slots of 192 bytes) */
		CHECK(aimet_plan_workspace_bytes(p) == 384, "workspace %zu", aimet_plan_workspace_bytes(p));
		aimet_plan_free(p);
	}

	/* a kept value splits the chain; quantized there and at the end: same as unfused */
	{
		struct aimet_plan_opts kf = {.keep = keep, .n_keep = 1}, kn = kf;
		kn.no_fuse = 1;
		drop(ref);
		CHECK(run(ctx, m, &kn, 1, in, ref, &n_ref, &fq) == 0, "kept, unfused: %s", aimet_errmsg(ctx));
		CHECK(run(ctx, m, &kf, 2, in, got, &n_got, &fq) == 0, "kept, fused: %s", aimet_errmsg(ctx));
		CHECK(n_got == 6, "kept t3 splits the chain (%zu steps)", n_got);
		CHECK(same(ref, got), "quantized inner value kept: fused == unfused");
		drop(got);
		drop(ref);
	}

	/* a replaced weight reaches the prepared one-pass program (per-channel and scalar) */
	{
		struct aimet_plan *p = NULL, *q = NULL;
		struct aimet_tensor *o1[3], *o2[3], *before = NULL;
		int64_t cd[3] = {8, 1, 1}, sd[1] = {1};
		struct aimet_tensor *cw = aimet_tensor_new("cw", AIMET_FLOAT, 3, cd);
		struct aimet_tensor *th = aimet_tensor_new("three", AIMET_FLOAT, 0, sd);
		aimet_tensor_alloc(NULL, cw);
		aimet_tensor_alloc(NULL, th);
		for (int c = 0; c < 8; c++)
			((float *)cw->data)[c] = -0.5f - (float)c;
		*(float *)th->data = 2.5f;
		CHECK(aimet_plan_new(ctx, m, &nofuse, &p) == 0 && aimet_plan_new(ctx, m, NULL, &q) == 0, "plans");
		CHECK(p && q && aimet_plan_run(ctx, p, in, o1) == 0 && aimet_plan_run(ctx, q, in, o2) == 0 &&
		      same(o1, o2), "before set_weight");
		before = p && q ? aimet_tensor_clone(o2[0]) : NULL;
		CHECK(p && q && !aimet_plan_set_weight(ctx, p, "cw", cw) && !aimet_plan_set_weight(ctx, q, "cw", cw) &&
		      !aimet_plan_set_weight(ctx, p, "three", th) && !aimet_plan_set_weight(ctx, q, "three", th),
		      "set_weight: %s", aimet_errmsg(ctx));
		CHECK(p && q && aimet_plan_run(ctx, p, in, o1) == 0 && aimet_plan_run(ctx, q, in, o2) == 0 &&
		      same(o1, o2), "after set_weight: fused == unfused");
		CHECK(before && memcmp(before->data, o2[0]->data, before->nbytes), "the new weights are used");
		aimet_tensor_free(before);
		aimet_plan_free(p);
		aimet_plan_free(q);
		aimet_tensor_free(cw);
		aimet_tensor_free(th);
	}

	/* other shapes for the same plan: a per-channel operand against a rank-3 input */
	{
		struct aimet_plan *p = NULL, *q = NULL;
		int64_t x3[3] = {8, 3, 4};
		struct aimet_tensor *i3[3] = {dfq_input(3, x3, -5, 5), dfq_input(3, x3, -1, 1), in[2]};
		struct aimet_tensor *o1[3], *o2[3];
		struct aimet_model *m3 = build();
		/* declared rank 4: drop the shapes so rank 3 is accepted */
		for (size_t i = 0; i < 2; i++)
			m3->graph->inputs[i].has_shape = 0;
		CHECK(aimet_plan_new(ctx, m3, &nofuse, &p) == 0 && aimet_plan_new(ctx, m3, NULL, &q) == 0, "plans");
		CHECK(p && q && aimet_plan_run(ctx, p, i3, o1) == 0 && aimet_plan_run(ctx, q, i3, o2) == 0,
		      "rank-3 runs: %s", aimet_errmsg(ctx));
		if (p && q)
			CHECK(same(o1, o2), "rank 3: fused == unfused");
		aimet_plan_free(p);
		aimet_plan_free(q);
		aimet_model_free(m3);
		aimet_tensor_free(i3[0]);
		aimet_tensor_free(i3[1]);
	}

	for (int i = 0; i < 3; i++)
		aimet_tensor_free(in[i]);
	aimet_model_free(m);
	aimet_ctx_free(ctx);
	return test_done();
}
