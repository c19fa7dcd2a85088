/* encodings.c: AIMET encodings files (FORMATS.md section 3) — read 0.6.1, 1.0.0 and 2.0.0 with
 * every value checked, write any of them, and check encodings against a model. */
#include "aimet_quant.h"
#include "aimet_ir.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- a string hash index (names are untrusted: no quadratic lookups) ---- */
struct strmap {
	const char **keys;
	size_t *vals;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static size_t *strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return NULL;
		if (!strcmp(m->keys[i], key))
			return &m->vals[i];
	}
}

/* Insert (key borrowed). Returns 1 if inserted, 0 if present (value untouched), -1 on OOM. */
static int strmap_put(struct strmap *m, const char *key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct strmap nm = {0};
		if (cap < m->cap)
			return -1;
		nm.keys = aimet_calloc(cap, sizeof(*nm.keys));
		nm.vals = aimet_calloc(cap, sizeof(*nm.vals));
		if (!nm.keys || !nm.vals) {
			strmap_free(&nm);
			return -1;
		}
		nm.cap = cap;
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				strmap_put(&nm, m->keys[i], m->vals[i]);
		strmap_free(m);
		*m = nm;
	}
	for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i]) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return 1;
		}
		if (!strcmp(m->keys[i], key))
			return 0;
	}
}

/* ---- the in-memory model ----
 * The name index lives beside the public struct so that the header stays plain. */
struct enc_private {
	struct aimet_encodings pub;
	struct strmap index;
};

static struct strmap *enc_index(const struct aimet_encodings *e)
{
	return &((struct enc_private *)(void *)e)->index;
}

struct aimet_encodings *aimet_encodings_new(void)
{
	struct enc_private *p = aimet_calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pub.version = AIMET_ENC_DEFAULT_VERSION;
	return &p->pub;
}

void aimet_encodings_free(struct aimet_encodings *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_entries; i++) {
		free(e->entries[i].name);
		free(e->entries[i].enc);
	}
	free(e->entries);
	free(e->extra_json);
	strmap_free(enc_index(e));
	free(e);
}

struct aimet_enc_entry *aimet_encodings_find(const struct aimet_encodings *e, const char *name)
{
	size_t *v = strmap_get(enc_index(e), name);
	return v ? &e->entries[*v] : NULL;
}

