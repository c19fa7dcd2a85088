/* test_conv.c: Conv and ConvTranspose — hand-computed cases, fast vs reference sweeps (1-D/2-D/
 * 3-D, strides, pads, auto_pad, dilations, groups incl. depthwise, bias, fused clamp, batch),
 * the model layers' shapes, -j 1 vs -j 2 bitwise identity, double inputs, infer errors. */
#include "../test.h"
#include "harness.h"

/* Like h_run, with a fused clamp, and prepared at one thread then run at `threads`, as the
 * executor does (prepare does not know -j). */
static int run_op(struct aimet_ctx *ctx, const struct aimet_op *op, const struct aimet_node *n,
                  int n_in, struct aimet_tensor **in, struct aimet_tensor **out, int use_ref,
                  int threads, float lo, float hi)
{
	struct aimet_op_ctx c;
	int st;
	memset(&c, 0, sizeof(c));
	c.ctx = ctx; c.node = n; c.opset = 13; c.n_in = n_in; c.n_out = 1;
	c.in = in; c.out = out; c.threads = 1;
	c.act_lo = lo; c.act_hi = hi;
	out[0] = aimet_tensor_new(NULL, AIMET_UNDEFINED, 0, NULL);
	if ((st = op->infer(&c)) || (st = aimet_tensor_alloc(ctx, out[0])))
		return st;
	if (op->prepare && (st = op->prepare(&c))) {
		if (op->free_state)
			op->free_state(c.state);
		return st;
	}
	if (c.workspace_size)
		c.workspace = h_xmalloc(c.workspace_size);
	c.threads = threads;
	if (use_ref || !op->run)
		op->ref(&c);
	else
		op->run(&c);
	free(c.workspace);
	if (op->free_state)
		op->free_state(c.state);
	return AIMET_OK;
}

static struct aimet_tensor *tensor_f(int ndim, const int64_t *dims, const float *vals)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_FLOAT, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) { fprintf(stderr, "out of memory\n"); exit(2); }
	memcpy(t->data, vals, t->nbytes);
	return t;
}

static struct aimet_tensor *to_double(const struct aimet_tensor *f)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_DOUBLE, f->ndim, f->dims);
	if (!t || aimet_tensor_alloc(NULL, t)) { fprintf(stderr, "out of memory\n"); exit(2); }
	for (int64_t i = 0; i < aimet_tensor_numel(f); i++)
		((double *)t->data)[i] = ((const float *)f->data)[i];
	return t;
}

static int same_bits(const struct aimet_tensor *a, const struct aimet_tensor *b)
{
	return a->nbytes == b->nbytes && !memcmp(a->data, b->data, a->nbytes);
}

static void expect(struct aimet_ctx *ctx, const char *what, const struct aimet_op *op,
                   struct aimet_node *n, int n_in, struct aimet_tensor **in, float lo, float hi,
                   int ndim, const int64_t *dims, const float *want)
{
	for (int v = 0; v < 2; v++) {
		struct aimet_tensor *y = NULL;
		int st = run_op(ctx, op, n, n_in, in, &y, v, 1, lo, hi), ok = st == 0 && y->ndim == ndim;
		for (int i = 0; ok && i < ndim; i++)
			ok = y->dims[i] == dims[i];
		for (int64_t i = 0; ok && i < aimet_tensor_numel(y); i++)
			ok = fabsf(((float *)y->data)[i] - want[i]) <= 1e-5f * (1 + fabsf(want[i]));
		CHECK(ok, "%s (%s): %s", what, v ? "ref" : "fast", st ? aimet_errmsg(ctx) : "wrong values");
		aimet_tensor_free(y);
	}
}

