/* bnfold.c: batch-norm folding into the neighbouring Conv/ConvTranspose/Gemm (FORMATS.md
 * section 5), keeping the folded statistics in the model's metadata for later passes. */
#include "aimet_ptq.h"
#include "aimet_ir.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A float weight read by exactly one node, or NULL. */
static struct aimet_tensor *private_float_weight(const struct aimet_graph *g, const char *name)
{
	struct aimet_tensor *t;
	if (!name || !name[0])
		return NULL;
	t = aimet_graph_find_weight(g, name, NULL);
	if (!t || t->dtype != AIMET_FLOAT || !t->data || aimet_graph_consumers(g, name, NULL, 0) != 1 ||
	    aimet_graph_is_output(g, name))
		return NULL;
	return t;
}

/* A weight, looking through Identity nodes (exporters alias equal tensors that way). */
static struct aimet_tensor *find_const(const struct aimet_graph *g, const char *name)
{
	for (int depth = 0; depth < 16 && name && name[0]; depth++) {
		struct aimet_tensor *t = aimet_graph_find_weight(g, name, NULL);
		struct aimet_node *p;
		if (t)
			return t;
		p = aimet_graph_producer(g, name, NULL, NULL);
		if (!p || strcmp(p->op_type, "Identity") || p->n_inputs != 1)
			return NULL;
		name = p->inputs[0];
	}
	return NULL;
}

/* BN parameters as per-channel scale s = gamma / sqrt(var + eps) and the rest. */
struct bn_params {
	size_t n;
	const float *gamma, *beta, *mean, *var;
	float eps;
};

static int bn_get(const struct aimet_graph *g, const struct aimet_node *bn, struct bn_params *p)
{
	const struct aimet_tensor *t[4];
	if (bn->n_inputs != 5 || aimet_node_attr_int(bn, "training_mode", 0))
		return -1;
	for (int i = 1; i < bn->n_outputs; i++)
		if (bn->outputs[i][0] && aimet_graph_consumers(g, bn->outputs[i], NULL, 0))
			return -1;
	for (int i = 0; i < 4; i++) {
		t[i] = find_const(g, bn->inputs[i + 1]);
		if (!t[i] || t[i]->dtype != AIMET_FLOAT || t[i]->ndim != 1 || !t[i]->data ||
		    (i && t[i]->dims[0] != t[0]->dims[0]))
			return -1;
	}
	p->n = (size_t)t[0]->dims[0];
	p->gamma = t[0]->data;
	p->beta = t[1]->data;
	p->mean = t[2]->data;
	p->var = t[3]->data;
	p->eps = aimet_node_attr_float(bn, "epsilon", 1e-5f);
	return 0;
}

static struct aimet_tensor *new_float(const char *name, int ndim, const int64_t *dims)
{
	struct aimet_tensor *t = aimet_tensor_new(name, AIMET_FLOAT, ndim, dims);
	if (t && aimet_tensor_alloc(NULL, t)) {
		aimet_tensor_free(t);
		return NULL;
	}
	return t;
}

/* Append an input to a node (the optional bias). */
static int node_append_input(struct aimet_node *n, const char *name)
{
	char **in = aimet_realloc_array(n->inputs, (size_t)n->n_inputs + 1, sizeof(char *));
	if (!in)
		return AIMET_ERR_NOMEM;
	n->inputs = in;
	if (!(in[n->n_inputs] = strdup(name)))
		return AIMET_ERR_NOMEM;
	n->n_inputs++;
	return AIMET_OK;
}

