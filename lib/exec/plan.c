/* plan.c: building a plan from a model — values and ops resolved, nodes ordered, weights-only
 * subgraphs folded, Conv+BatchNormalization folds, Relu/Clip fusions and elementwise chains
 * chosen, steps laid out.
 * Also aimet_plan_set_weight, which recomputes only what depends on the replaced weight. */
#include "exec_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- value table with a name index ---- */

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

int aimet__value_find(const struct aimet_plan *p, const char *name)
{
	if (!name || !name[0] || !p->hash_cap)
		return -1;
	for (size_t i = hash_str(name) & (p->hash_cap - 1);; i = (i + 1) & (p->hash_cap - 1)) {
		int k = p->hash[i];
		if (!k)
			return -1;
		if (!strcmp(p->values[k - 1]->name, name))
			return k - 1;
	}
}

static int hash_insert(struct aimet_plan *p, int idx)
{
	if ((p->n_values + 1) * 2 > p->hash_cap) {
		size_t cap = p->hash_cap ? p->hash_cap * 2 : 256;
		int *h = aimet_calloc(cap, sizeof(int));
		if (!h)
			return -1;
		while ((p->n_values + 1) * 2 > cap) {
			free(h);
			cap *= 2;
			if (!(h = aimet_calloc(cap, sizeof(int))))
				return -1;
		}
		free(p->hash);
		p->hash = h;
		p->hash_cap = cap;
		for (size_t v = 0; v < p->n_values; v++)
			if (p->values[v]->name[0] && (int)v != idx)
				for (size_t i = hash_str(p->values[v]->name) & (cap - 1);; i = (i + 1) & (cap - 1))
					if (!h[i]) {
						h[i] = (int)v + 1;
						break;
					}
	}
	for (size_t i = hash_str(p->values[idx]->name) & (p->hash_cap - 1);;
	     i = (i + 1) & (p->hash_cap - 1))
		if (!p->hash[i]) {
			p->hash[i] = idx + 1;
			return 0;
		}
}

/* Add a value; `name` is borrowed unless `own` (then it is copied). "" makes an anonymous
 * value that is not indexed. Returns the index or -1 on OOM. */
static int value_add(struct aimet_plan *p, const char *name, int own, int kind)
{
	struct xvalue *v;
	if (aimet_grow((void **)&p->values, &p->cap_values, p->n_values + 1, sizeof(*p->values)))
		return -1;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -1;
	if (own) {
		if (!(v->own_name = aimet_strdup(name))) {
			free(v);
			return -1;
		}
		name = v->own_name;
	}
	v->name = name ? name : "";
	v->t.name = (char *)v->name;
	v->kind = kind;
	v->producer = -1;
	v->input_index = -1;
	v->step = -1;
	p->values[p->n_values] = v;
	if (v->name[0] && hash_insert(p, (int)p->n_values)) {
		free(v->own_name);
		free(v);
		return -1;
	}
	return (int)p->n_values++;
}

size_t aimet__mem_limit(void)
{
	static size_t limit;
	if (!limit) {
		long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
		/* a hostile model can ask for any size: refuse what cannot fit rather than let the
		 * system kill us; half of physical memory per buffer */
		const char *env = getenv("AIMET_MEM_LIMIT");
		limit = pages > 0 && psize > 0 && (size_t)pages <= SIZE_MAX / (size_t)psize
		        ? (size_t)pages * (size_t)psize / 2 : SIZE_MAX / 4;
		/* a lower limit for the fuzzers (tests/fuzz/run.sh), which run in 2 GiB */
		if (env && strtoull(env, NULL, 10) > 0 && strtoull(env, NULL, 10) < limit)
			limit = (size_t)strtoull(env, NULL, 10);
	}
	return limit;
}

void aimet__value_release(struct xvalue *v)
{
	if (v->owned && v->t.dtype == AIMET_STRING) {
		struct aimet_string *s = v->owned;
		for (size_t i = 0; i < v->owned_bytes / sizeof(*s); i++)
			free(s[i].data);
	}
	free(v->owned);
	v->owned = NULL;
	v->owned_bytes = 0;
}

/* Give a constant value plan-owned storage for its current dtype and shape (keeping the
 * old contents when the size is unchanged and it already owned them). */
int aimet__value_own(struct aimet_ctx *ctx, struct xvalue *v)
{
	int64_t n = aimet_tensor_numel(&v->t);
	size_t es = aimet_dtype_size(v->t.dtype), bytes;
	if (!es)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "tensor '%s': unsupported dtype %d",
		                   v->name, v->t.dtype);
	if (n < 0 || (uint64_t)n > SIZE_MAX || aimet_mul_size((size_t)n, es, &bytes))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "tensor '%s': size overflows", v->name);
	if (bytes > aimet__mem_limit())
		return aimet_error(ctx, AIMET_ERR_LIMIT, "tensor '%s' would need %zu bytes, more than "
		                   "this machine can hold", v->name, bytes);
	if (!v->owned || v->owned_bytes != bytes) {
		void *d;
		aimet__value_release(v);
		if (!(d = aimet_calloc(bytes ? bytes : 1, 1)))
			return aimet_error(ctx, AIMET_ERR_NOMEM, "tensor '%s': out of memory (%zu bytes)",
			                   v->name, bytes);
		v->owned = d;
		v->owned_bytes = bytes;
	}
	v->t.data = v->owned;
	v->t.nbytes = bytes;
	v->t.borrowed = 1;
	return AIMET_OK;
}

/* Prefix the op's message with the node it concerns (unnamed nodes by their op type). */
int aimet__node_error(struct aimet_ctx *ctx, int st, const struct aimet_node *n)
{
	if (n->name && n->name[0])
		return aimet_error_prefix(ctx, st, "node '%s' (%s)", n->name, n->op_type);
	return aimet_error_prefix(ctx, st, "%s node", n->op_type);
}

static int is_default_domain(const char *d)
{
	return !d || !d[0] || !strcmp(d, "ai.onnx");
}

static int is_op(const struct aimet_node *n, const char *type)
{
	return is_default_domain(n->domain) && n->op_type && !strcmp(n->op_type, type);
}

/* Shape and Size need only the input's shape: the executor computes them itself. */
static int is_native(const struct aimet_node *n)
{
	return is_op(n, "Shape") || is_op(n, "Size");
}

static int64_t domain_opset(const struct aimet_model *m, const char *domain)
{
	for (size_t i = 0; i < m->n_opsets; i++) {
		const char *d = m->opsets[i].domain;
		if (is_default_domain(domain) ? is_default_domain(d) : (d && !strcmp(d, domain)))
			return m->opsets[i].version;
	}
	return 0;
}

/* An op context for running node n alone (one thread, no fused clamp). */
void aimet__node_ctx(struct aimet_op_ctx *c, struct aimet_ctx *ctx, const struct xnode *n)
{
	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->node = n->node;
	c->opset = n->opset;
	c->n_in = n->node->n_inputs;
	c->n_out = n->node->n_outputs;
	c->in = n->tin;
	c->out = n->tout;
	c->threads = 1;
	c->act_lo = -INFINITY;
	c->act_hi = INFINITY;
}

