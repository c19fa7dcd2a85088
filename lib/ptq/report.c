/* report.c: what the post-training passes share in their reports (the skipped-layer list). */
#include "aimet_ptq.h"

#include <stdio.h>
#include <stdlib.h>

int aimet_skip_add(struct aimet_ctx *ctx, struct aimet_cle_skip **skips, size_t *n,
                   const struct aimet_node *layer, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	struct aimet_cle_skip *k = aimet_realloc_array(*skips, *n + 1, sizeof(*k));
	if (!k)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	*skips = k;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	k[*n].layer = aimet_strdup(aimet_node_label(layer));
	k[*n].reason = aimet_strdup(buf);
	if (!k[*n].layer || !k[*n].reason) {
		free(k[*n].layer);
		free(k[*n].reason);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	(*n)++;
	return AIMET_OK;
}
