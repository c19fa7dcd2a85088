/* wire.c: protobuf wire-level helpers for the ONNX loader/saver — a depth-limited structural
 * check run before protobuf-c sees untrusted bytes, unknown-field blobs, arenas, file reading. */
#include "onnx_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t c;
		if (*pos >= len)
			return -1;
		c = p[(*pos)++];
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Skip one field's payload; on return *pos is past it and [*pstart, *pos) is the payload
 * (for length-delimited fields: the content without the length prefix). */
static int skip_payload(const uint8_t *p, size_t len, size_t *pos, unsigned wire, size_t *cstart)
{
	uint64_t v;
	switch (wire) {
	case 0:
		return read_varint(p, len, pos, &v);
	case 1:
		if (len - *pos < 8)
			return -1;
		*pos += 8;
		return 0;
	case 5:
		if (len - *pos < 4)
			return -1;
		*pos += 4;
		return 0;
	case 2:
		if (read_varint(p, len, pos, &v) || v > len - *pos)
			return -1;
		*cstart = *pos;
		*pos += (size_t)v;
		return 0;
	default:
		return -1;   /* groups (3, 4) are not used by ONNX and not accepted */
	}
}

static int check(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len, int depth)
{
	size_t pos = 0;
	if (depth > AIMET_ONNX_MAX_DEPTH)
		return -1;
	while (pos < len) {
		uint64_t tag;
		size_t cstart = 0;
		unsigned wire;
		if (read_varint(p, len, &pos, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
			return -1;
		wire = (unsigned)(tag & 7);
		if (skip_payload(p, len, &pos, wire, &cstart))
			return -1;
		if (wire == 2 && desc) {
			const ProtobufCFieldDescriptor *f =
				protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3));
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    check(f->descriptor, p + cstart, pos - cstart, depth + 1))
				return -1;
		}
	}
	return 0;
}

int aimet_onnx_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len)
{
	return check(desc, buf, len, 0);
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		out[n++] = c | (v ? 0x80 : 0);
	} while (v);
	return n;
}

static int blob_reserve(struct aimet_blob *b, size_t more, uint8_t **at)
{
	size_t need;
	uint8_t *d;
	if (aimet_add_size(b->len, more, &need))
		return -1;
	d = realloc(b->data, need ? need : 1);
	if (!d)
		return -1;
	b->data = d;
	*at = d + b->len;
	return 0;
}

int aimet_onnx_unknown_to_blob(const ProtobufCMessage *msg, struct aimet_blob *b)
{
	for (unsigned i = 0; i < msg->n_unknown_fields; i++) {
		const ProtobufCMessageUnknownField *u = &msg->unknown_fields[i];
		uint8_t *at;
		size_t n;
		if (blob_reserve(b, 10 + u->len, &at))
			return -1;
		n = put_varint(at, ((uint64_t)u->tag << 3) | (unsigned)u->wire_type);
		if (u->len)
			memcpy(at + n, u->data, u->len);
		b->len += n + u->len;
	}
	return 0;
}

int aimet_onnx_blob_to_unknown(const struct aimet_blob *b, ProtobufCMessageUnknownField **out,
                               unsigned *n)
{
	size_t pos = 0, cap = 0;
	ProtobufCMessageUnknownField *arr = NULL;
	unsigned cnt = 0;
	while (pos < b->len) {
		uint64_t tag;
		size_t start, cstart = 0;
		unsigned wire;
		if (read_varint(b->data, b->len, &pos, &tag) || (tag >> 3) == 0 ||
		    (tag >> 3) > 0x1fffffff)
			goto bad;
		wire = (unsigned)(tag & 7);
		start = pos;
		if (skip_payload(b->data, b->len, &pos, wire, &cstart))
			goto bad;
		if (aimet_grow((void **)&arr, &cap, (size_t)cnt + 1, sizeof(*arr)))
			goto bad;
		arr[cnt].tag = (uint32_t)(tag >> 3);
		arr[cnt].wire_type = (ProtobufCWireType)wire;
		arr[cnt].len = pos - start;
		arr[cnt].data = b->data + start;
		cnt++;
	}
	*out = arr;
	*n = cnt;
	return 0;
bad:
	free(arr);
	return -1;
}

