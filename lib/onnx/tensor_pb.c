/* tensor_pb.c: TensorProto <-> aimet_tensor in every storage form (raw_data, the typed fields,
 * external data confined to the model's directory), and TensorProto .pb files. */
#include "aimet_onnx.h"
#include "onnx_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TNAME(p) ((p)->name ? (p)->name : "")

static int is_4bit(int dtype) { return dtype == AIMET_INT4 || dtype == AIMET_UINT4; }

/* Bytes the tensor's data takes in a file: 4-bit types pack two elements per byte. */
static size_t stored_bytes(int dtype, size_t numel, size_t es)
{
	return is_4bit(dtype) ? numel / 2 + (numel & 1) : numel * es;
}

static void unpack_4bit(int dtype, const uint8_t *src, size_t numel, uint8_t *dst)
{
	for (size_t i = 0; i < numel; i++) {
		uint8_t nib = (i & 1) ? src[i / 2] >> 4 : src[i / 2] & 15;
		dst[i] = (dtype == AIMET_INT4 && nib >= 8) ? (uint8_t)(nib - 16) : nib;
	}
}

/* Parse a non-negative decimal string (external-data offset/length). */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Refuse locations that could leave the model's directory before touching the file system. */
static int location_is_safe(const char *loc)
{
	const char *p = loc;
	if (!*loc || *loc == '/')
		return 0;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (!e)
			break;
		p = e + 1;
	}
	return 1;
}