int aimet_encodings_add(struct aimet_ctx *ctx, struct aimet_encodings *e, int kind,
                        const char *name, int per_channel, int axis,
                        const struct aimet_encoding *enc, size_t n)
{
	struct aimet_enc_entry *ent;
	struct aimet_encoding *copy;
	char *nm;
	int rc;
	if (!name || !*name)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "empty tensor name");
	{
		/* names come from models too: the writer needs valid UTF-8 */
		json_t *js = json_string(name);
		if (!js)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "tensor name is not valid UTF-8");
		json_decref(js);
	}
	if (kind != AIMET_ENC_ACT && kind != AIMET_ENC_PARAM && kind != AIMET_ENC_UNKNOWN)
		return aimet_error(ctx, AIMET_ERR_INVALID, "'%s': bad encoding kind %d", name, kind);
	if (n == 0)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "'%s': empty list of encodings", name);
	if (!per_channel && n != 1)
		return aimet_error(ctx, AIMET_ERR_FORMAT,
		                   "'%s': per-tensor encoding with %zu values", name, n);
	if (axis < -1 || axis >= AIMET_MAX_DIMS)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "'%s': channel axis %d is out of range", name,
		                   axis);
	for (size_t i = 0; i < n; i++) {
		if ((rc = aimet_encoding_check(ctx, &enc[i])) < 0)
			return per_channel ? aimet_error_prefix(ctx, rc, "'%s': channel %zu", name, i)
			                   : aimet_error_prefix(ctx, rc, "'%s'", name);
		if (per_channel && enc[i].is_float)
			return aimet_error(ctx, AIMET_ERR_FORMAT,
			                   "'%s': a float encoding cannot be per-channel", name);
		if (enc[i].bw != enc[0].bw)
			return aimet_error(ctx, AIMET_ERR_FORMAT,
			                   "'%s': channels differ in bitwidth (%d and %d)", name,
			                   enc[0].bw, enc[i].bw);
		if (enc[i].symmetric != enc[0].symmetric)
			return aimet_error(ctx, AIMET_ERR_FORMAT,
			                   "'%s': channels differ in symmetry", name);
	}
	if (aimet_encodings_find(e, name))
		return aimet_error(ctx, AIMET_ERR_FORMAT, "'%s': tensor has two encodings", name);
	if (aimet_grow((void **)&e->entries, &e->cap_entries, e->n_entries + 1, sizeof(*e->entries)) < 0)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	nm = aimet_strdup(name);
	copy = aimet_realloc_array(NULL, n, sizeof(*copy));
	if (!nm || !copy) {
		free(nm);
		free(copy);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	memcpy(copy, enc, n * sizeof(*copy));
	ent = &e->entries[e->n_entries];
	memset(ent, 0, sizeof(*ent));
	ent->name = nm;
	ent->kind = kind;
	ent->per_channel = per_channel ? 1 : 0;
	ent->axis = per_channel ? axis : -1;
	ent->n = n;
	ent->enc = copy;
	/* entries may move on growth, the names do not: the index keeps the name pointers */
	if (strmap_put(enc_index(e), nm, e->n_entries) < 0) {
		free(nm);
		free(copy);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	e->n_entries++;
	return AIMET_OK;
}

int aimet_encodings_set_quantizer_args(struct aimet_ctx *ctx, struct aimet_encodings *e,
                                       const char *json_text)
{
	json_t *extra = NULL, *qa = NULL;
	json_error_t err;
	char *text = NULL;
	if (e->extra_json && !(extra = json_loads(e->extra_json, 0, &err)))
		return aimet_error(ctx, AIMET_ERR_INVALID, "bad stored extra JSON");
	if (!extra && !(extra = json_object()))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if (json_text) {
		qa = json_loads(json_text, 0, &err);
		if (!qa || !json_is_object(qa)) {
			json_decref(qa);
			json_decref(extra);
			return aimet_error(ctx, AIMET_ERR_INVALID, "quantizer_args is not a JSON object");
		}
		json_object_set_new(extra, "quantizer_args", qa);
	} else {
		json_object_del(extra, "quantizer_args");
	}
	if (json_object_size(extra) &&
	    !(text = json_dumps(extra, JSON_COMPACT | JSON_REAL_PRECISION(17)))) {
		json_decref(extra);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	json_decref(extra);
	free(e->extra_json);
	e->extra_json = NULL;
	if (text && !(e->extra_json = aimet_strdup(text))) {
		free(text);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	free(text);
	return AIMET_OK;
}

int aimet_enc_version_parse(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "0.6.1"))
		return AIMET_ENC_V0_6_1;
	if (!strcmp(s, "1.0.0"))
		return AIMET_ENC_V1_0_0;
	if (!strcmp(s, "2.0.0"))
		return AIMET_ENC_V2_0_0;
	return 0;
}

const char *aimet_enc_version_name(int version)
{
	switch (version) {
	case AIMET_ENC_V0_6_1: return "0.6.1";
	case AIMET_ENC_V1_0_0: return "1.0.0";
	case AIMET_ENC_V2_0_0: return "2.0.0";
	default: return "?";
	}
}

/* ---- reading ---- */

/* Errors while parsing: message "'tensor': what" (the file name is prefixed at the top). */
#define FAIL(...) aimet_error(ctx, AIMET_ERR_FORMAT, __VA_ARGS__)

static int get_number(json_t *v, double *out)
{
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

/* An integer, or a real with an integral value ("offset": -128.0). */
static int get_integral(json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	return -1;
}

static int get_bw(struct aimet_ctx *ctx, const char *name, json_t *v, const char *key, int *bw)
{
	int64_t b;
	if (!v)
		return FAIL("'%s': missing '%s'", name, key);
	if (get_integral(v, &b) < 0)
		return FAIL("'%s': '%s' must be an integer", name, key);
	if (b < AIMET_BW_FILE_MIN || b > AIMET_BW_FILE_MAX)
		return FAIL("'%s': bitwidth %lld is out of range (%d to %d)", name, (long long)b,
		            AIMET_BW_FILE_MIN, AIMET_BW_FILE_MAX);
	*bw = (int)b;
	return 0;
}

/* A boolean as AIMET writes it: JSON true/false or the strings "True"/"False". */
static int get_bool(json_t *v, int *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (!strcmp(s, "True") || !strcmp(s, "true")) {
			*out = 1;
			return 0;
		}
		if (!strcmp(s, "False") || !strcmp(s, "false")) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int set_checked(struct aimet_ctx *ctx, const char *name, long ch, int bw, int sym,
                       double scale, int64_t offset, struct aimet_encoding *out)
{
	int rc = aimet_encoding_set(ctx, bw, sym, scale, offset, out);
	if (rc < 0) {
		if (ch >= 0)
			return aimet_error_prefix(ctx, AIMET_ERR_FORMAT, "'%s': channel %ld", name, ch);
		return aimet_error_prefix(ctx, AIMET_ERR_FORMAT, "'%s'", name);
	}
	return 0;
}

/* One 0.6.1 encoding dict. */
static int parse_061_enc(struct aimet_ctx *ctx, const char *name, long ch, json_t *o,
                         struct aimet_encoding *out)
{
	json_t *dt, *v;
	int bw, sym = 0, is_float = 0, rc;
	double scale, d;
	int64_t offset;
	if (!json_is_object(o))
		return FAIL("'%s': an encoding must be an object", name);
	if ((dt = json_object_get(o, "dtype"))) {
		const char *s = json_is_string(dt) ? json_string_value(dt) : NULL;
		if (s && !strcmp(s, "int"))
			is_float = 0;
		else if (s && !strcmp(s, "float"))
			is_float = 1;
		else
			return FAIL("'%s': 'dtype' must be \"int\" or \"float\"", name);
	}
	if ((rc = get_bw(ctx, name, json_object_get(o, "bitwidth"), "bitwidth", &bw)) < 0)
		return rc;
	if (is_float) {
		if ((rc = aimet_encoding_set_float(ctx, bw, out)) < 0)
			return aimet_error_prefix(ctx, rc, "'%s'", name);
		return 0;
	}
	if ((v = json_object_get(o, "is_symmetric")) && get_bool(v, &sym) < 0)
		return FAIL("'%s': 'is_symmetric' must be \"True\" or \"False\"", name);
	if (!(v = json_object_get(o, "scale")))
		return FAIL("'%s': missing 'scale'", name);
	if (get_number(v, &scale) < 0)
		return FAIL("'%s': 'scale' must be a number", name);
	if (!(v = json_object_get(o, "offset")))
		return FAIL("'%s': missing 'offset'", name);
	if (get_integral(v, &offset) < 0)
		return FAIL("'%s': 'offset' must be an integer", name);
	/* min and max are recomputed from scale and offset; they only have to be numbers */
	if ((v = json_object_get(o, "min")) && get_number(v, &d) < 0)
		return FAIL("'%s': 'min' must be a number", name);
	if ((v = json_object_get(o, "max")) && get_number(v, &d) < 0)
		return FAIL("'%s': 'max' must be a number", name);
	return set_checked(ctx, name, ch, bw, sym, scale, offset, out);
}

static int add_parsed(struct aimet_ctx *ctx, struct aimet_encodings *e, int kind, const char *name,
                      int per_channel, int axis, struct aimet_encoding *enc, size_t n)
{
	return aimet_encodings_add(ctx, e, kind, name, per_channel, axis, enc, n);
}

static int parse_061_section(struct aimet_ctx *ctx, struct aimet_encodings *e, json_t *sec,
                             const char *key, int kind)
{
	const char *name;
	json_t *list;
	if (!json_is_object(sec))
		return FAIL("'%s' must be an object in version 0.6.1", key);
	json_object_foreach(sec, name, list) {
		size_t n;
		struct aimet_encoding *enc;
		int rc = 0;
		if (!*name)
			return FAIL("'%s': empty tensor name", key);
		if (!json_is_array(list))
			return FAIL("'%s': expected a list of encodings", name);
		if ((n = json_array_size(list)) == 0)
			return FAIL("'%s': empty list of encodings", name);
		if (!(enc = aimet_realloc_array(NULL, n, sizeof(*enc))))
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = parse_061_enc(ctx, name, n > 1 ? (long)i : -1, json_array_get(list, i), &enc[i]);
		if (rc == 0)
			rc = add_parsed(ctx, e, kind, name, n > 1, -1, enc, n);
		free(enc);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A number or a list of numbers (1.0.0 scale/offset, 2.0.0 y_scale/y_zero_point). Returns the
 * count, with *is_list set; -1 when the value has the wrong type. */
static long list_len(json_t *v, int *is_list)
{
	*is_list = json_is_array(v);
	if (*is_list)
		return (long)json_array_size(v);
	return json_is_number(v) ? 1 : -1;
}

static json_t *list_at(json_t *v, size_t i) { return json_is_array(v) ? json_array_get(v, i) : v; }

static int parse_100_enc(struct aimet_ctx *ctx, struct aimet_encodings *e, json_t *o, int kind)
{
	json_t *v, *sc, *off;
	const char *name, *et, *dt;
	int bw, sym = 0, per_channel, rc = 0, l1, l2;
	long n, n2;
	struct aimet_encoding *enc;
	if (!json_is_object(o))
		return FAIL("an encoding must be an object");
	v = json_object_get(o, "name");
	if (!json_is_string(v))
		return FAIL("an encoding has no 'name' string");
	if (!*(name = json_string_value(v)))
		return FAIL("empty tensor name");
	v = json_object_get(o, "enc_type");
	et = json_is_string(v) ? json_string_value(v) : NULL;
	if (!v)
		return FAIL("'%s': missing 'enc_type'", name);
	if (et && !strcmp(et, "PER_TENSOR"))
		per_channel = 0;
	else if (et && !strcmp(et, "PER_CHANNEL"))
		per_channel = 1;
	else if (et && (!strcmp(et, "PER_BLOCK") || !strcmp(et, "LPBQ") ||
	                !strcmp(et, "VECTOR")))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "'%s': enc_type %s is not supported", name, et);
	else
		return FAIL("'%s': 'enc_type' must be PER_TENSOR or PER_CHANNEL", name);
	v = json_object_get(o, "dtype");
	dt = json_is_string(v) ? json_string_value(v) : NULL;
	if (!v)
		return FAIL("'%s': missing 'dtype'", name);
	if (!dt || (strcmp(dt, "INT") && strcmp(dt, "FLOAT")))
		return FAIL("'%s': 'dtype' must be INT or FLOAT", name);
	if ((rc = get_bw(ctx, name, json_object_get(o, "bw"), "bw", &bw)) < 0)
		return rc;
	if (!strcmp(dt, "FLOAT")) {
		struct aimet_encoding f;
		if (per_channel)
			return FAIL("'%s': a float encoding cannot be per-channel", name);
		if ((rc = aimet_encoding_set_float(ctx, bw, &f)) < 0)
			return aimet_error_prefix(ctx, rc, "'%s'", name);
		return add_parsed(ctx, e, kind, name, 0, -1, &f, 1);
	}
	if ((v = json_object_get(o, "is_sym")) && get_bool(v, &sym) < 0)
		return FAIL("'%s': 'is_sym' must be true or false", name);
	if (!(sc = json_object_get(o, "scale")))
		return FAIL("'%s': missing 'scale'", name);
	if (!(off = json_object_get(o, "offset")))
		return FAIL("'%s': missing 'offset'", name);
	if ((n = list_len(sc, &l1)) < 0)
		return FAIL("'%s': 'scale' must be a list of numbers", name);
	if ((n2 = list_len(off, &l2)) < 0)
		return FAIL("'%s': 'offset' must be a list of integers", name);
	if (n == 0)
		return FAIL("'%s': empty 'scale' list", name);
	if (n != n2)
		return FAIL("'%s': %ld scales but %ld offsets", name, n, n2);
	if (!per_channel && n != 1)
		return FAIL("'%s': PER_TENSOR encoding with %ld scales", name, n);
	if (!(enc = aimet_realloc_array(NULL, (size_t)n, sizeof(*enc))))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (long i = 0; i < n && rc == 0; i++) {
		double s;
		int64_t of;
		long ch = per_channel ? i : -1;
		if (get_number(list_at(sc, (size_t)i), &s) < 0)
			rc = FAIL("'%s': 'scale' must be a list of numbers", name);
		else if (get_integral(list_at(off, (size_t)i), &of) < 0)
			rc = FAIL("'%s': 'offset' must be a list of integers", name);
		else
			rc = set_checked(ctx, name, ch, bw, sym, s, of, &enc[i]);
	}
	if (rc == 0)
		rc = add_parsed(ctx, e, kind, name, per_channel, -1, enc, (size_t)n);
	free(enc);
	return rc;
}

static int parse_100_section(struct aimet_ctx *ctx, struct aimet_encodings *e, json_t *sec,
                             const char *key, int kind)
{
	size_t i;
	json_t *o;
	if (!json_is_array(sec))
		return FAIL("'%s' must be a list in version 1.0.0", key);
	json_array_foreach(sec, i, o) {
		int rc = parse_100_enc(ctx, e, o, kind);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* "int8" / "uint16" / ...: bw and signedness; "float16"/"float32" (our extension for AIMET's
 * float encodings, which 2.0.0 does not spell out): *is_float. 0 ok, -1 unknown. */
static int parse_output_dtype(const char *s, int *bw, int *is_signed, int *is_float)
{
	char *end;
	long b;
	*is_float = 0;
	if (!strcmp(s, "float16") || !strcmp(s, "float32")) {
		*is_float = 1;
		*bw = s[5] == '1' ? 16 : 32;
		return 0;
	}
	if (!strncmp(s, "uint", 4)) {
		*is_signed = 0;
		s += 4;
	} else if (!strncmp(s, "int", 3)) {
		*is_signed = 1;
		s += 3;
	} else {
		return -1;
	}
	if (*s < '1' || *s > '9')
		return -1;
	errno = 0;
	b = strtol(s, &end, 10);
	if (*end || errno || (b != 2 && b != 4 && b != 8 && b != 16 && b != 32))
		return -1;
	*bw = (int)b;
	return 0;
}

static int parse_200_enc(struct aimet_ctx *ctx, struct aimet_encodings *e, json_t *o)
{
	json_t *v, *sc, *zp, *ax;
	const char *name, *dt;
	int bw = 0, is_signed = 0, is_float = 0, rc = 0, l1, l2 = 0, axis = -1, per_channel;
	long n, nz = 0;
	struct aimet_encoding *enc;
	if (!json_is_object(o))
		return FAIL("an encoding must be an object");
	v = json_object_get(o, "name");
	if (!json_is_string(v))
		return FAIL("an encoding has no 'name' string");
	if (!*(name = json_string_value(v)))
		return FAIL("empty tensor name");
	v = json_object_get(o, "output_dtype");
	if (!v)
		return FAIL("'%s': missing 'output_dtype'", name);
	if (!json_is_string(v))
		return FAIL("'%s': 'output_dtype' must be a string", name);
	dt = json_string_value(v);
	if (parse_output_dtype(dt, &bw, &is_signed, &is_float) < 0)
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "'%s': output_dtype '%.40s' is not supported", name, dt);
	if (json_object_get(o, "block_size"))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "'%s': per-block encodings are not supported", name);
	if (is_float) {
		struct aimet_encoding f;
		if ((rc = aimet_encoding_set_float(ctx, bw, &f)) < 0)
			return aimet_error_prefix(ctx, rc, "'%s'", name);
		return add_parsed(ctx, e, AIMET_ENC_UNKNOWN, name, 0, -1, &f, 1);
	}
	if (!(sc = json_object_get(o, "y_scale")))
		return FAIL("'%s': missing 'y_scale'", name);
	if (json_is_object(sc))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "'%s': meta-encoded y_scale is not supported", name);
	if ((n = list_len(sc, &l1)) < 0)
		return FAIL("'%s': 'y_scale' must be a number or a list of numbers", name);
	if (n == 0)
		return FAIL("'%s': empty 'y_scale' list", name);
	if ((zp = json_object_get(o, "y_zero_point")) && (nz = list_len(zp, &l2)) < 0)
		return FAIL("'%s': 'y_zero_point' must be an integer or a list of integers", name);
	if (zp && l2 && nz != n)
		return FAIL("'%s': %ld scales but %ld zero points", name, n, nz);
	if (zp && l2 && !l1)
		return FAIL("'%s': a list of zero points for one scale", name);
	if ((ax = json_object_get(o, "axis"))) {
		int64_t a;
		if (get_integral(ax, &a) < 0 || a < 0 || a >= AIMET_MAX_DIMS)
			return FAIL("'%s': 'axis' must be an integer from 0 to %d", name, AIMET_MAX_DIMS - 1);
		axis = (int)a;
	}
	per_channel = l1;
	if (per_channel && json_is_array(json_array_get(sc, 0)))
		return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
		                   "'%s': per-block encodings are not supported", name);
	if (!(enc = aimet_realloc_array(NULL, (size_t)n, sizeof(*enc))))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	for (long i = 0; i < n && rc == 0; i++) {
		double s;
		int64_t z = 0, off, half = (int64_t)1 << (bw - 1);
		int sym;
		long ch = per_channel ? i : -1;
		if (get_number(list_at(sc, (size_t)i), &s) < 0) {
			rc = FAIL("'%s': 'y_scale' must be a number or a list of numbers", name);
			break;
		}
		if (zp && get_integral(list_at(zp, (size_t)i), &z) < 0) {
			rc = FAIL("'%s': 'y_zero_point' must be integers", name);
			break;
		}
		if (is_signed ? (z < -half || z > half - 1) : (z < 0 || z > 2 * half - 1)) {
			rc = FAIL("'%s': zero point %lld is out of range for %s", name, (long long)z, dt);
			break;
		}
		off = aimet_offset_from_zero_point(z, bw, is_signed);
		/* Symmetric grids are written with signed storage; a signed type with any other
		 * zero point is an asymmetric grid stored signed. */
		sym = is_signed && (off == -half || off == -(half - 1) || off == 0);
		rc = set_checked(ctx, name, ch, bw, sym, s, off, &enc[i]);
	}
	if (rc == 0 && per_channel) {
		/* channels of one tensor share symmetry: if any channel is not a symmetric offset the
		 * tensor is asymmetric */
		int all = 1;
		for (long i = 0; i < n; i++)
			all &= enc[i].symmetric;
		for (long i = 0; i < n && !all; i++) {
			enc[i].symmetric = 0;
			aimet_encoding_derive(&enc[i]);
		}
	}
	if (rc == 0)
		rc = add_parsed(ctx, e, per_channel ? AIMET_ENC_PARAM : AIMET_ENC_UNKNOWN, name,
		                per_channel, axis, enc, (size_t)n);
	free(enc);
	return rc;
}

static int parse_root(struct aimet_ctx *ctx, json_t *root, struct aimet_encodings *e)
{
	json_t *ver, *act, *par, *all, *extra;
	const char *key;
	json_t *val;
	int version = 0, rc = 0;
	if (!json_is_object(root))
		return FAIL("not an encodings file (the top level is not an object)");
	act = json_object_get(root, "activation_encodings");
	par = json_object_get(root, "param_encodings");
	all = json_object_get(root, "encodings");
	if ((ver = json_object_get(root, "version"))) {
		if (!json_is_string(ver))
			return FAIL("'version' must be a string");
		if (!(version = aimet_enc_version_parse(json_string_value(ver))))
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "encodings version '%.40s' is not supported (0.6.1, 1.0.0, 2.0.0)",
			                   json_string_value(ver));
	} else if (all) {
		version = AIMET_ENC_V2_0_0;
	} else if (json_is_array(act) || json_is_array(par)) {
		version = AIMET_ENC_V1_0_0;
	} else if (act || par) {
		version = AIMET_ENC_V0_6_1;
	} else {
		return FAIL("not an encodings file (no 'version', 'activation_encodings', "
		            "'param_encodings' or 'encodings')");
	}
	e->version = version;
	if (version == AIMET_ENC_V2_0_0) {
		size_t i;
		json_t *o;
		if (act || par)
			return FAIL("version 2.0.0 keeps encodings in one 'encodings' list");
		if (!all)
			return FAIL("missing 'encodings'");
		if (!json_is_array(all))
			return FAIL("'encodings' must be a list");
		json_array_foreach(all, i, o)
			if ((rc = parse_200_enc(ctx, e, o)) < 0)
				return rc;
	} else {
		if (all)
			return FAIL("'encodings' is not part of version %s", aimet_enc_version_name(version));
		if (version == AIMET_ENC_V0_6_1) {
			if (act && (rc = parse_061_section(ctx, e, act, "activation_encodings", AIMET_ENC_ACT)) < 0)
				return rc;
			if (par && (rc = parse_061_section(ctx, e, par, "param_encodings", AIMET_ENC_PARAM)) < 0)
				return rc;
		} else {
			if (act && (rc = parse_100_section(ctx, e, act, "activation_encodings", AIMET_ENC_ACT)) < 0)
				return rc;
			if (par && (rc = parse_100_section(ctx, e, par, "param_encodings", AIMET_ENC_PARAM)) < 0)
				return rc;
		}
	}
	/* keep every other top-level key (quantizer_args, excluded_layers, ...) */
	extra = json_object();
	if (!extra)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	json_object_foreach(root, key, val) {
		if (!strcmp(key, "version") || !strcmp(key, "activation_encodings") ||
		    !strcmp(key, "param_encodings") || !strcmp(key, "encodings"))
			continue;
		json_object_set(extra, key, val);
	}
	if (json_object_size(extra)) {
		char *text = json_dumps(extra, JSON_COMPACT | JSON_REAL_PRECISION(17));
		if (!text || !(e->extra_json = aimet_strdup(text)))
			rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		free(text);
	}
	json_decref(extra);
	return rc;
}

/* jansson rejects NaN and Infinity (not JSON), which Python's json module writes for
 * non-finite floats: say so rather than "invalid token". */
static const char *nonfinite_hint(const char *buf, size_t len, size_t pos)
{
	size_t lo = pos > 16 ? pos - 16 : 0, hi = pos + 16 < len ? pos + 16 : len;
	for (size_t i = lo; i < hi; i++) {
		if (i + 3 <= len && !memcmp(buf + i, "NaN", 3))
			return "NaN is not a valid JSON number (values must be finite)";
		if (i + 8 <= len && !memcmp(buf + i, "Infinity", 8))
			return "Infinity is not a valid JSON number (values must be finite)";
	}
	return NULL;
}

int aimet_encodings_parse(struct aimet_ctx *ctx, const void *buf, size_t len, const char *name,
                          struct aimet_encodings **out)
{
	json_error_t err;
	json_t *root;
	struct aimet_encodings *e;
	int rc;
	*out = NULL;
	if (!name)
		name = "-";
	if (len > AIMET_ENC_MAX_FILE)
		return aimet_error(ctx, AIMET_ERR_LIMIT, "cannot read '%s': larger than %zu MiB", name,
		                   AIMET_ENC_MAX_FILE >> 20);
	if (len == 0)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': empty file", name);
	/* Duplicate keys would silently drop an encoding; jansson's parser has a depth limit
	 * (2048) so deeply nested input fails cleanly instead of exhausting the stack. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		const char *hint = nonfinite_hint(buf, len, (size_t)(err.position > 0 ? err.position : 0));
		/* jansson quotes the offending bytes: keep the one-line message printable */
		for (char *p = err.text; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
		return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': invalid JSON at line %d column %d: %s",
		                   name, err.line, err.column, hint ? hint : err.text);
	}
	if (!(e = aimet_encodings_new())) {
		json_decref(root);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	rc = parse_root(ctx, root, e);
	json_decref(root);
	if (rc < 0) {
		aimet_encodings_free(e);
		return aimet_error_prefix(ctx, rc, "cannot read '%s'", name);
	}
	*out = e;
	return AIMET_OK;
}

int aimet_encodings_read(struct aimet_ctx *ctx, const char *path, struct aimet_encodings **out)
{
	FILE *fp;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int is_stdin = !strcmp(path, "-"), rc;
	*out = NULL;
	fp = is_stdin ? stdin : fopen(path, "rb");
	if (!fp)
		return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			if (!is_stdin)
				fclose(fp);
			return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': is a directory", path);
		}
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > AIMET_ENC_MAX_FILE) {
			if (!is_stdin)
				fclose(fp);
			return aimet_error(ctx, AIMET_ERR_LIMIT, "cannot read '%s': larger than %zu MiB",
			                   path, AIMET_ENC_MAX_FILE >> 20);
		}
	}
	for (;;) {
		size_t got;
		if (len == cap) {
			/* grow up to one byte past the limit: enough to know the input is too big */
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;
			if (ncap > AIMET_ENC_MAX_FILE + 1)
				ncap = AIMET_ENC_MAX_FILE + 1;
			if (cap == AIMET_ENC_MAX_FILE + 1) {
				free(buf);
				if (!is_stdin)
					fclose(fp);
				return aimet_error(ctx, AIMET_ERR_LIMIT, "cannot read '%s': larger than %zu MiB",
				                   path, AIMET_ENC_MAX_FILE >> 20);
			}
			if (!(nb = realloc(buf, ncap))) {
				free(buf);
				if (!is_stdin)
					fclose(fp);
				return aimet_error(ctx, AIMET_ERR_NOMEM, "cannot read '%s': out of memory", path);
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		int e = errno;
		free(buf);
		if (!is_stdin)
			fclose(fp);
		return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", path,
		                   e ? strerror(e) : "read error");
	}
	if (!is_stdin)
		fclose(fp);
	rc = aimet_encodings_parse(ctx, buf, len, path, out);
	free(buf);
	return rc;
}

