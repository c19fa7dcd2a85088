/* nodecase.h: run one ONNX backend node-test case directly on its op with every input bound to
 * its value (graph inputs, initializers, Constant nodes), comparing the reference and the fast
 * kernel (at 1 and 2 threads) with the expected outputs. For tests/ops/ suites; needs harness.h. */
#ifndef AIMET_OPS_NODECASE_H
#define AIMET_OPS_NODECASE_H

#include <dirent.h>
#include <fnmatch.h>
#include "aimet_onnx.h"
#include "harness.h"
#include "../test.h"

#define NC_DIR "/usr/share/libonnx-testdata/data/node"

static const struct aimet_tensor *nc_lookup(const char *name, char **names,
                                            struct aimet_tensor **vals, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return vals[i];
	return NULL;
}

/* Elementwise |a - b| <= atol + rtol * |b| (NaN must match); dtypes and shapes must agree. */
static int nc_close(const struct aimet_tensor *a, const struct aimet_tensor *b, double rtol, double atol)
{
	int64_t n = aimet_tensor_numel(b);
	if (a->dtype != b->dtype || a->ndim != b->ndim || aimet_tensor_numel(a) != n)
		return 0;
	for (int i = 0; i < a->ndim; i++)
		if (a->dims[i] != b->dims[i])
			return 0;
	for (int64_t i = 0; i < n; i++) {
		double x = aimet_tensor_get_f64(a, i), y = aimet_tensor_get_f64(b, i);
		if (isnan(x) || isnan(y)) {
			if (isnan(x) != isnan(y))
				return 0;
			continue;
		}
		if (fabs(x - y) > atol + rtol * fabs(y))
			return 0;
	}
	return 1;
}

/* Run case directory `dir` whose single non-Constant node is `op_type`. Counts CHECKs; returns
 * 0 when the case could be run, -1 when it does not fit this driver (noted on stderr). */
static int nc_run(const char *dir, const char *op_type)
{
	/* not every suite uses every harness helper */
	(void)h_attr_ints; (void)h_attr_floats; (void)h_attr_float; (void)h_attr_str;
	(void)h_tensor_i64; (void)h_attr_int; (void)h_max_rel_err; (void)h_tensor_rand;
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_model *m = NULL;
	struct aimet_graph *g;
	char path[2048], *names[64];
	struct aimet_tensor *vals[64], *in[16], *out[3][8], *expect[8];
	const struct aimet_node *node = NULL;
	int nv = 0, nin = 0, rc = -1, n_exp = 0;
	memset(out, 0, sizeof(out));
	snprintf(path, sizeof path, "%s/model.onnx", dir);
	if (aimet_model_load(ctx, path, &m)) {
		fprintf(stderr, "note: %s: %s\n", path, aimet_errmsg(ctx));
		goto done;
	}
	g = m->graph;
	for (size_t i = 0; i < g->n_initializers && nv < 64; i++) {
		names[nv] = g->initializers[i]->name;
		vals[nv++] = g->initializers[i];
	}
	for (size_t i = 0; i < g->n_inputs && nv < 64; i++) {
		struct aimet_tensor *t;
		if (nc_lookup(g->inputs[i].name, names, vals, nv))
			continue;
		snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, nin++);
		if (aimet_tensor_read_pb(ctx, path, &t)) {
			fprintf(stderr, "note: %s: %s\n", path, aimet_errmsg(ctx));
			goto done;
		}
		names[nv] = g->inputs[i].name;
		vals[nv++] = t;
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct aimet_node *n = g->nodes[i];
		if (!strcmp(n->op_type, "Constant")) {
			const struct aimet_attr *a = aimet_node_attr(n, "value");
			if (!a || a->type != AIMET_ATTR_TENSOR || nv >= 64)
				goto done;
			names[nv] = n->outputs[0];
			vals[nv++] = a->t;
		} else if (!strcmp(n->op_type, op_type) && !node) {
			node = n;
		} else {
			fprintf(stderr, "note: %s: other op '%s'\n", dir, n->op_type);
			goto done;
		}
	}
	if (!node || node->n_inputs > 16 || node->n_outputs > 8)
		goto done;
	for (int i = 0; i < node->n_inputs; i++)
		in[i] = node->inputs[i][0] ? (struct aimet_tensor *)nc_lookup(node->inputs[i], names, vals, nv) : NULL;
	for (int i = 0; i < node->n_outputs; i++) {
		expect[i] = NULL;
		for (size_t k = 0; k < g->n_outputs; k++)
			if (!strcmp(g->outputs[k].name, node->outputs[i])) {
				snprintf(path, sizeof path, "%s/test_data_set_0/output_%zu.pb", dir, k);
				if (aimet_tensor_read_pb(ctx, path, &expect[i]))
					goto done;
				n_exp = i + 1;
			}
	}
	rc = 0;
	{
		const struct aimet_op *op = aimet_op_find(node->domain, node->op_type);
		int64_t opset = aimet_model_opset(m);
		const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
		CHECK(op != NULL, "%s: op %s not registered", base, op_type);
		if (!op)
			goto done;
		for (int v = 0; v < 3; v++) {
			int st = h_run(ctx, op, node, opset, node->n_inputs, in, node->n_outputs, out[v],
			               v == 0, v == 2 ? 2 : 1);
			CHECK(st == 0, "%s: %s", base, aimet_errmsg(ctx));
			if (st)
				goto done;
		}
		for (int i = 0; i < n_exp; i++) {
			if (!expect[i])
				continue;
			CHECK(nc_close(out[0][i], expect[i], 1e-3, 1e-7), "%s: ref output %d differs", base, i);
			CHECK(nc_close(out[1][i], expect[i], 1e-3, 1e-7), "%s: fast output %d differs", base, i);
			CHECK(aimet_tensor_equal(out[1][i], out[2][i]), "%s: -j1 and -j2 differ", base);
		}
	}
