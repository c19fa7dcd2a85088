/* load.c: ONNX ModelProto -> our IR. Everything we do not interpret is kept as serialized
 * protobuf (blobs with their field numbers) so that saving loses nothing. */
#include "aimet_onnx.h"
#include "onnx_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOMEM(ctx) aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory")

/* strdup that keeps NULL (absent field) distinct from "" */
static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	return src && !(*dst = strdup(src)) ? -1 : 0;
}

static int add_opaque(struct aimet_blob **arr, int **fields, size_t *n, int field,
                      const ProtobufCMessage *msg)
{
	struct aimet_blob *b = aimet_realloc_array(*arr, *n + 1, sizeof(**arr));
	int *f;
	if (!b)
		return -1;
	*arr = b;
	f = aimet_realloc_array(*fields, *n + 1, sizeof(**fields));
	if (!f)
		return -1;
	*fields = f;
	b[*n].data = NULL;
	b[*n].len = 0;
	f[*n] = field;
	if (aimet_onnx_pack_blob(msg, &b[*n]))
		return -1;
	(*n)++;
	return 0;
}

/* Each unknown field becomes one opaque entry: the wire bytes with the tag, field number kept. */
static int add_unknown_opaque(struct aimet_blob **arr, int **fields, size_t *n,
                              const ProtobufCMessage *msg)
{
	for (unsigned i = 0; i < msg->n_unknown_fields; i++) {
		ProtobufCMessage one = *msg;
		struct aimet_blob *b = aimet_realloc_array(*arr, *n + 1, sizeof(**arr));
		int *f;
		if (!b)
			return -1;
		*arr = b;
		f = aimet_realloc_array(*fields, *n + 1, sizeof(**fields));
		if (!f)
			return -1;
		*fields = f;
		b[*n].data = NULL;
		b[*n].len = 0;
		f[*n] = (int)msg->unknown_fields[i].tag;
		one.n_unknown_fields = 1;
		one.unknown_fields = &msg->unknown_fields[i];
		(*n)++;
		if (aimet_onnx_unknown_to_blob(&one, &b[*n - 1]))
			return -1;
	}
	return 0;
}

static int is_value_attr(int type)
{
	switch (type) {
	case AIMET_ATTR_FLOAT: case AIMET_ATTR_INT: case AIMET_ATTR_STRING: case AIMET_ATTR_TENSOR:
	case AIMET_ATTR_FLOATS: case AIMET_ATTR_INTS: case AIMET_ATTR_STRINGS: case AIMET_ATTR_TENSORS:
		return 1;
	default:
		return 0;
	}
}

/* 1 if exactly the field for the attribute's declared type is set (so the typed IR holds it). */
static int attr_interpretable(const Onnx__AttributeProto *p)
{
	int type = p->has_type ? (int)p->type : 0;
	int set_scalar = !!p->has_f + !!p->has_i + !!p->has_s + !!p->t + !!p->g + !!p->sparse_tensor + !!p->tp;
	int set_list = !!p->n_floats + !!p->n_ints + !!p->n_strings + !!p->n_tensors + !!p->n_graphs +
	               !!p->n_sparse_tensors + !!p->n_type_protos;
	if (!is_value_attr(type) || set_scalar + set_list > 1)
		return 0;
	switch (type) {
	case AIMET_ATTR_FLOAT: return p->has_f;
	case AIMET_ATTR_INT: return p->has_i;
	case AIMET_ATTR_STRING: return p->has_s;
	case AIMET_ATTR_TENSOR: return p->t != NULL;
	case AIMET_ATTR_FLOATS: return set_scalar == 0 && (p->n_floats || !set_list);
	case AIMET_ATTR_INTS: return set_scalar == 0 && (p->n_ints || !set_list);
	case AIMET_ATTR_STRINGS: return set_scalar == 0 && (p->n_strings || !set_list);
	case AIMET_ATTR_TENSORS: return set_scalar == 0 && (p->n_tensors || !set_list);
	default: return 0;
	}
}

