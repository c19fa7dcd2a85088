/* dataset.c: model inputs read batch by batch from .npy files (streamed by rows), TensorProto
 * .pb files and directories of either, with conversion and preprocessing; and label files. */
#include "aimet_io.h"
#include "aimet_onnx.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ds_file {
	char *path;
	int is_npy;
	int dtype;
	int64_t rows;    /* samples in this file */
	int64_t first;   /* global index of its first sample */
	int64_t k;       /* reader rows per sample: dims[0] for a single-sample file, else 1 */
};

struct ds_source {
	char *name;      /* NULL when unnamed */
	char *path;
	struct ds_file *files;
	size_t n_files;
	int src_dtype;   /* dtype of the first file */
	int out_dtype;
	int preprocess;
	int sample_ndim;
	int64_t sample_dims[AIMET_MAX_DIMS];
	size_t sample_elems;
	int64_t total;
	/* the one file currently open */
	size_t cur;
	struct aimet_npy_reader *rd;
	struct aimet_tensor *pb;
	void *stage;     /* file-dtype rows waiting for conversion */
	size_t stage_cap;
	struct aimet_tensor *batch;
	size_t batch_cap;
};

struct aimet_dataset {
	struct aimet_dataset_spec spec;
	int n;
	struct ds_source src[AIMET_DATASET_MAX_INPUTS];
	int64_t count;
	int64_t pos;
	int64_t batch;
};

void aimet_dataset_spec_init(struct aimet_dataset_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->scale = 1.0f;
}

void aimet_dataset_spec_clear(struct aimet_dataset_spec *spec)
{
	for (int i = 0; i < AIMET_DATASET_MAX_INPUTS; i++) {
		if (spec->owned_names)
			free((void *)spec->names[i]);
		spec->names[i] = NULL;
	}
	spec->owned_names = 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

static int sniff_npy(const char *path)
{
	FILE *f;
	unsigned char m[6];
	int yes = 0;
	if ((f = fopen(path, "rb"))) {
		yes = fread(m, 1, 6, f) == 6 && !memcmp(m, "\x93NUMPY", 6);
		fclose(f);
	}
	return yes;
}

/* stdin can be read once only, and the .pb reader takes it from the descriptor: read it all
 * here (growing with the data) and parse from memory. */
static int read_stdin_tensor(struct aimet_ctx *ctx, struct aimet_tensor **out)
{
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	int rc;
	if (!buf)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (;;) {
		size_t k = fread(buf + len, 1, cap - len, stdin);
		len += k;
		if (len < cap) {
			if (ferror(stdin)) {
				free(buf);
				return aimet_error(ctx, AIMET_ERR_IO, "cannot read '-': %s", strerror(errno));
			}
			break;
		}
		if (cap > ((size_t)1 << 40) || aimet_grow((void **)&buf, &cap, cap + 1, 1)) {
			free(buf);
			return aimet_error(ctx, AIMET_ERR_NOMEM, "cannot read '-': out of memory");
		}
	}
	if (len >= 6 && !memcmp(buf, "\x93NUMPY", 6)) {
		FILE *f = fmemopen(buf, len, "rb");
		if (!f) {
			free(buf);
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		}
		rc = aimet_npy_read_fp(ctx, f, "-", out);
		fclose(f);
	} else {
		rc = aimet_tensor_parse_pb(ctx, buf, len, out);
		if (rc < 0)
			aimet_error_prefix(ctx, rc, "cannot read '-'");
	}
	free(buf);
	return rc;
}

int aimet_tensor_read_file(struct aimet_ctx *ctx, const char *path, struct aimet_tensor **out)
{
	if (!strcmp(path, "-"))
		return read_stdin_tensor(ctx, out);
	if (has_suffix(path, ".npy") || sniff_npy(path))
		return aimet_npy_read(ctx, path, out);
	return aimet_tensor_read_pb(ctx, path, out);
}

static int numeric_dtype(int dtype)
{
	switch (dtype) {
	case AIMET_FLOAT: case AIMET_DOUBLE: case AIMET_FLOAT16: case AIMET_BFLOAT16:
	case AIMET_UINT8: case AIMET_INT8: case AIMET_UINT16: case AIMET_INT16:
	case AIMET_UINT32: case AIMET_INT32: case AIMET_UINT64: case AIMET_INT64: case AIMET_BOOL:
		return 1;
	default:
		return 0;
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);
	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, name, b + 1);
		if (a && dir[a - 1] == '/')
			memmove(p + a, p + a + 1, b + 1);
	}
	return p;
}

