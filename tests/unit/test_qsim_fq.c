/* test_qsim_fq.c: fake quantization fused into the executor — the kernel (aimet_fq_apply)
 * against aimet_qdq (one value at a time) bit for bit on adversarial values, the epilogue
 * stage, and a simulated plan (quantizers applied by the plan, in kernels) against the same
 * plan quantized by a hook. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aimet_exec.h"
#include "aimet_io.h"
#include "aimet_kernels.h"
#include "aimet_onnx.h"
#include "aimet_qsim.h"
#include "../test.h"

#define MODEL "share/aimet/examples/fmnist_resnet8.onnx"
#define CALIB "share/aimet/examples/calib_x.npy"

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}
static float urand(void) { return (float)(rnd() & 0xffffff) / 16777216.0f; }

static struct aimet_fq fq_of(const struct aimet_encoding *e)
{
	struct aimet_fq q;
	q.scale = e->scale;
	q.lo = (float)e->offset;
	q.hi = (float)(e->offset + e->qmax);
	return q;
}

/* The reference: aimet_qdq one value at a time (aimet_qdq_array itself runs the kernel under
 * test). */
static void qdq_ref(const struct aimet_encoding *e, const float *x, float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = aimet_qdq(e, x[i]);
}

static int same_bits(const float *a, const float *b, size_t n, size_t *at)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof(float))) {
			*at = i;
			return 0;
		}
	return 1;
}

/* Values that stress the product-and-check path: exact ties (k + 0.5) * s and their float
 * neighbours, values far outside the grid, NaN, infinities, signed zeros, subnormals. */
static void fill_hard(float *x, size_t n, float s, float lo, float hi)
{
	for (size_t i = 0; i < n; i++) {
		float k = floorf(lo - 4 + urand() * (hi - lo + 8)), v;
		switch (rnd() % 10) {
		case 0: v = (k + 0.5f) * s; break;
		case 1: v = nextafterf((k + 0.5f) * s, INFINITY); break;
		case 2: v = nextafterf((k + 0.5f) * s, -INFINITY); break;
		case 3: v = (k + urand()) * s * (rnd() % 2 ? 1e6f : 1e-6f); break;
		case 4: {
			static const float sp[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-40f, -1e-40f, 3e38f, -3e38f};
			v = sp[rnd() % 9];
			break;
		}
		default: v = (k + urand()) * s; break;
		}
		x[i] = v;
	}
}

