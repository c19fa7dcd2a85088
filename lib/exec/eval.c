/* eval.c: scoring a model over a dataset — the top-1 accuracy of aimet-run --labels and of
 * aimet-sim --eval, computed one way. */
#include "aimet_eval.h"

#include <stdlib.h>

int64_t aimet_top1_correct(const struct aimet_tensor *logits, const int64_t *labels)
{
	int64_t numel = aimet_tensor_numel(logits), c, rows, hits = 0;
	if (logits->ndim < 1 || numel <= 0 || logits->dtype != AIMET_FLOAT)
		return 0;
	c = logits->dims[logits->ndim - 1];
	if (c <= 0)
		return 0;
	rows = numel / c;
	for (int64_t r = 0; r < rows; r++) {
		const float *p = (const float *)logits->data + r * c;
		int64_t best = 0;
		for (int64_t j = 1; j < c; j++)
			if (p[j] > p[best])
				best = j;
		hits += best == labels[r];
	}
	return hits;
}

int aimet_eval_top1(struct aimet_ctx *ctx, struct aimet_plan *plan, struct aimet_dataset *ds,
                    const int64_t *labels, int64_t n_labels, int64_t *correct, int64_t *total,
                    void (*progress)(int64_t done, int64_t total))
{
	struct aimet_tensor *batch[AIMET_DATASET_MAX_INPUTS] = {0}, *out[1] = {0};
	int64_t done = 0, hits = 0, count = aimet_dataset_count(ds);
	int n_out = aimet_plan_n_outputs(plan), st;
	struct aimet_tensor **outs;
	if (n_labels < count)
		return aimet_error(ctx, AIMET_ERR_INVALID, "%lld labels for %lld samples",
		                   (long long)n_labels, (long long)count);
	outs = aimet_calloc((size_t)(n_out > 0 ? n_out : 1), sizeof(*outs));
	if (!outs)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	aimet_dataset_rewind(ds);
	while ((st = aimet_dataset_next(ctx, ds, batch)) == 1) {
		int64_t b = batch[0]->dims[0];
		if ((st = aimet_plan_run(ctx, plan, batch, outs)))
			break;
		out[0] = outs[0];
		if (out[0]->dtype != AIMET_FLOAT || out[0]->ndim < 1 || aimet_tensor_numel(out[0]) /
		    out[0]->dims[out[0]->ndim - 1] != b) {
			st = aimet_error(ctx, AIMET_ERR_INVALID, "the first output is not [batch, classes] float scores");
			break;
		}
		hits += aimet_top1_correct(out[0], labels + done);
		done += b;
		if (progress)
			progress(done, count);
	}
	free(outs);
	if (st < 0)
		return st;
	*correct = hits;
	*total = done;
	return AIMET_OK;
}
