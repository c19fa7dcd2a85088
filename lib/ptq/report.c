/* report.c: what the post-training passes share — the skipped-layer list of their reports, layer
 * selection, and the channel view of a layer's weight. */
#include "aimet_ptq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void aimet_skips_free(struct aimet_cle_skip *skips, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(skips[i].layer);
		free(skips[i].reason);
	}
	free(skips);
}

int aimet_layer_in_list(const struct aimet_node *n, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if ((n->name && !strcmp(n->name, names[i])) || (n->n_outputs && !strcmp(n->outputs[0], names[i])))
			return 1;
	return 0;
}

void aimet_wlayout_chan(const struct aimet_wlayout *l, size_t a, size_t j, size_t *oc, size_t *ic)
{
	switch (l->kind) {
	case AIMET_WL_CONV:   /* [O, I/g, k...]: group of output channel a */
		*oc = a;
		*ic = (a / (l->n_out / l->groups)) * l->dim1 + j;
		break;
	case AIMET_WL_CONVT:  /* [I, O/g, k...]: group of input channel a */
		*ic = a;
		*oc = (a / (l->n_in / l->groups)) * l->dim1 + j;
		break;
	default:
		if (l->tb)
			*oc = a, *ic = j;
		else
			*ic = a, *oc = j;
	}
}