static int fold_native(struct aimet_ctx *ctx, struct aimet_plan *p, struct xnode *n)
{
	const struct aimet_tensor *x = n->tin[0];
	struct xvalue *v;
	int st;
	if (n->node->n_inputs < 1 || !x || n->node->n_outputs < 1 || n->out[0] < 0)
		return aimet_error(ctx, AIMET_ERR_INVALID, "node '%s': %s needs one input and one output",
		                   n->node->name ? n->node->name : "", n->node->op_type);
	v = p->values[n->out[0]];
	if (is_op(n->node, "Size")) {
		aimet_tensor_set_shape(&v->t, AIMET_INT64, 0, NULL);
		if ((st = aimet__value_own(ctx, v)))
			return st;
		*(int64_t *)v->t.data = aimet_shape_numel(x->ndim, x->dims);
	} else {
		int64_t r = x->ndim, start = 0, end = r, d;
		if (n->opset >= 15) {
			start = aimet_node_attr_int(n->node, "start", 0);
			end = aimet_node_attr_int(n->node, "end", r);
		}
		if (start < 0) start += r;
		if (end < 0) end += r;
		start = start < 0 ? 0 : start > r ? r : start;
		end = end < 0 ? 0 : end > r ? r : end;
		d = end > start ? end - start : 0;
		aimet_tensor_set_shape(&v->t, AIMET_INT64, 1, &d);
		if ((st = aimet__value_own(ctx, v)))
			return st;
		for (int64_t i = 0; i < d; i++)
			((int64_t *)v->t.data)[i] = x->dims[start + i];
	}
	return AIMET_OK;
}

/* Compute a node whose inputs are all known (weights, folded values, shapes) once, with its
 * reference kernel, into plan-owned outputs. */
int aimet__fold_node(struct aimet_ctx *ctx, struct aimet_plan *p, int ni, int do_infer)
{
	struct xnode *n = &p->nodes[ni];
	struct aimet_op_ctx c;
	const char *nm = n->node->name ? n->node->name : "";
	int st;
	if (!n->op)
		return fold_native(ctx, p, n);
	aimet__node_ctx(&c, ctx, n);
	if (do_infer) {
		for (int i = 0; i < c.n_out; i++)
			aimet_tensor_set_shape(n->tout[i], AIMET_UNDEFINED, 0, NULL);
		if ((st = n->op->infer(&c)))
			return aimet__node_error(ctx, st, n->node);
	}
	for (int i = 0; i < c.n_out; i++)
		if ((st = aimet__value_own(ctx, p->values[n->out[i]])))
			return aimet__node_error(ctx, st, n->node);
	if (n->op->prepare && (st = n->op->prepare(&c))) {
		if (n->op->free_state)
			n->op->free_state(c.state);
		return aimet__node_error(ctx, st, n->node);
	}
	if (c.workspace_size && !(c.workspace = aimet_malloc(c.workspace_size))) {
		if (n->op->free_state)
			n->op->free_state(c.state);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "node '%s': out of memory", nm);
	}
	n->op->ref(&c);
	free(c.workspace);
	if (n->op->free_state)
		n->op->free_state(c.state);
	return AIMET_OK;
}

/* ---- topological order (stable: a sorted graph keeps its order) ---- */

