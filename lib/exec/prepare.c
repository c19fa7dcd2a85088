/* prepare.c: preparing a plan for concrete input shapes — shape inference, folding of values
 * that depend only on shapes, per-node prepare (weight packing), one arena reused by liveness. */
#include "exec_internal.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN 64

/* Forget everything that depends on the input shapes. */
void aimet__unprepare(struct aimet_plan *p)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		struct xstep *s = &p->steps[i];
		if (s->prepared && s->pub.op && s->pub.op->free_state)
			s->pub.op->free_state(s->c.state);
		s->c.state = NULL;
		s->prepared = 0;
	}
	for (size_t v = 0; v < p->n_values; v++) {
		struct xvalue *x = p->values[v];
		if (x->dep == DEP_SHAPE) {
			aimet__value_release(x);
			x->t.data = NULL;
		} else if (x->dep == DEP_DATA) {
			x->t.data = NULL;
			x->t.nbytes = 0;
		}
	}
	p->prepared = 0;
}

int aimet__step_prepare(struct aimet_ctx *ctx, struct aimet_plan *p, struct xstep *s)
{
	const struct aimet_op *op = s->pub.op;
	int st;
	if (s->prepared && op->free_state)
		op->free_state(s->c.state);
	s->c.state = NULL;
	s->prepared = 0;
	s->c.ctx = ctx;
	s->c.workspace = NULL;
	s->c.workspace_size = 0;
	if (op->prepare && (st = op->prepare(&s->c))) {
		if (op->free_state)
			op->free_state(s->c.state);
		s->c.state = NULL;
		return aimet__node_error(ctx, st, s->pub.node);
	}
	s->prepared = 1;
	if (s->c.workspace_size > p->ws_size)
		p->ws_size = s->c.workspace_size;
	return AIMET_OK;
}

static int set_inputs(struct aimet_ctx *ctx, struct aimet_plan *p,
                      const struct aimet_tensor *const *inputs)
{
	const struct aimet_graph *g = p->model->graph;
	for (int i = 0; i < p->n_inputs; i++) {
		struct xvalue *v = p->values[p->inputs[i]];
		const struct aimet_value_info *vi = NULL;
		for (size_t k = 0; k < g->n_inputs; k++)
			if (g->inputs[k].name && !strcmp(g->inputs[k].name, v->name))
				vi = &g->inputs[k];
		if (inputs) {
			const struct aimet_tensor *t = inputs[i];
			if (!t)
				return aimet_error(ctx, AIMET_ERR_INVALID, "input '%s' is missing", v->name);
			if (t->ndim < 0 || t->ndim > AIMET_MAX_DIMS || aimet_tensor_numel(t) < 0 ||
			    !aimet_dtype_size(t->dtype))
				return aimet_error(ctx, AIMET_ERR_INVALID, "input '%s': invalid shape or dtype",
				                   v->name);
			if (vi && vi->elem_type && vi->elem_type != t->dtype)
				return aimet_error(ctx, AIMET_ERR_INVALID, "input '%s': the model expects %s, got %s",
				                   v->name, aimet_dtype_name(vi->elem_type),
				                   aimet_dtype_name(t->dtype));
			if (vi && vi->has_shape && vi->ndim != t->ndim)
				return aimet_error(ctx, AIMET_ERR_INVALID,
				                   "input '%s': the model expects rank %d, got %d", v->name,
				                   vi->ndim, t->ndim);
			if (vi && vi->has_shape)
				for (int d = 0; d < t->ndim; d++)
					if (!vi->dims[d].param && vi->dims[d].value > 0 &&
					    vi->dims[d].value != t->dims[d])
						return aimet_error(ctx, AIMET_ERR_INVALID,
						                   "input '%s': dimension %d is %lld, the model expects %lld",
						                   v->name, d, (long long)t->dims[d],
						                   (long long)vi->dims[d].value);
			aimet_tensor_set_shape(&v->t, t->dtype, t->ndim, t->dims);
			if (v->spec) {
				int st;
				if (!t->data && aimet_tensor_numel(t) > 0)
					return aimet_error(ctx, AIMET_ERR_INVALID,
					                   "input '%s' is needed by value: give its data", v->name);
				if ((st = aimet__value_own(ctx, v)))
					return st;
				if (t->dtype == AIMET_STRING || t->nbytes < v->t.nbytes)
					return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
					                   "input '%s': cannot use its value", v->name);
				if (v->t.nbytes)
					memcpy(v->t.data, t->data, v->t.nbytes);
				continue;
			}
		} else {
			int64_t dims[AIMET_MAX_DIMS];
			if (!vi || !vi->elem_type || !vi->has_shape || vi->ndim > AIMET_MAX_DIMS)
				return aimet_error(ctx, AIMET_ERR_INVALID,
				                   "input '%s' has no declared type and shape: give its shape", v->name);
			for (int d = 0; d < vi->ndim; d++) {
				if (vi->dims[d].param || vi->dims[d].value < 0)
					return aimet_error(ctx, AIMET_ERR_INVALID,
					                   "input '%s' has a symbolic dimension: give its shape", v->name);
				dims[d] = vi->dims[d].value;
			}
			aimet_tensor_set_shape(&v->t, vi->elem_type, vi->ndim, dims);
		}
		if (v->spec)
			return aimet_error(ctx, AIMET_ERR_INVALID,
			                   "input '%s' is needed by value: give its data", v->name);
		v->t.data = NULL;
	}
	return AIMET_OK;
}

