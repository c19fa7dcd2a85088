/* test_ir.c: graph queries and rewrite helpers (weights, producers/consumers, topological
 * order, fresh names, insert/remove/rename), clone and equality. */
#include "aimet.h"
#include "aimet_ir.h"
#include "aimet_onnx.h"
#include "../test.h"

#include <stdlib.h>
#include <string.h>

static struct aimet_ctx *ctx;

static struct aimet_tensor *ftensor(const char *name, int64_t n, float v)
{
	struct aimet_tensor *t = aimet_tensor_new(name, AIMET_FLOAT, 1, &n);
	aimet_tensor_alloc(ctx, t);
	for (int64_t i = 0; i < n; i++)
		((float *)t->data)[i] = v + (float)i;
	return t;
}

static void add_vi(struct aimet_value_info **arr, size_t *n, const char *name)
{
	*arr = realloc(*arr, (*n + 1) * sizeof(**arr));
	memset(&(*arr)[*n], 0, sizeof(**arr));
	(*arr)[*n].name = strdup(name);
	(*arr)[*n].elem_type = AIMET_FLOAT;
	(*n)++;
}

static struct aimet_node *node(const char *op, const char *name, const char *in0, const char *in1,
                               const char *in2, const char *out)
{
	const char *ins[3] = {in0, in1, in2};
	int n_in = in2 ? 3 : in1 ? 2 : 1;
	return aimet_node_new(op, name, n_in, ins, 1, &out);
}

/* x -> conv(W initializer, B from a Constant) -> c -> relu -> y (graph output) */
static struct aimet_model *chain(void)
{
	struct aimet_model *m = calloc(1, sizeof(*m));
	struct aimet_graph *g = calloc(1, sizeof(*g));
	struct aimet_node *k;
	m->graph = g;
	m->ir_version = 8;
	add_vi(&g->inputs, &g->n_inputs, "x");
	add_vi(&g->outputs, &g->n_outputs, "y");
	aimet_graph_add_initializer(ctx, g, ftensor("W", 4, 1));
	k = aimet_node_new("Constant", "kB", 0, NULL, 1, (const char *[]){"B"});
	aimet_node_set_tensor(k, "value", ftensor(NULL, 2, 10));
	aimet_graph_add_node(ctx, g, 0, k);
	aimet_graph_add_node(ctx, g, 1, node("Conv", "conv", "x", "W", "B", "c"));
	aimet_graph_add_node(ctx, g, 2, node("Relu", "relu", "c", NULL, NULL, "y"));
	return m;
}

/* 1 if every node's inputs are produced earlier (or are graph inputs/initializers/""). */
static int order_valid(const struct aimet_graph *g)
{
	for (size_t i = 0; i < g->n_nodes; i++)
		for (int j = 0; j < g->nodes[i]->n_inputs; j++) {
			size_t p;
			const char *in = g->nodes[i]->inputs[j];
			if (aimet_graph_producer(g, in, &p, NULL) && p >= i)
				return 0;
			if (!in[0] || aimet_graph_producer(g, in, NULL, NULL) || aimet_graph_is_input(g, in) ||
			    aimet_graph_find_initializer(g, in, NULL))
				continue;
			return 0;
		}
	return 1;
}