/* ---- writing ----
 * jansson prints every real with one fixed precision, which either loses float32 values or
 * writes 0.8f as 0.800000011920929; we build the document with jansson and print it ourselves:
 * float32 values in the shortest form that reads back as the same float32, other reals in the
 * shortest form that reads back as the same double, leaf objects and arrays on one line. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;
		while (cap < b->len + n + 1) {
			if (cap > SIZE_MAX / 2) {
				b->oom = 1;
				return;
			}
			cap *= 2;
		}
		if (!(np = realloc(b->p, cap))) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void put_string(struct sbuf *b, const char *s, size_t n)
{
	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, (const char *)&s[i], 1);
		}
	}
	put(b, "\"", 1);
}

static void put_real(struct sbuf *b, double d)
{
	char s[40];
	int p;
	if (!isfinite(d)) {   /* never produced by us; keep the output valid JSON */
		puts_(b, "null");
		return;
	}
	if ((double)(float)d == d) {
		for (p = 1; p <= 9; p++) {
			snprintf(s, sizeof(s), "%.*g", p, d);
			if (strtof(s, NULL) == (float)d)
				break;
		}
	} else {
		for (p = 15; p <= 17; p++) {
			snprintf(s, sizeof(s), "%.*g", p, d);
			if (strtod(s, NULL) == d)
				break;
		}
	}
	if (!strpbrk(s, ".eEn"))
		strcat(s, ".0");   /* keep it a real for readers that care */
	puts_(b, s);
}

