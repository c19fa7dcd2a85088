/* aimet_eval.h: running a prepared model over a dataset and scoring it (top-1 accuracy). */
#ifndef AIMET_EVAL_H
#define AIMET_EVAL_H

#include "aimet.h"
#include "aimet_exec.h"
#include "aimet_io.h"

/* Number of rows of `logits` ([N, ..., C], scored over the last axis; rows = numel / C) whose
 * argmax (first maximum) equals labels[row]. */
int64_t aimet_top1_correct(const struct aimet_tensor *logits, const int64_t *labels);

/* Run every batch of `ds` (rewound first) through the plan and count top-1 hits of the first
 * output against `labels` (n_labels of them; fewer labels than samples is an error).
 * Progress callback (may be NULL) gets samples done and total. */
int aimet_eval_top1(struct aimet_ctx *ctx, struct aimet_plan *plan, struct aimet_dataset *ds,
                    const int64_t *labels, int64_t n_labels, int64_t *correct, int64_t *total,
                    void (*progress)(int64_t done, int64_t total));

#endif
