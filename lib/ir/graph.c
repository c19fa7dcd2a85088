/* graph.c: graph queries (weights, producers, consumers, topological order, fresh names) and
 * the rewrite helpers that later passes share, so that each pass rewires graphs the same way. */
#include "aimet.h"
#include "aimet_ir.h"

#include <stdlib.h>
#include <string.h>

static int str_eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

/* ---- a small string -> index map (open addressing), keys borrowed ---- */

struct smap { const char **keys; size_t *vals; size_t cap; };

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int smap_init(struct smap *m, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2 + 1) {
		if (cap > SIZE_MAX / 4)
			return -1;
		cap *= 2;
	}
	m->cap = cap;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = calloc(cap, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		return -1;
	}
	return 0;
}

static void smap_free(struct smap *m)
{
	free(m->keys);
	free(m->vals);
}

/* Insert if absent. Returns 1 if inserted, 0 if the key was there (*val gets the old value). */
static int smap_put(struct smap *m, const char *k, size_t v, size_t *old)
{
	size_t i = (size_t)hash_str(k) & (m->cap - 1);
	while (m->keys[i]) {
		if (!strcmp(m->keys[i], k)) {
			if (old)
				*old = m->vals[i];
			return 0;
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->keys[i] = k;
	m->vals[i] = v;
	return 1;
}

static int smap_get(const struct smap *m, const char *k, size_t *v)
{
	size_t i = (size_t)hash_str(k) & (m->cap - 1);
	while (m->keys[i]) {
		if (!strcmp(m->keys[i], k)) {
			*v = m->vals[i];
			return 1;
		}
		i = (i + 1) & (m->cap - 1);
	}
	return 0;
}

/* ---- lookups ---- */

struct aimet_tensor *aimet_graph_find_initializer(const struct aimet_graph *g, const char *name,
                                                  size_t *index)
{
	for (size_t i = 0; i < g->n_initializers; i++)
		if (str_eq(g->initializers[i]->name, name)) {
			if (index)
				*index = i;
			return g->initializers[i];
		}
	return NULL;
}

struct aimet_node *aimet_graph_producer(const struct aimet_graph *g, const char *name,
                                       size_t *index, int *slot)
{
	if (!name || !*name)
		return NULL;
	for (size_t i = 0; i < g->n_nodes; i++)
		for (int j = 0; j < g->nodes[i]->n_outputs; j++)
			if (str_eq(g->nodes[i]->outputs[j], name)) {
				if (index)
					*index = i;
				if (slot)
					*slot = j;
				return g->nodes[i];
			}
	return NULL;
}

static int is_constant(const struct aimet_node *n)
{
	return n->op_type && !strcmp(n->op_type, "Constant") && (!n->domain || !n->domain[0] ||
	                                                         !strcmp(n->domain, "ai.onnx"));
}

static struct aimet_attr *constant_value(struct aimet_node *n)
{
	for (int i = 0; i < n->n_attrs; i++)
		if (str_eq(n->attrs[i].name, "value") && n->attrs[i].type == AIMET_ATTR_TENSOR &&
		    n->attrs[i].t)
			return &n->attrs[i];
	return NULL;
}

struct aimet_tensor *aimet_graph_find_weight(const struct aimet_graph *g, const char *name,
                                             int *kind)
{
	struct aimet_tensor *t = aimet_graph_find_initializer(g, name, NULL);
	struct aimet_node *n;
	struct aimet_attr *a;
	if (kind)
		*kind = AIMET_WEIGHT_NONE;
	if (t) {
		if (kind)
			*kind = AIMET_WEIGHT_INITIALIZER;
		return t;
	}
	n = aimet_graph_producer(g, name, NULL, NULL);
	if (!n || !is_constant(n) || !(a = constant_value(n)))
		return NULL;
	if (kind)
		*kind = AIMET_WEIGHT_CONSTANT;
	return a->t;
}

int aimet_graph_replace_weight(struct aimet_ctx *ctx, struct aimet_graph *g, const char *name,
                               struct aimet_tensor *t)
{
	size_t idx;
	struct aimet_node *n;
	struct aimet_attr *a;
	if (aimet_graph_find_initializer(g, name, &idx))
		return aimet_graph_replace_initializer(ctx, g, name, t);
	n = aimet_graph_producer(g, name, NULL, NULL);
	if (!n || !is_constant(n) || !(a = constant_value(n))) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_INVALID, "no weight named '%s'", name);
	}
	/* the Constant's tensor keeps its own name (often none), as in the file */
	free(t->name);
	t->name = NULL;
	if (a->t->name && !(t->name = strdup(a->t->name))) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	aimet_tensor_free(a->t);
	a->t = t;
	return AIMET_OK;
}

