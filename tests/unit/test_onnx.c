/* test_onnx.c: the ONNX loader/saver on models built in memory and on hand-encoded protobuf —
 * every dtype and storage form, preserved unknown fields, external data and its path checks,
 * truncated, corrupt and hostile input, .pb tensors. */
#include "aimet.h"
#include "aimet_ir.h"
#include "aimet_onnx.h"
#include "../test.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct aimet_ctx *ctx;
static char tmpdir[256];

/* ---- a tiny protobuf encoder for hand-made messages ---- */
struct pb { uint8_t *d; size_t n, cap; };

static void pb_raw(struct pb *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->d = realloc(b->d, b->cap);
	}
	memcpy(b->d + b->n, p, n);
	b->n += n;
}
static void pb_varint(struct pb *b, uint64_t v)
{
	uint8_t c[10];
	size_t k = 0;
	do {
		c[k] = v & 0x7f;
		v >>= 7;
		c[k++] |= v ? 0x80 : 0;
	} while (v);
	pb_raw(b, c, k);
}
static void pb_int(struct pb *b, int f, int64_t v) { pb_varint(b, (uint64_t)f << 3); pb_varint(b, (uint64_t)v); }
static void pb_bytes(struct pb *b, int f, const void *p, size_t n)
{
	pb_varint(b, ((uint64_t)f << 3) | 2);
	pb_varint(b, n);
	pb_raw(b, p, n);
}
static void pb_str(struct pb *b, int f, const char *s) { pb_bytes(b, f, s, strlen(s)); }
static void pb_msg(struct pb *b, int f, struct pb *sub) { pb_bytes(b, f, sub->d, sub->n); free(sub->d); memset(sub, 0, sizeof(*sub)); }
static void pb_float(struct pb *b, int f, float v) { pb_varint(b, ((uint64_t)f << 3) | 5); pb_raw(b, &v, 4); }

static void *memmem_(const void *h, size_t hn, const void *n, size_t nn)
{
	for (size_t i = 0; nn <= hn && i <= hn - nn; i++)
		if (!memcmp((const char *)h + i, n, nn))
			return (char *)h + i;
	return NULL;
}

/* ---- building models with the API ---- */

static struct aimet_tensor *mk_tensor(const char *name, int dtype, int ndim, const int64_t *dims)
{
	struct aimet_tensor *t = aimet_tensor_new(name, dtype, ndim, dims);
	if (!t || aimet_tensor_alloc(ctx, t)) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (dtype == AIMET_STRING) {
		struct aimet_string *s = t->data;
		for (int64_t i = 0; i < aimet_tensor_numel(t); i++) {
			char buf[32];
			snprintf(buf, sizeof(buf), "s%lld\xc3\xa9", (long long)i);
			s[i].data = strdup(buf);
			s[i].len = strlen(buf);
		}
	} else {
		uint8_t *d = t->data;
		for (size_t i = 0; i < t->nbytes; i++)
			d[i] = (uint8_t)(i * 37 + dtype);
		if (dtype == AIMET_INT4)
			for (size_t i = 0; i < t->nbytes; i++)
				d[i] = (uint8_t)(int8_t)((int)(i % 16) - 8);
		if (dtype == AIMET_UINT4 || dtype == AIMET_BOOL)
			for (size_t i = 0; i < t->nbytes; i++)
				d[i] = (uint8_t)(i % (dtype == AIMET_BOOL ? 2 : 16));
	}
	return t;
}

static void vi_set(struct aimet_value_info *v, const char *name, int elem, int ndim, const int64_t *dims,
                   const char *param)
{
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	v->elem_type = elem;
	v->has_shape = 1;
	v->ndim = ndim;
	v->dims = calloc((size_t)ndim + 1, sizeof(*v->dims));
	for (int i = 0; i < ndim; i++) {
		v->dims[i].value = dims[i];
		if (i == 0 && param) {
			v->dims[i].value = -1;
			v->dims[i].param = strdup(param);
			v->dims[i].denotation = strdup("DATA_BATCH");
		}
	}
}

/* A small model touching every IR field: x -> Conv(W, B) -> Relu -> y, every dtype as an
 * initializer, a Constant node, an op with attributes of every plain kind. */