static int attr_from_proto(struct aimet_ctx *ctx, const Onnx__AttributeProto *p, const char *dir,
                           struct aimet_attr *a)
{
	int rc;
	if (!p->name)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "attribute without a name");
	if (!(a->name = strdup(p->name)))
		return NOMEM(ctx);
	a->type = p->has_type ? (int)p->type : 0;
	if (!attr_interpretable(p)) {
		/* a value kind whose fields disagree with its type is kept verbatim but hidden from
		 * the typed getters */
		if (is_value_attr(a->type))
			a->type = AIMET_ATTR_UNDEFINED;
		if (aimet_onnx_pack_blob(&p->base, &a->raw))
			return NOMEM(ctx);
		return AIMET_OK;
	}
	switch (a->type) {
	case AIMET_ATTR_FLOAT:
		a->f = p->f;
		break;
	case AIMET_ATTR_INT:
		a->i = p->i;
		break;
	case AIMET_ATTR_STRING:
		/* NUL-terminated so that aimet_node_attr_str can hand it out as a C string */
		if (!(a->s.data = malloc(p->s.len + 1)))
			return NOMEM(ctx);
		if (p->s.len)
			memcpy(a->s.data, p->s.data, p->s.len);
		a->s.data[p->s.len] = 0;
		a->s.len = p->s.len;
		break;
	case AIMET_ATTR_TENSOR:
		if ((rc = aimet_onnx_tensor_from_proto(ctx, p->t, dir, &a->t)))
			return rc;
		break;
	case AIMET_ATTR_FLOATS:
		if (!(a->floats = aimet_malloc(p->n_floats * sizeof(float))))
			return NOMEM(ctx);
		if (p->n_floats)
			memcpy(a->floats, p->floats, p->n_floats * sizeof(float));
		a->n_floats = p->n_floats;
		break;
	case AIMET_ATTR_INTS:
		if (!(a->ints = aimet_malloc(p->n_ints * sizeof(int64_t))))
			return NOMEM(ctx);
		if (p->n_ints)
			memcpy(a->ints, p->ints, p->n_ints * sizeof(int64_t));
		a->n_ints = p->n_ints;
		break;
	case AIMET_ATTR_STRINGS:
		if (!(a->strings = aimet_calloc(p->n_strings, sizeof(*a->strings))))
			return NOMEM(ctx);
		a->n_strings = p->n_strings;
		for (size_t i = 0; i < p->n_strings; i++) {
			size_t n = p->strings[i].len;
			if (!(a->strings[i].data = malloc(n + 1)))
				return NOMEM(ctx);
			if (n)
				memcpy(a->strings[i].data, p->strings[i].data, n);
			a->strings[i].data[n] = 0;
			a->strings[i].len = n;
		}
		break;
	case AIMET_ATTR_TENSORS:
		if (!(a->tensors = aimet_calloc(p->n_tensors, sizeof(*a->tensors))))
			return NOMEM(ctx);
		a->n_tensors = p->n_tensors;
		for (size_t i = 0; i < p->n_tensors; i++)
			if ((rc = aimet_onnx_tensor_from_proto(ctx, p->tensors[i], dir, &a->tensors[i])))
				return rc;
		break;
	}
	/* fields beside the value (doc_string, ref_attr_name, unknown fields) go into raw; the
	 * value itself stays in the typed fields so that edits to it are saved */
	if (p->doc_string || p->ref_attr_name || p->base.n_unknown_fields) {
		Onnx__AttributeProto rest = ONNX__ATTRIBUTE_PROTO__INIT;
		rest.base.n_unknown_fields = p->base.n_unknown_fields;
		rest.base.unknown_fields = p->base.unknown_fields;
		rest.doc_string = p->doc_string;
		rest.ref_attr_name = p->ref_attr_name;
		if (aimet_onnx_pack_blob(&rest.base, &a->raw))
			return NOMEM(ctx);
	}
	return AIMET_OK;
}

