/* model.c: deep copy and exact comparison of the model IR (used by the ONNX round-trip test
 * and by passes that try a change on a copy). */
#include "aimet.h"
#include "aimet_ir.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- clone ---- */

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	return src && !(*dst = strdup(src)) ? -1 : 0;
}

static int dup_mem(void **dst, const void *src, size_t n)
{
	*dst = NULL;
	if (!src)
		return 0;
	if (!(*dst = malloc(n ? n : 1)))
		return -1;
	if (n)
		memcpy(*dst, src, n);
	return 0;
}

static int dup_blob(struct aimet_blob *d, const struct aimet_blob *s)
{
	d->len = s->len;
	return dup_mem((void **)&d->data, s->data, s->len);
}

static int dup_bytes(struct aimet_string *d, const struct aimet_string *s)
{
	/* keep the NUL the loader puts after string data */
	d->len = s->len;
	d->data = NULL;
	if (!s->data)
		return 0;
	if (!(d->data = malloc(s->len + 1)))
		return -1;
	memcpy(d->data, s->data, s->len);
	d->data[s->len] = 0;
	return 0;
}

int aimet_attr_copy(struct aimet_attr *d, const struct aimet_attr *s)
{
	memset(d, 0, sizeof(*d));
	d->type = s->type;
	d->f = s->f;
	d->i = s->i;
	if (dup_str(&d->name, s->name) || dup_bytes(&d->s, &s->s) || dup_blob(&d->raw, &s->raw))
		goto fail;
	if (s->t && !(d->t = aimet_tensor_clone(s->t)))
		goto fail;
	if (dup_mem((void **)&d->floats, s->floats, s->n_floats * sizeof(float)))
		goto fail;
	d->n_floats = s->n_floats;
	if (dup_mem((void **)&d->ints, s->ints, s->n_ints * sizeof(int64_t)))
		goto fail;
	d->n_ints = s->n_ints;
	if (s->n_strings) {
		if (!(d->strings = calloc(s->n_strings, sizeof(*d->strings))))
			goto fail;
		d->n_strings = s->n_strings;
		for (size_t i = 0; i < s->n_strings; i++)
			if (dup_bytes(&d->strings[i], &s->strings[i]))
				goto fail;
	}
	if (s->n_tensors) {
		if (!(d->tensors = calloc(s->n_tensors, sizeof(*d->tensors))))
			goto fail;
		d->n_tensors = s->n_tensors;
		for (size_t i = 0; i < s->n_tensors; i++)
			if (s->tensors[i] && !(d->tensors[i] = aimet_tensor_clone(s->tensors[i])))
				goto fail;
	}
	return 0;
fail:
	aimet_attr_clear(d);
	return -1;
}

static int dup_strv(char ***d, char *const *s, int n)
{
	*d = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
	if (!*d)
		return -1;
	for (int i = 0; i < n; i++)
		if (dup_str(&(*d)[i], s[i]))
			return -1;
	return 0;
}

struct aimet_node *aimet_node_clone(const struct aimet_node *s)
{
	struct aimet_node *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (dup_str(&d->name, s->name) || dup_str(&d->op_type, s->op_type) ||
	    dup_str(&d->domain, s->domain) || dup_str(&d->doc_string, s->doc_string) ||
	    dup_blob(&d->extra, &s->extra))
		goto fail;
	d->n_inputs = s->n_inputs;
	if (dup_strv(&d->inputs, s->inputs, s->n_inputs))
		goto fail;
	d->n_outputs = s->n_outputs;
	if (dup_strv(&d->outputs, s->outputs, s->n_outputs))
		goto fail;
	if (!(d->attrs = calloc(s->n_attrs > 0 ? (size_t)s->n_attrs : 1, sizeof(*d->attrs))))
		goto fail;
	for (int i = 0; i < s->n_attrs; i++, d->n_attrs++)
		if (aimet_attr_copy(&d->attrs[i], &s->attrs[i]))
			goto fail;
	return d;
fail:
	aimet_node_free(d);
	return NULL;
}

int aimet_value_info_copy(struct aimet_value_info *d, const struct aimet_value_info *s)
{
	memset(d, 0, sizeof(*d));
	d->elem_type = s->elem_type;
	d->has_shape = s->has_shape;
	if (dup_str(&d->name, s->name) || dup_str(&d->doc_string, s->doc_string) ||
	    dup_blob(&d->raw_type, &s->raw_type) || dup_blob(&d->extra, &s->extra))
		goto fail;
	if (s->ndim > 0) {
		if (!(d->dims = calloc((size_t)s->ndim, sizeof(*d->dims))))
			goto fail;
		for (int i = 0; i < s->ndim; i++) {
			d->ndim++;
			d->dims[i].value = s->dims[i].value;
			if (dup_str(&d->dims[i].param, s->dims[i].param) ||
			    dup_str(&d->dims[i].denotation, s->dims[i].denotation))
				goto fail;
		}
	}
	return 0;
fail:
	aimet_value_info_clear(d);
	return -1;
}