static void heap_push(int *h, size_t *n, int v)
{
	size_t i = (*n)++;
	while (i && h[(i - 1) / 2] > v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static int heap_pop(int *h, size_t *n)
{
	int top = h[0], last = h[--*n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (last <= h[c])
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = last;
	return top;
}

static int topo_sort(struct aimet_ctx *ctx, struct aimet_plan *p)
{
	size_t n = p->n_nodes, nh = 0, k = 0, ne = 0;
	int *indeg = aimet_calloc(n, sizeof(int)), *heap = aimet_calloc(n, sizeof(int));
	size_t *first = aimet_calloc(n + 1, sizeof(size_t));
	int *adj = NULL, st = AIMET_OK;
	p->order = aimet_calloc(n, sizeof(int));
	if (!indeg || !heap || !first || !p->order) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* edges producer -> consumer, one per input reference, in CSR form */
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < p->nodes[i].node->n_inputs; j++) {
			int v = p->nodes[i].in[j];
			if (v >= 0 && p->values[v]->producer >= 0) {
				first[p->values[v]->producer + 1]++;
				indeg[i]++;
				ne++;
			}
		}
	for (size_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	if (!(adj = aimet_calloc(ne, sizeof(int)))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	{
		size_t *fill = aimet_calloc(n + 1, sizeof(size_t));
		if (!fill) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < p->nodes[i].node->n_inputs; j++) {
				int v = p->nodes[i].in[j];
				if (v >= 0 && p->values[v]->producer >= 0) {
					int pr = p->values[v]->producer;
					adj[first[pr] + fill[pr]++] = (int)i;
				}
			}
		free(fill);
	}
	for (size_t i = 0; i < n; i++)
		if (!indeg[i])
			heap_push(heap, &nh, (int)i);
	while (nh) {
		int i = heap_pop(heap, &nh);
		p->order[k++] = i;
		for (size_t e = first[i]; e < first[i + 1]; e++)
			if (--indeg[adj[e]] == 0)
				heap_push(heap, &nh, adj[e]);
	}
	if (k != n) {
		for (size_t i = 0; i < n; i++)
			if (indeg[i]) {
				st = aimet_error(ctx, AIMET_ERR_INVALID, "graph has a cycle through node '%s'",
				                 p->nodes[i].node->name ? p->nodes[i].node->name : "");
				break;
			}
	}
out:
	free(indeg);
	free(heap);
	free(first);
	free(adj);
	return st;
}

/* ---- fusions ---- */

static int const_f32(const struct aimet_plan *p, int v, int64_t numel)
{
	const struct xvalue *x;
	if (v < 0)
		return 0;
	x = p->values[v];
	return x->dep == DEP_CONST && x->t.data && x->t.dtype == AIMET_FLOAT &&
	       (numel < 0 || aimet_tensor_numel(&x->t) == numel);
}

/* A value that can disappear into a fused step: made by a single-output node, read once,
 * not a graph output, not asked for and not fake-quantized (a plan made again at prepare
 * time may already have quantizers: every quantized value must exist). */
static int fusable_value(const struct aimet_plan *p, int v)
{
	const struct xvalue *x = p->values[v];
	return x->n_consumers == 1 && !x->is_output && !x->keep && !x->has_fq && x->dep == DEP_DATA;
}

static int consumer_of(const struct aimet_plan *p, int v)
{
	for (size_t i = 0; i < p->n_nodes; i++) {
		const struct xnode *n = &p->nodes[i];
		if (n->dead)
			continue;
		for (int j = 0; j < n->node->n_inputs; j++)
			if (n->in[j] == v)
				return (int)i;
	}
	return -1;
}

int aimet__bnfold_compute(struct aimet_ctx *ctx, struct aimet_plan *p, struct xbnfold *f)
{
	struct xvalue *w = p->values[f->w], *wf = p->values[f->wf], *bf = p->values[f->bf];
	const float *W = w->t.data, *B = f->b >= 0 ? p->values[f->b]->t.data : NULL;
	const float *sc = p->values[f->scale]->t.data, *bb = p->values[f->bias]->t.data;
	const float *mu = p->values[f->mean]->t.data, *var = p->values[f->var]->t.data;
	int64_t C = w->t.dims[0], per = C ? aimet_tensor_numel(&w->t) / C : 0;
	int st;
	aimet_tensor_set_shape(&wf->t, AIMET_FLOAT, w->t.ndim, w->t.dims);
	aimet_tensor_set_shape(&bf->t, AIMET_FLOAT, 1, &C);
	if ((st = aimet__value_own(ctx, wf)) || (st = aimet__value_own(ctx, bf)))
		return st;
	for (int64_t c = 0; c < C; c++) {
		/* in double, rounded once: the folded weights are as close to exact as floats allow */
		double s = (double)sc[c] / sqrt((double)var[c] + (double)f->eps);
		for (int64_t i = 0; i < per; i++)
			((float *)wf->t.data)[c * per + i] = (float)(W[c * per + i] * s);
		((float *)bf->t.data)[c] = (float)(((B ? B[c] : 0.0) - mu[c]) * s + bb[c]);
	}
	return AIMET_OK;
}

static int try_bnfold(struct aimet_ctx *ctx, struct aimet_plan *p, int bi)
{
	struct xnode *bn = &p->nodes[bi], *cv;
	const struct aimet_node *b = bn->node;
	struct xbnfold f;
	int x, ci, st;
	int64_t C;
	char name[512];
	if (!is_op(b, "BatchNormalization") || bn->dead || bn->dep != DEP_DATA || b->n_inputs != 5)
		return 0;
	for (int j = 1; j < b->n_outputs; j++)
		if (bn->out[j] >= 0 && p->values[bn->out[j]]->kind != V_SCRATCH)
			return 0;
	if (aimet_node_attr_int(b, "training_mode", 0) || !aimet_node_attr_int(b, "spatial", 1))
		return 0;
	x = bn->in[0];
	if (x < 0 || !fusable_value(p, x) || (ci = p->values[x]->producer) < 0)
		return 0;
	cv = &p->nodes[ci];
	if (!is_op(cv->node, "Conv") || cv->absorbed || cv->dead || cv->node->n_outputs != 1 ||
	    cv->node->n_inputs < 2 || !const_f32(p, cv->in[1], -1))
		return 0;
	if (p->values[cv->in[1]]->t.ndim < 3)
		return 0;
	C = p->values[cv->in[1]]->t.dims[0];
	if (cv->node->n_inputs >= 3 && cv->in[2] >= 0 && !const_f32(p, cv->in[2], C))
		return 0;
	for (int j = 1; j < 5; j++)
		if (!const_f32(p, bn->in[j], C))
			return 0;
	memset(&f, 0, sizeof(f));
	f.conv = ci;
	f.bn = bi;
	f.w = cv->in[1];
	f.b = cv->node->n_inputs >= 3 ? cv->in[2] : -1;
	f.scale = bn->in[1];
	f.bias = bn->in[2];
	f.mean = bn->in[3];
	f.var = bn->in[4];
	f.eps = aimet_node_attr_float(b, "epsilon", 1e-5f);
	/* names for the plan's own values, made unique against the model's */
	for (int k = 0;; k++) {
		snprintf(name, sizeof(name), "%.400s/bn_folded_weight%.0d", b->name ? b->name : "", k);
		if (aimet__value_find(p, name) < 0)
			break;
	}
	if ((f.wf = value_add(p, name, 1, V_FOLDED)) < 0)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (int k = 0;; k++) {
		snprintf(name, sizeof(name), "%.400s/bn_folded_bias%.0d", b->name ? b->name : "", k);
		if (aimet__value_find(p, name) < 0)
			break;
	}
	if ((f.bf = value_add(p, name, 1, V_FOLDED)) < 0)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	p->values[f.wf]->dep = p->values[f.bf]->dep = DEP_CONST;
	if ((st = aimet__bnfold_compute(ctx, p, &f)))
		return st;
	{
		struct xbnfold *nf = aimet_realloc_array(p->folds, p->n_folds + 1, sizeof(f));
		if (!nf)
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		p->folds = nf;
		p->folds[p->n_folds++] = f;
	}
	bn->absorbed = 1;
	p->values[x]->fused_away = 1;
	return 0;
}

/* The clamp a Relu or Clip node applies, when it can be fused (constant bounds). */
int aimet__clamp_bounds(const struct aimet_plan *p, const struct xnode *a, float *lo, float *hi)
{
	if (is_op(a->node, "Relu")) {
		*lo = 0;
		*hi = INFINITY;
		return 1;
	}
	if (!is_op(a->node, "Clip"))
		return 0;
	if (a->opset < 11) {
		*lo = aimet_node_attr_float(a->node, "min", -FLT_MAX);
		*hi = aimet_node_attr_float(a->node, "max", FLT_MAX);
		return 1;
	}
	*lo = -INFINITY;
	*hi = INFINITY;
	if (a->node->n_inputs >= 2 && a->in[1] >= 0) {
		if (!const_f32(p, a->in[1], 1))
			return 0;
		*lo = *(const float *)p->values[a->in[1]]->t.data;
	}
	if (a->node->n_inputs >= 3 && a->in[2] >= 0) {
		if (!const_f32(p, a->in[2], 1))
			return 0;
		*hi = *(const float *)p->values[a->in[2]]->t.data;
	}
	return !isnan(*lo) && !isnan(*hi);
}

/* The library's own op for the node (a substituted op may compute something else). */
static int own_op(const struct xnode *n, const char *type)
{
	return is_op(n->node, type) && n->op && n->op == aimet_op_find(NULL, type);
}

int aimet__ew_kind(const struct aimet_plan *p, const struct xnode *n)
{
	static const struct { const char *type; int kind, n_in, since; } bin[] = {
		{"Add", AIMET_EW_ADD, 2, 7}, {"Sub", AIMET_EW_SUB, 2, 7}, {"Mul", AIMET_EW_MUL, 2, 7},
		{"Div", AIMET_EW_DIV, 2, 7}, {"Max", AIMET_EW_MAX, 2, 8}, {"Min", AIMET_EW_MIN, 2, 8},
		{"Relu", AIMET_EW_RELU, 1, 6}, {"HardSigmoid", AIMET_EW_HARDSIGMOID, 1, 6},
		{"HardSwish", AIMET_EW_HARDSWISH, 1, 14}, {"Sigmoid", AIMET_EW_SIGMOID, 1, 6},
	};
	float lo, hi;
	if (!n->op || n->node->n_outputs != 1 || n->out[0] < 0 || n->node->n_inputs < 1 ||
	    n->in[0] < 0)
		return 0;
	/* older opsets: legacy broadcast attributes, consumed_inputs */
	for (size_t i = 0; i < sizeof(bin) / sizeof(bin[0]); i++)
		if (own_op(n, bin[i].type))
			return n->node->n_inputs == bin[i].n_in && n->opset >= bin[i].since &&
			       (bin[i].n_in == 1 || n->in[1] >= 0) ? bin[i].kind : 0;
	if (own_op(n, "Clip") && n->opset >= 6 && aimet__clamp_bounds(p, n, &lo, &hi) && lo <= hi)
		return AIMET_EW_CLAMP;
	return 0;
}

/* Can value ov be the second operand of a chain whose input is cin, the chain's step standing
 * where the head is now in the order? A constant scalar or per-channel vector, the chain's
 * input, or a run-time value computed by an earlier step. Shapes are checked at prepare. */
static int ew_operand_ok(const struct aimet_plan *p, int ov, int cin)
{
	const struct xvalue *x;
	int non1 = 0;
	if (ov < 0)
		return 0;
	if (ov == cin)
		return 1;
	x = p->values[ov];
	if (x->dep == DEP_CONST) {
		if (!const_f32(p, ov, -1) || aimet_tensor_numel(&x->t) < 1)
			return 0;
		for (int d = 0; d < x->t.ndim; d++)
			non1 += x->t.dims[d] != 1;
		return non1 <= 1;
	}
	return x->dep == DEP_DATA && !x->fused_away &&
	       (x->producer < 0 || p->nodes[x->producer].step >= 0);
}

/* The longest chain of elementwise nodes from node `head` (see aimet__ew_kind) whose inner
 * values are read by the next node only; its node indices in chain[], its input in *cin.
 * cons[v]: the one live node reading value v, when there is one. Returns the length. */
static int ew_chain(const struct aimet_plan *p, int head, const int *cons, int *chain, int *cin)
{
	const struct xnode *n = &p->nodes[head];
	int kind = aimet__ew_kind(p, n), len = 1, cur;
	if (!kind)
		return 0;
	*cin = n->in[0];
	if (kind <= AIMET_EW_MIN) {
		int other = n->in[1];
		if (p->values[*cin]->dep != DEP_DATA) {
			*cin = n->in[1];
			other = n->in[0];
		}
		if (p->values[*cin]->dep != DEP_DATA || !ew_operand_ok(p, other, *cin))
			return 0;
	}
	chain[0] = head;
	cur = n->out[0];
	while (len < AIMET_EW_MAX_INSTR && fusable_value(p, cur) && cons[cur] >= 0) {
		const struct xnode *m = &p->nodes[cons[cur]];
		if (m->dead || m->absorbed || m->dep != DEP_DATA || !(kind = aimet__ew_kind(p, m)))
			break;
		if (kind <= AIMET_EW_MIN) {
			if (m->in[0] == cur ? !ew_operand_ok(p, m->in[1], *cin)
			                    : m->in[1] != cur || !ew_operand_ok(p, m->in[0], *cin))
				break;
		} else if (m->in[0] != cur) {
			break;   /* a Clip bound computed from the chain */
		}
		chain[len++] = cons[cur];
		cur = m->out[0];
	}
	return len;
}

/* Lay out step s as the chain's one step. */
static int ew_step(struct aimet_ctx *ctx, struct aimet_plan *p, struct xstep *s, const int *chain,
                   int len, int cin)
{
	const struct xnode *n = &p->nodes[chain[0]];
	size_t lab = 1, cap = 1;
	int last = chain[len - 1];
	for (int k = 0; k < len; k++)
		cap += (size_t)p->nodes[chain[k]].node->n_inputs;
	s->chain = aimet_calloc((size_t)len, sizeof(int));
	s->in = aimet_calloc(cap, sizeof(int));
	s->out = aimet_calloc(1, sizeof(int));
	s->tin = aimet_calloc(cap, sizeof(*s->tin));
	s->tout = aimet_calloc(1, sizeof(*s->tout));
	for (int k = 0; k < len; k++)
		lab += strlen(p->nodes[chain[k]].node->op_type) + 1;
	s->label = aimet_calloc(lab, 1);
	if (!s->chain || !s->in || !s->out || !s->tin || !s->tout || !s->label)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	memcpy(s->chain, chain, (size_t)len * sizeof(int));
	s->n_chain = len;
	s->plan = p;
	s->in[s->n_in++] = cin;
	for (int k = 0; k < len; k++) {
		const struct xnode *m = &p->nodes[chain[k]];
		int inner = k ? p->nodes[chain[k - 1]].out[0] : -1;
		if (k) {
			p->nodes[chain[k]].absorbed = 1;
			p->nodes[chain[k]].step = n->step;
			p->values[inner]->fused_away = 1;
		}
		for (int j = 0; j < m->node->n_inputs; j++) {
			int v = m->in[j], dup = 0;
			if (v < 0 || v == inner)
				continue;
			for (int i = 0; i < s->n_in; i++)
				dup |= s->in[i] == v;
			if (!dup)
				s->in[s->n_in++] = v;
		}
		if (k)
			strcat(s->label, "+");
		strcat(s->label, m->node->op_type);
	}
	s->n_out = 1;
	s->out[0] = p->nodes[last].out[0];
	for (int j = 0; j < s->n_in; j++)
		s->tin[j] = &p->values[s->in[j]]->t;
	s->tout[0] = &p->values[s->out[0]]->t;
	p->values[s->out[0]]->step = n->step;
	memset(&s->c, 0, sizeof(s->c));
	s->c.node = n->node;
	s->c.opset = n->opset;
	s->c.n_in = s->n_in;
	s->c.n_out = 1;
	s->c.in = s->tin;
	s->c.out = s->tout;
	s->c.threads = 1;
	s->c.act_lo = s->pub.act_lo = -INFINITY;
	s->c.act_hi = s->pub.act_hi = INFINITY;
	s->pub.node = n->node;
	s->pub.op = &aimet__ewchain_op;
	s->pub.n_in = s->n_in;
	s->pub.n_out = 1;
	s->pub.in = s->tin;
	s->pub.out = s->tout;
	s->pub.label = s->label;
	return AIMET_OK;
}

static int synth_node(struct aimet_ctx *ctx, struct aimet_plan *p, struct xstep *s)
{
	const struct aimet_node *h = p->nodes[s->node].node;
	s->synth = *h;
	s->synth_in = aimet_calloc((size_t)s->n_in, sizeof(char *));
	s->synth_out = aimet_calloc((size_t)s->n_out, sizeof(char *));
	if (!s->synth_in || !s->synth_out)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (int j = 0; j < s->n_in; j++)
		s->synth_in[j] = s->in[j] >= 0 ? (char *)p->values[s->in[j]]->name : "";
	for (int j = 0; j < s->n_out; j++)
		s->synth_out[j] = (char *)p->values[s->out[j]]->name;
	s->synth.inputs = s->synth_in;
	s->synth.n_inputs = s->n_in;
	s->synth.outputs = s->synth_out;
	s->synth.n_outputs = s->n_out;
	return AIMET_OK;
}

static int build_steps(struct aimet_ctx *ctx, struct aimet_plan *p)
{
	size_t ns = 0;
	int *fold_of = NULL, *cons = NULL, st = AIMET_OK, chain[AIMET_EW_MAX_INSTR];
	int ew = !p->opts.no_fuse && !p->opts.use_ref;   /* the reference path runs node by node */
	for (size_t k = 0; k < p->n_nodes; k++) {
		const struct xnode *n = &p->nodes[p->order[k]];
		if (!n->dead && !n->absorbed && n->dep == DEP_DATA)
			ns++;
	}
	p->steps = aimet_calloc(ns, sizeof(*p->steps));
	p->needed_mark = aimet_calloc(ns, 1);
	fold_of = aimet_calloc(p->n_nodes, sizeof(int));
	if (!p->steps || !p->needed_mark || !fold_of) {
		free(fold_of);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < p->n_nodes; i++)
		fold_of[i] = -1;
	for (size_t f = 0; f < p->n_folds; f++)
		fold_of[p->folds[f].conv] = (int)f;
	if (ew) {
		if (!(cons = aimet_calloc(p->n_values, sizeof(int)))) {
			free(fold_of);
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		}
		for (size_t v = 0; v < p->n_values; v++)
			cons[v] = -1;
		for (size_t i = 0; i < p->n_nodes; i++)
			for (int j = 0; !p->nodes[i].dead && j < p->nodes[i].node->n_inputs; j++)
				if (p->nodes[i].in[j] >= 0 && p->values[p->nodes[i].in[j]]->n_consumers == 1)
					cons[p->nodes[i].in[j]] = (int)i;
	}
	for (size_t k = 0; k < p->n_nodes; k++) {
		int ni = p->order[k];
		struct xnode *n = &p->nodes[ni];
		struct xstep *s;
		int out;
		float lo = -INFINITY, hi = INFINITY;
		if (n->dead || n->absorbed || n->dep != DEP_DATA)
			continue;
		s = &p->steps[p->n_steps];
		if (ew && fold_of[ni] < 0) {
			int len = ew_chain(p, ni, cons, chain, &out), clamps = 1;
			for (int k = 1; k < len; k++) {
				int kind = aimet__ew_kind(p, &p->nodes[chain[k]]);
				clamps &= kind == AIMET_EW_CLAMP || kind == AIMET_EW_RELU;
			}
			/* an op with its Relu/Clip after it: the op's own fused clamp (below) */
			if (len >= 2 && !(n->op->fuse_clamp && clamps)) {
				s->node = ni;
				s->bn = s->act = -1;
				n->step = (int)p->n_steps++;
				if ((st = ew_step(ctx, p, s, chain, len, out)))
					break;
				continue;
			}
		}
		s->node = ni;
		s->bn = s->act = -1;
		n->step = (int)p->n_steps++;
		s->n_in = n->node->n_inputs;
		s->n_out = n->node->n_outputs;
		if (fold_of[ni] >= 0) {
			const struct xbnfold *f = &p->folds[fold_of[ni]];
			s->bn = f->bn;
			s->n_in = 3;
		}
		/* Relu/Clip after a clamp-fusing op (or its folded BN); a chain of them (ReLU6
		 * exported as Relu then Clip) is one clamp with the bounds intersected */
		out = s->bn >= 0 ? p->nodes[s->bn].out[0] : (n->node->n_outputs == 1 ? n->out[0] : -1);
		while (!p->opts.no_fuse && n->op && n->op->fuse_clamp && out >= 0 && fusable_value(p, out)) {
			int ai = consumer_of(p, out);
			struct xnode *a = ai >= 0 ? &p->nodes[ai] : NULL;
			float alo, ahi;
			if (!a || a->dep != DEP_DATA || a->node->n_inputs < 1 || a->in[0] != out ||
			    a->node->n_outputs != 1 || a->out[0] < 0 || !aimet__clamp_bounds(p, a, &alo, &ahi) ||
			    fmaxf(lo, alo) > fminf(hi, ahi))
				break;
			lo = fmaxf(lo, alo);
			hi = fminf(hi, ahi);
			s->act = ai;
			a->absorbed = 1;
			a->step = n->step;
			p->values[out]->fused_away = 1;
			out = a->out[0];
		}
		if (s->bn >= 0)
			p->nodes[s->bn].step = n->step;
		s->in = aimet_calloc((size_t)(s->n_in ? s->n_in : 1), sizeof(int));
		s->out = aimet_calloc((size_t)(s->n_out ? s->n_out : 1), sizeof(int));
		s->tin = aimet_calloc((size_t)(s->n_in ? s->n_in : 1), sizeof(*s->tin));
		s->tout = aimet_calloc((size_t)(s->n_out ? s->n_out : 1), sizeof(*s->tout));
		if (!s->in || !s->out || !s->tin || !s->tout) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			break;
		}
		for (int j = 0; j < s->n_in; j++)
			s->in[j] = j < n->node->n_inputs ? n->in[j] : -1;
		for (int j = 0; j < s->n_out; j++)
			s->out[j] = n->out[j];
		if (s->bn >= 0) {
			const struct xbnfold *f = &p->folds[fold_of[ni]];
			s->in[1] = f->wf;
			s->in[2] = f->bf;
			s->out[0] = p->nodes[s->bn].out[0];
		}
		if (s->act >= 0)
			s->out[0] = p->nodes[s->act].out[0];
		if ((is_op(n->node, "Reshape") || is_op(n->node, "Flatten") || is_op(n->node, "Squeeze") ||
		     is_op(n->node, "Unsqueeze") || is_op(n->node, "Identity") ||
		     is_op(n->node, "Dropout")) &&
		    s->n_out == 1 && s->n_in >= 1 && s->in[0] >= 0) {
			const struct xvalue *x = p->values[s->in[0]];
			s->alias = x->kind == V_NODE && x->step >= 0 && x->n_consumers == 1 && !x->is_output &&
			           !x->keep;
		}
		for (int j = 0; j < s->n_in; j++)
			s->tin[j] = s->in[j] >= 0 ? &p->values[s->in[j]]->t : NULL;
		for (int j = 0; j < s->n_out; j++) {
			s->tout[j] = &p->values[s->out[j]]->t;
			p->values[s->out[j]]->step = n->step;
		}
		if (s->bn >= 0 || s->act >= 0) {
			if ((st = synth_node(ctx, p, s)))
				break;
		}
		memset(&s->c, 0, sizeof(s->c));
		s->c.node = (s->bn >= 0 || s->act >= 0) ? &s->synth : n->node;
		s->c.opset = n->opset;
		s->c.n_in = s->n_in;
		s->c.n_out = s->n_out;
		s->c.in = s->tin;
		s->c.out = s->tout;
		s->c.threads = 1;
		s->c.act_lo = lo;
		s->c.act_hi = hi;
		s->pub.node = n->node;
		s->pub.bn = s->bn >= 0 ? p->nodes[s->bn].node : NULL;
		s->pub.act = s->act >= 0 ? p->nodes[s->act].node : NULL;
		s->pub.op = n->op;
		s->pub.n_in = s->n_in;
		s->pub.n_out = s->n_out;
		s->pub.in = s->tin;
		s->pub.out = s->tout;
		s->pub.act_lo = lo;
		s->pub.act_hi = hi;
	}
	free(fold_of);
	free(cons);
	/* Add then Relu/Clip kept apart (the sum is a tensor of its own, e.g. quantized): the
	 * executor may still run them as one step when it fake-quantizes both (run.c) */
	for (size_t i = 0; !st && i + 1 < p->n_steps; i++) {
		struct xstep *a = &p->steps[i], *b = &p->steps[i + 1];
		const struct xnode *bn = &p->nodes[b->node];
		float lo, hi;
		a->pair_ok = 0;
		if (a->n_chain || b->n_chain ||
		    !is_op(p->nodes[a->node].node, "Add") || !is_default_domain(p->nodes[a->node].node->domain) ||
		    a->bn >= 0 || a->act >= 0 || a->alias || a->n_out != 1 || a->out[0] < 0 ||
		    b->bn >= 0 || b->act >= 0 || b->alias || b->n_out != 1 || b->out[0] < 0 ||
		    b->n_in < 1 || b->in[0] != a->out[0] || p->values[a->out[0]]->n_consumers != 1 ||
		    p->values[a->out[0]]->is_output || !bn->op || !aimet__clamp_bounds(p, bn, &lo, &hi) ||
		    !(lo <= hi))
			continue;
		a->pair_ok = 1;
		a->pair_lo = lo;
		a->pair_hi = hi;
	}
	return st;
}

static void classify(struct aimet_plan *p);

/* ---- plan construction ---- */

static const char *node_name(const struct aimet_node *n)
{
	return n->name ? n->name : "";
}

static int add_values(struct aimet_ctx *ctx, struct aimet_plan *p)
{
	const struct aimet_graph *g = p->model->graph;
	for (size_t i = 0; i < g->n_initializers; i++) {
		const struct aimet_tensor *t = g->initializers[i];
		int v;
		if (!t->name || !t->name[0])
			return aimet_error(ctx, AIMET_ERR_FORMAT, "initializer %zu has no name", i);
		if (aimet__value_find(p, t->name) >= 0)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "duplicate initializer '%s'", t->name);
		if (t->ndim < 0 || t->ndim > AIMET_MAX_DIMS || aimet_tensor_numel(t) < 0 ||
		    (!t->data && aimet_tensor_numel(t) > 0))
			return aimet_error(ctx, AIMET_ERR_FORMAT, "initializer '%s' has no valid data", t->name);
		if ((v = value_add(p, t->name, 0, V_INIT)) < 0)
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		p->values[v]->init = t;
		p->values[v]->dep = DEP_CONST;
		aimet_tensor_set_shape(&p->values[v]->t, t->dtype, t->ndim, t->dims);
		p->values[v]->t.data = t->data;
		p->values[v]->t.nbytes = t->nbytes;
		p->values[v]->t.borrowed = 1;
	}
	p->inputs = aimet_calloc(g->n_inputs, sizeof(int));
	p->outputs = aimet_calloc(g->n_outputs, sizeof(int));
	if (!p->inputs || !p->outputs)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < g->n_inputs; i++) {
		const char *name = g->inputs[i].name;
		int v;
		if (!name || !name[0])
			return aimet_error(ctx, AIMET_ERR_FORMAT, "graph input %zu has no name", i);
		if (!g->inputs[i].elem_type && g->inputs[i].raw_type.len)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "input '%s' is not a tensor (sequence, map and optional values are "
			                   "not supported)", name);
		if ((v = aimet__value_find(p, name)) >= 0) {
			if (p->values[v]->kind == V_INIT)
				continue;   /* an initializer listed as input: a constant (its default) */
			return aimet_error(ctx, AIMET_ERR_FORMAT, "duplicate graph input '%s'", name);
		}
		if ((v = value_add(p, name, 0, V_INPUT)) < 0)
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		p->values[v]->dep = DEP_DATA;
		p->values[v]->input_index = p->n_inputs;
		p->values[v]->t.borrowed = 1;
		p->inputs[p->n_inputs++] = v;
	}
	return AIMET_OK;
}

