/* test_models.c: every shared model (../shared/models/NAME.onnx) on its reference input against
 * ONNX Runtime's output (../shared/reference/<model>/0_*.npy): relative max error within 1e-4 of
 * the reference's largest magnitude, at 1 and 2 threads, with bitwise identical outputs. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "aimet.h"
#include "aimet_exec.h"
#include "aimet_io.h"
#include "aimet_onnx.h"
#include "../test.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The reference output file 0_<name>.npy in dir (caller frees), or NULL. */
static char *find_ref_output(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *r = NULL;
	if (!d)
		return NULL;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "0_", 2) && strstr(e->d_name, ".npy")) {
			size_t n = strlen(dir) + strlen(e->d_name) + 2;
			if ((r = malloc(n)))
				snprintf(r, n, "%s/%s", dir, e->d_name);
			break;
		}
	closedir(d);
	return r;
}

static void set_threads(struct aimet_ctx *ctx, int n)
{
	ctx->threads = n;
#ifdef _OPENMP
	omp_set_num_threads(n);
#endif
}

static void test_model(struct aimet_ctx *ctx, const char *shared, const char *file)
{
	char model_path[1024], dir[1024], in_path[1100], name[256];
	struct aimet_model *m = NULL;
	struct aimet_plan *p = NULL;
	struct aimet_tensor *x = NULL, *ref = NULL, *out[4] = {0}, *y1 = NULL;
	char *ref_path;
	size_t len = strlen(file);
	snprintf(name, sizeof(name), "%.*s", (int)(len - 5), file);
	snprintf(model_path, sizeof(model_path), "%s/models/%s", shared, file);
	snprintf(dir, sizeof(dir), "%s/reference/%s", shared, name);
	snprintf(in_path, sizeof(in_path), "%s/input.npy", dir);
	ref_path = find_ref_output(dir);
	CHECK(ref_path != NULL, "%s: no reference output in %s", name, dir);
	if (!ref_path)
		return;
	if (aimet_model_load(ctx, model_path, &m) || aimet_npy_read(ctx, in_path, &x) ||
	    aimet_npy_read(ctx, ref_path, &ref)) {
		CHECK(0, "%s: %s", name, aimet_errmsg(ctx));
		goto out;
	}
	if (aimet_plan_new(ctx, m, NULL, &p)) {
		CHECK(0, "%s: %s", name, aimet_errmsg(ctx));
		goto out;
	}
	for (int threads = 1; threads <= 2; threads++) {
		int64_t n;
		double maxref = 0, maxerr = 0;
		set_threads(ctx, threads);
		if (aimet_plan_run(ctx, p, &x, out)) {
			CHECK(0, "%s -j %d: %s", name, threads, aimet_errmsg(ctx));
			goto out;
		}
		n = aimet_tensor_numel(ref);
		if (out[0]->dtype != AIMET_FLOAT || aimet_tensor_numel(out[0]) != n ||
		    out[0]->ndim != ref->ndim ||
		    memcmp(out[0]->dims, ref->dims, sizeof(int64_t) * (size_t)ref->ndim)) {
			CHECK(0, "%s: output shape or dtype differs from the reference", name);
			goto out;
		}
		for (int64_t i = 0; i < n; i++) {
			double r = ((const float *)ref->data)[i], o = ((const float *)out[0]->data)[i];
			if (fabs(r) > maxref)
				maxref = fabs(r);
			if (!(fabs(o - r) <= maxerr))   /* NaN counts as an error */
				maxerr = isnan(o) ? INFINITY : fabs(o - r);
		}
		CHECK(maxerr <= 1e-4 * maxref, "%s -j %d: max error %g, %g relative", name, threads,
		      maxerr, maxref > 0 ? maxerr / maxref : maxerr);
		printf("%-28s -j %d  max error %.3g (relative %.3g)\n", name, threads, maxerr,
		       maxref > 0 ? maxerr / maxref : maxerr);
		if (threads == 1) {
			y1 = aimet_tensor_clone(out[0]);
		} else {
			CHECK(y1 && aimet_tensor_equal(y1, out[0]), "%s: -j 1 and -j 2 outputs differ", name);
		}
	}
out:
	set_threads(ctx, 1);
	free(ref_path);
	aimet_tensor_free(y1);
	aimet_tensor_free(x);
	aimet_tensor_free(ref);
	aimet_plan_free(p);
	aimet_model_free(m);
}

