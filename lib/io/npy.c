/* npy.c: NumPy .npy files — header parsing for versions 1.0-3.0, whole-file and row-streamed
 * reads with every size checked against the file, and atomic writes. */
#include "aimet_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAX_HEADER (1u << 20)   /* numpy writes a few hundred bytes; anything huge is hostile */

struct aimet_npy_reader {
	FILE *fp;
	int owns_fp;
	char *path;
	int dtype;
	int ndim;
	int64_t dims[AIMET_MAX_DIMS];
	size_t es;           /* element size */
	int swap;            /* file byte order differs from the host's */
	int64_t rows;
	size_t row_bytes;
	size_t data_bytes;   /* rows * row_bytes */
	long long data_off;  /* offset of the data in the file */
	long long pos;       /* current offset (for streams that cannot seek) */
	int seekable;
	long long file_size; /* -1 when unknown (pipe) */
};

static int host_is_le(void)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one == 1;
}

static void swap_bytes(void *data, size_t n, size_t es)
{
	uint8_t *p = data;
	if (es < 2)
		return;
	for (size_t i = 0; i < n; i++, p += es)
		for (size_t a = 0, b = es - 1; a < b; a++, b--) {
			uint8_t t = p[a];
			p[a] = p[b];
			p[b] = t;
		}
}

/* ---- header dictionary: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ---- */
struct hdr {
	const char *p, *end;
};

static void skip_ws(struct hdr *h)
{
	while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
		h->p++;
}

static int eat(struct hdr *h, char c)
{
	skip_ws(h);
	if (h->p < h->end && *h->p == c) {
		h->p++;
		return 1;
	}
	return 0;
}

/* A quoted Python string literal without escapes (all numpy writes). */
static int read_str(struct hdr *h, char *out, size_t cap)
{
	char q;
	size_t n = 0;
	skip_ws(h);
	if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
		return -1;
	q = *h->p++;
	while (h->p < h->end && *h->p != q) {
		if (*h->p == '\\' || n + 1 >= cap)
			return -1;
		out[n++] = *h->p++;
	}
	if (h->p >= h->end)
		return -1;
	h->p++;
	out[n] = 0;
	return 0;
}

static int read_word(struct hdr *h, const char *w)
{
	size_t n = strlen(w);
	skip_ws(h);
	if ((size_t)(h->end - h->p) >= n && !memcmp(h->p, w, n)) {
		h->p += n;
		return 1;
	}
	return 0;
}

static int dtype_from_descr(struct aimet_ctx *ctx, const char *path, const char *d, int *dtype,
                            int *swap)
{
	char order = d[0];
	const char *t = d + 1;
	if (order != '<' && order != '>' && order != '|' && order != '=') {
		order = '=';
		t = d;
	}
	*swap = (order == '<' && !host_is_le()) || (order == '>' && host_is_le());
	if (t[0] == 'O')
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "cannot read '%s': object arrays are not supported", path);
	if (t[0] == 'c')
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "cannot read '%s': complex dtypes are not supported ('%s')", path, d);
	static const struct { const char *code; int dtype; } map[] = {
		{"f2", AIMET_FLOAT16}, {"f4", AIMET_FLOAT}, {"f8", AIMET_DOUBLE},
		{"i1", AIMET_INT8}, {"i2", AIMET_INT16}, {"i4", AIMET_INT32}, {"i8", AIMET_INT64},
		{"u1", AIMET_UINT8}, {"u2", AIMET_UINT16}, {"u4", AIMET_UINT32}, {"u8", AIMET_UINT64},
		{"b1", AIMET_BOOL}, {"?", AIMET_BOOL}, {"B", AIMET_UINT8}, {"b", AIMET_INT8},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(t, map[i].code)) {
			*dtype = map[i].dtype;
			if (aimet_dtype_size(*dtype) == 1)
				*swap = 0;
			return AIMET_OK;
		}
	return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "cannot read '%s': unsupported dtype '%s'",
	                   path, d);
}

