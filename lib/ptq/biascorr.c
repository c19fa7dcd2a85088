/* biascorr.c: bias correction (FORMATS.md section 5) — empirical, from the quantized-minus-FP32
 * mean pre-activation output per channel, and analytical, from the folded BN statistics. */
#include "aimet_ptq.h"
#include "aimet_ir.h"
#include "aimet_exec.h"
#include "aimet_io.h"
#include "aimet_qsim.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_CONV = AIMET_WL_CONV, K_CONVT = AIMET_WL_CONVT, K_GEMM = AIMET_WL_GEMM, K_MATMUL };
enum { ACT_NONE = 0, ACT_RELU, ACT_RELU6, ACT_OTHER };

struct bl {
	struct aimet_node *node;
	struct aimet_node *cap;       /* node whose first output is the pre-activation output: the
	                               * layer, or the Add that carries a MatMul's bias */
	int kind, tb;
	int chlast;                   /* channels on the last axis (MatMul) instead of axis 1 */
	const char *wname, *bname, *out;
	size_t n_out, n_in, groups, dim0, dim1, inner;  /* W as [dim0, dim1, inner] */
	struct aimet_tensor *bias;    /* current corrected value (owned) */
	int analytical;               /* corrected analytically */
	double *sum_fp, *sum_q;       /* per-channel sums of the captured output */
	double cnt_fp, cnt_q;         /* elements per channel seen */
	double before, after, h_before, h_after;
	double w_before, w_after;     /* the shift of this layer's own weight quantization alone */
	int has_w;
	int capture;                  /* capture in the running pass */
};

struct bc {
	struct aimet_ctx *ctx;
	struct aimet_model *m;
	struct aimet_qsim *sim;
	struct aimet_plan *plan;
	struct bl *L; size_t n_l;
	int quant;                    /* the hook quantizes the model inputs */
	int into_q;                   /* captures go to sum_q (else sum_fp) */
	int scheme; double percentile;
	int heldout_done;
	int measured;                 /* shifts measured on data (not only predicted) */
	struct aimet_bc_report *rep;
	struct aimet_value_shape *shapes; size_t n_shapes;   /* for the analytical border terms */
};


/* One skipped layer into this pass's report. */
#define add_skip(state, layer, ...) \
	aimet_skip_add((state)->ctx, &(state)->rep->skips, &(state)->rep->n_skips, layer, __VA_ARGS__)


/* The shared channel map (aimet_wlayout_chan) on this file's layer record. */
static void chan(const struct bl *l, size_t a, size_t j, size_t *oc, size_t *ic)
{
	struct aimet_wlayout v = {l->kind == K_MATMUL ? AIMET_WL_GEMM : l->kind, l->tb, l->n_out, l->n_in,
	                          l->groups, l->dim1};
	aimet_wlayout_chan(&v, a, j, oc, ic);
}

/* Give the layer a zero bias (called when it has none). */
static int ensure_bias(struct bc *b, struct bl *l)
{
	return aimet_layer_set_bias(b->ctx, b->m->graph, l->node, NULL, l->n_out);
}

/* A MatMul's bias: the constant [C] of an Add that alone reads the product, else a zero one in
 * an Add inserted after it. l->cap, l->bname and l->out then name that Add. */
