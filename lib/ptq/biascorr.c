/* biascorr.c: bias correction (FORMATS.md section 5) — empirical, from the quantized-minus-FP32
 * mean pre-activation output per channel, and analytical, from the folded BN statistics. */
#include "aimet_ptq.h"
#include "aimet_qsim.h"

#include <stdlib.h>

int aimet_bias_correct(struct aimet_ctx *ctx, struct aimet_model *m,
                       const struct aimet_qsim_opts *qopts, struct aimet_dataset *ds,
                       const struct aimet_bc_opts *opts, struct aimet_bc_report **report)
{
	(void)m; (void)qopts; (void)ds; (void)opts; (void)report;
	return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "bias correction is not implemented yet");
}

void aimet_bc_report_free(struct aimet_bc_report *r)
{
	free(r);
}
