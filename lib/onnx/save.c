/* save.c: our IR -> ONNX ModelProto, packed to a file (atomically, external data in a side
 * file when asked or when the model would pass the 2 GiB protobuf limit), stdout or memory. */
#include "aimet_onnx.h"
#include "onnx_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NOMEM(ctx) aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory")

/* protobuf messages are limited to 2 GiB; a variable so that tests can exercise the switch to
 * external data without building a 2 GiB model */
size_t aimet_onnx_inline_limit = (size_t)INT32_MAX;
#define PROTO_LIMIT aimet_onnx_inline_limit

struct saver {
	struct aimet_ctx *ctx;
	struct aimet_onnx_arena a;
	struct aimet_onnx_ext *ext;
};

static void *alloc(struct saver *s, size_t count, size_t size)
{
	return aimet_onnx_arena_alloc(&s->a, count, size);
}

static int set_unknown(struct saver *s, ProtobufCMessage *m, const struct aimet_blob *b,
                       const char *what)
{
	ProtobufCMessageUnknownField *u;
	unsigned n;
	if (!b->len)
		return AIMET_OK;
	if (aimet_onnx_blob_to_unknown(b, &u, &n))
		return aimet_error(s->ctx, AIMET_ERR_INVALID, "%s: malformed preserved fields", what);
	if (aimet_onnx_arena_own(&s->a, u))
		return NOMEM(s->ctx);
	m->n_unknown_fields = n;
	m->unknown_fields = u;
	return AIMET_OK;
}

/* Unpack a preserved blob as a message of `desc`; owned by the arena. */
static ProtobufCMessage *unblob(struct saver *s, const ProtobufCMessageDescriptor *desc,
                                const struct aimet_blob *b, const char *what)
{
	ProtobufCMessage *m;
	if (aimet_onnx_wire_check(desc, b->data, b->len) ||
	    !(m = protobuf_c_message_unpack(desc, NULL, b->len, b->data))) {
		aimet_error(s->ctx, AIMET_ERR_INVALID, "%s: malformed preserved data", what);
		return NULL;
	}
	if (aimet_onnx_arena_own_msg(&s->a, m)) {
		NOMEM(s->ctx);
		return NULL;
	}
	return m;
}

static int tensor(struct saver *s, const struct aimet_tensor *t, Onnx__TensorProto **out)
{
	Onnx__TensorProto *p = alloc(s, 1, sizeof(*p));
	if (!p)
		return NOMEM(s->ctx);
	*out = p;
	return aimet_onnx_tensor_to_proto(s->ctx, t, p, &s->a, s->ext);
}

