/* cle.c: cross-layer equalization (Nagel et al. 2019; FORMATS.md section 5) — ReLU6 -> ReLU,
 * cross-layer scaling of Conv/ConvTranspose/Gemm chains, and high-bias absorption. */
#include "aimet_ptq.h"
#include "aimet_ir.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ACT_NONE = 0, ACT_RELU, ACT_PRELU, ACT_RELU6 };
enum { K_CONV = AIMET_WL_CONV, K_CONVT = AIMET_WL_CONVT, K_GEMM = AIMET_WL_GEMM };

/* A layer whose weight we may rescale: W viewed as [dim0, dim1, inner]. */
struct layer {
	struct aimet_node *node;
	struct aimet_tensor *w, *b;
	int kind, tb;
	size_t n_out, n_in, groups, dim0, dim1, inner;
	int next, prev;            /* chain links (layer indices), -1 when none */
	struct aimet_node *act;    /* activation between this layer and `next`, or NULL */
	struct aimet_node *act2;   /* a second one (Relu then Clip), or NULL */
	int act_kind;
	double *oscale;            /* accumulated divisor of each output channel */
};

struct cle_state {
	struct aimet_ctx *ctx;
	struct aimet_model *m;
	struct aimet_cle_report *rep;
	struct layer *L; size_t n_l;
	int exact_only;            /* --keep-relu6: only function-preserving edits */
};

void aimet_cle_opts_init(struct aimet_cle_opts *o)
{
	memset(o, 0, sizeof(*o));
}


/* One skipped layer into this pass's report. */
#define add_skip(state, layer, ...) \
	aimet_skip_add((state)->ctx, &(state)->rep->skips, &(state)->rep->n_skips, layer, __VA_ARGS__)

/* The shared channel map (aimet_wlayout_chan) on this file's layer record. */
static void chan(const struct layer *l, size_t a, size_t j, size_t *oc, size_t *ic)
{
	struct aimet_wlayout v = {l->kind, l->tb, l->n_out, l->n_in, l->groups, l->dim1};
	aimet_wlayout_chan(&v, a, j, oc, ic);
}

/* max |W| per output channel (out) and per input channel (in); either may be NULL. */
static void ranges(const struct layer *l, double *out, double *in)
{
	const float *w = l->w->data;
	if (out)
		for (size_t i = 0; i < l->n_out; i++)
			out[i] = 0;
	if (in)
		for (size_t i = 0; i < l->n_in; i++)
			in[i] = 0;
	for (size_t a = 0; a < l->dim0; a++)
		for (size_t j = 0; j < l->dim1; j++) {
			size_t oc, ic;
			const float *p = w + (a * l->dim1 + j) * l->inner;
			double mx = 0;
			chan(l, a, j, &oc, &ic);
			for (size_t k = 0; k < l->inner; k++)
				if (fabs(p[k]) > mx)
					mx = fabs(p[k]);
			if (out && mx > out[oc])
				out[oc] = mx;
			if (in && mx > in[ic])
				in[ic] = mx;
		}
}

/* Divide output channel c by dout[c] (weights and bias) and/or multiply input channel c by
 * min[c]; either may be NULL. */
static void rescale(struct layer *l, const double *dout, const double *min)
{
	float *w = l->w->data;
	for (size_t a = 0; a < l->dim0; a++)
		for (size_t j = 0; j < l->dim1; j++) {
			size_t oc, ic;
			float *p = w + (a * l->dim1 + j) * l->inner;
			double f = 1;
			chan(l, a, j, &oc, &ic);
			if (dout)
				f /= dout[oc];
			if (min)
				f *= min[ic];
			for (size_t k = 0; k < l->inner; k++)
				p[k] = (float)(p[k] * f);
		}
	if (dout) {
		if (l->b) {
			float *b = l->b->data;
			for (size_t c = 0; c < l->n_out; c++)
				b[c] = (float)(b[c] / dout[c]);
		}
		for (size_t c = 0; c < l->n_out; c++)
			l->oscale[c] *= dout[c];
	}
}

