/* test_npy.c: .npy round trips for every dtype, hand-written headers (versions 2.0/3.0,
 * big-endian, bool), every error case with its status and message, streaming and pipes. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "aimet.h"
#include "aimet_io.h"
#include "../test.h"

static char dir[256];
static struct aimet_ctx *ctx;

static const char *path_of(const char *name)
{
	static char buf[512];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void write_bytes(const char *name, const void *data, size_t n)
{
	FILE *f = fopen(path_of(name), "wb");
	if (!f || fwrite(data, 1, n, f) != n) {
		perror("write");
		exit(2);
	}
	fclose(f);
}

/* Build a .npy of version `major` with the dictionary `dict` (padded like numpy) and data. */
static size_t make_npy(unsigned char *buf, int major, const char *dict, const void *data,
                       size_t n)
{
	size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
	size_t total = (pre + dl + 1 + 63) / 64 * 64, hl = total - pre;
	memcpy(buf, "\x93NUMPY", 6);
	buf[6] = (unsigned char)major;
	buf[7] = 0;
	buf[8] = hl & 0xff;
	buf[9] = (hl >> 8) & 0xff;
	if (major > 1) {
		buf[10] = (hl >> 16) & 0xff;
		buf[11] = (hl >> 24) & 0xff;
	}
	memcpy(buf + pre, dict, dl);
	memset(buf + pre + dl, ' ', total - pre - dl - 1);
	buf[total - 1] = '\n';
	if (n)
		memcpy(buf + total, data, n);
	return total + n;
}

static int read_expect_error(const char *name, int status, const char *msg)
{
	struct aimet_tensor *t = (void *)1;
	int rc = aimet_npy_read(ctx, path_of(name), &t);
	int ok = rc == status && t == NULL && strstr(aimet_errmsg(ctx), msg) != NULL &&
	         strstr(aimet_errmsg(ctx), "cannot read '") != NULL;
	if (!ok)
		fprintf(stderr, "  %s: rc %d (want %d), message '%s' (want '%s')\n", name, rc, status,
		        aimet_errmsg(ctx), msg);
	if (rc == 0)
		aimet_tensor_free(t);
	return ok;
}

static void fill(struct aimet_tensor *t)
{
	uint8_t *p = t->data;
	for (size_t i = 0; i < t->nbytes; i++)
		p[i] = (uint8_t)(i * 37 + 11);
	if (t->dtype == AIMET_BOOL)
		for (size_t i = 0; i < t->nbytes; i++)
			p[i] &= 1;
}

static void test_roundtrip(void)
{
	static const int dtypes[] = {AIMET_FLOAT, AIMET_DOUBLE, AIMET_FLOAT16, AIMET_INT8, AIMET_INT16,
	                             AIMET_INT32, AIMET_INT64, AIMET_UINT8, AIMET_UINT16,
	                             AIMET_UINT32, AIMET_UINT64, AIMET_BOOL};
	static const struct { int ndim; int64_t dims[4]; } shapes[] = {
		{0, {0}}, {1, {5}}, {2, {2, 3}}, {3, {2, 0, 4}}, {4, {1, 3, 2, 2}}};
	for (size_t d = 0; d < sizeof(dtypes) / sizeof(dtypes[0]); d++)
		for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
			struct aimet_tensor *t = aimet_tensor_new("x", dtypes[d], shapes[s].ndim, shapes[s].dims);
			struct aimet_tensor *u = NULL;
			int rc;
			CHECK(t && aimet_tensor_alloc(ctx, t) == 0, "alloc");
			fill(t);
			rc = aimet_npy_write(ctx, t, path_of("rt.npy"));
			CHECK(rc == 0, "write %s: %s", aimet_dtype_name(dtypes[d]), aimet_errmsg(ctx));
			rc = aimet_npy_read(ctx, path_of("rt.npy"), &u);
			CHECK(rc == 0, "read %s: %s", aimet_dtype_name(dtypes[d]), aimet_errmsg(ctx));
			CHECK(u && aimet_tensor_equal(t, u), "round trip %s ndim %d",
			      aimet_dtype_name(dtypes[d]), shapes[s].ndim);
			aimet_tensor_free(t);
			aimet_tensor_free(u);
		}
	/* the header numpy itself writes, byte for byte */
	{
		int64_t dims[2] = {2, 3};
		struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_FLOAT, 2, dims);
		unsigned char buf[256];
		FILE *f;
		size_t n;
		aimet_tensor_alloc(ctx, t);
		CHECK(aimet_npy_write(ctx, t, path_of("hdr.npy")) == 0, "write");
		f = fopen(path_of("hdr.npy"), "rb");
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		CHECK(n == 128 + 24, "file size %zu", n);
		CHECK(!memcmp(buf, "\x93NUMPY\x01\x00\x76\x00", 10), "preamble");
		CHECK(!memcmp(buf + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 59),
		      "dict '%.59s'", buf + 10);
		CHECK(buf[127] == '\n' && buf[126] == ' ', "padding");
		aimet_tensor_free(t);
		dims[0] = 7;
		t = aimet_tensor_new(NULL, AIMET_UINT8, 1, dims);
		aimet_tensor_alloc(ctx, t);
		CHECK(aimet_npy_write(ctx, t, path_of("hdr.npy")) == 0, "write");
		f = fopen(path_of("hdr.npy"), "rb");
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		CHECK(n == 128 + 7 && !memcmp(buf + 10, "{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }", 57),
		      "1-d header '%.57s'", buf + 10);
		aimet_tensor_free(t);
	}
}

