/* run.c: running a prepared plan — bind inputs, run each step's kernel, report outputs to the
 * hook, stop early at a requested tensor — the op behind elementwise chain steps, and the plan's
 * accessors. Nothing here allocates once a plan is prepared (except the one-time copy buffer
 * for hooked inputs). */
#include "exec_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int inputs_match(const struct aimet_plan *p, struct aimet_tensor *const *inputs)
{
	for (int i = 0; i < p->n_inputs; i++) {
		const struct aimet_tensor *a = &p->values[p->inputs[i]]->t, *b = inputs[i];
		if (a->dtype != b->dtype || a->ndim != b->ndim ||
		    (a->ndim && memcmp(a->dims, b->dims, (size_t)a->ndim * sizeof(a->dims[0]))))
			return 0;
		/* inputs used by value: the plan holds for these contents only */
		if (p->values[p->inputs[i]]->spec &&
		    (!b->data || b->nbytes < a->nbytes || (a->nbytes && memcmp(a->data, b->data, a->nbytes))))
			return 0;
	}
	return 1;
}

static int bind_inputs(struct aimet_ctx *ctx, struct aimet_plan *p,
                       struct aimet_tensor *const *inputs)
{
	size_t total = 0, off = 0;
	int threads = ctx && ctx->threads > 0 ? ctx->threads : 1;
	for (int i = 0; i < p->n_inputs; i++) {
		struct xvalue *v = p->values[p->inputs[i]];
		size_t es = aimet_dtype_size(inputs[i]->dtype), need;
		if (v->spec)
			continue;   /* bound at prepare time */
		if (aimet_mul_size((size_t)aimet_tensor_numel(inputs[i]), es, &need) ||
		    (need && (!inputs[i]->data || inputs[i]->nbytes < need)))
			return aimet_error(ctx, AIMET_ERR_INVALID, "input '%s' has no data or too little",
			                   v->name);
		v->t.nbytes = need;
		total += (need + 63) / 64 * 64;
	}
	if (!p->hook && !p->n_input_fq) {
		for (int i = 0; i < p->n_inputs; i++)
			if (!p->values[p->inputs[i]]->spec)
				p->values[p->inputs[i]]->t.data = inputs[i]->data;
		return AIMET_OK;
	}
	/* a hook may modify values in place, and inputs may be fake-quantized: work on copies,
	 * never on the caller's tensors */
	if (total > p->input_copy_cap) {
		free(p->input_copy);
		p->input_copy_cap = 0;
		if (!(p->input_copy = aimet_malloc(total)))
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		p->input_copy_cap = total;
	}
	for (int i = 0; i < p->n_inputs; i++) {
		struct xvalue *v = p->values[p->inputs[i]];
		if (v->spec)
			continue;
		v->t.data = p->input_copy + off;
		if (v->has_fq && v->t.dtype == AIMET_FLOAT)   /* quantized on the way: one pass */
			aimet_fq_apply_mt(&v->fq, inputs[i]->data, v->t.data, aimet_tensor_numel(&v->t), threads);
		else if (v->t.nbytes)
			memcpy(v->t.data, inputs[i]->data, v->t.nbytes);
		off += (v->t.nbytes + 63) / 64 * 64;
		if (p->hook)
			p->hook(p->hook_user, NULL, i, &v->t);
	}
	return AIMET_OK;
}

/* The node that names output j of step s (for a fused group, the last node's output). */
static const struct aimet_node *output_node(const struct aimet_plan *p, const struct xstep *s,
                                            int j, int *index)
{
	*index = j;
	if (s->n_chain)
		return p->nodes[s->chain[s->n_chain - 1]].node;
	if (j == 0 && s->act >= 0)
		return p->nodes[s->act].node;
	if (j == 0 && s->bn >= 0)
		return p->nodes[s->bn].node;
	return p->nodes[s->node].node;
}

static int overlaps(const struct aimet_tensor *a, const struct aimet_tensor *b)
{
	const char *pa = a->data, *pb = b->data;
	return pa && pb && pa < pb + b->nbytes && pb < pa + a->nbytes;
}

/* Step i (an Add) and the Relu/Clip after it run as one pass: sum, quantize, clamp, quantize,
 * straight into the clamp's output. Only while nothing could see the sum (no hook, a full
 * run), both outputs are float32 and quantized here, and the clamp's output buffer shares no
 * byte with the Add's inputs. */
