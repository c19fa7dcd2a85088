/* qdq.c: export a simulation as a QuantizeLinear/DequantizeLinear model that stock ONNX Runtime
 * runs with the simulation's grids: integer weights behind DequantizeLinear, and a Q/DQ pair
 * (with a Clip first when the grid is narrower than its 8/16-bit storage) on every activation. */
#include "aimet_qsim.h"
#include "aimet_ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Storage type for an encoding: 8 bits up to bw 8, 16 bits up to 16. */
static int storage_dtype(const struct aimet_encoding *e)
{
	int s = aimet_encoding_is_signed(e);
	if (e->bw <= 8)
		return s ? AIMET_INT8 : AIMET_UINT8;
	return s ? AIMET_INT16 : AIMET_UINT16;
}

static int storage_bits(int dtype) { return aimet_dtype_size(dtype) * 8; }

static void store_int(void *data, int dtype, size_t i, int64_t v)
{
	switch (dtype) {
	case AIMET_INT8: ((int8_t *)data)[i] = (int8_t)v; break;
	case AIMET_UINT8: ((uint8_t *)data)[i] = (uint8_t)v; break;
	case AIMET_INT16: ((int16_t *)data)[i] = (int16_t)v; break;
	default: ((uint16_t *)data)[i] = (uint16_t)v; break;
	}
}

/* New initializer named after `base` + suffix; the unique name goes to *name (caller frees). */
static struct aimet_tensor *new_init(struct aimet_ctx *ctx, struct aimet_graph *g, const char *base,
                                     const char *suffix, int dtype, int ndim, const int64_t *dims,
                                     char **name)
{
	char buf[1024];
	struct aimet_tensor *t;
	snprintf(buf, sizeof(buf), "%s%s", base, suffix);
	if (!(*name = aimet_graph_unique_name(g, buf)))
		return NULL;
	t = aimet_tensor_new(*name, dtype, ndim, dims);
	if (!t || aimet_tensor_alloc(ctx, t) || aimet_graph_add_initializer(ctx, g, t)) {
		free(*name);
		*name = NULL;
		return NULL;   /* add_initializer freed t on failure */
	}
	return t;
}

/* scale and zero-point initializers for n encodings (scalars when n == 1 and !per_channel). */
static int add_scale_zp(struct aimet_ctx *ctx, struct aimet_graph *g, const char *base,
                        const struct aimet_encoding *enc, size_t n, int per_channel, int dtype,
                        char **scale, char **zp)
{
	int64_t dim = (int64_t)n;
	int nd = per_channel ? 1 : 0;
	struct aimet_tensor *ts = new_init(ctx, g, base, "_scale", AIMET_FLOAT, nd, &dim, scale);
	struct aimet_tensor *tz = ts ? new_init(ctx, g, base, "_zero_point", dtype, nd, &dim, zp) : NULL;
	if (!ts || !tz)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t c = 0; c < n; c++) {
		((float *)ts->data)[c] = enc[c].scale;
		store_int(tz->data, dtype, c, aimet_encoding_zero_point(&enc[c]));
	}
	return AIMET_OK;
}