static int matmul_bias(struct bc *b, struct bl *l)
{
	struct aimet_graph *g = b->m->graph;
	const char *y = l->node->outputs[0];
	const char *ins[2];
	struct aimet_tensor *z;
	struct aimet_node *a;
	char *bn, *on, base[300];
	size_t idx;
	int st;
	if (aimet_graph_consumers(g, y, &idx, 1) == 1 && !aimet_graph_is_output(g, y)) {
		a = g->nodes[idx];
		if (!strcmp(a->op_type, "Add") && !(a->domain && a->domain[0]) && a->n_inputs == 2 &&
		    a->n_outputs == 1 && strcmp(a->inputs[0], a->inputs[1])) {
			int k = !strcmp(a->inputs[0], y);
			const struct aimet_tensor *t = aimet_graph_find_weight(g, a->inputs[k], NULL);
			if (t && t->dtype == AIMET_FLOAT && t->data && t->ndim >= 1 &&
			    aimet_tensor_numel(t) == (int64_t)l->n_out && t->dims[t->ndim - 1] == (int64_t)l->n_out &&
			    aimet_graph_consumers(g, a->inputs[k], NULL, 0) == 1 && !aimet_graph_is_output(g, a->inputs[k])) {
				l->cap = a, l->bname = a->inputs[k], l->out = a->outputs[0];
				return AIMET_OK;
			}
		}
	}
	snprintf(base, sizeof(base), "%.280s.bias", aimet_node_label(l->node));
	bn = aimet_graph_unique_name(g, base);
	snprintf(base, sizeof(base), "%.280s_biased", y);
	on = aimet_graph_unique_name(g, base);
	z = bn ? aimet_tensor_new(bn, AIMET_FLOAT, 1, (const int64_t[]){(int64_t)l->n_out}) : NULL;
	if (z && aimet_tensor_alloc(NULL, z)) {
		aimet_tensor_free(z);
		z = NULL;
	}
	ins[0] = y, ins[1] = bn;
	a = z && on ? aimet_node_new("Add", on, 2, ins, 1, (const char *const *)&on) : NULL;
	free(bn), free(on);
	if (!a) {
		aimet_tensor_free(z);
		return aimet_error(b->ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if ((st = aimet_graph_add_initializer(b->ctx, g, z))) {
		aimet_node_free(a);
		return st;
	}
	/* a graph output y is renamed at the MatMul: pass a copy of the name, not the node's string */
	if (!(bn = aimet_strdup(y))) {
		aimet_node_free(a);
		return aimet_error(b->ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	st = aimet_graph_insert_after(b->ctx, g, bn, a);
	free(bn);
	if (st)
		return st;
	l->cap = a, l->bname = a->inputs[1], l->out = a->outputs[0];
	return AIMET_OK;
}

/* Fill l for a correctable layer; 0, or -1 when n is not a layer, 1 when skipped (recorded). */
static int make_layer(struct bc *b, struct aimet_node *n, struct bl *l)
{
	struct aimet_graph *g = b->m->graph;
	const struct aimet_tensor *w, *bias = NULL;
	int64_t grp;
	memset(l, 0, sizeof(*l));
	l->node = n;
	if (!strcmp(n->op_type, "Conv"))
		l->kind = K_CONV;
	else if (!strcmp(n->op_type, "ConvTranspose"))
		l->kind = K_CONVT;
	else if (!strcmp(n->op_type, "Gemm"))
		l->kind = K_GEMM;
	else if (!strcmp(n->op_type, "MatMul"))
		l->kind = K_MATMUL;
	else
		return -1;
	if ((n->domain && n->domain[0]) || n->n_inputs < 2 || n->n_outputs != 1)
		return -1;
	l->cap = n;
	if (l->kind == K_MATMUL) {   /* x @ W with a constant 2-D W only (not attention products) */
		w = aimet_graph_find_weight(g, n->inputs[1], NULL);
		if (!w || aimet_graph_find_weight(g, n->inputs[0], NULL))
			return -1;
		if (w->dtype != AIMET_FLOAT || !w->data || w->ndim != 2 || aimet_tensor_numel(w) <= 0)
			return add_skip(b, n, "MatMul weight is not a constant 2-D float tensor") ? -2 : 1;
		if (aimet_graph_consumers(g, n->inputs[1], NULL, 0) != 1)
			return add_skip(b, n, "weight shared with other nodes") ? -2 : 1;
		l->groups = 1, l->inner = 1, l->chlast = 1;
		l->dim0 = l->n_in = (size_t)w->dims[0];
		l->dim1 = l->n_out = (size_t)w->dims[1];
		return 0;
	}
	w = aimet_graph_find_weight(g, n->inputs[1], NULL);
	if (!w || w->dtype != AIMET_FLOAT || !w->data || aimet_tensor_numel(w) <= 0)
		return add_skip(b, n, "weight is not a constant float tensor") ? -2 : 1;
	grp = aimet_node_attr_int(n, "group", 1);
	if (l->kind == K_GEMM) {
		if (w->ndim != 2 || aimet_node_attr_float(n, "alpha", 1) != 1 ||
		    aimet_node_attr_float(n, "beta", 1) != 1 || aimet_node_attr_int(n, "transA", 0))
			return add_skip(b, n, "Gemm with alpha, beta or transA") ? -2 : 1;
		l->tb = aimet_node_attr_int(n, "transB", 0) != 0;
		l->groups = 1;
		l->dim0 = (size_t)w->dims[0], l->dim1 = (size_t)w->dims[1], l->inner = 1;
		l->n_out = l->tb ? l->dim0 : l->dim1;
		l->n_in = l->tb ? l->dim1 : l->dim0;
	} else {
		if (w->ndim < 3 || grp < 1 || w->dims[0] % grp)
			return add_skip(b, n, "weight shape does not fit the op") ? -2 : 1;
		l->groups = (size_t)grp;
		l->dim0 = (size_t)w->dims[0], l->dim1 = (size_t)w->dims[1];
		l->inner = (size_t)aimet_tensor_numel(w) / (l->dim0 * l->dim1);
		if (l->kind == K_CONV)
			l->n_out = l->dim0, l->n_in = l->dim1 * l->groups;
		else
			l->n_in = l->dim0, l->n_out = l->dim1 * l->groups;
	}
	if (n->n_inputs > 2 && n->inputs[2][0]) {
		bias = aimet_graph_find_weight(g, n->inputs[2], NULL);
		if (!bias || bias->dtype != AIMET_FLOAT || !bias->data || aimet_tensor_numel(bias) != (int64_t)l->n_out ||
		    aimet_graph_consumers(g, n->inputs[2], NULL, 0) != 1 || aimet_graph_is_output(g, n->inputs[2]))
			return add_skip(b, n, "bias is not a per-channel float constant of this layer alone") ? -2 : 1;
	}
	if (aimet_graph_consumers(g, n->inputs[1], NULL, 0) != 1)
		return add_skip(b, n, "weight shared with other nodes") ? -2 : 1;
	return 0;
}

/* ---- the executor hook: capture layer outputs, quantize the model inputs ---- */
static void bc_hook(void *user, const struct aimet_node *node, int out_index, struct aimet_tensor *t)
{
	struct bc *b = user;
	const char *name = node ? node->outputs[out_index] : aimet_plan_input_name(b->plan, out_index);
	struct aimet_quantizer *q;
	int64_t n = aimet_tensor_numel(t);
	if (t->dtype != AIMET_FLOAT || n <= 0)
		return;
	if (node && out_index == 0)
		for (size_t i = 0; i < b->n_l; i++) {
			struct bl *l = &b->L[i];
			size_t inner = 1, c_n;
			const float *x = t->data;
			double *sum;
			if (l->cap != node || !l->capture)
				continue;
			sum = b->into_q ? l->sum_q : l->sum_fp;
			c_n = l->n_out;
			if (l->chlast) {   /* [..., C] */
				size_t rows;
				if (t->ndim < 1 || (size_t)t->dims[t->ndim - 1] != c_n)
					break;
				rows = (size_t)n / c_n;
				for (size_t r = 0; r < rows; r++)
					for (size_t c = 0; c < c_n; c++)
						sum[c] += x[r * c_n + c];
				*(b->into_q ? &l->cnt_q : &l->cnt_fp) += (double)rows;
				break;
			}
			if (t->ndim < 2 || (size_t)t->dims[1] != l->n_out)
				break;
			for (int d = 2; d < t->ndim; d++)
				inner *= (size_t)t->dims[d];
			for (size_t o = 0; o < (size_t)t->dims[0]; o++)
				for (size_t c = 0; c < c_n; c++) {
					const float *p = x + (o * c_n + c) * inner;
					double s = 0;
					for (size_t k = 0; k < inner; k++)
						s += p[k];
					sum[c] += s;
				}
			*(b->into_q ? &l->cnt_q : &l->cnt_fp) += (double)((size_t)t->dims[0] * inner);
			break;
		}
	if (b->quant && !node && (q = aimet_qsim_find(b->sim, name)) && q->kind == AIMET_ENC_ACT &&
	    q->has_enc)
		aimet_qdq_array(q->enc, t->data, t->data, (size_t)n);
}

/* Quantized (model inputs quantized, captures into sum_q) or FP32 running. */
static void set_mode(struct bc *b, int quant)
{
	b->quant = b->into_q = quant;
}

/* Run the data through the plan (up to `until` if non-NULL). */
static int pass(struct bc *b, struct aimet_dataset *ds, const char *until)
{
	struct aimet_tensor *batch[AIMET_DATASET_MAX_INPUTS] = {0};
	int st;
	for (size_t i = 0; i < b->n_l; i++)
		if (b->L[i].capture) {
			if (b->into_q) {
				memset(b->L[i].sum_q, 0, b->L[i].n_out * sizeof(double));
				b->L[i].cnt_q = 0;
			} else {
				memset(b->L[i].sum_fp, 0, b->L[i].n_out * sizeof(double));
				b->L[i].cnt_fp = 0;
			}
		}
	aimet_dataset_rewind(ds);
	while ((st = aimet_dataset_next(b->ctx, ds, batch)) == 1) {
		st = until ? aimet_plan_run_until(b->ctx, b->plan, batch, until, NULL)
		           : aimet_plan_run(b->ctx, b->plan, batch, NULL);
		if (st)
			return st;
	}
	return st;
}

/* Mean |quantized - FP32| over the channels of layer l (0 when nothing was seen). */
static double shift_of(const struct bl *l)
{
	double s = 0;
	if (!(l->cnt_q > 0) || !(l->cnt_fp > 0))
		return 0;
	for (size_t c = 0; c < l->n_out; c++)
		s += fabs(l->sum_q[c] / l->cnt_q - l->sum_fp[c] / l->cnt_fp);
	return s / (double)l->n_out;
}

/* ---- analytical ---- */
static double npdf(double x) { return exp(-0.5 * x * x) / sqrt(2 * M_PI); }
static double ncdf(double x) { return 0.5 * erfc(-x / sqrt(2)); }

/* E[f(X)] for X ~ N(mu, sigma^2) and f the activation (ReLU6 = clip to [0, 6]). */
static double expect(int act, double mu, double sigma)
{
	double a, bb;
	if (act == ACT_NONE)
		return mu;
	if (!(sigma > 0))
		return act == ACT_RELU ? fmax(mu, 0) : fmin(fmax(mu, 0), 6);
	a = -mu / sigma;
	if (act == ACT_RELU)
		return mu * (1 - ncdf(a)) + sigma * npdf(a);
	bb = (6 - mu) / sigma;
	return mu * (ncdf(bb) - ncdf(a)) + sigma * (npdf(a) - npdf(bb)) + 6 * (1 - ncdf(bb));
}

/* The quantized weight of layer l as the simulator would use it (caller frees). */
static float *quantized_weight(struct bc *b, const struct bl *l, const struct aimet_tensor *w)
{
	struct aimet_quantizer *q = aimet_qsim_find(b->sim, l->wname);
	size_t numel = (size_t)aimet_tensor_numel(w), outer = 1, inner = 1;
	struct aimet_observer *obs;
	struct aimet_encoding *enc;
	float *out = malloc(numel * sizeof(float));
	if (!out)
		return NULL;
	if (!q || q->kind != AIMET_ENC_PARAM) {   /* weights not quantized */
		memcpy(out, w->data, numel * sizeof(float));
		return out;
	}
	if (q->per_channel) {
		for (int d = 0; d < w->ndim; d++) {
			if (d < q->axis)
				outer *= (size_t)w->dims[d];
			else if (d > q->axis)
				inner *= (size_t)w->dims[d];
		}
	} else {
		inner = numel;
	}
	obs = aimet_observer_new(b->scheme, q->n_ch);
	enc = aimet_calloc(q->n_ch, sizeof(*enc));
	if (!obs || !enc) {
		aimet_observer_free(obs);
		free(enc);
		free(out);
		return NULL;
	}
	aimet_observer_update(obs, w->data, outer, inner);
	if (q->has_enc) {
		memcpy(enc, q->enc, q->n_ch * sizeof(*enc));
	} else if (aimet_observer_encodings(b->ctx, obs, q->bw, q->flags, b->percentile, enc)) {
		aimet_observer_free(obs);
		free(enc);
		free(out);
		return NULL;
	}
	aimet_observer_free(obs);
	if (q->per_channel)
		aimet_qdq_channels(enc, q->n_ch, w->data, out, outer, inner);
	else
		aimet_qdq_array(enc, w->data, out, numel);
	free(enc);
	return out;
}

/* Kind of one activation node (ACT_NONE when p is not one). */
static int act_kind(const struct aimet_graph *g, const struct aimet_node *p)
{
	double lo, hi;
	if (!p || (p->domain && p->domain[0]))
		return ACT_NONE;
	if (!strcmp(p->op_type, "Relu"))
		return ACT_RELU;
	if (strcmp(p->op_type, "Clip"))
		return ACT_NONE;
	lo = aimet_node_attr_float(p, "min", -FLT_MAX);
	hi = aimet_node_attr_float(p, "max", FLT_MAX);
	for (int i = 1; i < p->n_inputs && i < 3; i++) {
		const struct aimet_tensor *t;
		if (!p->inputs[i][0])
			continue;
		if (!(t = aimet_graph_find_weight(g, p->inputs[i], NULL)) || aimet_tensor_numel(t) != 1)
			return ACT_OTHER;
		if (i == 1)
			lo = aimet_tensor_get_f64(t, 0);
		else
			hi = aimet_tensor_get_f64(t, 0);
	}
	if (lo == 0 && hi >= FLT_MAX)
		return ACT_RELU;
	if (lo == 0 && hi == 6)
		return ACT_RELU6;
	return ACT_OTHER;
}

/* Activation between the BN-folded layer output and the reader of `x` (up to two nodes:
 * exporters write ReLU6 as Relu then Clip); the pre-activation tensor goes to *pre. */
static int input_act(const struct aimet_graph *g, const char *x, const char **pre)
{
	int kind = ACT_NONE;
	*pre = x;
	for (int step = 0; step < 2; step++) {
		struct aimet_node *p = aimet_graph_producer(g, *pre, NULL, NULL);
		int k = act_kind(g, p);
		if (k == ACT_NONE)
			break;
		if (k == ACT_OTHER)
			return ACT_OTHER;
		kind = kind == ACT_RELU6 || k == ACT_RELU6 ? ACT_RELU6 : ACT_RELU;
		*pre = p->inputs[0];
	}
	return kind;
}

/* Fraction of the output positions that tap k of a kernel axis reaches (inside the input, not
 * in the padding): conv out o reads in = o*s - pb + k*d; a transposed conv's input i writes
 * out = i*s - pb + k*d. The mean output then gets sum_k eps_k * frac_k * E[x], not
 * sum_k eps_k * E[x] — on the small maps of late layers the border is a large share. */
static double tap_frac(int transposed, int64_t in, int64_t out, int64_t s, int64_t pb, int64_t d, int64_t k)
{
	int64_t cnt = 0, n = transposed ? in : out, lim = transposed ? out : in;
	for (int64_t o = 0; o < n; o++) {
		int64_t p = o * s - pb + k * d;
		cnt += p >= 0 && p < lim;
	}
	return out > 0 ? (double)cnt / (double)out : 1;
}

/* Weight of each kernel tap (l->inner of them) in the mean output of a Conv/ConvTranspose,
 * from the input and output spatial sizes (NULL shapes: padding not known, every tap counts
 * fully, or 1/stride for a transposed conv). Caller frees. */
static double *tap_weights(const struct bl *l, const struct aimet_value_shape *xs,
                           const struct aimet_value_shape *ys, const struct aimet_tensor *w)
{
	const int64_t *pads = NULL, *strides = NULL, *dil = NULL;
	int nsp = w->ndim - 2, np, ns, nd, tr = l->kind == K_CONVT;
	const char *autopad = aimet_node_attr_str(l->node, "auto_pad", "NOTSET");
	double *tw = malloc(l->inner * sizeof(double));
	if (!tw)
		return NULL;
	np = aimet_node_attr_ints(l->node, "pads", &pads);
	ns = aimet_node_attr_ints(l->node, "strides", &strides);
	nd = aimet_node_attr_ints(l->node, "dilations", &dil);
	if (xs && ys && (xs->ndim != w->ndim || ys->ndim != w->ndim))
		xs = ys = NULL;
	for (size_t k = 0; k < l->inner; k++) {
		size_t rem = k;
		double f = 1;
		for (int a = nsp - 1; a >= 0; a--) {
			int64_t K = w->dims[2 + a], kk = (int64_t)(rem % (size_t)K);
			int64_t st = ns == nsp ? strides[a] : 1, dl = nd == nsp ? dil[a] : 1, pb = np == 2 * nsp ? pads[a] : 0;
			int64_t in, out;
			rem /= (size_t)K;
			if (!xs || (in = xs->dims[2 + a]) <= 0 || (out = ys->dims[2 + a]) <= 0 || st < 1 || dl < 1) {
				f *= tr && st > 1 ? 1.0 / (double)st : 1;
				continue;
			}
			if (!tr && (!strcmp(autopad, "SAME_UPPER") || !strcmp(autopad, "SAME_LOWER"))) {
				int64_t total = (out - 1) * st + (K - 1) * dl + 1 - in;
				total = total > 0 ? total : 0;
				pb = !strcmp(autopad, "SAME_UPPER") ? total / 2 : total - total / 2;
			} else if (strcmp(autopad, "NOTSET")) {
				pb = 0;
			}
			f *= tap_frac(tr, in, out, st, pb, dl, kk);
		}
		tw[k] = f;
	}
	return tw;
}

/* The spatial sizes for the border terms: from the first batch of ds, else from the declared
 * input shapes with a symbolic batch taken as 1. When unknown (other symbolic dimensions) the
 * border terms are left out. Fails only on OOM or interruption. */
static int border_shapes(struct bc *b, struct aimet_dataset *ds)
{
	struct aimet_tensor *first[AIMET_DATASET_MAX_INPUTS] = {0}, *own[AIMET_DATASET_MAX_INPUTS] = {0};
	const struct aimet_graph *g = b->m->graph;
	int st, have = 0, n_own = 0;
	if (ds) {
		aimet_dataset_rewind(ds);
		if ((st = aimet_dataset_next(b->ctx, ds, first)) < 0)
			return st;
		have = st == 1;
	} else {
		have = 1;
		for (size_t i = 0; i < g->n_inputs && have; i++) {
			const struct aimet_value_info *v = &g->inputs[i];
			int64_t dims[AIMET_MAX_DIMS], numel = 1;
			if (aimet_graph_find_weight(g, v->name, NULL))
				continue;
			if (n_own >= AIMET_DATASET_MAX_INPUTS || !v->has_shape || v->ndim > AIMET_MAX_DIMS) {
				have = 0;
				break;
			}
			for (int d = 0; d < v->ndim; d++) {
				dims[d] = v->dims[d].value > 0 ? v->dims[d].value : d == 0 ? 1 : -1;
				have &= dims[d] > 0 && dims[d] <= (1 << 16);
				numel = have ? numel * dims[d] : 1;
				have &= numel <= ((int64_t)1 << 24);   /* a dummy input, not a workload */
			}
			if (!have)
				break;
			if (!(own[n_own] = aimet_tensor_new(v->name, v->elem_type, v->ndim, dims)) ||
			    aimet_tensor_alloc(NULL, own[n_own])) {
				have = 0;   /* too large or OOM: no border terms */
				n_own += own[n_own] != NULL;
				break;
			}
			first[n_own] = own[n_own];
			n_own++;
		}
	}
	if (!have || aimet_graph_infer_shapes(b->ctx, b->m, (const struct aimet_tensor *const *)first,
	                                      &b->shapes, &b->n_shapes)) {
		b->shapes = NULL;
		b->n_shapes = 0;
	}
	for (int i = 0; i < n_own; i++)
		aimet_tensor_free(own[i]);
	return AIMET_OK;
}

static const struct aimet_value_shape *shape_of(const struct bc *b, const char *name)
{
	for (size_t i = 0; i < b->n_shapes; i++)
		if (!strcmp(b->shapes[i].name, name))
			return &b->shapes[i];
	return NULL;
}

/* Analytical correction of layer l into l->bias; 1 when no statistics were found. */
static int analytical(struct bc *b, struct bl *l)
{
	const struct aimet_graph *g = b->m->graph;
	const struct aimet_tensor *w = aimet_graph_find_weight(g, l->wname, NULL);
	const char *pre;
	int act = input_act(g, l->node->inputs[0], &pre);
	float *gamma, *beta, *wq;
	double *ex, *corr, *tw = NULL;
	size_t n;
	if (act == ACT_OTHER || aimet_bn_meta_get(b->m, pre, &gamma, &beta, &n))
		return 1;
	if (n != l->n_in) {
		free(gamma);
		free(beta);
		return 1;
	}
	ex = malloc(n * sizeof(double));
	corr = calloc(l->n_out, sizeof(double));
	wq = quantized_weight(b, l, w);
	if (l->kind == K_CONV || l->kind == K_CONVT)
		tw = tap_weights(l, shape_of(b, l->node->inputs[0]), shape_of(b, l->node->outputs[0]), w);
	if (!ex || !corr || !wq || ((l->kind == K_CONV || l->kind == K_CONVT) && !tw)) {
		free(gamma), free(beta), free(ex), free(corr), free(wq), free(tw);
		return aimet_error(b->ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t c = 0; c < n; c++)
		ex[c] = expect(act, beta[c], fabs(gamma[c]));
	for (size_t a = 0; a < l->dim0; a++)
		for (size_t j = 0; j < l->dim1; j++) {
			size_t oc, ic, base = (a * l->dim1 + j) * l->inner;
			double e = 0;
			chan(l, a, j, &oc, &ic);
			for (size_t k = 0; k < l->inner; k++)
				e += ((double)wq[base + k] - ((const float *)w->data)[base + k]) * (tw ? tw[k] : 1);
			corr[oc] += e * ex[ic];
		}
	double predicted = 0;
	for (size_t o = 0; o < l->n_out; o++) {
		((float *)l->bias->data)[o] = (float)(((float *)l->bias->data)[o] - corr[o]);
		predicted += fabs(corr[o]);
	}
	if (!b->plan)   /* data-free: the predicted shift is all we know */
		l->before = predicted / (double)l->n_out;
	l->analytical = 1;
	free(gamma), free(beta), free(ex), free(corr), free(wq), free(tw);
	return 0;
}

static int report_add(struct bc *b, const struct bl *l)
{
	struct aimet_bc_report *r = b->rep;
	struct aimet_bc_layer *x = aimet_realloc_array(r->layers, r->n_layers + 1, sizeof(*x));
	if (!x)
		return aimet_error(b->ctx, AIMET_ERR_NOMEM, "out of memory");
	r->layers = x;
	x = &r->layers[r->n_layers++];
	memset(x, 0, sizeof(*x));
	x->name = aimet_strdup(aimet_node_label(l->node));
	x->output = aimet_strdup(l->out);
	x->analytical = l->analytical;
	x->shift_before = l->before;
	x->shift_after = l->after;
	x->has_heldout = b->heldout_done;
	x->heldout_before = l->h_before;
	x->heldout_after = l->h_after;
	x->measured = b->measured;
	x->has_weight_shift = l->has_w;
	x->weight_shift_before = l->w_before;
	x->weight_shift_after = l->w_after;
	if (!x->name || !x->output)
		return aimet_error(b->ctx, AIMET_ERR_NOMEM, "out of memory");
	return AIMET_OK;
}

/* Put the simulator's quantized weights (on = 1) or the model's own (on = 0) into our plan. */
static int install_weights(struct bc *b, int on)
{
	size_t nq = aimet_qsim_n_quantizers(b->sim);
	for (size_t i = 0; i < nq; i++) {
		struct aimet_quantizer *q = aimet_qsim_quantizer(b->sim, i);
		const struct aimet_tensor *w;
		int st;
		if (q->kind != AIMET_ENC_PARAM || !q->has_enc)
			continue;
		w = on ? aimet_plan_constant(aimet_qsim_plan(b->sim), q->name)
		       : aimet_graph_find_weight(b->m->graph, q->name, NULL);
		if (w && (st = aimet_plan_set_weight(b->ctx, b->plan, q->name, w)))
			return st;
	}
	return AIMET_OK;
}

/* Biases into our plan: the corrected ones (1) or the model's (0). */
static int install_biases(struct bc *b, int corrected)
{
	for (size_t i = 0; i < b->n_l; i++) {
		const struct bl *l = &b->L[i];
		const struct aimet_tensor *t;
		int st;
		if (!l->bname)
			continue;
		t = corrected ? l->bias : aimet_graph_find_weight(b->m->graph, l->bname, NULL);
		if (t && (st = aimet_plan_set_weight(b->ctx, b->plan, l->bname, t)))
			return st;
	}
	return AIMET_OK;
}

/* The shift that each analytically corrected layer's own quantized weight causes alone (FP32
 * inputs, every other weight FP32, activations not quantized) — the error the analytical
 * correction models — before and after: the correction moves all outputs of a channel alike. */
static int own_weight_shift(struct bc *b, struct aimet_dataset *ds)
{
	int st;
	set_mode(b, 0);
	if ((st = install_weights(b, 0)) || (st = install_biases(b, 0)))
		return st;
	for (size_t i = 0; i < b->n_l; i++) {
		struct bl *l = &b->L[i];
		const struct aimet_tensor *wq, *wf, *orig;
		double sb = 0, sa = 0;
		if (!l->analytical || !l->bname)
			continue;
		wq = aimet_plan_constant(aimet_qsim_plan(b->sim), l->wname);
		wf = aimet_graph_find_weight(b->m->graph, l->wname, NULL);
		orig = aimet_graph_find_weight(b->m->graph, l->bname, NULL);
		if (!wq || !wf || !orig || aimet_tensor_numel(orig) != (int64_t)l->n_out)
			continue;
		if ((st = aimet_plan_set_weight(b->ctx, b->plan, l->wname, wq)))
			return st;
		l->capture = 1;
		b->into_q = 1;
		st = pass(b, ds, l->out);
		b->into_q = 0;
		l->capture = 0;
		if (st || (st = aimet_plan_set_weight(b->ctx, b->plan, l->wname, wf)))
			return st;
		if (!(l->cnt_q > 0) || !(l->cnt_fp > 0))
			continue;
		for (size_t c = 0; c < l->n_out; c++) {
			double d = l->sum_q[c] / l->cnt_q - l->sum_fp[c] / l->cnt_fp;
			double corr = (double)((const float *)orig->data)[c] - ((const float *)l->bias->data)[c];
			sb += fabs(d);
			sa += fabs(d - corr);
		}
		l->w_before = sb / (double)l->n_out;
		l->w_after = sa / (double)l->n_out;
		l->has_w = 1;
	}
	return AIMET_OK;
}

/* The shift on other data against the uncorrected FP32 model, before and after correction. */
static int measure_heldout(struct bc *b, struct aimet_dataset *ds)
{
	int st;
	for (size_t i = 0; i < b->n_l; i++)
		b->L[i].capture = b->L[i].bname != NULL;
	set_mode(b, 0);
	if ((st = install_weights(b, 0)) || (st = install_biases(b, 0)) || (st = pass(b, ds, NULL)))
		return st;
	set_mode(b, 1);
	if ((st = install_weights(b, 1)) || (st = pass(b, ds, NULL)))
		return st;
	for (size_t i = 0; i < b->n_l; i++)
		b->L[i].h_before = shift_of(&b->L[i]);
	if ((st = install_biases(b, 1)) || (st = pass(b, ds, NULL)))
		return st;
	for (size_t i = 0; i < b->n_l; i++)
		b->L[i].h_after = shift_of(&b->L[i]);
	b->heldout_done = 1;
	return AIMET_OK;
}

int aimet_bias_correct(struct aimet_ctx *ctx, struct aimet_model *m,
                       const struct aimet_qsim_opts *qopts, struct aimet_dataset *ds,
                       const struct aimet_bc_opts *opts, struct aimet_bc_report **report)
{
	struct aimet_bc_opts o;
	struct bc b;
	struct aimet_model *copy = NULL;
	struct aimet_plan_opts po;
	const char **keep = NULL;
	size_t n_keep = 0;
	int st, corrected = 0;
	if (opts)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	memset(&b, 0, sizeof(b));
	b.ctx = ctx;
	b.m = m;
	{
		struct aimet_qsim_opts d;
		aimet_qsim_opts_init(&d);
		b.scheme = qopts ? qopts->scheme : d.scheme;
		b.percentile = qopts ? qopts->percentile : d.percentile;
	}
	if (report)
		*report = NULL;
	if (!ds && !o.analytical)
		return aimet_error(ctx, AIMET_ERR_INVALID, "empirical bias correction needs data");
	if (!m->graph)
		return aimet_error(ctx, AIMET_ERR_INVALID, "model has no graph");
	b.measured = ds != NULL;
	if (!(b.rep = calloc(1, sizeof(*b.rep))))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if ((st = aimet_fold_batchnorms(ctx, m, NULL)) || (st = aimet_graph_toposort(ctx, m->graph)))
		goto out;
	for (int i = 0; i < o.n_layers; i++) {
		size_t k;
		for (k = 0; k < m->graph->n_nodes; k++)
			if (aimet_layer_in_list(m->graph->nodes[k], o.layers + i, 1))
				break;
		if (k == m->graph->n_nodes) {
			st = aimet_error(ctx, AIMET_ERR_INVALID, "layer '%s' not found", o.layers[i]);
			goto out;
		}
	}
	if (!(b.L = aimet_calloc(m->graph->n_nodes + 1, sizeof(*b.L)))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the layers, each with a bias (a zero one added where there is none) */
	for (size_t i = 0; i < m->graph->n_nodes; i++) {
		struct aimet_node *n = m->graph->nodes[i];
		struct bl *l = &b.L[b.n_l];
		int r;
		if ((o.layers && !aimet_layer_in_list(n, o.layers, o.n_layers)) ||
		    aimet_layer_in_list(n, o.skip_layers, o.n_skip))
			continue;
		if ((r = make_layer(&b, n, l)) == -2) {
			st = AIMET_ERR_NOMEM;
			goto out;
		}
		if (r)
			continue;
		if (l->kind == K_MATMUL) {
			if ((st = matmul_bias(&b, l)))
				goto out;
		} else {
			if ((n->n_inputs < 3 || !n->inputs[2][0]) && (st = ensure_bias(&b, l)))
				goto out;
			l->bname = n->inputs[2];
			l->out = n->outputs[0];
		}
		l->wname = n->inputs[1];
		l->sum_fp = calloc(l->n_out, sizeof(double));
		l->sum_q = calloc(l->n_out, sizeof(double));
		l->bias = aimet_tensor_clone(aimet_graph_find_weight(m->graph, l->bname, NULL));
		b.n_l++;
		if (!l->sum_fp || !l->sum_q || !l->bias) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	/* the simulator: what "quantized" means (weights, activation encodings) */
	if (!(copy = aimet_model_clone(m))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = aimet_qsim_new(ctx, copy, qopts, &b.sim);
	copy = NULL;
	if (st)
		goto out;
	if (ds && (st = aimet_qsim_calibrate(ctx, b.sim, ds, NULL)))
		goto out;
	if (ds) {
		/* our own plan over the model: every layer output kept (not fused with its activation).
		 * As FORMATS.md and AIMET's own bias correction have it, the quantized model has its
		 * weights and its inputs quantized (our hook, with the simulator's encodings) but no
		 * layer output: a shift measured through activation quantizers whose encodings are
		 * recomputed after the correction chases rounding the final model does not have.
		 * With them on (the default until 2026-11), CLE + correction took ppocr_det from 8.07
		 * to 7.17 dB (10.42 with them off) and ppocr_rec per-channel to a negative character
		 * accuracy (0.937 with them off). */
		size_t nq = aimet_qsim_n_quantizers(b.sim);
		if (!(keep = aimet_calloc(b.n_l + 1, sizeof(*keep)))) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < b.n_l; i++)
			keep[n_keep++] = b.L[i].out;
		memset(&po, 0, sizeof(po));
		po.keep = keep;
		po.n_keep = (int)n_keep;
		po.use_ref = qopts ? qopts->use_ref : 0;
		if ((st = aimet_plan_new(ctx, m, &po, &b.plan)))
			goto out;
		aimet_plan_set_hook(b.plan, bc_hook, &b);
		/* one FP32 pass for every layer's mean output */
		for (size_t i = 0; i < b.n_l; i++)
			b.L[i].capture = 1;
		set_mode(&b, 0);
		if ((st = pass(&b, ds, NULL)))
			goto out;
		/* from now on the plan holds the simulator's quantized weights */
		for (size_t i = 0; i < nq; i++) {
			struct aimet_quantizer *q = aimet_qsim_quantizer(b.sim, i);
			const struct aimet_tensor *wq;
			if (q->kind != AIMET_ENC_PARAM || !q->has_enc)
				continue;
			if (!(wq = aimet_plan_constant(aimet_qsim_plan(b.sim), q->name)))
				continue;
			if ((st = aimet_plan_set_weight(ctx, b.plan, q->name, wq)))
				goto out;
		}
		set_mode(&b, 1);
		if ((st = pass(&b, ds, NULL)))
			goto out;
		for (size_t i = 0; i < b.n_l; i++) {
			b.L[i].before = shift_of(&b.L[i]);
			b.L[i].capture = 0;
		}
	}
	if (o.analytical && (st = border_shapes(&b, ds)))
		goto out;
	/* per layer in topological order; the quantized model carries the earlier corrections */
	for (size_t i = 0; i < b.n_l; i++) {
		struct bl *l = &b.L[i];
		if (o.analytical) {
			if ((st = analytical(&b, l)) < 0)
				goto out;
			if (st == 0) {
				corrected = 1;
				if (b.plan && (st = aimet_plan_set_weight(ctx, b.plan, l->bname, l->bias)))
					goto out;
				goto next;
			}
			st = AIMET_OK;
			if (!ds) {
				if ((st = add_skip(&b, l->node, "no batch-norm statistics before it (and no data)")))
					goto out;
				l->bname = NULL;
				goto next;
			}
		}
		if (corrected) {   /* the quantized means changed: measure this layer again */
			l->capture = 1;
			st = pass(&b, ds, l->out);
			l->capture = 0;
			if (st)
				goto out;
		}
		if (!(l->cnt_q > 0) || !(l->cnt_fp > 0)) {
			if ((st = add_skip(&b, l->node, "output not computed at run time")))
				goto out;
			l->bname = NULL;
			goto next;
		}
		for (size_t c = 0; c < l->n_out; c++) {
			double d = l->sum_q[c] / l->cnt_q - l->sum_fp[c] / l->cnt_fp;
			float *bv = l->bias->data;
			if (isfinite(d))
				bv[c] = (float)(bv[c] - d);
		}
		corrected = 1;
		if ((st = aimet_plan_set_weight(ctx, b.plan, l->bname, l->bias)))
			goto out;
	next:
		if (o.progress)
			o.progress((int64_t)i + 1, (int64_t)b.n_l);
		if ((st = aimet_check_interrupt(ctx)))
			goto out;
	}
	if (ds) {   /* measure the result */
		for (size_t i = 0; i < b.n_l; i++)
			b.L[i].capture = b.L[i].bname != NULL;
		if ((st = pass(&b, ds, NULL)))
			goto out;
		for (size_t i = 0; i < b.n_l; i++)
			if (b.L[i].capture)
				b.L[i].after = shift_of(&b.L[i]);
	}
	if (o.analytical && b.plan && (st = own_weight_shift(&b, ds)))
		goto out;
	if (o.heldout && b.plan && (st = measure_heldout(&b, o.heldout)))
		goto out;
	aimet_plan_free(b.plan);
	b.plan = NULL;
	for (size_t i = 0; i < b.n_l; i++) {
		struct bl *l = &b.L[i];
		struct aimet_tensor *t;
		if (!l->bname)
			continue;
		if (!(t = aimet_tensor_clone(l->bias))) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((st = aimet_graph_replace_weight(ctx, m->graph, l->bname, t)) || (st = report_add(&b, l)))
			goto out;
	}
out:
	free(b.shapes);
	aimet_plan_free(b.plan);
	aimet_qsim_free(b.sim);
	aimet_model_free(copy);
	free(keep);
	for (size_t i = 0; i < b.n_l; i++) {
		free(b.L[i].sum_fp);
		free(b.L[i].sum_q);
		aimet_tensor_free(b.L[i].bias);
	}
	free(b.L);
	if (st == AIMET_ERR_NOMEM && !aimet_errmsg(ctx)[0])
		aimet_error(ctx, st, "out of memory");
	if (!st && report)
		*report = b.rep;
	else
		aimet_bc_report_free(b.rep);
	return st;
}

void aimet_bc_report_free(struct aimet_bc_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_layers; i++) {
		free(r->layers[i].name);
		free(r->layers[i].output);
	}
	aimet_skips_free(r->skips, r->n_skips);
	free(r->layers);
	free(r);
}