static int pair_usable(const struct aimet_plan *p, const struct xstep *s, const struct xstep *t)
{
	const struct xvalue *a, *c;
	/* the library's own Add (a substituted op would not know fq_mid) */
	if (!s->pair_ok || p->hook || p->opts.use_ref || s->pub.op != aimet_op_find(NULL, "Add") ||
	    !s->pub.op->run)
		return 0;
	a = p->values[s->out[0]];
	c = p->values[t->out[0]];
	if (!a->has_fq || !c->has_fq || a->t.dtype != AIMET_FLOAT || c->t.dtype != AIMET_FLOAT ||
	    a->t.nbytes != c->t.nbytes)
		return 0;
	for (int j = 0; j < s->n_in; j++)
		if (!s->tin[j] || s->tin[j]->dtype != AIMET_FLOAT || overlaps(s->tin[j], &c->t))
			return 0;
	return 1;
}

/* ---- elementwise chains (plan.c picks them): one aimet_ew_run pass when the shapes allow
 * (every value the input's shape, constants scalars or along one axis), else node by node
 * with the inner values in the workspace. ---- */

struct ewstate {
	const struct xstep *step;
	int fused;
	struct aimet_ew_prog prog;
	int64_t outer, C, inner;
	const float **in;              /* the step's inputs' data, at run time */
	/* node by node: each node's context; inner value k in workspace slot k % 2 */
	struct aimet_op_ctx *nc;
	size_t slot;                   /* bytes of a slot; the nodes' own workspace follows */
};

static struct xstep *ew_step_of(struct aimet_op_ctx *c)
{
	return (struct xstep *)(void *)((char *)c - offsetof(struct xstep, c));
}

static int same_shape(const struct aimet_tensor *a, const struct aimet_tensor *b)
{
	return a->ndim == b->ndim &&
	       (!a->ndim || !memcmp(a->dims, b->dims, (size_t)a->ndim * sizeof(a->dims[0])));
}

/* Each node's shapes in turn, the inner values' included (they have no buffer of their own). */
static int ew_infer(struct aimet_op_ctx *c)
{
	struct xstep *s = ew_step_of(c);
	const struct aimet_plan *p = s->plan;
	for (int k = 0; k < s->n_chain; k++) {
		const struct xnode *n = &p->nodes[s->chain[k]];
		struct aimet_op_ctx nc;
		struct aimet_tensor *y = n->tout[0];
		size_t es, bytes;
		int64_t numel;
		int st;
		aimet__node_ctx(&nc, c->ctx, n);
		aimet_tensor_set_shape(y, AIMET_UNDEFINED, 0, NULL);
		if ((st = n->op->infer(&nc)))
			return k ? aimet__node_error(c->ctx, st, n->node) : st;
		numel = aimet_tensor_numel(y);
		es = aimet_dtype_size(y->dtype);
		if (!es || numel < 0 || (uint64_t)numel > SIZE_MAX || aimet_mul_size((size_t)numel, es, &bytes) ||
		    y->dtype == AIMET_STRING)
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): output '%s' has an "
			                   "invalid shape or dtype", n->node->name ? n->node->name : "",
			                   n->node->op_type, y->name ? y->name : "");
		y->nbytes = bytes;
	}
	return AIMET_OK;
}

