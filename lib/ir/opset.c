/* opset.c: upgrade a model's default-domain opset (7 and later) to a newer one, rewriting the
 * ops whose signature or semantics changed on the way (attributes that became inputs, Softmax's
 * axis, Upsample -> Resize), so exported models (e.g. QDQ at opset 13/21) keep their function. */
#include "aimet_ir.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

/* A fresh int64 (or float) 1-D initializer named after the node; its name is returned in *name
 * (owned by the caller). */
static int add_const(struct aimet_ctx *ctx, struct aimet_graph *g, const struct aimet_node *n,
                     const char *what, int dtype, const void *vals, int64_t count, int rank,
                     char **name)
{
	char base[600];
	struct aimet_tensor *t;
	snprintf(base, sizeof(base), "%s_%s", n->name && n->name[0] ? n->name : n->outputs[0], what);
	if (!(*name = aimet_graph_unique_name(g, base)))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	t = aimet_tensor_new(*name, dtype, rank, &count);
	if (!t || aimet_tensor_alloc(ctx, t)) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if (count)
		memcpy(t->data, vals, t->nbytes);
	return aimet_graph_add_initializer(ctx, g, t);
}

/* Make the node's input list exactly `n` long (padding with "" for omitted inputs). */
static int set_n_inputs(struct aimet_node *node, int n)
{
	if (n > node->n_inputs) {
		char **in = aimet_realloc_array(node->inputs, (size_t)n, sizeof(char *));
		if (!in)
			return AIMET_ERR_NOMEM;
		node->inputs = in;
		for (int i = node->n_inputs; i < n; i++)
			if (!(in[i] = strdup("")))
				return AIMET_ERR_NOMEM;
		node->n_inputs = n;
	}
	return AIMET_OK;
}

