/* misc.c: the data-movement-free ops — Identity, Dropout (inference: identity, all-true mask)
 * and Constant (the attribute's value; the executor folds it at prepare time). */
#include "elt.h"

#include <stdlib.h>
#include <string.h>

/* Copy src's elements into dst of the same dtype and size (strings deep-copied). */
static void copy_tensor(const struct aimet_tensor *src, struct aimet_tensor *dst)
{
	if (src->dtype == AIMET_STRING) {
		const struct aimet_string *s = src->data;
		struct aimet_string *d = dst->data;
		int64_t n = aimet_tensor_numel(dst);
		if (s == d)
			return;
		for (int64_t i = 0; i < n; i++) {
			free(d[i].data);
			d[i].data = aimet_strndup(s[i].data ? s[i].data : "", s[i].len);
			d[i].len = d[i].data ? s[i].len : 0;   /* kernels cannot fail */
		}
		return;
	}
	if (dst->data != src->data && dst->nbytes)
		memcpy(dst->data, src->data, dst->nbytes < src->nbytes ? dst->nbytes : src->nbytes);
}

static int identity_infer(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x;
	int st = elt_check_io(c, 1, 1, 1, 1);
	if (st)
		return st;
	x = c->in[0];
	if (!aimet_dtype_size(x->dtype))
		return aimet_error(c->ctx, AIMET_ERR_UNSUPPORTED, "node '%s' (Identity): type %d is not supported",
		                   elt_name(c), x->dtype);
	aimet_tensor_set_shape(c->out[0], x->dtype, x->ndim, x->dims);
	return AIMET_OK;
}

static void identity_ref(struct aimet_op_ctx *c)
{
	copy_tensor(c->in[0], c->out[0]);
}

const struct aimet_op aimet_op_Identity = {"Identity", "", 0, identity_infer, NULL, NULL,
                                           identity_ref, NULL, 0};

/* ---- Dropout ---- */

static int dropout_infer(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x;
	int st = elt_check_io(c, 1, c->opset >= 12 ? 3 : 1, 1, 2);
	if (st)
		return st;
	x = c->in[0];
	if ((st = elt_check_dtype(c, x->dtype, ELT_M_FLOAT, "input")))
		return st;
	if (c->n_in >= 2 && c->in[1] && (!elt_kind(c->in[1]->dtype) || aimet_tensor_numel(c->in[1]) != 1))
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Dropout): ratio is not a scalar", elt_name(c));
	if (c->n_in >= 3 && c->in[2]) {
		const struct aimet_tensor *t = c->in[2];
		if (t->dtype != AIMET_BOOL || aimet_tensor_numel(t) != 1)
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Dropout): training_mode is not a bool scalar",
			                   elt_name(c));
		if (!t->data || ((const uint8_t *)t->data)[0])
			return aimet_error(c->ctx, AIMET_ERR_UNSUPPORTED, "node '%s' (Dropout): training mode is not supported%s",
			                   elt_name(c), t->data ? "" : " (training_mode is not a constant)");
	}
	aimet_tensor_set_shape(c->out[0], x->dtype, x->ndim, x->dims);
	if (c->n_out > 1 && c->out[1])
		aimet_tensor_set_shape(c->out[1], c->opset >= 10 ? AIMET_BOOL : x->dtype, x->ndim, x->dims);
	return AIMET_OK;
}

static void dropout_ref(struct aimet_op_ctx *c)
{
	copy_tensor(c->in[0], c->out[0]);
	if (c->n_out > 1 && c->out[1]) {
		struct aimet_tensor *m = c->out[1];
		int64_t n = aimet_tensor_numel(m);
		for (int64_t i = 0; i < n; i++)
			elt_st_i(m->data, m->dtype, i, 1);
	}
}

const struct aimet_op aimet_op_Dropout = {"Dropout", "", 0, dropout_infer, NULL, NULL,
                                          dropout_ref, NULL, 0};

/* ---- Constant ---- */

static const char *const const_attrs[] = {
	"value", "value_float", "value_floats", "value_int", "value_ints", "value_string",
	"value_strings", "sparse_value"
};

/* The one value attribute of the node, or NULL (with *count the number found). */
static const struct aimet_attr *const_attr(const struct aimet_node *n, int *count)
{
	const struct aimet_attr *found = NULL;
	*count = 0;
	for (size_t i = 0; i < sizeof(const_attrs) / sizeof(const_attrs[0]); i++) {
		const struct aimet_attr *a = aimet_node_attr(n, const_attrs[i]);
		if (a) {
			found = a;
			(*count)++;
		}
	}
	return found;
}

