/* test_dataset.c: batches over .npy files, .pb files and directories (partial last batch,
 * --samples/--batch edges), NAME=FILE inputs, dtype policy, preprocessing numbers, labels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "aimet.h"
#include "aimet_io.h"
#include "aimet_onnx.h"
#include "../test.h"

static char dir[256];
static struct aimet_ctx *ctx;

static const char *P(const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* A tensor whose element i holds base + i (in its dtype). */
static struct aimet_tensor *ramp(int dtype, int ndim, const int64_t *dims, double base)
{
	struct aimet_tensor *t = aimet_tensor_new(NULL, dtype, ndim, dims);
	int64_t n;
	if (!t || aimet_tensor_alloc(ctx, t))
		exit(2);
	n = aimet_tensor_numel(t);
	for (int64_t i = 0; i < n; i++) {
		double v = base + (double)i;
		switch (dtype) {
		case AIMET_FLOAT: ((float *)t->data)[i] = (float)v; break;
		case AIMET_DOUBLE: ((double *)t->data)[i] = v; break;
		case AIMET_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
		case AIMET_INT32: ((int32_t *)t->data)[i] = (int32_t)v; break;
		case AIMET_INT64: ((int64_t *)t->data)[i] = (int64_t)v; break;
		default: exit(2);
		}
	}
	return t;
}

static void junk(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fputs("junk", f);
		fclose(f);
	}
}

static void save_npy(struct aimet_tensor *t, const char *path)
{
	if (aimet_npy_write(ctx, t, path)) {
		fprintf(stderr, "%s\n", aimet_errmsg(ctx));
		exit(2);
	}
	aimet_tensor_free(t);
}

static struct aimet_dataset *open1(const char *path, int64_t samples, int64_t batch)
{
	struct aimet_dataset_spec spec;
	struct aimet_dataset *ds = NULL;
	aimet_dataset_spec_init(&spec);
	spec.n_sources = 1;
	spec.paths[0] = path;
	spec.samples = samples;
	spec.batch = batch;
	if (aimet_dataset_open(ctx, &spec, &ds))
		fprintf(stderr, "  open %s: %s\n", path, aimet_errmsg(ctx));
	return ds;
}

/* Walk the dataset; check batch sizes against `want` and that values continue the ramp. */
static int walk(struct aimet_dataset *ds, const int64_t *want, int nwant, int64_t sample_elems)
{
	struct aimet_tensor *b[1];
	int k = 0, rc;
	int64_t next = 0;
	while ((rc = aimet_dataset_next(ctx, ds, b)) == 1) {
		const float *f = b[0]->data;
		if (k >= nwant || b[0]->dims[0] != want[k] || b[0]->dtype != AIMET_FLOAT ||
		    b[0]->nbytes != (size_t)(want[k] * sample_elems) * 4)
			return 0;
		for (int64_t i = 0; i < want[k] * sample_elems; i++)
			if (f[i] != (float)(next + i))
				return 0;
		next += want[k] * sample_elems;
		k++;
	}
	return rc == 0 && k == nwant;
}