static int parse_header(struct aimet_ctx *ctx, struct aimet_npy_reader *r, const char *text,
                        size_t len)
{
	struct hdr h = {text, text + len};
	int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
	char key[32], descr[64];
	const char *path = r->path;
	if (!eat(&h, '{'))
		goto bad;
	for (;;) {
		if (eat(&h, '}'))
			break;
		if (read_str(&h, key, sizeof(key)) < 0 || !eat(&h, ':'))
			goto bad;
		if (!strcmp(key, "descr")) {
			skip_ws(&h);
			if (h.p < h.end && *h.p == '[')
				return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
				                   "cannot read '%s': structured arrays are not supported", path);
			if (read_str(&h, descr, sizeof(descr)) < 0)
				goto bad;
			have_descr = 1;
		} else if (!strcmp(key, "fortran_order")) {
			if (read_word(&h, "True"))
				fortran = 1;
			else if (!read_word(&h, "False"))
				goto bad;
			have_order = 1;
		} else if (!strcmp(key, "shape")) {
			int n = 0;
			if (!eat(&h, '('))
				goto bad;
			for (;;) {
				int64_t v = 0;
				int digits = 0;
				if (eat(&h, ')'))
					break;
				skip_ws(&h);
				while (h.p < h.end && *h.p >= '0' && *h.p <= '9') {
					if (v > (INT64_MAX - 9) / 10)
						return aimet_error(ctx, AIMET_ERR_FORMAT,
						                   "cannot read '%s': shape overflows", path);
					v = v * 10 + (*h.p++ - '0');
					digits++;
				}
				if (h.p < h.end && *h.p == 'L')   /* Python 2 longs */
					h.p++;
				if (!digits)
					goto bad;
				if (n >= AIMET_MAX_DIMS)
					return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
					                   "cannot read '%s': too many dimensions (more than %d)",
					                   path, AIMET_MAX_DIMS);
				r->dims[n++] = v;
				if (!eat(&h, ',')) {
					if (!eat(&h, ')'))
						goto bad;
					break;
				}
			}
			r->ndim = n;
			have_shape = 1;
		} else {
			goto bad;
		}
		if (!eat(&h, ',')) {
			if (!eat(&h, '}'))
				goto bad;
			break;
		}
	}
	if (!have_descr || !have_order || !have_shape)
		goto bad;
	if (fortran && r->ndim > 1) {
		/* 1-d arrays are the same in either order, and numpy marks some of those True */
		int nontrivial = 0;
		for (int i = 0; i < r->ndim; i++)
			nontrivial += r->dims[i] > 1;
		if (nontrivial > 1)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "cannot read '%s': fortran-order arrays are not supported", path);
	}
	return dtype_from_descr(ctx, path, descr, &r->dtype, &r->swap);
bad:
	return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': malformed .npy header", path);
}

static int read_exact(struct aimet_npy_reader *r, void *buf, size_t n, size_t *got)
{
	size_t k = fread(buf, 1, n, r->fp);
	r->pos += (long long)k;
	if (got)
		*got = k;
	return k == n ? 0 : -1;
}

void aimet_npy_close(struct aimet_npy_reader *r)
{
	if (!r)
		return;
	if (r->fp && r->owns_fp)
		fclose(r->fp);
	free(r->path);
	free(r);
}