/* ppocr_det takes any multiple of 32: run it at another size, and infer shapes for a third. */
static void test_det_sizes(struct aimet_ctx *ctx, const char *shared)
{
	char path[1024];
	struct aimet_model *m = NULL;
	struct aimet_plan *p = NULL;
	int64_t d1[4] = {1, 3, 96, 160}, d2[4] = {2, 3, 64, 32};
	struct aimet_tensor *x = aimet_tensor_new("x", AIMET_FLOAT, 4, d1), *out[1];
	const struct aimet_tensor *in[1];
	struct aimet_value_shape *vs = NULL;
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/models/ppocr_det.onnx", shared);
	if (!x || aimet_tensor_alloc(ctx, x) || aimet_model_load(ctx, path, &m) ||
	    aimet_plan_new(ctx, m, NULL, &p)) {
		CHECK(0, "ppocr_det sizes: %s", aimet_errmsg(ctx));
		goto out;
	}
	for (int64_t i = 0; i < aimet_tensor_numel(x); i++)
		((float *)x->data)[i] = (float)((i * 7919) % 255) / 128.0f - 1.0f;
	CHECK(aimet_plan_run(ctx, p, &x, out) == 0, "ppocr_det 96x160: %s", aimet_errmsg(ctx));
	if (out[0])
		CHECK(out[0]->ndim == 4 && out[0]->dims[2] == 96 && out[0]->dims[3] == 160,
		      "ppocr_det 96x160 output shape");
	aimet_tensor_set_shape(x, AIMET_FLOAT, 4, d2);
	in[0] = x;
	CHECK(aimet_graph_infer_shapes(ctx, m, in, &vs, &n) == 0, "infer shapes: %s", aimet_errmsg(ctx));
	for (size_t i = 0; i < n; i++)
		if (!strcmp(vs[i].name, aimet_plan_output_name(p, 0)))
			CHECK(vs[i].ndim == 4 && vs[i].dims[0] == 2 && vs[i].dims[2] == 64 && vs[i].dims[3] == 32 &&
			      !vs[i].is_constant, "inferred output shape");
	CHECK(n > 100, "inferred %zu shapes", n);
	free(vs);
out:
	aimet_tensor_free(x);
	aimet_plan_free(p);
	aimet_model_free(m);
}

int main(int argc, char **argv)
{
	const char *shared = getenv("AIMET_SHARED") ? getenv("AIMET_SHARED") : "../shared";
	char models[1024], *files[256];
	size_t n = 0;
	struct aimet_ctx *ctx = aimet_ctx_new();
	DIR *d;
	struct dirent *e;
	snprintf(models, sizeof(models), "%s/models", shared);
	d = opendir(models);
	CHECK(d != NULL, "cannot open %s (set AIMET_SHARED)", models);
	while (d && (e = readdir(d)) && n < 256) {
		size_t len = strlen(e->d_name);
		/* an optional argument picks models by substring */
		if (len > 5 && !strcmp(e->d_name + len - 5, ".onnx") && (argc < 2 || strstr(e->d_name, argv[1])))
			files[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(files, n, sizeof(files[0]), cmp_str);
	CHECK(n > 0 || argc > 1, "no models in %s", models);
	for (size_t i = 0; i < n; i++) {
		test_model(ctx, shared, files[i]);
		free(files[i]);
	}
	if (argc < 2)
		test_det_sizes(ctx, shared);
	aimet_ctx_free(ctx);
	return test_done();
}