static int attr(struct saver *s, const struct aimet_attr *a, Onnx__AttributeProto **out)
{
	Onnx__AttributeProto *p;
	int rc;
	const char *nm = a->name ? a->name : "";
	int typed = a->type >= AIMET_ATTR_FLOAT && a->type <= AIMET_ATTR_TENSORS &&
	            a->type != AIMET_ATTR_GRAPH && a->type != AIMET_ATTR_GRAPHS;
	if (!typed) {
		/* a kind we do not interpret is emitted exactly as it was read */
		if (!a->raw.len)
			return aimet_error(s->ctx, AIMET_ERR_INVALID, "attribute '%s': no preserved data", nm);
		*out = (Onnx__AttributeProto *)unblob(s, &onnx__attribute_proto__descriptor, &a->raw, nm);
		return *out ? AIMET_OK : AIMET_ERR_INVALID;
	}
	p = alloc(s, 1, sizeof(*p));
	if (!p)
		return NOMEM(s->ctx);
	onnx__attribute_proto__init(p);
	*out = p;
	if (a->raw.len) {
		/* the value is ours; doc_string, ref_attr_name and unknown fields come from raw */
		Onnx__AttributeProto *r = (Onnx__AttributeProto *)
			unblob(s, &onnx__attribute_proto__descriptor, &a->raw, nm);
		if (!r)
			return AIMET_ERR_INVALID;
		p->doc_string = r->doc_string;
		p->ref_attr_name = r->ref_attr_name;
		p->base.n_unknown_fields = r->base.n_unknown_fields;
		p->base.unknown_fields = r->base.unknown_fields;
	}
	p->name = a->name;
	p->has_type = 1;
	p->type = (Onnx__AttributeProto__AttributeType)a->type;
	switch (a->type) {
	case AIMET_ATTR_FLOAT:
		p->has_f = 1;
		p->f = a->f;
		break;
	case AIMET_ATTR_INT:
		p->has_i = 1;
		p->i = a->i;
		break;
	case AIMET_ATTR_STRING:
		p->has_s = 1;
		p->s.len = a->s.len;
		p->s.data = (uint8_t *)a->s.data;
		break;
	case AIMET_ATTR_TENSOR:
		if (!a->t)
			return aimet_error(s->ctx, AIMET_ERR_INVALID, "attribute '%s': no tensor", nm);
		if ((rc = tensor(s, a->t, &p->t)))
			return aimet_error_prefix(s->ctx, rc, "attribute '%s'", nm);
		break;
	case AIMET_ATTR_FLOATS:
		p->n_floats = a->n_floats;
		p->floats = a->floats;
		break;
	case AIMET_ATTR_INTS:
		p->n_ints = a->n_ints;
		p->ints = a->ints;
		break;
	case AIMET_ATTR_STRINGS:
		p->n_strings = a->n_strings;
		if (!(p->strings = alloc(s, a->n_strings, sizeof(*p->strings))))
			return NOMEM(s->ctx);
		for (size_t i = 0; i < a->n_strings; i++) {
			p->strings[i].len = a->strings[i].len;
			p->strings[i].data = (uint8_t *)a->strings[i].data;
		}
		break;
	case AIMET_ATTR_TENSORS:
		p->n_tensors = a->n_tensors;
		if (!(p->tensors = alloc(s, a->n_tensors, sizeof(*p->tensors))))
			return NOMEM(s->ctx);
		for (size_t i = 0; i < a->n_tensors; i++)
			if ((rc = tensor(s, a->tensors[i], &p->tensors[i])))
				return aimet_error_prefix(s->ctx, rc, "attribute '%s'", nm);
		break;
	}
	return AIMET_OK;
}

static int node(struct saver *s, const struct aimet_node *n, Onnx__NodeProto **out)
{
	Onnx__NodeProto *p = alloc(s, 1, sizeof(*p));
	int rc;
	if (!p)
		return NOMEM(s->ctx);
	onnx__node_proto__init(p);
	*out = p;
	p->name = n->name;
	p->op_type = n->op_type;
	p->domain = n->domain;
	p->doc_string = n->doc_string;
	p->n_input = (size_t)n->n_inputs;
	p->input = n->inputs;
	p->n_output = (size_t)n->n_outputs;
	p->output = n->outputs;
	for (int i = 0; i < n->n_inputs; i++)
		if (!n->inputs[i])
			return aimet_error(s->ctx, AIMET_ERR_INVALID, "node '%s': input %d is NULL",
			                   n->name ? n->name : "", i);
	for (int i = 0; i < n->n_outputs; i++)
		if (!n->outputs[i])
			return aimet_error(s->ctx, AIMET_ERR_INVALID, "node '%s': output %d is NULL",
			                   n->name ? n->name : "", i);
	p->n_attribute = (size_t)n->n_attrs;
	if (!(p->attribute = alloc(s, (size_t)n->n_attrs, sizeof(*p->attribute))))
		return NOMEM(s->ctx);
	for (int i = 0; i < n->n_attrs; i++)
		if ((rc = attr(s, &n->attrs[i], &p->attribute[i])))
			return aimet_error_prefix(s->ctx, rc, "node '%s'", n->name ? n->name : "");
	return set_unknown(s, &p->base, &n->extra, "node");
}