static int is_subgraph(const struct aimet_attr *a)
{
	return (a->type == AIMET_ATTR_GRAPH || a->type == AIMET_ATTR_GRAPHS) && a->raw.len;
}

/* Call fn(name, arg) for each outer-scope name a node's subgraphs read (or, with `all`, every
 * name inside them). Malformed subgraphs are skipped: the loader accepted them as opaque. */
static int each_subgraph_name(const struct aimet_node *n, int all,
                              int (*fn)(const char *, void *), void *arg)
{
	for (int i = 0; i < n->n_attrs; i++) {
		char **v;
		size_t k;
		int stop = 0;
		if (!is_subgraph(&n->attrs[i]) || aimet_attr_subgraph_names(NULL, &n->attrs[i], all, &v, &k))
			continue;
		for (size_t j = 0; j < k && !stop; j++)
			stop = fn(v[j], arg);
		aimet_strv_free(v, k);
		if (stop)
			return stop;
	}
	return 0;
}

static int name_is(const char *s, void *arg) { return !strcmp(s, (const char *)arg); }

static int node_reads(const struct aimet_node *n, const char *name)
{
	for (int i = 0; i < n->n_inputs; i++)
		if (str_eq(n->inputs[i], name))
			return 1;
	return each_subgraph_name(n, 0, name_is, (void *)name);
}

static int rename_in_subgraphs(struct aimet_node *n, const char *from, const char *to)
{
	for (int i = 0; i < n->n_attrs; i++)
		if (is_subgraph(&n->attrs[i]) &&
		    aimet_attr_subgraph_rename(NULL, &n->attrs[i], from, to) == AIMET_ERR_NOMEM)
			return AIMET_ERR_NOMEM;
	return AIMET_OK;
}

size_t aimet_graph_consumers(const struct aimet_graph *g, const char *name, size_t *idx,
                             size_t max)
{
	size_t cnt = 0;
	if (!name || !*name)
		return 0;
	for (size_t i = 0; i < g->n_nodes; i++)
		if (node_reads(g->nodes[i], name)) {
			if (cnt < max)
				idx[cnt] = i;
			cnt++;
		}
	return cnt;
}

int aimet_graph_is_input(const struct aimet_graph *g, const char *name)
{
	for (size_t i = 0; i < g->n_inputs; i++)
		if (str_eq(g->inputs[i].name, name))
			return 1;
	return 0;
}

int aimet_graph_is_output(const struct aimet_graph *g, const char *name)
{
	for (size_t i = 0; i < g->n_outputs; i++)
		if (str_eq(g->outputs[i].name, name))
			return 1;
	return 0;
}

/* ---- topological order: Kahn's algorithm taking the lowest ready position first ---- */