static void test_npy_batches(void)
{
	int64_t dims[4] = {10, 3, 2, 2};
	struct aimet_dataset *ds;
	save_npy(ramp(AIMET_FLOAT, 4, dims, 0), P("ten.npy"));
	ds = open1(P("ten.npy"), 0, 4);
	CHECK(ds && aimet_dataset_count(ds) == 10, "count");
	{
		int64_t w[] = {4, 4, 2};
		CHECK(ds && walk(ds, w, 3, 12), "batches 4,4,2");
		aimet_dataset_rewind(ds);
		CHECK(ds && walk(ds, w, 3, 12), "again after rewind");
	}
	{
		const int64_t *sd;
		CHECK(aimet_dataset_n_inputs(ds) == 1 && aimet_dataset_name(ds, 0) == NULL &&
		      aimet_dataset_dtype(ds, 0) == AIMET_FLOAT &&
		      aimet_dataset_sample_shape(ds, 0, &sd) == 3 && sd[0] == 3 && sd[2] == 2,
		      "sample shape");
	}
	aimet_dataset_free(ds);
	{
		int64_t w[] = {2, 2, 1};
		ds = open1(P("ten.npy"), 5, 2);
		CHECK(ds && aimet_dataset_count(ds) == 5 && walk(ds, w, 3, 12), "samples 5 batch 2");
		aimet_dataset_free(ds);
	}
	{
		int64_t w[] = {10};
		ds = open1(P("ten.npy"), 20, 100);
		CHECK(ds && aimet_dataset_count(ds) == 10 && walk(ds, w, 1, 12), "samples/batch > count");
		aimet_dataset_free(ds);
	}
	{
		int64_t w[] = {1, 1, 1};
		ds = open1(P("ten.npy"), 3, 0);
		CHECK(ds && walk(ds, w, 3, 12), "default batch 1");
		aimet_dataset_free(ds);
	}
	{
		int64_t w[] = {5, 5};
		ds = open1(P("ten.npy"), 0, 5);
		CHECK(ds && walk(ds, w, 2, 12), "exact multiple: no empty batch");
		aimet_dataset_free(ds);
	}
	/* random access */
	{
		struct aimet_tensor *b[1];
		ds = open1(P("ten.npy"), 0, 4);
		CHECK(aimet_dataset_read(ctx, ds, 7, 3, b) == 1 && b[0]->dims[0] == 3 &&
		      ((float *)b[0]->data)[0] == 84, "read 7..10");
		CHECK(aimet_dataset_read(ctx, ds, 8, 3, b) == AIMET_ERR_INVALID, "read out of range");
		aimet_dataset_free(ds);
	}
	/* memory follows the batch, not the file */
	{
		int64_t d2[2] = {2000, 500};
		struct aimet_tensor *b[1];
		save_npy(ramp(AIMET_FLOAT, 2, d2, 0), P("big.npy"));
		ds = open1(P("big.npy"), 0, 8);
		CHECK(ds && aimet_dataset_next(ctx, ds, b) == 1 && b[0]->nbytes == 8 * 500 * 4,
		      "batch buffer is one batch");
		int n = 1, rc;
		while ((rc = aimet_dataset_next(ctx, ds, b)) == 1)
			n++;
		CHECK(rc == 0 && n == 250 && ((float *)b[0]->data)[8 * 500 - 1] == 999999.0f,
		      "streamed 250 batches");
		aimet_dataset_free(ds);
	}
	/* interruption */
	{
		volatile int flag = 1;
		struct aimet_tensor *b[1];
		ds = open1(P("ten.npy"), 0, 4);
		ctx->interrupted = &flag;
		CHECK(aimet_dataset_next(ctx, ds, b) == AIMET_ERR_INTERRUPTED, "interrupted");
		ctx->interrupted = NULL;
		aimet_dataset_free(ds);
	}
}