static void kernel_tests(struct aimet_ctx *ctx)
{
	enum { N = 1037 };   /* not a multiple of the vector width */
	static float x[N], ref[N], got[N], got2[N];
	int bad = 0, bad_mt = 0, cases = 0;
	for (int it = 0; it < 3000; it++) {
		struct aimet_encoding e;
		struct aimet_fq q;
		int bw = 4 + (int)(rnd() % 13), sym = (int)(rnd() % 2);
		double scale = exp(((double)urand() - 0.5) * (it % 7 == 0 ? 160.0 : 30.0));
		int64_t qmax = ((int64_t)1 << bw) - 1, offset = sym ? -((int64_t)1 << (bw - 1)) : -(int64_t)(rnd() % (uint32_t)(qmax + 1));
		size_t at = 0;
		if (aimet_encoding_set(ctx, bw, sym, scale, offset, &e))
			continue;
		q = fq_of(&e);
		fill_hard(x, N, e.scale, q.lo, q.hi);
		qdq_ref(&e, x, ref, N);
		memcpy(got, x, sizeof(x));
		aimet_fq_apply(&q, got, N);
		if (!same_bits(ref, got, N, &at) && bad++ < 5)
			CHECK(0, "fq_apply: bw %d scale %a x %a: %a, qdq_array %a", bw, e.scale, x[at], got[at], ref[at]);
		aimet_fq_apply_mt(&q, x, got2, N, 1 + it % 3);
		if (!same_bits(ref, got2, N, &at) && bad_mt++ < 5)
			CHECK(0, "fq_apply_mt: bw %d x %a: %a, qdq_array %a", bw, x[at], got2[at], ref[at]);
		cases++;
	}
	CHECK(cases > 2000 && !bad && !bad_mt, "fq kernel: %d of %d grids differ (%d threaded)", bad, cases, bad_mt);
	/* a grid with exact ties: scale 0.5, x = k + 0.25 gives x / s = 2k + 0.5 (half to even) */
	{
		struct aimet_encoding e;
		struct aimet_fq q;
		float v[8] = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 2.25f, 100.0f, -100.0f};
		float r[8];
		CHECK(!aimet_encoding_set(ctx, 8, 0, 0.5, -128, &e), "encoding");
		q = fq_of(&e);
		qdq_ref(&e, v, r, 8);
		aimet_fq_apply(&q, v, 8);
		CHECK(v[0] == 0.0f && v[1] == 1.0f && v[2] == 1.0f && v[3] == 0.0f && signbit(v[3]) &&
		      v[4] == -1.0f && v[5] == 2.0f && v[6] == 63.5f && v[7] == -64.0f,
		      "ties: %g %g %g %g %g %g %g %g", v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
		CHECK(!memcmp(v, r, sizeof(v)), "ties differ from aimet_qdq");
	}
	/* the epilogue: bias, clamp, then fake quantization, as three separate passes would */
	{
		struct aimet_encoding e;
		struct aimet_fq q;
		struct aimet_epilogue ep = aimet_epilogue_clamp(0.0f, 6.0f);
		float c[3 * 40], want[3 * 40], bias[5] = {0.5f, -1.0f, 2.0f, 0.0f, 3.0f};
		size_t at = 0;
		CHECK(!aimet_encoding_set(ctx, 8, 0, 6.0 / 255, 0, &e), "encoding");
		q = fq_of(&e);
		for (int i = 0; i < 3 * 40; i++)
			c[i] = (urand() - 0.4f) * 10;
		/* block rows 1..3 of a 5-row output, columns 0..31 of ld 40 */
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 40; j++) {
				float v = c[i * 40 + j];
				if (j < 32) {
					v += bias[1 + i];
					v = v < 0 ? 0 : v > 6 ? 6 : v;
					qdq_ref(&e, &v, &v, 1);
				}
				want[i * 40 + j] = v;
			}
		ep.kind = AIMET_EPI_ROW;
		ep.add = bias;
		ep.fq = &q;
		aimet_epilogue_apply(&ep, c, 40, 1, 3, 0, 32);
		CHECK(same_bits(c, want, 3 * 40, &at), "epilogue with fq differs at %zu", at);
		/* contiguous rows (ldc == n), gathered into longer calls: 700 rows of 7, clamp only
		 * and then no clamp at all */
		for (int pass = 0; pass < 2; pass++) {
			static float big[700 * 7], bwant[700 * 7];
			struct aimet_epilogue e2 = aimet_epilogue_clamp(pass ? -INFINITY : -1.0f, pass ? INFINITY : 5.0f);
			for (int i = 0; i < 700 * 7; i++) {
				float v = big[i] = (urand() - 0.4f) * 10;
				if (!pass)
					v = v < -1 ? -1 : v > 5 ? 5 : v;
				qdq_ref(&e, &v, &bwant[i], 1);
			}
			e2.fq = &q;
			aimet_epilogue_apply(&e2, big, 7, 0, 700, 0, 7);
			CHECK(same_bits(big, bwant, 700 * 7, &at), "contiguous epilogue (pass %d) differs at %zu", pass, at);
		}
	}
}

/* ---- a plan that quantizes itself against one quantized by a hook ---- */
struct hook_ref {
	struct aimet_qsim *s;
	struct aimet_plan *p;
	int calls;
};

static void ref_hook(void *user, const struct aimet_node *node, int out_index, struct aimet_tensor *t)
{
	struct hook_ref *h = user;
	const char *name = node ? node->outputs[out_index] : aimet_plan_input_name(h->p, out_index);
	struct aimet_quantizer *q = aimet_qsim_find(h->s, name);
	if (!q || q->kind != AIMET_ENC_ACT || !q->has_enc || t->dtype != AIMET_FLOAT)
		return;
	aimet_qdq_array(q->enc, t->data, t->data, (size_t)aimet_tensor_numel(t));
	h->calls++;
}

static struct aimet_tensor *run_one(struct aimet_ctx *ctx, struct aimet_plan *p, struct aimet_tensor *x)
{
	struct aimet_tensor *outs[4] = {0};
	if (aimet_plan_run(ctx, p, &x, outs)) {
		fprintf(stderr, "%s\n", aimet_errmsg(ctx));
		return NULL;
	}
	return aimet_tensor_clone(outs[0]);
}

static int tensors_equal(const struct aimet_tensor *a, const struct aimet_tensor *b)
{
	return a && b && a->nbytes == b->nbytes && !memcmp(a->data, b->data, a->nbytes);
}