static int step_infer(struct aimet_ctx *ctx, struct aimet_plan *p, struct xstep *s)
{
	const struct aimet_node *nd = s->pub.node;
	int st;
	s->c.ctx = ctx;
	for (int j = 0; j < s->n_out; j++)
		aimet_tensor_set_shape(s->tout[j], AIMET_UNDEFINED, 0, NULL);
	if ((st = s->pub.op->infer(&s->c)))
		return aimet__node_error(ctx, st, nd);
	for (int j = 0; j < s->n_out; j++) {
		struct xvalue *v = p->values[s->out[j]];
		int64_t n = aimet_tensor_numel(&v->t);
		size_t es = aimet_dtype_size(v->t.dtype), bytes;
		if (!es || n < 0 || (uint64_t)n > SIZE_MAX || aimet_mul_size((size_t)n, es, &bytes) ||
		    bytes > SIZE_MAX - ALIGN)
			return aimet_error(ctx, AIMET_ERR_INVALID,
			                   "node '%s' (%s): output '%s' has an invalid shape or dtype",
			                   nd->name ? nd->name : "", nd->op_type, v->name);
		if (v->t.dtype == AIMET_STRING)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "node '%s' (%s): string tensors are only supported as constants",
			                   nd->name ? nd->name : "", nd->op_type);
		if ((s->bn >= 0 || s->act >= 0) && j == 0 && v->t.dtype != AIMET_FLOAT)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "node '%s' (%s): a fused activation needs a float32 output",
			                   nd->name ? nd->name : "", nd->op_type);
		v->t.nbytes = bytes;
		v->size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
	}
	return AIMET_OK;
}

struct live { size_t off, size; int last; };

/* Offsets in one arena: each step's outputs take the best-fitting gap among the blocks still
 * live; a block is released after the last step that reads it. */