static void test_handwritten(void)
{
	unsigned char buf[1024];
	struct aimet_tensor *t;
	size_t n;
	float f[3] = {1.5f, -2.25f, 1e30f};
	/* versions 2.0 and 3.0, keys in another order, double quotes, Python 2 longs */
	for (int major = 1; major <= 3; major++) {
		n = make_npy(buf, major, "{\"shape\": (3L,), 'fortran_order':False,'descr':'<f4'}", f, 12);
		write_bytes("v.npy", buf, n);
		t = NULL;
		CHECK(aimet_npy_read(ctx, path_of("v.npy"), &t) == 0, "v%d: %s", major, aimet_errmsg(ctx));
		CHECK(t && t->dtype == AIMET_FLOAT && t->ndim == 1 && t->dims[0] == 3 &&
		      !memcmp(t->data, f, 12), "v%d contents", major);
		aimet_tensor_free(t);
	}
	/* big-endian data converted to host order */
	{
		unsigned char be[12] = {0x3f, 0xc0, 0, 0, 0xc0, 0x10, 0, 0, 0x71, 0x49, 0xf2, 0xca};
		n = make_npy(buf, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", be, 12);
		write_bytes("be.npy", buf, n);
		t = NULL;
		CHECK(aimet_npy_read(ctx, path_of("be.npy"), &t) == 0, "be: %s", aimet_errmsg(ctx));
		CHECK(t && !memcmp(t->data, f, 12), "big-endian float32 converted");
		aimet_tensor_free(t);
	}
	{
		unsigned char be[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		                        0, 0, 0, 1, 0, 0, 0, 0};
		n = make_npy(buf, 2, "{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", be, 16);
		write_bytes("be8.npy", buf, n);
		t = NULL;
		CHECK(aimet_npy_read(ctx, path_of("be8.npy"), &t) == 0, "be i8: %s", aimet_errmsg(ctx));
		CHECK(t && t->dtype == AIMET_INT64 && ((int64_t *)t->data)[0] == -2 &&
		      ((int64_t *)t->data)[1] == ((int64_t)1 << 32), "big-endian int64 converted");
		aimet_tensor_free(t);
	}
	{
		unsigned char be[6] = {0x01, 0x02, 0xff, 0xfe, 0, 7};
		n = make_npy(buf, 3, "{'descr': '>u2', 'fortran_order': False, 'shape': (1, 3), }", be, 6);
		write_bytes("beu2.npy", buf, n);
		t = NULL;
		CHECK(aimet_npy_read(ctx, path_of("beu2.npy"), &t) == 0, "be u2: %s", aimet_errmsg(ctx));
		CHECK(t && t->dtype == AIMET_UINT16 && t->ndim == 2 && ((uint16_t *)t->data)[0] == 0x0102 &&
		      ((uint16_t *)t->data)[1] == 0xfffe && ((uint16_t *)t->data)[2] == 7, "be u2 values");
		aimet_tensor_free(t);
	}
	{
		unsigned char b[4] = {1, 0, 0, 1};
		n = make_npy(buf, 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }", b, 4);
		write_bytes("bool.npy", buf, n);
		t = NULL;
		CHECK(aimet_npy_read(ctx, path_of("bool.npy"), &t) == 0, "bool: %s", aimet_errmsg(ctx));
		CHECK(t && t->dtype == AIMET_BOOL && !memcmp(t->data, b, 4), "bool values");
		aimet_tensor_free(t);
	}
	/* a 1-d array marked fortran_order True is the same bytes: accepted */
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", f, 12);
	write_bytes("f1.npy", buf, n);
	t = NULL;
	CHECK(aimet_npy_read(ctx, path_of("f1.npy"), &t) == 0 && t && !memcmp(t->data, f, 12),
	      "1-d fortran: %s", aimet_errmsg(ctx));
	aimet_tensor_free(t);
}

static void test_errors(void)
{
	unsigned char buf[4096];
	float z[16] = {0};
	size_t n;
	write_bytes("magic.npy", "PK\x03\x04 this is a zip", 18);
	CHECK(read_expect_error("magic.npy", AIMET_ERR_FORMAT, "not a .npy file (bad magic)"), "magic");
	write_bytes("empty.npy", "", 0);
	CHECK(read_expect_error("empty.npy", AIMET_ERR_FORMAT, "not a .npy file (bad magic)"), "empty");
	write_bytes("short.npy", "\x93NUMPY\x01", 7);
	CHECK(read_expect_error("short.npy", AIMET_ERR_FORMAT, "truncated header"), "short header");
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", z, 24);
	write_bytes("fortran.npy", buf, n);
	CHECK(read_expect_error("fortran.npy", AIMET_ERR_UNSUPPORTED,
	                        "fortran-order arrays are not supported"), "fortran");
	n = make_npy(buf, 1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", z, 16);
	write_bytes("object.npy", buf, n);
	CHECK(read_expect_error("object.npy", AIMET_ERR_UNSUPPORTED, "object arrays are not supported"),
	      "object");
	n = make_npy(buf, 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", z, 16);
	write_bytes("complex.npy", buf, n);
	CHECK(read_expect_error("complex.npy", AIMET_ERR_UNSUPPORTED, "complex dtypes are not supported"),
	      "complex");
	n = make_npy(buf, 1, "{'descr': '<U4', 'fortran_order': False, 'shape': (2,), }", z, 32);
	write_bytes("unicode.npy", buf, n);
	CHECK(read_expect_error("unicode.npy", AIMET_ERR_UNSUPPORTED, "unsupported dtype '<U4'"),
	      "unicode");
	n = make_npy(buf, 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", z, 8);
	write_bytes("struct.npy", buf, n);
	CHECK(read_expect_error("struct.npy", AIMET_ERR_UNSUPPORTED, "structured arrays"), "structured");
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, "
	             "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", z, 4);
	write_bytes("dims.npy", buf, n);
	CHECK(read_expect_error("dims.npy", AIMET_ERR_UNSUPPORTED, "too many dimensions"), "ndim > 8");
	n = make_npy(buf, 1, "{'descr': '<f8', 'fortran_order': False, "
	             "'shape': (4294967296, 4294967296, 4294967296), }", z, 8);
	write_bytes("overflow.npy", buf, n);
	CHECK(read_expect_error("overflow.npy", AIMET_ERR_FORMAT, "shape overflows"), "overflow");
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, "
	             "'shape': (99999999999999999999999,), }", z, 8);
	write_bytes("bigdim.npy", buf, n);
	CHECK(read_expect_error("bigdim.npy", AIMET_ERR_FORMAT, "shape overflows"), "huge digits");
	/* a huge (but representable) shape: refused by the file size, nothing allocated */
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, "
	             "'shape': (1000000000000,), }", z, 8);
	write_bytes("huge.npy", buf, n);
	CHECK(read_expect_error("huge.npy", AIMET_ERR_FORMAT,
	                        "truncated data: expected 4000000000000 bytes, found 8"), "huge");
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", z, 20);
	write_bytes("trunc.npy", buf, n);
	CHECK(read_expect_error("trunc.npy", AIMET_ERR_FORMAT,
	                        "truncated data: expected 24 bytes, found 20"), "truncated");
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", z, 24);
	write_bytes("neg.npy", buf, n);
	CHECK(read_expect_error("neg.npy", AIMET_ERR_FORMAT, "malformed .npy header"), "negative dim");
	static const char *bad_dicts[] = {
		"{'descr': '<f4', 'fortran_order': False, }",
		"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
		"['descr', '<f4']",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,,), }",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, }",
		"{'descr': '<f4",
		"",
	};
	for (size_t i = 0; i < sizeof(bad_dicts) / sizeof(bad_dicts[0]); i++) {
		n = make_npy(buf, 1, bad_dicts[i], z, 24);
		write_bytes("dict.npy", buf, n);
		CHECK(read_expect_error("dict.npy", AIMET_ERR_FORMAT, "malformed .npy header"),
		      "bad dict %zu", i);
	}
	/* header length beyond the file */
	n = make_npy(buf, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", z, 8);
	buf[11] = 0x7f;
	write_bytes("hlen.npy", buf, n);
	CHECK(read_expect_error("hlen.npy", AIMET_ERR_FORMAT, "truncated header"), "header length");
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", z, 8);
	buf[6] = 4;
	write_bytes("ver.npy", buf, n);
	CHECK(read_expect_error("ver.npy", AIMET_ERR_UNSUPPORTED, "unsupported .npy version 4.0"),
	      "version 4");
	CHECK(read_expect_error("missing.npy", AIMET_ERR_IO, "No such file"), "missing file");
	mkdir(path_of("adir.npy"), 0755);
	CHECK(read_expect_error("adir.npy", AIMET_ERR_IO, "is a directory"), "directory");
	/* every prefix of a valid file fails cleanly (never crashes, never succeeds) */
	{
		int bad = 0;
		n = make_npy(buf, 1, "{'descr': '<i2', 'fortran_order': False, 'shape': (3, 2), }", z, 12);
		for (size_t k = 0; k < n; k++) {
			struct aimet_tensor *t = NULL;
			write_bytes("prefix.npy", buf, k);
			if (aimet_npy_read(ctx, path_of("prefix.npy"), &t) == 0) {
				bad++;
				aimet_tensor_free(t);
			}
		}
		CHECK(bad == 0, "%d truncated prefixes were accepted", bad);
		/* and random corruption of the header never crashes */
		srand(7);
		for (int k = 0; k < 2000; k++) {
			unsigned char c[256];
			struct aimet_tensor *t = NULL;
			memcpy(c, buf, n);
			for (int j = 0; j < 3; j++)
				c[rand() % 80] = (unsigned char)rand();
			write_bytes("fuzz.npy", c, n);
			if (aimet_npy_read(ctx, path_of("fuzz.npy"), &t) == 0)
				aimet_tensor_free(t);
		}
		CHECK(1, "fuzz survived");
	}
}