static int read_external(struct aimet_ctx *ctx, const Onnx__TensorProto *p, const char *dir,
                         uint8_t *dst, size_t want, char **loc_out)
{
	const char *loc = NULL, *off_s = NULL, *len_s = NULL;
	uint64_t off = 0, len = 0;
	char *path = NULL, *rdir = NULL, *rpath = NULL;
	struct stat st;
	int fd = -1, rc;
	size_t dl;
	for (size_t i = 0; i < p->n_external_data; i++) {
		const Onnx__StringStringEntryProto *e = p->external_data[i];
		if (!e->key || !e->value)
			continue;
		if (!strcmp(e->key, "location"))
			loc = e->value;
		else if (!strcmp(e->key, "offset"))
			off_s = e->value;
		else if (!strcmp(e->key, "length"))
			len_s = e->value;
	}
	if (!dir)
		return aimet_error(ctx, AIMET_ERR_FORMAT,
		                   "tensor '%s': external data is not allowed here (model not read from a file)",
		                   TNAME(p));
	if (!loc)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "tensor '%s': external data without a location",
		                   TNAME(p));
	if (!location_is_safe(loc))
		return aimet_error(ctx, AIMET_ERR_FORMAT,
		                   "tensor '%s': external data location '%s' leaves the model's directory",
		                   TNAME(p), loc);
	if ((off_s && parse_u64(off_s, &off)) || (len_s && parse_u64(len_s, &len)))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "tensor '%s': bad external data offset or length",
		                   TNAME(p));
	dl = strlen(dir);
	path = malloc(dl + strlen(loc) + 2);
	if (!path)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	sprintf(path, "%s/%s", dir, loc);
	rdir = realpath(dir, NULL);
	rpath = rdir ? realpath(path, NULL) : NULL;
	if (!rpath) {
		rc = aimet_error(ctx, AIMET_ERR_IO, "tensor '%s': cannot open external data '%s': %s",
		                 TNAME(p), loc, strerror(errno));
		goto out;
	}
	/* a symlink may point anywhere: the resolved path must still lie below the directory */
	dl = strlen(rdir);
	if (strcmp(rdir, "/") && (strncmp(rpath, rdir, dl) || rpath[dl] != '/')) {
		rc = aimet_error(ctx, AIMET_ERR_FORMAT,
		                 "tensor '%s': external data location '%s' leaves the model's directory",
		                 TNAME(p), loc);
		goto out;
	}
	fd = open(rpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = aimet_error(ctx, AIMET_ERR_IO, "tensor '%s': cannot open external data '%s': %s",
		                 TNAME(p), loc, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = aimet_error(ctx, AIMET_ERR_FORMAT,
		                 "tensor '%s': external data '%s' is not a regular file", TNAME(p), loc);
		goto out;
	}
	if (off > (uint64_t)st.st_size) {
		rc = aimet_error(ctx, AIMET_ERR_FORMAT,
		                 "tensor '%s': external data offset %" PRIu64 " is past the end of '%s'",
		                 TNAME(p), off, loc);
		goto out;
	}
	if (!len_s)
		len = (uint64_t)st.st_size - off;
	if (len > (uint64_t)st.st_size - off) {
		rc = aimet_error(ctx, AIMET_ERR_FORMAT,
		                 "tensor '%s': external data runs past the end of '%s'", TNAME(p), loc);
		goto out;
	}
	if (len != want) {
		rc = aimet_error(ctx, AIMET_ERR_FORMAT,
		                 "tensor '%s': external data has %" PRIu64 " bytes, shape needs %zu",
		                 TNAME(p), len, want);
		goto out;
	}
	/* dst NULL: only check that the data is there, before anything of its size is allocated */
	for (size_t done = 0; dst && done < want;) {
		ssize_t r = pread(fd, dst + done, want - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = aimet_error(ctx, AIMET_ERR_IO, "tensor '%s': cannot read external data '%s'",
			                 TNAME(p), loc);
			goto out;
		}
		done += (size_t)r;
	}
	if (loc_out && !(*loc_out = strdup(loc))) {
		rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = AIMET_OK;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	free(rdir);
	free(rpath);
	return rc;
}

/* Copy a typed repeated field into the dense buffer, narrowing each element to `es` bytes. */
static int from_typed(struct aimet_ctx *ctx, const Onnx__TensorProto *p, struct aimet_tensor *t,
                      size_t numel)
{
	size_t es = aimet_dtype_size(t->dtype);
	uint8_t *d = t->data;
#define WANT(count, need)                                                                          \
	do {                                                                                       \
		if ((count) != (need))                                                             \
			return aimet_error(ctx, AIMET_ERR_FORMAT,                                  \
			                   "tensor '%s': %zu values stored, shape needs %zu", TNAME(p),  \
			                   (size_t)(count), (size_t)(need));                          \
	} while (0)
	switch (t->dtype) {
	case AIMET_FLOAT: case AIMET_COMPLEX64:
		WANT(p->n_float_data, numel * (es / 4));
		if (numel)
			memcpy(d, p->float_data, numel * es);
		return AIMET_OK;
	case AIMET_DOUBLE: case AIMET_COMPLEX128:
		WANT(p->n_double_data, numel * (es / 8));
		if (numel)
			memcpy(d, p->double_data, numel * es);
		return AIMET_OK;
	case AIMET_INT64:
		WANT(p->n_int64_data, numel);
		if (numel)
			memcpy(d, p->int64_data, numel * 8);
		return AIMET_OK;
	case AIMET_UINT64:
		WANT(p->n_uint64_data, numel);
		if (numel)
			memcpy(d, p->uint64_data, numel * 8);
		return AIMET_OK;
	case AIMET_UINT32:
		WANT(p->n_uint64_data, numel);
		for (size_t i = 0; i < numel; i++)
			((uint32_t *)d)[i] = (uint32_t)p->uint64_data[i];
		return AIMET_OK;
	case AIMET_INT32:
		WANT(p->n_int32_data, numel);
		if (numel)
			memcpy(d, p->int32_data, numel * 4);
		return AIMET_OK;
	case AIMET_INT16: case AIMET_UINT16: case AIMET_FLOAT16: case AIMET_BFLOAT16:
		WANT(p->n_int32_data, numel);
		for (size_t i = 0; i < numel; i++)
			((uint16_t *)d)[i] = (uint16_t)p->int32_data[i];
		return AIMET_OK;
	case AIMET_INT8: case AIMET_UINT8: case AIMET_BOOL: case AIMET_FLOAT8E4M3FN:
	case AIMET_FLOAT8E4M3FNUZ: case AIMET_FLOAT8E5M2: case AIMET_FLOAT8E5M2FNUZ:
		WANT(p->n_int32_data, numel);
		for (size_t i = 0; i < numel; i++)
			d[i] = (uint8_t)p->int32_data[i];
		return AIMET_OK;
	case AIMET_INT4: case AIMET_UINT4: {
		/* each int32 holds one packed byte of two nibbles */
		size_t nb = stored_bytes(t->dtype, numel, 1);
		WANT(p->n_int32_data, nb);
		for (size_t i = 0; i < numel; i++) {
			uint8_t byte = (uint8_t)p->int32_data[i / 2];
			uint8_t nib = (i & 1) ? byte >> 4 : byte & 15;
			d[i] = (t->dtype == AIMET_INT4 && nib >= 8) ? (uint8_t)(nib - 16) : nib;
		}
		return AIMET_OK;
	}
	case AIMET_STRING: {
		struct aimet_string *s = t->data;
		WANT(p->n_string_data, numel);
		for (size_t i = 0; i < numel; i++) {
			size_t n = p->string_data[i].len;
			s[i].data = malloc(n + 1);
			if (!s[i].data)
				return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			if (n)
				memcpy(s[i].data, p->string_data[i].data, n);
			s[i].data[n] = 0;
			s[i].len = n;
		}
		return AIMET_OK;
	}
	default:
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "tensor '%s': unsupported data type %d",
		                   TNAME(p), t->dtype);
	}
#undef WANT
}