static struct aimet_model *build_model(void)
{
	struct aimet_model *m = calloc(1, sizeof(*m));
	struct aimet_graph *g = calloc(1, sizeof(*g));
	int64_t xd[4] = {1, 3, 5, 5}, wd[4] = {4, 3, 3, 3}, bd[1] = {4}, odd[2] = {3, 3}, e[1] = {0};
	static const int dtypes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22};
	struct aimet_node *n;
	float fl[3] = {1.5f, -2.0f, NAN};
	int64_t in[3] = {1, -1, INT64_MAX};
	m->ir_version = 8;
	m->n_opsets = 2;
	m->opsets = calloc(2, sizeof(*m->opsets));
	m->opsets[0].domain = strdup("");
	m->opsets[0].version = 13;
	m->opsets[1].domain = strdup("com.example");
	m->opsets[1].version = 1;
	m->producer_name = strdup("test_onnx");
	m->producer_version = strdup("1");
	m->doc_string = strdup("model doc \xe2\x9c\x93");
	m->model_version = 7;
	m->n_metadata = 1;
	m->metadata = calloc(1, sizeof(*m->metadata));
	m->metadata[0].key = strdup("k");
	m->metadata[0].value = strdup("v");
	m->graph = g;
	g->name = strdup("g");
	g->doc_string = strdup("graph doc");
	g->n_inputs = 1;
	g->inputs = calloc(1, sizeof(*g->inputs));
	vi_set(&g->inputs[0], "x", AIMET_FLOAT, 4, xd, "N");
	g->n_outputs = 1;
	g->outputs = calloc(1, sizeof(*g->outputs));
	vi_set(&g->outputs[0], "y", AIMET_FLOAT, 0, NULL, NULL);
	g->outputs[0].has_shape = 0;
	g->n_value_info = 1;
	g->value_info = calloc(1, sizeof(*g->value_info));
	vi_set(&g->value_info[0], "c", AIMET_FLOAT, 4, xd, NULL);
	g->value_info[0].dims[2].value = -1;   /* an unknown dim, neither value nor param */
	aimet_graph_add_initializer(ctx, g, mk_tensor("W", AIMET_FLOAT, 4, wd));
	aimet_graph_add_initializer(ctx, g, mk_tensor("B", AIMET_FLOAT, 1, bd));
	for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "t_%s", aimet_dtype_name(dtypes[i]));
		aimet_graph_add_initializer(ctx, g, mk_tensor(nm, dtypes[i], 2, odd));
	}
	aimet_graph_add_initializer(ctx, g, mk_tensor("scalar", AIMET_INT64, 0, NULL));
	aimet_graph_add_initializer(ctx, g, mk_tensor("empty", AIMET_FLOAT, 1, e));
	g->initializers[0]->doc_string = strdup("weight doc");
	n = aimet_node_new("Conv", "conv", 3, (const char *[]){"x", "W", "B"}, 1, (const char *[]){"c"});
	aimet_node_set_ints(n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
	aimet_node_set_ints(n, "strides", (int64_t[]){1, 1}, 2);
	n->doc_string = strdup("node doc");
	aimet_graph_add_node(ctx, g, g->n_nodes, n);
	n = aimet_node_new("Constant", "k", 0, NULL, 1, (const char *[]){"kval"});
	aimet_node_set_tensor(n, "value", mk_tensor(NULL, AIMET_FLOAT, 1, bd));
	aimet_graph_add_node(ctx, g, g->n_nodes, n);
	n = aimet_node_new("Custom", NULL, 3, (const char *[]){"c", "", "kval"}, 2,
	                   (const char *[]){"y", ""});
	n->domain = strdup("com.example");
	aimet_node_set_float(n, "f", -0.25f);
	aimet_node_set_int(n, "i", -42);
	aimet_node_set_string(n, "s", "hello");
	aimet_node_set_floats(n, "fs", fl, 3);
	aimet_node_set_ints(n, "is", in, 3);
	aimet_node_set_ints(n, "empty_ints", NULL, 0);
	{
		struct aimet_attr *a;
		aimet_node_set_int(n, "ss", 0);
		a = &n->attrs[n->n_attrs - 1];
		a->type = AIMET_ATTR_STRINGS;
		a->n_strings = 2;
		a->strings = calloc(2, sizeof(*a->strings));
		a->strings[0].data = strdup("a");
		a->strings[0].len = 1;
		a->strings[1].data = malloc(4);
		memcpy(a->strings[1].data, "b\0c", 4);
		a->strings[1].len = 3;
		aimet_node_set_int(n, "ts", 0);
		a = &n->attrs[n->n_attrs - 1];
		a->type = AIMET_ATTR_TENSORS;
		a->n_tensors = 2;
		a->tensors = calloc(2, sizeof(*a->tensors));
		a->tensors[0] = mk_tensor("ta", AIMET_INT8, 1, bd);
		a->tensors[1] = mk_tensor("tb", AIMET_STRING, 1, bd);
	}
	aimet_graph_add_node(ctx, g, g->n_nodes, n);
	return m;
}

static struct aimet_model *reload(struct aimet_model *m, uint8_t **bufp, size_t *lenp)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct aimet_model *r = NULL;
	int rc = aimet_model_serialize(ctx, m, &buf, &len);
	CHECK(rc == 0, "serialize: %s", aimet_errmsg(ctx));
	if (rc)
		return NULL;
	rc = aimet_model_load_buffer(ctx, buf, len, NULL, &r);
	CHECK(rc == 0, "reload: %s", aimet_errmsg(ctx));
	if (bufp) {
		*bufp = buf;
		*lenp = len;
	} else {
		free(buf);
	}
	return r;
}

static void test_roundtrip_api_model(void)
{
	struct aimet_model *m = build_model(), *r;
	char why[512];
	uint8_t *buf;
	size_t len;
	r = reload(m, &buf, &len);
	CHECK(r && aimet_model_equal(m, r, why, sizeof(why)), "api model round trip: %s", why);
	if (r) {
		const struct aimet_tensor *t4 = aimet_graph_find_initializer(r->graph, "t_int4", NULL);
		const struct aimet_node *c = r->graph->nodes[2];
		CHECK(t4 && t4->nbytes == 9 && ((int8_t *)t4->data)[0] == -8 && ((int8_t *)t4->data)[8] == 0,
		      "int4 unpacked to one byte each");
		CHECK(!strcmp(aimet_node_attr_str(c, "s", "?"), "hello"), "string attr NUL-terminated");
		CHECK(aimet_node_attr_float(c, "f", 0) == -0.25f && aimet_node_attr_int(c, "i", 0) == -42,
		      "scalar attrs");
		CHECK(r->graph->inputs[0].dims[0].param && !strcmp(r->graph->inputs[0].dims[0].param, "N") &&
		      r->graph->inputs[0].dims[0].value == -1, "symbolic dim kept");
		CHECK(r->graph->value_info[0].dims[2].value == -1 && !r->graph->value_info[0].dims[2].param,
		      "unknown dim kept");
		CHECK(!r->graph->outputs[0].has_shape && r->graph->outputs[0].elem_type == AIMET_FLOAT,
		      "no shape kept distinct from rank 0");
		CHECK(c->outputs[1][0] == 0 && c->inputs[1][0] == 0, "omitted optional names kept");
		CHECK(c->attrs[6].strings[1].len == 3 && !memcmp(c->attrs[6].strings[1].data, "b\0c", 3),
		      "strings with NUL bytes");
	}
	/* int4 on the wire: two per byte, low nibble first: -8,-7 -> 0x98 */
	{
		static const uint8_t want[] = {0x98, 0xba, 0xdc, 0xfe, 0x00};
		CHECK(memmem_(buf, len, want, sizeof(want)) != NULL, "int4 packed on the wire");
	}
	/* a changed weight bit is a difference, and `why` says where */
	if (r) {
		((uint8_t *)r->graph->initializers[0]->data)[5] ^= 1;
		CHECK(!aimet_model_equal(m, r, why, sizeof(why)) && strstr(why, "'W'"), "diff found: %s", why);
	}
	aimet_model_free(r);
	free(buf);
	aimet_model_free(m);
}