static int export_param(struct aimet_ctx *ctx, struct aimet_graph *g, const struct aimet_enc_entry *e)
{
	const struct aimet_tensor *w = aimet_graph_find_weight(g, e->name, NULL);
	int dtype = storage_dtype(&e->enc[0]);
	char *qname = NULL, *scale = NULL, *zp = NULL, *dq_out = NULL;
	struct aimet_tensor *wq;
	struct aimet_node *dq;
	size_t outer = 1, inner = 1, n = e->n;
	int axis = e->per_channel ? (e->axis >= 0 ? e->axis : 0) : -1, st;
	if (!w || w->dtype != AIMET_FLOAT)
		return aimet_error(ctx, AIMET_ERR_INVALID, "'%s' is not a float weight of the model", e->name);
	if (e->per_channel && (axis >= w->ndim || (size_t)w->dims[axis] != n))
		return aimet_error(ctx, AIMET_ERR_INVALID, "'%s': %zu channel encodings do not match the weight", e->name, n);
	for (int d = 0; d < w->ndim; d++) {
		if (axis >= 0 && d < axis)
			outer *= (size_t)w->dims[d];
		else if (d > axis)
			inner *= (size_t)w->dims[d];
	}
	if (axis < 0)
		outer = 1;
	if (!(wq = new_init(ctx, g, e->name, "_quantized", dtype, w->ndim, w->dims, &qname)))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t o = 0; o < outer; o++)
		for (size_t c = 0; c < n; c++)
			for (size_t i = 0; i < inner; i++) {
				size_t k = (o * n + c) * inner + i;
				const struct aimet_encoding *en = &e->enc[c];
				int64_t q = aimet_quantize(en, ((const float *)w->data)[k]);
				/* storage value y with (y - zero_point) = q + offset */
				store_int(wq->data, dtype, k, q + en->offset + aimet_encoding_zero_point(en));
			}
	if ((st = add_scale_zp(ctx, g, e->name, e->enc, n, e->per_channel, dtype, &scale, &zp)))
		goto out;
	{
		char buf[1024];
		snprintf(buf, sizeof(buf), "%s_dequantized", e->name);
		dq_out = aimet_graph_unique_name(g, buf);
	}
	{
		const char *ins[3] = {qname, scale, zp}, *outs[1] = {dq_out};
		dq = dq_out ? aimet_node_new("DequantizeLinear", NULL, 3, ins, 1, outs) : NULL;
	}
	if (!dq || (e->per_channel && aimet_node_set_int(dq, "axis", axis))) {
		aimet_node_free(dq);
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((st = aimet_graph_rename_uses(g, e->name, dq_out)) || (st = aimet_graph_add_node(ctx, g, 0, dq))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
out:
	free(qname);
	free(scale);
	free(zp);
	free(dq_out);
	return st;
}

/* Insert `op` between `tensor` and its readers: op(tensor, extra inputs...). *carrier gets the
 * name that now carries the result to the readers (caller frees). */
static int insert_op(struct aimet_ctx *ctx, struct aimet_graph *g, const char *op, const char *tensor,
                     const char *suffix, const char *in1, const char *in2, char **carrier)
{
	char buf[1024], *out;
	struct aimet_node *n;
	const char *ins[3] = {tensor, in1, in2}, *outs[1];
	int st;
	snprintf(buf, sizeof(buf), "%s%s", tensor, suffix);
	if (!(out = aimet_graph_unique_name(g, buf)))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	outs[0] = out;
	n = aimet_node_new(op, NULL, in2 ? 3 : in1 ? 2 : 1, ins, 1, outs);
	free(out);
	if (!n)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if ((st = aimet_graph_insert_after(ctx, g, tensor, n)))
		return st;
	/* n stays owned by the graph; a graph output keeps its name on n's output */
	if (!(*carrier = strdup(n->outputs[0])))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	return AIMET_OK;
}

static int export_act(struct aimet_ctx *ctx, struct aimet_graph *g, const struct aimet_enc_entry *e)
{
	const struct aimet_encoding *en = &e->enc[0];
	int dtype = storage_dtype(en), st;
	char *scale = NULL, *zp = NULL, *lo = NULL, *hi = NULL, *cur = NULL, *next = NULL;
	int64_t dim = 0;
	if (e->per_channel || e->n != 1)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "'%s': per-channel activation encodings", e->name);
	if (!aimet_graph_producer(g, e->name, NULL, NULL) && !aimet_graph_is_input(g, e->name))
		return aimet_error(ctx, AIMET_ERR_INVALID, "'%s' is not a tensor of the model", e->name);
	if ((st = add_scale_zp(ctx, g, e->name, en, 1, 0, dtype, &scale, &zp)))
		goto out;
	if (!(cur = strdup(e->name))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* a grid narrower than its storage clamps first, so QuantizeLinear cannot leave it */
	if (en->bw != storage_bits(dtype)) {
		struct aimet_tensor *tl = new_init(ctx, g, e->name, "_clip_min", AIMET_FLOAT, 0, &dim, &lo);
		struct aimet_tensor *th = tl ? new_init(ctx, g, e->name, "_clip_max", AIMET_FLOAT, 0, &dim, &hi) : NULL;
		if (!th) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		*(float *)tl->data = en->min;
		*(float *)th->data = en->max;
		if ((st = insert_op(ctx, g, "Clip", cur, "_clipped", lo, hi, &next)))
			goto out;
		free(cur);
		cur = next;
		next = NULL;
	}
	if ((st = insert_op(ctx, g, "QuantizeLinear", cur, "_quantized", scale, zp, &next)))
		goto out;
	free(cur);
	cur = next;
	next = NULL;
	st = insert_op(ctx, g, "DequantizeLinear", cur, "_dequantized", scale, zp, &next);
out:
	free(cur);
	free(next);
	free(scale);
	free(zp);
	free(lo);
	free(hi);
	return st;
}

int aimet_qdq_export(struct aimet_ctx *ctx, const struct aimet_model *model,
                     const struct aimet_encodings *enc, struct aimet_model **out)
{
	struct aimet_model *m = aimet_model_clone(model);
	int64_t opset = 13;
	int st = AIMET_OK;
	if (!m)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < enc->n_entries; i++)
		if (!enc->entries[i].enc[0].is_float && enc->entries[i].enc[0].bw > 8)
			opset = 21;   /* int16/uint16 QuantizeLinear */
	for (size_t i = 0; i < enc->n_entries; i++)
		if (!enc->entries[i].enc[0].is_float && enc->entries[i].enc[0].bw > 16) {
			aimet_model_free(m);
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "'%s': bitwidth %d has no QDQ storage type",
			                   enc->entries[i].name, enc->entries[i].enc[0].bw);
		}
	if ((st = aimet_model_convert_opset(ctx, m, opset)))
		goto fail;
	/* params first (they rename uses of weights), then activations */
	for (int pass = 0; pass < 2 && !st; pass++)
		for (size_t i = 0; i < enc->n_entries && !st; i++) {
			const struct aimet_enc_entry *e = &enc->entries[i];
			int is_param = aimet_graph_find_weight(m->graph, e->name, NULL) != NULL &&
			               e->kind != AIMET_ENC_ACT;
			if (e->enc[0].is_float || is_param != (pass == 0))
				continue;
			st = is_param ? export_param(ctx, m->graph, e) : export_act(ctx, m->graph, e);
		}
	if (st)
		goto fail;
	aimet_graph_remove_unused_weights(m->graph);
	if ((st = aimet_graph_toposort(ctx, m->graph)))
		goto fail;
	*out = m;
	return AIMET_OK;
fail:
	aimet_model_free(m);
	return st;
}