static size_t typed_count(const Onnx__TensorProto *p)
{
	return p->n_float_data + p->n_int32_data + p->n_string_data + p->n_int64_data +
	       p->n_double_data + p->n_uint64_data;
}

/* How many values the dtype's typed field holds (*have) and how many the shape needs (*need). */
static int typed_field(const Onnx__TensorProto *p, int dtype, size_t numel, size_t *have,
                       size_t *need)
{
	*need = numel;
	switch (dtype) {
	case AIMET_FLOAT: *have = p->n_float_data; return 0;
	case AIMET_COMPLEX64: *have = p->n_float_data; *need = numel * 2; return 0;
	case AIMET_DOUBLE: *have = p->n_double_data; return 0;
	case AIMET_COMPLEX128: *have = p->n_double_data; *need = numel * 2; return 0;
	case AIMET_INT64: *have = p->n_int64_data; return 0;
	case AIMET_UINT64: case AIMET_UINT32: *have = p->n_uint64_data; return 0;
	case AIMET_STRING: *have = p->n_string_data; return 0;
	case AIMET_INT4: case AIMET_UINT4:
		*have = p->n_int32_data;
		*need = stored_bytes(dtype, numel, 1);
		return 0;
	case AIMET_UNDEFINED: return -1;
	default: *have = p->n_int32_data; return 0;
	}
}

int aimet_onnx_tensor_from_proto(struct aimet_ctx *ctx, const Onnx__TensorProto *p,
                                 const char *dir, struct aimet_tensor **out)
{
	struct aimet_tensor *t;
	int dtype = p->has_data_type ? p->data_type : 0, rc;
	int64_t dims[AIMET_MAX_DIMS], n64;
	size_t es = aimet_dtype_size(dtype), numel, nbytes, stored;
	int external = p->has_data_location && p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	if (p->n_dims > AIMET_MAX_DIMS)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "tensor '%s': %zu dimensions (at most %d)",
		                   TNAME(p), p->n_dims, AIMET_MAX_DIMS);
	for (size_t i = 0; i < p->n_dims; i++) {
		if (p->dims[i] < 0)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "tensor '%s': negative dimension %" PRId64,
			                   TNAME(p), p->dims[i]);
		dims[i] = p->dims[i];
	}
	if (!aimet_dtype_is_valid(dtype))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED, "tensor '%s': unsupported data type %d",
		                   TNAME(p), dtype);
	n64 = aimet_shape_numel((int)p->n_dims, dims);
	if (n64 < 0 || (uint64_t)n64 > SIZE_MAX || aimet_mul_size((size_t)n64, es, &nbytes))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "tensor '%s': size overflows", TNAME(p));
	numel = (size_t)n64;
	stored = stored_bytes(dtype, numel, es);
	/* the data must be present in the file before anything of its size is allocated */
	if (external) {
		if (dtype == AIMET_STRING)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "tensor '%s': string data cannot be external",
			                   TNAME(p));
		rc = read_external(ctx, p, dir, NULL, stored, NULL);
		if (rc)
			return rc;
	} else if (p->has_raw_data && (p->raw_data.len || !typed_count(p))) {
		if (dtype == AIMET_STRING)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "tensor '%s': string data in raw_data",
			                   TNAME(p));
		if (p->raw_data.len != stored)
			return aimet_error(ctx, AIMET_ERR_FORMAT,
			                   "tensor '%s': raw_data has %zu bytes, shape needs %zu", TNAME(p),
			                   p->raw_data.len, stored);
	} else if (numel) {
		size_t have, need;
		if (!typed_count(p))
			return aimet_error(ctx, AIMET_ERR_FORMAT, "tensor '%s': no data for %zu elements",
			                   TNAME(p), numel);
		/* numel * 2 cannot overflow: the byte size numel * es was checked above */
		if (typed_field(p, dtype, numel, &have, &need) || have != need)
			return aimet_error(ctx, AIMET_ERR_FORMAT,
			                   "tensor '%s': %zu values stored, shape needs %zu", TNAME(p),
			                   typed_field(p, dtype, numel, &have, &need) ? typed_count(p) : have,
			                   need);
	}
	t = aimet_tensor_new(p->name, dtype, (int)p->n_dims, dims);
	if (!t || (p->doc_string && !(t->doc_string = strdup(p->doc_string)))) {
		aimet_tensor_free(t);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	rc = aimet_tensor_alloc(ctx, t);
	if (rc)
		goto fail;
	if (external) {
		uint8_t *dst = is_4bit(dtype) ? malloc(stored ? stored : 1) : t->data;
		if (!dst) {
			rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto fail;
		}
		rc = read_external(ctx, p, dir, dst, stored, &t->external_location);
		if (!rc && is_4bit(dtype))
			unpack_4bit(dtype, dst, numel, t->data);
		if (dst != t->data)
			free(dst);
	} else if (p->has_raw_data && (p->raw_data.len || !typed_count(p))) {
		if (is_4bit(dtype))
			unpack_4bit(dtype, p->raw_data.data, numel, t->data);
		else if (stored)
			memcpy(t->data, p->raw_data.data, stored);
	} else if (numel) {
		rc = from_typed(ctx, p, t, numel);
	}
	if (rc)
		goto fail;
	/* segment is rarely used and not interpreted: kept with the unknown fields */
	if (p->segment) {
		struct aimet_blob seg = {0};
		if (aimet_onnx_pack_blob(&p->segment->base, &seg) ||
		    aimet_onnx_blob_append_field(&t->extra, 3, seg.data, seg.len)) {
			free(seg.data);
			rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto fail;
		}
		free(seg.data);
	}
	if (aimet_onnx_unknown_to_blob(&p->base, &t->extra)) {
		rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto fail;
	}
	*out = t;
	return AIMET_OK;
fail:
	aimet_tensor_free(t);
	return rc;
}

