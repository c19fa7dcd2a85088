/* cast.c: Cast and CastLike between the numeric dtypes (float16/bfloat16 included), and between
 * strings and numbers; float to integer converts as C does, with a defined result out of range. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include "elt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int castable(int dt)
{
	return elt_kind(dt) != ELT_NONE && dt != AIMET_INT4 && dt != AIMET_UINT4;
}

static int cast_common(struct aimet_op_ctx *c, int to)
{
	const struct aimet_tensor *x = c->in[0];
	if (!aimet_dtype_is_valid(to))
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): 'to' is not a data type (%d)",
		                   elt_name(c), c->node->op_type, to);
	if (!(castable(x->dtype) || x->dtype == AIMET_STRING) || !(castable(to) || to == AIMET_STRING))
		return aimet_error(c->ctx, AIMET_ERR_UNSUPPORTED, "node '%s' (%s): cast from '%s' to '%s' is not supported",
		                   elt_name(c), c->node->op_type, aimet_dtype_name(x->dtype), aimet_dtype_name(to));
	aimet_tensor_set_shape(c->out[0], to, x->ndim, x->dims);
	return AIMET_OK;
}

static int cast_infer(struct aimet_op_ctx *c)
{
	const struct aimet_attr *a;
	int st = elt_check_io(c, 1, 1, 1, 1);
	if (st)
		return st;
	a = aimet_node_attr(c->node, "to");
	if (!a || a->type != AIMET_ATTR_INT)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Cast): attribute 'to' is missing", elt_name(c));
	if (a->i < 0 || a->i > AIMET_DTYPE_MAX)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Cast): 'to' is not a data type (%lld)",
		                   elt_name(c), (long long)a->i);
	return cast_common(c, (int)a->i);
}

static int castlike_infer(struct aimet_op_ctx *c)
{
	int st = elt_check_io(c, 2, 2, 2, 1);
	if (st)
		return st;
	return cast_common(c, c->in[1]->dtype);
}

/* Shortest decimal that reads back as the same float32, spelled as numpy prints it (which the
 * ONNX node tests follow): positional between 1e-4 and 1e16 with a ".0" on whole numbers,
 * scientific outside. */
static void format_float(char *buf, size_t len, float v)
{
	int prec = 1, e10;
	char *e;
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v < 0 ? "-INF" : "INF");
		return;
	}
	if (v == 0) {
		snprintf(buf, len, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	for (; prec < 9; prec++) {
		snprintf(buf, len, "%.*e", prec - 1, (double)v);
		if (strtof(buf, NULL) == v)
			break;
	}
	snprintf(buf, len, "%.*e", prec - 1, (double)v);
	e = strchr(buf, 'e');
	e10 = e ? atoi(e + 1) : 0;
	if (fabsf(v) >= 1e-4f && fabsf(v) < 1e16f) {
		/* positional from the shortest digits, zero-padded: 123456790.0, 0.00012 */
		char digits[16], out[64];
		int nd = 0, k = 0;
		for (const char *p = buf; *p && *p != 'e'; p++)
			if (*p >= '0' && *p <= '9' && nd < 15)
				digits[nd++] = *p;
		if (v < 0)
			out[k++] = '-';
		if (e10 < 0) {
			out[k++] = '0';
			out[k++] = '.';
			for (int i = 0; i < -e10 - 1; i++)
				out[k++] = '0';
			for (int i = 0; i < nd; i++)
				out[k++] = digits[i];
		} else {
			for (int i = 0; i <= e10 || i < nd; i++) {
				if (i == e10 + 1)
					out[k++] = '.';
				out[k++] = i < nd ? digits[i] : '0';
			}
			if (nd <= e10 + 1) {
				out[k++] = '.';
				out[k++] = '0';
			}
		}
		out[k] = 0;
		snprintf(buf, len, "%s", out);
	}
}

static void to_string(const struct aimet_tensor *x, int64_t i, struct aimet_string *s)
{
	char buf[64];
	switch (elt_kind(x->dtype)) {
	case ELT_F:
		if (x->dtype == AIMET_DOUBLE) {
			double v = ((const double *)x->data)[i];
			if (isnan(v) || isinf(v)) {
				format_float(buf, sizeof(buf), (float)v);
			} else {
				for (int prec = 1; prec <= 17; prec++) {
					snprintf(buf, sizeof(buf), "%.*g", prec, v);
					if (strtod(buf, NULL) == v)
						break;
				}
			}
		} else {
			format_float(buf, sizeof(buf), (float)elt_ld_f(x->data, x->dtype, i));
		}
		break;
	case ELT_I:
		snprintf(buf, sizeof(buf), "%lld", (long long)elt_ld_i(x->data, x->dtype, i));
		break;
	default:
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(uint64_t)elt_ld_i(x->data, x->dtype, i));
		break;
	}
	free(s->data);
	s->len = strlen(buf);
	s->data = aimet_strndup(buf, s->len);
	if (!s->data)
		s->len = 0;   /* kernels cannot fail: an empty string on out of memory */
}