static void hand_cases(struct aimet_ctx *ctx)
{
	const struct aimet_op *conv = aimet_op_find("", "Conv"), *ct = aimet_op_find("", "ConvTranspose");
	static const float x9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
	struct aimet_tensor *in[3];
	struct aimet_node *n;

	/* 2x2 box over 1..9 */
	in[0] = tensor_f(4, (int64_t[]){1, 1, 3, 3}, x9);
	in[1] = tensor_f(4, (int64_t[]){1, 1, 2, 2}, ones);
	n = h_node("Conv", 2, 1);
	expect(ctx, "conv 2x2 box", conv, n, 2, in, -INFINITY, INFINITY, 4, (int64_t[]){1, 1, 2, 2},
	       (const float[]){12, 16, 24, 28});
	aimet_node_free(n);
	/* pads 1, stride 2: windows {1} {2,3} {4,7} {5,6,8,9}; then clamped to [2, 20] */
	n = h_node("Conv", 2, 1);
	h_attr_ints(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
	h_attr_ints(n, "strides", 2, (int64_t[]){2, 2});
	expect(ctx, "conv pad+stride", conv, n, 2, in, -INFINITY, INFINITY, 4, (int64_t[]){1, 1, 2, 2},
	       (const float[]){1, 5, 11, 28});
	expect(ctx, "conv fused clamp", conv, n, 2, in, 2, 20, 4, (int64_t[]){1, 1, 2, 2},
	       (const float[]){2, 5, 11, 20});
	aimet_node_free(n);
	/* ConvTranspose of the same 2x2 ones kernel, stride 1: overlapping sums */
	aimet_tensor_free(in[0]);
	in[0] = tensor_f(4, (int64_t[]){1, 1, 2, 2}, (const float[]){1, 2, 3, 4});
	n = h_node("ConvTranspose", 2, 1);
	expect(ctx, "convtranspose stride 1", ct, n, 2, in, -INFINITY, INFINITY, 4,
	       (int64_t[]){1, 1, 3, 3}, (const float[]){1, 3, 2, 4, 10, 6, 3, 7, 4});
	aimet_node_free(n);
	/* stride 2: each input becomes a 2x2 block; output_shape 5x5 adds a zero row/column */
	n = h_node("ConvTranspose", 2, 1);
	h_attr_ints(n, "strides", 2, (int64_t[]){2, 2});
	h_attr_ints(n, "output_shape", 2, (int64_t[]){5, 5});
	expect(ctx, "convtranspose stride 2", ct, n, 2, in, -INFINITY, INFINITY, 4,
	       (int64_t[]){1, 1, 5, 5},
	       (const float[]){1, 1, 2, 2, 0, 1, 1, 2, 2, 0, 3, 3, 4, 4, 0, 3, 3, 4, 4, 0, 0, 0, 0, 0, 0});
	aimet_node_free(n);
	aimet_tensor_free(in[0]);
	aimet_tensor_free(in[1]);

	/* depthwise with bias: channel 0 all 1 (x3, +1), channel 1 all 2 (x5, -1) */
	in[0] = tensor_f(4, (int64_t[]){1, 2, 1, 2}, (const float[]){1, 1, 2, 2});
	in[1] = tensor_f(4, (int64_t[]){2, 1, 1, 1}, (const float[]){3, 5});
	in[2] = tensor_f(1, (int64_t[]){2}, (const float[]){1, -1});
	n = h_node("Conv", 3, 1);
	h_attr_int(n, "group", 2);
	expect(ctx, "depthwise bias", conv, n, 3, in, -INFINITY, INFINITY, 4, (int64_t[]){1, 2, 1, 2},
	       (const float[]){4, 4, 9, 9});
	aimet_node_free(n);
	for (int i = 0; i < 3; i++)
		aimet_tensor_free(in[i]);

	/* 3-D: a 2x2x2 box of ones over ones is 8; clamped at 5 */
	in[0] = tensor_f(5, (int64_t[]){1, 1, 2, 2, 2}, ones);
	in[1] = tensor_f(5, (int64_t[]){1, 1, 2, 2, 2}, ones);
	n = h_node("Conv", 2, 1);
	expect(ctx, "conv 3-D", conv, n, 2, in, -INFINITY, INFINITY, 5, (int64_t[]){1, 1, 1, 1, 1},
	       (const float[]){8});
	expect(ctx, "conv 3-D clamp", conv, n, 2, in, -INFINITY, 5, 5, (int64_t[]){1, 1, 1, 1, 1},
	       (const float[]){5});
	aimet_node_free(n);
	aimet_tensor_free(in[0]);
	aimet_tensor_free(in[1]);

	/* 1-D SAME_LOWER, stride 2 over [1..5] with kernel [1,1,1]: out 3, total pad 2 -> 1+1:
	 * windows {0,1,2}{2,3,4}{4,5,6} of [0,1,2,3,4,5,0] */
	in[0] = tensor_f(3, (int64_t[]){1, 1, 5}, (const float[]){1, 2, 3, 4, 5});
	in[1] = tensor_f(3, (int64_t[]){1, 1, 3}, ones);
	n = h_node("Conv", 2, 1);
	h_attr_str(n, "auto_pad", "SAME_LOWER");
	h_attr_ints(n, "strides", 1, (int64_t[]){2});
	expect(ctx, "conv 1-D SAME_LOWER", conv, n, 2, in, -INFINITY, INFINITY, 3, (int64_t[]){1, 1, 3},
	       (const float[]){3, 9, 9});
	aimet_node_free(n);
	/* dilation 2, VALID: [1+3+5] */
	n = h_node("Conv", 2, 1);
	h_attr_str(n, "auto_pad", "VALID");
	h_attr_ints(n, "dilations", 1, (int64_t[]){2});
	expect(ctx, "conv 1-D dilated", conv, n, 2, in, -INFINITY, INFINITY, 3, (int64_t[]){1, 1, 1},
	       (const float[]){9});
	aimet_node_free(n);
	aimet_tensor_free(in[0]);
	aimet_tensor_free(in[1]);
}

struct cfg {
	int transpose, nsp, ap;            /* ap: 0 pads attr, 1 VALID, 2 SAME_UPPER, 3 SAME_LOWER */
	int64_t N, G, Cg, Mg, in[3], k[3], s[3], d[3], pads[6], opad[3];
	int bias, clamp, kattr, oshape;
};

static const char *ap_name[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};

static struct aimet_node *cfg_node(const struct cfg *f, int64_t *oshape_vals)
{
	struct aimet_node *n = h_node(f->transpose ? "ConvTranspose" : "Conv", f->bias ? 3 : 2, 1);
	if (f->G != 1 || f->kattr)
		h_attr_int(n, "group", f->G);
	if (f->kattr)
		h_attr_ints(n, "kernel_shape", f->nsp, f->k);
	h_attr_ints(n, "strides", f->nsp, f->s);
	h_attr_ints(n, "dilations", f->nsp, f->d);
	if (f->ap)
		h_attr_str(n, "auto_pad", ap_name[f->ap]);
	else
		h_attr_ints(n, "pads", 2 * f->nsp, f->pads);
	if (f->transpose) {
		h_attr_ints(n, "output_padding", f->nsp, f->opad);
		if (f->oshape)
			h_attr_ints(n, "output_shape", f->nsp, oshape_vals);
	}
	return n;
}

/* Run one configuration: fast vs reference, -j 1 vs -j 2; returns 0 when it was invalid. */
static int check_cfg(struct aimet_ctx *ctx, const struct cfg *f, uint32_t *seed, const char *tag)
{
	const struct aimet_op *op = aimet_op_find("", f->transpose ? "ConvTranspose" : "Conv");
	int64_t xd[5], wd[5], bd[1], os[3];
	struct aimet_tensor *in[3] = {NULL, NULL, NULL}, *ref = NULL, *f1 = NULL, *f2 = NULL;
	int nin = f->bias ? 3 : 2, st;
	float lo = f->clamp ? -0.4f : -INFINITY, hi = f->clamp ? 0.6f : INFINITY;
	xd[0] = f->N;
	xd[1] = f->G * f->Cg;
	wd[0] = f->transpose ? f->G * f->Cg : f->G * f->Mg;
	wd[1] = f->transpose ? f->Mg : f->Cg;
	for (int i = 0; i < f->nsp; i++) {
		xd[2 + i] = f->in[i];
		wd[2 + i] = f->k[i];
		/* a few positions beyond the natural size: negative effective end padding */
		os[i] = f->s[i] * (f->in[i] - 1) + ((f->k[i] - 1) * f->d[i] + 1) + f->opad[i] -
		        (f->pads[i] + f->pads[f->nsp + i]) + (f->oshape == 2 ? 1 : 0);
	}
	bd[0] = f->G * f->Mg;
	in[0] = h_tensor_rand(2 + f->nsp, xd, seed, -1, 1);
	in[1] = h_tensor_rand(2 + f->nsp, wd, seed, -1, 1);
	if (f->bias)
		in[2] = h_tensor_rand(1, bd, seed, -1, 1);
	struct aimet_node *n = cfg_node(f, os);
	st = run_op(ctx, op, n, nin, in, &ref, 1, 1, lo, hi);
	if (st) {
		aimet_tensor_free(ref);
		for (int i = 0; i < 3; i++)
			aimet_tensor_free(in[i]);
		aimet_node_free(n);
		return 0;
	}
	CHECK(run_op(ctx, op, n, nin, in, &f1, 0, 1, lo, hi) == 0, "%s: fast infer failed", tag);
	CHECK(run_op(ctx, op, n, nin, in, &f2, 0, 2, lo, hi) == 0, "%s: fast -j2 infer failed", tag);
	double err = h_max_rel_err(f1, ref);
	CHECK(err < 2e-5, "%s: %s fast vs ref rel err %g (N%lld G%lld Cg%lld Mg%lld nsp%d in %lldx%lld "
	      "k %lldx%lld s %lldx%lld d %lldx%lld ap %d)", tag, f->transpose ? "ConvTranspose" : "Conv",
	      err, (long long)f->N, (long long)f->G, (long long)f->Cg, (long long)f->Mg, f->nsp,
	      (long long)f->in[0], (long long)f->in[1], (long long)f->k[0], (long long)f->k[1],
	      (long long)f->s[0], (long long)f->s[1], (long long)f->d[0], (long long)f->d[1], f->ap);
	CHECK(same_bits(f1, f2), "%s: -j1 and -j2 differ", tag);
	/* the double reference agrees with the float one */
	if (aimet_tensor_numel(ref) <= 4096) {
		struct aimet_tensor *din[3] = {to_double(in[0]), to_double(in[1]), f->bias ? to_double(in[2]) : NULL};
		struct aimet_tensor *dy = NULL;
		CHECK(run_op(ctx, op, n, nin, din, &dy, 0, 1, lo, hi) == 0 && dy->dtype == AIMET_DOUBLE &&
		      aimet_tensor_numel(dy) == aimet_tensor_numel(ref), "%s: double run", tag);
		double e = 0, mx = 0;
		for (int64_t i = 0; i < aimet_tensor_numel(ref); i++) {
			double a = ((float *)ref->data)[i], b = ((double *)dy->data)[i];
			e = fmax(e, fabs(a - b));
			mx = fmax(mx, fabs(b));
		}
		CHECK(e <= 1e-5 * (mx > 1 ? mx : 1), "%s: double vs float %g", tag, e);
		aimet_tensor_free(dy);
		for (int i = 0; i < 3; i++)
			aimet_tensor_free(din[i]);
	}
	aimet_tensor_free(ref);
	aimet_tensor_free(f1);
	aimet_tensor_free(f2);
	for (int i = 0; i < 3; i++)
		aimet_tensor_free(in[i]);
	aimet_node_free(n);
	return 1;
}

static void random_cfg(struct cfg *f, uint32_t *seed, int transpose, int mode)
{
	memset(f, 0, sizeof(*f));
	f->transpose = transpose;
	f->nsp = mode == 5 ? 3 : h_rand_int(seed, 1, 2);
	f->N = h_rand_int(seed, 1, 3);
	f->G = h_rand_int(seed, 0, 2) ? 1 : h_rand_int(seed, 2, 3);
	f->Cg = h_rand_int(seed, 1, 5);
	f->Mg = h_rand_int(seed, 1, 5);
	f->ap = h_rand_int(seed, 0, 5);
	f->ap = f->ap > 3 ? 0 : f->ap;
	f->bias = h_rand_int(seed, 0, 1);
	f->clamp = h_rand_int(seed, 0, 2) == 0;
	f->kattr = h_rand_int(seed, 0, 1);
	for (int i = 0; i < f->nsp; i++) {
		f->k[i] = h_rand_int(seed, 1, f->nsp == 3 ? 2 : 5);
		f->s[i] = h_rand_int(seed, 1, 3);
		f->d[i] = h_rand_int(seed, 0, 3) ? 1 : 2;
		f->pads[i] = h_rand_int(seed, 0, 2);
		f->pads[f->nsp + i] = h_rand_int(seed, 0, 2);
		f->in[i] = h_rand_int(seed, 1, f->nsp == 3 ? 5 : 13);
	}
	switch (mode) {
	case 1: /* depthwise (with a channel multiplier sometimes) */
		f->G = h_rand_int(seed, 2, 9);
		f->Cg = 1;
		f->Mg = h_rand_int(seed, 0, 2) ? 1 : 2;
		f->k[0] = f->k[f->nsp - 1] = h_rand_int(seed, 0, 1) ? 3 : 5;
		break;
	case 2: /* 1x1, stride 1, no padding */
		for (int i = 0; i < f->nsp; i++)
			f->k[i] = f->s[i] = 1, f->pads[i] = f->pads[f->nsp + i] = 0;
		f->ap = 0;
		f->Cg = h_rand_int(seed, 1, 20);
		break;
	case 3: /* stride 1, 8 to 12 input channels per group */
		for (int i = 0; i < f->nsp; i++)
			f->s[i] = 1;
		f->Cg = h_rand_int(seed, 8, 12);
		break;
	case 4: /* grouped, not depthwise */
		f->G = h_rand_int(seed, 2, 4);
		f->Cg = h_rand_int(seed, 2, 4);
		break;
	}
	if (transpose) {
		for (int i = 0; i < f->nsp; i++) {
			int64_t m = f->s[i] > f->d[i] ? f->s[i] : f->d[i];
			f->opad[i] = h_rand_int(seed, 0, (int)m - 1);
		}
		f->oshape = h_rand_int(seed, 0, 3);
		f->oshape = f->oshape == 3 ? 0 : f->oshape;
		if (f->ap == 1)  /* VALID and output_shape make no sense together */
			f->oshape = 0;
	}
}

static void sweeps(struct aimet_ctx *ctx)
{
	uint32_t seed = 20261128;
	char tag[64];
	for (int transpose = 0; transpose < 2; transpose++) {
		int valid = 0;
		for (int it = 0; it < 420; it++) {
			struct cfg f;
			random_cfg(&f, &seed, transpose, it % 6);
			snprintf(tag, sizeof tag, "%s sweep %d", transpose ? "convtranspose" : "conv", it);
			valid += check_cfg(ctx, &f, &seed, tag);
		}
		CHECK(valid > 300, "%s sweep: only %d valid configurations", transpose ? "convtranspose" : "conv",
		      valid);
	}
}

/* A 2-D convolution: pads are (top, left, bottom, right), dilation dh on both axes. */
static void cfg_2d(struct cfg *f, int64_t N, int64_t C, int64_t H, int64_t W, int64_t M, int64_t G,
                   int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, const int64_t pads[4])
{
	memset(f, 0, sizeof(*f));
	f->nsp = 2;
	f->N = N;
	f->G = G;
	f->Cg = C / G;
	f->Mg = M / G;
	f->in[0] = H;
	f->in[1] = W;
	f->k[0] = kh;
	f->k[1] = kw;
	f->s[0] = sh;
	f->s[1] = sw;
	f->d[0] = f->d[1] = dh;
	for (int j = 0; j < 4; j++)
		f->pads[j] = pads[j];
}

/* Layers of the shared models (batch cut down), large enough that threads really split. */
static void model_layers(struct aimet_ctx *ctx)
{
	static const struct { int64_t N, C, H, W, M, G, k, sh, sw, p; int clamp; } L[] = {
		{4, 16, 28, 28, 16, 1, 3, 1, 1, 1, 1},    /* resnet8 3x3 */
		{4, 16, 28, 28, 32, 1, 3, 2, 2, 1, 0},    /* resnet8 3x3 stride 2 */
		{4, 16, 28, 28, 32, 1, 1, 2, 2, 0, 0},    /* resnet8 shortcut 1x1 stride 2 */
		{2, 64, 14, 14, 64, 64, 3, 1, 1, 1, 1},   /* mbv2 depthwise, ReLU6 */
		{2, 96, 14, 14, 96, 96, 3, 2, 2, 1, 1},   /* mbv2 depthwise stride 2 */
		{2, 64, 14, 14, 128, 1, 1, 1, 1, 0, 1},   /* pointwise */
		{2, 40, 12, 48, 40, 40, 5, 1, 1, 2, 0},   /* ppocr 5x5 depthwise */
		{2, 32, 12, 48, 32, 32, 5, 2, 1, 2, 0},   /* ppocr 5x5 depthwise stride (2,1) */
		{2, 64, 12, 40, 64, 64, 3, 1, 2, 1, 0},   /* ppocr 3x3 depthwise stride (1,2) */
		{1, 3, 64, 64, 16, 1, 3, 2, 2, 1, 0},     /* det stem */
		{1, 96, 40, 40, 24, 1, 3, 1, 1, 1, 0},    /* det neck 3x3 */
		{2, 12, 1, 40, 60, 1, 3, 1, 1, 1, 0},     /* rec 1x3 (pads 0,1) as full 3x3 on H=1 */
	};
	char tag[64];
	uint32_t seed = 77;
	for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
		struct cfg f;
		const int64_t pads[4] = {L[i].p, L[i].p, L[i].p, L[i].p};
		cfg_2d(&f, L[i].N, L[i].C, L[i].H, L[i].W, L[i].M, L[i].G, L[i].k, L[i].k, L[i].sh, L[i].sw,
		       1, pads);
		f.bias = 1;
		f.clamp = L[i].clamp;
		snprintf(tag, sizeof tag, "model layer %zu", i);
		CHECK(check_cfg(ctx, &f, &seed, tag), "%s: invalid", tag);
	}
	/* det ConvTranspose 2x2 stride 2 (windows tile the output), with and without a clamp, and
	 * one with overlapping windows */
	for (int j = 0; j < 3; j++) {
		struct cfg f;
		memset(&f, 0, sizeof(f));
		f.transpose = 1;
		f.nsp = 2;
		f.N = 1;
		f.G = 1;
		f.Cg = 24;
		f.Mg = j ? 8 : 24;
		f.in[0] = f.in[1] = 40;
		f.k[0] = f.k[1] = j == 1 ? 4 : 2;
		f.s[0] = f.s[1] = 2;
		f.d[0] = f.d[1] = 1;
		f.bias = 1;
		f.clamp = j > 0;
		snprintf(tag, sizeof tag, "det convtranspose %d", j);
		CHECK(check_cfg(ctx, &f, &seed, tag), "%s: invalid", tag);
	}
}