static void test_lookups(void)
{
	struct aimet_model *m = chain();
	struct aimet_graph *g = m->graph;
	struct aimet_tensor *t;
	size_t idx[4], i;
	int kind, slot;
	t = aimet_graph_find_initializer(g, "W", &i);
	CHECK(t && i == 0 && t->nbytes == 16, "find initializer");
	CHECK(!aimet_graph_find_initializer(g, "B", NULL), "a Constant is not an initializer");
	t = aimet_graph_find_weight(g, "W", &kind);
	CHECK(t && kind == AIMET_WEIGHT_INITIALIZER, "weight W is an initializer");
	t = aimet_graph_find_weight(g, "B", &kind);
	CHECK(t && kind == AIMET_WEIGHT_CONSTANT && ((float *)t->data)[1] == 11, "weight B is a Constant");
	CHECK(!aimet_graph_find_weight(g, "c", &kind) && kind == AIMET_WEIGHT_NONE, "activation is no weight");
	CHECK(aimet_graph_producer(g, "c", &i, &slot) == g->nodes[1] && i == 1 && slot == 0, "producer");
	CHECK(!aimet_graph_producer(g, "x", NULL, NULL) && !aimet_graph_producer(g, "", NULL, NULL),
	      "inputs have no producer");
	CHECK(aimet_graph_consumers(g, "c", idx, 4) == 1 && idx[0] == 2, "consumers of c");
	CHECK(aimet_graph_consumers(g, "y", idx, 4) == 0, "y has no consumer");
	CHECK(aimet_graph_is_input(g, "x") && aimet_graph_is_output(g, "y") && !aimet_graph_is_output(g, "c"),
	      "io");
	/* replace in place, both kinds, names kept */
	CHECK(aimet_graph_replace_weight(ctx, g, "W", ftensor("other", 4, 5)) == 0, "replace W");
	t = aimet_graph_find_weight(g, "W", &kind);
	CHECK(t && !strcmp(t->name, "W") && ((float *)t->data)[0] == 5 && kind == AIMET_WEIGHT_INITIALIZER,
	      "W replaced, name kept");
	CHECK(aimet_graph_replace_weight(ctx, g, "B", ftensor("ignored", 2, 7)) == 0, "replace B");
	t = aimet_graph_find_weight(g, "B", &kind);
	CHECK(t && kind == AIMET_WEIGHT_CONSTANT && !t->name && ((float *)t->data)[0] == 7,
	      "Constant value replaced, tensor name as before");
	CHECK(aimet_graph_replace_weight(ctx, g, "c", ftensor("z", 1, 0)) == AIMET_ERR_INVALID &&
	      strstr(aimet_errmsg(ctx), "'c'"), "replacing a non-weight refused");
	/* consumers listed once even when a node reads a tensor twice */
	aimet_graph_add_node(ctx, g, 3, node("Add", "sq", "y", "y", NULL, "y2"));
	CHECK(aimet_graph_consumers(g, "y", idx, 4) == 1 && idx[0] == 3, "double read listed once");
	aimet_model_free(m);
}

static void test_topo(void)
{
	struct aimet_model *m = chain();
	struct aimet_graph *g = m->graph;
	size_t *order = NULL;
	struct aimet_node *tmp;
	CHECK(aimet_graph_topo_order(ctx, g, &order) == 0 && order[0] == 0 && order[1] == 1 && order[2] == 2,
	      "sorted graph keeps its order");
	free(order);
	/* reversed: sorting restores a valid order */
	tmp = g->nodes[0];
	g->nodes[0] = g->nodes[2];
	g->nodes[2] = tmp;
	CHECK(!order_valid(g), "reversed order is invalid");
	CHECK(aimet_graph_toposort(ctx, g) == 0 && order_valid(g), "toposort fixes it");
	/* independent nodes keep their relative order */
	aimet_graph_add_node(ctx, g, 0, node("Neg", "late", "y", NULL, NULL, "n1"));
	aimet_graph_add_node(ctx, g, 0, node("Abs", "indep", "x", NULL, NULL, "a1"));
	CHECK(aimet_graph_toposort(ctx, g) == 0 && order_valid(g) && !strcmp(g->nodes[0]->name, "indep") &&
	      !strcmp(g->nodes[g->n_nodes - 1]->name, "late"), "stable order");
	/* a cycle is an error naming a node on it */
	aimet_graph_add_node(ctx, g, g->n_nodes, node("Add", "c1", "x", "q2", NULL, "q1"));
	aimet_graph_add_node(ctx, g, g->n_nodes, node("Add", "c2", "q1", NULL, NULL, "q2"));
	CHECK(aimet_graph_topo_order(ctx, g, &order) == AIMET_ERR_INVALID && !order &&
	      strstr(aimet_errmsg(ctx), "cycle") && strstr(aimet_errmsg(ctx), "'c"), "cycle: %s", aimet_errmsg(ctx));
	aimet_graph_remove_node(ctx, g, g->n_nodes - 1, 0);
	aimet_graph_remove_node(ctx, g, g->n_nodes - 1, 0);
	/* two producers of one tensor */
	aimet_graph_add_node(ctx, g, g->n_nodes, node("Abs", "dup", "x", NULL, NULL, "c"));
	CHECK(aimet_graph_topo_order(ctx, g, &order) == AIMET_ERR_INVALID && strstr(aimet_errmsg(ctx), "two nodes"),
	      "double producer: %s", aimet_errmsg(ctx));
	/* a node reading its own output */
	aimet_graph_remove_node(ctx, g, g->n_nodes - 1, 0);
	aimet_graph_add_node(ctx, g, g->n_nodes, node("Add", "self", "x", "s", NULL, "s"));
	CHECK(aimet_graph_topo_order(ctx, g, &order) == AIMET_ERR_INVALID, "self loop");
	aimet_model_free(m);
}