/* model: an ONNX file; calib: a .npy of float32 samples; batch samples run in each batch. */
static void plan_tests(struct aimet_ctx *ctx, const char *model, const char *calib, int64_t batch)
{
	struct aimet_model *m = NULL;
	struct aimet_qsim *s = NULL;
	struct aimet_dataset_spec spec;
	struct aimet_dataset *ds = NULL;
	struct aimet_tensor *x = NULL, *y_sim1 = NULL, *y_sim2 = NULL, *y_hook = NULL, *y_ref = NULL, *x_copy;
	struct aimet_plan *hp = NULL;
	struct aimet_plan_opts po;
	const char **keep = NULL;
	struct hook_ref h;
	size_t nq, nk = 0;
	if (aimet_model_load(ctx, model, &m) || aimet_qsim_new(ctx, m, NULL, &s)) {
		CHECK(0, "set-up %s: %s", model, aimet_errmsg(ctx));
		return;
	}
	aimet_dataset_spec_init(&spec);
	spec.n_sources = 1;
	spec.paths[0] = calib;
	spec.samples = 2 * batch;
	spec.batch = batch;
	if (aimet_dataset_open(ctx, &spec, &ds) || aimet_qsim_calibrate(ctx, s, ds, NULL) ||
	    aimet_npy_read(ctx, calib, &x)) {
		CHECK(0, "calibration %s: %s", model, aimet_errmsg(ctx));
		goto out;
	}
	x->dims[0] = batch;   /* the first batch */
	x->nbytes = (size_t)aimet_tensor_numel(x) * sizeof(float);
	x_copy = aimet_tensor_clone(x);
	/* the simulator's plan quantizes in its kernels; -j 1 and -j 2 */
	ctx->threads = 1;
	y_sim1 = run_one(ctx, aimet_qsim_plan(s), x);
	ctx->threads = 2;
	y_sim2 = run_one(ctx, aimet_qsim_plan(s), x);
	ctx->threads = 1;
	CHECK(tensors_equal(x, x_copy), "the caller's input was modified");
	aimet_tensor_free(x_copy);
	/* the same model and weights, every activation quantized by a hook instead */
	nq = aimet_qsim_n_quantizers(s);
	keep = calloc(nq + 1, sizeof(*keep));
	for (size_t i = 0; keep && i < nq; i++)
		if (aimet_qsim_quantizer(s, i)->kind == AIMET_ENC_ACT)
			keep[nk++] = aimet_qsim_quantizer(s, i)->name;
	memset(&po, 0, sizeof(po));
	po.keep = keep;
	po.n_keep = (int)nk;
	if (!keep || aimet_plan_new(ctx, aimet_qsim_model(s), &po, &hp)) {
		CHECK(0, "hook plan: %s", aimet_errmsg(ctx));
		goto out;
	}
	for (size_t i = 0; i < nq; i++) {
		struct aimet_quantizer *q = aimet_qsim_quantizer(s, i);
		const struct aimet_tensor *w;
		if (q->kind == AIMET_ENC_PARAM && (w = aimet_plan_constant(aimet_qsim_plan(s), q->name)))
			CHECK(!aimet_plan_set_weight(ctx, hp, q->name, w), "set weight '%s'", q->name);
	}
	h.s = s;
	h.p = hp;
	h.calls = 0;
	aimet_plan_set_hook(hp, ref_hook, &h);
	y_hook = run_one(ctx, hp, x);
	CHECK(h.calls >= 10, "%s: the reference hook quantized only %d tensors", model, h.calls);
	CHECK(y_sim1 && tensors_equal(y_sim1, y_hook), "%s: plan-quantized run differs from the hook-quantized one", model);
	CHECK(y_sim2 && tensors_equal(y_sim1, y_sim2), "%s: plan-quantized run differs between -j 1 and -j 2", model);
	/* the reference kernels, with the executor's own pass, give the reference kernels' bits */
	{
		struct aimet_plan *rp = NULL;
		po.use_ref = 1;
		if (!aimet_plan_new(ctx, aimet_qsim_model(s), &po, &rp)) {
			struct aimet_tensor *y_r1, *y_r2;
			for (size_t i = 0; i < nq; i++) {
				struct aimet_quantizer *q = aimet_qsim_quantizer(s, i);
				const struct aimet_tensor *w;
				if (q->kind == AIMET_ENC_PARAM && (w = aimet_plan_constant(aimet_qsim_plan(s), q->name)))
					aimet_plan_set_weight(ctx, rp, q->name, w);
			}
			aimet_plan_set_hook(rp, ref_hook, &h);
			y_r1 = run_one(ctx, rp, x);
			aimet_plan_set_hook(rp, NULL, NULL);
			for (size_t i = 0; i < nq; i++) {
				struct aimet_quantizer *q = aimet_qsim_quantizer(s, i);
				struct aimet_fq f;
				if (q->kind != AIMET_ENC_ACT || !q->has_enc)
					continue;
				f = fq_of(q->enc);
				CHECK(!aimet_plan_set_output_quant(ctx, rp, q->name, &f), "set_output_quant '%s': %s",
				      q->name, aimet_errmsg(ctx));
			}
			y_r2 = run_one(ctx, rp, x);
			CHECK(y_r1 && tensors_equal(y_r1, y_r2), "reference kernels: plan pass differs from hook");
			aimet_plan_clear_output_quant(rp);
			aimet_tensor_free(y_r2);
			y_r2 = run_one(ctx, rp, x);
			CHECK(y_r2 && !tensors_equal(y_r1, y_r2), "clearing the quantizers changed nothing");
			aimet_tensor_free(y_r1);
			aimet_tensor_free(y_r2);
			aimet_plan_free(rp);
		} else {
			CHECK(0, "reference plan: %s", aimet_errmsg(ctx));
		}
	}
	/* simulation off: FP32 with float weights, so the quantizers really were in the plan */
	CHECK(!aimet_qsim_set_enabled(ctx, s, 0), "disable");
	y_ref = run_one(ctx, aimet_qsim_plan(s), x);
	CHECK(y_ref && !tensors_equal(y_ref, y_sim1), "simulation off gives the simulated output");
	CHECK(!aimet_qsim_set_enabled(ctx, s, 1), "enable");
	aimet_tensor_free(y_ref);
	y_ref = run_one(ctx, aimet_qsim_plan(s), x);
	CHECK(y_ref && tensors_equal(y_ref, y_sim1), "simulation on again differs");
	/* what the plan refuses */
	{
		struct aimet_fq f = {0.1f, -128, 127}, bad = {0.0f, 0, 255};
		CHECK(aimet_plan_set_output_quant(ctx, hp, "no such tensor", &f) == AIMET_ERR_INVALID, "unknown name accepted");
		CHECK(aimet_plan_set_output_quant(ctx, hp, aimet_plan_input_name(hp, 0), &bad) == AIMET_ERR_INVALID,
		      "zero scale accepted");
		CHECK(aimet_plan_set_output_quant(ctx, hp, aimet_plan_input_name(hp, 0), &f) == AIMET_OK, "input refused");
		CHECK(aimet_plan_set_output_quant(ctx, hp, aimet_plan_input_name(hp, 0), NULL) == AIMET_OK, "removal refused");
	}
out:
	aimet_tensor_free(x);
	aimet_tensor_free(y_sim1);
	aimet_tensor_free(y_sim2);
	aimet_tensor_free(y_hook);
	aimet_tensor_free(y_ref);
	aimet_plan_free(hp);
	free(keep);
	aimet_dataset_free(ds);
	aimet_qsim_free(s);
}