/* ---- TensorProto storage forms (hand-encoded) ---- */

static struct aimet_tensor *parse(struct pb *b, int expect_ok)
{
	struct aimet_tensor *t = NULL;
	int rc = aimet_tensor_parse_pb(ctx, b->d, b->n, &t);
	if (expect_ok)
		CHECK(rc == 0, "parse failed: %s", aimet_errmsg(ctx));
	else
		CHECK(rc != 0 && !t, "parse should fail");
	free(b->d);
	memset(b, 0, sizeof(*b));
	return t;
}

static void packed_i64(struct pb *b, int f, const int64_t *v, size_t n)
{
	struct pb s = {0};
	for (size_t i = 0; i < n; i++)
		pb_varint(&s, (uint64_t)v[i]);
	pb_msg(b, f, &s);
}

static void test_storage_forms(void)
{
	struct pb b = {0};
	struct aimet_tensor *t;
	/* float_data, packed */
	{
		float v[3] = {1, -2.5f, 3e38f};
		pb_int(&b, 1, 3);
		pb_int(&b, 2, AIMET_FLOAT);
		pb_bytes(&b, 4, v, sizeof(v));
		pb_str(&b, 8, "f");
		t = parse(&b, 1);
		CHECK(t && t->ndim == 1 && t->dims[0] == 3 && !memcmp(t->data, v, 12), "float_data");
		aimet_tensor_free(t);
	}
	/* float_data, unpacked (one fixed32 per element) */
	pb_int(&b, 1, 2);
	pb_int(&b, 2, AIMET_FLOAT);
	pb_float(&b, 4, 0.5f);
	pb_float(&b, 4, -1.0f);
	t = parse(&b, 1);
	CHECK(t && ((float *)t->data)[0] == 0.5f && ((float *)t->data)[1] == -1.0f, "float_data unpacked");
	aimet_tensor_free(t);
	/* int32_data holds int8/uint8/int16/uint16/bool/float16/bfloat16 */
	{
		static const int dts[] = {AIMET_INT8, AIMET_UINT8, AIMET_INT16, AIMET_UINT16, AIMET_BOOL,
		                          AIMET_FLOAT16, AIMET_BFLOAT16, AIMET_INT32};
		int64_t vals[4][2] = {{-5, 100}, {1, 0}, {0x3c00, 0xc000}, {0x3f80, 0xc000}};
		for (size_t k = 0; k < sizeof(dts) / sizeof(dts[0]); k++) {
			int dt = dts[k], half = dt == AIMET_FLOAT16 || dt == AIMET_BFLOAT16;
			int64_t *v = dt == AIMET_BOOL ? vals[1] : dt == AIMET_FLOAT16 ? vals[2] :
			             dt == AIMET_BFLOAT16 ? vals[3] : vals[0];
			int64_t want0 = half ? 1 : dt == AIMET_UINT8 ? 251 : dt == AIMET_UINT16 ? 65531 : v[0];
			pb_int(&b, 1, 2);
			pb_int(&b, 2, dt);
			packed_i64(&b, 5, v, 2);
			t = parse(&b, 1);
			CHECK(t && aimet_tensor_get_i64(t, 0) == want0 && aimet_tensor_get_i64(t, 1) == (half ? -2 : v[1]),
			      "int32_data for %s", aimet_dtype_name(dt));
			aimet_tensor_free(t);
		}
	}
	/* int64_data, uint64_data for uint32/uint64, double_data, string_data */
	{
		int64_t v[2] = {INT64_MIN, 12345678901234LL};
		pb_int(&b, 1, 2);
		pb_int(&b, 2, AIMET_INT64);
		packed_i64(&b, 7, v, 2);
		t = parse(&b, 1);
		CHECK(t && !memcmp(t->data, v, 16), "int64_data");
		aimet_tensor_free(t);
		pb_int(&b, 1, 2);
		pb_int(&b, 2, AIMET_UINT64);
		packed_i64(&b, 11, (int64_t[]){-1, 7}, 2);
		t = parse(&b, 1);
		CHECK(t && ((uint64_t *)t->data)[0] == UINT64_MAX && ((uint64_t *)t->data)[1] == 7, "uint64_data");
		aimet_tensor_free(t);
		pb_int(&b, 1, 2);
		pb_int(&b, 2, AIMET_UINT32);
		packed_i64(&b, 11, (int64_t[]){4000000000LL, 7}, 2);
		t = parse(&b, 1);
		CHECK(t && t->nbytes == 8 && ((uint32_t *)t->data)[0] == 4000000000u, "uint64_data for uint32");
		aimet_tensor_free(t);
	}
	{
		double d[4] = {1.0 / 3, -0.0, 2, 3};
		pb_int(&b, 1, 2);
		pb_int(&b, 2, AIMET_COMPLEX128);
		pb_bytes(&b, 10, d, sizeof(d));
		t = parse(&b, 1);
		CHECK(t && t->nbytes == 32 && !memcmp(t->data, d, 32), "double_data for complex128");
		aimet_tensor_free(t);
	}
	pb_int(&b, 1, 2);
	pb_int(&b, 2, AIMET_STRING);
	pb_str(&b, 6, "ab");
	pb_bytes(&b, 6, "", 0);
	t = parse(&b, 1);
	CHECK(t && ((struct aimet_string *)t->data)[0].len == 2 &&
	      !strcmp(((struct aimet_string *)t->data)[0].data, "ab") &&
	      ((struct aimet_string *)t->data)[1].len == 0, "string_data");
	aimet_tensor_free(t);
	/* int4 in int32_data: one packed byte per int32; uint4 in raw_data */
	pb_int(&b, 1, 3);
	pb_int(&b, 2, AIMET_INT4);
	packed_i64(&b, 5, (int64_t[]){0x7f, 0x08}, 2);
	t = parse(&b, 1);
	CHECK(t && t->nbytes == 3 && ((int8_t *)t->data)[0] == -1 && ((int8_t *)t->data)[1] == 7 &&
	      ((int8_t *)t->data)[2] == -8, "int4 in int32_data");
	aimet_tensor_free(t);
	pb_int(&b, 1, 3);
	pb_int(&b, 2, AIMET_UINT4);
	pb_bytes(&b, 9, "\x21\x0f", 2);
	t = parse(&b, 1);
	CHECK(t && ((uint8_t *)t->data)[0] == 1 && ((uint8_t *)t->data)[1] == 2 && ((uint8_t *)t->data)[2] == 15,
	      "uint4 in raw_data");
	aimet_tensor_free(t);
	/* scalar (no dims) and empty tensors */
	pb_int(&b, 2, AIMET_FLOAT);
	pb_bytes(&b, 9, "\0\0\x80\x3f", 4);
	t = parse(&b, 1);
	CHECK(t && t->ndim == 0 && ((float *)t->data)[0] == 1.0f, "scalar raw");
	aimet_tensor_free(t);
	pb_int(&b, 1, 0);
	pb_int(&b, 1, 5);
	pb_int(&b, 2, AIMET_FLOAT);
	t = parse(&b, 1);
	CHECK(t && t->ndim == 2 && t->nbytes == 0, "empty tensor without data");
	aimet_tensor_free(t);

	/* refusals: data length vs dims, negative dims, overflow, too many dims, bad dtype */
	pb_int(&b, 1, 3);
	pb_int(&b, 2, AIMET_FLOAT);
	pb_bytes(&b, 9, "12345678", 8);
	parse(&b, 0);
	CHECK(strstr(aimet_errmsg(ctx), "raw_data has 8 bytes"), "length message: %s", aimet_errmsg(ctx));
	pb_int(&b, 1, -3);
	pb_int(&b, 2, AIMET_FLOAT);
	parse(&b, 0);
	CHECK(strstr(aimet_errmsg(ctx), "negative"), "negative dim message: %s", aimet_errmsg(ctx));
	pb_int(&b, 1, (int64_t)1 << 40);
	pb_int(&b, 1, (int64_t)1 << 40);
	pb_int(&b, 2, AIMET_FLOAT);
	pb_bytes(&b, 9, "1234", 4);
	parse(&b, 0);
	CHECK(strstr(aimet_errmsg(ctx), "overflow"), "overflow message: %s", aimet_errmsg(ctx));
	pb_int(&b, 1, (int64_t)1 << 40);
	pb_int(&b, 2, AIMET_FLOAT);
	pb_bytes(&b, 9, "1234", 4);
	parse(&b, 0);   /* 4 TiB claimed, 4 bytes present: refused before allocating */
	pb_int(&b, 1, (int64_t)1 << 40);
	pb_int(&b, 2, AIMET_FLOAT);
	parse(&b, 0);
	CHECK(strstr(aimet_errmsg(ctx), "no data"), "no data message: %s", aimet_errmsg(ctx));
	for (int i = 0; i < 9; i++)
		pb_int(&b, 1, 1);
	pb_int(&b, 2, AIMET_FLOAT);
	pb_bytes(&b, 9, "1234", 4);
	parse(&b, 0);
	pb_int(&b, 1, 1);
	pb_int(&b, 2, 99);
	pb_bytes(&b, 9, "1234", 4);
	parse(&b, 0);
	CHECK(strstr(aimet_errmsg(ctx), "data type 99"), "dtype message: %s", aimet_errmsg(ctx));
	pb_int(&b, 1, 2);
	pb_int(&b, 2, AIMET_INT32);
	packed_i64(&b, 5, (int64_t[]){1, 2, 3}, 3);
	parse(&b, 0);
	pb_int(&b, 1, 1);
	pb_int(&b, 2, AIMET_STRING);
	pb_bytes(&b, 9, "x", 1);
	parse(&b, 0);
	/* external data is refused in a lone .pb tensor */
	{
		struct pb e = {0};
		pb_int(&b, 1, 1);
		pb_int(&b, 2, AIMET_FLOAT);
		pb_str(&e, 1, "location");
		pb_str(&e, 2, "w.bin");
		pb_msg(&b, 13, &e);
		pb_int(&b, 14, 1);
		parse(&b, 0);
		CHECK(strstr(aimet_errmsg(ctx), "external data is not allowed"), "ext in pb: %s", aimet_errmsg(ctx));
	}
}