static char *arena_strdup(struct aimet_onnx_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = aimet_onnx_arena_alloc(a, n, 1);
	if (d)
		memcpy(d, s, n);
	return d;
}

static Onnx__StringStringEntryProto *kv(struct aimet_onnx_arena *a, const char *k, const char *v)
{
	Onnx__StringStringEntryProto *e = aimet_onnx_arena_alloc(a, 1, sizeof(*e));
	if (!e)
		return NULL;
	onnx__string_string_entry_proto__init(e);
	e->key = (char *)k;
	e->value = arena_strdup(a, v);
	return e->value ? e : NULL;
}

int aimet_onnx_tensor_to_proto(struct aimet_ctx *ctx, const struct aimet_tensor *t,
                               Onnx__TensorProto *p, struct aimet_onnx_arena *a,
                               struct aimet_onnx_ext *ext)
{
	int64_t n64 = aimet_tensor_numel(t);
	size_t es = aimet_dtype_size(t->dtype), numel, nbytes, stored;
	const char *nm = t->name ? t->name : "";
	onnx__tensor_proto__init(p);
	if (!aimet_dtype_is_valid(t->dtype))
		return aimet_error(ctx, AIMET_ERR_INVALID, "tensor '%s': unsupported data type %d", nm,
		                   t->dtype);
	if (n64 < 0 || (uint64_t)n64 > SIZE_MAX || aimet_mul_size((size_t)n64, es, &nbytes))
		return aimet_error(ctx, AIMET_ERR_INVALID, "tensor '%s': bad shape", nm);
	numel = (size_t)n64;
	if (t->nbytes != nbytes || (nbytes && !t->data))
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "tensor '%s': holds %zu bytes of data, shape needs %zu", nm,
		                   t->data ? t->nbytes : 0, nbytes);
	p->n_dims = (size_t)t->ndim;
	p->dims = (int64_t *)t->dims;
	p->has_data_type = 1;
	p->data_type = t->dtype;
	p->name = t->name;
	p->doc_string = t->doc_string;
	stored = stored_bytes(t->dtype, numel, es);
	if (t->dtype == AIMET_STRING) {
		const struct aimet_string *s = t->data;
		p->n_string_data = numel;
		p->string_data = aimet_onnx_arena_alloc(a, numel, sizeof(*p->string_data));
		if (!p->string_data)
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < numel; i++) {
			p->string_data[i].len = s[i].len;
			p->string_data[i].data = (uint8_t *)s[i].data;
		}
	} else {
		const uint8_t *src = t->data;
		if (is_4bit(t->dtype)) {
			uint8_t *pk = aimet_onnx_arena_alloc(a, stored, 1);
			if (!pk)
				return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			for (size_t i = 0; i < numel; i++)
				pk[i / 2] |= (uint8_t)((src[i] & 15) << ((i & 1) * 4));
			src = pk;
		}
		if (ext && ext->fp && stored && stored >= ext->min_bytes) {
			char num[32];
			p->has_data_location = 1;
			p->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
			p->n_external_data = 3;
			p->external_data = aimet_onnx_arena_alloc(a, 3, sizeof(*p->external_data));
			if (!p->external_data || !(p->external_data[0] = kv(a, "location", ext->location)))
				return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			snprintf(num, sizeof(num), "%" PRIu64, ext->offset);
			if (!(p->external_data[1] = kv(a, "offset", num)))
				return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			snprintf(num, sizeof(num), "%zu", stored);
			if (!(p->external_data[2] = kv(a, "length", num)))
				return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			if (fwrite(src, 1, stored, ext->fp) != stored)
				return aimet_error(ctx, AIMET_ERR_IO, "cannot write external data '%s': %s",
				                   ext->location, strerror(errno));
			ext->offset += stored;
		} else {
			p->has_raw_data = 1;
			p->raw_data.len = stored;
			p->raw_data.data = (uint8_t *)src;
		}
	}
	if (t->extra.len) {
		ProtobufCMessageUnknownField *u;
		unsigned n;
		if (aimet_onnx_blob_to_unknown(&t->extra, &u, &n))
			return aimet_error(ctx, AIMET_ERR_INVALID, "tensor '%s': malformed extra fields", nm);
		if (aimet_onnx_arena_own(a, u))
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		p->base.n_unknown_fields = n;
		p->base.unknown_fields = u;
	}
	return AIMET_OK;
}