/* A float weight read only by this node (and not a graph output), or NULL. */
static struct aimet_tensor *private_weight(struct cle_state *s, const char *name)
{
	struct aimet_graph *g = s->m->graph;
	struct aimet_tensor *t;
	if (!name || !name[0])
		return NULL;
	t = aimet_graph_find_weight(g, name, NULL);
	if (!t || t->dtype != AIMET_FLOAT || !t->data || aimet_graph_consumers(g, name, NULL, 0) != 1 ||
	    aimet_graph_is_output(g, name))
		return NULL;
	if (t->borrowed) {   /* we edit in place: make the data ours first */
		struct aimet_tensor *c = aimet_tensor_clone(t);
		if (!c || aimet_graph_replace_weight(s->ctx, g, name, c))
			return NULL;
		t = aimet_graph_find_weight(g, name, NULL);
	}
	return t;
}

/* Fill `l` for node n when it is a layer we can rescale; 0 if so, -1 if not (why in *why). */
static int make_layer(struct cle_state *s, struct aimet_node *n, struct layer *l, const char **why)
{
	int64_t g;
	struct aimet_tensor *w;
	size_t numel;
	memset(l, 0, sizeof(*l));
	l->node = n;
	l->next = l->prev = -1;
	*why = NULL;
	if (!strcmp(n->op_type, "Conv"))
		l->kind = K_CONV;
	else if (!strcmp(n->op_type, "ConvTranspose"))
		l->kind = K_CONVT;
	else if (!strcmp(n->op_type, "Gemm"))
		l->kind = K_GEMM;
	else
		return -1;
	if ((n->domain && n->domain[0]) || n->n_inputs < 2 || n->n_outputs != 1)
		return -1;
	if (!(w = private_weight(s, n->inputs[1]))) {
		*why = "weight is not a constant float tensor read by this layer alone";
		return -1;
	}
	numel = (size_t)aimet_tensor_numel(w);
	g = aimet_node_attr_int(n, "group", 1);
	if (l->kind == K_GEMM) {
		if (w->ndim != 2 || aimet_node_attr_float(n, "alpha", 1) != 1 ||
		    aimet_node_attr_float(n, "beta", 1) != 1 || aimet_node_attr_int(n, "transA", 0)) {
			*why = "Gemm with alpha, beta or transA";
			return -1;
		}
		l->tb = aimet_node_attr_int(n, "transB", 0) != 0;
		l->groups = 1;
		l->dim0 = (size_t)w->dims[0], l->dim1 = (size_t)w->dims[1], l->inner = 1;
		l->n_out = l->tb ? l->dim0 : l->dim1;
		l->n_in = l->tb ? l->dim1 : l->dim0;
	} else {
		if (w->ndim < 3 || g < 1 || w->dims[0] <= 0 || w->dims[1] <= 0 || w->dims[0] % g) {
			*why = "weight shape does not fit the op";
			return -1;
		}
		l->groups = (size_t)g;
		l->dim0 = (size_t)w->dims[0], l->dim1 = (size_t)w->dims[1];
		l->inner = numel / (l->dim0 * l->dim1);
		if (l->kind == K_CONV)
			l->n_out = l->dim0, l->n_in = l->dim1 * l->groups;
		else
			l->n_in = l->dim0, l->n_out = l->dim1 * l->groups;
	}
	if (!numel || !l->inner) {
		*why = "empty weight";
		return -1;
	}
	l->w = w;
	if (n->n_inputs > 2 && n->inputs[2][0]) {
		l->b = private_weight(s, n->inputs[2]);
		if (!l->b || aimet_tensor_numel(l->b) != (int64_t)l->n_out) {
			*why = "bias is not a constant per-channel vector read by this layer alone";
			return -1;
		}
	}
	return 0;
}

static int layer_of(const struct cle_state *s, const struct aimet_node *n)
{
	for (size_t i = 0; i < s->n_l; i++)
		if (s->L[i].node == n)
			return (int)i;
	return -1;
}

/* Clip bounds (attributes before opset 11, constant inputs after); -1 when not constant. */
static int clip_bounds(const struct aimet_graph *g, const struct aimet_node *n, double *lo, double *hi)
{
	*lo = aimet_node_attr_float(n, "min", -FLT_MAX);
	*hi = aimet_node_attr_float(n, "max", FLT_MAX);
	for (int i = 1; i < n->n_inputs && i < 3; i++) {
		const struct aimet_tensor *t;
		if (!n->inputs[i][0])
			continue;
		t = aimet_graph_find_weight(g, n->inputs[i], NULL);
		if (!t || aimet_tensor_numel(t) != 1 ||
		    (t->dtype != AIMET_FLOAT && t->dtype != AIMET_DOUBLE && t->dtype != AIMET_FLOAT16))
			return -1;
		if (i == 1)
			*lo = aimet_tensor_get_f64(t, 0);
		else
			*hi = aimet_tensor_get_f64(t, 0);
	}
	return 0;
}