static int is_leaf(json_t *v) { return !json_is_object(v) && !json_is_array(v); }

static int leaf_array(json_t *v)
{
	size_t i;
	json_t *x;
	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, x)
		if (!is_leaf(x))
			return 0;
	return 1;
}

/* Printed on one line: arrays of scalars, and objects of scalars and such arrays (one
 * encoding per line, however many channels it has). */
static int all_leaves(json_t *v)
{
	const char *k;
	json_t *x;
	if (json_is_array(v))
		return leaf_array(v);
	json_object_foreach(v, k, x)
		if (!is_leaf(x) && !leaf_array(x))
			return 0;
	return 1;
}

static void put_indent(struct sbuf *b, int n)
{
	static const char sp[] = "                                ";
	while (n > 0) {
		int k = n < 32 ? n : 32;
		put(b, sp, (size_t)k);
		n -= k;
	}
}

static void put_json(struct sbuf *b, json_t *v, int indent)
{
	char num[32];
	switch (json_typeof(v)) {
	case JSON_NULL: puts_(b, "null"); return;
	case JSON_TRUE: puts_(b, "true"); return;
	case JSON_FALSE: puts_(b, "false"); return;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		puts_(b, num);
		return;
	case JSON_REAL: put_real(b, json_real_value(v)); return;
	case JSON_STRING: put_string(b, json_string_value(v), json_string_length(v)); return;
	case JSON_ARRAY:
	case JSON_OBJECT: break;
	}
	{
		int obj = json_is_object(v), inline_ = all_leaves(v), first = 1;
		size_t n = obj ? json_object_size(v) : json_array_size(v);
		puts_(b, obj ? "{" : "[");
		if (n == 0) {
			puts_(b, obj ? "}" : "]");
			return;
		}
		if (obj) {
			const char *k;
			json_t *x;
			json_object_foreach(v, k, x) {
				puts_(b, first ? "" : ",");
				if (inline_) {
					puts_(b, first ? "" : " ");
				} else {
					puts_(b, "\n");
					put_indent(b, indent + 2);
				}
				put_string(b, k, strlen(k));
				puts_(b, ": ");
				put_json(b, x, indent + 2);
				first = 0;
			}
		} else {
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x) {
				puts_(b, first ? "" : ",");
				if (inline_) {
					puts_(b, first ? "" : " ");
				} else {
					puts_(b, "\n");
					put_indent(b, indent + 2);
				}
				put_json(b, x, indent + 2);
				first = 0;
			}
		}
		if (!inline_) {
			puts_(b, "\n");
			put_indent(b, indent);
		}
		puts_(b, obj ? "}" : "]");
	}
}