/* The .npy and .pb entries of a directory, in name order (hidden files skipped). */
static int list_dir(struct aimet_ctx *ctx, const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	*names = NULL;
	*n = 0;
	if (!d)
		return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char *p;
		struct stat st;
		if (e->d_name[0] == '.' || !(has_suffix(e->d_name, ".npy") || has_suffix(e->d_name, ".pb")))
			continue;
		if (!(p = join(dir, e->d_name)) || aimet_grow((void **)names, &cap, *n + 1, sizeof(char *))) {
			free(p);
			goto nomem;
		}
		/* an entry that cannot be read (a dangling link, a file removed since the listing)
		 * is an error: skipping it would silently use fewer samples than the user gave */
		if (stat(p, &st) != 0) {
			int err = errno;
			closedir(d);
			for (size_t i = 0; i < *n; i++)
				free((*names)[i]);
			free(*names);
			*names = NULL;
			*n = 0;
			aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", p, strerror(err));
			free(p);
			return AIMET_ERR_IO;
		}
		if (S_ISDIR(st.st_mode)) {
			free(p);
			continue;
		}
		(*names)[(*n)++] = p;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(char *), cmp_names);
	return AIMET_OK;
nomem:
	closedir(d);
	for (size_t i = 0; i < *n; i++)
		free((*names)[i]);
	free(*names);
	*names = NULL;
	*n = 0;
	return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
}

static const char *src_label(const struct ds_source *s)
{
	return s->name ? s->name : s->path;
}

/* Learn one file's dtype and shape; fix or check the source's per-sample shape. */
static int probe_file(struct aimet_ctx *ctx, struct ds_source *s, struct ds_file *f, int rank)
{
	int ndim, dtype, rc;
	int64_t dims[AIMET_MAX_DIMS];
	int single;
	if (f->is_npy) {
		struct aimet_npy_reader *r;
		if ((rc = aimet_npy_open(ctx, f->path, &r)) < 0)
			return rc;
		ndim = aimet_npy_reader_ndim(r);
		dtype = aimet_npy_reader_dtype(r);
		memcpy(dims, aimet_npy_reader_dims(r), sizeof(dims));
		aimet_npy_close(r);
	} else {
		struct aimet_tensor *t;
		if ((rc = aimet_tensor_read_pb(ctx, f->path, &t)) < 0)
			return rc;
		ndim = t->ndim;
		dtype = t->dtype;
		memcpy(dims, t->dims, sizeof(dims));
		aimet_tensor_free(t);
	}
	if (!numeric_dtype(dtype))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "cannot read '%s': %s data is not supported",
		                   f->path, aimet_dtype_name(dtype));
	/* axis 0 counts samples, unless the model's rank says the file holds a single sample */
	if (rank > 0 && ndim == rank - 1)
		single = 1;
	else if (rank > 0 && ndim != rank)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "cannot read '%s': rank %d does not fit input '%s' of rank %d",
		                   f->path, ndim, src_label(s), rank);
	else
		single = ndim == 0;
	f->dtype = dtype;
	f->rows = single ? 1 : dims[0];
	f->k = single && ndim > 0 ? dims[0] : 1;
	if (f == s->files) {
		s->src_dtype = dtype;
		s->sample_ndim = single ? ndim : ndim - 1;
		memcpy(s->sample_dims, single ? dims : dims + 1, (size_t)s->sample_ndim * sizeof(int64_t));
	} else {
		const int64_t *sd = single ? dims : dims + 1;
		int sn = single ? ndim : ndim - 1;
		if (sn != s->sample_ndim || (sn && memcmp(sd, s->sample_dims, (size_t)sn * sizeof(int64_t)))) {
			char want[160], got[160];
			size_t a = 0, b = 0;
			for (int i = 0; i < s->sample_ndim && a < sizeof(want) - 24; i++)
				a += (size_t)snprintf(want + a, sizeof(want) - a, "%s%lld", i ? "," : "",
				                      (long long)s->sample_dims[i]);
			want[a] = 0;
			for (int i = 0; i < sn && b < sizeof(got) - 24; i++)
				b += (size_t)snprintf(got + b, sizeof(got) - b, "%s%lld", i ? "," : "",
				                      (long long)sd[i]);
			got[b] = 0;
			return aimet_error(ctx, AIMET_ERR_INVALID,
			                   "cannot read '%s': sample shape [%s] differs from [%s] of '%s'",
			                   f->path, got, want, s->files[0].path);
		}
	}
	return AIMET_OK;
}