static void test_pb_files(void)
{
	char p[512];
	int64_t d[3] = {2, 3, 4};
	struct aimet_tensor *t = mk_tensor("input_0", AIMET_FLOAT, 3, d), *u = NULL, *s, *v = NULL;
	snprintf(p, sizeof(p), "%s/input_0.pb", tmpdir);
	CHECK(aimet_tensor_write_pb(ctx, t, p) == 0, "write_pb: %s", aimet_errmsg(ctx));
	CHECK(aimet_tensor_read_pb(ctx, p, &u) == 0, "read_pb: %s", aimet_errmsg(ctx));
	CHECK(u && aimet_tensor_equal(t, u) && !strcmp(u->name, "input_0"), "pb file round trip");
	s = mk_tensor("s", AIMET_STRING, 1, d);
	CHECK(aimet_tensor_write_pb(ctx, s, p) == 0 && aimet_tensor_read_pb(ctx, p, &v) == 0 &&
	      aimet_tensor_equal(s, v), "string pb round trip");
	snprintf(p, sizeof(p), "%s/missing.pb", tmpdir);
	CHECK(aimet_tensor_read_pb(ctx, p, &u) == AIMET_ERR_IO && strstr(aimet_errmsg(ctx), "missing.pb"),
	      "missing file: %s", aimet_errmsg(ctx));
	snprintf(p, sizeof(p), "%s/nodir/x.pb", tmpdir);
	CHECK(aimet_tensor_write_pb(ctx, t, p) == AIMET_ERR_IO, "write into a missing dir fails");
	aimet_tensor_free(t);
	aimet_tensor_free(u);
	aimet_tensor_free(s);
	aimet_tensor_free(v);
}