static int constant_infer(struct aimet_op_ctx *c)
{
	int count;
	const struct aimet_attr *a = const_attr(c->node, &count);
	const char *nm;
	int64_t dim;
	if (c->n_in != 0 || c->n_out != 1)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Constant): %d inputs and %d outputs",
		                   elt_name(c), c->n_in, c->n_out);
	if (count != 1)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Constant): %d value attributes instead of one",
		                   elt_name(c), count);
	nm = a->name;
	if (!strcmp(nm, "value")) {
		const struct aimet_tensor *t = a->t;
		int64_t n;
		size_t bytes;
		if (a->type != AIMET_ATTR_TENSOR || !t)
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Constant): 'value' is not a tensor", elt_name(c));
		n = aimet_tensor_numel(t);
		if (!aimet_dtype_size(t->dtype) || n < 0 || aimet_mul_size((size_t)n, aimet_dtype_size(t->dtype), &bytes))
			return aimet_error(c->ctx, AIMET_ERR_UNSUPPORTED, "node '%s' (Constant): tensor of type %d is not supported",
			                   elt_name(c), t->dtype);
		if (bytes && (!t->data || t->nbytes != bytes))
			return aimet_error(c->ctx, AIMET_ERR_FORMAT, "node '%s' (Constant): 'value' holds %zu bytes, %zu expected",
			                   elt_name(c), t->data ? t->nbytes : 0, bytes);
		aimet_tensor_set_shape(c->out[0], t->dtype, t->ndim, t->dims);
		return AIMET_OK;
	}
	if (!strcmp(nm, "sparse_value"))
		return aimet_error(c->ctx, AIMET_ERR_UNSUPPORTED, "node '%s' (Constant): 'sparse_value' is not supported",
		                   elt_name(c));
	if (!strcmp(nm, "value_float") && a->type == AIMET_ATTR_FLOAT) {
		aimet_tensor_set_shape(c->out[0], AIMET_FLOAT, 0, NULL);
	} else if (!strcmp(nm, "value_int") && a->type == AIMET_ATTR_INT) {
		aimet_tensor_set_shape(c->out[0], AIMET_INT64, 0, NULL);
	} else if (!strcmp(nm, "value_string") && a->type == AIMET_ATTR_STRING) {
		aimet_tensor_set_shape(c->out[0], AIMET_STRING, 0, NULL);
	} else if (!strcmp(nm, "value_floats") && a->type == AIMET_ATTR_FLOATS) {
		dim = (int64_t)a->n_floats;
		aimet_tensor_set_shape(c->out[0], AIMET_FLOAT, 1, &dim);
	} else if (!strcmp(nm, "value_ints") && a->type == AIMET_ATTR_INTS) {
		dim = (int64_t)a->n_ints;
		aimet_tensor_set_shape(c->out[0], AIMET_INT64, 1, &dim);
	} else if (!strcmp(nm, "value_strings") && a->type == AIMET_ATTR_STRINGS) {
		dim = (int64_t)a->n_strings;
		aimet_tensor_set_shape(c->out[0], AIMET_STRING, 1, &dim);
	} else {
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Constant): attribute '%s' has the wrong kind",
		                   elt_name(c), nm);
	}
	return AIMET_OK;
}

static void set_string(struct aimet_string *d, const struct aimet_string *s)
{
	free(d->data);
	d->data = aimet_strndup(s->data ? s->data : "", s->len);
	d->len = d->data ? s->len : 0;
}

static void constant_ref(struct aimet_op_ctx *c)
{
	int count;
	const struct aimet_attr *a = const_attr(c->node, &count);
	struct aimet_tensor *y = c->out[0];
	const char *nm = a->name;
	if (!strcmp(nm, "value"))
		copy_tensor(a->t, y);
	else if (!strcmp(nm, "value_float"))
		((float *)y->data)[0] = a->f;
	else if (!strcmp(nm, "value_int"))
		((int64_t *)y->data)[0] = a->i;
	else if (!strcmp(nm, "value_string"))
		set_string(y->data, &a->s);
	else if (!strcmp(nm, "value_floats") && a->n_floats)
		memcpy(y->data, a->floats, a->n_floats * sizeof(float));
	else if (!strcmp(nm, "value_ints") && a->n_ints)
		memcpy(y->data, a->ints, a->n_ints * sizeof(int64_t));
	else if (!strcmp(nm, "value_strings"))
		for (size_t i = 0; i < a->n_strings; i++)
			set_string(&((struct aimet_string *)y->data)[i], &a->strings[i]);
}

const struct aimet_op aimet_op_Constant = {"Constant", "", 0, constant_infer, NULL, NULL,
                                           constant_ref, NULL, 0};