static int dup_vis(struct aimet_value_info **d, size_t *dn, const struct aimet_value_info *s,
                   size_t n)
{
	*dn = 0;
	if (!(*d = calloc(n ? n : 1, sizeof(**d))))
		return -1;
	for (size_t i = 0; i < n; i++, (*dn)++)
		if (aimet_value_info_copy(&(*d)[i], &s[i]))
			return -1;
	return 0;
}

static int dup_blobs(struct aimet_blob **d, int **df, size_t *dn, const struct aimet_blob *s,
                     const int *sf, size_t n)
{
	*dn = 0;
	if (!(*d = calloc(n ? n : 1, sizeof(**d))) || !(*df = calloc(n ? n : 1, sizeof(int))))
		return -1;
	for (size_t i = 0; i < n; i++, (*dn)++) {
		(*df)[i] = sf[i];
		if (dup_blob(&(*d)[i], &s[i]))
			return -1;
	}
	return 0;
}

struct aimet_graph *aimet_graph_clone(const struct aimet_graph *s)
{
	struct aimet_graph *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (dup_str(&d->name, s->name) || dup_str(&d->doc_string, s->doc_string))
		goto fail;
	if (!(d->nodes = calloc(s->n_nodes ? s->n_nodes : 1, sizeof(*d->nodes))))
		goto fail;
	d->cap_nodes = s->n_nodes ? s->n_nodes : 1;
	for (size_t i = 0; i < s->n_nodes; i++, d->n_nodes++)
		if (!(d->nodes[i] = aimet_node_clone(s->nodes[i])))
			goto fail;
	if (!(d->initializers = calloc(s->n_initializers ? s->n_initializers : 1,
	                               sizeof(*d->initializers))))
		goto fail;
	d->cap_initializers = s->n_initializers ? s->n_initializers : 1;
	for (size_t i = 0; i < s->n_initializers; i++, d->n_initializers++)
		if (!(d->initializers[i] = aimet_tensor_clone(s->initializers[i])))
			goto fail;
	if (dup_vis(&d->inputs, &d->n_inputs, s->inputs, s->n_inputs) ||
	    dup_vis(&d->outputs, &d->n_outputs, s->outputs, s->n_outputs) ||
	    dup_vis(&d->value_info, &d->n_value_info, s->value_info, s->n_value_info) ||
	    dup_blobs(&d->opaque, &d->opaque_field, &d->n_opaque, s->opaque, s->opaque_field,
	              s->n_opaque))
		goto fail;
	return d;
fail:
	aimet_graph_free(d);
	return NULL;
}

struct aimet_model *aimet_model_clone(const struct aimet_model *s)
{
	struct aimet_model *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ir_version = s->ir_version;
	d->model_version = s->model_version;
	if (dup_str(&d->producer_name, s->producer_name) ||
	    dup_str(&d->producer_version, s->producer_version) || dup_str(&d->domain, s->domain) ||
	    dup_str(&d->doc_string, s->doc_string) || dup_str(&d->dir, s->dir))
		goto fail;
	if (!(d->opsets = calloc(s->n_opsets ? s->n_opsets : 1, sizeof(*d->opsets))))
		goto fail;
	for (size_t i = 0; i < s->n_opsets; i++, d->n_opsets++) {
		d->opsets[i].version = s->opsets[i].version;
		if (dup_str(&d->opsets[i].domain, s->opsets[i].domain))
			goto fail;
	}
	if (!(d->metadata = calloc(s->n_metadata ? s->n_metadata : 1, sizeof(*d->metadata))))
		goto fail;
	for (size_t i = 0; i < s->n_metadata; i++, d->n_metadata++)
		if (dup_str(&d->metadata[i].key, s->metadata[i].key) ||
		    dup_str(&d->metadata[i].value, s->metadata[i].value))
			goto fail;
	if (dup_blobs(&d->opaque, &d->opaque_field, &d->n_opaque, s->opaque, s->opaque_field,
	              s->n_opaque))
		goto fail;
	if (s->graph && !(d->graph = aimet_graph_clone(s->graph)))
		goto fail;
	return d;
fail:
	aimet_model_free(d);
	return NULL;
}

/* ---- equality ---- */

struct why { char *buf; size_t len; int done; };

static int differ(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int differ(struct why *w, const char *fmt, ...)
{
	if (w->buf && w->len && !w->done) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->buf, w->len, fmt, ap);
		va_end(ap);
	}
	w->done = 1;
	return 0;
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static const char *show(const char *s) { return s ? s : "(none)"; }