static int add_nodes(struct aimet_ctx *ctx, struct aimet_plan *p)
{
	const struct aimet_graph *g = p->model->graph;
	const struct aimet_op *(*find)(const char *, const char *) =
		p->opts.find_op ? p->opts.find_op : aimet_op_find;
	char unsup[600] = "";
	size_t n_unsup = 0, first_unsup = 0;
	p->n_nodes = g->n_nodes;
	p->nodes = aimet_calloc(g->n_nodes, sizeof(*p->nodes));
	if (!p->nodes)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct xnode *n = &p->nodes[i];
		const struct aimet_node *nd = g->nodes[i];
		n->node = nd;
		n->step = -1;
		if (!nd->op_type || nd->n_inputs < 0 || nd->n_outputs < 0)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "node %zu has no op type", i);
		n->opset = domain_opset(p->model, nd->domain);
		if (n->opset == 0)
			return aimet_error(ctx, AIMET_ERR_FORMAT,
			                   "node '%s': the model imports no opset for domain '%s'",
			                   node_name(nd), is_default_domain(nd->domain) ? "ai.onnx" : nd->domain);
		if (n->opset < 0)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "node '%s': invalid opset %lld for domain '%s'",
			                   node_name(nd), (long long)n->opset,
			                   is_default_domain(nd->domain) ? "ai.onnx" : nd->domain);
		if (is_default_domain(nd->domain) && n->opset > AIMET_MAX_OPSET)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "opset %lld is newer than the executor knows (up to %d)",
			                   (long long)n->opset, AIMET_MAX_OPSET);
		n->op = find(nd->domain, nd->op_type);
		if (n->op && n->op->since_opset > 0 && n->opset && n->opset < n->op->since_opset)
			n->op = NULL;
		if (!n->op && !is_native(nd)) {
			/* name the first unsupported op exactly, then the other distinct types */
			char quoted[80];
			snprintf(quoted, sizeof(quoted), "'%.60s'", nd->op_type);
			if (!n_unsup++) {
				first_unsup = i;
			} else if (strcmp(nd->op_type, g->nodes[first_unsup]->op_type) &&
			           !strstr(unsup, quoted) && strlen(unsup) < 400) {
				size_t l = strlen(unsup);
				snprintf(unsup + l, sizeof(unsup) - l, "%s%s", l ? ", " : "", quoted);
			}
		}
		n->in = aimet_calloc((size_t)(nd->n_inputs ? nd->n_inputs : 1), sizeof(int));
		n->out = aimet_calloc((size_t)(nd->n_outputs ? nd->n_outputs : 1), sizeof(int));
		n->tin = aimet_calloc((size_t)(nd->n_inputs ? nd->n_inputs : 1), sizeof(*n->tin));
		n->tout = aimet_calloc((size_t)(nd->n_outputs ? nd->n_outputs : 1), sizeof(*n->tout));
		if (!n->in || !n->out || !n->tin || !n->tout)
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if (n_unsup) {
		const struct aimet_node *nd = g->nodes[first_unsup];
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "unsupported op '%s%s%.60s' (node '%.200s', opset %lld)%s%s",
		                   is_default_domain(nd->domain) ? "" : nd->domain,
		                   is_default_domain(nd->domain) ? "" : ".", nd->op_type,
		                   node_name(nd), (long long)p->nodes[first_unsup].opset,
		                   unsup[0] ? "; also " : "", unsup);
	}
	/* outputs first, so inputs can refer to values made by later nodes (unsorted graphs) */
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct xnode *n = &p->nodes[i];
		for (int j = 0; j < n->node->n_outputs; j++) {
			const char *name = n->node->outputs[j];
			int v;
			if (!name || !name[0]) {
				if ((v = value_add(p, "", 0, V_SCRATCH)) < 0)
					return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			} else {
				if (aimet__value_find(p, name) >= 0)
					return aimet_error(ctx, AIMET_ERR_FORMAT,
					                   "tensor '%s' is produced twice (node '%s')", name,
					                   node_name(n->node));
				if ((v = value_add(p, name, 0, V_NODE)) < 0)
					return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			}
			p->values[v]->producer = (int)i;
			n->out[j] = v;
		}
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct xnode *n = &p->nodes[i];
		for (int j = 0; j < n->node->n_inputs; j++) {
			const char *name = n->node->inputs[j];
			if (!name || !name[0]) {
				n->in[j] = -1;
				continue;
			}
			if ((n->in[j] = aimet__value_find(p, name)) < 0)
				return aimet_error(ctx, AIMET_ERR_INVALID,
				                   "node '%s': input '%s' is not produced by any node, input or "
				                   "initializer", node_name(n->node), name);
		}
	}
	if (!g->n_outputs)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "the graph has no outputs");
	for (size_t i = 0; i < g->n_outputs; i++) {
		const char *name = g->outputs[i].name;
		int v = aimet__value_find(p, name ? name : "");
		if (v < 0)
			return aimet_error(ctx, AIMET_ERR_INVALID,
			                   "graph output '%s' is not produced by any node, input or initializer",
			                   name ? name : "");
		if (!g->outputs[i].elem_type && g->outputs[i].raw_type.len)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "output '%s' is not a tensor (sequence, map and optional values are "
			                   "not supported)", name);
		p->outputs[p->n_outputs++] = v;
		p->values[v]->is_output = 1;
	}
	return AIMET_OK;
}