static void test_stream(void)
{
	int64_t dims[3] = {10, 2, 3};
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_INT32, 3, dims);
	struct aimet_npy_reader *r;
	int32_t rows[3 * 6];
	aimet_tensor_alloc(ctx, t);
	for (int i = 0; i < 60; i++)
		((int32_t *)t->data)[i] = i * 3 - 7;
	CHECK(aimet_npy_write(ctx, t, path_of("s.npy")) == 0, "write");
	CHECK(aimet_npy_open(ctx, path_of("s.npy"), &r) == 0, "open");
	CHECK(aimet_npy_reader_dtype(r) == AIMET_INT32 && aimet_npy_reader_ndim(r) == 3 &&
	      aimet_npy_reader_rows(r) == 10 && aimet_npy_reader_row_bytes(r) == 24 &&
	      aimet_npy_reader_dims(r)[2] == 3, "reader shape");
	CHECK(aimet_npy_read_rows(ctx, r, 7, 3, rows) == 0 &&
	      !memcmp(rows, (int32_t *)t->data + 42, 72), "rows 7..10");
	CHECK(aimet_npy_read_rows(ctx, r, 2, 1, rows) == 0 &&
	      !memcmp(rows, (int32_t *)t->data + 12, 24), "row 2 after a backward seek");
	CHECK(aimet_npy_read_rows(ctx, r, 8, 3, rows) == AIMET_ERR_INVALID, "out of range");
	CHECK(aimet_npy_read_rows(ctx, r, 10, 0, rows) == 0, "empty read at end");
	aimet_npy_close(r);
	/* a file that shrinks after open gives a truncation error on read */
	aimet_tensor_free(t);
	dims[0] = 1000;
	t = aimet_tensor_new(NULL, AIMET_INT32, 3, dims);
	aimet_tensor_alloc(ctx, t);
	CHECK(aimet_npy_write(ctx, t, path_of("s.npy")) == 0, "write");
	CHECK(aimet_npy_open(ctx, path_of("s.npy"), &r) == 0, "open");
	CHECK(truncate(path_of("s.npy"), 128 + 100) == 0, "truncate");
	CHECK(aimet_npy_read_rows(ctx, r, 900, 100, t->data) ==
	      AIMET_ERR_FORMAT && strstr(aimet_errmsg(ctx), "truncated data"), "shrunk: %s",
	      aimet_errmsg(ctx));
	aimet_npy_close(r);
	aimet_npy_close(NULL);
	aimet_tensor_free(t);
	/* big-endian through the streaming reader */
	{
		unsigned char buf[256], be[8] = {0, 1, 0, 2, 0, 3, 0, 4};
		int16_t v[2];
		size_t n = make_npy(buf, 1, "{'descr': '>i2', 'fortran_order': False, 'shape': (4,), }",
		                    be, 8);
		write_bytes("bes.npy", buf, n);
		CHECK(aimet_npy_open(ctx, path_of("bes.npy"), &r) == 0, "open be");
		CHECK(aimet_npy_read_rows(ctx, r, 2, 2, v) == 0 && v[0] == 3 && v[1] == 4, "be rows");
		aimet_npy_close(r);
	}
}