static void test_directory(void)
{
	int64_t a[3] = {3, 2, 2}, single[2] = {2, 2}, c[3] = {2, 2, 2};
	struct aimet_dataset_spec spec;
	struct aimet_dataset *ds = NULL;
	mkdir(P("d"), 0755);
	/* name order: a.npy (3 samples), b.pb (1 sample as a batch of 1), c.npy (2 samples) */
	save_npy(ramp(AIMET_FLOAT, 3, a, 0), P("d/a.npy"));
	{
		int64_t one[3] = {1, 2, 2};
		struct aimet_tensor *t = ramp(AIMET_FLOAT, 3, one, 12);
		CHECK(aimet_tensor_write_pb(ctx, t, P("d/b.pb")) == 0, "write pb: %s", aimet_errmsg(ctx));
		aimet_tensor_free(t);
	}
	save_npy(ramp(AIMET_FLOAT, 3, c, 16), P("d/c.npy"));
	junk(P("d/.hidden.npy"));
	junk(P("d/notes.txt"));
	{
		int64_t w[] = {4, 2};
		ds = open1(P("d"), 0, 4);
		CHECK(ds && aimet_dataset_count(ds) == 6 && walk(ds, w, 2, 4),
		      "directory batches cross file boundaries");
		aimet_dataset_free(ds);
	}
	{
		int64_t w[] = {1, 1, 1, 1, 1, 1};
		ds = open1(P("d"), 0, 1);
		CHECK(ds && walk(ds, w, 6, 4), "directory batch 1");
		aimet_dataset_free(ds);
	}
	{
		int64_t w[] = {3, 1};
		ds = open1(P("d"), 4, 3);
		CHECK(ds && walk(ds, w, 2, 4), "directory with --samples 4");
		aimet_dataset_free(ds);
	}
	/* with the model's rank known, a file of rank-1 is one sample */
	mkdir(P("s"), 0755);
	save_npy(ramp(AIMET_FLOAT, 2, single, 0), P("s/0.npy"));
	save_npy(ramp(AIMET_FLOAT, 2, single, 4), P("s/1.npy"));
	save_npy(ramp(AIMET_FLOAT, 3, c, 8), P("s/2.npy"));
	aimet_dataset_spec_init(&spec);
	spec.n_sources = 1;
	spec.paths[0] = P("s");
	spec.ranks[0] = 3;
	spec.batch = 3;
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0, "rank hint: %s", aimet_errmsg(ctx));
	{
		int64_t w[] = {3, 1};
		CHECK(ds && aimet_dataset_count(ds) == 4 && walk(ds, w, 2, 4), "single samples");
	}
	aimet_dataset_free(ds);
	spec.ranks[0] = 5;
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_INVALID &&
	      strstr(aimet_errmsg(ctx), "does not fit input"), "rank mismatch: %s", aimet_errmsg(ctx));
	/* without the hint the 2-d files disagree with the 3-d one */
	spec.ranks[0] = 0;
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_INVALID &&
	      strstr(aimet_errmsg(ctx), "sample shape [2,2] differs from [2]"), "shape mismatch: %s",
	      aimet_errmsg(ctx));
	mkdir(P("empty"), 0755);
	ds = (void *)1;
	spec.paths[0] = P("empty");
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_INVALID && ds == NULL &&
	      strstr(aimet_errmsg(ctx), "no .npy or .pb files"), "empty dir");
	/* a truncated file in a directory is reported by name */
	mkdir(P("t"), 0755);
	save_npy(ramp(AIMET_FLOAT, 3, c, 0), P("t/a.npy"));
	save_npy(ramp(AIMET_FLOAT, 3, c, 0), P("t/b.npy"));
	CHECK(truncate(P("t/b.npy"), 140) == 0, "truncate");
	spec.paths[0] = P("t");
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_FORMAT &&
	      strstr(aimet_errmsg(ctx), "b.npy': truncated data: expected 32 bytes, found 12"),
	      "truncated member: %s", aimet_errmsg(ctx));
	spec.paths[0] = P("nothere");
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_IO &&
	      strstr(aimet_errmsg(ctx), "nothere': No such file"), "missing: %s", aimet_errmsg(ctx));
	/* a single .pb file */
	{
		int64_t w[] = {2, 1};
		int64_t d3[2] = {3, 4};
		struct aimet_tensor *t = ramp(AIMET_FLOAT, 2, d3, 0);
		aimet_tensor_write_pb(ctx, t, P("one.pb"));
		aimet_tensor_free(t);
		ds = open1(P("one.pb"), 0, 2);
		CHECK(ds && walk(ds, w, 2, 4), "single .pb source");
		aimet_dataset_free(ds);
	}
}