/* Which values are known when: weights, shapes, or only at run time. */
static void classify(struct aimet_plan *p)
{
	for (int i = 0; i < p->n_inputs; i++)
		p->values[p->inputs[i]]->dep = p->values[p->inputs[i]]->spec ? DEP_SHAPE : DEP_DATA;
	for (size_t k = 0; k < p->n_nodes; k++) {
		struct xnode *n = &p->nodes[p->order[k]];
		int dep = DEP_CONST;
		for (int j = 0; j < n->node->n_inputs; j++)
			if (n->in[j] >= 0 && p->values[n->in[j]]->dep > dep)
				dep = p->values[n->in[j]]->dep;
		if (is_native(n->node) && dep == DEP_DATA)
			dep = DEP_SHAPE;
		n->dep = dep;
		for (int j = 0; j < n->node->n_outputs; j++)
			p->values[n->out[j]]->dep = dep;
	}
}

/* Dead-code removal: only nodes that contribute to an output (or a kept tensor) run. */
static void mark_needed(struct aimet_plan *p)
{
	for (int i = 0; i < p->n_outputs; i++)
		p->values[p->outputs[i]]->needed = 1;
	for (size_t v = 0; v < p->n_values; v++)
		if (p->values[v]->keep || p->no_dce)
			p->values[v]->needed = 1;
	for (size_t k = p->n_nodes; k-- > 0;) {
		struct xnode *n = &p->nodes[p->order[k]];
		int live = 0;
		for (int j = 0; j < n->node->n_outputs; j++)
			if (p->values[n->out[j]]->needed)
				live = 1;
		n->dead = !live;
		if (live)
			for (int j = 0; j < n->node->n_inputs; j++)
				if (n->in[j] >= 0)
					p->values[n->in[j]]->needed = 1;
	}
	for (size_t i = 0; i < p->n_nodes; i++) {
		struct xnode *n = &p->nodes[i];
		if (n->dead)
			continue;
		for (int j = 0; j < n->node->n_inputs; j++)
			if (n->in[j] >= 0)
				p->values[n->in[j]]->n_consumers++;
	}
}