/* The paths on padded input rows split by stride phase: the register-blocked kernel
 * (lib/kernels/convgemm.c; vectors over output pixels, or transposed tiles with vectors over
 * output channels for small images, or im2col panels across images for strides over 2) up to
 * 128 output channels, and the im2col panels + GEMM beyond.
 * Fixed shapes that reach each, then a seeded sweep over output channels 4..100 (whole and
 * partial tiles, several channel chunks), strides 1..3, dilations, asymmetric pads, groups,
 * odd sizes and batches. */
static void cg_layers(struct aimet_ctx *ctx)
{
	static const struct { int64_t N, C, H, W, M, G, kh, kw, sh, sw, dh, p0, p1; int clamp; } L[] = {
		{3, 16, 28, 28, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1},   /* pixel vectors */
		{3, 32, 14, 14, 32, 1, 3, 3, 1, 1, 1, 1, 1, 0},   /* transposed tiles */
		{5, 64, 7, 7, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1},     /* transposed tiles, small image */
		{2, 16, 28, 28, 32, 1, 3, 3, 2, 2, 1, 1, 1, 1},   /* four phases */
		{2, 8, 9, 10, 136, 1, 3, 3, 1, 1, 1, 1, 1, 1},    /* over 128 outputs: im2col panels */
		{2, 9, 11, 9, 130, 1, 3, 3, 2, 2, 1, 1, 0, 0},    /* the same on four phases */
		{1, 8, 10, 12, 140, 1, 3, 3, 2, 1, 2, 2, 1, 0},   /* strides (2,1), dilation 2 */
		{3, 32, 14, 14, 64, 1, 3, 3, 2, 2, 1, 1, 1, 0},   /* stride 2, transposed tiles */
		{3, 16, 28, 28, 32, 1, 1, 1, 2, 2, 1, 0, 0, 0},   /* 1x1 stride 2 */
		{3, 6, 20, 20, 24, 1, 3, 3, 1, 1, 1, 1, 1, 1},    /* few input channels */
		{2, 5, 19, 16, 12, 1, 3, 3, 2, 2, 1, 1, 0, 0},    /* the same on four phases */
		{2, 8, 13, 11, 100, 1, 3, 3, 1, 1, 1, 1, 1, 1},   /* two channel chunks (64 + 36) */
		{2, 12, 9, 9, 128, 1, 3, 3, 1, 1, 1, 1, 1, 0},    /* two full chunks */
		{4, 1, 28, 28, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1},    /* one input channel (a stem) */
		{2, 10, 17, 15, 20, 2, 3, 3, 3, 3, 1, 1, 2, 0},   /* stride 3 (panels), grouped */
		{2, 12, 16, 19, 24, 1, 3, 3, 2, 1, 2, 2, 1, 1},   /* strides (2,1), dilation 2 */
		{3, 9, 1, 40, 12, 1, 1, 3, 1, 1, 1, 0, 1, 0},     /* 1x3 on H = 1 (rec) */
		{2, 9, 12, 14, 20, 1, 1, 3, 2, 2, 1, 0, 1, 1},    /* 1x3 at stride 2: two phases unread */
		{2, 9, 12, 14, 136, 1, 1, 3, 2, 2, 1, 0, 1, 0},   /* the same over 128 outputs */
		{1, 16, 33, 35, 8, 1, 5, 5, 1, 1, 1, 2, 2, 1},    /* 5x5, N = 1: rows split in tasks */
		{1, 4, 1, 10000, 128, 1, 1, 3, 1, 1, 1, 0, 1, 0}, /* a row too long for direct tiles */
	};
	char tag[64];
	uint32_t seed = 4242;
	for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
		struct cfg f;
		const int64_t pads[4] = {L[i].kh > 1 ? L[i].p0 : 0, L[i].p0, L[i].kh > 1 ? L[i].p1 : 0, L[i].p1};
		cfg_2d(&f, L[i].N, L[i].C, L[i].H, L[i].W, L[i].M, L[i].G, L[i].kh, L[i].kw, L[i].sh, L[i].sw,
		       L[i].dh, pads);
		f.bias = i % 3 != 2;
		f.clamp = L[i].clamp;
		snprintf(tag, sizeof tag, "cg layer %zu", i);
		CHECK(check_cfg(ctx, &f, &seed, tag), "%s: invalid", tag);
	}
	int valid = 0;
	for (int it = 0; it < 160; it++) {
		struct cfg f;
		memset(&f, 0, sizeof(f));
		f.nsp = h_rand_int(&seed, 0, 3) ? 2 : 1;
		f.N = h_rand_int(&seed, 1, 4);
		f.G = h_rand_int(&seed, 0, 3) ? 1 : 2;
		f.Cg = h_rand_int(&seed, 0, 4) ? h_rand_int(&seed, 2, 20) : 1;
		f.Mg = h_rand_int(&seed, 0, 3) ? h_rand_int(&seed, 4, 40) : h_rand_int(&seed, 41, 100);
		f.ap = h_rand_int(&seed, 0, 5);
		f.ap = f.ap > 3 ? 0 : f.ap;
		f.bias = h_rand_int(&seed, 0, 1);
		f.clamp = h_rand_int(&seed, 0, 2) == 0;
		for (int i = 0; i < f.nsp; i++) {
			f.k[i] = h_rand_int(&seed, 1, 5);
			f.s[i] = h_rand_int(&seed, 0, 2) ? 1 : h_rand_int(&seed, 2, 3);
			f.d[i] = h_rand_int(&seed, 0, 4) ? 1 : 2;
			f.pads[i] = h_rand_int(&seed, 0, 2);
			f.pads[f.nsp + i] = h_rand_int(&seed, 0, 2);
			f.in[i] = h_rand_int(&seed, 1, f.nsp == 1 ? 60 : 23);
		}
		snprintf(tag, sizeof tag, "cg sweep %d", it);
		valid += check_cfg(ctx, &f, &seed, tag);
	}
	CHECK(valid > 120, "cg sweep: only %d valid configurations", valid);
}