/* `given`: an already open stream (not closed by us), or NULL to open `path`. */
static int open_stream(struct aimet_ctx *ctx, const char *path, FILE *given,
                       struct aimet_npy_reader **out)
{
	struct aimet_npy_reader *r;
	unsigned char pre[12];
	size_t got, hlen, hdr_start;
	char *text;
	struct stat st;
	int major, rc;
	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if (given) {
		r->fp = given;
	} else if (!strcmp(path, "-")) {
		r->fp = stdin;
	} else {
		r->fp = fopen(path, "rb");
		r->owns_fp = 1;
		if (!r->fp) {
			int e = errno;
			aimet_npy_close(r);
			return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", path, strerror(e));
		}
	}
	r->file_size = -1;
	if (fileno(r->fp) >= 0 && fstat(fileno(r->fp), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			aimet_npy_close(r);
			return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': is a directory", path);
		}
		if (S_ISREG(st.st_mode)) {
			r->file_size = (long long)st.st_size;
			r->seekable = 1;
		}
	}
	if (read_exact(r, pre, 10, &got) < 0 || memcmp(pre, NPY_MAGIC, 6)) {
		rc = ferror(r->fp) ? aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': read error", path)
		     : got >= 6 && !memcmp(pre, NPY_MAGIC, 6)
		     ? aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': truncated header", path)
		     : aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': not a .npy file (bad magic)", path);
		aimet_npy_close(r);
		return rc;
	}
	major = pre[6];
	if (major == 1) {
		hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
		hdr_start = 10;
	} else if (major == 2 || major == 3) {
		if (read_exact(r, pre + 10, 2, NULL) < 0) {
			aimet_npy_close(r);
			return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': truncated header", path);
		}
		hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
		hdr_start = 12;
	} else {
		aimet_npy_close(r);
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "cannot read '%s': unsupported .npy version %d.%d", path, major, pre[7]);
	}
	if (hlen > NPY_MAX_HEADER ||
	    (r->file_size >= 0 && (long long)(hdr_start + hlen) > r->file_size)) {
		aimet_npy_close(r);
		return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': truncated header", path);
	}
	text = malloc(hlen + 1);
	if (!text) {
		aimet_npy_close(r);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if (read_exact(r, text, hlen, NULL) < 0) {
		free(text);
		aimet_npy_close(r);
		return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': truncated header", path);
	}
	text[hlen] = 0;
	rc = parse_header(ctx, r, text, hlen);
	free(text);
	if (rc < 0) {
		aimet_npy_close(r);
		return rc;
	}
	r->data_off = (long long)(hdr_start + hlen);
	r->es = aimet_dtype_size(r->dtype);
	{
		int64_t rest = aimet_shape_numel(r->ndim > 0 ? r->ndim - 1 : 0, r->dims + 1);
		size_t rb;
		r->rows = r->ndim > 0 ? r->dims[0] : 1;
		if (rest < 0 || (uint64_t)rest > SIZE_MAX || aimet_mul_size((size_t)rest, r->es, &rb) ||
		    aimet_shape_numel(r->ndim, r->dims) < 0 || (uint64_t)r->rows > SIZE_MAX ||
		    aimet_mul_size((size_t)r->rows, rb, &r->data_bytes) ||
		    r->data_bytes > (size_t)INT64_MAX) {
			aimet_npy_close(r);
			return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': shape overflows", path);
		}
		r->row_bytes = rb;
	}
	if (r->file_size >= 0 && (unsigned long long)(r->file_size - r->data_off) < r->data_bytes) {
		rc = aimet_error(ctx, AIMET_ERR_FORMAT,
		                 "cannot read '%s': truncated data: expected %zu bytes, found %lld", path,
		                 r->data_bytes, r->file_size - r->data_off);
		aimet_npy_close(r);
		return rc;
	}
	*out = r;
	return AIMET_OK;
}

int aimet_npy_open(struct aimet_ctx *ctx, const char *path, struct aimet_npy_reader **r)
{
	return open_stream(ctx, path, NULL, r);
}

int aimet_npy_reader_dtype(const struct aimet_npy_reader *r) { return r->dtype; }
int aimet_npy_reader_ndim(const struct aimet_npy_reader *r) { return r->ndim; }
const int64_t *aimet_npy_reader_dims(const struct aimet_npy_reader *r) { return r->dims; }
int64_t aimet_npy_reader_rows(const struct aimet_npy_reader *r) { return r->rows; }
size_t aimet_npy_reader_row_bytes(const struct aimet_npy_reader *r) { return r->row_bytes; }

int aimet_npy_read_rows(struct aimet_ctx *ctx, struct aimet_npy_reader *r, int64_t start,
                        int64_t count, void *dst)
{
	size_t nbytes, got;
	long long off;
	if (start < 0 || count < 0 || start > r->rows || count > r->rows - start)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "cannot read '%s': rows %lld..%lld out of range (%lld rows)", r->path,
		                   (long long)start, (long long)(start + count), (long long)r->rows);
	nbytes = (size_t)count * r->row_bytes;   /* <= data_bytes: cannot overflow */
	if (!nbytes)
		return AIMET_OK;
	off = r->data_off + (long long)((size_t)start * r->row_bytes);
	if (off != r->pos) {
		if (!r->seekable || fseeko(r->fp, (off_t)off, SEEK_SET) != 0)
			return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': cannot seek", r->path);
		r->pos = off;
	}
	if (read_exact(r, dst, nbytes, &got) < 0) {
		if (ferror(r->fp))
			return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", r->path, strerror(errno));
		/* the file shrank after open, or a stream ended early */
		return aimet_error(ctx, AIMET_ERR_FORMAT,
		                   "cannot read '%s': truncated data: expected %zu bytes, found %lld",
		                   r->path, r->data_bytes,
		                   (long long)(off - r->data_off) + (long long)got);
	}
	if (r->swap)
		swap_bytes(dst, nbytes / r->es, r->es);
	return AIMET_OK;
}

/* A stream of unknown size (a pipe): grow the buffer as data arrives, never beyond what the
 * header promised, so a lying header costs no more memory than the bytes actually sent. */