static void test_dtypes_and_preprocessing(void)
{
	struct aimet_dataset_spec spec;
	struct aimet_dataset *ds = NULL;
	struct aimet_tensor *b[2];
	int64_t img[4] = {2, 3, 1, 2};
	/* uint8 image data: ((x * 0.5) - mean[c]) / std[c] on axis 1 */
	save_npy(ramp(AIMET_UINT8, 4, img, 10), P("img.npy"));
	aimet_dataset_spec_init(&spec);
	spec.n_sources = 1;
	spec.paths[0] = P("img.npy");
	spec.batch = 2;
	spec.scale = 0.5f;
	spec.n_mean = 3;
	spec.mean[0] = 1; spec.mean[1] = 2; spec.mean[2] = 3;
	spec.n_std = 3;
	spec.std[0] = 2; spec.std[1] = 4; spec.std[2] = 0.5f;
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0, "open img: %s", aimet_errmsg(ctx));
	CHECK(ds && aimet_dataset_next(ctx, ds, b) == 1 && b[0]->dtype == AIMET_FLOAT, "img batch");
	if (ds && b[0]->dtype == AIMET_FLOAT) {
		const float *f = b[0]->data;
		/* x = 10 + i; sample 0: c0 {10,11}, c1 {12,13}, c2 {14,15}; sample 1 starts at 16 */
		static const float want[12] = {2.0f, 2.25f, 1.0f, 1.125f, 8.0f, 9.0f,
		                               3.5f, 3.75f, 1.75f, 1.875f, 14.0f, 15.0f};
		int ok = 1;
		for (int i = 0; i < 12; i++)
			ok &= f[i] == want[i];
		CHECK(ok, "preprocessed values (f[0]=%g f[5]=%g f[11]=%g)", f[0], f[5], f[11]);
	}
	aimet_dataset_free(ds);
	/* one mean/std value applies to every channel */
	spec.n_mean = 1; spec.mean[0] = 5;
	spec.n_std = 0;
	spec.scale = 1;
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0 && aimet_dataset_next(ctx, ds, b) == 1 &&
	      ((float *)b[0]->data)[0] == 5.0f && ((float *)b[0]->data)[11] == 16.0f, "mean only");
	aimet_dataset_free(ds);
	/* uint8 without preprocessing still becomes float32 */
	spec.n_mean = 0;
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0 && aimet_dataset_next(ctx, ds, b) == 1 &&
	      b[0]->dtype == AIMET_FLOAT && ((float *)b[0]->data)[3] == 13.0f, "uint8 -> float32");
	aimet_dataset_free(ds);
	/* channel count mismatch */
	spec.n_mean = 2; spec.mean[1] = 1;
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_INVALID &&
	      strstr(aimet_errmsg(ctx), "mean has 2 values") && strstr(aimet_errmsg(ctx), "3 channels"),
	      "mean count: %s", aimet_errmsg(ctx));
	spec.n_mean = 0;
	spec.n_std = 1; spec.std[0] = 0;
	CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_INVALID, "zero std");
	spec.n_std = 0;
	/* float64 -> float32 */
	{
		int64_t d[2] = {3, 2};
		save_npy(ramp(AIMET_DOUBLE, 2, d, 0.25), P("f64.npy"));
		spec.paths[0] = P("f64.npy");
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0 && aimet_dataset_next(ctx, ds, b) == 1 &&
		      b[0]->dtype == AIMET_FLOAT && ((float *)b[0]->data)[3] == 3.25f, "float64");
		aimet_dataset_free(ds);
	}
	/* int64 passes through untouched; preprocessing or a float hint make it float32 */
	{
		int64_t d[2] = {3, 2};
		save_npy(ramp(AIMET_INT64, 2, d, 100), P("i64.npy"));
		spec.paths[0] = P("i64.npy");
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0 && aimet_dataset_next(ctx, ds, b) == 1 &&
		      b[0]->dtype == AIMET_INT64 && ((int64_t *)b[0]->data)[1] == 101, "int64 passthrough");
		aimet_dataset_free(ds);
		spec.dtypes[0] = AIMET_FLOAT;
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0 && aimet_dataset_next(ctx, ds, b) == 1 &&
		      b[0]->dtype == AIMET_FLOAT && ((float *)b[0]->data)[1] == 101.0f, "int64 -> float hint");
		aimet_dataset_free(ds);
		spec.dtypes[0] = AIMET_INT32;
		spec.scale = 2;
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0 && aimet_dataset_next(ctx, ds, b) == 1 &&
		      b[0]->dtype == AIMET_INT32 && ((int32_t *)b[0]->data)[1] == 101,
		      "int32 hint: converted, not preprocessed");
		aimet_dataset_free(ds);
		spec.dtypes[0] = 0;
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0 && aimet_dataset_next(ctx, ds, b) == 1 &&
		      b[0]->dtype == AIMET_FLOAT && ((float *)b[0]->data)[1] == 202.0f,
		      "int64 with --scale: float32");
		aimet_dataset_free(ds);
		spec.scale = 1;
	}
	/* several inputs: NAME=FILE, batches line up, names carried */
	{
		int64_t d1[2] = {5, 3}, d2[1] = {5};
		save_npy(ramp(AIMET_FLOAT, 2, d1, 0), P("x.npy"));
		save_npy(ramp(AIMET_INT64, 1, d2, 7), P("ids.npy"));
		aimet_dataset_spec_init(&spec);
		spec.n_sources = 2;
		spec.names[0] = "image"; spec.paths[0] = P("x.npy");
		spec.names[1] = "ids"; spec.paths[1] = P("ids.npy");
		spec.batch = 2;
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == 0, "two inputs: %s", aimet_errmsg(ctx));
		int n = 0, rc, ok = 1;
		while ((rc = aimet_dataset_next(ctx, ds, b)) == 1) {
			ok &= !strcmp(b[0]->name, "image") && !strcmp(b[1]->name, "ids");
			ok &= b[0]->dims[0] == b[1]->dims[0] && b[1]->ndim == 1;
			ok &= ((int64_t *)b[1]->data)[0] == 7 + 2 * n;
			ok &= ((float *)b[0]->data)[0] == (float)(6 * n);
			n++;
		}
		CHECK(rc == 0 && n == 3 && ok, "two inputs walk");
		CHECK(!strcmp(aimet_dataset_name(ds, 1), "ids"), "name");
		aimet_dataset_free(ds);
		d2[0] = 4;
		save_npy(ramp(AIMET_INT64, 1, d2, 7), P("ids4.npy"));
		spec.paths[1] = P("ids4.npy");
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_INVALID &&
		      strstr(aimet_errmsg(ctx), "'image' has 5, 'ids' has 4"), "count mismatch: %s",
		      aimet_errmsg(ctx));
		spec.paths[1] = P("ids.npy");
		spec.names[1] = "image";
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_INVALID, "same name twice");
		spec.n_sources = 0;
		CHECK(aimet_dataset_open(ctx, &spec, &ds) == AIMET_ERR_INVALID, "no sources");
	}
}