/* The program for the prepared shapes, or -1 when they do not allow one pass. */
static int ew_compile(const struct xstep *s, struct ewstate *es)
{
	const struct aimet_plan *p = s->plan;
	const struct aimet_tensor *x = s->tin[0];
	int axis = -1;
	int64_t C = 1, numel = aimet_tensor_numel(x);
	if (x->dtype != AIMET_FLOAT || s->n_chain > AIMET_EW_MAX_INSTR)
		return -1;
	memset(&es->prog, 0, sizeof(es->prog));
	for (int k = 0; k < s->n_chain; k++) {
		const struct xnode *n = &p->nodes[s->chain[k]];
		const struct aimet_tensor *y = n->tout[0];
		struct aimet_ew_instr *I = &es->prog.instr[k];
		int cv = k ? p->nodes[s->chain[k - 1]].out[0] : s->in[0];
		float lo, hi;
		if (y->dtype != AIMET_FLOAT || !same_shape(y, x))
			return -1;
		I->op = aimet__ew_kind(p, n);
		I->dst = 1;
		I->a = k ? 1 : 0;
		if (I->op >= AIMET_EW_ADD && I->op <= AIMET_EW_MIN) {
			int ov = n->in[0] == cv ? n->in[1] : n->in[0];
			const struct xvalue *o = p->values[ov];
			const struct aimet_tensor *t = &o->t;
			I->swap = n->in[0] != cv;
			if (ov == s->in[0]) {
				I->b_kind = AIMET_EW_B_REG;
				I->b = 0;
			} else if (o->dep != DEP_DATA) {
				int d1 = -1, ax;
				if (t->dtype != AIMET_FLOAT || !t->data || aimet_tensor_numel(t) < 1 ||
				    t->ndim > x->ndim)
					return -1;
				for (int d = 0; d < t->ndim; d++)
					if (t->dims[d] != 1) {
						if (d1 >= 0)
							return -1;
						d1 = d;
					}
				if (d1 < 0) {
					I->b_kind = AIMET_EW_B_SCALAR;
					I->s = *(const float *)t->data;
				} else {
					ax = x->ndim - t->ndim + d1;
					if (t->dims[d1] != x->dims[ax] || (axis >= 0 && axis != ax))
						return -1;
					axis = ax;
					C = x->dims[ax];
					I->b_kind = AIMET_EW_B_CHANNEL;
					I->v = t->data;
				}
			} else {
				int j = 1;
				while (j < s->n_in && s->in[j] != ov)
					j++;
				if (j == s->n_in || t->dtype != AIMET_FLOAT || !same_shape(t, x))
					return -1;
				I->b_kind = AIMET_EW_B_TENSOR;
				I->b = j;
			}
		} else if (I->op == AIMET_EW_CLAMP) {
			if (!aimet__clamp_bounds(p, n, &lo, &hi) || !(lo <= hi))
				return -1;
			I->s = lo;
			I->s2 = hi;
		} else if (I->op == AIMET_EW_HARDSIGMOID) {
			I->s = aimet_node_attr_float(n->node, "alpha", 0.2f);
			I->s2 = aimet_node_attr_float(n->node, "beta", 0.5f);
		} else if (!I->op) {
			return -1;
		}
	}
	es->prog.n_instr = s->n_chain;
	es->prog.out_reg = 1;
	es->outer = 1;
	es->C = 1;
	es->inner = numel;
	if (axis >= 0) {
		es->C = C;
		es->inner = 1;
		for (int d = 0; d < axis; d++)
			es->outer *= x->dims[d];
		for (int d = axis + 1; d < x->ndim; d++)
			es->inner *= x->dims[d];
	}
	return aimet_ew_prog_check(&es->prog, s->n_in);
}

static void ew_free(void *state)
{
	struct ewstate *es = state;
	if (!es)
		return;
	free(es->in);
	free(es->nc);
	free(es);
}

static void ew_free_nodes(const struct xstep *s, struct ewstate *es)
{
	for (int k = 0; es->nc && k < s->n_chain; k++) {
		const struct aimet_op *op = s->plan->nodes[s->chain[k]].op;
		if (op->free_state)
			op->free_state(es->nc[k].state);
		es->nc[k].state = NULL;
	}
}

static void ew_free_state(void *state)
{
	struct ewstate *es = state;
	if (es)
		ew_free_nodes(es->step, es);
	ew_free(state);
}

static int ew_prepare(struct aimet_op_ctx *c)
{
	struct xstep *s = ew_step_of(c);
	struct ewstate *es = aimet_calloc(1, sizeof(*es));
	size_t ws = 0;
	c->state = es;
	if (es)
		es->step = s;
	if (!es || !(es->in = aimet_calloc((size_t)s->n_in, sizeof(*es->in))))
		return aimet_error(c->ctx, AIMET_ERR_NOMEM, "out of memory");
	if (ew_compile(s, es) == 0) {
		es->fused = 1;
		return AIMET_OK;
	}
	if (!(es->nc = aimet_calloc((size_t)s->n_chain, sizeof(*es->nc))))
		return aimet_error(c->ctx, AIMET_ERR_NOMEM, "out of memory");
	for (int k = 0; k + 1 < s->n_chain; k++) {
		size_t b = s->plan->nodes[s->chain[k]].tout[0]->nbytes;
		b = (b + 63) / 64 * 64;
		if (b > es->slot)
			es->slot = b;
	}
	for (int k = 0; k < s->n_chain; k++) {
		const struct xnode *n = &s->plan->nodes[s->chain[k]];
		int st;
		aimet__node_ctx(&es->nc[k], c->ctx, n);
		if (n->op->prepare && (st = n->op->prepare(&es->nc[k]))) {
			if (n->op->free_state)
				n->op->free_state(es->nc[k].state);
			es->nc[k].state = NULL;
			ew_free_nodes(s, es);
			return k ? aimet__node_error(c->ctx, st, n->node) : st;
		}
		if (es->nc[k].workspace_size > ws)
			ws = es->nc[k].workspace_size;
	}
	if (es->slot > (SIZE_MAX - ws) / 2)
		return aimet_error(c->ctx, AIMET_ERR_NOMEM, "out of memory");
	c->workspace_size = 2 * es->slot + ws;
	return AIMET_OK;
}