/* jansson setters that remember an allocation failure (per thread: the library is reentrant) */
static _Thread_local int jfail;
static void jset(json_t *o, const char *k, json_t *v)
{
	if (!o || !v || json_object_set_new(o, k, v) < 0)
		jfail = 1;
}
static void jpush(json_t *a, json_t *v)
{
	if (!a || !v || json_array_append_new(a, v) < 0)
		jfail = 1;
}

static json_t *enc_061(const struct aimet_encoding *x)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	jset(o, "bitwidth", json_integer(x->bw));
	if (x->is_float) {
		jset(o, "dtype", json_string("float"));
		return o;
	}
	jset(o, "dtype", json_string("int"));
	jset(o, "is_symmetric", json_string(x->symmetric ? "True" : "False"));
	jset(o, "max", json_real(x->max));
	jset(o, "min", json_real(x->min));
	jset(o, "offset", json_integer(x->offset));
	jset(o, "scale", json_real(x->scale));
	return o;
}

static json_t *enc_100(const struct aimet_enc_entry *t)
{
	json_t *o = json_object(), *sc, *of;
	if (!o)
		return NULL;
	jset(o, "name", json_string(t->name));
	jset(o, "enc_type", json_string(t->per_channel ? "PER_CHANNEL" : "PER_TENSOR"));
	if (t->enc[0].is_float) {
		jset(o, "dtype", json_string("FLOAT"));
		jset(o, "bw", json_integer(t->enc[0].bw));
		return o;
	}
	jset(o, "dtype", json_string("INT"));
	jset(o, "bw", json_integer(t->enc[0].bw));
	jset(o, "is_sym", json_boolean(t->enc[0].symmetric));
	sc = json_array();
	of = json_array();
	for (size_t i = 0; sc && of && i < t->n; i++) {
		jpush(sc, json_real(t->enc[i].scale));
		jpush(of, json_integer(t->enc[i].offset));
	}
	jset(o, "scale", sc);
	jset(o, "offset", of);
	return o;
}