static void heap_push(size_t *h, size_t *n, size_t v)
{
	size_t i = (*n)++;
	while (i && h[(i - 1) / 2] > v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static size_t heap_pop(size_t *h, size_t *n)
{
	size_t top = h[0], v = h[--(*n)], i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (h[c] >= v)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
	return top;
}

/* Every node's reads as one list: inputs, then outer names its subgraphs read. */
struct reads { const char **names; size_t *start, n, cap; char **owned; size_t n_owned, cap_owned; };

static int reads_add(struct reads *r, const char *s)
{
	if (aimet_grow((void **)&r->names, &r->cap, r->n + 1, sizeof(*r->names)))
		return -1;
	r->names[r->n++] = s;
	return 0;
}

static int collect_sub(const char *s, void *arg)
{
	struct reads *r = arg;
	char *c = strdup(s);
	if (!c || aimet_grow((void **)&r->owned, &r->cap_owned, r->n_owned + 1, sizeof(char *))) {
		free(c);
		return -1;
	}
	r->owned[r->n_owned++] = c;
	return reads_add(r, c) ? -1 : 0;
}

static int collect_reads(const struct aimet_graph *g, struct reads *r)
{
	if (!(r->start = calloc(g->n_nodes + 1, sizeof(size_t))))
		return -1;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct aimet_node *nd = g->nodes[i];
		r->start[i] = r->n;
		for (int j = 0; j < nd->n_inputs; j++)
			if (nd->inputs[j] && nd->inputs[j][0] && reads_add(r, nd->inputs[j]))
				return -1;
		if (each_subgraph_name(nd, 0, collect_sub, r) < 0)
			return -1;
	}
	r->start[g->n_nodes] = r->n;
	return 0;
}

static void reads_free(struct reads *r)
{
	aimet_strv_free(r->owned, r->n_owned);
	free(r->names);
	free(r->start);
}

int aimet_graph_topo_order(struct aimet_ctx *ctx, const struct aimet_graph *g, size_t **order)
{
	size_t n = g->n_nodes, n_edges = 0, n_out = 0, hn = 0, done = 0;
	size_t *indeg = NULL, *start = NULL, *edges = NULL, *heap = NULL, *out = NULL, *fill = NULL;
	struct smap prod = {0};
	struct reads reads = {0};
	int rc = AIMET_OK;
	*order = NULL;
	for (size_t i = 0; i < n; i++)
		n_out += (size_t)g->nodes[i]->n_outputs;
	if (smap_init(&prod, n_out))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < g->nodes[i]->n_outputs; j++) {
			const char *o = g->nodes[i]->outputs[j];
			size_t old;
			if (!o || !*o)
				continue;
			if (!smap_put(&prod, o, i, &old)) {
				rc = aimet_error(ctx, AIMET_ERR_INVALID,
				                 "tensor '%s' is produced by two nodes", o);
				goto out;
			}
		}
	indeg = calloc(n + 1, sizeof(size_t));
	start = calloc(n + 2, sizeof(size_t));
	if (!indeg || !start)
		goto oom;
	/* edges producer -> consumer in CSR form, one per input occurrence (subgraph reads too) */
	if (collect_reads(g, &reads))
		goto oom;
	for (size_t i = 0; i < n; i++)
		for (size_t j = reads.start[i]; j < reads.start[i + 1]; j++) {
			size_t p;
			if (smap_get(&prod, reads.names[j], &p)) {
				start[p + 1]++;
				indeg[i]++;
				n_edges++;
			}
		}
	for (size_t i = 0; i < n; i++)
		start[i + 1] += start[i];
	edges = calloc(n_edges + 1, sizeof(size_t));
	fill = calloc(n + 1, sizeof(size_t));
	heap = calloc(n + 1, sizeof(size_t));
	out = calloc(n + 1, sizeof(size_t));
	if (!edges || !fill || !heap || !out)
		goto oom;
	for (size_t i = 0; i < n; i++)
		for (size_t j = reads.start[i]; j < reads.start[i + 1]; j++) {
			size_t p;
			if (smap_get(&prod, reads.names[j], &p))
				edges[start[p] + fill[p]++] = i;
		}
	for (size_t i = 0; i < n; i++)
		if (!indeg[i])
			heap_push(heap, &hn, i);
	while (hn) {
		size_t v = heap_pop(heap, &hn);
		out[done++] = v;
		for (size_t e = start[v]; e < start[v + 1]; e++)
			if (--indeg[edges[e]] == 0)
				heap_push(heap, &hn, edges[e]);
	}
	if (done < n) {
		size_t bad = 0;
		while (bad < n && !indeg[bad])
			bad++;
		rc = aimet_error(ctx, AIMET_ERR_INVALID, "graph has a cycle through node '%s' (%s)",
		                 g->nodes[bad]->name ? g->nodes[bad]->name : "",
		                 g->nodes[bad]->op_type ? g->nodes[bad]->op_type : "?");
		goto out;
	}
	*order = out;
	out = NULL;
	goto out;
oom:
	rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
out:
	smap_free(&prod);
	reads_free(&reads);
	free(indeg);
	free(start);
	free(edges);
	free(fill);
	free(heap);
	free(out);
	return rc;
}