static void ew_nodes(struct aimet_op_ctx *c, int ref)
{
	struct xstep *s = ew_step_of(c);
	struct ewstate *es = c->state;
	for (int k = 0; k < s->n_chain; k++) {
		const struct xnode *n = &s->plan->nodes[s->chain[k]];
		struct aimet_op_ctx *nc = &es->nc[k];
		char *ws = c->workspace;   /* NULL when nothing is needed */
		if (k + 1 < s->n_chain)
			n->tout[0]->data = ws ? ws + (size_t)(k % 2) * es->slot : NULL;
		nc->ctx = c->ctx;
		nc->threads = c->threads;
		nc->workspace = ws ? ws + 2 * es->slot : NULL;
		if (ref || !n->op->run)
			n->op->ref(nc);
		else
			n->op->run(nc);
	}
	for (int k = 0; k + 1 < s->n_chain; k++)
		s->plan->nodes[s->chain[k]].tout[0]->data = NULL;
}

static void ew_run(struct aimet_op_ctx *c)
{
	struct xstep *s = ew_step_of(c);
	struct ewstate *es = c->state;
	if (!es->fused) {
		ew_nodes(c, 0);
		return;
	}
	for (int j = 0; j < s->n_in; j++)
		es->in[j] = s->tin[j]->data;
	aimet_ew_run(&es->prog, es->in, s->tout[0]->data, es->outer, es->C, es->inner, c->threads);
}

static void ew_ref(struct aimet_op_ctx *c)
{
	struct ewstate *es = c->state;
	if (es->fused)
		ew_run(c);
	else
		ew_nodes(c, 1);
}

const struct aimet_op aimet__ewchain_op = {
	"ElementwiseChain", "aimet", 0, ew_infer, ew_prepare, ew_run, ew_ref, ew_free_state, 0
};

