/* subgraph.c: the names that If/Loop/Scan bodies (graph attributes, kept serialized in the IR)
 * read from the enclosing graph, and renaming those reads, so that graph rewrites and
 * topological order see the dependencies hidden inside subgraphs. */
#include "aimet_ir.h"
#include "onnx_internal.h"

#include <stdlib.h>
#include <string.h>

struct names { char **v; size_t n, cap; };

static int has(const struct names *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return 1;
	return 0;
}

static int add(struct names *s, const char *x)
{
	if (!x || !*x || has(s, x))
		return 0;
	if (aimet_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) || !(s->v[s->n] = strdup(x)))
		return -1;
	s->n++;
	return 0;
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int graph_refs(const Onnx__GraphProto *g, struct names *out, int all);

static int attr_refs(const Onnx__AttributeProto *a, struct names *out, int all)
{
	if (a->g && graph_refs(a->g, out, all))
		return -1;
	for (size_t i = 0; i < a->n_graphs; i++)
		if (graph_refs(a->graphs[i], out, all))
			return -1;
	return 0;
}

/* Names read by g but defined outside it; with `all`, every name g defines or reads too. */
static int graph_refs(const Onnx__GraphProto *g, struct names *out, int all)
{
	struct names def = {0}, inner = {0};
	int rc = -1;
	for (size_t i = 0; i < g->n_input; i++)
		if (add(&def, g->input[i]->name))
			goto out;
	for (size_t i = 0; i < g->n_initializer; i++)
		if (add(&def, g->initializer[i]->name))
			goto out;
	for (size_t i = 0; i < g->n_sparse_initializer; i++)
		if (g->sparse_initializer[i]->values && add(&def, g->sparse_initializer[i]->values->name))
			goto out;
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_output; j++)
			if (add(&def, g->node[i]->output[j]))
				goto out;
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		for (size_t j = 0; j < n->n_input; j++)
			if (add(&inner, n->input[j]))
				goto out;
		for (size_t j = 0; j < n->n_attribute; j++)
			if (attr_refs(n->attribute[j], &inner, all))
				goto out;
	}
	for (size_t i = 0; i < g->n_output; i++)
		if (add(&inner, g->output[i]->name))
			goto out;
	for (size_t i = 0; i < inner.n; i++)
		if ((all || !has(&def, inner.v[i])) && add(out, inner.v[i]))
			goto out;
	for (size_t i = 0; all && i < def.n; i++)
		if (add(out, def.v[i]))
			goto out;
	rc = 0;
out:
	names_free(&def);
	names_free(&inner);
	return rc;
}

static Onnx__AttributeProto *unpack_attr(const struct aimet_attr *a)
{
	if ((a->type != AIMET_ATTR_GRAPH && a->type != AIMET_ATTR_GRAPHS) || !a->raw.len ||
	    aimet_onnx_wire_check(&onnx__attribute_proto__descriptor, a->raw.data, a->raw.len))
		return NULL;
	return onnx__attribute_proto__unpack(NULL, a->raw.len, a->raw.data);
}

int aimet_attr_subgraph_names(struct aimet_ctx *ctx, const struct aimet_attr *a, int all,
                              char ***names, size_t *n)
{
	struct names out = {0};
	Onnx__AttributeProto *p;
	*names = NULL;
	*n = 0;
	if (a->type != AIMET_ATTR_GRAPH && a->type != AIMET_ATTR_GRAPHS)
		return AIMET_OK;
	if (!(p = unpack_attr(a)))
		return aimet_error(ctx, AIMET_ERR_INVALID, "attribute '%s': malformed subgraph",
		                   a->name ? a->name : "");
	if (attr_refs(p, &out, all)) {
		onnx__attribute_proto__free_unpacked(p, NULL);
		names_free(&out);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	onnx__attribute_proto__free_unpacked(p, NULL);
	*names = out.v;
	*n = out.n;
	return AIMET_OK;
}

void aimet_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Strings of an unpacked message are the system allocator's (protobuf-c default). */
static int swap(char **slot, const char *from, const char *to, int *count)
{
	char *s;
	if (!*slot || strcmp(*slot, from))
		return 0;
	if (!(s = strdup(to)))
		return -1;
	free(*slot);
	*slot = s;
	(*count)++;
	return 0;
}

static int graph_rename(Onnx__GraphProto *g, const char *from, const char *to, int *count)
{
	for (size_t i = 0; i < g->n_node; i++) {
		Onnx__NodeProto *n = g->node[i];
		for (size_t j = 0; j < n->n_input; j++)
			if (swap(&n->input[j], from, to, count))
				return -1;
		for (size_t j = 0; j < n->n_attribute; j++) {
			Onnx__AttributeProto *a = n->attribute[j];
			if (a->g && graph_rename(a->g, from, to, count))
				return -1;
			for (size_t k = 0; k < a->n_graphs; k++)
				if (graph_rename(a->graphs[k], from, to, count))
					return -1;
		}
	}
	for (size_t i = 0; i < g->n_output; i++)
		if (swap(&g->output[i]->name, from, to, count))
			return -1;
	return 0;
}

int aimet_attr_subgraph_rename(struct aimet_ctx *ctx, struct aimet_attr *a, const char *from,
                               const char *to)
{
	struct names refs = {0};
	Onnx__AttributeProto *p;
	struct aimet_blob nb = {0};
	int count = 0;
	if (a->type != AIMET_ATTR_GRAPH && a->type != AIMET_ATTR_GRAPHS)
		return 0;
	if (!(p = unpack_attr(a)))
		return aimet_error(ctx, AIMET_ERR_INVALID, "attribute '%s': malformed subgraph",
		                   a->name ? a->name : "");
	/* only reads of the outer name: a body that defines `from` itself is left alone */
	if (attr_refs(p, &refs, 0)) {
		onnx__attribute_proto__free_unpacked(p, NULL);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if (has(&refs, from)) {
		if (p->g && graph_rename(p->g, from, to, &count))
			goto oom;
		for (size_t k = 0; k < p->n_graphs; k++)
			if (graph_rename(p->graphs[k], from, to, &count))
				goto oom;
		if (aimet_onnx_pack_blob(&p->base, &nb))
			goto oom;
		free(a->raw.data);
		a->raw = nb;
	}
	names_free(&refs);
	onnx__attribute_proto__free_unpacked(p, NULL);
	return count;
oom:
	names_free(&refs);
	onnx__attribute_proto__free_unpacked(p, NULL);
	return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
}