static int node_from_proto(struct aimet_ctx *ctx, const Onnx__NodeProto *p, const char *dir,
                           struct aimet_node **out)
{
	struct aimet_node *n;
	int rc;
	const char *nm = p->name ? p->name : "";
	if (!p->op_type || !*p->op_type)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "node '%s' has no op_type", nm);
	if (p->n_input > INT_MAX || p->n_output > INT_MAX || p->n_attribute > INT_MAX)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "node '%s': too many inputs/outputs", nm);
	n = calloc(1, sizeof(*n));
	if (!n)
		return NOMEM(ctx);
	*out = n;   /* the caller frees it on failure */
	if (dup_opt(&n->name, p->name) || dup_opt(&n->op_type, p->op_type) ||
	    dup_opt(&n->domain, p->domain) || dup_opt(&n->doc_string, p->doc_string))
		return NOMEM(ctx);
	if (!(n->inputs = aimet_calloc(p->n_input, sizeof(char *))) ||
	    !(n->outputs = aimet_calloc(p->n_output, sizeof(char *))) ||
	    !(n->attrs = aimet_calloc(p->n_attribute, sizeof(*n->attrs))))
		return NOMEM(ctx);
	for (size_t i = 0; i < p->n_input; i++, n->n_inputs++)
		if (!(n->inputs[i] = strdup(p->input[i])))
			return NOMEM(ctx);
	for (size_t i = 0; i < p->n_output; i++, n->n_outputs++)
		if (!(n->outputs[i] = strdup(p->output[i])))
			return NOMEM(ctx);
	for (size_t i = 0; i < p->n_attribute; i++) {
		n->n_attrs++;
		if ((rc = attr_from_proto(ctx, p->attribute[i], dir, &n->attrs[i])))
			return aimet_error_prefix(ctx, rc, "node '%s' (%s)", nm, p->op_type);
	}
	if (aimet_onnx_unknown_to_blob(&p->base, &n->extra))
		return NOMEM(ctx);
	return AIMET_OK;
}

/* A tensor type we can describe as elem_type + dims; anything else is kept serialized. */
static int type_interpretable(const Onnx__TypeProto *tp)
{
	const Onnx__TypeProto__Tensor *tt;
	if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || tp->denotation ||
	    tp->base.n_unknown_fields)
		return 0;
	tt = tp->tensor_type;
	if (!tt || !tt->has_elem_type || tt->elem_type == 0 || tt->base.n_unknown_fields)
		return 0;
	if (!tt->shape)
		return 1;
	if (tt->shape->base.n_unknown_fields || tt->shape->n_dim > INT_MAX)
		return 0;
	for (size_t i = 0; i < tt->shape->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
		if (d->base.n_unknown_fields)
			return 0;
		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value < 0)
			return 0;
		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && !d->dim_param)
			return 0;
	}
	return 1;
}

static int value_info_from_proto(struct aimet_ctx *ctx, const Onnx__ValueInfoProto *p,
                                 struct aimet_value_info *v)
{
	if (!p->name)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "value without a name");
	if (dup_opt(&v->name, p->name) || dup_opt(&v->doc_string, p->doc_string) ||
	    aimet_onnx_unknown_to_blob(&p->base, &v->extra))
		return NOMEM(ctx);
	if (!p->type)
		return AIMET_OK;
	if (!type_interpretable(p->type)) {
		if (aimet_onnx_pack_blob(&p->type->base, &v->raw_type))
			return NOMEM(ctx);
		return AIMET_OK;
	}
	v->elem_type = p->type->tensor_type->elem_type;
	if (p->type->tensor_type->shape) {
		const Onnx__TensorShapeProto *s = p->type->tensor_type->shape;
		v->has_shape = 1;
		if (!(v->dims = aimet_calloc(s->n_dim, sizeof(*v->dims))))
			return NOMEM(ctx);
		for (size_t i = 0; i < s->n_dim; i++) {
			const Onnx__TensorShapeProto__Dimension *d = s->dim[i];
			v->ndim++;
			v->dims[i].value = -1;
			if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
				v->dims[i].value = d->dim_value;
			else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
			         !(v->dims[i].param = strdup(d->dim_param)))
				return NOMEM(ctx);
			if (dup_opt(&v->dims[i].denotation, d->denotation))
				return NOMEM(ctx);
		}
	}
	return AIMET_OK;
}