int aimet_graph_toposort(struct aimet_ctx *ctx, struct aimet_graph *g)
{
	size_t *order;
	struct aimet_node **nodes;
	int rc = aimet_graph_topo_order(ctx, g, &order);
	if (rc)
		return rc;
	nodes = malloc((g->n_nodes ? g->n_nodes : 1) * sizeof(*nodes));
	if (!nodes) {
		free(order);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		nodes[i] = g->nodes[order[i]];
	memcpy(g->nodes, nodes, g->n_nodes * sizeof(*nodes));
	free(nodes);
	free(order);
	return AIMET_OK;
}

/* ---- fresh names ---- */

static int name_used(const struct aimet_graph *g, const char *s)
{
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct aimet_node *n = g->nodes[i];
		if (str_eq(n->name, s) || each_subgraph_name(n, 1, name_is, (void *)s) > 0)
			return 1;
		for (int j = 0; j < n->n_inputs; j++)
			if (str_eq(n->inputs[j], s))
				return 1;
		for (int j = 0; j < n->n_outputs; j++)
			if (str_eq(n->outputs[j], s))
				return 1;
	}
	for (size_t i = 0; i < g->n_initializers; i++)
		if (str_eq(g->initializers[i]->name, s))
			return 1;
	for (size_t i = 0; i < g->n_value_info; i++)
		if (str_eq(g->value_info[i].name, s))
			return 1;
	return aimet_graph_is_input(g, s) || aimet_graph_is_output(g, s);
}

char *aimet_graph_unique_name(const struct aimet_graph *g, const char *base)
{
	size_t n;
	char *s;
	if (!base || !*base)
		base = "t";
	n = strlen(base) + 24;
	if (!(s = malloc(n)))
		return NULL;
	snprintf(s, n, "%s", base);
	for (unsigned long k = 1; name_used(g, s); k++)
		snprintf(s, n, "%s_%lu", base, k);
	return s;
}

/* ---- building nodes ---- */

static int copy_names(char ***dst, const char *const *src, int n)
{
	*dst = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
	if (!*dst)
		return -1;
	for (int i = 0; i < n; i++)
		if (!((*dst)[i] = strdup(src[i] ? src[i] : "")))
			return -1;
	return 0;
}

struct aimet_node *aimet_node_new(const char *op_type, const char *name, int n_inputs,
                                  const char *const *inputs, int n_outputs,
                                  const char *const *outputs)
{
	struct aimet_node *n = calloc(1, sizeof(*n));
	if (!n || n_inputs < 0 || n_outputs < 0)
		goto fail;
	if (!(n->op_type = strdup(op_type)) || (name && !(n->name = strdup(name))) ||
	    !(n->attrs = calloc(1, sizeof(*n->attrs))))
		goto fail;
	n->n_inputs = n_inputs;
	if (copy_names(&n->inputs, inputs, n_inputs))
		goto fail;
	n->n_outputs = n_outputs;
	if (copy_names(&n->outputs, outputs, n_outputs))
		goto fail;
	return n;
fail:
	aimet_node_free(n);
	return NULL;
}

/* A cleared attribute slot named `name` (existing one reused), or NULL on OOM. */
static struct aimet_attr *attr_slot(struct aimet_node *n, const char *name)
{
	struct aimet_attr *a;
	char *nm = strdup(name);
	if (!nm)
		return NULL;
	for (int i = 0; i < n->n_attrs; i++)
		if (str_eq(n->attrs[i].name, name)) {
			aimet_attr_clear(&n->attrs[i]);
			n->attrs[i].name = nm;
			return &n->attrs[i];
		}
	a = aimet_realloc_array(n->attrs, (size_t)n->n_attrs + 1, sizeof(*a));
	if (!a) {
		free(nm);
		return NULL;
	}
	n->attrs = a;
	a = &n->attrs[n->n_attrs++];
	memset(a, 0, sizeof(*a));
	a->name = nm;
	return a;
}

int aimet_node_set_int(struct aimet_node *n, const char *name, int64_t v)
{
	struct aimet_attr *a = attr_slot(n, name);
	if (!a)
		return AIMET_ERR_NOMEM;
	a->type = AIMET_ATTR_INT;
	a->i = v;
	return AIMET_OK;
}

int aimet_node_set_float(struct aimet_node *n, const char *name, float v)
{
	struct aimet_attr *a = attr_slot(n, name);
	if (!a)
		return AIMET_ERR_NOMEM;
	a->type = AIMET_ATTR_FLOAT;
	a->f = v;
	return AIMET_OK;
}