static int memory_plan(struct aimet_ctx *ctx, struct aimet_plan *p)
{
	size_t ns = p->n_steps, nlive = 0, top = 0;
	struct live *live;
	for (size_t v = 0; v < p->n_values; v++) {
		struct xvalue *x = p->values[v];
		x->alias_of = -1;
		if (x->step >= 0)
			x->first = x->last = x->step;
	}
	for (size_t i = 0; i < ns; i++)
		if (p->steps[i].alias) {
			struct xvalue *o = p->values[p->steps[i].out[0]];
			int r = p->steps[i].in[0];
			while (p->values[r]->alias_of >= 0)
				r = p->values[r]->alias_of;
			o->alias_of = r;
		}
	/* a buffer lives until the last read of it or of any value sharing it */
	for (size_t i = 0; i < ns; i++)
		for (int j = 0; j < p->steps[i].n_in; j++) {
			int vi = p->steps[i].in[j];
			if (vi < 0 || p->values[vi]->step < 0)
				continue;
			if (p->values[vi]->alias_of >= 0)
				vi = p->values[vi]->alias_of;
			if (p->values[vi]->last < (int)i)
				p->values[vi]->last = (int)i;
		}
	for (int i = 0; i < p->n_outputs; i++) {
		int vi = p->outputs[i];
		if (p->values[vi]->alias_of >= 0)
			vi = p->values[vi]->alias_of;
		p->values[vi]->last = (int)ns;
	}
	live = aimet_calloc(p->n_values, sizeof(*live));
	if (!live)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < ns; i++) {
		struct xstep *s = &p->steps[i];
		for (int j = 0; j < s->n_out; j++) {
			struct xvalue *x = p->values[s->out[j]];
			size_t best = 0, best_gap = 0, pos = nlive, k;
			if (x->alias_of >= 0)
				continue;
			int found = 0;
			/* live[] is sorted by offset: look at the gap before each block and after the last */
			for (k = 0; k <= nlive; k++) {
				size_t start = k ? live[k - 1].off + live[k - 1].size : 0;
				size_t end = k < nlive ? live[k].off : SIZE_MAX;
				if (end - start >= x->size && (!found || end - start < best_gap)) {
					found = 1;
					best_gap = end - start;
					best = start;
					pos = k;
				}
			}
			memmove(&live[pos + 1], &live[pos], (nlive - pos) * sizeof(*live));
			live[pos].off = best;
			live[pos].size = x->size;
			live[pos].last = x->last;
			nlive++;
			x->off = best;
			if (best > SIZE_MAX - ALIGN - x->size) {
				free(live);
				return aimet_error(ctx, AIMET_ERR_NOMEM, "activations do not fit in memory");
			}
			if (best + x->size > top)
				top = best + x->size;
		}
		for (size_t k = 0; k < nlive;) {
			if (live[k].last <= (int)i) {
				memmove(&live[k], &live[k + 1], (nlive - k - 1) * sizeof(*live));
				nlive--;
			} else {
				k++;
			}
		}
	}
	free(live);
	if (top > aimet__mem_limit())
		return aimet_error(ctx, AIMET_ERR_LIMIT, "activations would need %zu bytes, more than "
		                   "this machine can hold", top);
	p->arena_size = top;
	if (top + ALIGN > p->arena_cap) {
		free(p->arena);
		p->arena_cap = 0;
		if (!(p->arena = aligned_alloc(ALIGN, (top + ALIGN) / ALIGN * ALIGN + ALIGN)))
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory (%zu bytes of activations)",
			                   top);
		p->arena_cap = (top + ALIGN) / ALIGN * ALIGN + ALIGN;
	}
	for (size_t v = 0; v < p->n_values; v++) {
		struct xvalue *x = p->values[v];
		if (x->step >= 0) {
			x->t.data = p->arena + (x->alias_of >= 0 ? p->values[x->alias_of]->off : x->off);
			x->t.borrowed = 1;
		}
	}
	return AIMET_OK;
}

int aimet__ws_reserve(struct aimet_ctx *ctx, struct aimet_plan *p)
{
	size_t bytes;
	if (p->ws_size <= p->ws_cap)
		return AIMET_OK;
	if (p->ws_size > aimet__mem_limit())
		return aimet_error(ctx, AIMET_ERR_LIMIT, "a workspace of %zu bytes is more than this "
		                   "machine can hold", p->ws_size);
	bytes = (p->ws_size + ALIGN - 1) / ALIGN * ALIGN;
	free(p->workspace);
	p->ws_cap = 0;
	if (!(p->workspace = aligned_alloc(ALIGN, bytes)))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory (workspace of %zu bytes)",
		                   p->ws_size);
	p->ws_cap = bytes;
	return AIMET_OK;
}

static int prepare_once(struct aimet_ctx *ctx, struct aimet_plan *p,
                        const struct aimet_tensor *const *inputs)
{
	int st;
	aimet__unprepare(p);
	p->fail_node = -1;
	p->ws_size = 0;
	if ((st = set_inputs(ctx, p, inputs)))
		return st;
	for (size_t k = 0; k < p->n_nodes; k++) {
		int ni = p->order[k];
		struct xnode *n = &p->nodes[ni];
		if (n->dead || n->dep == DEP_CONST || n->absorbed)
			continue;
		if (n->dep == DEP_SHAPE)
			st = aimet__fold_node(ctx, p, ni, 1);
		else if ((st = step_infer(ctx, p, &p->steps[n->step])))
			p->fail_node = ni;
		if (st)
			goto fail;
	}
	if (p->infer_only) {
		p->prepared = 1;
		return AIMET_OK;
	}
	for (size_t i = 0; i < p->n_steps; i++)
		if ((st = aimet__step_prepare(ctx, p, &p->steps[i])))
			goto fail;
	if ((st = memory_plan(ctx, p)))
		goto fail;
	if ((st = aimet__ws_reserve(ctx, p)))
		goto fail;
	p->prepared = 1;
	return AIMET_OK;
fail:
	aimet__unprepare(p);
	return st;
}