static int open_source(struct aimet_ctx *ctx, const struct aimet_dataset_spec *spec, int i,
                       struct ds_source *s)
{
	const char *path = spec->paths[i];
	struct stat st;
	char **names = NULL;
	size_t n = 0;
	int rc, preprocess;
	int64_t total = 0, es;
	if (!path || !*path)
		return aimet_error(ctx, AIMET_ERR_INVALID, "empty data path");
	if ((spec->names[i] && !(s->name = strdup(spec->names[i]))) || !(s->path = strdup(path)))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if (strcmp(path, "-") && stat(path, &st) != 0)
		return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	if (strcmp(path, "-") && S_ISDIR(st.st_mode)) {
		if ((rc = list_dir(ctx, path, &names, &n)) < 0)
			return rc;
		if (!n)
			return aimet_error(ctx, AIMET_ERR_INVALID, "cannot read '%s': no .npy or .pb files "
			                   "in the directory", path);
	} else {
		if (!strcmp(path, "-"))
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "data cannot be read from stdin (it is read more than once)");
		names = malloc(sizeof(char *));
		if (!names || !(names[0] = strdup(path))) {
			free(names);
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		}
		n = 1;
	}
	s->files = calloc(n, sizeof(*s->files));
	if (!s->files) {
		for (size_t k = 0; k < n; k++)
			free(names[k]);
		free(names);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t k = 0; k < n; k++) {
		s->files[k].path = names[k];
		s->files[k].is_npy = has_suffix(names[k], ".npy") || sniff_npy(names[k]);
	}
	s->n_files = n;
	free(names);
	for (size_t k = 0; k < n; k++) {
		if ((rc = probe_file(ctx, s, &s->files[k], spec->ranks[i])) < 0)
			return rc;
		s->files[k].first = total;
		if (s->files[k].rows > INT64_MAX - total)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': too many samples", path);
		total += s->files[k].rows;
	}
	s->total = total;
	es = aimet_shape_numel(s->sample_ndim, s->sample_dims);
	if (es < 0 || (uint64_t)es > SIZE_MAX / 16)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': sample shape overflows", path);
	s->sample_elems = (size_t)es;
	/* output dtype (see aimet_io.h) */
	preprocess = spec->scale != 1.0f || spec->n_mean || spec->n_std;
	if (spec->dtypes[i]) {
		s->out_dtype = spec->dtypes[i];
		s->preprocess = preprocess && s->out_dtype == AIMET_FLOAT;
		if (!numeric_dtype(s->out_dtype) || s->out_dtype == AIMET_FLOAT16 ||
		    s->out_dtype == AIMET_BFLOAT16)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "input '%s': cannot feed %s data",
			                   src_label(s), aimet_dtype_name(s->out_dtype));
	} else {
		int d = s->src_dtype;
		int floaty = d == AIMET_FLOAT || d == AIMET_DOUBLE || d == AIMET_FLOAT16 ||
		             d == AIMET_BFLOAT16 || d == AIMET_UINT8;
		s->out_dtype = floaty || preprocess ? AIMET_FLOAT : d;
		s->preprocess = preprocess;
	}
	if (s->preprocess) {
		int64_t c = s->sample_ndim ? s->sample_dims[0] : 1;
		if ((spec->n_mean > 1 && spec->n_mean != c) || (spec->n_std > 1 && spec->n_std != c))
			return aimet_error(ctx, AIMET_ERR_INVALID,
			                   "%s has %d values but input '%s' has %lld channels (axis 1)",
			                   spec->n_mean > 1 && spec->n_mean != c ? "mean" : "std",
			                   spec->n_mean > 1 && spec->n_mean != c ? spec->n_mean : spec->n_std,
			                   src_label(s), (long long)c);
	}
	return AIMET_OK;
}