/* ---- files, external data and their path checks ---- */

static size_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) ? 0 : (size_t)st.st_size;
}

static void write_file(const char *p, const void *d, size_t n)
{
	FILE *f = fopen(p, "wb");
	if (f) {
		fwrite(d, 1, n, f);
		fclose(f);
	}
}

static uint8_t *read_all(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	uint8_t *d;
	*n = file_size(p);
	d = malloc(*n + 1);
	if (f) {
		*n = fread(d, 1, *n, f);
		fclose(f);
	}
	return d;
}

/* Load `model` with its location string `from` replaced by `to` (same length). */
static int load_patched(const uint8_t *buf, size_t len, const char *from, const char *to,
                        const char *name)
{
	uint8_t *c = malloc(len);
	char p[512];
	struct aimet_model *m = NULL;
	uint8_t *at;
	int rc;
	memcpy(c, buf, len);
	while ((at = memmem_(c, len, from, strlen(from))))
		memcpy(at, to, strlen(to));
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	write_file(p, c, len);
	free(c);
	rc = aimet_model_load(ctx, p, &m);
	aimet_model_free(m);
	return rc;
}

static void test_external_data(void)
{
	struct aimet_model *m = build_model(), *r = NULL;
	struct aimet_save_opts o = {64, "weights_file.bin"};
	char p[512], side[512], why[512], outside[512];
	uint8_t *buf;
	size_t len, inline_len;
	snprintf(p, sizeof(p), "%s/model.onnx", tmpdir);
	snprintf(side, sizeof(side), "%s/weights_file.bin", tmpdir);
	CHECK(aimet_model_save(ctx, m, p, NULL) == 0, "save: %s", aimet_errmsg(ctx));
	inline_len = file_size(p);
	CHECK(aimet_model_save(ctx, m, p, &o) == 0, "save external: %s", aimet_errmsg(ctx));
	CHECK(file_size(side) > 0 && file_size(p) < inline_len, "side file written (%zu, model %zu < %zu)",
	      file_size(side), file_size(p), inline_len);
	CHECK(aimet_model_load(ctx, p, &r) == 0, "load external: %s", aimet_errmsg(ctx));
	CHECK(r && aimet_model_equal(m, r, why, sizeof(why)), "external round trip: %s", why);
	CHECK(r && r->graph->initializers[0]->external_location &&
	      !strcmp(r->graph->initializers[0]->external_location, "weights_file.bin"), "location kept");
	aimet_model_free(r);
	r = NULL;
	/* Constant-node tensors go out too: the Constant's 4 floats stay inline at 64 bytes min */
	{
		struct aimet_save_opts o2 = {16, NULL};
		char side2[600];
		snprintf(side2, sizeof(side2), "%s.data", p);
		CHECK(aimet_model_save(ctx, m, p, &o2) == 0 && file_size(side2) > file_size(side),
		      "default side name <model>.data");
		CHECK(aimet_model_load(ctx, p, &r) == 0 && aimet_model_equal(m, r, why, sizeof(why)),
		      "external (constants too) round trip: %s", why);
		aimet_model_free(r);
		r = NULL;
		unlink(side2);
	}
	CHECK(aimet_model_save(ctx, m, "-", &o) == AIMET_ERR_INVALID, "no external data to stdout");
	/* automatic mode switches to external data when the model would not fit inline */
	{
		char side3[600];
		size_t saved = aimet_onnx_inline_limit;
		snprintf(side3, sizeof(side3), "%s.data", p);
		unlink(side3);
		struct aimet_model *big = aimet_model_clone(m);
		int64_t bd = 1024;
		aimet_graph_add_initializer(ctx, big->graph, mk_tensor("big", AIMET_FLOAT, 1, &bd));
		aimet_onnx_inline_limit = 3000;
		CHECK(aimet_model_save(ctx, big, p, NULL) == 0 && file_size(side3) == 4096 && file_size(p) <= 3000,
		      "automatic external data (%zu, side %zu): %s", file_size(p), file_size(side3),
		      aimet_errmsg(ctx));
		CHECK(aimet_model_load(ctx, p, &r) == 0 && aimet_model_equal(big, r, why, sizeof(why)),
		      "automatic external round trip: %s", why);
		aimet_model_free(r);
		r = NULL;
		CHECK(aimet_model_serialize(ctx, big, &buf, &len) == AIMET_ERR_LIMIT, "serialize over the limit");
		CHECK(aimet_model_save(ctx, big, "-", NULL) == AIMET_ERR_INVALID, "stdout over the limit");
		aimet_onnx_inline_limit = 1000;
		CHECK(aimet_model_save(ctx, big, p, NULL) == AIMET_ERR_LIMIT, "too big even with external data");
		aimet_model_free(big);
		aimet_onnx_inline_limit = saved;
		unlink(side3);
	}
	{
		struct aimet_save_opts bad = {64, "../x.bin"};
		CHECK(aimet_model_save(ctx, m, p, &bad) == AIMET_ERR_INVALID, "side name with '/' refused");
	}
	/* the model with external data as bytes: hostile variants of its location */
	CHECK(aimet_model_save(ctx, m, p, &o) == 0, "save external again");
	buf = read_all(p, &len);
	CHECK(aimet_model_load_buffer(ctx, buf, len, NULL, &r) == AIMET_ERR_FORMAT &&
	      strstr(aimet_errmsg(ctx), "not allowed"), "no external data without a directory: %s",
	      aimet_errmsg(ctx));
	CHECK(load_patched(buf, len, "weights_file.bin", "/etc/passwd_xxxx", "abs.onnx") == AIMET_ERR_FORMAT &&
	      strstr(aimet_errmsg(ctx), "leaves the model's directory"), "absolute path: %s", aimet_errmsg(ctx));
	CHECK(load_patched(buf, len, "weights_file.bin", "../weights_f.bin", "up.onnx") == AIMET_ERR_FORMAT,
	      "'..' refused");
	CHECK(load_patched(buf, len, "weights_file.bin", "sub/../weight.bi", "up2.onnx") == AIMET_ERR_FORMAT,
	      "inner '..' refused");
	snprintf(outside, sizeof(outside), "%s.outside", tmpdir);
	{
		/* a symlink out of the directory, to a copy of the real data */
		size_t n;
		uint8_t *d = read_all(side, &n);
		char l[600];
		write_file(outside, d, n);
		free(d);
		snprintf(l, sizeof(l), "%s/link_to_outside_", tmpdir);
		CHECK(symlink(outside, l) == 0, "symlink");
		CHECK(load_patched(buf, len, "weights_file.bin", "link_to_outside_", "sym.onnx") == AIMET_ERR_FORMAT &&
		      strstr(aimet_errmsg(ctx), "leaves"), "symlink out refused: %s", aimet_errmsg(ctx));
		snprintf(l, sizeof(l), "%s/devzero_link____", tmpdir);
		CHECK(symlink("/dev/zero", l) == 0, "symlink");
		CHECK(load_patched(buf, len, "weights_file.bin", "devzero_link____", "zero.onnx") != 0,
		      "/dev/zero refused");
		snprintf(l, sizeof(l), "%s/fifo____________", tmpdir);
		CHECK(mkfifo(l, 0600) == 0, "mkfifo");
		CHECK(load_patched(buf, len, "weights_file.bin", "fifo____________", "fifo.onnx") == AIMET_ERR_FORMAT &&
		      strstr(aimet_errmsg(ctx), "not a regular file"), "fifo refused: %s", aimet_errmsg(ctx));
		snprintf(l, sizeof(l), "%s/inside_link_____", tmpdir);
		CHECK(symlink("weights_file.bin", l) == 0, "symlink");
		CHECK(load_patched(buf, len, "weights_file.bin", "inside_link_____", "in.onnx") == 0,
		      "symlink within the directory accepted: %s", aimet_errmsg(ctx));
		CHECK(load_patched(buf, len, "weights_file.bin", "nonexistent_file", "nx.onnx") == AIMET_ERR_IO,
		      "missing side file");
		unlink(outside);
	}
	/* a side file cut short: offset+length checked against its real size */
	{
		size_t n;
		uint8_t *d = read_all(side, &n);
		write_file(side, d, n / 2);
		free(d);
		CHECK(aimet_model_load(ctx, p, &r) == AIMET_ERR_FORMAT && strstr(aimet_errmsg(ctx), "past the end"),
		      "short side file: %s", aimet_errmsg(ctx));
	}
	free(buf);
	aimet_model_free(m);
}