/* The single node reading `name` (and not a graph output), or NULL with the reason. */
static struct aimet_node *only_consumer(const struct aimet_graph *g, const char *name, char *why,
                                        size_t why_len)
{
	size_t idx, n;
	if (aimet_graph_is_output(g, name)) {
		snprintf(why, why_len, "output '%s' is a graph output", name);
		return NULL;
	}
	n = aimet_graph_consumers(g, name, &idx, 1);
	if (n != 1) {
		snprintf(why, why_len, "output '%s' is read by %zu nodes", name, n);
		return NULL;
	}
	return g->nodes[idx];
}

/* Find the layer following layer i (through at most one activation). */
static int link_next(struct cle_state *s, size_t i, const struct aimet_cle_opts *o)
{
	struct aimet_graph *g = s->m->graph;
	struct layer *l = &s->L[i];
	struct aimet_node *c, *act = NULL, *act2 = NULL;
	char why[400];
	int kind = ACT_NONE, j;
	const char *x = l->node->outputs[0], *in = x;
	if (!(c = only_consumer(g, x, why, sizeof(why))))
		return add_skip(s, l->node, "%s", why);
	/* up to two activations: exporters write ReLU6 as Relu followed by Clip(0, 6) */
	for (int step = 0; step < 2; step++) {
		int k;
		if (strcmp(c->op_type, "Relu") && strcmp(c->op_type, "PRelu") && strcmp(c->op_type, "Clip"))
			break;
		if (c->domain && c->domain[0])
			return add_skip(s, l->node, "followed by %s of domain '%s'", c->op_type, c->domain);
		if (strcmp(c->inputs[0], in) || c->n_outputs != 1)
			return add_skip(s, l->node, "followed by %s '%s' that it does not feed as input 0",
			                c->op_type, aimet_node_label(c));
		k = !strcmp(c->op_type, "Relu") ? ACT_RELU : !strcmp(c->op_type, "PRelu") ? ACT_PRELU : -1;
		if (k < 0) {
			double lo, hi;
			if (clip_bounds(g, c, &lo, &hi))
				return add_skip(s, l->node, "followed by Clip '%s' with bounds that are not constant",
				                aimet_node_label(c));
			if (lo == 0 && hi >= FLT_MAX)
				k = ACT_RELU;
			else if (lo == 0 && hi == 6)
				k = ACT_RELU6;
			else
				return add_skip(s, l->node, "followed by Clip(%g, %g): scaling does not commute with it",
				                lo, hi);
		}
		if (step == 0) {
			kind = k;
			act = c;
		} else {
			if (kind == ACT_PRELU || k == ACT_PRELU)
				return add_skip(s, l->node, "PRelu combined with another activation");
			kind = kind == ACT_RELU6 || k == ACT_RELU6 ? ACT_RELU6 : ACT_RELU;
			act2 = c;
		}
		in = c->outputs[0];
		if (!(c = only_consumer(g, in, why, sizeof(why))))
			return add_skip(s, l->node, "%s", why);
	}
	if ((j = layer_of(s, c)) < 0) {
		if (!strcmp(c->op_type, "Conv") || !strcmp(c->op_type, "ConvTranspose") || !strcmp(c->op_type, "Gemm"))
			return add_skip(s, l->node, "next layer '%s' cannot be rescaled", aimet_node_label(c));
		return add_skip(s, l->node, "feeds %s '%s', not a layer", c->op_type, aimet_node_label(c));
	}
	if (strcmp(c->inputs[0], in))
		return add_skip(s, l->node, "feeds '%s' as its weight, not its input", aimet_node_label(c));
	if (s->L[j].n_in != l->n_out)
		return add_skip(s, l->node, "channel count differs from the input of '%s'", aimet_node_label(c));
	if (kind == ACT_RELU6 && o->keep_relu6)
		return add_skip(s, l->node, "ReLU6 before '%s' kept (--keep-relu6): scaling would change the function",
		                aimet_node_label(c));
	l->next = j;
	l->act = act;
	l->act2 = act2;
	l->act_kind = kind;
	s->L[j].prev = (int)i;
	return AIMET_OK;
}