static void from_string(const struct aimet_string *s, struct aimet_tensor *y, int64_t i)
{
	char buf[256], *end;
	size_t n = s->len < sizeof(buf) - 1 ? s->len : sizeof(buf) - 1;
	int kind = elt_kind(y->dtype);
	if (n && s->data)
		memcpy(buf, s->data, n);
	buf[n] = 0;
	if (kind == ELT_I || kind == ELT_U) {
		long long v = strtoll(buf, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\n')
			end++;
		if (end != buf && !*end) {
			if (y->dtype == AIMET_UINT64 && buf[0] != '-')
				elt_st_i(y->data, y->dtype, i, (int64_t)strtoull(buf, NULL, 10));
			else
				elt_st_i(y->data, y->dtype, i, v);
			return;
		}
	}
	if (y->dtype == AIMET_FLOAT)
		((float *)y->data)[i] = strtof(buf, NULL);
	else
		elt_st_f(y->data, y->dtype, i, strtod(buf, NULL));
}

/* Element i of x converted into element i of y. */
static void cast_elem(const struct aimet_tensor *x, struct aimet_tensor *y, int64_t i)
{
	int sd = x->dtype, dd = y->dtype;
	if (sd == AIMET_STRING) {
		const struct aimet_string *s = &((const struct aimet_string *)x->data)[i];
		if (dd == AIMET_STRING) {
			struct aimet_string *d = &((struct aimet_string *)y->data)[i];
			free(d->data);
			d->data = aimet_strndup(s->data ? s->data : "", s->len);
			d->len = d->data ? s->len : 0;
		} else {
			from_string(s, y, i);
		}
		return;
	}
	if (dd == AIMET_STRING) {
		to_string(x, i, &((struct aimet_string *)y->data)[i]);
		return;
	}
	switch (elt_kind(sd)) {
	case ELT_F:
		elt_st_f(y->data, dd, i, elt_ld_f(x->data, sd, i));
		break;
	case ELT_I:
		elt_st_i(y->data, dd, i, elt_ld_i(x->data, sd, i));
		break;
	default: {
		uint64_t v = (uint64_t)elt_ld_i(x->data, sd, i);
		/* only uint64 values reach 2^63: convert them unsigned */
		if (v > (uint64_t)INT64_MAX && elt_kind(dd) == ELT_F) {
			if (dd == AIMET_FLOAT)
				((float *)y->data)[i] = (float)v;
			else
				elt_st_f(y->data, dd, i, (double)v);
		} else {
			elt_st_i(y->data, dd, i, (int64_t)v);
		}
		break;
	}
	}
}

static void cast_ref(struct aimet_op_ctx *c)
{
	int64_t n = aimet_tensor_numel(c->out[0]);
	if (c->in[0]->dtype == c->out[0]->dtype && c->in[0]->dtype != AIMET_STRING) {
		if (c->out[0]->data != c->in[0]->data && c->in[0]->nbytes)
			memcpy(c->out[0]->data, c->in[0]->data, c->in[0]->nbytes);
		return;
	}
	for (int64_t i = 0; i < n; i++)
		cast_elem(c->in[0], c->out[0], i);
}

/* ---- typed loops for the common numeric pairs ---- */

#define LOOP(NAME, ST, DT, EXPR)                                                           \
	static void NAME(const void *xs, void *ys, int64_t b, int64_t e)                  \
	{                                                                                 \
		const ST *x = xs;                                                         \
		DT *y = ys;                                                               \
		for (int64_t i = b; i < e; i++) {                                         \
			ST v = x[i];                                                      \
			y[i] = (EXPR);                                                    \
		}                                                                         \
	}
LOOP(u8_f32, uint8_t, float, (float)v)
LOOP(i8_f32, int8_t, float, (float)v)
LOOP(i32_f32, int32_t, float, (float)v)
LOOP(i64_f32, int64_t, float, (float)v)
LOOP(f64_f32, double, float, (float)v)
LOOP(f32_f64, float, double, (double)v)
LOOP(i32_i64, int32_t, int64_t, (int64_t)v)
LOOP(i64_i32, int64_t, int32_t, (int32_t)v)
LOOP(f32_bool, float, uint8_t, v != 0)
LOOP(i64_bool, int64_t, uint8_t, v != 0)
LOOP(f32_i64, float, int64_t, elt_f2i(v))
LOOP(f32_i32, float, int32_t, (int32_t)elt_f2i(v))
LOOP(f32_f16, float, uint16_t, aimet_f64_to_f16(v))
LOOP(f16_f32, uint16_t, float, aimet_f16_to_f32(v))

typedef void (*cast_fn)(const void *, void *, int64_t, int64_t);

static cast_fn fast_for(int sd, int dd)
{
	static const struct { int s, d; cast_fn f; } tab[] = {
		{AIMET_UINT8, AIMET_FLOAT, u8_f32}, {AIMET_BOOL, AIMET_FLOAT, u8_f32},
		{AIMET_INT8, AIMET_FLOAT, i8_f32}, {AIMET_INT32, AIMET_FLOAT, i32_f32},
		{AIMET_INT64, AIMET_FLOAT, i64_f32}, {AIMET_DOUBLE, AIMET_FLOAT, f64_f32},
		{AIMET_FLOAT, AIMET_DOUBLE, f32_f64}, {AIMET_INT32, AIMET_INT64, i32_i64},
		{AIMET_INT64, AIMET_INT32, i64_i32}, {AIMET_FLOAT, AIMET_BOOL, f32_bool},
		{AIMET_INT64, AIMET_BOOL, i64_bool}, {AIMET_FLOAT, AIMET_INT64, f32_i64},
		{AIMET_FLOAT, AIMET_INT32, f32_i32}, {AIMET_FLOAT, AIMET_FLOAT16, f32_f16},
		{AIMET_FLOAT16, AIMET_FLOAT, f16_f32},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].s == sd && tab[i].d == dd)
			return tab[i].f;
	return NULL;
}

struct cast_job { const struct aimet_tensor *x; struct aimet_tensor *y; cast_fn f; };

static void cast_range(void *arg, int64_t b, int64_t e)
{
	struct cast_job *j = arg;
	if (j->f) {
		j->f(j->x->data, j->y->data, b, e);
	} else {
		for (int64_t i = b; i < e; i++)
			cast_elem(j->x, j->y, i);
	}
}

static void cast_run(struct aimet_op_ctx *c)
{
	struct cast_job j = {c->in[0], c->out[0], fast_for(c->in[0]->dtype, c->out[0]->dtype)};
	if (c->in[0]->dtype == AIMET_STRING || c->out[0]->dtype == AIMET_STRING ||
	    c->in[0]->dtype == c->out[0]->dtype) {
		cast_ref(c);
		return;
	}
	aimet_parallel_range(c->threads, aimet_tensor_numel(c->out[0]), 32768, cast_range, &j);
}

const struct aimet_op aimet_op_Cast = {"Cast", "", 0, cast_infer, NULL, cast_run, cast_ref, NULL, 0};
const struct aimet_op aimet_op_CastLike = {"CastLike", "", 0, castlike_infer, NULL, cast_run, cast_ref, NULL, 0};