static void test_save_atomic(void)
{
	struct aimet_model *m = build_model(), *r = NULL;
	char p[512], why[512];
	int fd;
	snprintf(p, sizeof(p), "%s/nodir/m.onnx", tmpdir);
	CHECK(aimet_model_save(ctx, m, p, NULL) == AIMET_ERR_IO, "save into a missing dir fails");
	snprintf(p, sizeof(p), "%s/atomic.onnx", tmpdir);
	CHECK(aimet_model_save(ctx, m, p, NULL) == 0 && aimet_model_load(ctx, p, &r) == 0 &&
	      aimet_model_equal(m, r, why, sizeof(why)), "save/load via file: %s", why);
	aimet_model_free(r);
	r = NULL;
	/* an IR that cannot be saved leaves the old file alone */
	free(m->graph->initializers[0]->data);
	m->graph->initializers[0]->data = NULL;
	CHECK(aimet_model_save(ctx, m, p, NULL) == AIMET_ERR_INVALID, "bad IR refused: %s", aimet_errmsg(ctx));
	CHECK(aimet_model_load(ctx, p, &r) == 0, "previous output intact");
	aimet_model_free(r);
	CHECK(aimet_model_load(ctx, tmpdir, &r) == AIMET_ERR_IO && strstr(aimet_errmsg(ctx), "not a regular"),
	      "directory refused: %s", aimet_errmsg(ctx));
	CHECK(aimet_model_load(ctx, "/dev/zero", &r) == AIMET_ERR_IO, "device refused");
	CHECK(aimet_model_load(ctx, "/nonexistent/m.onnx", &r) == AIMET_ERR_IO &&
	      strstr(aimet_errmsg(ctx), "/nonexistent/m.onnx"), "missing file named: %s", aimet_errmsg(ctx));
	/* no temporaries left behind */
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "ls -a %s | grep -q tmp", tmpdir);
		CHECK(system(cmd) != 0, "no temporary files left");
	}
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0, "output exists");
	if (fd >= 0)
		close(fd);
	aimet_model_free(m);
}

/* ---- hostile and corrupt input ---- */