/* Feed bytes through a pipe on stdin: no file size to check, so memory must follow the data. */
static int read_stdin(const void *data, size_t n, struct aimet_tensor **t)
{
	int fds[2];
	if (pipe(fds) != 0 || write(fds[1], data, n) != (ssize_t)n)
		exit(2);
	close(fds[1]);
	dup2(fds[0], 0);
	close(fds[0]);
	clearerr(stdin);
	return aimet_npy_read(ctx, "-", t);
}

static void test_pipe(void)
{
	unsigned char buf[512];
	float f[4] = {1, 2, 3, 4};
	struct aimet_tensor *t = NULL;
	size_t n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f, 16);
	CHECK(read_stdin(buf, n, &t) == 0 && t && !memcmp(t->data, f, 16), "pipe: %s",
	      aimet_errmsg(ctx));
	aimet_tensor_free(t);
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }",
	             f, 16);
	t = NULL;
	CHECK(read_stdin(buf, n, &t) == AIMET_ERR_FORMAT && !t &&
	      strstr(aimet_errmsg(ctx), "truncated data: expected 4000000000000 bytes, found 16"),
	      "pipe huge: %s", aimet_errmsg(ctx));
}

static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;
	while (dp && (e = readdir(dp)))
		if (e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.'))
			n += e->d_name[0] == '.';
	if (dp)
		closedir(dp);
	return n;
}