/* stop_step: -1 runs every step, -2 none (inputs bound only), k >= 0 what step k needs. */
static int run_impl(struct aimet_ctx *ctx, struct aimet_plan *p,
                    struct aimet_tensor *const *inputs, int stop_step)
{
	int st;
	if (p->infer_only)
		return aimet_error(ctx, AIMET_ERR_INVALID, "this plan is for shape inference only");
	for (int i = 0; i < p->n_inputs; i++)
		if (!inputs || !inputs[i])
			return aimet_error(ctx, AIMET_ERR_INVALID, "input '%s' is missing",
			                   p->values[p->inputs[i]]->name);
	if ((!p->prepared || !inputs_match(p, inputs)) &&
	    (st = aimet_plan_prepare(ctx, p, (const struct aimet_tensor *const *)inputs)))
		return st;
	if ((st = bind_inputs(ctx, p, inputs)))
		return st;
	if (stop_step == -2)   /* bind only */
		return AIMET_OK;
	if (stop_step >= 0) {
		/* only what the stop tensor depends on: steps read only earlier steps' outputs */
		memset(p->needed_mark, 0, p->n_steps);
		p->needed_mark[stop_step] = 1;
		for (int i = stop_step; i >= 0; i--) {
			const struct xstep *s = &p->steps[i];
			if (!p->needed_mark[i])
				continue;
			for (int j = 0; j < s->n_in; j++)
				if (s->in[j] >= 0 && p->values[s->in[j]]->step >= 0)
					p->needed_mark[p->values[s->in[j]]->step] = 1;
		}
	}
	if (p->profile)
		p->profile_runs++;
	for (size_t i = 0; i < p->n_steps; i++) {
		struct xstep *s = &p->steps[i];
		double t0 = 0;
		if (stop_step >= 0 && ((int)i > stop_step || !p->needed_mark[i]))
			continue;
		if (p->profile)
			t0 = now_ms();
		s->c.ctx = ctx;
		s->c.threads = ctx && ctx->threads > 0 ? ctx->threads : 1;
		s->c.workspace = p->workspace;
		/* output 0's fake quantization goes to the kernel, which may apply it in its epilogue */
		s->c.fq = NULL;
		s->c.fq_done = 0;
		if (s->n_out >= 1 && s->out[0] >= 0 && p->values[s->out[0]]->has_fq &&
		    s->tout[0]->dtype == AIMET_FLOAT && !s->alias)
			s->c.fq = &p->values[s->out[0]]->fq;
		if (stop_step == -1 && i + 1 < p->n_steps && pair_usable(p, s, &p->steps[i + 1])) {
			struct xstep *t = &p->steps[i + 1];
			struct xvalue *a = p->values[s->out[0]], *cv = p->values[t->out[0]];
			void *keep = a->t.data;
			a->t.data = cv->t.data;   /* the sum is read by nothing but the clamp */
			s->c.act_lo = s->pair_lo;
			s->c.act_hi = s->pair_hi;
			s->c.fq_mid = &a->fq;
			s->c.fq = &cv->fq;
			s->pub.op->run(&s->c);
			s->c.fq_mid = NULL;
			s->c.fq = NULL;
			s->c.act_lo = -INFINITY;
			s->c.act_hi = INFINITY;
			a->t.data = keep;
			if (p->profile)
				s->ms += now_ms() - t0;
			i++;   /* the clamp step is done */
			if ((st = aimet_check_interrupt(ctx)))
				return st;
			continue;
		}
		if (s->alias)
			;   /* the output already holds the input's bytes */
		else if (p->opts.use_ref || !s->pub.op->run)
			s->pub.op->ref(&s->c);
		else
			s->pub.op->run(&s->c);
		for (int j = 0; j < s->n_out; j++) {
			struct xvalue *v = p->values[s->out[j]];
			if (v->has_fq && v->kind != V_SCRATCH && s->tout[j]->dtype == AIMET_FLOAT &&
			    !(j == 0 && s->c.fq && s->c.fq_done))
				aimet_fq_apply_mt(&v->fq, s->tout[j]->data, s->tout[j]->data,
				                  aimet_tensor_numel(s->tout[j]), s->c.threads);
		}
		s->c.fq = NULL;
		if (p->hook)
			for (int j = 0; j < s->n_out; j++) {
				int idx;
				const struct aimet_node *nd = output_node(p, s, j, &idx);
				if (p->values[s->out[j]]->kind != V_SCRATCH)
					p->hook(p->hook_user, nd, idx, s->tout[j]);
			}
		/* fake quantization (the executor's pass, the hook's) is part of the step's cost */
		if (p->profile)
			s->ms += now_ms() - t0;
		if ((st = aimet_check_interrupt(ctx)))
			return st;
	}
	return AIMET_OK;
}

int aimet_plan_run(struct aimet_ctx *ctx, struct aimet_plan *p,
                   struct aimet_tensor *const *inputs, struct aimet_tensor **outputs)
{
	int st = run_impl(ctx, p, inputs, -1);
	if (st)
		return st;
	if (outputs)
		for (int i = 0; i < p->n_outputs; i++)
			outputs[i] = &p->values[p->outputs[i]]->t;
	return AIMET_OK;
}

int aimet_plan_run_until(struct aimet_ctx *ctx, struct aimet_plan *p,
                         struct aimet_tensor *const *inputs, const char *tensor,
                         struct aimet_tensor **value)
{
	int vi = aimet__value_find(p, tensor), st, stop;
	struct xvalue *v;
	if (vi < 0)
		return aimet_error(ctx, AIMET_ERR_INVALID, "no tensor named '%s' in the model",
		                   tensor ? tensor : "");
	v = p->values[vi];
	if (v->fused_away)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "tensor '%s' is fused away in this plan (list it in the plan's keep "
		                   "option)", tensor);
	if (v->dep == DEP_DATA && v->kind != V_INPUT && v->step < 0)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "tensor '%s' is not computed: no output needs it (list it in the plan's "
		                   "keep option)", tensor);
	/* inputs and constants: bind (and prepare) but run nothing */
	stop = v->step >= 0 ? v->step : -2;
	if ((st = run_impl(ctx, p, inputs, stop)))
		return st;
	if (value)
		*value = &v->t;
	return AIMET_OK;
}

