/* aimet_calib.h: calibration — streaming statistics of a tensor (per tensor or per channel) and
 * the encodings the quant schemes derive from them (FORMATS.md section 2). */
#ifndef AIMET_CALIB_H
#define AIMET_CALIB_H

#include "aimet.h"
#include "aimet_quant.h"

enum aimet_scheme {
	AIMET_SCHEME_TF = 0,          /* min/max */
	AIMET_SCHEME_TF_ENHANCED = 1, /* SQNR search over a histogram */
	AIMET_SCHEME_PERCENTILE = 2,
	AIMET_SCHEME_MSE = 3
};
/* "tf", "tf_enhanced", "percentile", "mse" -> scheme; -1 if unknown. */
int aimet_scheme_parse(const char *s);
const char *aimet_scheme_name(int scheme);

#define AIMET_HIST_BINS 512

/* Statistics of one tensor, fixed-size whatever the number of samples: running min/max and
 * (for the histogram schemes) a 512-bin histogram per channel whose range is set by the first
 * batch (widened 3x around its centre; later out-of-range values are dropped). */
struct aimet_observer;

/* n_channels 1 for per-tensor. Returns NULL on OOM. */
struct aimet_observer *aimet_observer_new(int scheme, size_t n_channels);
void aimet_observer_free(struct aimet_observer *o);   /* accepts NULL */
/* Add a batch: x is [outer, n_channels, inner] row-major. Non-finite values are ignored. */
void aimet_observer_update(struct aimet_observer *o, const float *x, size_t outer, size_t inner);
/* 1 once any finite value has been seen. */
int aimet_observer_seen(const struct aimet_observer *o);
/* Observed range of channel c (0, 0 when nothing was seen). */
void aimet_observer_range(const struct aimet_observer *o, size_t c, float *min, float *max);

/* Encodings from the statistics: one per channel into out[n_channels]. `flags` are the
 * AIMET_GRID_* flags of aimet_encoding_compute; percentile in (50, 100] for the percentile
 * scheme. A tensor whose values were all zero (or never seen) gets the range [-1, 1]. */
int aimet_observer_encodings(struct aimet_ctx *ctx, const struct aimet_observer *o, int bw,
                             unsigned flags, double percentile, struct aimet_encoding *out);

#endif