/* The graph inputs that node ni's run-time inputs are computed from, marked `spec` when their
 * data is at hand; returns how many were newly marked. */
static int specialize(struct aimet_plan *p, int ni, const struct aimet_tensor *const *inputs)
{
	int *stack = aimet_calloc(p->n_values, sizeof(int)), sp = 0, marked = 0;
	unsigned char *seen = aimet_calloc(p->n_values, 1);
	const struct xnode *n = &p->nodes[ni];
	if (!stack || !seen) {
		free(stack);
		free(seen);
		return 0;
	}
	for (int j = 0; j < n->node->n_inputs; j++)
		if (n->in[j] >= 0 && !seen[n->in[j]]) {
			seen[n->in[j]] = 1;
			stack[sp++] = n->in[j];
		}
	while (sp) {
		struct xvalue *v = p->values[stack[--sp]];
		if (v->dep != DEP_DATA)
			continue;
		if (v->kind == V_INPUT) {
			const struct aimet_tensor *t = inputs[v->input_index];
			if (!v->spec && t && (t->data || aimet_tensor_numel(t) == 0)) {
				v->spec = 1;
				marked++;
			}
		} else if (v->producer >= 0) {
			const struct xnode *pn = &p->nodes[v->producer];
			for (int j = 0; j < pn->node->n_inputs; j++)
				if (pn->in[j] >= 0 && !seen[pn->in[j]]) {
					seen[pn->in[j]] = 1;
					stack[sp++] = pn->in[j];
				}
		}
	}
	free(stack);
	free(seen);
	return marked;
}

int aimet_plan_prepare(struct aimet_ctx *ctx, struct aimet_plan *p,
                       const struct aimet_tensor *const *inputs)
{
	for (;;) {
		int st = prepare_once(ctx, p, inputs), st2;
		/* an op that needs the value of a run-time input (Expand's shape, Range's limits fed
		 * as graph inputs): compute that part at prepare time from the inputs' data */
		if (st != AIMET_ERR_UNSUPPORTED || !inputs || p->fail_node < 0 ||
		    !specialize(p, p->fail_node, inputs))
			return st;
		if ((st2 = aimet__replan(ctx, p)))
			return st2;
	}
}

int aimet_graph_infer_shapes(struct aimet_ctx *ctx, const struct aimet_model *model,
                             const struct aimet_tensor *const *inputs,
                             struct aimet_value_shape **out, size_t *n)
{
	struct aimet_plan_opts opts = {.no_fold_bn = 1, .no_fuse = 1};
	struct aimet_plan *p;
	struct aimet_value_shape *r;
	size_t k = 0;
	int st;
	*out = NULL;
	*n = 0;
	if ((st = aimet__plan_new_impl(ctx, model, &opts, 1, &p)))
		return st;
	if ((st = aimet_plan_prepare(ctx, p, inputs))) {
		aimet_plan_free(p);
		return st;
	}
	if (!(r = aimet_calloc(p->n_values, sizeof(*r)))) {
		aimet_plan_free(p);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t v = 0; v < p->n_values; v++) {
		const struct xvalue *x = p->values[v];
		if (!x->name[0] || x->own_name)
			continue;
		r[k].name = x->name;   /* borrowed from the model, which outlives the plan */
		r[k].dtype = x->t.dtype;
		r[k].ndim = x->t.ndim;
		memcpy(r[k].dims, x->t.dims, sizeof(r[k].dims));
		r[k].is_constant = x->dep != DEP_DATA;
		k++;
	}
	aimet_plan_free(p);
	*out = r;
	*n = k;
	return AIMET_OK;
}