static int value_info(struct saver *s, const struct aimet_value_info *v, Onnx__ValueInfoProto **out)
{
	Onnx__ValueInfoProto *p = alloc(s, 1, sizeof(*p));
	if (!p)
		return NOMEM(s->ctx);
	onnx__value_info_proto__init(p);
	*out = p;
	p->name = v->name;
	p->doc_string = v->doc_string;
	if (v->raw_type.len) {
		p->type = (Onnx__TypeProto *)unblob(s, &onnx__type_proto__descriptor, &v->raw_type,
		                                    v->name ? v->name : "");
		if (!p->type)
			return AIMET_ERR_INVALID;
	} else if (v->elem_type) {
		Onnx__TypeProto *tp = alloc(s, 1, sizeof(*tp));
		Onnx__TypeProto__Tensor *tt = alloc(s, 1, sizeof(*tt));
		if (!tp || !tt)
			return NOMEM(s->ctx);
		onnx__type_proto__init(tp);
		onnx__type_proto__tensor__init(tt);
		tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
		tp->tensor_type = tt;
		tt->has_elem_type = 1;
		tt->elem_type = v->elem_type;
		if (v->has_shape) {
			Onnx__TensorShapeProto *sh = alloc(s, 1, sizeof(*sh));
			if (!sh)
				return NOMEM(s->ctx);
			onnx__tensor_shape_proto__init(sh);
			if (!(sh->dim = alloc(s, (size_t)v->ndim, sizeof(*sh->dim))))
				return NOMEM(s->ctx);
			sh->n_dim = (size_t)v->ndim;
			for (int i = 0; i < v->ndim; i++) {
				Onnx__TensorShapeProto__Dimension *d = alloc(s, 1, sizeof(*d));
				if (!d)
					return NOMEM(s->ctx);
				onnx__tensor_shape_proto__dimension__init(d);
				d->denotation = v->dims[i].denotation;
				if (v->dims[i].param) {
					d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
					d->dim_param = v->dims[i].param;
				} else if (v->dims[i].value >= 0) {
					d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
					d->dim_value = v->dims[i].value;
				}
				sh->dim[i] = d;
			}
			tt->shape = sh;
		}
		p->type = tp;
	}
	return set_unknown(s, &p->base, &v->extra, "value_info");
}

static int value_infos(struct saver *s, const struct aimet_value_info *v, size_t n,
                       Onnx__ValueInfoProto ***out, size_t *nout)
{
	int rc;
	if (!(*out = alloc(s, n, sizeof(**out))))
		return NOMEM(s->ctx);
	*nout = n;
	for (size_t i = 0; i < n; i++)
		if ((rc = value_info(s, &v[i], &(*out)[i])))
			return rc;
	return AIMET_OK;
}

/* Split opaque entries into the known repeated fields (kept in order) and unknown fields. */
static int opaque(struct saver *s, const struct aimet_blob *blobs, const int *fields, size_t n,
                  int field, const ProtobufCMessageDescriptor *desc, void ***out, size_t *nout)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += fields[i] == field;
	*nout = 0;
	if (!k)
		return AIMET_OK;
	if (!(*out = alloc(s, k, sizeof(void *))))
		return NOMEM(s->ctx);
	for (size_t i = 0; i < n; i++)
		if (fields[i] == field) {
			ProtobufCMessage *m = unblob(s, desc, &blobs[i], desc->short_name);
			if (!m)
				return AIMET_ERR_INVALID;
			(*out)[(*nout)++] = m;
		}
	return AIMET_OK;
}

static int unknown_opaque(struct saver *s, ProtobufCMessage *m, const struct aimet_blob *blobs,
                          const int *fields, size_t n, const int *known, size_t nknown)
{
	struct aimet_blob all = {0};
	int rc;
	for (size_t i = 0; i < n; i++) {
		int is_known = 0;
		for (size_t j = 0; j < nknown; j++)
			is_known |= fields[i] == known[j];
		if (is_known || !blobs[i].len)
			continue;
		uint8_t *d = realloc(all.data, all.len + blobs[i].len);
		if (!d) {
			free(all.data);
			return NOMEM(s->ctx);
		}
		all.data = d;
		memcpy(d + all.len, blobs[i].data, blobs[i].len);
		all.len += blobs[i].len;
	}
	if (!all.len)
		return AIMET_OK;
	if (aimet_onnx_arena_own(&s->a, all.data))
		return NOMEM(s->ctx);
	rc = set_unknown(s, m, &all, "opaque field");
	return rc;
}