static void test_names(void)
{
	struct aimet_model *m = chain();
	char *a = aimet_graph_unique_name(m->graph, "fresh"), *b = aimet_graph_unique_name(m->graph, "c"),
	     *c = aimet_graph_unique_name(m->graph, "conv"), *d = aimet_graph_unique_name(m->graph, "W");
	char *e;
	CHECK(a && !strcmp(a, "fresh"), "free name kept: %s", a);
	CHECK(b && !strcmp(b, "c_1"), "tensor name taken: %s", b);
	CHECK(c && !strcmp(c, "conv_1"), "node name taken: %s", c);
	CHECK(d && !strcmp(d, "W_1"), "initializer name taken: %s", d);
	aimet_graph_add_node(ctx, m->graph, 3, node("Abs", "x1", "y", NULL, NULL, "c_1"));
	e = aimet_graph_unique_name(m->graph, "c");
	CHECK(e && !strcmp(e, "c_2"), "next suffix: %s", e);
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	aimet_model_free(m);
}

static void test_insert_remove(void)
{
	struct aimet_model *m = chain(), *orig = aimet_model_clone(m);
	struct aimet_graph *g = m->graph;
	size_t idx[4], i;
	char why[512];
	/* after an inner tensor: relu now reads the quantizer's output */
	CHECK(aimet_graph_insert_after(ctx, g, "c", node("QDQ", "q_c", "c", NULL, NULL, "c_q")) == 0,
	      "insert after c: %s", aimet_errmsg(ctx));
	CHECK(!strcmp(g->nodes[2]->name, "q_c") && !strcmp(g->nodes[3]->inputs[0], "c_q") && order_valid(g),
	      "rewired and placed after the producer");
	CHECK(aimet_graph_consumers(g, "c", idx, 4) == 1 && !strcmp(g->nodes[idx[0]]->name, "q_c"),
	      "c read only by the quantizer");
	/* after the graph input: conv reads the quantized input */
	CHECK(aimet_graph_insert_after(ctx, g, "x", node("QDQ", "q_x", "x", NULL, NULL, "x_q")) == 0,
	      "insert after x");
	CHECK(!strcmp(g->nodes[0]->name, "q_x") || (order_valid(g) && aimet_graph_consumers(g, "x", idx, 4) == 1),
	      "x rewired");
	CHECK(order_valid(g) && aimet_graph_consumers(g, "x_q", idx, 4) == 1 &&
	      !strcmp(g->nodes[idx[0]]->name, "conv"), "conv reads x_q");
	/* after the graph output: the output keeps its name "y" and carries the new value */
	CHECK(aimet_graph_insert_after(ctx, g, "y", node("QDQ", "q_y", "y", NULL, NULL, "y_q")) == 0,
	      "insert after y");
	{
		struct aimet_node *q = aimet_graph_producer(g, "y", &i, NULL), *relu;
		CHECK(q && !strcmp(q->name, "q_y") && aimet_graph_is_output(g, "y") && !aimet_graph_is_output(g, "y_q"),
		      "output name kept");
		relu = aimet_graph_producer(g, q->inputs[0], NULL, NULL);
		CHECK(relu && !strcmp(relu->name, "relu") && !strcmp(q->inputs[0], "y_pre"),
		      "relu writes a fresh name read by the quantizer: %s", q->inputs[0]);
		CHECK(order_valid(g), "order valid after output insert");
	}
	/* refusals: the node must read the tensor; its output must be new */
	CHECK(aimet_graph_insert_after(ctx, g, "c", node("QDQ", "bad", "x", NULL, NULL, "zz")) == AIMET_ERR_INVALID,
	      "node not reading the tensor refused");
	CHECK(aimet_graph_insert_after(ctx, g, "c", node("QDQ", "bad", "c", NULL, NULL, "W")) == AIMET_ERR_INVALID,
	      "existing output name refused");
	/* removing the three quantizers gives back the original graph */
	for (int k = 0; k < 3; k++) {
		for (i = 0; i < g->n_nodes; i++)
			if (!strcmp(g->nodes[i]->op_type, "QDQ"))
				break;
		CHECK(i < g->n_nodes && aimet_graph_remove_node(ctx, g, i, 0) == 0, "remove quantizer: %s",
		      aimet_errmsg(ctx));
	}
	CHECK(aimet_model_equal(orig, m, why, sizeof(why)), "insert+remove is identity: %s", why);
	/* removing relu: the graph output name y moves to conv's output */
	CHECK(aimet_graph_remove_node(ctx, g, 2, 0) == 0 && g->n_nodes == 2, "remove relu");
	CHECK(aimet_graph_producer(g, "y", NULL, NULL) == g->nodes[1] && aimet_graph_is_output(g, "y"),
	      "conv now writes y");
	CHECK(aimet_graph_remove_node(ctx, g, 5, 0) == AIMET_ERR_INVALID, "index out of range");
	CHECK(aimet_graph_remove_node(ctx, g, 1, 7) == AIMET_ERR_INVALID, "bad input slot");
	/* an output still in use blocks removal */
	{
		struct aimet_node *sp = aimet_node_new("Split", "split", 1, (const char *[]){"y"}, 2,
		                                       (const char *[]){"s0", "s1"});
		aimet_graph_add_node(ctx, g, g->n_nodes, sp);
		aimet_graph_add_node(ctx, g, g->n_nodes, node("Abs", "use", "s1", NULL, NULL, "u"));
		CHECK(aimet_graph_remove_node(ctx, g, g->n_nodes - 2, 0) == AIMET_ERR_INVALID &&
		      strstr(aimet_errmsg(ctx), "'s1'"), "second output used: %s", aimet_errmsg(ctx));
	}
	/* bypassing a node whose input is a graph input: the output entry follows */
	{
		struct aimet_model *m2 = chain();
		aimet_graph_add_node(ctx, m2->graph, 0, node("Identity", "id", "x", NULL, NULL, "x2"));
		aimet_graph_rename_uses(m2->graph, "x", "x2");
		CHECK(!strcmp(m2->graph->nodes[0]->inputs[0], "x2"), "rename_uses renames every reader");
		aimet_node_set_input(m2->graph->nodes[0], 0, "x");
		CHECK(aimet_graph_remove_node(ctx, m2->graph, 0, 0) == 0 &&
		      !strcmp(m2->graph->nodes[1]->inputs[0], "x") && order_valid(m2->graph), "identity bypassed");
		aimet_model_free(m2);
	}
	aimet_model_free(orig);
	aimet_model_free(m);
}