static void close_current(struct ds_source *s)
{
	aimet_npy_close(s->rd);
	s->rd = NULL;
	aimet_tensor_free(s->pb);
	s->pb = NULL;
}

void aimet_dataset_free(struct aimet_dataset *ds)
{
	if (!ds)
		return;
	for (int i = 0; i < ds->n; i++) {
		struct ds_source *s = &ds->src[i];
		close_current(s);
		for (size_t k = 0; k < s->n_files; k++)
			free(s->files[k].path);
		free(s->files);
		free(s->name);
		free(s->path);
		free(s->stage);
		aimet_tensor_free(s->batch);
	}
	free(ds);
}

int aimet_dataset_open(struct aimet_ctx *ctx, const struct aimet_dataset_spec *spec,
                       struct aimet_dataset **out)
{
	struct aimet_dataset *ds;
	int rc;
	*out = NULL;
	if (spec->n_sources < 1 || spec->n_sources > AIMET_DATASET_MAX_INPUTS)
		return aimet_error(ctx, AIMET_ERR_INVALID, "no data given");
	if (spec->n_mean < 0 || spec->n_mean > AIMET_DATASET_MAX_CHANNELS || spec->n_std < 0 ||
	    spec->n_std > AIMET_DATASET_MAX_CHANNELS)
		return aimet_error(ctx, AIMET_ERR_INVALID, "too many mean/std values");
	for (int i = 0; i < spec->n_std; i++)
		if (spec->std[i] == 0)
			return aimet_error(ctx, AIMET_ERR_INVALID, "std must not be zero");
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	ds->spec = *spec;
	ds->spec.owned_names = 0;   /* names are copied into the sources */
	ds->n = spec->n_sources;
	for (int i = 0; i < ds->n; i++)
		if ((rc = open_source(ctx, spec, i, &ds->src[i])) < 0) {
			aimet_dataset_free(ds);
			return rc;
		}
	for (int i = 0; i < ds->n; i++)
		for (int j = 0; j < i; j++)
			if (ds->src[i].name && ds->src[j].name && !strcmp(ds->src[i].name, ds->src[j].name)) {
				rc = aimet_error(ctx, AIMET_ERR_INVALID, "data given twice for input '%s'",
				                 ds->src[i].name);
				aimet_dataset_free(ds);
				return rc;
			}
	for (int i = 1; i < ds->n; i++)
		if (ds->src[i].total != ds->src[0].total) {
			rc = aimet_error(ctx, AIMET_ERR_INVALID,
			                 "inputs have different sample counts: '%s' has %lld, '%s' has %lld",
			                 src_label(&ds->src[0]), (long long)ds->src[0].total,
			                 src_label(&ds->src[i]), (long long)ds->src[i].total);
			aimet_dataset_free(ds);
			return rc;
		}
	ds->count = ds->src[0].total;
	if (spec->samples > 0 && spec->samples < ds->count)
		ds->count = spec->samples;
	ds->batch = spec->batch > 0 ? spec->batch : 1;
	*out = ds;
	return AIMET_OK;
}

int64_t aimet_dataset_count(const struct aimet_dataset *ds) { return ds->count; }
int aimet_dataset_n_inputs(const struct aimet_dataset *ds) { return ds->n; }
const char *aimet_dataset_name(const struct aimet_dataset *ds, int i) { return ds->src[i].name; }
int aimet_dataset_dtype(const struct aimet_dataset *ds, int i) { return ds->src[i].out_dtype; }

int aimet_dataset_sample_shape(const struct aimet_dataset *ds, int i, const int64_t **dims)
{
	if (dims)
		*dims = ds->src[i].sample_dims;
	return ds->src[i].sample_ndim;
}

void aimet_dataset_rewind(struct aimet_dataset *ds) { ds->pos = 0; }