static void infer_errors(struct aimet_ctx *ctx)
{
	const struct aimet_op *conv = aimet_op_find("", "Conv"), *ct = aimet_op_find("", "ConvTranspose");
	uint32_t seed = 5;
	struct aimet_tensor *x = h_tensor_rand(4, (int64_t[]){1, 4, 5, 5}, &seed, -1, 1);
	struct aimet_tensor *w = h_tensor_rand(4, (int64_t[]){6, 2, 3, 3}, &seed, -1, 1);
	struct aimet_tensor *w3 = h_tensor_rand(3, (int64_t[]){6, 4, 3}, &seed, -1, 1);
	struct aimet_tensor *big = h_tensor_rand(4, (int64_t[]){6, 4, 7, 7}, &seed, -1, 1);
	struct aimet_tensor *bb = h_tensor_rand(1, (int64_t[]){5}, &seed, -1, 1);
	struct aimet_tensor *wt = h_tensor_rand(4, (int64_t[]){4, 2, 3, 3}, &seed, -1, 1);
	struct aimet_tensor *xi = h_tensor_i64(4, (int64_t[]){1, 1, 1, 1}, (int64_t[]){1});
	struct {
		const char *what;
		const char *attr;   /* "name=kind" set below */
		struct aimet_tensor *x, *w, *b;
		int transpose;
	} E[] = {
		{"group does not divide", "group3", x, w, NULL, 0},
		{"weight channels", "", x, w, NULL, 0},           /* group 1: W[1]=2 != 4 */
		{"kernel_shape mismatch", "kshape", x, w, NULL, 0},
		{"zero stride", "stride0", x, w, NULL, 0},
		{"negative pad", "padneg", x, w, NULL, 0},
		{"pads count", "pads3", x, w, NULL, 0},
		{"bad auto_pad", "autopad", x, w, NULL, 0},
		{"bias shape", "group2", x, w, bb, 0},
		{"kernel larger than input", "", x, big, NULL, 0},
		{"rank mismatch", "", x, w3, NULL, 0},
		{"integer input", "", xi, xi, NULL, 0},
		{"transpose weight channels", "", x, big, NULL, 1},
		{"transpose output_shape count", "oshape3", x, wt, NULL, 1},
		{"transpose too much padding", "padbig", x, wt, NULL, 1},
	};
	for (size_t i = 0; i < sizeof E / sizeof E[0]; i++) {
		struct aimet_node *n = h_node(E[i].transpose ? "ConvTranspose" : "Conv", E[i].b ? 3 : 2, 1);
		struct aimet_tensor *in[3] = {E[i].x, E[i].w, E[i].b}, *y = NULL;
		const char *a = E[i].attr;
		if (!strcmp(a, "group3")) h_attr_int(n, "group", 3);
		if (!strcmp(a, "group2")) h_attr_int(n, "group", 2);
		if (!strcmp(a, "kshape")) { h_attr_int(n, "group", 2); h_attr_ints(n, "kernel_shape", 2, (int64_t[]){3, 2}); }
		if (!strcmp(a, "stride0")) { h_attr_int(n, "group", 2); h_attr_ints(n, "strides", 2, (int64_t[]){1, 0}); }
		if (!strcmp(a, "padneg")) { h_attr_int(n, "group", 2); h_attr_ints(n, "pads", 4, (int64_t[]){0, -1, 0, 0}); }
		if (!strcmp(a, "pads3")) { h_attr_int(n, "group", 2); h_attr_ints(n, "pads", 3, (int64_t[]){0, 0, 0}); }
		if (!strcmp(a, "autopad")) { h_attr_int(n, "group", 2); h_attr_str(n, "auto_pad", "SAME"); }
		if (!strcmp(a, "oshape3")) h_attr_ints(n, "output_shape", 3, (int64_t[]){9, 9, 9});
		if (!strcmp(a, "padbig")) h_attr_ints(n, "pads", 4, (int64_t[]){5, 5, 5, 5});
		int st = run_op(ctx, E[i].transpose ? ct : conv, n, E[i].b ? 3 : 2, in, &y, 0, 1,
		                -INFINITY, INFINITY);
		CHECK(st < 0 && strstr(aimet_errmsg(ctx), "node"), "infer error: %s (status %d: %s)",
		      E[i].what, st, aimet_errmsg(ctx));
		aimet_tensor_free(y);
		aimet_node_free(n);
	}
	/* a fourth input is refused, not ignored */
	for (int t = 0; t < 2; t++) {
		struct aimet_node *n4 = h_node(t ? "ConvTranspose" : "Conv", 4, 1);
		struct aimet_tensor *in4[4] = {x, t ? wt : w, NULL, x}, *y4 = NULL;
		if (!t)
			h_attr_int(n4, "group", 2);
		CHECK(run_op(ctx, t ? ct : conv, n4, 4, in4, &y4, 0, 1, -INFINITY, INFINITY) < 0,
		      "%s with 4 inputs refused", t ? "ConvTranspose" : "Conv");
		aimet_tensor_free(y4);
		aimet_node_free(n4);
	}
	/* the same inputs are valid with the right attributes (so the errors above are specific) */
	struct aimet_node *n = h_node("Conv", 2, 1);
	struct aimet_tensor *in[2] = {x, w}, *y = NULL;
	h_attr_int(n, "group", 2);
	CHECK(run_op(ctx, conv, n, 2, in, &y, 0, 1, -INFINITY, INFINITY) == 0 && y->dims[1] == 6 &&
	      y->dims[2] == 3, "valid grouped conv: %s", aimet_errmsg(ctx));
	aimet_tensor_free(y);
	aimet_node_free(n);
	aimet_tensor_free(x);
	aimet_tensor_free(w);
	aimet_tensor_free(w3);
	aimet_tensor_free(big);
	aimet_tensor_free(bb);
	aimet_tensor_free(wt);
	aimet_tensor_free(xi);
}