static void test_initializers(void)
{
	struct aimet_model *m = chain();
	struct aimet_graph *g = m->graph;
	CHECK(aimet_graph_add_initializer(ctx, g, ftensor("W", 1, 0)) == AIMET_ERR_INVALID, "duplicate refused");
	CHECK(aimet_graph_add_initializer(ctx, g, ftensor("c", 1, 0)) == AIMET_ERR_INVALID,
	      "name of an activation refused");
	CHECK(aimet_graph_add_initializer(ctx, g, ftensor(NULL, 1, 0)) == AIMET_ERR_INVALID, "nameless refused");
	CHECK(aimet_graph_add_initializer(ctx, g, ftensor("S", 3, 0)) == 0 && g->n_initializers == 2, "added");
	CHECK(aimet_graph_replace_initializer(ctx, g, "S", ftensor("x", 5, 1)) == 0 &&
	      aimet_graph_find_initializer(g, "S", NULL)->nbytes == 20, "replace initializer");
	CHECK(aimet_graph_replace_initializer(ctx, g, "nope", ftensor("x", 5, 1)) == AIMET_ERR_INVALID,
	      "replace missing refused");
	/* an old-style model lists initializers among the graph inputs too */
	add_vi(&g->inputs, &g->n_inputs, "S");
	CHECK(aimet_graph_remove_initializer(g, "S") == 1 && g->n_initializers == 1 && g->n_inputs == 1,
	      "removed with its input entry");
	CHECK(aimet_graph_remove_initializer(g, "S") == 0, "second removal is a no-op");
	aimet_graph_add_initializer(ctx, g, ftensor("unused", 3, 0));
	{
		struct aimet_node *k = aimet_node_new("Constant", "kz", 0, NULL, 1, (const char *[]){"Z"});
		aimet_node_set_tensor(k, "value", ftensor(NULL, 1, 0));
		aimet_graph_add_node(ctx, g, 0, k);
	}
	CHECK(aimet_graph_remove_unused_weights(g) == 2 && g->n_initializers == 1 && g->n_nodes == 3,
	      "unused initializer and Constant removed");
	CHECK(aimet_graph_find_weight(g, "B", NULL) && aimet_graph_find_weight(g, "W", NULL), "used weights kept");
	aimet_model_free(m);
}