/* ---- .pb files ---- */

int aimet_tensor_parse_pb(struct aimet_ctx *ctx, const void *buf, size_t len,
                          struct aimet_tensor **out)
{
	Onnx__TensorProto *p;
	int rc;
	if (aimet_onnx_wire_check(&onnx__tensor_proto__descriptor, buf, len))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "not an ONNX tensor (protobuf parse failed)");
	p = onnx__tensor_proto__unpack(NULL, len, buf);
	if (!p)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "not an ONNX tensor (protobuf parse failed)");
	rc = aimet_onnx_tensor_from_proto(ctx, p, NULL, out);
	onnx__tensor_proto__free_unpacked(p, NULL);
	return rc;
}

int aimet_tensor_read_pb(struct aimet_ctx *ctx, const char *path, struct aimet_tensor **out)
{
	uint8_t *buf;
	size_t len;
	int rc = aimet_onnx_read_file(ctx, path, (size_t)1 << 32, &buf, &len);
	if (rc)
		return rc;
	rc = aimet_tensor_parse_pb(ctx, buf, len, out);
	free(buf);
	if (rc)
		aimet_error_prefix(ctx, rc, "'%s'", strcmp(path, "-") ? path : "<stdin>");
	return rc;
}

int aimet_tensor_serialize_pb(struct aimet_ctx *ctx, const struct aimet_tensor *t, uint8_t **buf,
                              size_t *len)
{
	struct aimet_onnx_arena a = {0};
	Onnx__TensorProto p;
	int rc = aimet_onnx_tensor_to_proto(ctx, t, &p, &a, NULL);
	if (!rc) {
		size_t n = onnx__tensor_proto__get_packed_size(&p);
		*buf = malloc(n ? n : 1);
		if (!*buf)
			rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		else
			*len = onnx__tensor_proto__pack(&p, *buf);
	}
	aimet_onnx_arena_free(&a);
	return rc;
}

int aimet_tensor_write_pb(struct aimet_ctx *ctx, const struct aimet_tensor *t, const char *path)
{
	uint8_t *buf;
	size_t len;
	int rc = aimet_tensor_serialize_pb(ctx, t, &buf, &len);
	if (rc)
		return rc;
	if (!strcmp(path, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
			rc = aimet_error(ctx, AIMET_ERR_IO, "cannot write <stdout>: %s", strerror(errno));
	} else {
		char *tmp;
		FILE *fp;
		rc = aimet_tmpfile_create(ctx, path, &tmp, &fp);
		if (!rc) {
			if (fwrite(buf, 1, len, fp) != len) {
				aimet_tmpfile_discard(fp, tmp);
				rc = aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
			} else {
				rc = aimet_tmpfile_commit(ctx, fp, tmp, path);
			}
			free(tmp);
		}
	}
	free(buf);
	return rc;
}
