/* dfq_models.h: small hand-built models for the CLE, bias-correction and AdaRound tests
 * (included by test_cle.c, test_biascorr.c, test_adaround.c): a builder over the IR, a
 * deterministic random source, and a dataset over a temporary .npy. */
#ifndef DFQ_MODELS_H
#define DFQ_MODELS_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aimet.h"
#include "aimet_io.h"
#include "aimet_ir.h"
#include "../test.h"

/* A dataset (batches of 16) over a new temporary .npy holding t, whose name is written to
 * path (256 bytes; the caller unlinks it). NULL, with a failed check, on error. */
static inline struct aimet_dataset *dfq_dataset(struct aimet_ctx *ctx, const struct aimet_tensor *t,
                                                char *path)
{
	struct aimet_dataset_spec spec;
	struct aimet_dataset *ds = NULL;
	int fd;
	snprintf(path, 256, "/tmp/aimet-dfq-test.XXXXXX");
	fd = mkstemp(path);
	if (fd >= 0)
		close(fd);
	if (aimet_npy_write(ctx, t, path)) {
		CHECK(0, "npy write: %s", aimet_errmsg(ctx));
		return NULL;
	}
	aimet_dataset_spec_init(&spec);
	spec.n_sources = 1;
	spec.paths[0] = path;
	spec.batch = 16;
	if (aimet_dataset_open(ctx, &spec, &ds))
		CHECK(0, "dataset: %s", aimet_errmsg(ctx));
	return ds;
}

static unsigned long long dfq_seed = 12345;
static inline double dfq_rand(void)   /* uniform in [0, 1) */
{
	dfq_seed = dfq_seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(dfq_seed >> 11) / 9007199254740992.0;
}
static inline double dfq_uniform(double lo, double hi) { return lo + (hi - lo) * dfq_rand(); }

static inline struct aimet_model *dfq_model(int64_t opset)
{
	struct aimet_model *m = calloc(1, sizeof(*m));
	m->graph = calloc(1, sizeof(*m->graph));
	m->graph->name = strdup("g");
	m->opsets = calloc(1, sizeof(*m->opsets));
	m->opsets[0].domain = strdup("");
	m->opsets[0].version = opset;
	m->n_opsets = 1;
	m->ir_version = 8;
	return m;
}

static inline void dfq_io(struct aimet_value_info **arr, size_t *n, const char *name, int ndim, const int64_t *dims)
{
	struct aimet_value_info *v;
	*arr = realloc(*arr, sizeof(**arr) * (*n + 1));
	v = &(*arr)[(*n)++];
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	v->elem_type = AIMET_FLOAT;
	if (ndim >= 0) {
		v->has_shape = 1;
		v->ndim = ndim;
		v->dims = calloc((size_t)ndim + 1, sizeof(*v->dims));
		for (int i = 0; i < ndim; i++) {
			v->dims[i].value = dims[i];
			if (dims[i] < 0)
				v->dims[i].param = strdup("N");
		}
	}
}

/* A float initializer filled with uniform values in [lo, hi) (or `data` when non-NULL). */
static inline struct aimet_tensor *dfq_init(struct aimet_model *m, const char *name, int ndim, const int64_t *dims,
                                     double lo, double hi, const float *data)
{
	struct aimet_tensor *t = aimet_tensor_new(name, AIMET_FLOAT, ndim, dims);
	aimet_tensor_alloc(NULL, t);
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++)
		((float *)t->data)[i] = data ? data[i] : (float)dfq_uniform(lo, hi);
	aimet_graph_add_initializer(NULL, m->graph, t);
	return t;
}

/* A node with comma-separated inputs and one output, appended to the graph. */
static inline struct aimet_node *dfq_node(struct aimet_model *m, const char *op, const char *name, const char *ins,
                                   const char *out)
{
	char buf[256], *in[8], *save = NULL;
	int n = 0;
	struct aimet_node *nd;
	snprintf(buf, sizeof(buf), "%s", ins);
	for (char *t = strtok_r(buf, ",", &save); t && n < 8; t = strtok_r(NULL, ",", &save))
		in[n++] = strcmp(t, "-") ? t : "";
	nd = aimet_node_new(op, name, n, (const char *const *)in, 1, &out);
	aimet_graph_add_node(NULL, m->graph, m->graph->n_nodes, nd);
	return nd;
}

static inline void dfq_conv_attrs(struct aimet_node *n, int k, int pad, int group, int stride)
{
	int64_t ks[2] = {k, k}, pads[4] = {pad, pad, pad, pad}, st[2] = {stride, stride};
	aimet_node_set_ints(n, "kernel_shape", ks, 2);
	aimet_node_set_ints(n, "pads", pads, 4);
	aimet_node_set_ints(n, "strides", st, 2);
	aimet_node_set_int(n, "group", group);
}

/* Multiply output channel c of a Conv weight [C, ...] by f[c]. */
static inline void dfq_scale_rows(struct aimet_tensor *w, const double *f)
{
	int64_t per = aimet_tensor_numel(w) / w->dims[0];
	for (int64_t c = 0; c < w->dims[0]; c++)
		for (int64_t i = 0; i < per; i++)
			((float *)w->data)[c * per + i] = (float)(((float *)w->data)[c * per + i] * f[c]);
}

/* An input tensor [dims] with uniform values. */
static inline struct aimet_tensor *dfq_input(int ndim, const int64_t *dims, double lo, double hi)
{
	struct aimet_tensor *t = aimet_tensor_new("x", AIMET_FLOAT, ndim, dims);
	aimet_tensor_alloc(NULL, t);
	for (int64_t i = 0; i < aimet_tensor_numel(t); i++)
		((float *)t->data)[i] = (float)dfq_uniform(lo, hi);
	return t;
}
#endif