int aimet_node_set_string(struct aimet_node *n, const char *name, const char *v)
{
	struct aimet_attr *a = attr_slot(n, name);
	if (!a)
		return AIMET_ERR_NOMEM;
	a->type = AIMET_ATTR_STRING;
	if (!(a->s.data = strdup(v)))
		return AIMET_ERR_NOMEM;
	a->s.len = strlen(v);
	return AIMET_OK;
}

int aimet_node_set_ints(struct aimet_node *n, const char *name, const int64_t *v, size_t count)
{
	struct aimet_attr *a = attr_slot(n, name);
	if (!a)
		return AIMET_ERR_NOMEM;
	a->type = AIMET_ATTR_INTS;
	if (!(a->ints = aimet_realloc_array(NULL, count ? count : 1, sizeof(int64_t))))
		return AIMET_ERR_NOMEM;
	if (count)
		memcpy(a->ints, v, count * sizeof(int64_t));
	a->n_ints = count;
	return AIMET_OK;
}

int aimet_node_set_floats(struct aimet_node *n, const char *name, const float *v, size_t count)
{
	struct aimet_attr *a = attr_slot(n, name);
	if (!a)
		return AIMET_ERR_NOMEM;
	a->type = AIMET_ATTR_FLOATS;
	if (!(a->floats = aimet_realloc_array(NULL, count ? count : 1, sizeof(float))))
		return AIMET_ERR_NOMEM;
	if (count)
		memcpy(a->floats, v, count * sizeof(float));
	a->n_floats = count;
	return AIMET_OK;
}

int aimet_node_set_tensor(struct aimet_node *n, const char *name, struct aimet_tensor *t)
{
	struct aimet_attr *a = attr_slot(n, name);
	if (!a) {
		aimet_tensor_free(t);
		return AIMET_ERR_NOMEM;
	}
	a->type = AIMET_ATTR_TENSOR;
	a->t = t;
	return AIMET_OK;
}

int aimet_node_remove_attr(struct aimet_node *n, const char *name)
{
	for (int i = 0; i < n->n_attrs; i++)
		if (str_eq(n->attrs[i].name, name)) {
			aimet_attr_clear(&n->attrs[i]);
			memmove(&n->attrs[i], &n->attrs[i + 1], (size_t)(n->n_attrs - i - 1) * sizeof(*n->attrs));
			n->n_attrs--;
			return 1;
		}
	return 0;
}

static int set_name(char **slot, const char *name)
{
	char *s = strdup(name);
	if (!s)
		return AIMET_ERR_NOMEM;
	free(*slot);
	*slot = s;
	return AIMET_OK;
}

int aimet_node_set_input(struct aimet_node *n, int i, const char *name)
{
	if (i < 0 || i >= n->n_inputs)
		return AIMET_ERR_INVALID;
	return set_name(&n->inputs[i], name);
}

int aimet_node_set_output(struct aimet_node *n, int i, const char *name)
{
	if (i < 0 || i >= n->n_outputs)
		return AIMET_ERR_INVALID;
	return set_name(&n->outputs[i], name);
}

/* ---- editing graphs ---- */

int aimet_graph_add_node(struct aimet_ctx *ctx, struct aimet_graph *g, size_t pos,
                         struct aimet_node *n)
{
	if (pos > g->n_nodes) {
		aimet_node_free(n);
		return aimet_error(ctx, AIMET_ERR_INVALID, "node position %zu out of range", pos);
	}
	if (aimet_grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof(*g->nodes))) {
		aimet_node_free(n);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	memmove(&g->nodes[pos + 1], &g->nodes[pos], (g->n_nodes - pos) * sizeof(*g->nodes));
	g->nodes[pos] = n;
	g->n_nodes++;
	return AIMET_OK;
}

int aimet_graph_rename_uses(struct aimet_graph *g, const char *from, const char *to)
{
	/* copies: the arguments may be strings of the graph that get replaced on the way */
	char *f = strdup(from), *t = strdup(to);
	int rc = AIMET_OK;
	if (!f || !t)
		rc = AIMET_ERR_NOMEM;
	for (size_t i = 0; !rc && i < g->n_nodes; i++) {
		for (int j = 0; !rc && j < g->nodes[i]->n_inputs; j++)
			if (str_eq(g->nodes[i]->inputs[j], f))
				rc = set_name(&g->nodes[i]->inputs[j], t);
		if (!rc)
			rc = rename_in_subgraphs(g->nodes[i], f, t);
	}
	for (size_t i = 0; !rc && i < g->n_outputs; i++)
		if (str_eq(g->outputs[i].name, f))
			rc = set_name(&g->outputs[i].name, t);
	free(f);
	free(t);
	return rc;
}