static void test_node_attrs(void)
{
	struct aimet_node *n = node("Conv", "c", "x", NULL, NULL, "y");
	const int64_t *v;
	aimet_node_set_int(n, "group", 2);
	aimet_node_set_int(n, "group", 3);
	aimet_node_set_string(n, "auto_pad", "SAME_UPPER");
	aimet_node_set_ints(n, "pads", (int64_t[]){1, 2}, 2);
	aimet_node_set_float(n, "alpha", 0.5f);
	aimet_node_set_floats(n, "scales", (float[]){1, 2, 3}, 3);
	CHECK(n->n_attrs == 5 && aimet_node_attr_int(n, "group", 0) == 3, "replace keeps one attr");
	CHECK(!strcmp(aimet_node_attr_str(n, "auto_pad", ""), "SAME_UPPER"), "string attr");
	CHECK(aimet_node_attr_ints(n, "pads", &v) == 2 && v[1] == 2, "ints attr");
	CHECK(aimet_node_attr_float(n, "alpha", 0) == 0.5f, "float attr");
	CHECK(aimet_node_remove_attr(n, "pads") == 1 && aimet_node_attr_ints(n, "pads", &v) == -1 &&
	      aimet_node_remove_attr(n, "pads") == 0, "remove attr");
	CHECK(aimet_node_set_output(n, 0, "z") == 0 && !strcmp(n->outputs[0], "z") &&
	      aimet_node_set_input(n, 3, "q") == AIMET_ERR_INVALID, "set names");
	aimet_node_free(n);
}

static void test_clone_equal(void)
{
	struct aimet_model *m = chain(), *c;
	char why[512];
	m->producer_name = strdup("p");
	m->n_metadata = 1;
	m->metadata = calloc(1, sizeof(*m->metadata));
	m->metadata[0].key = strdup("k");
	m->metadata[0].value = strdup("v");
	c = aimet_model_clone(m);
	CHECK(c && aimet_model_equal(m, c, why, sizeof(why)), "clone equal: %s", why);
	free(c->metadata[0].value);
	c->metadata[0].value = strdup("w");
	CHECK(!aimet_model_equal(m, c, why, sizeof(why)) && strstr(why, "metadata value"), "diff: %s", why);
	aimet_model_free(c);
	c = aimet_model_clone(m);
	aimet_node_set_int(c->graph->nodes[1], "group", 1);
	CHECK(!aimet_model_equal(m, c, why, sizeof(why)) && strstr(why, "conv"), "attr count diff: %s", why);
	aimet_model_free(c);
	c = aimet_model_clone(m);
	((float *)aimet_graph_find_weight(c->graph, "B", NULL)->data)[0] = 99;
	CHECK(!aimet_model_equal(m, c, why, sizeof(why)) && strstr(why, "data differs"), "weight diff: %s", why);
	aimet_model_free(c);
	c = aimet_model_clone(m);
	free(c->graph->nodes[2]->inputs[0]);
	c->graph->nodes[2]->inputs[0] = strdup("cc");
	CHECK(!aimet_model_equal(m, c, NULL, 0), "input name diff without why");
	aimet_model_free(c);
	aimet_model_free(m);
}

