/* aimet_ptq.h: post-training passes on the model IR — batch-norm folding (and later cross-layer
 * equalization, bias correction, AdaRound). Each edits a model in place. */
#ifndef AIMET_PTQ_H
#define AIMET_PTQ_H

#include "aimet.h"

/* Metadata key prefix under which a folded BatchNormalization's gamma and beta are kept, per
 * folded layer output: "aimet.bn.<tensor>" = {"gamma": [...], "beta": [...]} (JSON), scaled as
 * the layer's output now is. High-bias absorption and analytical bias correction read them. */
#define AIMET_BN_META_PREFIX "aimet.bn."

/* Fold every BatchNormalization that directly follows a Conv, ConvTranspose, Gemm or MatMul
 * (the layer's output read by the BN alone, weights constant) into that layer's weight and bias
 * (backward fold), and every BatchNormalization that directly precedes an unpadded group-1
 * Conv (forward fold). *n_folded (may be NULL) gets the count. The function of the model is
 * unchanged up to float rounding. */
int aimet_fold_batchnorms(struct aimet_ctx *ctx, struct aimet_model *m, int *n_folded);

/* The folded BN statistics recorded for a layer output (see AIMET_BN_META_PREFIX): arrays of
 * n channels, malloc'd (caller frees both). Returns 0 when found, -1 when none. */
int aimet_bn_meta_get(const struct aimet_model *m, const char *tensor, float **gamma,
                      float **beta, size_t *n);
int aimet_bn_meta_set(struct aimet_ctx *ctx, struct aimet_model *m, const char *tensor,
                      const float *gamma, const float *beta, size_t n);

#endif
