/* prepare.c: model preparation before quantizer placement — decomposed activations that an
 * exporter spelled out op by op are put back together, so that quantizers sit where a target
 * quantizes (after the activation), not on its intermediate arithmetic. */
#include "aimet.h"
#include "aimet_ir.h"
#include "aimet_ptq.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

/* *v = the value of a one-element float weight (initializer or Constant); 0 if it is not one. */
static int scalar(const struct aimet_graph *g, const char *name, double *v)
{
	const struct aimet_tensor *t = name && *name ? aimet_graph_find_weight(g, name, NULL) : NULL;
	if (!t || aimet_tensor_numel(t) != 1 || (t->dtype != AIMET_FLOAT && t->dtype != AIMET_DOUBLE))
		return 0;
	*v = aimet_tensor_get_f64(t, 0);
	return 1;
}

/* The node producing `name` when `name` is read by that node alone and is not a graph output
 * (so the node can be rewritten without changing anything else), else NULL. */
static struct aimet_node *sole_producer(const struct aimet_graph *g, const char *name,
                                        const char *op_type, size_t *index)
{
	struct aimet_node *n = aimet_graph_producer(g, name, index, NULL);
	if (!n || strcmp(n->op_type, op_type) || (n->domain && *n->domain) || n->n_outputs != 1 ||
	    aimet_graph_is_output(g, name) || aimet_graph_consumers(g, name, NULL, 0) != 1)
		return NULL;
	return n;
}

/* Clip's bounds: attributes before opset 11, optional constant inputs after. */
static int clip_bounds(const struct aimet_graph *g, const struct aimet_node *c, double *lo, double *hi)
{
	*lo = aimet_node_attr_float(c, "min", -FLT_MAX);
	*hi = aimet_node_attr_float(c, "max", FLT_MAX);
	if (c->n_inputs > 1 && *c->inputs[1] && !scalar(g, c->inputs[1], lo))
		return 0;
	if (c->n_inputs > 2 && *c->inputs[2] && !scalar(g, c->inputs[2], hi))
		return 0;
	return 1;
}

/* x * Clip(x + 3, 0, 6) / 6, as PaddlePaddle and others export HardSwish, becomes
 * x * HardSigmoid(x) (alpha 1/6, beta 1/2; HardSwish itself needs opset 14): the Clip node
 * turns into the HardSigmoid, the Mul keeps x * that and takes the Div's output name, and
 * the Add and the Div go. Function preserved up to float rounding. */
static int fuse_one(struct aimet_ctx *ctx, struct aimet_graph *g, size_t di, size_t *next)
{
	struct aimet_node *d = g->nodes[di], *m, *c, *a;
	size_t mi, ci, ai;
	double v, lo, hi;
	const char *x;
	char *dummy;
	int k, st;
	*next = di + 1;
	if (strcmp(d->op_type, "Div") || (d->domain && *d->domain) || d->n_inputs != 2 ||
	    d->n_outputs != 1 || !scalar(g, d->inputs[1], &v) || v != 6.0)
		return AIMET_OK;
	if (!(m = sole_producer(g, d->inputs[0], "Mul", &mi)) || m->n_inputs != 2)
		return AIMET_OK;
	for (k = 0; k < 2; k++) {
		c = sole_producer(g, m->inputs[k], "Clip", &ci);
		if (!c || !clip_bounds(g, c, &lo, &hi) || lo != 0.0 || hi != 6.0)
			continue;
		x = m->inputs[1 - k];
		a = sole_producer(g, c->inputs[0], "Add", &ai);
		if (!a || a->n_inputs != 2)
			continue;
		if (!(strcmp(a->inputs[0], x) == 0 && scalar(g, a->inputs[1], &v) && v == 3.0) &&
		    !(strcmp(a->inputs[1], x) == 0 && scalar(g, a->inputs[0], &v) && v == 3.0))
			continue;
		break;
	}
	if (k == 2)
		return AIMET_OK;
	/* the Clip becomes HardSigmoid(x) */
	while (c->n_attrs)
		if (!aimet_node_remove_attr(c, c->attrs[0].name))
			break;
	free(c->op_type);
	if (!(c->op_type = aimet_strdup("HardSigmoid")))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if ((st = aimet_node_set_input(c, 0, x)))
		return st;
	for (int i = 1; i < c->n_inputs; i++)
		free(c->inputs[i]);
	c->n_inputs = 1;
	if ((st = aimet_node_set_float(c, "alpha", (float)(1.0 / 6.0))) ||
	    (st = aimet_node_set_float(c, "beta", 0.5f)))
		return st;
	/* the Mul writes the Div's output; the Div (its output renamed to a name nobody reads)
	 * and the Add (now read by nobody) go, the later node first so positions stay valid */
	if ((st = aimet_node_set_output(m, 0, d->outputs[0])))
		return st;
	if (!(dummy = aimet_graph_unique_name(g, "hardswish_unused")))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	st = aimet_node_set_output(d, 0, dummy);
	free(dummy);
	if (st || (st = aimet_graph_remove_node(ctx, g, di, 0)) ||
	    (st = aimet_graph_remove_node(ctx, g, ai < di ? ai : ai - 1, 0)))
		return st;
	/* the Add sat before the Div (in a sorted graph): the node after the Div is now at di - 1 */
	*next = ai < di ? di - 1 : di;
	return AIMET_OK;
}

int aimet_fuse_hardswish(struct aimet_ctx *ctx, struct aimet_model *m, int *n_fused)
{
	struct aimet_graph *g = m->graph;
	size_t before = g->n_nodes, next;
	int st;
	for (size_t i = 0; i < g->n_nodes; i = next)
		if ((st = fuse_one(ctx, g, i, &next)))
			return st;
	if (n_fused)  /* each fusion removes two nodes */
		*n_fused = (int)((before - g->n_nodes) / 2);
	aimet_graph_remove_unused_weights(g);  /* the constants 3 and 6 */
	return AIMET_OK;
}