done:
	for (int v = 0; v < 3; v++)
		for (int i = 0; i < 8; i++)
			aimet_tensor_free(out[v][i]);
	if (m) {
		for (int i = 0; i < n_exp; i++)
			aimet_tensor_free(expect[i]);
		/* graph inputs read from .pb are ours; initializers and Constant values belong to m */
		for (int i = 0; i < nv; i++) {
			int owned = 1;
			for (size_t k = 0; k < m->graph->n_initializers; k++)
				owned &= vals[i] != m->graph->initializers[k];
			for (size_t k = 0; k < m->graph->n_nodes; k++) {
				const struct aimet_attr *a = aimet_node_attr(m->graph->nodes[k], "value");
				owned &= !(a && a->t == vals[i]);
			}
			if (owned)
				aimet_tensor_free(vals[i]);
		}
	}
	aimet_model_free(m);
	aimet_ctx_free(ctx);
	return rc;
}

/* For hostile-attribute sweeps: infer, and when it accepts the node and the outputs are small,
 * prepare and run both kernels. Returns the infer/prepare status; only a crash can fail. */
static int nc_try(struct aimet_ctx *ctx, const struct aimet_op *op, const struct aimet_node *n,
                  int64_t opset, int n_in, struct aimet_tensor **in, int n_out)
{
	struct aimet_tensor *out[8];
	struct aimet_op_ctx c;
	int st;
	memset(&c, 0, sizeof c);
	c.ctx = ctx; c.node = n; c.opset = opset; c.n_in = n_in; c.n_out = n_out;
	c.in = in; c.out = out; c.threads = 2;
	c.act_lo = -INFINITY; c.act_hi = INFINITY;
	for (int i = 0; i < n_out; i++)
		out[i] = aimet_tensor_new(NULL, AIMET_UNDEFINED, 0, NULL);
	st = op->infer(&c);
	for (int i = 0; !st && i < n_out; i++)
		if (aimet_tensor_numel(out[i]) > 100000 || (st = aimet_tensor_alloc(ctx, out[i])))
			st = st ? st : 1;
	if (!st && op->prepare)
		st = op->prepare(&c);
	if (!st) {
		if (c.workspace_size)
			c.workspace = h_xmalloc(c.workspace_size);
		op->ref(&c);
		if (op->run)
			op->run(&c);
		free(c.workspace);
		if (op->free_state)
			op->free_state(c.state);
	}
	for (int i = 0; i < n_out; i++)
		aimet_tensor_free(out[i]);
	return st;
}

/* Run every case matching `pattern` (fnmatch) whose op is `op_type`; returns how many ran. */
static int nc_run_all(const char *pattern, const char *op_type)
{
	DIR *d = opendir(NC_DIR);
	struct dirent *e;
	char path[1024];
	int ran = 0;
	if (!d) {
		fprintf(stderr, "note: %s missing: node cases not run\n", NC_DIR);
		return 0;
	}
	while ((e = readdir(d))) {
		if (fnmatch(pattern, e->d_name, 0) || strstr(e->d_name, "_expanded"))
			continue;
		snprintf(path, sizeof path, "%s/%s", NC_DIR, e->d_name);
		if (nc_run(path, op_type) == 0)
			ran++;
	}
	closedir(d);
	return ran;
}

#endif