static void test_labels(void)
{
	int64_t *lab = NULL, n = 0;
	int64_t d1[1] = {4}, d2[2] = {4, 1}, d3[2] = {4, 2};
	save_npy(ramp(AIMET_INT64, 1, d1, 3), P("l64.npy"));
	CHECK(aimet_labels_read(ctx, P("l64.npy"), &lab, &n) == 0 && n == 4 && lab[3] == 6, "int64");
	free(lab);
	save_npy(ramp(AIMET_INT32, 2, d2, 1), P("l32.npy"));
	CHECK(aimet_labels_read(ctx, P("l32.npy"), &lab, &n) == 0 && n == 4 && lab[0] == 1, "int32 [N,1]");
	free(lab);
	save_npy(ramp(AIMET_UINT8, 1, d1, 250), P("lu8.npy"));
	CHECK(aimet_labels_read(ctx, P("lu8.npy"), &lab, &n) == 0 && lab[3] == 253, "uint8");
	free(lab);
	save_npy(ramp(AIMET_FLOAT, 1, d1, 2), P("lf.npy"));
	CHECK(aimet_labels_read(ctx, P("lf.npy"), &lab, &n) == 0 && lab[2] == 4, "integral floats");
	free(lab);
	save_npy(ramp(AIMET_FLOAT, 1, d1, 0.5), P("lfx.npy"));
	CHECK(aimet_labels_read(ctx, P("lfx.npy"), &lab, &n) == AIMET_ERR_INVALID && !lab,
	      "fractional labels");
	save_npy(ramp(AIMET_INT64, 2, d3, 0), P("l2d.npy"));
	CHECK(aimet_labels_read(ctx, P("l2d.npy"), &lab, &n) == AIMET_ERR_INVALID &&
	      strstr(aimet_errmsg(ctx), "[N] or [N,1]"), "2-d labels");
	{
		struct aimet_tensor *t = ramp(AIMET_INT64, 1, d1, 9);
		aimet_tensor_write_pb(ctx, t, P("lab.pb"));
		aimet_tensor_free(t);
		CHECK(aimet_labels_read(ctx, P("lab.pb"), &lab, &n) == 0 && n == 4 && lab[1] == 10, "pb labels");
		free(lab);
	}
	CHECK(aimet_labels_read(ctx, P("nope.npy"), &lab, &n) == AIMET_ERR_IO, "missing labels");
}