int aimet_onnx_blob_append_field(struct aimet_blob *b, uint32_t field, const uint8_t *p, size_t n)
{
	uint8_t *at;
	size_t k;
	if (blob_reserve(b, 20 + n, &at))
		return -1;
	k = put_varint(at, ((uint64_t)field << 3) | 2);
	k += put_varint(at + k, n);
	if (n)
		memcpy(at + k, p, n);
	b->len += k + n;
	return 0;
}

int aimet_onnx_pack_blob(const ProtobufCMessage *msg, struct aimet_blob *b)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	b->data = malloc(n ? n : 1);
	if (!b->data)
		return -1;
	b->len = protobuf_c_message_pack(msg, b->data);
	return 0;
}

void *aimet_onnx_arena_alloc(struct aimet_onnx_arena *a, size_t count, size_t size)
{
	void *p;
	if (aimet_grow((void **)&a->ptrs, &a->cap, a->n + 1, sizeof(void *)))
		return NULL;
	p = aimet_calloc(count, size);
	if (p)
		a->ptrs[a->n++] = p;
	return p;
}

int aimet_onnx_arena_own(struct aimet_onnx_arena *a, void *p)
{
	if (aimet_grow((void **)&a->ptrs, &a->cap, a->n + 1, sizeof(void *))) {
		free(p);
		return -1;
	}
	a->ptrs[a->n++] = p;
	return 0;
}

int aimet_onnx_arena_own_msg(struct aimet_onnx_arena *a, ProtobufCMessage *m)
{
	if (aimet_grow((void **)&a->msgs, &a->cap_msgs, a->n_msgs + 1, sizeof(*a->msgs))) {
		protobuf_c_message_free_unpacked(m, NULL);
		return -1;
	}
	a->msgs[a->n_msgs++] = m;
	return 0;
}

void aimet_onnx_arena_free(struct aimet_onnx_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->ptrs[i]);
	free(a->ptrs);
	for (size_t i = 0; i < a->n_msgs; i++)
		protobuf_c_message_free_unpacked(a->msgs[i], NULL);
	free(a->msgs);
	memset(a, 0, sizeof(*a));
}

int aimet_onnx_read_file(struct aimet_ctx *ctx, const char *path, size_t max, uint8_t **buf,
                         size_t *len)
{
	int is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	const char *shown = is_stdin ? "<stdin>" : path;
	struct stat st;
	uint8_t *data = NULL;
	size_t n = 0, cap = 0;
	if (fd < 0)
		return aimet_error(ctx, AIMET_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		int e = errno;
		if (!is_stdin)
			close(fd);
		return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", shown, strerror(e));
	}
	if (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		if (!is_stdin)
			close(fd);
		if (!is_stdin || S_ISDIR(st.st_mode))
			return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': not a regular file", shown);
		/* a terminal on stdin is allowed to be read, though it is rarely useful */
	}
	if (!is_stdin) {
		/* O_NONBLOCK only kept open() of a FIFO from hanging; reads should block */
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > max) {
			if (!is_stdin)
				close(fd);
			return aimet_error(ctx, AIMET_ERR_LIMIT, "'%s' is too large (%lld bytes)", shown,
			                   (long long)st.st_size);
		}
		cap = (size_t)st.st_size + 1;
		data = malloc(cap);
		if (!data)
			goto oom;
	}
	for (;;) {
		ssize_t r;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *d;
			if (cap > max)
				goto too_big;
			d = realloc(data, ncap);
			if (!d)
				goto oom;
			data = d;
			cap = ncap;
		}
		r = read(fd, data + n, cap - n);
		if (r < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			free(data);
			if (!is_stdin)
				close(fd);
			return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", shown, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			goto too_big;
	}
	if (!is_stdin)
		close(fd);
	*buf = data;
	*len = n;
	return AIMET_OK;
too_big:
	free(data);
	if (!is_stdin)
		close(fd);
	return aimet_error(ctx, AIMET_ERR_LIMIT, "'%s' is too large (over %zu bytes)", shown, max);
oom:
	free(data);
	if (!is_stdin)
		close(fd);
	return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory reading '%s'", shown);
}
