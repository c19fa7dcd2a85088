/* test_qsim.c: the quantization simulator on the bundled example model — quantizer placement
 * from the default configuration, calibration, simulation against the exported QDQ model run by
 * the executor, determinism across thread counts, frozen and loaded encodings. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "aimet_exec.h"
#include "aimet_io.h"
#include "aimet_ir.h"
#include "aimet_onnx.h"
#include "aimet_qsim.h"
#include "../test.h"

#define MODEL "share/aimet/examples/fmnist_resnet8.onnx"
#define CALIB "share/aimet/examples/calib_x.npy"

static struct aimet_dataset *open_calib(struct aimet_ctx *ctx, int64_t samples)
{
	struct aimet_dataset_spec spec;
	struct aimet_dataset *ds = NULL;
	aimet_dataset_spec_init(&spec);
	spec.n_sources = 1;
	spec.paths[0] = CALIB;
	spec.samples = samples;
	spec.batch = 16;
	if (aimet_dataset_open(ctx, &spec, &ds))
		fprintf(stderr, "%s\n", aimet_errmsg(ctx));
	return ds;
}

static struct aimet_qsim *make_sim(struct aimet_ctx *ctx, int per_channel)
{
	struct aimet_model *m;
	struct aimet_qsim *s = NULL;
	struct aimet_qsim_opts o;
	if (aimet_model_load(ctx, MODEL, &m)) {
		fprintf(stderr, "%s\n", aimet_errmsg(ctx));
		return NULL;
	}
	aimet_qsim_opts_init(&o);
	o.per_channel = per_channel;
	if (aimet_qsim_new(ctx, m, &o, &s))
		fprintf(stderr, "%s\n", aimet_errmsg(ctx));
	return s;
}

static void placement(struct aimet_qsim *s)
{
	const struct aimet_graph *g = aimet_qsim_model(s)->graph;
	int convs_into_relu = 0, relus = 0, weights = 0;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct aimet_node *n = g->nodes[i];
		size_t c;
		CHECK(strcmp(n->op_type, "BatchNormalization"), "batch norm '%s' left unfolded", n->name);
		if (!strcmp(n->op_type, "Conv") && aimet_graph_consumers(g, n->outputs[0], &c, 1) == 1 &&
		    !strcmp(g->nodes[c]->op_type, "Relu")) {
			convs_into_relu++;
			CHECK(!aimet_qsim_find(s, n->outputs[0]), "Conv->Relu supergroup: '%s' quantized", n->outputs[0]);
		}
		if (!strcmp(n->op_type, "Relu")) {
			relus++;
			CHECK(aimet_qsim_find(s, n->outputs[0]) != NULL, "Relu output '%s' not quantized", n->outputs[0]);
		}
		if (!strcmp(n->op_type, "Flatten") || !strcmp(n->op_type, "Reshape"))
			CHECK(!aimet_qsim_find(s, n->outputs[0]), "data movement output '%s' quantized", n->outputs[0]);
		if (!strcmp(n->op_type, "Conv") || !strcmp(n->op_type, "Gemm")) {
			struct aimet_quantizer *w = aimet_qsim_find(s, n->inputs[1]);
			weights++;
			CHECK(w && w->kind == AIMET_ENC_PARAM, "weight '%s' has no param quantizer", n->inputs[1]);
			if (n->n_inputs > 2)
				CHECK(!aimet_qsim_find(s, n->inputs[2]), "bias '%s' quantized", n->inputs[2]);
		}
	}
	CHECK(convs_into_relu > 3 && relus > 3 && weights > 5, "model shape unexpected (%d %d %d)", convs_into_relu, relus, weights);
	CHECK(aimet_qsim_find(s, g->inputs[0].name) != NULL, "model input not quantized");
}

/* Run one batch through a plan; returns a clone of the first output. */
static struct aimet_tensor *run_batch(struct aimet_ctx *ctx, struct aimet_plan *p, struct aimet_tensor *x)
{
	struct aimet_tensor *outs[4] = {0};
	if (aimet_plan_run(ctx, p, &x, outs)) {
		fprintf(stderr, "%s\n", aimet_errmsg(ctx));
		return NULL;
	}
	return aimet_tensor_clone(outs[0]);
}