static void test_write_errors(void)
{
	int64_t dims[1] = {4};
	struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_FLOAT, 1, dims);
	struct aimet_tensor *s = aimet_tensor_new(NULL, AIMET_STRING, 1, dims);
	aimet_tensor_alloc(ctx, t);
	aimet_tensor_alloc(ctx, s);
	CHECK(aimet_npy_write(ctx, t, "/dev/full") == AIMET_ERR_IO &&
	      strstr(aimet_errmsg(ctx), "cannot write '/dev/full'"), "/dev/full: %s", aimet_errmsg(ctx));
	CHECK(aimet_npy_write(ctx, t, path_of("nodir/x.npy")) == AIMET_ERR_IO, "missing directory");
	CHECK(aimet_npy_write(ctx, s, path_of("str.npy")) == AIMET_ERR_UNSUPPORTED &&
	      access(path_of("str.npy"), F_OK) != 0, "string dtype refused, no file");
	CHECK(aimet_npy_write(ctx, t, path_of("adir.npy")) == AIMET_ERR_IO, "directory target");
	CHECK(aimet_npy_write(ctx, t, "/dev/null") == 0, "/dev/null");
	CHECK(count_entries(dir) == 0, "no temporaries left in %s", dir);
	CHECK(aimet_npy_descr(AIMET_FLOAT) && !strcmp(aimet_npy_descr(AIMET_FLOAT), "<f4") &&
	      aimet_npy_descr(AIMET_STRING) == NULL, "descr");
	aimet_tensor_free(t);
	aimet_tensor_free(s);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	/* outputs are fsync'ed: tmpfs keeps the many small writes of these tests fast */
	if (!tmp && access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/test_npy.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	ctx = aimet_ctx_new();
	test_roundtrip();
	test_handwritten();
	test_errors();
	test_stream();
	test_write_errors();
	test_pipe();
	aimet_ctx_free(ctx);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup failed\n");
	}
	return test_done();
}