/* Rename `from` to `to` in the inputs of every node except `skip`. */
static int rewire_consumers(struct aimet_graph *g, const struct aimet_node *skip, const char *from,
                            const char *to)
{
	for (size_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i] == skip)
			continue;
		for (int j = 0; j < g->nodes[i]->n_inputs; j++)
			if (str_eq(g->nodes[i]->inputs[j], from) && set_name(&g->nodes[i]->inputs[j], to))
				return AIMET_ERR_NOMEM;
		if (rename_in_subgraphs(g->nodes[i], from, to))
			return AIMET_ERR_NOMEM;
	}
	return AIMET_OK;
}

int aimet_graph_insert_after(struct aimet_ctx *ctx, struct aimet_graph *g, const char *tensor,
                             struct aimet_node *n)
{
	size_t pidx = 0, pos, first;
	int slot = 0, rc;
	struct aimet_node *prod;
	char *t = strdup(tensor), *y = NULL;
	if (!t) {
		aimet_node_free(n);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if (!node_reads(n, t) || n->n_outputs < 1 || !n->outputs[0][0] || str_eq(n->outputs[0], t)) {
		rc = aimet_error(ctx, AIMET_ERR_INVALID,
		                 "node to insert after '%s' must read it and produce a new tensor", t);
		goto fail;
	}
	if (name_used(g, n->outputs[0])) {
		rc = aimet_error(ctx, AIMET_ERR_INVALID, "tensor '%s' already exists", n->outputs[0]);
		goto fail;
	}
	prod = aimet_graph_producer(g, t, &pidx, &slot);
	if (prod)
		pos = pidx + 1;
	else if (aimet_graph_consumers(g, t, &first, 1))
		pos = first;
	else
		pos = 0;
	if (prod && aimet_graph_is_output(g, t)) {
		/* keep the graph's output name: the producer now writes a fresh tensor */
		char *fresh = NULL;
		size_t len = strlen(t) + 5;
		char *base = malloc(len);
		if (base) {
			snprintf(base, len, "%s_pre", t);
			fresh = aimet_graph_unique_name(g, base);
			free(base);
		}
		if (!fresh || set_name(&prod->outputs[slot], fresh) ||
		    set_name(&n->outputs[0], t)) {
			free(fresh);
			rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto fail;
		}
		for (int j = 0; j < n->n_inputs; j++)
			if (str_eq(n->inputs[j], t) && set_name(&n->inputs[j], fresh)) {
				free(fresh);
				rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
				goto fail;
			}
		free(fresh);
	} else {
		if (!(y = strdup(n->outputs[0])) || rewire_consumers(g, n, t, y)) {
			rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < g->n_outputs; i++)
			if (str_eq(g->outputs[i].name, t) && set_name(&g->outputs[i].name, y)) {
				rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
				goto fail;
			}
	}
	free(t);
	free(y);
	return aimet_graph_add_node(ctx, g, pos, n);
fail:
	free(t);
	free(y);
	aimet_node_free(n);
	return rc;
}

int aimet_graph_remove_node(struct aimet_ctx *ctx, struct aimet_graph *g, size_t idx,
                            int keep_input)
{
	struct aimet_node *n;
	const char *x, *y;
	int rc = AIMET_OK;
	if (idx >= g->n_nodes)
		return aimet_error(ctx, AIMET_ERR_INVALID, "node position %zu out of range", idx);
	n = g->nodes[idx];
	if (n->n_outputs < 1 || keep_input < 0 || keep_input >= n->n_inputs || !n->inputs[keep_input][0])
		return aimet_error(ctx, AIMET_ERR_INVALID, "node '%s': cannot bypass input %d",
		                   n->name ? n->name : "", keep_input);
	for (int j = 1; j < n->n_outputs; j++)
		if (n->outputs[j][0] && (aimet_graph_consumers(g, n->outputs[j], NULL, 0) ||
		                         aimet_graph_is_output(g, n->outputs[j])))
			return aimet_error(ctx, AIMET_ERR_INVALID,
			                   "node '%s': output '%s' is still used", n->name ? n->name : "",
			                   n->outputs[j]);
	x = n->inputs[keep_input];
	y = n->outputs[0];
	g->nodes[idx] = NULL;
	memmove(&g->nodes[idx], &g->nodes[idx + 1], (g->n_nodes - idx - 1) * sizeof(*g->nodes));
	g->n_nodes--;
	if (y[0]) {
		size_t pidx;
		int slot;
		struct aimet_node *prod = aimet_graph_producer(g, x, &pidx, &slot);
		if (aimet_graph_is_output(g, y) && prod && !aimet_graph_is_output(g, x)) {
			/* the graph output keeps its name: X's producer writes Y directly */
			if (set_name(&prod->outputs[slot], y) || rewire_consumers(g, NULL, x, y))
				rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		} else if (aimet_graph_rename_uses(g, y, x)) {
			rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		}
	}
	aimet_node_free(n);
	return rc;
}

int aimet_graph_add_initializer(struct aimet_ctx *ctx, struct aimet_graph *g,
                                struct aimet_tensor *t)
{
	if (!t->name || !*t->name) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_INVALID, "initializer without a name");
	}
	if (aimet_graph_find_initializer(g, t->name, NULL) || aimet_graph_producer(g, t->name, NULL, NULL)) {
		int rc = aimet_error(ctx, AIMET_ERR_INVALID, "tensor '%s' already exists", t->name);
		aimet_tensor_free(t);
		return rc;
	}
	if (aimet_grow((void **)&g->initializers, &g->cap_initializers, g->n_initializers + 1,
	               sizeof(*g->initializers))) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	g->initializers[g->n_initializers++] = t;
	return AIMET_OK;
}