int aimet__plan_new_impl(struct aimet_ctx *ctx, const struct aimet_model *model,
                         const struct aimet_plan_opts *opts, int no_dce, struct aimet_plan **out)
{
	struct aimet_plan *p;
	int st;
	*out = NULL;
	if (!model || !model->graph)
		return aimet_error(ctx, AIMET_ERR_INVALID, "model has no graph");
	if (!(p = calloc(1, sizeof(*p))))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	p->model = model;
	if (opts)
		p->opts = *opts;
	p->opts.keep = NULL;
	p->opts.n_keep = 0;
	if (opts && opts->n_keep < 0) {
		st = aimet_error(ctx, AIMET_ERR_INVALID, "negative keep count");
		goto fail;
	}
	p->no_dce = no_dce;
	p->infer_only = no_dce;
	if ((st = add_values(ctx, p)) || (st = add_nodes(ctx, p)))
		goto fail;
	for (int i = 0; opts && i < opts->n_keep; i++) {
		int v = aimet__value_find(p, opts->keep[i]);
		if (v < 0) {
			st = aimet_error(ctx, AIMET_ERR_INVALID, "no tensor named '%s' in the model",
			                 opts->keep[i] ? opts->keep[i] : "");
			goto fail;
		}
		p->values[v]->keep = 1;
	}
	for (size_t i = 0; i < p->n_nodes; i++) {
		struct xnode *n = &p->nodes[i];
		for (int j = 0; j < n->node->n_inputs; j++)
			n->tin[j] = n->in[j] >= 0 ? &p->values[n->in[j]]->t : NULL;
		for (int j = 0; j < n->node->n_outputs; j++)
			n->tout[j] = &p->values[n->out[j]]->t;
	}
	if ((st = topo_sort(ctx, p)))
		goto fail;
	classify(p);
	mark_needed(p);
	for (size_t k = 0; k < p->n_nodes; k++) {
		int ni = p->order[k];
		if (!p->nodes[ni].dead && p->nodes[ni].dep == DEP_CONST &&
		    (st = aimet__fold_node(ctx, p, ni, 1)))
			goto fail;
	}
	if (!p->opts.no_fold_bn)
		for (size_t k = 0; k < p->n_nodes; k++)
			if ((st = try_bnfold(ctx, p, p->order[k])))
				goto fail;
	if ((st = build_steps(ctx, p)))
		goto fail;
	*out = p;
	return AIMET_OK;
fail:
	aimet_plan_free(p);
	return st;
}