static int read_stream_all(struct aimet_ctx *ctx, struct aimet_npy_reader *r, void **out)
{
	size_t cap = 0, have = 0;
	uint8_t *buf = NULL;
	while (have < r->data_bytes) {
		size_t want = r->data_bytes - have, k;
		if (have == cap) {
			size_t ncap = cap ? cap * 2 : 1u << 16;
			uint8_t *nb;
			if (ncap > r->data_bytes || ncap < cap)
				ncap = r->data_bytes;
			if (!(nb = realloc(buf, ncap))) {
				free(buf);
				return aimet_error(ctx, AIMET_ERR_NOMEM, "cannot read '%s': out of memory", r->path);
			}
			buf = nb;
			cap = ncap;
		}
		if (want > cap - have)
			want = cap - have;
		k = fread(buf + have, 1, want, r->fp);
		have += k;
		if (k < want) {
			free(buf);
			if (ferror(r->fp))
				return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': read error", r->path);
			return aimet_error(ctx, AIMET_ERR_FORMAT,
			                   "cannot read '%s': truncated data: expected %zu bytes, found %zu",
			                   r->path, r->data_bytes, have);
		}
	}
	if (!buf && !(buf = malloc(1)))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if (r->swap)
		swap_bytes(buf, r->data_bytes / r->es, r->es);
	*out = buf;
	return AIMET_OK;
}

int aimet_npy_read_fp(struct aimet_ctx *ctx, FILE *fp, const char *name,
                      struct aimet_tensor **out)
{
	struct aimet_npy_reader *r;
	struct aimet_tensor *t;
	const char *path = name ? name : "-";
	int rc;
	*out = NULL;
	if ((rc = open_stream(ctx, path, fp, &r)) < 0)
		return rc;
	t = aimet_tensor_new(NULL, r->dtype, r->ndim, r->dims);
	if (!t) {
		aimet_npy_close(r);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	if (r->seekable) {
		/* open() checked data_bytes against the file size */
		t->data = malloc(r->data_bytes ? r->data_bytes : 1);
		if (!t->data) {
			aimet_tensor_free(t);
			aimet_npy_close(r);
			return aimet_error(ctx, AIMET_ERR_NOMEM, "cannot read '%s': out of memory (%zu bytes)",
			                   path, r->data_bytes);
		}
		rc = aimet_npy_read_rows(ctx, r, 0, r->rows, t->data);
	} else {
		rc = read_stream_all(ctx, r, &t->data);
	}
	t->nbytes = r->data_bytes;
	aimet_npy_close(r);
	if (rc < 0) {
		aimet_tensor_free(t);
		return rc;
	}
	*out = t;
	return AIMET_OK;
}

int aimet_npy_read(struct aimet_ctx *ctx, const char *path, struct aimet_tensor **out)
{
	return aimet_npy_read_fp(ctx, NULL, path, out);
}

/* ---- writing ---- */
const char *aimet_npy_descr(int dtype)
{
	int le = host_is_le();
	switch (dtype) {
	case AIMET_FLOAT16: return le ? "<f2" : ">f2";
	case AIMET_FLOAT: return le ? "<f4" : ">f4";
	case AIMET_DOUBLE: return le ? "<f8" : ">f8";
	case AIMET_INT8: return "|i1";
	case AIMET_INT16: return le ? "<i2" : ">i2";
	case AIMET_INT32: return le ? "<i4" : ">i4";
	case AIMET_INT64: return le ? "<i8" : ">i8";
	case AIMET_UINT8: return "|u1";
	case AIMET_UINT16: return le ? "<u2" : ">u2";
	case AIMET_UINT32: return le ? "<u4" : ">u4";
	case AIMET_UINT64: return le ? "<u8" : ">u8";
	case AIMET_BOOL: return "|b1";
	default: return NULL;
	}
}

int aimet_npy_write_header(struct aimet_ctx *ctx, FILE *fp, int dtype, int ndim,
                           const int64_t *dims, const char *name)
{
	const char *descr = aimet_npy_descr(dtype);
	char dict[512], shape[256];
	size_t sl = 0, dl, total, pre;
	unsigned char head[12];
	if (!name)
		name = "-";
	if (!descr)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "cannot write '%s': dtype %s is not "
		                   "supported in .npy files", name, aimet_dtype_name(dtype));
	if (ndim < 0 || ndim > AIMET_MAX_DIMS || aimet_shape_numel(ndim, dims) < 0)
		return aimet_error(ctx, AIMET_ERR_INVALID, "cannot write '%s': invalid shape", name);
	shape[sl++] = '(';
	for (int i = 0; i < ndim; i++)
		sl += (size_t)snprintf(shape + sl, sizeof(shape) - sl, "%s%lld", i ? ", " : "",
		                       (long long)dims[i]);
	sl += (size_t)snprintf(shape + sl, sizeof(shape) - sl, ndim == 1 ? ",)" : ")");
	dl = (size_t)snprintf(dict, sizeof(dict),
	                      "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
	/* numpy pads the whole header to a multiple of 64 bytes, ending in '\n' */
	pre = 10;
	total = (pre + dl + 1 + 63) / 64 * 64;
	memcpy(head, NPY_MAGIC, 6);
	head[6] = 1;
	head[7] = 0;
	head[8] = (unsigned char)((total - pre) & 0xff);
	head[9] = (unsigned char)((total - pre) >> 8);
	if (fwrite(head, 1, pre, fp) != pre || fwrite(dict, 1, dl, fp) != dl)
		goto fail;
	for (size_t i = pre + dl; i + 1 < total; i++)
		if (fputc(' ', fp) == EOF)
			goto fail;
	if (fputc('\n', fp) == EOF)
		goto fail;
	return AIMET_OK;
fail:
	return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", name, strerror(errno));
}

int aimet_npy_write_data(struct aimet_ctx *ctx, FILE *fp, int dtype, const void *data, size_t n,
                         const char *name)
{
	size_t es = aimet_dtype_size(dtype), bytes;
	if (!aimet_npy_descr(dtype))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "cannot write '%s': dtype %s is not "
		                   "supported in .npy files", name ? name : "-", aimet_dtype_name(dtype));
	if (aimet_mul_size(n, es, &bytes))
		return aimet_error(ctx, AIMET_ERR_INVALID, "cannot write '%s': size overflows",
		                   name ? name : "-");
	if (bytes && fwrite(data, 1, bytes, fp) != bytes)
		return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", name ? name : "-",
		                   strerror(errno));
	return AIMET_OK;
}