void aimet_plan_set_hook(struct aimet_plan *p, aimet_output_fn fn, void *user)
{
	p->hook = fn;
	p->hook_user = user;
}

int aimet_plan_set_output_quant(struct aimet_ctx *ctx, struct aimet_plan *p, const char *name,
                                const struct aimet_fq *q)
{
	int vi = aimet__value_find(p, name);
	struct xvalue *v = vi >= 0 ? p->values[vi] : NULL;
	if (!v)
		return aimet_error(ctx, AIMET_ERR_INVALID, "no tensor named '%s' in the model",
		                   name ? name : "");
	if (!q) {
		if (v->has_fq && v->kind == V_INPUT)
			p->n_input_fq--;
		v->has_fq = 0;
		return AIMET_OK;
	}
	if ((v->kind != V_INPUT && v->kind != V_NODE) || v->fused_away || v->dep != DEP_DATA)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "tensor '%s' is not computed at run time in this plan", name);
	if (!(q->scale > 0) || !isfinite(q->scale) || isnan(q->lo) || isnan(q->hi) || q->lo > q->hi)
		return aimet_error(ctx, AIMET_ERR_INVALID, "tensor '%s': invalid quantization grid", name);
	if (!v->has_fq && v->kind == V_INPUT)
		p->n_input_fq++;
	v->fq = *q;
	v->has_fq = 1;
	return AIMET_OK;
}

void aimet_plan_clear_output_quant(struct aimet_plan *p)
{
	for (size_t i = 0; i < p->n_values; i++)
		p->values[i]->has_fq = 0;
	p->n_input_fq = 0;
}

int aimet_plan_n_inputs(const struct aimet_plan *p) { return p->n_inputs; }
int aimet_plan_n_outputs(const struct aimet_plan *p) { return p->n_outputs; }

const char *aimet_plan_input_name(const struct aimet_plan *p, int i)
{
	return i >= 0 && i < p->n_inputs ? p->values[p->inputs[i]]->name : NULL;
}

const char *aimet_plan_output_name(const struct aimet_plan *p, int i)
{
	return i >= 0 && i < p->n_outputs ? p->values[p->outputs[i]]->name : NULL;
}

int aimet_plan_input_decl(const struct aimet_plan *p, int i, int *dtype, int64_t *dims)
{
	const struct aimet_graph *g = p->model->graph;
	const char *name = aimet_plan_input_name(p, i);
	*dtype = 0;
	if (!name)
		return -1;
	for (size_t k = 0; k < g->n_inputs; k++) {
		const struct aimet_value_info *vi = &g->inputs[k];
		if (!vi->name || strcmp(vi->name, name))
			continue;
		*dtype = vi->elem_type;
		if (!vi->has_shape || vi->ndim > AIMET_MAX_DIMS)
			return -1;
		for (int d = 0; d < vi->ndim; d++)
			dims[d] = vi->dims[d].param || vi->dims[d].value < 0 ? -1 : vi->dims[d].value;
		return vi->ndim;
	}
	return -1;
}

size_t aimet_plan_n_steps(const struct aimet_plan *p) { return p->n_steps; }

void aimet_plan_set_profile(struct aimet_plan *p, int on)
{
	p->profile = on;
	p->profile_runs = 0;
	for (size_t i = 0; i < p->n_steps; i++)
		p->steps[i].ms = 0;
}

double aimet_plan_step_ms(const struct aimet_plan *p, size_t i)
{
	return i < p->n_steps ? p->steps[i].ms : 0;
}

int64_t aimet_plan_profile_runs(const struct aimet_plan *p) { return p->profile_runs; }

const struct aimet_plan_step *aimet_plan_get_step(const struct aimet_plan *p, size_t i)
{
	return i < p->n_steps ? &p->steps[i].pub : NULL;
}

size_t aimet_plan_arena_bytes(const struct aimet_plan *p) { return p->prepared ? p->arena_size : 0; }
size_t aimet_plan_workspace_bytes(const struct aimet_plan *p) { return p->prepared ? p->ws_size : 0; }