static void test_hostile(void)
{
	struct aimet_model *m = build_model(), *r = NULL;
	uint8_t *buf, *c;
	size_t len, fails = 0, msg_ok = 0, loaded = 0, bad_corrupt = 0;
	unsigned seed = 12345;
	int rc = aimet_model_serialize(ctx, m, &buf, &len);
	CHECK(rc == 0, "serialize");
	/* every truncation fails cleanly (a few cut exactly between fields may still parse) */
	for (size_t n = 0; n < len; n++) {
		c = malloc(n + 1);
		memcpy(c, buf, n);
		if (aimet_model_load_buffer(ctx, c, n, NULL, &r) != 0) {
			fails++;
			msg_ok += !!strstr(aimet_errmsg(ctx), "not an ONNX model") || !!strstr(aimet_errmsg(ctx), "tensor") ||
			          !!strstr(aimet_errmsg(ctx), "node");
			CHECK(r == NULL, "no model on failure");
		}
		aimet_model_free(r);
		r = NULL;
		free(c);
	}
	CHECK(fails > len * 9 / 10, "truncations refused: %zu of %zu", fails, len);
	CHECK(msg_ok == fails, "truncation messages: %zu of %zu", msg_ok, fails);
	CHECK(aimet_model_load_buffer(ctx, buf, len / 2, NULL, &r) != 0 &&
	      !strcmp(aimet_errmsg(ctx), "not an ONNX model (protobuf parse failed)"),
	      "parse failure message: %s", aimet_errmsg(ctx));
	/* random corruption never crashes */
	c = malloc(len);
	for (int it = 0; it < 3000; it++) {
		memcpy(c, buf, len);
		for (int k = 0; k < 1 + it % 8; k++) {
			seed = seed * 1103515245u + 12345u;
			c[(seed >> 8) % len] = (uint8_t)(seed >> 20);
		}
		if (aimet_model_load_buffer(ctx, c, len, NULL, &r) == 0) {
			uint8_t *b2 = NULL;
			size_t l2;
			struct aimet_model *r2 = NULL;
			/* whatever loads also saves, and reloads as the same IR */
			int ok = aimet_model_serialize(ctx, r, &b2, &l2) == 0 &&
			         aimet_model_load_buffer(ctx, b2, l2, NULL, &r2) == 0 &&
			         aimet_model_equal(r, r2, NULL, 0);
			if (!ok)
				bad_corrupt++;
			loaded++;
			free(b2);
			aimet_model_free(r2);
		}
		aimet_model_free(r);
		r = NULL;
	}
	free(c);
	CHECK(bad_corrupt == 0, "%zu of %zu corrupt-but-loadable models did not round-trip", bad_corrupt, loaded);
	fprintf(stderr, "corruption: %zu of 3000 variants loaded\n", loaded);
	/* not a model at all */
	CHECK(aimet_model_load_buffer(ctx, "hello world, not protobuf", 25, NULL, &r) == AIMET_ERR_FORMAT,
	      "text refused");
	CHECK(aimet_model_load_buffer(ctx, "", 0, NULL, &r) == AIMET_ERR_FORMAT &&
	      strstr(aimet_errmsg(ctx), "no graph"), "empty buffer: %s", aimet_errmsg(ctx));
	/* nesting deeper than protobuf-c can safely recurse: graph -> node -> attr -> graph ... */
	{
		struct pb g = {0};
		pb_str(&g, 2, "inner");
		for (int d = 0; d < 5000; d++) {
			struct pb a = {0}, n = {0}, gg = {0};
			pb_str(&a, 1, "body");
			pb_int(&a, 20, AIMET_ATTR_GRAPH);
			pb_msg(&a, 6, &g);
			pb_str(&n, 4, "If");
			pb_msg(&n, 5, &a);
			pb_msg(&gg, 1, &n);
			g = gg;
		}
		{
			struct pb mm = {0};
			pb_int(&mm, 1, 8);
			pb_msg(&mm, 7, &g);
			CHECK(aimet_model_load_buffer(ctx, mm.d, mm.n, NULL, &r) == AIMET_ERR_FORMAT,
			      "deep nesting refused");
			free(mm.d);
		}
	}
	/* nodes without op_type, values without names */
	{
		struct pb mm = {0}, g = {0}, n = {0}, v = {0};
		pb_str(&n, 1, "x");
		pb_msg(&g, 1, &n);
		pb_msg(&mm, 7, &g);
		CHECK(aimet_model_load_buffer(ctx, mm.d, mm.n, NULL, &r) == AIMET_ERR_FORMAT &&
		      strstr(aimet_errmsg(ctx), "op_type"), "node without op_type: %s", aimet_errmsg(ctx));
		free(mm.d);
		memset(&mm, 0, sizeof(mm));
		pb_str(&v, 3, "doc");
		pb_msg(&g, 11, &v);
		pb_msg(&mm, 7, &g);
		CHECK(aimet_model_load_buffer(ctx, mm.d, mm.n, NULL, &r) == AIMET_ERR_FORMAT &&
		      strstr(aimet_errmsg(ctx), "without a name"), "input without name: %s", aimet_errmsg(ctx));
		free(mm.d);
	}
	free(buf);
	aimet_model_free(m);
}

/* ---- what we do not interpret survives ---- */