static int graph(struct saver *s, const struct aimet_graph *g, Onnx__GraphProto *p)
{
	static const int known[] = {14, 15};
	int rc;
	onnx__graph_proto__init(p);
	p->name = g->name;
	p->doc_string = g->doc_string;
	p->n_node = g->n_nodes;
	if (!(p->node = alloc(s, g->n_nodes, sizeof(*p->node))))
		return NOMEM(s->ctx);
	for (size_t i = 0; i < g->n_nodes; i++) {
		if ((rc = node(s, g->nodes[i], &p->node[i])))
			return rc;
		if ((rc = aimet_check_interrupt(s->ctx)))
			return rc;
	}
	p->n_initializer = g->n_initializers;
	if (!(p->initializer = alloc(s, g->n_initializers, sizeof(*p->initializer))))
		return NOMEM(s->ctx);
	for (size_t i = 0; i < g->n_initializers; i++)
		if ((rc = tensor(s, g->initializers[i], &p->initializer[i])))
			return rc;
	if ((rc = value_infos(s, g->inputs, g->n_inputs, &p->input, &p->n_input)) ||
	    (rc = value_infos(s, g->outputs, g->n_outputs, &p->output, &p->n_output)) ||
	    (rc = value_infos(s, g->value_info, g->n_value_info, &p->value_info, &p->n_value_info)) ||
	    (rc = opaque(s, g->opaque, g->opaque_field, g->n_opaque, 14,
	                 &onnx__tensor_annotation__descriptor, (void ***)&p->quantization_annotation,
	                 &p->n_quantization_annotation)) ||
	    (rc = opaque(s, g->opaque, g->opaque_field, g->n_opaque, 15,
	                 &onnx__sparse_tensor_proto__descriptor, (void ***)&p->sparse_initializer,
	                 &p->n_sparse_initializer)))
		return rc;
	return unknown_opaque(s, &p->base, g->opaque, g->opaque_field, g->n_opaque, known, 2);
}

static int model(struct saver *s, const struct aimet_model *m, Onnx__ModelProto *p)
{
	static const int known[] = {20, 25};
	Onnx__GraphProto *gp;
	int rc;
	onnx__model_proto__init(p);
	if (!m->graph)
		return aimet_error(s->ctx, AIMET_ERR_INVALID, "model has no graph");
	p->has_ir_version = 1;
	p->ir_version = m->ir_version;
	p->producer_name = m->producer_name;
	p->producer_version = m->producer_version;
	p->domain = m->domain;
	p->has_model_version = m->model_version != 0;
	p->model_version = m->model_version;
	p->doc_string = m->doc_string;
	p->n_opset_import = m->n_opsets;
	if (!(p->opset_import = alloc(s, m->n_opsets, sizeof(*p->opset_import))))
		return NOMEM(s->ctx);
	for (size_t i = 0; i < m->n_opsets; i++) {
		Onnx__OperatorSetIdProto *o = alloc(s, 1, sizeof(*o));
		if (!o)
			return NOMEM(s->ctx);
		onnx__operator_set_id_proto__init(o);
		o->domain = m->opsets[i].domain;
		o->has_version = 1;
		o->version = m->opsets[i].version;
		p->opset_import[i] = o;
	}
	p->n_metadata_props = m->n_metadata;
	if (!(p->metadata_props = alloc(s, m->n_metadata, sizeof(*p->metadata_props))))
		return NOMEM(s->ctx);
	for (size_t i = 0; i < m->n_metadata; i++) {
		Onnx__StringStringEntryProto *e = alloc(s, 1, sizeof(*e));
		if (!e)
			return NOMEM(s->ctx);
		onnx__string_string_entry_proto__init(e);
		e->key = m->metadata[i].key;
		e->value = m->metadata[i].value;
		p->metadata_props[i] = e;
	}
	if (!(gp = alloc(s, 1, sizeof(*gp))))
		return NOMEM(s->ctx);
	p->graph = gp;
	if ((rc = graph(s, m->graph, gp)) ||
	    (rc = opaque(s, m->opaque, m->opaque_field, m->n_opaque, 20,
	                 &onnx__training_info_proto__descriptor, (void ***)&p->training_info,
	                 &p->n_training_info)) ||
	    (rc = opaque(s, m->opaque, m->opaque_field, m->n_opaque, 25,
	                 &onnx__function_proto__descriptor, (void ***)&p->functions, &p->n_functions)))
		return rc;
	return unknown_opaque(s, &p->base, m->opaque, m->opaque_field, m->n_opaque, known, 2);
}

int aimet_model_serialize(struct aimet_ctx *ctx, const struct aimet_model *m, uint8_t **buf,
                          size_t *len)
{
	struct saver s = {ctx, {0}, NULL};
	Onnx__ModelProto p;
	int rc = model(&s, m, &p);
	if (!rc) {
		size_t n = onnx__model_proto__get_packed_size(&p);
		if (n > PROTO_LIMIT)
			rc = aimet_error(ctx, AIMET_ERR_LIMIT,
			                 "model is over 2 GiB: save it to a file to use external data");
		else if (!(*buf = malloc(n ? n : 1)))
			rc = NOMEM(ctx);
		else
			*len = onnx__model_proto__pack(&p, *buf);
	}
	aimet_onnx_arena_free(&s.a);
	return rc;
}

