/* test_ewchain.c: fused elementwise chains (aimet_ew_run) give the same bits as running the
 * nodes one by one with the ops' fast and reference kernels, at any thread count, in place too;
 * malformed programs are refused by aimet_ew_prog_check. */
#include "../test.h"
#include "harness.h"
#include "aimet_kernels.h"

static struct aimet_ctx *ctx;

static struct aimet_tensor *scalar(float v)
{
	int64_t d[1] = {1};
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_FLOAT, 1, d);
	if (!t || aimet_tensor_alloc(NULL, t)) exit(2);
	((float *)t->data)[0] = v;
	return t;
}

/* Run one node (op, inputs) with the fast or reference kernel; returns the new output. */
static struct aimet_tensor *node(const char *op, int ref, int threads, int n_in,
                                 struct aimet_tensor *a, struct aimet_tensor *b, struct aimet_tensor *c,
                                 float alpha, float beta)
{
	struct aimet_node *n = h_node(op, n_in, 1);
	struct aimet_tensor *in[3] = {a, b, c}, *out[1] = {NULL};
	if (!strcmp(op, "HardSigmoid")) {
		h_attr_float(n, "alpha", alpha);
		h_attr_float(n, "beta", beta);
	}
	int st = h_run(ctx, aimet_op_find("", op), n, 13, n_in, in, 1, out, ref, threads);
	if (st) {
		fprintf(stderr, "%s: %s\n", op, aimet_errmsg(ctx));
		exit(1);
	}
	aimet_node_free(n);
	return out[0];
}

/* Replace *t by the new tensor n (freeing the old unless it is `keep`). */
static void swapin(struct aimet_tensor **t, struct aimet_tensor *n, struct aimet_tensor *keep)
{
	if (*t != keep)
		aimet_tensor_free(*t);
	*t = n;
}