static void test_preserved(void)
{
	struct pb mm = {0}, g = {0}, n = {0}, a = {0}, t = {0}, v = {0}, tp = {0}, tt = {0}, x = {0};
	struct aimet_model *m = NULL, *r = NULL;
	uint8_t *out = NULL;
	size_t olen = 0;
	char why[512];
	/* graph attribute (If body), attribute with doc_string, unknown fields at every level */
	/* fields in field-number order, as protobuf writers (and protobuf-c) emit them */
	pb_str(&x, 2, "then_body");
	pb_int(&x, 77, 5);
	pb_str(&n, 1, "cond");
	pb_str(&n, 1, "");
	pb_str(&n, 3, "if");
	pb_str(&n, 4, "If");
	pb_str(&a, 1, "then_branch");
	pb_msg(&a, 6, &x);
	pb_int(&a, 20, AIMET_ATTR_GRAPH);
	pb_msg(&n, 5, &a);
	pb_str(&a, 1, "alpha");
	pb_float(&a, 2, 0.5f);
	pb_str(&a, 13, "attr doc");
	pb_int(&a, 20, AIMET_ATTR_FLOAT);
	pb_int(&a, 99, 1);
	pb_msg(&n, 5, &a);
	pb_int(&n, 60, 123);             /* unknown NodeProto field */
	pb_msg(&g, 1, &n);
	pb_int(&t, 1, 1);
	pb_int(&t, 2, AIMET_FLOAT);
	pb_str(&t, 8, "w");
	pb_bytes(&t, 9, "\0\0\0\0", 4);
	pb_int(&t, 70, 9);               /* unknown TensorProto field */
	pb_msg(&g, 5, &t);
	pb_int(&tt, 1, AIMET_FLOAT);
	pb_msg(&tp, 1, &tt);
	pb_str(&tp, 6, "IMAGE");         /* denotation: kept as raw type */
	pb_str(&v, 1, "in");
	pb_msg(&v, 2, &tp);
	pb_int(&v, 50, 4);               /* unknown ValueInfoProto field */
	pb_msg(&g, 11, &v);
	pb_str(&x, 1, "w");              /* quantization_annotation (14) */
	pb_msg(&g, 14, &x);
	pb_int(&g, 90, 1);               /* unknown GraphProto field */
	pb_int(&mm, 1, 8);
	pb_msg(&mm, 7, &g);
	pb_str(&x, 1, "myfunc");         /* functions (25) */
	pb_str(&x, 10, "com.example");
	pb_msg(&mm, 25, &x);
	pb_int(&mm, 100, 42);            /* unknown ModelProto fields */
	pb_str(&mm, 101, "future");
	CHECK(aimet_model_load_buffer(ctx, mm.d, mm.n, NULL, &m) == 0, "hand model: %s", aimet_errmsg(ctx));
	if (m) {
		const struct aimet_node *nd = m->graph->nodes[0];
		CHECK(nd->attrs[0].type == AIMET_ATTR_GRAPH && nd->attrs[0].raw.len > 0, "graph attr kept raw");
		CHECK(nd->attrs[1].type == AIMET_ATTR_FLOAT && nd->attrs[1].f == 0.5f && nd->attrs[1].raw.len > 0,
		      "float attr typed, doc kept aside");
		CHECK(nd->extra.len > 0 && m->graph->initializers[0]->extra.len > 0 &&
		      m->graph->inputs[0].extra.len > 0 && m->graph->inputs[0].raw_type.len > 0,
		      "unknown fields kept per level");
		CHECK(m->graph->n_opaque == 2 && m->graph->opaque_field[0] == 14 && m->graph->opaque_field[1] == 90,
		      "graph opaque entries");
		CHECK(m->n_opaque == 3 && m->opaque_field[0] == 25 && m->opaque_field[1] == 100 &&
		      m->opaque_field[2] == 101, "model opaque entries");
		CHECK(aimet_model_serialize(ctx, m, &out, &olen) == 0, "serialize preserved");
		/* byte-identical: every field was either written in field order or kept verbatim */
		CHECK(olen == mm.n && !memcmp(out, mm.d, olen), "re-serialized bytes identical (%zu vs %zu)",
		      olen, mm.n);
		CHECK(aimet_model_load_buffer(ctx, out, olen, NULL, &r) == 0 &&
		      aimet_model_equal(m, r, why, sizeof(why)), "preserved round trip: %s", why);
		/* editing the typed value of an attribute with preserved extras takes effect */
		m->graph->nodes[0]->attrs[1].f = 2.0f;
		aimet_model_free(r);
		r = NULL;
		free(out);
		out = NULL;
		CHECK(aimet_model_serialize(ctx, m, &out, &olen) == 0 &&
		      aimet_model_load_buffer(ctx, out, olen, NULL, &r) == 0 &&
		      r->graph->nodes[0]->attrs[1].f == 2.0f && memmem_(out, olen, "attr doc", 8),
		      "edited attr saved with its doc");
	}
	free(out);
	aimet_model_free(m);
	aimet_model_free(r);
	free(mm.d);
}

static void test_shared_speed(void)
{
	const char *shared = getenv("AIMET_SHARED");
	char p[1024];
	struct aimet_model *m = NULL;
	struct timespec t0, t1;
	double s;
	int kind = 0;
	snprintf(p, sizeof(p), "%s/models/ppocr_rec.onnx", shared ? shared : "../shared");
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);   /* CPU time: robust on a busy machine */
	CHECK(aimet_model_load(ctx, p, &m) == 0, "ppocr_rec: %s", aimet_errmsg(ctx));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	fprintf(stderr, "ppocr_rec loaded in %.3f s of CPU\n", s);
	CHECK(s < 1.0, "ppocr_rec load took %.3f s", s);
	if (m) {
		size_t convs = 0, found = 0;
		CHECK(m->graph->n_initializers == 0, "ppocr keeps weights in Constant nodes");
		for (size_t i = 0; i < m->graph->n_nodes; i++)
			if (!strcmp(m->graph->nodes[i]->op_type, "Conv")) {
				convs++;
				found += aimet_graph_find_weight(m->graph, m->graph->nodes[i]->inputs[1], &kind) != NULL &&
				         kind == AIMET_WEIGHT_CONSTANT;
			}
		CHECK(convs > 10 && found == convs, "conv weights found in Constants: %zu of %zu", found, convs);
	}
	aimet_model_free(m);
}

int main(void)
{
	char cmd[300];
	ctx = aimet_ctx_new();
	snprintf(tmpdir, sizeof(tmpdir), "%s/aimet-onnx-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_roundtrip_api_model();
	test_storage_forms();
	test_pb_files();
	test_external_data();
	test_save_atomic();
	test_hostile();
	test_preserved();
	test_shared_speed();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	aimet_ctx_free(ctx);
	return test_done();
}