int aimet_layer_set_bias(struct aimet_ctx *ctx, struct aimet_graph *g, struct aimet_node *layer,
                         const float *b, size_t n)
{
	const int slot = 2;
	int64_t dim = (int64_t)n;
	struct aimet_tensor *t;
	char base[512], *name;
	int st;
	if (layer->n_inputs > slot && layer->inputs[slot][0]) {
		t = new_float(layer->inputs[slot], 1, &dim);
		if (!t)
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		if (b)
			memcpy(t->data, b, n * sizeof(float));
		return aimet_graph_replace_weight(ctx, g, layer->inputs[slot], t);
	}
	snprintf(base, sizeof(base), "%s.bias", aimet_node_label(layer));
	name = aimet_graph_unique_name(g, base);
	if (!name || !(t = new_float(name, 1, &dim))) {
		free(name);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if (b)
		memcpy(t->data, b, n * sizeof(float));
	st = aimet_graph_add_initializer(ctx, g, t);
	while (!st && layer->n_inputs < slot)
		st = node_append_input(layer, "");
	if (!st)
		st = layer->n_inputs == slot ? node_append_input(layer, name) : aimet_node_set_input(layer, slot, name);
	free(name);
	return st ? aimet_error(ctx, st, "out of memory") : AIMET_OK;
}

/* Output-channel layout of a layer's weight: element i of W belongs to channel
 * ch(i) = (i / inner) % n_ch ... generalised for ConvTranspose groups below. */
struct channel_map {
	size_t outer, n_ch, inner;   /* W viewed as [outer, n_ch, inner] */
	size_t groups;               /* ConvTranspose: channel = group * n_ch + j, outer = C_in */
};

/* Map of the weight's output channels, or -1 if the layer is not foldable. `m` channels. */
static int weight_channels(const struct aimet_node *layer, const struct aimet_tensor *w,
                           size_t m, struct channel_map *cm)
{
	size_t numel = (size_t)aimet_tensor_numel(w);
	memset(cm, 0, sizeof(*cm));
	cm->groups = 1;
	if (!strcmp(layer->op_type, "Conv")) {
		if (w->ndim < 3 || (size_t)w->dims[0] != m)
			return -1;
		cm->outer = 1, cm->n_ch = m, cm->inner = numel / m;
	} else if (!strcmp(layer->op_type, "ConvTranspose")) {
		int64_t g = aimet_node_attr_int(layer, "group", 1);
		if (w->ndim < 3 || g < 1 || (size_t)(w->dims[1] * g) != m || w->dims[0] % g)
			return -1;
		cm->groups = (size_t)g;
		cm->outer = (size_t)w->dims[0], cm->n_ch = (size_t)w->dims[1];
		cm->inner = numel / (cm->outer * cm->n_ch);
	} else if (!strcmp(layer->op_type, "Gemm")) {
		int tb = (int)aimet_node_attr_int(layer, "transB", 0);
		if (w->ndim != 2 || aimet_node_attr_float(layer, "alpha", 1) != 1 ||
		    aimet_node_attr_float(layer, "beta", 1) != 1 || (size_t)w->dims[tb ? 0 : 1] != m)
			return -1;
		if (tb)
			cm->outer = 1, cm->n_ch = m, cm->inner = (size_t)w->dims[1];
		else
			cm->outer = (size_t)w->dims[0], cm->n_ch = m, cm->inner = 1;
	} else {
		return -1;
	}
	return 0;
}

static size_t channel_of(const struct channel_map *cm, size_t o, size_t j)
{
	/* ConvTranspose: input channel o belongs to group o / (C_in / groups) */
	return cm->groups > 1 ? (o / (cm->outer / cm->groups)) * cm->n_ch + j : j;
}

/* Output channels of a foldable layer from its weight, or -1. */
static int64_t layer_channels(const struct aimet_node *layer, const struct aimet_tensor *w)
{
	if (!strcmp(layer->op_type, "Conv"))
		return w->ndim >= 3 ? w->dims[0] : -1;
	if (!strcmp(layer->op_type, "ConvTranspose"))
		return w->ndim >= 3 ? w->dims[1] * aimet_node_attr_int(layer, "group", 1) : -1;
	if (!strcmp(layer->op_type, "Gemm") && w->ndim == 2)
		return w->dims[aimet_node_attr_int(layer, "transB", 0) ? 0 : 1];
	return -1;
}

/* The foldable layer producing `tensor` (read by one node only), with its weight and bias. */
static struct aimet_node *foldable_layer(const struct aimet_graph *g, const char *tensor,
                                         struct aimet_tensor **w, struct aimet_tensor **b)
{
	struct aimet_node *layer = aimet_graph_producer(g, tensor, NULL, NULL);
	*b = NULL;
	if (!layer || (layer->domain && layer->domain[0]) || layer->n_outputs != 1 || layer->n_inputs < 2 ||
	    aimet_graph_consumers(g, tensor, NULL, 0) != 1 || aimet_graph_is_output(g, tensor))
		return NULL;
	if (!(*w = private_float_weight(g, layer->inputs[1])) || layer_channels(layer, *w) <= 0)
		return NULL;
	if (layer->n_inputs > 2 && layer->inputs[2][0]) {
		*b = private_float_weight(g, layer->inputs[2]);
		if (!*b || aimet_tensor_numel(*b) != layer_channels(layer, *w))
			return NULL;  /* e.g. a Gemm C that broadcasts: leave it */
	}
	return layer;
}

/* Fold y' = s[c] * y + t[c] (n channels) of the layer's output into its weight and bias, then
 * remove node `idx` (the BatchNormalization or constant Mul/Add/Sub/Div that computed y' from
 * its input `y_slot`).
 * The layer's recorded BN statistics follow: from a BN they are set (`bn_gamma`, the BN's
 * beta = t's mean-free part), from an affine step they are transformed. */
static int fold_into_layer(struct aimet_ctx *ctx, struct aimet_model *m, size_t idx, int y_slot,
                           struct aimet_node *layer, struct aimet_tensor *w, struct aimet_tensor *b,
                           const float *s, const float *t, size_t n, const float *bn_gamma,
                           const float *bn_beta)
{
	struct aimet_graph *g = m->graph;
	struct channel_map cm;
	struct aimet_tensor *nw;
	float *nb, *gam = NULL, *bet = NULL;
	size_t nm;
	int st;
	if (weight_channels(layer, w, n, &cm))
		return AIMET_OK;
	nw = aimet_tensor_clone(w);
	nb = malloc(n * sizeof(float));
	if (!nw || !nb) {
		aimet_tensor_free(nw);
		free(nb);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t c = 0; c < n; c++)
		nb[c] = t[c] + (b ? ((const float *)b->data)[c] : 0.0f) * s[c];
	{
		float *wd = nw->data;
		for (size_t o = 0; o < cm.outer; o++)
			for (size_t j = 0; j < cm.n_ch; j++) {
				float sc = s[channel_of(&cm, o, j)];
				float *row = wd + (o * cm.n_ch + j) * cm.inner;
				for (size_t i = 0; i < cm.inner; i++)
					row[i] *= sc;
			}
	}
	if ((st = aimet_graph_replace_weight(ctx, g, layer->inputs[1], nw)) ||
	    (st = aimet_layer_set_bias(ctx, g, layer, nb, n)))
		goto out;
	/* the layer now computes the removed node's output: its readers read the layer instead */
	if ((st = aimet_graph_remove_node(ctx, g, idx, y_slot)))
		goto out;
	if (bn_gamma) {
		st = aimet_bn_meta_set(ctx, m, layer->outputs[0], bn_gamma, bn_beta, n);
	} else if (!aimet_bn_meta_get(m, layer->outputs[0], &gam, &bet, &nm) && nm == n) {
		/* an affine step after a folded BN: the output is now N(s*beta + t, (s*gamma)^2) */
		for (size_t c = 0; c < n; c++) {
			bet[c] = s[c] * bet[c] + t[c];
			gam[c] = fabsf(s[c]) * gam[c];
		}
		st = aimet_bn_meta_set(ctx, m, layer->outputs[0], gam, bet, n);
	}
out:
	free(gam);
	free(bet);
	free(nb);
	return st;
}

static int fold_backward(struct aimet_ctx *ctx, struct aimet_model *m, size_t bn_idx, int *done)
{
	struct aimet_graph *g = m->graph;
	struct aimet_node *bn = g->nodes[bn_idx], *layer;
	struct aimet_tensor *w, *b;
	struct bn_params p;
	float *s, *t, *gam;
	int st = AIMET_OK;
	*done = 0;
	if (bn_get(g, bn, &p) || !(layer = foldable_layer(g, bn->inputs[0], &w, &b)) ||
	    layer_channels(layer, w) != (int64_t)p.n)
		return AIMET_OK;
	s = malloc(p.n * sizeof(float));
	t = malloc(p.n * sizeof(float));
	gam = malloc(p.n * sizeof(float));
	if (!s || !t || !gam) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t c = 0; c < p.n; c++) {
		s[c] = p.gamma[c] / sqrtf(p.var[c] + p.eps);
		t[c] = p.beta[c] - p.mean[c] * s[c];
		gam[c] = fabsf(p.gamma[c]);
	}
	/* the folded layer's output is distributed as the BN's was: N(beta, gamma^2) per channel
	 * (the BN's parameter tensors stay alive until remove_unused_weights at the end) */
	st = fold_into_layer(ctx, m, bn_idx, 0, layer, w, b, s, t, p.n, gam, p.beta);
	*done = !st && g->n_nodes && (bn_idx >= g->n_nodes || g->nodes[bn_idx] != bn);
out:
	free(s);
	free(t);
	free(gam);
	return st;
}