int main(void)
{
	uint32_t seed = 77;
	int64_t dims[4] = {2, 16, 37, 29}, cd[4] = {1, 16, 1, 1};
	ctx = aimet_ctx_new();
	struct aimet_tensor *x = h_tensor_rand(4, dims, &seed, -6, 6), *res = h_tensor_rand(4, dims, &seed, -2, 2);
	struct aimet_tensor *ch = h_tensor_rand(4, cd, &seed, 0.5f, 2), *w = scalar(1.25f), *bb = scalar(-0.375f);
	struct aimet_tensor *three = scalar(3), *zero = scalar(0), *six = scalar(6), *half = scalar(0.5f);
	struct aimet_tensor *lo = scalar(-0.25f), *hi = scalar(0.75f);

	/* the chain, as the PaddleOCR export spells it, then a few more steps */
	struct aimet_ew_prog p;
	memset(&p, 0, sizeof(p));
	struct aimet_ew_instr I[] = {
		{AIMET_EW_MUL, 0, 0, AIMET_EW_B_SCALAR, 0, 1, 1.25f, 0, NULL},   /* Mul(w, x) */
		{AIMET_EW_ADD, 0, 0, AIMET_EW_B_SCALAR, 0, 0, -0.375f, 0, NULL}, /* Add(., b) = a */
		{AIMET_EW_ADD, 1, 0, AIMET_EW_B_SCALAR, 0, 0, 3, 0, NULL},       /* Add(a, 3) */
		{AIMET_EW_CLAMP, 1, 1, 0, 0, 0, 0, 6, NULL},                     /* Clip(0, 6) */
		{AIMET_EW_MUL, 1, 0, AIMET_EW_B_REG, 1, 0, 0, 0, NULL},          /* Mul(a, clip) */
		{AIMET_EW_DIV, 1, 1, AIMET_EW_B_SCALAR, 0, 0, 6, 0, NULL},       /* Div(., 6) */
		{AIMET_EW_MUL, 1, 1, AIMET_EW_B_CHANNEL, 0, 1, 0, 0, ch->data},  /* Mul(ch, .) */
		{AIMET_EW_ADD, 1, 1, AIMET_EW_B_TENSOR, 1, 0, 0, 0, NULL},       /* Add(., res) */
		{AIMET_EW_SUB, 2, 1, AIMET_EW_B_SCALAR, 0, 1, 0.5f, 0, NULL},    /* Sub(0.5, .) */
		{AIMET_EW_MAX, 2, 2, AIMET_EW_B_REG, 1, 0, 0, 0, NULL},          /* Max(., prev) */
		{AIMET_EW_HARDSWISH, 3, 2, 0, 0, 0, 0, 0, NULL},                 /* HardSwish */
		{AIMET_EW_HARDSIGMOID, 3, 3, 0, 0, 0, 0.3f, 0.4f, NULL},         /* HardSigmoid(.3, .4) */
		{AIMET_EW_MIN, 3, 3, AIMET_EW_B_TENSOR, 1, 1, 0, 0, NULL},       /* Min(res, .) */
		{AIMET_EW_RELU, 3, 3, 0, 0, 0, 0, 0, NULL},                      /* Relu */
		{AIMET_EW_SIGMOID, 3, 3, 0, 0, 0, 0, 0, NULL},                   /* Sigmoid */
		{AIMET_EW_CLAMP, 3, 3, 0, 0, 0, -0.25f, 0.75f, NULL},            /* Clip(-.25, .75) */
	};
	p.n_instr = (int)(sizeof(I) / sizeof(I[0]));
	memcpy(p.instr, I, sizeof(I));
	p.out_reg = 3;
	CHECK(aimet_ew_prog_check(&p, 2) == 0, "program is well formed");

	for (int ref = 0; ref <= 1; ref++) {
		/* node by node */
		struct aimet_tensor *a = node("Mul", ref, 1, 2, w, x, NULL, 0, 0), *t;
		swapin(&a, node("Add", ref, 1, 2, a, bb, NULL, 0, 0), NULL);
		t = node("Add", ref, 1, 2, a, three, NULL, 0, 0);
		swapin(&t, node("Clip", ref, 1, 3, t, zero, six, 0, 0), NULL);
		swapin(&t, node("Mul", ref, 1, 2, a, t, NULL, 0, 0), NULL);
		swapin(&t, node("Div", ref, 1, 2, t, six, NULL, 0, 0), NULL);
		swapin(&t, node("Mul", ref, 1, 2, ch, t, NULL, 0, 0), NULL);
		swapin(&t, node("Add", ref, 1, 2, t, res, NULL, 0, 0), NULL);
		struct aimet_tensor *u = node("Sub", ref, 1, 2, half, t, NULL, 0, 0);
		swapin(&u, node("Max", ref, 1, 2, u, t, NULL, 0, 0), NULL);
		swapin(&u, node("HardSwish", ref, 1, 1, u, NULL, NULL, 0, 0), NULL);
		swapin(&u, node("HardSigmoid", ref, 1, 1, u, NULL, NULL, 0.3f, 0.4f), NULL);
		swapin(&u, node("Min", ref, 1, 2, res, u, NULL, 0, 0), NULL);
		swapin(&u, node("Relu", ref, 1, 1, u, NULL, NULL, 0, 0), NULL);
		swapin(&u, node("Sigmoid", ref, 1, 1, u, NULL, NULL, 0, 0), NULL);
		swapin(&u, node("Clip", ref, 1, 3, u, lo, hi, 0, 0), NULL);

		struct aimet_tensor *y1 = aimet_tensor_clone(x), *y2 = aimet_tensor_clone(x), *y3 = aimet_tensor_clone(x);
		const float *in[2] = {x->data, res->data};
		aimet_ew_run(&p, in, y1->data, 2, 16, 37 * 29, 1);
		aimet_ew_run(&p, in, y2->data, 2, 16, 37 * 29, 2);
		const float *in3[2] = {y3->data, res->data};
		aimet_ew_run(&p, in3, y3->data, 2, 16, 37 * 29, 2);     /* in place */
		if (ref) {
			/* the reference Sigmoid is libm's: close, not bitwise */
			CHECK(h_max_rel_err(y1, u) < 1e-6, "chain vs reference nodes: %g", h_max_rel_err(y1, u));
		} else {
			CHECK(!memcmp(y1->data, u->data, u->nbytes), "chain vs fast nodes: bitwise (%g)", h_max_rel_err(y1, u));
		}
		CHECK(!memcmp(y1->data, y2->data, y1->nbytes), "chain -j1 vs -j2");
		CHECK(!memcmp(y1->data, y3->data, y1->nbytes), "chain in place");
		aimet_tensor_free(a); aimet_tensor_free(t); aimet_tensor_free(u);
		aimet_tensor_free(y1); aimet_tensor_free(y2); aimet_tensor_free(y3);
	}

	/* the checker */
	struct aimet_ew_prog q = p;
	q.instr[2].a = 2;                     /* r2 read before written */
	CHECK(aimet_ew_prog_check(&q, 2) == -1, "unwritten register refused");
	q = p;
	q.instr[7].b = 2;                     /* input 2 of 2 */
	CHECK(aimet_ew_prog_check(&q, 2) == -1, "input out of range refused");
	q = p;
	q.instr[0].op = 99;
	CHECK(aimet_ew_prog_check(&q, 2) == -1, "unknown op refused");
	q = p;
	q.instr[6].v = NULL;
	CHECK(aimet_ew_prog_check(&q, 2) == -1, "channel operand without values refused");
	q = p;
	q.n_instr = AIMET_EW_MAX_INSTR + 1;
	CHECK(aimet_ew_prog_check(&q, 2) == -1, "too many steps refused");
	q = p;
	q.out_reg = 3;
	q.n_instr = 4;
	CHECK(aimet_ew_prog_check(&q, 2) == -1, "unwritten output register refused");

	aimet_tensor_free(x); aimet_tensor_free(res); aimet_tensor_free(ch); aimet_tensor_free(w);
	aimet_tensor_free(bb); aimet_tensor_free(three); aimet_tensor_free(zero); aimet_tensor_free(six);
	aimet_tensor_free(half); aimet_tensor_free(lo); aimet_tensor_free(hi);
	aimet_ctx_free(ctx);
	return test_done();
}