int aimet_plan_new(struct aimet_ctx *ctx, const struct aimet_model *model,
                   const struct aimet_plan_opts *opts, struct aimet_plan **out)
{
	return aimet__plan_new_impl(ctx, model, opts, 0, out);
}

static void free_steps(struct aimet_plan *p)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		struct xstep *s = &p->steps[i];
		free(s->synth_in);
		free(s->synth_out);
		free(s->chain);
		free(s->label);
		free(s->in);
		free(s->out);
		free(s->tin);
		free(s->tout);
	}
	free(p->steps);
	free(p->needed_mark);
	p->steps = NULL;
	p->needed_mark = NULL;
	p->n_steps = 0;
}

int aimet__replan(struct aimet_ctx *ctx, struct aimet_plan *p)
{
	aimet__unprepare(p);
	free_steps(p);
	classify(p);
	for (size_t i = 0; i < p->n_nodes; i++) {
		p->nodes[i].absorbed = 0;
		p->nodes[i].step = -1;
	}
	for (size_t v = 0; v < p->n_values; v++) {
		p->values[v]->fused_away = 0;
		p->values[v]->step = -1;
	}
	/* keep the BN folds whose nodes still run; the others are computed at prepare */
	for (size_t f = 0; f < p->n_folds;) {
		const struct xbnfold *b = &p->folds[f];
		if (p->nodes[b->conv].dep == DEP_DATA && p->nodes[b->bn].dep == DEP_DATA) {
			p->nodes[b->bn].absorbed = 1;
			p->values[p->nodes[b->conv].out[0]]->fused_away = 1;
			f++;
		} else {
			p->folds[f] = p->folds[--p->n_folds];
		}
	}
	return build_steps(ctx, p);
}