#define STR(w, what, a, b)                                                                     \
	do {                                                                                   \
		if (!str_eq(a, b))                                                             \
			return differ(w, "%s: '%.200s' vs '%.200s'", what, show(a), show(b));  \
	} while (0)
#define NUM(w, what, a, b)                                                                     \
	do {                                                                                   \
		if ((a) != (b))                                                                \
			return differ(w, "%s: %lld vs %lld", what, (long long)(a), (long long)(b)); \
	} while (0)

static int blob_eq(const struct aimet_blob *a, const struct aimet_blob *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static int bytes_eq(const struct aimet_string *a, const struct aimet_string *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static int tensor_eq(struct why *w, const char *ctx, const struct aimet_tensor *a,
                     const struct aimet_tensor *b)
{
	if (!a || !b) {
		if (a != b)
			return differ(w, "%s: tensor missing on one side", ctx);
		return 1;
	}
	STR(w, ctx, a->name, b->name);
	STR(w, ctx, a->doc_string, b->doc_string);
	NUM(w, ctx, a->dtype, b->dtype);
	NUM(w, ctx, a->ndim, b->ndim);
	for (int i = 0; i < a->ndim; i++)
		NUM(w, ctx, a->dims[i], b->dims[i]);
	if (!aimet_tensor_equal(a, b))
		return differ(w, "%s: tensor '%s' data differs", ctx, show(a->name));
	if (!blob_eq(&a->extra, &b->extra))
		return differ(w, "%s: tensor '%s' preserved fields differ", ctx, show(a->name));
	return 1;
}

static int attr_eq(struct why *w, const char *ctx, const struct aimet_attr *a,
                   const struct aimet_attr *b)
{
	char c[512];
	snprintf(c, sizeof(c), "%s attribute '%s'", ctx, show(a->name));
	STR(w, c, a->name, b->name);
	NUM(w, c, a->type, b->type);
	if (memcmp(&a->f, &b->f, sizeof(float)))
		return differ(w, "%s: %g vs %g", c, a->f, b->f);
	NUM(w, c, a->i, b->i);
	if (!bytes_eq(&a->s, &b->s))
		return differ(w, "%s: string differs", c);
	if (!tensor_eq(w, c, a->t, b->t))
		return 0;
	NUM(w, c, a->n_floats, b->n_floats);
	if (a->n_floats && memcmp(a->floats, b->floats, a->n_floats * sizeof(float)))
		return differ(w, "%s: floats differ", c);
	NUM(w, c, a->n_ints, b->n_ints);
	if (a->n_ints && memcmp(a->ints, b->ints, a->n_ints * sizeof(int64_t)))
		return differ(w, "%s: ints differ", c);
	NUM(w, c, a->n_strings, b->n_strings);
	for (size_t i = 0; i < a->n_strings; i++)
		if (!bytes_eq(&a->strings[i], &b->strings[i]))
			return differ(w, "%s: string %zu differs", c, i);
	NUM(w, c, a->n_tensors, b->n_tensors);
	for (size_t i = 0; i < a->n_tensors; i++)
		if (!tensor_eq(w, c, a->tensors[i], b->tensors[i]))
			return 0;
	if (!blob_eq(&a->raw, &b->raw))
		return differ(w, "%s: preserved data differs (%zu vs %zu bytes)", c, a->raw.len,
		              b->raw.len);
	return 1;
}

static int node_eq(struct why *w, size_t idx, const struct aimet_node *a, const struct aimet_node *b)
{
	char c[320];
	snprintf(c, sizeof(c), "node %zu ('%.200s')", idx, show(a->name));
	STR(w, c, a->name, b->name);
	STR(w, c, a->op_type, b->op_type);
	STR(w, c, a->domain, b->domain);
	STR(w, c, a->doc_string, b->doc_string);
	NUM(w, c, a->n_inputs, b->n_inputs);
	for (int i = 0; i < a->n_inputs; i++)
		STR(w, c, a->inputs[i], b->inputs[i]);
	NUM(w, c, a->n_outputs, b->n_outputs);
	for (int i = 0; i < a->n_outputs; i++)
		STR(w, c, a->outputs[i], b->outputs[i]);
	NUM(w, c, a->n_attrs, b->n_attrs);
	for (int i = 0; i < a->n_attrs; i++)
		if (!attr_eq(w, c, &a->attrs[i], &b->attrs[i]))
			return 0;
	if (!blob_eq(&a->extra, &b->extra))
		return differ(w, "%s: preserved fields differ", c);
	return 1;
}

static int vi_eq(struct why *w, const char *what, size_t idx, const struct aimet_value_info *a,
                 const struct aimet_value_info *b)
{
	char c[320];
	snprintf(c, sizeof(c), "%s %zu ('%.200s')", what, idx, show(a->name));
	STR(w, c, a->name, b->name);
	STR(w, c, a->doc_string, b->doc_string);
	NUM(w, c, a->elem_type, b->elem_type);
	NUM(w, c, a->has_shape, b->has_shape);
	NUM(w, c, a->ndim, b->ndim);
	for (int i = 0; i < a->ndim; i++) {
		NUM(w, c, a->dims[i].value, b->dims[i].value);
		STR(w, c, a->dims[i].param, b->dims[i].param);
		STR(w, c, a->dims[i].denotation, b->dims[i].denotation);
	}
	if (!blob_eq(&a->raw_type, &b->raw_type))
		return differ(w, "%s: preserved type differs", c);
	if (!blob_eq(&a->extra, &b->extra))
		return differ(w, "%s: preserved fields differ", c);
	return 1;
}

static int opaque_eq(struct why *w, const char *c, const struct aimet_blob *a, const int *af,
                     size_t an, const struct aimet_blob *b, const int *bf, size_t bn)
{
	NUM(w, c, an, bn);
	for (size_t i = 0; i < an; i++) {
		NUM(w, c, af[i], bf[i]);
		if (!blob_eq(&a[i], &b[i]))
			return differ(w, "%s: preserved field %d (entry %zu) differs", c, af[i], i);
	}
	return 1;
}

static int graph_eq(struct why *w, const struct aimet_graph *a, const struct aimet_graph *b)
{
	STR(w, "graph name", a->name, b->name);
	STR(w, "graph doc_string", a->doc_string, b->doc_string);
	NUM(w, "node count", a->n_nodes, b->n_nodes);
	for (size_t i = 0; i < a->n_nodes; i++)
		if (!node_eq(w, i, a->nodes[i], b->nodes[i]))
			return 0;
	NUM(w, "initializer count", a->n_initializers, b->n_initializers);
	for (size_t i = 0; i < a->n_initializers; i++)
		if (!tensor_eq(w, "initializer", a->initializers[i], b->initializers[i]))
			return 0;
	NUM(w, "graph input count", a->n_inputs, b->n_inputs);
	for (size_t i = 0; i < a->n_inputs; i++)
		if (!vi_eq(w, "graph input", i, &a->inputs[i], &b->inputs[i]))
			return 0;
	NUM(w, "graph output count", a->n_outputs, b->n_outputs);
	for (size_t i = 0; i < a->n_outputs; i++)
		if (!vi_eq(w, "graph output", i, &a->outputs[i], &b->outputs[i]))
			return 0;
	NUM(w, "value_info count", a->n_value_info, b->n_value_info);
	for (size_t i = 0; i < a->n_value_info; i++)
		if (!vi_eq(w, "value_info", i, &a->value_info[i], &b->value_info[i]))
			return 0;
	return opaque_eq(w, "graph", a->opaque, a->opaque_field, a->n_opaque, b->opaque,
	                 b->opaque_field, b->n_opaque);
}

int aimet_model_equal(const struct aimet_model *a, const struct aimet_model *b, char *why,
                      size_t why_len)
{
	struct why ww = {why, why_len, 0}, *w = &ww;
	if (why && why_len)
		why[0] = 0;
	NUM(w, "ir_version", a->ir_version, b->ir_version);
	NUM(w, "opset count", a->n_opsets, b->n_opsets);
	for (size_t i = 0; i < a->n_opsets; i++) {
		STR(w, "opset domain", a->opsets[i].domain, b->opsets[i].domain);
		NUM(w, "opset version", a->opsets[i].version, b->opsets[i].version);
	}
	STR(w, "producer_name", a->producer_name, b->producer_name);
	STR(w, "producer_version", a->producer_version, b->producer_version);
	STR(w, "domain", a->domain, b->domain);
	STR(w, "doc_string", a->doc_string, b->doc_string);
	NUM(w, "model_version", a->model_version, b->model_version);
	NUM(w, "metadata count", a->n_metadata, b->n_metadata);
	for (size_t i = 0; i < a->n_metadata; i++) {
		STR(w, "metadata key", a->metadata[i].key, b->metadata[i].key);
		STR(w, "metadata value", a->metadata[i].value, b->metadata[i].value);
	}
	if (!opaque_eq(w, "model", a->opaque, a->opaque_field, a->n_opaque, b->opaque,
	               b->opaque_field, b->n_opaque))
		return 0;
	if (!a->graph || !b->graph) {
		if (a->graph != b->graph)
			return differ(w, "graph missing on one side");
		return 1;
	}
	return graph_eq(w, a->graph, b->graph);
}