/* ppocr_cls (../shared, when present) on random images: depthwise and 1x1 convolutions, the
 * simulator's HardSigmoid * x (its spelled-out hardswish, prepared), squeeze-excitation. */
static void ppocr_tests(struct aimet_ctx *ctx)
{
	const char *shared = getenv("AIMET_SHARED") ? getenv("AIMET_SHARED") : "../shared";
	char model[1024], calib[] = "/tmp/aimet-test-qsim-fq-XXXXXX";
	int64_t dims[4] = {8, 3, 48, 192};
	struct aimet_tensor *t;
	FILE *f;
	int fd;
	snprintf(model, sizeof(model), "%s/models/ppocr_cls.onnx", shared);
	if (!(f = fopen(model, "rb"))) {
		printf("note: %s not found, the PP-OCR case is not run\n", model);
		return;
	}
	fclose(f);
	if ((fd = mkstemp(calib)) < 0) {
		CHECK(0, "mkstemp");
		return;
	}
	close(fd);
	t = aimet_tensor_new("x", AIMET_FLOAT, 4, dims);
	if (!t || aimet_tensor_alloc(ctx, t)) {
		CHECK(0, "tensor");
		aimet_tensor_free(t);
		unlink(calib);
		return;
	}
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++)
		((float *)t->data)[i] = urand() * 2 - 1;
	CHECK(!aimet_npy_write(ctx, t, calib), "npy write: %s", aimet_errmsg(ctx));
	aimet_tensor_free(t);
	plan_tests(ctx, model, calib, 4);
	unlink(calib);
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	kernel_tests(ctx);
	plan_tests(ctx, MODEL, CALIB, 16);
	ppocr_tests(ctx);
	aimet_ctx_free(ctx);
	return test_done();
}