static int enc_200(struct aimet_ctx *ctx, const struct aimet_enc_entry *t, json_t **out)
{
	const struct aimet_encoding *x = &t->enc[0];
	json_t *o;
	char dt[16];
	*out = NULL;
	if (x->is_float) {
		snprintf(dt, sizeof(dt), "float%d", x->bw);
	} else {
		if (x->bw != 2 && x->bw != 4 && x->bw != 8 && x->bw != 16 && x->bw != 32)
			return aimet_error(ctx, AIMET_ERR_UNSUPPORTED,
			                   "'%s': a %d-bit encoding has no 2.0.0 output_dtype", t->name,
			                   x->bw);
		snprintf(dt, sizeof(dt), "%sint%d", aimet_encoding_is_signed(x) ? "" : "u", x->bw);
	}
	if (!(o = json_object()))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	jset(o, "name", json_string(t->name));
	jset(o, "output_dtype", json_string(dt));
	if (!x->is_float) {
		if (t->per_channel) {
			json_t *sc = json_array(), *zp = json_array();
			for (size_t i = 0; sc && zp && i < t->n; i++) {
				jpush(sc, json_real(t->enc[i].scale));
				jpush(zp, json_integer(aimet_encoding_zero_point(&t->enc[i])));
			}
			jset(o, "y_scale", sc);
			jset(o, "y_zero_point", zp);
			jset(o, "axis", json_integer(t->axis >= 0 ? t->axis : 0));
		} else {
			jset(o, "y_scale", json_real(x->scale));
			jset(o, "y_zero_point", json_integer(aimet_encoding_zero_point(x)));
		}
	}
	*out = o;
	return AIMET_OK;
}

