/* harness.h: build a single node and run an op on it directly (infer, prepare, fast or reference
 * kernel), for the fast-vs-reference sweeps in tests/ops/. Header-only; tests abort on OOM. */
#ifndef AIMET_OPS_HARNESS_H
#define AIMET_OPS_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aimet.h"
#include "aimet_ops.h"

static inline void *h_xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
	return p;
}

static inline struct aimet_node *h_node(const char *op_type, int n_in, int n_out)
{
	struct aimet_node *n = h_xmalloc(sizeof(*n));
	char buf[32];
	n->op_type = strdup(op_type);
	n->name = strdup("node");
	n->domain = strdup("");
	n->n_inputs = n_in; n->n_outputs = n_out;
	n->inputs = h_xmalloc(sizeof(char *) * (size_t)(n_in ? n_in : 1));
	n->outputs = h_xmalloc(sizeof(char *) * (size_t)(n_out ? n_out : 1));
	for (int i = 0; i < n_in; i++) { snprintf(buf, sizeof buf, "x%d", i); n->inputs[i] = strdup(buf); }
	for (int i = 0; i < n_out; i++) { snprintf(buf, sizeof buf, "y%d", i); n->outputs[i] = strdup(buf); }
	return n;
}

static inline struct aimet_attr *h_attr(struct aimet_node *n, const char *name, int type)
{
	n->attrs = realloc(n->attrs, sizeof(*n->attrs) * (size_t)(n->n_attrs + 1));
	struct aimet_attr *a = &n->attrs[n->n_attrs++];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	a->type = type;
	return a;
}
static inline void h_attr_int(struct aimet_node *n, const char *name, int64_t v) { h_attr(n, name, AIMET_ATTR_INT)->i = v; }
static inline void h_attr_float(struct aimet_node *n, const char *name, float v) { h_attr(n, name, AIMET_ATTR_FLOAT)->f = v; }
static inline void h_attr_str(struct aimet_node *n, const char *name, const char *v)
{
	struct aimet_attr *a = h_attr(n, name, AIMET_ATTR_STRING);
	a->s.data = strdup(v); a->s.len = strlen(v);
}
static inline void h_attr_ints(struct aimet_node *n, const char *name, int count, const int64_t *v)
{
	struct aimet_attr *a = h_attr(n, name, AIMET_ATTR_INTS);
	a->ints = h_xmalloc(sizeof(int64_t) * (size_t)(count ? count : 1));
	memcpy(a->ints, v, sizeof(int64_t) * (size_t)count);
	a->n_ints = (size_t)count;
}
static inline void h_attr_floats(struct aimet_node *n, const char *name, int count, const float *v)
{
	struct aimet_attr *a = h_attr(n, name, AIMET_ATTR_FLOATS);
	a->floats = h_xmalloc(sizeof(float) * (size_t)(count ? count : 1));
	memcpy(a->floats, v, sizeof(float) * (size_t)count);
	a->n_floats = (size_t)count;
}

/* Deterministic xorshift generator so every sweep is reproducible from its seed. */
static inline uint32_t h_rand_u32(uint32_t *s) { *s ^= *s << 13; *s ^= *s >> 17; *s ^= *s << 5; return *s; }
static inline float h_rand_uniform(uint32_t *s, float lo, float hi)
{
	return lo + (hi - lo) * (float)(h_rand_u32(s) >> 8) / 16777216.0f;
}
static inline int h_rand_int(uint32_t *s, int lo, int hi) { return lo + (int)(h_rand_u32(s) % (uint32_t)(hi - lo + 1)); }

/* A float32 tensor of the given shape filled uniformly in [lo, hi). */
static inline struct aimet_tensor *h_tensor_rand(int ndim, const int64_t *dims, uint32_t *seed, float lo, float hi)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_FLOAT, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) { fprintf(stderr, "out of memory\n"); exit(2); }
	float *p = t->data;
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++)
		p[i] = h_rand_uniform(seed, lo, hi);
	return t;
}
/* A tensor of any dtype from values given as int64 (for shapes, axes, indices). */
static inline struct aimet_tensor *h_tensor_i64(int ndim, const int64_t *dims, const int64_t *vals)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_INT64, ndim, dims);
	if (!t || aimet_tensor_alloc(NULL, t)) { fprintf(stderr, "out of memory\n"); exit(2); }
	memcpy(t->data, vals, t->nbytes);
	return t;
}

/* Run `op` on node n: infer shapes, allocate outputs, prepare, then the fast kernel
 * (use_ref = 0) or the reference kernel (use_ref = 1). Outputs are new tensors in out[];
 * returns the status of infer/prepare (message in ctx). */
static inline int h_run(struct aimet_ctx *ctx, const struct aimet_op *op, const struct aimet_node *n,
                 int64_t opset, int n_in, struct aimet_tensor **in, int n_out,
                 struct aimet_tensor **out, int use_ref, int threads)
{
	struct aimet_op_ctx c;
	int st;
	memset(&c, 0, sizeof(c));
	c.ctx = ctx; c.node = n; c.opset = opset; c.n_in = n_in; c.n_out = n_out;
	c.in = in; c.out = out; c.threads = threads;
	c.act_lo = -INFINITY; c.act_hi = INFINITY;
	for (int i = 0; i < n_out; i++)
		out[i] = aimet_tensor_new(NULL, AIMET_UNDEFINED, 0, NULL);
	if ((st = op->infer(&c)))
		return st;
	for (int i = 0; i < n_out; i++)
		if ((st = aimet_tensor_alloc(ctx, out[i])))
			return st;
	if (op->prepare && (st = op->prepare(&c)))
		return st;
	if (c.workspace_size)
		c.workspace = h_xmalloc(c.workspace_size);
	if (use_ref || !op->run)
		op->ref(&c);
	else
		op->run(&c);
	free(c.workspace);
	if (op->free_state)
		op->free_state(c.state);
	return AIMET_OK;
}

/* Largest |a-b| relative to the largest |b| (1 if shapes differ). */
static inline double h_max_rel_err(const struct aimet_tensor *a, const struct aimet_tensor *b)
{
	int64_t n = aimet_tensor_numel(b);
	double maxabs = 0, maxerr = 0;
	if (a->ndim != b->ndim || aimet_tensor_numel(a) != n || a->dtype != b->dtype)
		return 1;
	for (int64_t i = 0; i < n; i++) {
		double x = aimet_tensor_get_f64(a, i), y = aimet_tensor_get_f64(b, i);
		if (fabs(y) > maxabs) maxabs = fabs(y);
		if (isnan(x) != isnan(y)) return 1;
		if (!isnan(x) && fabs(x - y) > maxerr) maxerr = fabs(x - y);
	}
	return maxabs > 0 ? maxerr / maxabs : maxerr;
}
#endif