/* stdin: read whole, .npy or .pb decided by the first bytes */
static void stdin_from(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char data[1 << 16];
	size_t n = f ? fread(data, 1, sizeof(data), f) : 0;
	int fds[2];
	if (f)
		fclose(f);
	if (pipe(fds) != 0 || write(fds[1], data, n) != (ssize_t)n)
		exit(2);
	close(fds[1]);
	dup2(fds[0], 0);
	close(fds[0]);
	clearerr(stdin);
}

static void test_read_file(void)
{
	int64_t d[2] = {2, 3};
	struct aimet_tensor *t = ramp(AIMET_INT32, 2, d, 5), *u = NULL;
	aimet_tensor_write_pb(ctx, t, P("rf.pb"));
	aimet_npy_write(ctx, t, P("rf.npy"));
	aimet_npy_write(ctx, t, P("rf.bin"));
	CHECK(aimet_tensor_read_file(ctx, P("rf.pb"), &u) == 0 && aimet_tensor_equal(t, u), "pb file");
	aimet_tensor_free(u);
	CHECK(aimet_tensor_read_file(ctx, P("rf.bin"), &u) == 0 && aimet_tensor_equal(t, u),
	      ".npy found by magic");
	aimet_tensor_free(u);
	stdin_from(P("rf.npy"));
	CHECK(aimet_tensor_read_file(ctx, "-", &u) == 0 && aimet_tensor_equal(t, u), "npy on stdin: %s",
	      aimet_errmsg(ctx));
	aimet_tensor_free(u);
	stdin_from(P("rf.pb"));
	CHECK(aimet_tensor_read_file(ctx, "-", &u) == 0 && aimet_tensor_equal(t, u), "pb on stdin: %s",
	      aimet_errmsg(ctx));
	aimet_tensor_free(u);
	CHECK(truncate(P("rf.npy"), 140) == 0, "truncate");
	stdin_from(P("rf.npy"));
	u = NULL;
	CHECK(aimet_tensor_read_file(ctx, "-", &u) == AIMET_ERR_FORMAT && !u &&
	      strstr(aimet_errmsg(ctx), "cannot read '-': truncated data: expected 24 bytes, found 12"),
	      "truncated npy on stdin: %s", aimet_errmsg(ctx));
	aimet_tensor_free(t);
}

static void test_convert(void)
{
	float f[3] = {-1.5f, 2.0f, 300.0f};
	int32_t i32[3];
	uint8_t b[3];
	double d[3];
	CHECK(aimet_convert(ctx, i32, AIMET_INT32, f, AIMET_FLOAT, 3) == 0 && i32[0] == -1 &&
	      i32[2] == 300, "float -> int32 truncates");
	CHECK(aimet_convert(ctx, b, AIMET_BOOL, f, AIMET_FLOAT, 3) == 0 && b[0] == 1 && b[1] == 1, "bool");
	CHECK(aimet_convert(ctx, d, AIMET_DOUBLE, i32, AIMET_INT32, 3) == 0 && d[2] == 300.0, "int -> double");
	CHECK(aimet_convert(ctx, d, AIMET_STRING, i32, AIMET_INT32, 3) == AIMET_ERR_UNSUPPORTED, "string");
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	/* outputs are fsync'ed: tmpfs keeps the many small writes of these tests fast */
	if (!tmp && access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/test_dataset.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	ctx = aimet_ctx_new();
	test_npy_batches();
	test_directory();
	test_dtypes_and_preprocessing();
	test_labels();
	test_convert();
	test_read_file();
	aimet_ctx_free(ctx);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup failed\n");
	}
	return test_done();
}
