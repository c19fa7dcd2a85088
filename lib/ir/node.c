/* node.c: attribute lookup on nodes, and freeing the IR. */
#include "aimet.h"

#include <stdlib.h>
#include <string.h>

const char *aimet_node_label(const struct aimet_node *n)
{
	return n->name && n->name[0] ? n->name : (n->n_outputs ? n->outputs[0] : "?");
}

const struct aimet_attr *aimet_node_attr(const struct aimet_node *n, const char *name)
{
	for (int i = 0; i < n->n_attrs; i++)
		if (n->attrs[i].name && !strcmp(n->attrs[i].name, name))
			return &n->attrs[i];
	return NULL;
}

int64_t aimet_node_attr_int(const struct aimet_node *n, const char *name, int64_t dflt)
{
	const struct aimet_attr *a = aimet_node_attr(n, name);
	return a && a->type == AIMET_ATTR_INT ? a->i : dflt;
}

float aimet_node_attr_float(const struct aimet_node *n, const char *name, float dflt)
{
	const struct aimet_attr *a = aimet_node_attr(n, name);
	if (!a)
		return dflt;
	if (a->type == AIMET_ATTR_FLOAT)
		return a->f;
	if (a->type == AIMET_ATTR_INT)
		return (float)a->i;
	return dflt;
}

const char *aimet_node_attr_str(const struct aimet_node *n, const char *name, const char *dflt)
{
	const struct aimet_attr *a = aimet_node_attr(n, name);
	/* the loader always NUL-terminates string attribute data (len excludes the NUL) */
	return a && a->type == AIMET_ATTR_STRING && a->s.data ? a->s.data : dflt;
}

int aimet_node_attr_ints(const struct aimet_node *n, const char *name, const int64_t **vals)
{
	const struct aimet_attr *a = aimet_node_attr(n, name);
	if (!a || a->type != AIMET_ATTR_INTS)
		return -1;
	*vals = a->ints;
	return (int)a->n_ints;
}

static void blob_clear(struct aimet_blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

void aimet_attr_clear(struct aimet_attr *a)
{
	free(a->name);
	free(a->s.data);
	aimet_tensor_free(a->t);
	free(a->floats);
	free(a->ints);
	for (size_t i = 0; i < a->n_strings; i++)
		free(a->strings[i].data);
	free(a->strings);
	for (size_t i = 0; i < a->n_tensors; i++)
		aimet_tensor_free(a->tensors[i]);
	free(a->tensors);
	blob_clear(&a->raw);
	memset(a, 0, sizeof(*a));
}

void aimet_node_free(struct aimet_node *n)
{
	if (!n)
		return;
	free(n->name);
	free(n->op_type);
	free(n->domain);
	free(n->doc_string);
	for (int i = 0; i < n->n_inputs; i++)
		free(n->inputs[i]);
	free(n->inputs);
	for (int i = 0; i < n->n_outputs; i++)
		free(n->outputs[i]);
	free(n->outputs);
	for (int i = 0; i < n->n_attrs; i++)
		aimet_attr_clear(&n->attrs[i]);
	free(n->attrs);
	blob_clear(&n->extra);
	free(n);
}

void aimet_value_info_clear(struct aimet_value_info *v)
{
	free(v->name);
	free(v->doc_string);
	for (int i = 0; i < v->ndim; i++) {
		free(v->dims[i].param);
		free(v->dims[i].denotation);
	}
	free(v->dims);
	blob_clear(&v->raw_type);
	blob_clear(&v->extra);
	memset(v, 0, sizeof(*v));
}

static void value_infos_free(struct aimet_value_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aimet_value_info_clear(&v[i]);
	free(v);
}

void aimet_graph_free(struct aimet_graph *g)
{
	if (!g)
		return;
	free(g->name);
	free(g->doc_string);
	for (size_t i = 0; i < g->n_nodes; i++)
		aimet_node_free(g->nodes[i]);
	free(g->nodes);
	value_infos_free(g->inputs, g->n_inputs);
	value_infos_free(g->outputs, g->n_outputs);
	value_infos_free(g->value_info, g->n_value_info);
	for (size_t i = 0; i < g->n_initializers; i++)
		aimet_tensor_free(g->initializers[i]);
	free(g->initializers);
	for (size_t i = 0; i < g->n_opaque; i++)
		blob_clear(&g->opaque[i]);
	free(g->opaque);
	free(g->opaque_field);
	free(g);
}

void aimet_model_free(struct aimet_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_opsets; i++)
		free(m->opsets[i].domain);
	free(m->opsets);
	free(m->producer_name);
	free(m->producer_version);
	free(m->domain);
	free(m->doc_string);
	for (size_t i = 0; i < m->n_metadata; i++) {
		free(m->metadata[i].key);
		free(m->metadata[i].value);
	}
	free(m->metadata);
	aimet_graph_free(m->graph);
	for (size_t i = 0; i < m->n_opaque; i++)
		blob_clear(&m->opaque[i]);
	free(m->opaque);
	free(m->opaque_field);
	free(m->dir);
	free(m);
}

int64_t aimet_model_opset(const struct aimet_model *m)
{
	for (size_t i = 0; i < m->n_opsets; i++)
		if (!m->opsets[i].domain || !m->opsets[i].domain[0] ||
		    !strcmp(m->opsets[i].domain, "ai.onnx"))
			return m->opsets[i].version;
	return 0;
}