/* Clip(0,6) -> Relu in place. */
static int clip_to_relu(struct aimet_node *n)
{
	char *op = aimet_strdup("Relu");
	if (!op)
		return AIMET_ERR_NOMEM;
	free(n->op_type);
	n->op_type = op;
	aimet_node_remove_attr(n, "min");
	aimet_node_remove_attr(n, "max");
	for (int i = 1; i < n->n_inputs; i++)
		free(n->inputs[i]);
	n->n_inputs = 1;
	return AIMET_OK;
}

/* Make the activation(s) of l a single Relu: a lone Clip(0,6) becomes Relu; of a pair, the
 * Clip goes and the Relu stays. */
static int relu6_to_relu(struct aimet_ctx *ctx, struct aimet_graph *g, struct layer *l)
{
	struct aimet_node *clip = l->act2 && !strcmp(l->act2->op_type, "Clip") ? l->act2 :
	                          !strcmp(l->act->op_type, "Clip") ? l->act : NULL;
	struct aimet_node *other = clip == l->act ? l->act2 : l->act;
	if (!clip)
		return AIMET_OK;
	if (!other)
		return clip_to_relu(clip) ? aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory") : AIMET_OK;
	for (size_t k = 0; k < g->n_nodes; k++)
		if (g->nodes[k] == clip) {
			int st = aimet_graph_remove_node(ctx, g, k, 0);
			if (st)
				return st;
			l->act = other;
			l->act2 = NULL;
			if (!strcmp(other->op_type, "Clip") && clip_to_relu(other))
				return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			return AIMET_OK;
		}
	return aimet_error(ctx, AIMET_ERR_INVALID, "activation node vanished");
}

static int is_depthwise(const struct layer *l)
{
	return l->kind == K_CONV && l->groups > 1 && l->groups == l->n_in && l->n_out == l->n_in;
}

/* Sets in progress: layer indices and the accumulated scale range. */
struct set {
	int ly[3], n;
	double smin, smax;
	int relu6;
};

/* One scaling step of a set; returns max |log s| applied. */
static double scale_set(struct cle_state *s, struct set *st, double *r1, double *r2, double *r3,
                        double *s12, double *s23)
{
	double worst = 0;
	struct layer *a = &s->L[st->ly[0]], *b = &s->L[st->ly[1]];
	size_t n = a->n_out;
	if (st->n == 2) {
		ranges(a, r1, NULL);
		ranges(b, NULL, r2);
		for (size_t i = 0; i < n; i++) {
			double p = r1[i] * r2[i];
			s12[i] = p > 0 && isfinite(p) ? sqrt(r1[i] / r2[i]) : 1.0;
			if (!(s12[i] > 0) || !isfinite(s12[i]))
				s12[i] = 1.0;
			if (fabs(log(s12[i])) > worst)
				worst = fabs(log(s12[i]));
		}
		rescale(a, s12, NULL);
		rescale(b, NULL, s12);
	} else {
		struct layer *c = &s->L[st->ly[2]];
		ranges(a, r1, NULL);
		ranges(b, r2, NULL);
		ranges(c, NULL, r3);
		for (size_t i = 0; i < n; i++) {
			double p = r1[i] * r2[i] * r3[i];
			if (p > 0 && isfinite(p)) {
				double cb = cbrt(p);
				s12[i] = r1[i] / cb;
				s23[i] = cb / r3[i];
			} else {
				s12[i] = s23[i] = 1.0;
			}
			if (!(s12[i] > 0) || !isfinite(s12[i]) || !(s23[i] > 0) || !isfinite(s23[i]))
				s12[i] = s23[i] = 1.0;
			if (fabs(log(s12[i])) > worst)
				worst = fabs(log(s12[i]));
			if (fabs(log(s23[i])) > worst)
				worst = fabs(log(s23[i]));
		}
		rescale(a, s12, NULL);
		rescale(b, s23, s12);
		rescale(c, NULL, s23);
	}
	return worst;
}