static int argmax_agree(const struct aimet_tensor *a, const struct aimet_tensor *b, int64_t *rows)
{
	int64_t c = a->dims[a->ndim - 1], n = aimet_tensor_numel(a) / c, agree = 0;
	for (int64_t r = 0; r < n; r++) {
		const float *x = (const float *)a->data + r * c, *y = (const float *)b->data + r * c;
		int64_t ia = 0, ib = 0;
		for (int64_t j = 1; j < c; j++) {
			if (x[j] > x[ia]) ia = j;
			if (y[j] > y[ib]) ib = j;
		}
		agree += ia == ib;
	}
	*rows = n;
	return (int)agree;
}

int main(void)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_qsim *s = make_sim(ctx, -1), *s2, *s3;
	struct aimet_dataset *ds = open_calib(ctx, 64);
	struct aimet_encodings *enc = NULL, *enc2 = NULL;
	struct aimet_tensor *batch[AIMET_DATASET_MAX_INPUTS] = {0}, *x, *y_sim, *y_fp, *y_qdq, *y_ref;
	struct aimet_model *qdq = NULL, *orig = NULL;
	struct aimet_plan *p_qdq = NULL, *p_orig = NULL;
	char *d1 = NULL, *d2 = NULL;
	int64_t rows;
	if (!s || !ds) {
		CHECK(0, "set-up failed");
		return test_done();
	}
	placement(s);

	CHECK(aimet_qsim_calibrate(ctx, s, ds, NULL) == 0, "calibrate: %s", aimet_errmsg(ctx));
	CHECK(aimet_qsim_encodings(ctx, s, &enc) == 0, "encodings: %s", aimet_errmsg(ctx));
	for (size_t i = 0; i < aimet_qsim_n_quantizers(s); i++) {
		struct aimet_quantizer *q = aimet_qsim_quantizer(s, i);
		CHECK(q->has_enc, "quantizer '%s' has no encoding after calibration", q->name);
	}
	aimet_dataset_rewind(ds);
	aimet_dataset_next(ctx, ds, batch);
	x = aimet_tensor_clone(batch[0]);

	/* simulation agrees with the exported QDQ model run through QuantizeLinear/DequantizeLinear */
	y_sim = run_batch(ctx, aimet_qsim_plan(s), x);
	CHECK(aimet_qdq_export(ctx, aimet_qsim_model(s), enc, &qdq) == 0, "qdq export: %s", aimet_errmsg(ctx));
	CHECK(qdq && aimet_model_opset(qdq) >= 13, "qdq opset");
	if (qdq && aimet_plan_new(ctx, qdq, NULL, &p_qdq) == 0) {
		y_qdq = run_batch(ctx, p_qdq, x);
		CHECK(y_sim && y_qdq, "runs");
		if (y_sim && y_qdq) {
			double maxd = 0, maxv = 0;
			for (int64_t i = 0; i < aimet_tensor_numel(y_sim); i++) {
				maxd = fmax(maxd, fabs(((float *)y_sim->data)[i] - ((float *)y_qdq->data)[i]));
				maxv = fmax(maxv, fabs(((float *)y_sim->data)[i]));
			}
			/* only exact .5 ties may round differently (half away from zero vs half to even) */
			CHECK(maxd <= 0.05 * maxv, "simulation vs QDQ: max diff %g of %g", maxd, maxv);
			CHECK(argmax_agree(y_sim, y_qdq, &rows) == rows, "simulation vs QDQ top-1 disagree");
		}
		aimet_tensor_free(y_qdq);
	} else {
		CHECK(0, "qdq plan: %s", aimet_errmsg(ctx));
	}

	/* disabled: the FP32 function of the original model (batch norms folded) */
	CHECK(aimet_qsim_set_enabled(ctx, s, 0) == 0, "disable");
	y_fp = run_batch(ctx, aimet_qsim_plan(s), x);
	aimet_model_load(ctx, MODEL, &orig);
	aimet_plan_new(ctx, orig, NULL, &p_orig);
	y_ref = p_orig ? run_batch(ctx, p_orig, x) : NULL;
	if (y_fp && y_ref) {
		double maxd = 0, maxv = 0;
		for (int64_t i = 0; i < aimet_tensor_numel(y_fp); i++) {
			maxd = fmax(maxd, fabs(((float *)y_fp->data)[i] - ((float *)y_ref->data)[i]));
			maxv = fmax(maxv, fabs(((float *)y_ref->data)[i]));
		}
		CHECK(maxd <= 1e-4 * maxv, "disabled simulation differs from FP32: %g", maxd);
	} else {
		CHECK(0, "fp32 runs");
	}
	CHECK(aimet_qsim_set_enabled(ctx, s, 1) == 0, "re-enable");
	{
		struct aimet_tensor *again = run_batch(ctx, aimet_qsim_plan(s), x);
		CHECK(again && aimet_tensor_equal(again, y_sim), "re-enabled simulation differs");
		aimet_tensor_free(again);
	}

	/* two threads: byte-identical encodings, per-channel too */
	for (int pc = 0; pc <= 1; pc++) {
		struct aimet_encodings *e1 = NULL, *e2 = NULL;
		for (int t = 1; t <= 2; t++) {
			struct aimet_qsim *st = make_sim(ctx, pc);
			ctx->threads = t;
			omp_set_num_threads(t);
			CHECK(st && aimet_qsim_calibrate(ctx, st, ds, NULL) == 0, "calibrate -j%d", t);
			if (st)
				aimet_qsim_encodings(ctx, st, t == 1 ? &e1 : &e2);
			aimet_qsim_free(st);
		}
		ctx->threads = 1;
		omp_set_num_threads(1);
		if (e1 && e2) {
			aimet_encodings_dump(ctx, e1, 0, &d1);
			aimet_encodings_dump(ctx, e2, 0, &d2);
			CHECK(d1 && d2 && !strcmp(d1, d2), "per_channel %d: encodings differ between -j1 and -j2", pc);
			free(d1);
			free(d2);
			d1 = d2 = NULL;
		}
		if (pc)
			CHECK(e1 && strstr((aimet_encodings_dump(ctx, e1, 0, &d1), d1), "PER_CHANNEL"), "per-channel encodings");
		free(d1);
		d1 = NULL;
		aimet_encodings_free(e1);
		aimet_encodings_free(e2);
	}

	/* loading the encodings reproduces the simulation exactly */
	s2 = make_sim(ctx, -1);
	CHECK(s2 && aimet_qsim_load_encodings(ctx, s2, enc) == 0, "load encodings: %s", aimet_errmsg(ctx));
	if (s2) {
		struct aimet_tensor *y2 = run_batch(ctx, aimet_qsim_plan(s2), x);
		CHECK(y2 && aimet_tensor_equal(y2, y_sim), "simulation from loaded encodings differs");
		aimet_tensor_free(y2);
	}
	/* frozen params survive calibration untouched */
	s3 = make_sim(ctx, -1);
	CHECK(s3 && aimet_qsim_freeze_params(ctx, s3, enc) == 0, "freeze: %s", aimet_errmsg(ctx));
	if (s3 && aimet_qsim_calibrate(ctx, s3, ds, NULL) == 0 && aimet_qsim_encodings(ctx, s3, &enc2) == 0) {
		int same = 1;
		for (size_t i = 0; i < enc->n_entries; i++) {
			const struct aimet_enc_entry *a = &enc->entries[i], *b;
			if (a->kind != AIMET_ENC_PARAM)
				continue;
			b = aimet_encodings_find(enc2, a->name);
			same &= b && b->n == a->n && aimet_encoding_equal(&a->enc[0], &b->enc[0]);
		}
		CHECK(same, "frozen param encodings changed");
	} else {
		CHECK(0, "calibrate with frozen params: %s", aimet_errmsg(ctx));
	}

	aimet_tensor_free(x);
	aimet_tensor_free(y_sim);
	aimet_tensor_free(y_fp);
	aimet_tensor_free(y_ref);
	aimet_plan_free(p_qdq);
	aimet_plan_free(p_orig);
	aimet_model_free(qdq);
	aimet_model_free(orig);
	aimet_encodings_free(enc);
	aimet_encodings_free(enc2);
	aimet_dataset_free(ds);
	aimet_qsim_free(s);
	aimet_qsim_free(s2);
	aimet_qsim_free(s3);
	aimet_ctx_free(ctx);
	return test_done();
}