void aimet_plan_free(struct aimet_plan *p)
{
	if (!p)
		return;
	aimet__unprepare(p);
	free_steps(p);
	for (size_t i = 0; i < p->n_nodes; i++) {
		free(p->nodes[i].in);
		free(p->nodes[i].out);
		free(p->nodes[i].tin);
		free(p->nodes[i].tout);
	}
	free(p->nodes);
	for (size_t v = 0; v < p->n_values; v++) {
		aimet__value_release(p->values[v]);
		free(p->values[v]->own_name);
		free(p->values[v]);
	}
	free(p->values);
	free(p->hash);
	free(p->order);
	free(p->inputs);
	free(p->outputs);
	free(p->folds);
	free(p->arena);
	free(p->workspace);
	free(p->input_copy);
	free(p);
}

/* ---- replacing a weight ---- */

int aimet_plan_set_weight(struct aimet_ctx *ctx, struct aimet_plan *p, const char *name,
                          const struct aimet_tensor *w)
{
	int vi = aimet__value_find(p, name), st;
	struct xvalue *v;
	if (vi < 0 || p->values[vi]->dep != DEP_CONST || p->values[vi]->kind == V_FOLDED)
		return aimet_error(ctx, AIMET_ERR_INVALID, "'%s' is not a weight of the model",
		                   name ? name : "");
	v = p->values[vi];
	if (!w || w->dtype != v->t.dtype || w->ndim != v->t.ndim ||
	    (w->ndim && memcmp(w->dims, v->t.dims, (size_t)w->ndim * sizeof(w->dims[0]))) ||
	    w->dtype == AIMET_STRING)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "weight '%s': the new value's dtype or shape differs", name);
	if ((st = aimet__value_own(ctx, v)))
		return st;
	if (w->nbytes != v->t.nbytes || (v->t.nbytes && !w->data))
		return aimet_error(ctx, AIMET_ERR_INVALID, "weight '%s': the new value has no data", name);
	if (v->t.nbytes)
		memcpy(v->t.data, w->data, v->t.nbytes);
	v->dirty = 1;
	/* recompute what depends on it, in order: folded nodes, BN folds, then packed weights */
	for (size_t k = 0; k < p->n_nodes; k++) {
		struct xnode *n = &p->nodes[p->order[k]];
		int dirty = 0;
		if (n->dead || n->dep == DEP_DATA || (n->dep == DEP_SHAPE && !p->prepared))
			continue;
		for (int j = 0; j < n->node->n_inputs; j++)
			if (n->in[j] >= 0 && p->values[n->in[j]]->dirty)
				dirty = 1;
		if (!dirty)
			continue;
		if ((st = aimet__fold_node(ctx, p, p->order[k], 0)))
			goto out;
		for (int j = 0; j < n->node->n_outputs; j++)
			p->values[n->out[j]]->dirty = 1;
	}
	for (size_t f = 0; f < p->n_folds; f++) {
		struct xbnfold *b = &p->folds[f];
		int src[6] = {b->w, b->b, b->scale, b->bias, b->mean, b->var}, dirty = 0;
		for (int j = 0; j < 6; j++)
			if (src[j] >= 0 && p->values[src[j]]->dirty)
				dirty = 1;
		if (!dirty)
			continue;
		if ((st = aimet__bnfold_compute(ctx, p, b)))
			goto out;
		p->values[b->wf]->dirty = p->values[b->bf]->dirty = 1;
	}
	if (p->prepared)
		for (size_t i = 0; i < p->n_steps; i++) {
			struct xstep *s = &p->steps[i];
			int dirty = 0;
			for (int j = 0; j < s->n_in; j++)
				if (s->in[j] >= 0 && p->values[s->in[j]]->dirty)
					dirty = 1;
			if (dirty && (st = aimet__step_prepare(ctx, p, s)))
				goto out;
		}
	if (p->prepared && (st = aimet__ws_reserve(ctx, p)))
		goto out;
	st = AIMET_OK;
out:
	for (size_t i = 0; i < p->n_values; i++)
		p->values[i]->dirty = 0;
	if (st)
		p->prepared = 0;
	return st;
}

const struct aimet_tensor *aimet_plan_constant(const struct aimet_plan *p, const char *name)
{
	int v = aimet__value_find(p, name);
	if (v < 0 || p->values[v]->dep == DEP_DATA || !p->values[v]->t.data)
		return NULL;
	if (p->values[v]->dep == DEP_SHAPE && !p->prepared)
		return NULL;
	return &p->values[v]->t;
}