/* Locate the file holding global sample `g` (files are in sample order). */
static size_t find_file(const struct ds_source *s, int64_t g)
{
	size_t lo = 0, hi = s->n_files;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->files[mid].first <= g)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int open_file(struct aimet_ctx *ctx, struct ds_source *s, size_t k)
{
	struct ds_file *f = &s->files[k];
	int rc;
	if ((s->rd || s->pb) && s->cur == k)
		return AIMET_OK;
	close_current(s);
	s->cur = k;
	if (f->is_npy)
		rc = aimet_npy_open(ctx, f->path, &s->rd);
	else
		rc = aimet_tensor_read_pb(ctx, f->path, &s->pb);
	if (rc < 0)
		return rc;
	/* the file may have been replaced since the dataset was opened */
	if ((s->rd && (aimet_npy_reader_dtype(s->rd) != f->dtype ||
	               aimet_npy_reader_rows(s->rd) != f->rows * f->k ||
	               (uint64_t)aimet_npy_reader_rows(s->rd) * aimet_npy_reader_row_bytes(s->rd) !=
	               (uint64_t)f->rows * s->sample_elems * aimet_dtype_size(f->dtype))) ||
	    (s->pb && (s->pb->dtype != f->dtype ||
	               (size_t)aimet_tensor_numel(s->pb) != (size_t)f->rows * s->sample_elems))) {
		close_current(s);
		return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': the file changed while in use",
		                   f->path);
	}
	return AIMET_OK;
}

/* Rows [g, g+count) of one source into dst (out_dtype), converting and preprocessing. */
static int read_source(struct aimet_ctx *ctx, const struct aimet_dataset_spec *spec,
                       struct ds_source *s, int64_t g, int64_t count, uint8_t *dst)
{
	size_t oes = aimet_dtype_size(s->out_dtype);
	while (count > 0) {
		size_t k = find_file(s, g);
		struct ds_file *f = &s->files[k];
		int64_t local = g - f->first, take = f->rows - local;
		size_t fes = aimet_dtype_size(f->dtype), n, raw_bytes;
		const void *raw;
		int rc;
		if (take > count)
			take = count;
		if ((rc = open_file(ctx, s, k)) < 0)
			return rc;
		n = (size_t)take * s->sample_elems;          /* <= batch size: fits */
		raw_bytes = n * fes;
		if (s->pb) {
			raw = (const uint8_t *)s->pb->data + (size_t)local * s->sample_elems * fes;
		} else if (f->dtype == s->out_dtype && !s->preprocess) {
			if ((rc = aimet_npy_read_rows(ctx, s->rd, local * f->k, take * f->k, dst)) < 0)
				return rc;
			raw = NULL;
		} else {
			if (raw_bytes > s->stage_cap) {
				void *p = realloc(s->stage, raw_bytes);
				if (!p)
					return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
				s->stage = p;
				s->stage_cap = raw_bytes;
			}
			if ((rc = aimet_npy_read_rows(ctx, s->rd, local * f->k, take * f->k, s->stage)) < 0)
				return rc;
			raw = s->stage;
		}
		if (raw) {
			if (s->preprocess) {
				int64_t c = s->sample_ndim ? s->sample_dims[0] : 1;
				int64_t inner = c ? (int64_t)s->sample_elems / c : 0;
				rc = aimet_preprocess(ctx, spec, raw, f->dtype, (float *)(void *)dst, take,
				                      c, inner);
			} else {
				rc = aimet_convert(ctx, dst, s->out_dtype, raw, f->dtype, n);
			}
			if (rc < 0)
				return rc;
		}
		dst += n * oes;
		g += take;
		count -= take;
	}
	return AIMET_OK;
}