/* The shared PP-OCR classifier: weights in Constants, already in topological order, and a
 * pass-style edit (quantizer after every Conv output) that still saves and reloads. */
static void test_shared_model(void)
{
	const char *shared = getenv("AIMET_SHARED");
	char p[1024], why[512];
	struct aimet_model *m = NULL, *r = NULL;
	size_t *order = NULL, convs = 0, ok = 1;
	uint8_t *buf = NULL;
	size_t len;
	snprintf(p, sizeof(p), "%s/models/ppocr_cls.onnx", shared ? shared : "../shared");
	if (aimet_model_load(ctx, p, &m)) {
		CHECK(0, "load %s: %s", p, aimet_errmsg(ctx));
		return;
	}
	CHECK(aimet_graph_topo_order(ctx, m->graph, &order) == 0, "topo order: %s", aimet_errmsg(ctx));
	for (size_t i = 0; order && i < m->graph->n_nodes; i++)
		ok &= order[i] == i;
	CHECK(ok, "file order is already topological");
	free(order);
	for (size_t i = 0; i < m->graph->n_nodes; i++) {
		struct aimet_node *n = m->graph->nodes[i];
		char *q, *qn;
		if (strcmp(n->op_type, "Conv"))
			continue;
		convs++;
		q = aimet_graph_unique_name(m->graph, n->outputs[0]);
		qn = aimet_graph_unique_name(m->graph, "qdq");
		CHECK(aimet_graph_insert_after(ctx, m->graph, n->outputs[0],
		                               node("Identity", qn, n->outputs[0], NULL, NULL, q)) == 0,
		      "insert: %s", aimet_errmsg(ctx));
		free(q);
		free(qn);
	}
	CHECK(convs > 10 && order_valid(m->graph), "%zu quantizers inserted, order valid", convs);
	CHECK(aimet_model_serialize(ctx, m, &buf, &len) == 0 &&
	      aimet_model_load_buffer(ctx, buf, len, NULL, &r) == 0 &&
	      aimet_model_equal(m, r, why, sizeof(why)), "edited model round trip: %s", why);
	free(buf);
	aimet_model_free(r);
	aimet_model_free(m);
}