static int conv_unpadded(const struct aimet_node *n)
{
	const int64_t *pads;
	int np = aimet_node_attr_ints(n, "pads", &pads);
	const char *ap = aimet_node_attr_str(n, "auto_pad", "NOTSET");
	for (int i = 0; i < np; i++)
		if (pads[i])
			return 0;
	return !strcmp(ap, "NOTSET") || !strcmp(ap, "VALID");
}

/* Give layer l a zero bias when it has none. */
static int ensure_bias(struct cle_state *s, struct layer *l)
{
	int st;
	if (l->b)
		return AIMET_OK;
	if ((st = aimet_layer_set_bias(s->ctx, s->m->graph, l->node, NULL, l->n_out)))
		return st;
	l->b = aimet_graph_find_weight(s->m->graph, l->node->inputs[2], NULL);
	return AIMET_OK;
}

/* b1 -= c, b2 += sum_spatial(W2) . c, and the recorded beta follows b1. */
static int apply_absorb(struct cle_state *s, struct layer *a, struct layer *b, const double *c,
                        float *beta, const float *gamma, size_t n)
{
	float *ba = a->b->data, *bb = b->b->data;
	const float *w = b->w->data;
	double *acc = calloc(b->n_out, sizeof(double));
	if (!acc)
		return aimet_error(s->ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		ba[i] = (float)(ba[i] - c[i]);
		beta[i] = (float)(beta[i] - c[i]);
	}
	for (size_t x = 0; x < b->dim0; x++)
		for (size_t j = 0; j < b->dim1; j++) {
			size_t oc, ic;
			const float *p = w + (x * b->dim1 + j) * b->inner;
			chan(b, x, j, &oc, &ic);
			for (size_t k = 0; k < b->inner; k++)
				acc[oc] += (double)p[k] * c[ic];
		}
	for (size_t o = 0; o < b->n_out; o++)
		bb[o] = (float)(bb[o] + acc[o]);
	free(acc);
	return aimet_bn_meta_set(s->ctx, s->m, a->node->outputs[0], gamma, beta, n);
}