int aimet_dataset_read(struct aimet_ctx *ctx, struct aimet_dataset *ds, int64_t start,
                       int64_t count, struct aimet_tensor **batch)
{
	int rc;
	if (start < 0 || count < 1 || start > ds->count || count > ds->count - start)
		return aimet_error(ctx, AIMET_ERR_INVALID, "samples %lld..%lld out of range (%lld samples)",
		                   (long long)start, (long long)(start + count), (long long)ds->count);
	if ((rc = aimet_check_interrupt(ctx)) < 0)
		return rc;
	for (int i = 0; i < ds->n; i++) {
		struct ds_source *s = &ds->src[i];
		size_t oes = aimet_dtype_size(s->out_dtype), bytes;
		int64_t dims[AIMET_MAX_DIMS];
		if (s->sample_ndim + 1 > AIMET_MAX_DIMS)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "input '%s': too many dimensions for a batch", src_label(s));
		if (aimet_mul_size((size_t)count, s->sample_elems, &bytes) ||
		    aimet_mul_size(bytes, oes, &bytes))
			return aimet_error(ctx, AIMET_ERR_NOMEM, "input '%s': batch size overflows",
			                   src_label(s));
		dims[0] = count;
		memcpy(dims + 1, s->sample_dims, (size_t)s->sample_ndim * sizeof(int64_t));
		if (!s->batch) {
			s->batch = aimet_tensor_new(s->name, s->out_dtype, s->sample_ndim + 1, dims);
			if (!s->batch)
				return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		}
		if (bytes > s->batch_cap || !s->batch->data) {
			void *p = realloc(s->batch->data, bytes ? bytes : 1);
			if (!p)
				return aimet_error(ctx, AIMET_ERR_NOMEM,
				                   "input '%s': out of memory for a batch (%zu bytes)",
				                   src_label(s), bytes);
			s->batch->data = p;
			s->batch_cap = bytes;
		}
		s->batch->dims[0] = count;
		s->batch->nbytes = bytes;
		if ((rc = read_source(ctx, &ds->spec, s, start, count, s->batch->data)) < 0)
			return rc;
		batch[i] = s->batch;
	}
	return 1;
}

int aimet_dataset_next(struct aimet_ctx *ctx, struct aimet_dataset *ds,
                       struct aimet_tensor **batch)
{
	int64_t b = ds->batch;
	int rc;
	if (ds->pos >= ds->count)
		return 0;
	if (b > ds->count - ds->pos)
		b = ds->count - ds->pos;
	rc = aimet_dataset_read(ctx, ds, ds->pos, b, batch);
	if (rc > 0)
		ds->pos += b;
	return rc;
}

/* ---- labels ---- */
int aimet_labels_read(struct aimet_ctx *ctx, const char *path, int64_t **labels, int64_t *n)
{
	struct aimet_tensor *t;
	int64_t count;
	int rc;
	*labels = NULL;
	*n = 0;
	if ((rc = aimet_tensor_read_file(ctx, path, &t)) < 0)
		return rc;
	count = t->ndim >= 1 ? t->dims[0] : 0;
	if (t->ndim < 1 || t->ndim > 2 || (t->ndim == 2 && t->dims[1] != 1)) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "cannot read '%s': labels must have shape [N] or [N,1]", path);
	}
	switch (t->dtype) {
	case AIMET_INT8: case AIMET_INT16: case AIMET_INT32: case AIMET_INT64:
	case AIMET_UINT8: case AIMET_UINT16: case AIMET_UINT32: case AIMET_UINT64:
	case AIMET_FLOAT: case AIMET_DOUBLE:
		break;
	default:
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "cannot read '%s': %s labels are not supported", path,
		                   aimet_dtype_name(t->dtype));
	}
	*labels = malloc((size_t)(count ? count : 1) * sizeof(int64_t));
	if (!*labels) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (int64_t i = 0; i < count; i++) {
		if (t->dtype == AIMET_FLOAT || t->dtype == AIMET_DOUBLE) {
			double v = aimet_tensor_get_f64(t, i);
			if (!(v >= -9e18 && v <= 9e18) || v != (double)(int64_t)v) {
				free(*labels);
				*labels = NULL;
				aimet_tensor_free(t);
				return aimet_error(ctx, AIMET_ERR_INVALID,
				                   "cannot read '%s': label %lld is not an integer", path,
				                   (long long)i);
			}
		}
		(*labels)[i] = aimet_tensor_get_i64(t, i);
	}
	*n = count;
	aimet_tensor_free(t);
	return AIMET_OK;
}