/* Raw AttributeProto bytes: {name, g = the graph of `m`, type GRAPH}. */
static struct aimet_blob graph_attr(const char *name, const struct aimet_model *m)
{
	uint8_t *buf, *out;
	size_t len, pos = 0, n = 0, glen = 0, gpos = 0;
	struct aimet_blob b = {0};
	aimet_model_serialize(ctx, m, &buf, &len);
	/* find field 7 (graph) of the ModelProto */
	while (pos < len) {
		uint64_t tag = 0, v = 0;
		int sh = 0;
		do tag |= (uint64_t)(buf[pos] & 0x7f) << sh, sh += 7; while (buf[pos++] & 0x80);
		sh = 0;
		do v |= (uint64_t)(buf[pos] & 0x7f) << sh, sh += 7; while (buf[pos++] & 0x80);
		if ((tag & 7) == 2) {
			if (tag >> 3 == 7) {
				gpos = pos;
				glen = v;
			}
			pos += v;
		}
	}
	out = malloc(strlen(name) + glen + 32);
	out[n++] = 0x0a;
	out[n++] = (uint8_t)strlen(name);
	memcpy(out + n, name, strlen(name));
	n += strlen(name);
	out[n++] = 0x32;
	for (size_t v = glen; ; v >>= 7) {
		out[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		if (v <= 0x7f)
			break;
	}
	memcpy(out + n, buf + gpos, glen);
	n += glen;
	out[n++] = 0xa0;
	out[n++] = 0x01;
	out[n++] = AIMET_ATTR_GRAPH;
	free(buf);
	b.data = out;
	b.len = n;
	return b;
}

/* An If whose branch reads two tensors of the outer graph: dependencies inside subgraphs
 * count for consumers, topological order, renaming and fresh names. */
static void test_subgraphs(void)
{
	struct aimet_model *sub = calloc(1, sizeof(*sub)), *m = calloc(1, sizeof(*m)), *r = NULL;
	struct aimet_node *ifn;
	struct aimet_attr *a;
	size_t idx[4];
	char **names, *u, why[512];
	size_t n;
	uint8_t *buf;
	size_t len;
	sub->graph = calloc(1, sizeof(*sub->graph));
	sub->graph->name = strdup("then");
	aimet_graph_add_node(ctx, sub->graph, 0, node("Add", "inner", "a_outer", "b_outer", NULL, "r"));
	add_vi(&sub->graph->outputs, &sub->graph->n_outputs, "r");
	m->graph = calloc(1, sizeof(*m->graph));
	m->ir_version = 8;
	add_vi(&m->graph->inputs, &m->graph->n_inputs, "x");
	add_vi(&m->graph->outputs, &m->graph->n_outputs, "res");
	ifn = node("If", "if", "x", NULL, NULL, "res");
	aimet_node_set_int(ifn, "then_branch", 0);
	a = &ifn->attrs[0];
	a->type = AIMET_ATTR_GRAPH;
	a->raw = graph_attr("then_branch", sub);
	aimet_graph_add_node(ctx, m->graph, 0, ifn);
	aimet_graph_add_node(ctx, m->graph, 1, node("Relu", "relu", "x", NULL, NULL, "a_outer"));
	aimet_graph_add_node(ctx, m->graph, 2, node("Neg", "neg", "x", NULL, NULL, "b_outer"));
	CHECK(aimet_attr_subgraph_names(ctx, &m->graph->nodes[0]->attrs[0], 0, &names, &n) == 0 && n == 2 &&
	      !strcmp(names[0], "a_outer") && !strcmp(names[1], "b_outer"), "outer refs of the branch");
	aimet_strv_free(names, n);
	CHECK(aimet_graph_consumers(m->graph, "a_outer", idx, 4) == 1 && idx[0] == 0,
	      "the If reads a_outer through its branch");
	CHECK(aimet_graph_toposort(ctx, m->graph) == 0 && !strcmp(m->graph->nodes[2]->name, "if"),
	      "toposort puts the If after what its branch reads");
	u = aimet_graph_unique_name(m->graph, "r");
	CHECK(u && !strcmp(u, "r_1"), "names inside subgraphs are taken: %s", u);
	free(u);
	CHECK(aimet_graph_insert_after(ctx, m->graph, "a_outer", node("QDQ", "q", "a_outer", NULL, NULL, "a_q")) == 0,
	      "insert after a tensor read by a subgraph");
	ifn = aimet_graph_producer(m->graph, "res", NULL, NULL);
	CHECK(ifn && aimet_attr_subgraph_names(ctx, &ifn->attrs[0], 0, &names, &n) == 0 && n == 2 &&
	      !strcmp(names[0], "a_q"), "branch now reads the quantized tensor");
	if (ifn)
		aimet_strv_free(names, n);
	CHECK(aimet_graph_toposort(ctx, m->graph) == 0 && !strcmp(m->graph->nodes[3]->name, "if"),
	      "If stays after the quantizer");
	CHECK(aimet_model_serialize(ctx, m, &buf, &len) == 0 && aimet_model_load_buffer(ctx, buf, len, NULL, &r) == 0 &&
	      aimet_model_equal(m, r, why, sizeof(why)), "subgraph model round trip: %s", why);
	free(buf);
	aimet_model_free(r);
	aimet_model_free(sub);
	aimet_model_free(m);
}

int main(void)
{
	ctx = aimet_ctx_new();
	test_lookups();
	test_topo();
	test_names();
	test_insert_remove();
	test_initializers();
	test_node_attrs();
	test_clone_equal();
	test_shared_model();
	test_subgraphs();
	aimet_ctx_free(ctx);
	return test_done();
}