/* High-bias absorption over the link a -> b: returns how much was absorbed in *sum, *count. */
static int absorb(struct cle_state *s, struct layer *a, struct layer *b, double *sum, int *count)
{
	float *gamma = NULL, *beta = NULL;
	size_t n;
	double *c;
	int st = AIMET_OK, cnt = 0;
	if (aimet_bn_meta_get(s->m, a->node->outputs[0], &gamma, &beta, &n))
		return AIMET_OK;   /* no folded BN: nothing known about the distribution */
	if (n != a->n_out || !a->b) {
		free(gamma);
		free(beta);
		return AIMET_OK;
	}
	if (!(c = calloc(n, sizeof(double)))) {
		st = aimet_error(s->ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		c[i] = a->act_kind == ACT_NONE ? beta[i] : fmax(0.0, (double)beta[i] - 3.0 * fabs(gamma[i]));
		if (!isfinite(c[i]))
			c[i] = 0;
		cnt += c[i] != 0;
	}
	if (!cnt) {
		free(c);
		goto out;
	}
	if (a->act_kind == ACT_PRELU) {
		st = add_skip(s, a->node, "high-bias absorption skipped: PRelu before '%s'", aimet_node_label(b->node));
	} else if (s->exact_only && a->act_kind != ACT_NONE) {
		/* through Relu the absorption only holds where x >= c: not exact */
		st = add_skip(s, a->node, "high-bias absorption through Relu skipped (--keep-relu6 keeps the function)");
	} else if (b->kind == K_CONVT || (b->kind == K_CONV && !conv_unpadded(b->node))) {
		/* the padding of b would see 0 where the shifted input should be -c */
		st = add_skip(s, a->node, "high-bias absorption skipped: '%s' pads its input or is a ConvTranspose",
		              aimet_node_label(b->node));
	} else {
		for (size_t i = 0; i < n; i++)
			*sum += c[i];
		*count += cnt;
		st = ensure_bias(s, b);
		if (!st)
			st = apply_absorb(s, a, b, c, beta, gamma, n);
	}
	free(c);
out:
	free(gamma);
	free(beta);
	return st;
}

static int add_set(struct cle_state *s, struct set *st)
{
	struct aimet_cle_report *r = s->rep;
	struct aimet_cle_set *x = aimet_realloc_array(r->sets, r->n_sets + 1, sizeof(*x));
	if (!x)
		return aimet_error(s->ctx, AIMET_ERR_NOMEM, "out of memory");
	r->sets = x;
	x = &r->sets[r->n_sets];
	memset(x, 0, sizeof(*x));
	r->n_sets++;
	x->n_layers = st->n;
	for (int i = 0; i < st->n; i++)
		if (!(x->layers[i] = aimet_strdup(aimet_node_label(s->L[st->ly[i]].node))))
			return aimet_error(s->ctx, AIMET_ERR_NOMEM, "out of memory");
	x->scale_min = st->smin;
	x->scale_max = st->smax;
	x->relu6_replaced = st->relu6;
	return AIMET_OK;
}

int aimet_cle(struct aimet_ctx *ctx, struct aimet_model *m, const struct aimet_cle_opts *opts,
              struct aimet_cle_report **report)
{
	struct aimet_cle_opts o;
	struct cle_state s;
	struct set *sets = NULL;
	size_t n_sets = 0, maxc = 1;
	double *r1 = NULL, *r2 = NULL, *r3 = NULL, *s12 = NULL, *s23 = NULL, **acc = NULL;
	int st, replaced = 0;
	if (opts)
		o = *opts;
	else
		aimet_cle_opts_init(&o);
	if (o.max_rounds <= 0)
		o.max_rounds = 20;
	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.m = m;
	s.exact_only = o.keep_relu6;
	if (report)
		*report = NULL;
	if (!(s.rep = calloc(1, sizeof(*s.rep))))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if (!m->graph) {
		st = aimet_error(ctx, AIMET_ERR_INVALID, "model has no graph");
		goto out;
	}
	if ((st = aimet_fold_batchnorms(ctx, m, &s.rep->n_bn_folded)))
		goto out;
	if ((st = aimet_graph_toposort(ctx, m->graph)))
		goto out;
	if (!(s.L = aimet_calloc(m->graph->n_nodes + 1, sizeof(*s.L)))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < m->graph->n_nodes; i++) {
		const char *why;
		struct aimet_node *n = m->graph->nodes[i];
		if (!make_layer(&s, n, &s.L[s.n_l], &why)) {
			if (s.L[s.n_l].n_out > maxc)
				maxc = s.L[s.n_l].n_out;
			if (s.L[s.n_l].n_in > maxc)
				maxc = s.L[s.n_l].n_in;
			s.n_l++;
		} else if (why && (st = add_skip(&s, n, "%s", why))) {
			goto out;
		}
	}
	for (size_t i = 0; i < s.n_l; i++)
		if ((st = link_next(&s, i, &o)))
			goto out;
	for (size_t i = 0; i < s.n_l; i++) {
		if (!(s.L[i].oscale = malloc(s.L[i].n_out * sizeof(double)))) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t c = 0; c < s.L[i].n_out; c++)
			s.L[i].oscale[c] = 1;
	}
	/* chains -> sets: a depthwise layer in the middle makes a triple, otherwise pairs */
	if (!(sets = aimet_calloc(s.n_l + 1, sizeof(*sets)))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s.n_l; i++) {
		int cur = (int)i;
		if (s.L[i].prev >= 0 || s.L[i].next < 0)
			continue;
		while (s.L[cur].next >= 0) {
			int nx = s.L[cur].next;
			struct set *x = &sets[n_sets++];
			x->ly[0] = cur;
			x->ly[1] = nx;
			x->n = 2;
			if (is_depthwise(&s.L[nx]) && s.L[nx].next >= 0) {
				x->ly[2] = s.L[nx].next;
				x->n = 3;
			}
			x->smin = x->smax = 1;
			for (int k = 0; k + 1 < x->n; k++) {
				struct layer *l = &s.L[x->ly[k]];
				if (l->act_kind == ACT_RELU6) {
					if ((st = relu6_to_relu(ctx, m->graph, l)))
						goto out;
					l->act_kind = ACT_RELU;
					x->relu6 = 1;
					replaced = 1;
					s.rep->n_relu6_replaced++;
				}
			}
			cur = x->ly[x->n - 1];
		}
	}
	r1 = malloc(maxc * sizeof(double));
	r2 = malloc(maxc * sizeof(double));
	r3 = malloc(maxc * sizeof(double));
	s12 = malloc(maxc * sizeof(double));
	s23 = malloc(maxc * sizeof(double));
	acc = aimet_calloc(n_sets + 1, sizeof(double *));
	if (!r1 || !r2 || !r3 || !s12 || !s23 || !acc) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n_sets; k++) {
		size_t n = s.L[sets[k].ly[0]].n_out;
		if (!(acc[k] = malloc(2 * n * sizeof(double)))) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t c = 0; c < 2 * n; c++)
			acc[k][c] = 1;
	}
	/* scaling a pair changes the ranges its neighbours saw: repeat until nothing moves */
	for (int round = 0; round < o.max_rounds && n_sets; round++) {
		double worst = 0;
		for (size_t k = 0; k < n_sets; k++) {
			size_t n = s.L[sets[k].ly[0]].n_out;
			double w = scale_set(&s, &sets[k], r1, r2, r3, s12, s23);
			if (w > worst)
				worst = w;
			for (size_t c = 0; c < n; c++) {
				acc[k][c] *= s12[c];
				if (sets[k].n == 3)
					acc[k][n + c] *= s23[c];
			}
		}
		s.rep->rounds = round + 1;
		if (worst < 1e-4)
			break;
		if ((st = aimet_check_interrupt(ctx)))
			goto out;
	}
	for (size_t k = 0; k < n_sets; k++) {
		size_t n = s.L[sets[k].ly[0]].n_out;
		sets[k].smin = HUGE_VAL;
		sets[k].smax = 0;
		for (size_t c = 0; c < (sets[k].n == 3 ? 2 * n : n); c++) {
			sets[k].smin = fmin(sets[k].smin, acc[k][c]);
			sets[k].smax = fmax(sets[k].smax, acc[k][c]);
		}
	}
	/* the folded BN statistics follow the layer outputs they describe */
	for (size_t i = 0; i < s.n_l; i++) {
		float *gamma, *beta;
		size_t n;
		int moved = 0;
		for (size_t c = 0; c < s.L[i].n_out; c++)
			moved |= s.L[i].oscale[c] != 1;
		if (!moved || aimet_bn_meta_get(m, s.L[i].node->outputs[0], &gamma, &beta, &n))
			continue;
		if (n == s.L[i].n_out) {
			for (size_t c = 0; c < n; c++) {
				gamma[c] = (float)(gamma[c] / s.L[i].oscale[c]);
				beta[c] = (float)(beta[c] / s.L[i].oscale[c]);
			}
			st = aimet_bn_meta_set(ctx, m, s.L[i].node->outputs[0], gamma, beta, n);
		}
		free(gamma);
		free(beta);
		if (st)
			goto out;
	}
	for (size_t k = 0; k < n_sets; k++) {
		if ((st = add_set(&s, &sets[k])))
			goto out;
		if (o.no_high_bias_fold)
			continue;
		for (int j = 0; j + 1 < sets[k].n; j++) {
			struct aimet_cle_set *x = &s.rep->sets[s.rep->n_sets - 1];
			if ((st = absorb(&s, &s.L[sets[k].ly[j]], &s.L[sets[k].ly[j + 1]], &x->bias_absorbed,
			                 &x->n_absorbed)))
				goto out;
		}
	}
	if (replaced)
		aimet_graph_remove_unused_weights(m->graph);
out:
	for (size_t i = 0; i < s.n_l; i++)
		free(s.L[i].oscale);
	if (acc)
		for (size_t k = 0; k < n_sets; k++)
			free(acc[k]);
	free(acc);
	free(s.L);
	free(sets);
	free(r1);
	free(r2);
	free(r3);
	free(s12);
	free(s23);
	if (!st && report)
		*report = s.rep;
	else
		aimet_cle_report_free(s.rep);
	return st;
}

void aimet_cle_report_free(struct aimet_cle_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_sets; i++)
		for (int j = 0; j < 3; j++)
			free(r->sets[i].layers[j]);
	aimet_skips_free(r->skips, r->n_skips);
	free(r->sets);
	free(r);
}