static int build_doc(struct aimet_ctx *ctx, const struct aimet_encodings *e, int version,
                     json_t **out)
{
	json_t *root = json_object(), *extra = NULL;
	int rc = AIMET_OK;
	*out = NULL;
	jfail = 0;
	if (!root)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	jset(root, "version", json_string(aimet_enc_version_name(version)));
	if (version == AIMET_ENC_V2_0_0) {
		json_t *list = json_array();
		/* activations first, then params, each in file order */
		for (int pass = 0; pass < 2 && rc == 0 && list; pass++)
			for (size_t i = 0; i < e->n_entries && rc == 0; i++) {
				const struct aimet_enc_entry *t = &e->entries[i];
				json_t *o;
				if ((t->kind == AIMET_ENC_PARAM) != (pass == 1))
					continue;
				if ((rc = enc_200(ctx, t, &o)) == 0)
					jpush(list, o);
			}
		jset(root, "encodings", list);
	} else {
		int v061 = version == AIMET_ENC_V0_6_1;
		json_t *sec[2];
		sec[0] = v061 ? json_object() : json_array();
		sec[1] = v061 ? json_object() : json_array();
		for (size_t i = 0; i < e->n_entries && sec[0] && sec[1]; i++) {
			const struct aimet_enc_entry *t = &e->entries[i];
			json_t *s = sec[t->kind == AIMET_ENC_PARAM ? 1 : 0];
			if (v061) {
				json_t *l = json_array();
				for (size_t c = 0; l && c < t->n; c++)
					jpush(l, enc_061(&t->enc[c]));
				jset(s, t->name, l);
			} else {
				jpush(s, enc_100(t));
			}
		}
		jset(root, "activation_encodings", sec[0]);
		jset(root, "param_encodings", sec[1]);
	}
	if (rc == 0 && e->extra_json) {
		json_error_t err;
		const char *k;
		json_t *v;
		if (!(extra = json_loads(e->extra_json, 0, &err)) || !json_is_object(extra))
			rc = aimet_error(ctx, AIMET_ERR_INVALID, "stored top-level keys are not a JSON object");
		else
			json_object_foreach(extra, k, v)
				if (!json_object_get(root, k) && json_object_set(root, k, v) < 0)
					jfail = 1;
		json_decref(extra);
	}
	if (rc == 0 && jfail)
		rc = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	if (rc < 0) {
		json_decref(root);
		return rc;
	}
	*out = root;
	return AIMET_OK;
}

int aimet_encodings_dump(struct aimet_ctx *ctx, const struct aimet_encodings *e, int version,
                         char **out)
{
	json_t *root;
	struct sbuf b = {0};
	int rc;
	*out = NULL;
	if (version == 0)
		version = AIMET_ENC_DEFAULT_VERSION;
	if (version < AIMET_ENC_V0_6_1 || version > AIMET_ENC_V2_0_0)
		return aimet_error(ctx, AIMET_ERR_INVALID, "unknown encodings version %d", version);
	for (size_t i = 0; i < e->n_entries; i++)
		for (size_t c = 0; c < e->entries[i].n; c++)
			if ((rc = aimet_encoding_check(ctx, &e->entries[i].enc[c])) < 0)
				return aimet_error_prefix(ctx, rc, "'%s'", e->entries[i].name);
	if ((rc = build_doc(ctx, e, version, &root)) < 0)
		return rc;
	put_json(&b, root, 0);
	puts_(&b, "\n");
	json_decref(root);
	if (b.oom) {
		free(b.p);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	*out = b.p;
	return AIMET_OK;
}

int aimet_encodings_fwrite(struct aimet_ctx *ctx, const struct aimet_encodings *e, int version,
                           FILE *fp)
{
	char *text;
	int rc = aimet_encodings_dump(ctx, e, version, &text);
	size_t n;
	if (rc < 0)
		return rc;
	n = strlen(text);
	if (fwrite(text, 1, n, fp) != n) {
		free(text);
		return aimet_error(ctx, AIMET_ERR_IO, "write error: %s", strerror(errno));
	}
	free(text);
	return AIMET_OK;
}

int aimet_encodings_write(struct aimet_ctx *ctx, const struct aimet_encodings *e, int version,
                          const char *path)
{
	char *tmp = NULL;
	FILE *fp;
	int rc;
	if (!strcmp(path, "-")) {
		if ((rc = aimet_encodings_fwrite(ctx, e, version, stdout)) < 0)
			return rc;
		if (fflush(stdout) != 0)
			return aimet_error(ctx, AIMET_ERR_IO, "cannot write to stdout: %s", strerror(errno));
		return AIMET_OK;
	}
	if ((rc = aimet_tmpfile_create(ctx, path, &tmp, &fp)) < 0)
		return rc;
	if ((rc = aimet_encodings_fwrite(ctx, e, version, fp)) < 0) {
		aimet_tmpfile_discard(fp, tmp);
		free(tmp);
		return aimet_error_prefix(ctx, rc, "cannot write '%s'", path);
	}
	rc = aimet_tmpfile_commit(ctx, fp, tmp, path);
	free(tmp);
	return rc;
}

/* ---- against a model ---- */

/* Tensor names of a model: value = index into `info` */
struct tinfo {
	const struct aimet_tensor *weight;   /* initializer or Constant value, or NULL */
	int consumer_axis;                   /* channel axis implied by a consumer, -1 none */
};
struct model_index {
	struct strmap map;
	struct tinfo *info;
	size_t n, cap;
};

static void mindex_free(struct model_index *x)
{
	strmap_free(&x->map);
	free(x->info);
}

static int mindex_add(struct model_index *x, const char *name, const struct aimet_tensor *w)
{
	size_t *v;
	int r;
	if (!name || !*name)
		return 0;
	if ((v = strmap_get(&x->map, name))) {
		if (w && !x->info[*v].weight)
			x->info[*v].weight = w;
		return 0;
	}
	if (aimet_grow((void **)&x->info, &x->cap, x->n + 1, sizeof(*x->info)) < 0)
		return -1;
	if ((r = strmap_put(&x->map, name, x->n)) < 0)
		return -1;
	x->info[x->n].weight = w;
	x->info[x->n].consumer_axis = -1;
	x->n++;
	return 0;
}

static const struct aimet_tensor *constant_value(const struct aimet_node *nd)
{
	const struct aimet_attr *a;
	if (!nd->op_type || strcmp(nd->op_type, "Constant") || (nd->domain && *nd->domain &&
	                                                        strcmp(nd->domain, "ai.onnx")))
		return NULL;
	a = aimet_node_attr(nd, "value");
	return a && a->type == AIMET_ATTR_TENSOR ? a->t : NULL;
}

/* Channel axis of input 1 of a weight-consuming op, -1 if the op says nothing. */
static int consumer_axis(const struct aimet_node *nd, const struct aimet_tensor *w)
{
	const char *op = nd->op_type ? nd->op_type : "";
	if (nd->domain && *nd->domain && strcmp(nd->domain, "ai.onnx"))
		return -1;
	if (!strcmp(op, "Conv"))
		return 0;
	if (!strcmp(op, "ConvTranspose"))
		return 1;
	if (!strcmp(op, "Gemm"))
		return aimet_node_attr_int(nd, "transB", 0) ? 0 : 1;
	if (!strcmp(op, "MatMul"))
		return w && w->ndim >= 2 ? w->ndim - 1 : 0;
	return -1;
}

static int mindex_build(const struct aimet_model *m, struct model_index *x)
{
	const struct aimet_graph *g = m ? m->graph : NULL;
	memset(x, 0, sizeof(*x));
	if (!g)
		return 0;
	for (size_t i = 0; i < g->n_initializers; i++)
		if (mindex_add(x, g->initializers[i]->name, g->initializers[i]) < 0)
			return -1;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct aimet_node *nd = g->nodes[i];
		const struct aimet_tensor *cv = constant_value(nd);
		for (int k = 0; k < nd->n_outputs; k++)
			if (mindex_add(x, nd->outputs[k], k == 0 ? cv : NULL) < 0)
				return -1;
	}
	for (size_t i = 0; i < g->n_inputs; i++)
		if (mindex_add(x, g->inputs[i].name, NULL) < 0)
			return -1;
	for (size_t i = 0; i < g->n_outputs; i++)
		if (mindex_add(x, g->outputs[i].name, NULL) < 0)
			return -1;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct aimet_node *nd = g->nodes[i];
		for (int k = 0; k < nd->n_inputs; k++)
			if (mindex_add(x, nd->inputs[k], NULL) < 0)
				return -1;
		if (nd->n_inputs >= 2 && nd->inputs[1] && *nd->inputs[1]) {
			size_t *v = strmap_get(&x->map, nd->inputs[1]);
			if (v && x->info[*v].weight && x->info[*v].consumer_axis < 0)
				x->info[*v].consumer_axis = consumer_axis(nd, x->info[*v].weight);
		}
	}
	return 0;
}