static int value_infos(struct aimet_ctx *ctx, Onnx__ValueInfoProto **src, size_t n,
                       struct aimet_value_info **dst, size_t *dn, const char *what)
{
	int rc;
	if (!(*dst = aimet_calloc(n, sizeof(**dst))))
		return NOMEM(ctx);
	for (size_t i = 0; i < n; i++) {
		(*dn)++;
		if ((rc = value_info_from_proto(ctx, src[i], &(*dst)[i])))
			return aimet_error_prefix(ctx, rc, "graph %s %zu", what, i);
	}
	return AIMET_OK;
}

static int graph_from_proto(struct aimet_ctx *ctx, const Onnx__GraphProto *p, const char *dir,
                            struct aimet_graph *g)
{
	int rc;
	if (dup_opt(&g->name, p->name) || dup_opt(&g->doc_string, p->doc_string))
		return NOMEM(ctx);
	if (!(g->nodes = aimet_calloc(p->n_node, sizeof(*g->nodes))))
		return NOMEM(ctx);
	g->cap_nodes = p->n_node;
	for (size_t i = 0; i < p->n_node; i++) {
		rc = node_from_proto(ctx, p->node[i], dir, &g->nodes[i]);
		if (g->nodes[i])
			g->n_nodes++;
		if (rc)
			return rc;
		if ((rc = aimet_check_interrupt(ctx)))
			return rc;
	}
	if (!(g->initializers = aimet_calloc(p->n_initializer, sizeof(*g->initializers))))
		return NOMEM(ctx);
	g->cap_initializers = p->n_initializer;
	for (size_t i = 0; i < p->n_initializer; i++) {
		if (!p->initializer[i]->name || !*p->initializer[i]->name)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "initializer %zu has no name", i);
		rc = aimet_onnx_tensor_from_proto(ctx, p->initializer[i], dir, &g->initializers[i]);
		if (rc)
			return aimet_error_prefix(ctx, rc, "initializer");
		g->n_initializers++;
	}
	if ((rc = value_infos(ctx, p->input, p->n_input, &g->inputs, &g->n_inputs, "input")) ||
	    (rc = value_infos(ctx, p->output, p->n_output, &g->outputs, &g->n_outputs, "output")) ||
	    (rc = value_infos(ctx, p->value_info, p->n_value_info, &g->value_info, &g->n_value_info,
	                      "value_info")))
		return rc;
	for (size_t i = 0; i < p->n_quantization_annotation; i++)
		if (add_opaque(&g->opaque, &g->opaque_field, &g->n_opaque, 14,
		               &p->quantization_annotation[i]->base))
			return NOMEM(ctx);
	for (size_t i = 0; i < p->n_sparse_initializer; i++)
		if (add_opaque(&g->opaque, &g->opaque_field, &g->n_opaque, 15,
		               &p->sparse_initializer[i]->base))
			return NOMEM(ctx);
	if (add_unknown_opaque(&g->opaque, &g->opaque_field, &g->n_opaque, &p->base))
		return NOMEM(ctx);
	return AIMET_OK;
}

static int model_from_proto(struct aimet_ctx *ctx, const Onnx__ModelProto *p, const char *dir,
                            struct aimet_model *m)
{
	int rc;
	if (!p->graph)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "not an ONNX model (no graph)");
	m->ir_version = p->ir_version;
	m->model_version = p->model_version;
	if (dup_opt(&m->producer_name, p->producer_name) ||
	    dup_opt(&m->producer_version, p->producer_version) || dup_opt(&m->domain, p->domain) ||
	    dup_opt(&m->doc_string, p->doc_string) || dup_opt(&m->dir, dir))
		return NOMEM(ctx);
	if (!(m->opsets = aimet_calloc(p->n_opset_import, sizeof(*m->opsets))))
		return NOMEM(ctx);
	for (size_t i = 0; i < p->n_opset_import; i++, m->n_opsets++) {
		if (dup_opt(&m->opsets[i].domain, p->opset_import[i]->domain))
			return NOMEM(ctx);
		m->opsets[i].version = p->opset_import[i]->version;
	}
	if (!(m->metadata = aimet_calloc(p->n_metadata_props, sizeof(*m->metadata))))
		return NOMEM(ctx);
	for (size_t i = 0; i < p->n_metadata_props; i++, m->n_metadata++)
		if (dup_opt(&m->metadata[i].key, p->metadata_props[i]->key) ||
		    dup_opt(&m->metadata[i].value, p->metadata_props[i]->value))
			return NOMEM(ctx);
	for (size_t i = 0; i < p->n_training_info; i++)
		if (add_opaque(&m->opaque, &m->opaque_field, &m->n_opaque, 20, &p->training_info[i]->base))
			return NOMEM(ctx);
	for (size_t i = 0; i < p->n_functions; i++)
		if (add_opaque(&m->opaque, &m->opaque_field, &m->n_opaque, 25, &p->functions[i]->base))
			return NOMEM(ctx);
	if (add_unknown_opaque(&m->opaque, &m->opaque_field, &m->n_opaque, &p->base))
		return NOMEM(ctx);
	if (!(m->graph = calloc(1, sizeof(*m->graph))))
		return NOMEM(ctx);
	if ((rc = graph_from_proto(ctx, p->graph, dir, m->graph)))
		return rc;
	return AIMET_OK;
}