/* Move an INTS attribute to input slot `slot` as an int64 initializer (absent: input omitted). */
static int ints_attr_to_input(struct aimet_ctx *ctx, struct aimet_graph *g, struct aimet_node *n,
                              const char *attr, int slot)
{
	const int64_t *v;
	int count = aimet_node_attr_ints(n, attr, &v);
	char *name = NULL;
	int st;
	if (count < 0)
		return set_n_inputs(n, n->n_inputs) ? aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory") : AIMET_OK;
	if ((st = add_const(ctx, g, n, attr, AIMET_INT64, v, count, 1, &name)))
		return st;
	if (set_n_inputs(n, slot + 1) || aimet_node_set_input(n, slot, name)) {
		free(name);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	free(name);
	aimet_node_remove_attr(n, attr);
	return AIMET_OK;
}

static int float_attr_to_input(struct aimet_ctx *ctx, struct aimet_graph *g, struct aimet_node *n,
                               const char *attr, int slot, float dflt, int always)
{
	const struct aimet_attr *a = aimet_node_attr(n, attr);
	float v = a ? aimet_node_attr_float(n, attr, dflt) : dflt;
	char *name = NULL;
	int st;
	if (!a && !always)
		return AIMET_OK;
	if ((st = add_const(ctx, g, n, attr, AIMET_FLOAT, &v, 1, 0, &name)))
		return st;
	if (set_n_inputs(n, slot + 1) || aimet_node_set_input(n, slot, name)) {
		free(name);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	free(name);
	aimet_node_remove_attr(n, attr);
	return AIMET_OK;
}

/* Softmax-family before 13 flattens to 2-D at `axis`; from 13 it works along one axis. Rewrite
 * as Shape, Flatten(axis), op(axis=1), Reshape back: the same function at any rank. */
static int upgrade_softmax(struct aimet_ctx *ctx, struct aimet_graph *g, size_t idx)
{
	struct aimet_node *n = g->nodes[idx];
	int64_t axis = aimet_node_attr_int(n, "axis", 1);
	char *shape = NULL, *flat = NULL, *sm = NULL;
	struct aimet_node *ns = NULL, *nf = NULL, *nr = NULL;
	const char *in = n->inputs[0];
	int st = AIMET_ERR_NOMEM;
	if (axis == -1)
		return AIMET_OK;  /* flattening at the last axis is the same as a last-axis op */
	shape = aimet_graph_unique_name(g, "softmax_shape");
	flat = aimet_graph_unique_name(g, "softmax_flat");
	sm = aimet_graph_unique_name(g, "softmax_2d");
	if (!shape || !flat || !sm)
		goto out;
	{
		const char *ins[1] = {in}, *o1[1] = {shape}, *o2[1] = {flat};
		const char *r_in[2] = {sm, shape}, *r_out[1] = {n->outputs[0]};
		ns = aimet_node_new("Shape", NULL, 1, ins, 1, o1);
		nf = aimet_node_new("Flatten", NULL, 1, ins, 1, o2);
		nr = aimet_node_new("Reshape", NULL, 2, r_in, 1, r_out);
	}
	if (!ns || !nf || !nr || aimet_node_set_int(nf, "axis", axis) ||
	    aimet_node_set_input(n, 0, flat) || aimet_node_set_output(n, 0, sm) ||
	    aimet_node_set_int(n, "axis", 1))
		goto out;
	/* order: Shape, Flatten, the op, Reshape */
	if ((st = aimet_graph_add_node(ctx, g, idx + 1, nr)))
		nr = NULL;
	else if ((st = aimet_graph_add_node(ctx, g, idx, nf)))
		nf = NULL;
	else if ((st = aimet_graph_add_node(ctx, g, idx, ns)))
		ns = NULL;
	nr = nf = ns = NULL;
out:
	aimet_node_free(ns);
	aimet_node_free(nf);
	aimet_node_free(nr);
	free(shape);
	free(flat);
	free(sm);
	return st ? (st == AIMET_ERR_NOMEM ? aimet_error(ctx, st, "out of memory") : st) : AIMET_OK;
}

/* Upsample (removed at 10) and Resize-10 become Resize with Upsample's coordinate rules. */
static int upgrade_upsample(struct aimet_ctx *ctx, struct aimet_graph *g, struct aimet_node *n,
                            int64_t from)
{
	const char *mode = aimet_node_attr_str(n, "mode", "nearest");
	int st;
	char *mode_copy = strdup(!strcmp(mode, "bilinear") ? "linear" : mode);
	if (!mode_copy)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if (!strcmp(n->op_type, "Upsample") && from < 9) {
		const struct aimet_attr *a = aimet_node_attr(n, "scales");
		char *name = NULL;
		if (!a || a->type != AIMET_ATTR_FLOATS) {
			free(mode_copy);
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "node '%s': Upsample without scales", n->name ? n->name : "");
		}
		if ((st = add_const(ctx, g, n, "scales", AIMET_FLOAT, a->floats, (int64_t)a->n_floats, 1, &name))) {
			free(mode_copy);
			return st;
		}
		st = set_n_inputs(n, 2) || aimet_node_set_input(n, 1, name);
		free(name);
		aimet_node_remove_attr(n, "scales");
		if (st) {
			free(mode_copy);
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		}
	}
	/* Resize(X, roi, scales): move scales to slot 2, roi omitted */
	if (set_n_inputs(n, 3) || aimet_node_set_input(n, 2, n->inputs[1]) || aimet_node_set_input(n, 1, "")) {
		free(mode_copy);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	free(n->op_type);
	n->op_type = strdup("Resize");
	st = !n->op_type || aimet_node_set_string(n, "mode", mode_copy) ||
	     aimet_node_set_string(n, "coordinate_transformation_mode", "asymmetric") ||
	     (!strcmp(mode_copy, "nearest") && aimet_node_set_string(n, "nearest_mode", "floor"));
	free(mode_copy);
	return st ? aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory") : AIMET_OK;
}

static int is_reduce(const char *op)
{
	return !strncmp(op, "Reduce", 6);
}

int aimet_model_convert_opset(struct aimet_ctx *ctx, struct aimet_model *m, int64_t target)
{
	struct aimet_graph *g = m->graph;
	int64_t from = aimet_model_opset(m);
	int st = AIMET_OK;
	if (from >= target)
		return AIMET_OK;
	if (from < 7)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "cannot convert opset %lld models (7 or later)", (long long)from);
	for (size_t i = 0; i < g->n_nodes && !st; i++) {
		struct aimet_node *n = g->nodes[i];
		const char *op = n->op_type;
		if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
			continue;
		if (aimet_node_attr(n, "then_branch") || aimet_node_attr(n, "body"))
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "node '%s': cannot convert the opset of a %s subgraph",
			                   n->name ? n->name : "", op);
		if (!strcmp(op, "Slice") && from < 10 && target >= 10) {
			st = ints_attr_to_input(ctx, g, n, "starts", 1);
			if (!st) st = ints_attr_to_input(ctx, g, n, "ends", 2);
			if (!st) st = ints_attr_to_input(ctx, g, n, "axes", 3);
		} else if (!strcmp(op, "Clip") && from < 11 && target >= 11) {
			st = float_attr_to_input(ctx, g, n, "min", 1, -FLT_MAX, aimet_node_attr(n, "max") != NULL);
			if (!st) st = float_attr_to_input(ctx, g, n, "max", 2, FLT_MAX, 0);
		} else if ((!strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze")) && from < 13 && target >= 13) {
			st = ints_attr_to_input(ctx, g, n, "axes", 1);
		} else if (!strcmp(op, "Split") && from < 13 && target >= 13) {
			st = ints_attr_to_input(ctx, g, n, "split", 1);
		} else if (((!strcmp(op, "ReduceSum") && from < 13 && target >= 13) ||
		            (is_reduce(op) && strcmp(op, "ReduceSum") && from < 18 && target >= 18))) {
			st = ints_attr_to_input(ctx, g, n, "axes", 1);
		} else if ((!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax") || !strcmp(op, "Hardmax")) &&
		           from < 13 && target >= 13) {
			st = upgrade_softmax(ctx, g, i);
			i += g->nodes[i] != n ? 3 : 0;   /* skip the nodes just inserted around it */
		} else if (!strcmp(op, "Pad") && from < 11 && target >= 11) {
			st = ints_attr_to_input(ctx, g, n, "pads", 1);
			if (!st) st = float_attr_to_input(ctx, g, n, "value", 2, 0, 0);
		} else if (!strcmp(op, "TopK") && from < 10 && target >= 10) {
			int64_t k = aimet_node_attr_int(n, "k", 1);
			char *name = NULL;
			if (!(st = add_const(ctx, g, n, "k", AIMET_INT64, &k, 1, 1, &name))) {
				if (set_n_inputs(n, 2) || aimet_node_set_input(n, 1, name))
					st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
				aimet_node_remove_attr(n, "k");
			}
			free(name);
		} else if (!strcmp(op, "Dropout") && from < 12 && target >= 12) {
			aimet_node_remove_attr(n, "ratio");   /* inference: Dropout is the identity */
			aimet_node_remove_attr(n, "is_test");
		} else if (!strcmp(op, "BatchNormalization") && from < 9) {
			aimet_node_remove_attr(n, "spatial");
		} else if ((!strcmp(op, "Upsample") && target >= 10) ||
		           (!strcmp(op, "Resize") && from == 10 && target >= 11)) {
			st = upgrade_upsample(ctx, g, n, from);
		} else if (!strcmp(op, "Resize") && from == 11 &&
		           !strcmp(aimet_node_attr_str(n, "coordinate_transformation_mode", ""), "tf_half_pixel_for_nn")) {
			st = aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "node '%s': Resize mode tf_half_pixel_for_nn has no opset-13 equivalent",
			                 n->name ? n->name : "");
		} else if (!strcmp(op, "Scatter") || !strcmp(op, "Upsample")) {
			st = aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "node '%s': cannot convert %s to opset %lld",
			                 n->name ? n->name : "", op, (long long)target);
		}
	}
	if (st)
		return st;
	for (size_t i = 0; i < m->n_opsets; i++)
		if (!m->opsets[i].domain || !m->opsets[i].domain[0] || !strcmp(m->opsets[i].domain, "ai.onnx"))
			m->opsets[i].version = target;
	/* the IR version each opset needs at least: 13 -> 7, 15+ -> 8, 19+ -> 9, 21 -> 10 */
	{
		int64_t ir = target >= 21 ? 10 : target >= 19 ? 9 : target >= 15 ? 8 : 7;
		if (m->ir_version < ir)
			m->ir_version = ir;
	}
	return AIMET_OK;
}