const struct aimet_tensor *aimet_model_weight(const struct aimet_model *m, const char *name)
{
	return m && m->graph && name ? aimet_graph_find_weight(m->graph, name, NULL) : NULL;
}

int aimet_weight_channel_axis(const struct aimet_model *m, const char *name)
{
	const struct aimet_tensor *w = aimet_model_weight(m, name);
	if (!w)
		return -1;
	for (size_t i = 0; i < m->graph->n_nodes; i++) {
		const struct aimet_node *nd = m->graph->nodes[i];
		if (nd->n_inputs >= 2 && nd->inputs[1] && !strcmp(nd->inputs[1], name)) {
			int a = consumer_axis(nd, w);
			if (a >= 0)
				return a;
		}
	}
	return 0;
}

int aimet_encodings_resolve(struct aimet_ctx *ctx, struct aimet_encodings *e,
                            const struct aimet_model *m)
{
	struct model_index x;
	if (mindex_build(m, &x) < 0) {
		mindex_free(&x);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < e->n_entries; i++) {
		struct aimet_enc_entry *t = &e->entries[i];
		size_t *v = strmap_get(&x.map, t->name);
		const struct tinfo *ti = v ? &x.info[*v] : NULL;
		if (!ti)
			continue;
		if (t->kind == AIMET_ENC_UNKNOWN)
			t->kind = ti->weight ? AIMET_ENC_PARAM : AIMET_ENC_ACT;
		if (t->per_channel && t->axis < 0 && ti->weight)
			t->axis = ti->consumer_axis >= 0 ? ti->consumer_axis : 0;
	}
	mindex_free(&x);
	return AIMET_OK;
}

static int validate_entry(struct aimet_ctx *ctx, const struct aimet_enc_entry *t,
                          const struct model_index *x)
{
	size_t *v = strmap_get(&x->map, t->name);
	const struct tinfo *ti = v ? &x->info[*v] : NULL;
	const struct aimet_tensor *w;
	int kind = t->kind, axis, rc;
	if (!ti)
		return aimet_error(ctx, AIMET_ERR_INVALID, "'%s': no tensor of that name in the model",
		                   t->name);
	w = ti->weight;
	if (kind == AIMET_ENC_UNKNOWN)
		kind = w ? AIMET_ENC_PARAM : AIMET_ENC_ACT;
	if (kind == AIMET_ENC_PARAM && !w)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "'%s': param encoding for a tensor that is not a weight", t->name);
	for (size_t c = 0; c < t->n; c++)
		if ((rc = aimet_encoding_check(ctx, &t->enc[c])) < 0)
			return t->per_channel ? aimet_error_prefix(ctx, AIMET_ERR_INVALID, "'%s': channel %zu",
			                                           t->name, c)
			                      : aimet_error_prefix(ctx, AIMET_ERR_INVALID, "'%s'", t->name);
	if (!t->per_channel)
		return AIMET_OK;
	if (!w)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "'%s': per-channel encoding for a tensor that is not a weight", t->name);
	axis = t->axis >= 0 ? t->axis : ti->consumer_axis >= 0 ? ti->consumer_axis : 0;
	if (t->axis >= 0 && ti->consumer_axis >= 0 && t->axis != ti->consumer_axis)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "'%s': channel axis %d, but the weight's consumer quantizes along axis %d",
		                   t->name, t->axis, ti->consumer_axis);
	if (axis >= w->ndim)
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "'%s': channel axis %d, but the weight has %d dimensions", t->name, axis,
		                   w->ndim);
	if ((int64_t)t->n != w->dims[axis])
		return aimet_error(ctx, AIMET_ERR_INVALID,
		                   "'%s': %zu per-channel encodings, but the weight has %lld channels "
		                   "along axis %d", t->name, t->n, (long long)w->dims[axis], axis);
	return AIMET_OK;
}

int aimet_encodings_validate(struct aimet_ctx *ctx, const struct aimet_encodings *e,
                             const struct aimet_model *m)
{
	struct model_index x;
	int rc = AIMET_OK;
	if (mindex_build(m, &x) < 0) {
		mindex_free(&x);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < e->n_entries && rc == 0; i++)
		rc = validate_entry(ctx, &e->entries[i], &x);
	mindex_free(&x);
	return rc;
}
