/* roundtrip.c: load -> save -> load gives an identical IR for every model.onnx of the ONNX test
 * data and every shared model; test-data .pb tensors round-trip too.
 * `roundtrip IN OUT [EXTERNAL_MIN_BYTES]` instead just re-saves one model, optionally with
 * tensors of that size or more in a side file (used by roundtrip-ort.sh). */
#include "aimet.h"
#include "aimet_ir.h"
#include "aimet_onnx.h"
#include "../test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TESTDATA "/usr/share/libonnx-testdata/data"

static char **paths;
static size_t n_paths, cap_paths;

static void add_path(const char *p)
{
	if (aimet_grow((void **)&paths, &cap_paths, n_paths + 1, sizeof(*paths)) == 0)
		paths[n_paths++] = strdup(p);
}

/* Collect files named `want` (or ending in `suffix` when want is NULL) below dir. */
static void walk(const char *dir, const char *want, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			walk(p, want, suffix);
		else if (want ? !strcmp(e->d_name, want)
		              : (n > strlen(suffix) && !strcmp(e->d_name + n - strlen(suffix), suffix)))
			add_path(p);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dir_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? strndup(p, (size_t)(s - p)) : strdup(".");
}

/* One model: load, serialize, reload, compare; serialize the copy again and compare bytes
 * (saving is deterministic), and the clone must equal the original. */
static int check_model(struct aimet_ctx *ctx, const char *path, char *why, size_t why_len)
{
	struct aimet_model *a = NULL, *b = NULL, *c = NULL;
	uint8_t *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	char *dir = dir_of(path);
	int ok = 0;
	if (aimet_model_load(ctx, path, &a)) {
		snprintf(why, why_len, "load: %s", aimet_errmsg(ctx));
		goto out;
	}
	if (aimet_model_serialize(ctx, a, &buf, &len)) {
		snprintf(why, why_len, "save: %s", aimet_errmsg(ctx));
		goto out;
	}
	if (aimet_model_load_buffer(ctx, buf, len, dir, &b)) {
		snprintf(why, why_len, "reload: %s", aimet_errmsg(ctx));
		goto out;
	}
	if (!aimet_model_equal(a, b, why, why_len))
		goto out;
	if (aimet_model_serialize(ctx, b, &buf2, &len2) || len2 != len || memcmp(buf, buf2, len)) {
		snprintf(why, why_len, "second save differs (%zu vs %zu bytes)", len, len2);
		goto out;
	}
	if (!(c = aimet_model_clone(a)) || !aimet_model_equal(a, c, why, why_len)) {
		if (!c)
			snprintf(why, why_len, "clone failed");
		goto out;
	}
	/* ONNX files are topologically sorted (subgraph reads included): the order is kept */
	{
		size_t *order = NULL;
		if (aimet_graph_topo_order(ctx, a->graph, &order)) {
			snprintf(why, why_len, "topological order: %s", aimet_errmsg(ctx));
			goto out;
		}
		for (size_t i = 0; i < a->graph->n_nodes; i++)
			if (order[i] != i) {
				snprintf(why, why_len, "topological order moved node %zu", i);
				free(order);
				goto out;
			}
		free(order);
	}
	ok = 1;
out:
	aimet_model_free(a);
	aimet_model_free(b);
	aimet_model_free(c);
	free(buf);
	free(buf2);
	free(dir);
	return ok;
}

/* A test-data .pb file: some hold sequences or optionals rather than tensors; those are not
 * counted. Returns 1 pass, 0 fail, -1 not a tensor. */
static int check_pb(struct aimet_ctx *ctx, const char *path, char *why, size_t why_len)
{
	struct aimet_tensor *t = NULL, *u = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int ok = 0;
	if (aimet_tensor_read_pb(ctx, path, &t))
		return -1;
	if (aimet_tensor_serialize_pb(ctx, t, &buf, &len) || aimet_tensor_parse_pb(ctx, buf, len, &u)) {
		snprintf(why, why_len, "%s", aimet_errmsg(ctx));
		goto out;
	}
	if (!aimet_tensor_equal(t, u) || (t->name != u->name && (!t->name || !u->name ||
	                                                         strcmp(t->name, u->name)))) {
		snprintf(why, why_len, "tensor differs after round trip");
		goto out;
	}
	ok = 1;
out:
	aimet_tensor_free(t);
	aimet_tensor_free(u);
	free(buf);
	return ok;
}

static int resave(const char *in, const char *out, const char *ext_min)
{
	struct aimet_ctx *ctx = aimet_ctx_new();
	struct aimet_model *m = NULL;
	struct aimet_save_opts o = {ext_min ? strtoull(ext_min, NULL, 10) : 0, NULL};
	int rc = aimet_model_load(ctx, in, &m);
	if (!rc)
		rc = aimet_model_save(ctx, m, out, &o);
	if (rc)
		fprintf(stderr, "roundtrip: %s\n", aimet_errmsg(ctx));
	aimet_model_free(m);
	aimet_ctx_free(ctx);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct aimet_ctx *ctx;
	const char *shared = getenv("AIMET_SHARED");
	char sm[4096], why[1024];
	size_t n_models, n_testdata, pb_tensors = 0, pb_other = 0;
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "roundtrip"))
		return resave(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (argc != 1) {
		fprintf(stderr, "usage: roundtrip [roundtrip IN.onnx OUT.onnx [EXTERNAL_MIN_BYTES]]\n");
		return 2;
	}
	ctx = aimet_ctx_new();
	walk(TESTDATA, "model.onnx", NULL);
	n_testdata = n_paths;
	snprintf(sm, sizeof(sm), "%s/models", shared ? shared : "../shared");
	walk(sm, NULL, ".onnx");
	n_models = n_paths;
	qsort(paths, n_testdata, sizeof(*paths), cmp_str);
	CHECK(n_testdata >= 1072, "found %zu test-data models under %s, want 1072", n_testdata, TESTDATA);
	CHECK(n_models - n_testdata >= 8, "found %zu shared models under %s", n_models - n_testdata, sm);
	for (size_t i = 0; i < n_models; i++) {
		int ok = check_model(ctx, paths[i], why, sizeof(why));
		CHECK(ok, "%s: %s", paths[i], why);
	}
	/* the test data's input_N.pb / output_N.pb next to each model */
	walk(TESTDATA, NULL, ".pb");
	qsort(paths + n_models, n_paths - n_models, sizeof(*paths), cmp_str);
	for (size_t i = n_models; i < n_paths; i++) {
		int r = check_pb(ctx, paths[i], why, sizeof(why));
		if (r < 0) {
			pb_other++;
			continue;
		}
		pb_tensors++;
		CHECK(r == 1, "%s: %s", paths[i], why);
	}
	/* sequences/optionals are a small minority: most .pb files must read as tensors */
	CHECK(pb_tensors > 10 * pb_other, "%zu .pb tensors read, %zu did not", pb_tensors, pb_other);
	fprintf(stderr, "models: %zu test data + %zu shared; .pb: %zu tensors, %zu other\n",
	        n_testdata, n_models - n_testdata, pb_tensors, pb_other);
	for (size_t i = 0; i < n_paths; i++)
		free(paths[i]);
	free(paths);
	aimet_ctx_free(ctx);
	return test_done();
}