/* Huge dilations and pads on a tiny input are valid and must not size an absurd workspace
 * (each run_op allocates what prepare asks for). */
static void odd_sizes(struct aimet_ctx *ctx)
{
	const struct aimet_op *conv = aimet_op_find("", "Conv");
	uint32_t seed = 8;
	for (int dw = 0; dw < 2; dw++) {
		struct aimet_tensor *in[2] = {h_tensor_rand(3, (int64_t[]){1, 8, 3}, &seed, -1, 1),
		                              h_tensor_rand(3, dw ? (int64_t[]){8, 1, 3} : (int64_t[]){4, 8, 3},
		                                            &seed, -1, 1)};
		struct aimet_tensor *r = NULL, *f = NULL;
		struct aimet_node *n = h_node("Conv", 2, 1);
		if (dw)
			h_attr_int(n, "group", 8);
		h_attr_ints(n, "dilations", 1, (int64_t[]){500000000});
		h_attr_ints(n, "pads", 2, (int64_t[]){500000000, 500000000});
		CHECK(run_op(ctx, conv, n, 2, in, &r, 1, 1, -INFINITY, INFINITY) == 0 &&
		      run_op(ctx, conv, n, 2, in, &f, 0, 2, -INFINITY, INFINITY) == 0 && r->dims[2] == 3 &&
		      h_max_rel_err(f, r) < 1e-6, "huge dilation and pads (%s): %s", dw ? "depthwise" : "dense",
		      aimet_errmsg(ctx));
		aimet_tensor_free(r);
		aimet_tensor_free(f);
		aimet_tensor_free(in[0]);
		aimet_tensor_free(in[1]);
		aimet_node_free(n);
	}
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	(void)h_run;
	(void)h_attr_float;
	(void)h_attr_floats;
	CHECK(aimet_op_find("", "Conv") && aimet_op_find("", "ConvTranspose"), "ops registered");
	hand_cases(ctx);
	sweeps(ctx);
	model_layers(ctx);
	cg_layers(ctx);
	infer_errors(ctx);
	odd_sizes(ctx);
	aimet_ctx_free(ctx);
	return test_done();
}