int aimet_graph_replace_initializer(struct aimet_ctx *ctx, struct aimet_graph *g,
                                    const char *name, struct aimet_tensor *t)
{
	size_t idx;
	char *nm;
	if (!aimet_graph_find_initializer(g, name, &idx)) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_INVALID, "no initializer named '%s'", name);
	}
	if (!(nm = strdup(name))) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	free(t->name);
	t->name = nm;
	aimet_tensor_free(g->initializers[idx]);
	g->initializers[idx] = t;
	return AIMET_OK;
}

int aimet_graph_remove_initializer(struct aimet_graph *g, const char *name)
{
	size_t idx;
	struct aimet_tensor *t = aimet_graph_find_initializer(g, name, &idx);
	if (!t)
		return 0;
	/* `name` may be the tensor's own name: drop the input entry before freeing it */
	for (size_t i = 0; i < g->n_inputs; i++)
		if (str_eq(g->inputs[i].name, name)) {
			aimet_value_info_clear(&g->inputs[i]);
			memmove(&g->inputs[i], &g->inputs[i + 1], (g->n_inputs - i - 1) * sizeof(*g->inputs));
			g->n_inputs--;
			break;
		}
	memmove(&g->initializers[idx], &g->initializers[idx + 1],
	        (g->n_initializers - idx - 1) * sizeof(*g->initializers));
	g->n_initializers--;
	aimet_tensor_free(t);
	return 1;
}

static int is_used(const struct aimet_graph *g, const char *name)
{
	return aimet_graph_consumers(g, name, NULL, 0) || aimet_graph_is_output(g, name);
}

size_t aimet_graph_remove_unused_weights(struct aimet_graph *g)
{
	size_t removed = 0;
	for (size_t i = g->n_initializers; i-- > 0;)
		if (!is_used(g, g->initializers[i]->name) &&
		    aimet_graph_remove_initializer(g, g->initializers[i]->name))
			removed++;
	for (size_t i = g->n_nodes; i-- > 0;) {
		struct aimet_node *n = g->nodes[i];
		if (is_constant(n) && n->n_outputs == 1 && !is_used(g, n->outputs[0])) {
			memmove(&g->nodes[i], &g->nodes[i + 1], (g->n_nodes - i - 1) * sizeof(*g->nodes));
			g->n_nodes--;
			aimet_node_free(n);
			removed++;
		}
	}
	return removed;
}