/* A Mul/Add/Sub/Div of a layer's output by a constant that varies at most along the channel
 * axis (exporters write learnable affine blocks and scaled activations this way) is folded
 * like a batch norm. */
static int fold_affine(struct aimet_ctx *ctx, struct aimet_model *m, size_t idx, int *done)
{
	struct aimet_graph *g = m->graph;
	struct aimet_node *n = g->nodes[idx], *layer = NULL;
	struct aimet_tensor *w, *b, *c = NULL;
	const char *op = n->op_type;
	int st, y_slot = 0;
	int64_t ch, cn, rank;
	float *s, *t;
	*done = 0;
	if (n->n_inputs != 2 || n->n_outputs != 1 || (n->domain && n->domain[0]))
		return AIMET_OK;
	for (int k = 0; k < 2 && !layer; k++) {
		/* Sub and Div fold only as y - c and y / c */
		if (k == 1 && (!strcmp(op, "Sub") || !strcmp(op, "Div")))
			break;
		if ((c = find_const(g, n->inputs[1 - k])) && (layer = foldable_layer(g, n->inputs[k], &w, &b)))
			y_slot = k;
	}
	if (!layer || c->dtype != AIMET_FLOAT || !c->data)
		return AIMET_OK;
	ch = layer_channels(layer, w);
	rank = !strcmp(layer->op_type, "Gemm") ? 2 : w->ndim;   /* the layer output's rank */
	cn = aimet_tensor_numel(c);
	if ((cn != 1 && cn != ch) || c->ndim > rank)
		return AIMET_OK;
	/* right-aligned, only the channel axis (1) may differ from 1 */
	for (int d = 0; d < c->ndim; d++)
		if (c->dims[d] != 1 && rank - c->ndim + d != 1)
			return AIMET_OK;
	s = malloc((size_t)ch * sizeof(float));
	t = malloc((size_t)ch * sizeof(float));
	if (!s || !t) {
		free(s);
		free(t);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (int64_t k = 0; k < ch; k++) {
		float v = ((const float *)c->data)[cn == 1 ? 0 : k];
		s[k] = 1.0f;
		t[k] = 0.0f;
		if (!strcmp(op, "Mul"))
			s[k] = v;
		else if (!strcmp(op, "Div"))
			s[k] = 1.0f / v;
		else if (!strcmp(op, "Add"))
			t[k] = v;
		else
			t[k] = -v;
	}
	st = fold_into_layer(ctx, m, idx, y_slot, layer, w, b, s, t, (size_t)ch, NULL, NULL);
	*done = !st && (idx >= g->n_nodes || g->nodes[idx] != n);
	free(s);
	free(t);
	return st;
}

/* BN -> Conv with no padding and group 1: scale the Conv's input channels, shift its bias. */
static int fold_forward(struct aimet_ctx *ctx, struct aimet_model *m, size_t bn_idx, int *done)
{
	struct aimet_graph *g = m->graph;
	struct aimet_node *bn = g->nodes[bn_idx], *conv;
	struct aimet_tensor *w, *b = NULL, *nw;
	struct bn_params p;
	size_t cidx, out_ch, in_ch, k;
	const int64_t *pads;
	float *nb;
	int np, st;
	*done = 0;
	if (bn_get(g, bn, &p) || aimet_graph_is_output(g, bn->outputs[0]) ||
	    aimet_graph_consumers(g, bn->outputs[0], &cidx, 1) != 1)
		return AIMET_OK;
	conv = g->nodes[cidx];
	if (strcmp(conv->op_type, "Conv") || (conv->domain && conv->domain[0]) || conv->n_inputs < 2 ||
	    strcmp(conv->inputs[0], bn->outputs[0]) || aimet_node_attr_int(conv, "group", 1) != 1)
		return AIMET_OK;
	np = aimet_node_attr_ints(conv, "pads", &pads);
	for (int i = 0; i < np; i++)
		if (pads[i])
			return AIMET_OK;
	{
		const char *ap = aimet_node_attr_str(conv, "auto_pad", "NOTSET");
		if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
			return AIMET_OK;
	}
	if (!(w = private_float_weight(g, conv->inputs[1])) || w->ndim < 3 || (size_t)w->dims[1] != p.n)
		return AIMET_OK;
	out_ch = (size_t)w->dims[0];
	in_ch = p.n;
	k = (size_t)aimet_tensor_numel(w) / (out_ch * in_ch);
	if (conv->n_inputs > 2 && conv->inputs[2][0]) {
		b = private_float_weight(g, conv->inputs[2]);
		if (!b || aimet_tensor_numel(b) != (int64_t)out_ch)
			return AIMET_OK;
	}
	nw = aimet_tensor_clone(w);
	nb = malloc(out_ch * sizeof(float));
	if (!nw || !nb) {
		aimet_tensor_free(nw);
		free(nb);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t o = 0; o < out_ch; o++) {
		double acc = b ? ((const float *)b->data)[o] : 0.0;
		for (size_t c = 0; c < in_ch; c++) {
			float s = p.gamma[c] / sqrtf(p.var[c] + p.eps), t = p.beta[c] - p.mean[c] * s;
			float *wk = (float *)nw->data + (o * in_ch + c) * k;
			for (size_t i = 0; i < k; i++) {
				acc += (double)wk[i] * t;
				wk[i] *= s;
			}
		}
		nb[o] = (float)acc;
	}
	st = aimet_graph_replace_weight(ctx, g, conv->inputs[1], nw);
	if (!st)
		st = aimet_layer_set_bias(ctx, g, conv, nb, out_ch);
	free(nb);
	if (!st)
		st = aimet_graph_remove_node(ctx, g, bn_idx, 0);
	*done = !st;
	return st;
}

int aimet_fold_batchnorms(struct aimet_ctx *ctx, struct aimet_model *m, int *n_folded)
{
	int count = 0, st = AIMET_OK;
	struct aimet_graph *g = m->graph;
	for (size_t i = 0; i < g->n_nodes && !st;) {
		struct aimet_node *n = g->nodes[i];
		int done = 0;
		if (!strcmp(n->op_type, "BatchNormalization") && !(n->domain && n->domain[0])) {
			st = fold_backward(ctx, m, i, &done);
			if (!st && !done)
				st = fold_forward(ctx, m, i, &done);
		} else if (!strcmp(n->op_type, "Mul") || !strcmp(n->op_type, "Add") ||
		           !strcmp(n->op_type, "Sub") || !strcmp(n->op_type, "Div")) {
			st = fold_affine(ctx, m, i, &done);
		}
		if (done)
			count++;  /* node i was removed: the next node now sits at i */
		else
			i++;
	}
	if (!st)
		aimet_graph_remove_unused_weights(g);
	if (n_folded)
		*n_folded = count;
	return st;
}

/* ---- folded statistics in the metadata ---- */
static struct aimet_kv *meta_find(const struct aimet_model *m, const char *key)
{
	for (size_t i = 0; i < m->n_metadata; i++)
		if (m->metadata[i].key && !strcmp(m->metadata[i].key, key))
			return &m->metadata[i];
	return NULL;
}

int aimet_bn_meta_set(struct aimet_ctx *ctx, struct aimet_model *m, const char *tensor,
                      const float *gamma, const float *beta, size_t n)
{
	json_t *o = json_object(), *ga = json_array(), *ba = json_array();
	char *key = NULL, *val = NULL;
	struct aimet_kv *kv;
	int st = AIMET_ERR_NOMEM;
	if (!o || !ga || !ba)
		goto out;
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(ga, json_real(gamma[i]));
		json_array_append_new(ba, json_real(beta[i]));
	}
	json_object_set(o, "gamma", ga);
	json_object_set(o, "beta", ba);
	val = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	key = malloc(strlen(AIMET_BN_META_PREFIX) + strlen(tensor) + 1);
	if (!val || !key)
		goto out;
	strcpy(key, AIMET_BN_META_PREFIX);
	strcat(key, tensor);
	if ((kv = meta_find(m, key))) {
		free(kv->value);
		kv->value = val;
		val = NULL;
	} else {
		if (aimet_grow((void **)&m->metadata, &(size_t){m->n_metadata}, m->n_metadata + 1, sizeof(*m->metadata)))
			goto out;
		m->metadata[m->n_metadata].key = key;
		m->metadata[m->n_metadata].value = val;
		m->n_metadata++;
		key = val = NULL;
	}
	st = AIMET_OK;
out:
	json_decref(o);
	json_decref(ga);
	json_decref(ba);
	free(key);
	free(val);
	return st ? aimet_error(ctx, st, "out of memory") : AIMET_OK;
}

int aimet_bn_meta_get(const struct aimet_model *m, const char *tensor, float **gamma,
                      float **beta, size_t *n)
{
	char key[1024];
	struct aimet_kv *kv;
	json_t *o, *ga, *ba;
	size_t len;
	snprintf(key, sizeof(key), "%s%s", AIMET_BN_META_PREFIX, tensor);
	if (!(kv = meta_find(m, key)) || !kv->value || !(o = json_loads(kv->value, 0, NULL)))
		return -1;
	ga = json_object_get(o, "gamma");
	ba = json_object_get(o, "beta");
	len = json_array_size(ga);
	if (!len || len != json_array_size(ba)) {
		json_decref(o);
		return -1;
	}
	*gamma = malloc(len * sizeof(float));
	*beta = malloc(len * sizeof(float));
	if (!*gamma || !*beta) {
		free(*gamma);
		free(*beta);
		json_decref(o);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		(*gamma)[i] = (float)json_number_value(json_array_get(ga, i));
		(*beta)[i] = (float)json_number_value(json_array_get(ba, i));
	}
	*n = len;
	json_decref(o);
	return 0;
}