int aimet_npy_write_fp(struct aimet_ctx *ctx, const struct aimet_tensor *t, FILE *fp,
                       const char *name)
{
	int64_t n = aimet_tensor_numel(t);
	int rc;
	size_t need;
	if (n < 0 || (uint64_t)n > SIZE_MAX ||
	    aimet_mul_size((size_t)n, aimet_dtype_size(t->dtype), &need) || (n && !t->data) ||
	    need > t->nbytes)
		return aimet_error(ctx, AIMET_ERR_INVALID, "cannot write '%s': tensor has no data",
		                   name ? name : "-");
	if ((rc = aimet_npy_write_header(ctx, fp, t->dtype, t->ndim, t->dims, name)) < 0)
		return rc;
	return aimet_npy_write_data(ctx, fp, t->dtype, t->data, (size_t)n, name);
}

int aimet_npy_write(struct aimet_ctx *ctx, const struct aimet_tensor *t, const char *path)
{
	char *tmp;
	FILE *fp;
	struct stat st;
	int rc;
	if (!aimet_npy_descr(t->dtype))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "cannot write '%s': dtype %s is not "
		                   "supported in .npy files", path, aimet_dtype_name(t->dtype));
	if (!strcmp(path, "-")) {
		rc = aimet_npy_write_fp(ctx, t, stdout, path);
		if (rc == AIMET_OK && (fflush(stdout) != 0 || ferror(stdout)))
			rc = aimet_error(ctx, AIMET_ERR_IO, "cannot write to stdout: %s", strerror(errno));
		return rc;
	}
	/* devices and fifos cannot be replaced by a rename: write to them directly */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': is a directory", path);
		if (!(fp = fopen(path, "wb")))
			return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
		rc = aimet_npy_write_fp(ctx, t, fp, path);
		if (fflush(fp) != 0 || ferror(fp)) {
			if (rc == AIMET_OK)
				rc = aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
		}
		if (fclose(fp) != 0 && rc == AIMET_OK)
			rc = aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
		return rc;
	}
	if ((rc = aimet_tmpfile_create(ctx, path, &tmp, &fp)) < 0)
		return rc;
	rc = aimet_npy_write_fp(ctx, t, fp, path);
	if (rc < 0)
		aimet_tmpfile_discard(fp, tmp);
	else
		rc = aimet_tmpfile_commit(ctx, fp, tmp, path);
	free(tmp);
	return rc;
}