/* A model whose tensors need more than 3/4 of physical memory is refused up front rather than
 * driven into swap. Inline data is bounded by the file's size; external data is counted by its
 * declared shape (several tensors may even name the same bytes of one side file). */
static int check_memory(struct aimet_ctx *ctx, const Onnx__ModelProto *p, size_t len)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	double avail, need = (double)len;
	if (pages <= 0 || psz <= 0 || !p->graph)
		return AIMET_OK;
	avail = (double)pages * (double)psz * 0.75;
	for (size_t i = 0; i < p->graph->n_initializer; i++) {
		const Onnx__TensorProto *t = p->graph->initializer[i];
		double n = 1;
		if (!t->has_data_location || t->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
			continue;
		for (size_t d = 0; d < t->n_dims; d++)
			n *= t->dims[d] > 0 ? (double)t->dims[d] : 0;
		need += n * (double)(aimet_dtype_size(t->has_data_type ? t->data_type : 0) ?: 1);
	}
	if (need > avail)
		return aimet_error(ctx, AIMET_ERR_LIMIT,
		                   "model needs %.3g GiB, more than the memory available (%.3g GiB)",
		                   need / (1 << 30), avail / (1 << 30));
	return AIMET_OK;
}

int aimet_model_load_buffer(struct aimet_ctx *ctx, const void *buf, size_t len, const char *dir,
                            struct aimet_model **out)
{
	Onnx__ModelProto *p;
	struct aimet_model *m;
	int rc;
	*out = NULL;
	/* protobuf-c recurses without a depth limit: check nesting before handing it over */
	if (aimet_onnx_wire_check(&onnx__model_proto__descriptor, buf, len))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "not an ONNX model (protobuf parse failed)");
	p = onnx__model_proto__unpack(NULL, len, buf);
	if (!p)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "not an ONNX model (protobuf parse failed)");
	if ((rc = check_memory(ctx, p, len))) {
		onnx__model_proto__free_unpacked(p, NULL);
		return rc;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		onnx__model_proto__free_unpacked(p, NULL);
		return NOMEM(ctx);
	}
	rc = model_from_proto(ctx, p, dir, m);
	onnx__model_proto__free_unpacked(p, NULL);
	if (rc) {
		aimet_model_free(m);
		return rc;
	}
	*out = m;
	return AIMET_OK;
}

int aimet_model_load(struct aimet_ctx *ctx, const char *path, struct aimet_model **out)
{
	int is_stdin = !strcmp(path, "-");
	char *dir = NULL;
	uint8_t *buf;
	size_t len;
	int rc;
	*out = NULL;
	rc = aimet_onnx_read_file(ctx, path, (size_t)1 << 32, &buf, &len);
	if (rc)
		return rc;
	if (!is_stdin) {
		const char *slash = strrchr(path, '/');
		dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
		if (!dir) {
			free(buf);
			return NOMEM(ctx);
		}
	}
	rc = aimet_model_load_buffer(ctx, buf, len, dir, out);
	free(buf);
	free(dir);
	if (rc)
		aimet_error_prefix(ctx, rc, "'%s'", is_stdin ? "<stdin>" : path);
	return rc;
}