struct file_sink {
	ProtobufCBuffer base;
	FILE *fp;
	int err;
};

static void sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	struct file_sink *s = (struct file_sink *)b;
	if (!s->err && len && fwrite(data, 1, len, s->fp) != len)
		s->err = errno ? errno : EIO;
}

static int pack_to_file(struct aimet_ctx *ctx, const Onnx__ModelProto *p, FILE *fp, const char *shown)
{
	struct file_sink sink = {{sink_append}, fp, 0};
	errno = 0;
	onnx__model_proto__pack_to_buffer(p, &sink.base);
	if (sink.err)
		return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", shown, strerror(sink.err));
	return AIMET_OK;
}

int aimet_model_save(struct aimet_ctx *ctx, const struct aimet_model *m, const char *path,
                     const struct aimet_save_opts *opts)
{
	struct saver s = {ctx, {0}, NULL};
	struct aimet_onnx_ext ext = {SIZE_MAX, NULL, NULL, 0};
	Onnx__ModelProto p;
	int to_stdout = !strcmp(path, "-"), rc;
	size_t min = opts ? opts->external_min_bytes : 0;
	char *tmp = NULL, *side = NULL, *side_tmp = NULL, *loc = NULL;
	FILE *fp = NULL;
	if (!min) {
		/* automatic: only when the packed model would not fit in one protobuf message */
		rc = model(&s, m, &p);
		if (!rc && onnx__model_proto__get_packed_size(&p) > PROTO_LIMIT)
			min = 1024;
		aimet_onnx_arena_free(&s.a);
		if (rc)
			return rc;
	}
	if (min) {
		const char *base = strrchr(path, '/');
		const char *name = opts && opts->external_name ? opts->external_name : NULL;
		size_t dl = base ? (size_t)(base - path) + 1 : 0;
		base = base ? base + 1 : path;
		if (to_stdout)
			return aimet_error(ctx, AIMET_ERR_INVALID,
			                   "cannot write external data with the model to stdout");
		if (name && (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")))
			return aimet_error(ctx, AIMET_ERR_INVALID, "bad external data file name '%s'", name);
		if (name)
			loc = strdup(name);
		else if ((loc = malloc(strlen(base) + 6)))
			sprintf(loc, "%s.data", base);
		if (!loc || !(side = malloc(dl + strlen(loc) + 1))) {
			free(loc);
			return NOMEM(ctx);
		}
		memcpy(side, path, dl);
		strcpy(side + dl, loc);
		ext.min_bytes = min;
		ext.location = loc;
		if ((rc = aimet_tmpfile_create(ctx, side, &side_tmp, &ext.fp)))
			goto out;
		s.ext = &ext;
	}
	if ((rc = model(&s, m, &p)))
		goto out;
	if (onnx__model_proto__get_packed_size(&p) > PROTO_LIMIT) {
		rc = aimet_error(ctx, AIMET_ERR_LIMIT, "model is over 2 GiB even with external data");
		goto out;
	}
	if (to_stdout) {
		if (!(rc = pack_to_file(ctx, &p, stdout, "<stdout>")) && fflush(stdout))
			rc = aimet_error(ctx, AIMET_ERR_IO, "cannot write '<stdout>': %s", strerror(errno));
		goto out;
	}
	if ((rc = aimet_tmpfile_create(ctx, path, &tmp, &fp)) || (rc = pack_to_file(ctx, &p, fp, path)))
		goto out;
	/* the side file goes into place first: a model never points at data that is not there */
	if (ext.fp) {
		FILE *sf = ext.fp;
		ext.fp = NULL;
		if (ext.offset == 0) {
			aimet_tmpfile_discard(sf, side_tmp);
		} else if ((rc = aimet_tmpfile_commit(ctx, sf, side_tmp, side))) {
			goto out;
		}
		free(side_tmp);
		side_tmp = NULL;
	}
	rc = aimet_tmpfile_commit(ctx, fp, tmp, path);
	fp = NULL;
	free(tmp);
	tmp = NULL;
out:
	if (tmp)
		aimet_tmpfile_discard(fp, tmp);
	if (side_tmp)
		aimet_tmpfile_discard(ext.fp, side_tmp);
	free(tmp);
	free(side_tmp);
	free(side);
	free(loc);
	aimet_onnx_arena_free(&s.a);
	return rc;
}
