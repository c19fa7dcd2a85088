/* trilu.c: the diagonal-band ops — Trilu (keep the upper or lower triangle of the last two
 * dims, zero the rest) and EyeLike (ones on diagonal k of a 2-D tensor). */
#include "movement.h"

/* ---- Trilu ---- */

static int trilu_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0), *k = mv_in(c, 1);
	int st;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs an input and one output");
	if ((st = mv_check_dtype(c, x, "input")))
		return st;
	if (x->ndim < 2)
		return aimet_op_error(c, AIMET_ERR_INVALID, "input has rank %d, needs at least 2", x->ndim);
	/* k is read at run time; only its type matters here */
	if (k && ((k->dtype != AIMET_INT64 && k->dtype != AIMET_INT32) || aimet_tensor_numel(k) != 1))
		return aimet_op_error(c, AIMET_ERR_INVALID, "'k' must be an int64 scalar");
	return mv_set_out(c, 0, x->dtype, x->ndim, x->dims);
}

/* Columns [0, keep_lo) and [keep_hi, cols) of row i are zeroed: the band kept is
 * j - i >= k (upper) or j - i <= k (lower). k is clamped first so i + k cannot overflow. */
static void trilu_cols(int upper, int64_t k, int64_t i, int64_t cols, int64_t *lo, int64_t *hi)
{
	int64_t a;
	if (upper) {
		a = i + k;
		*lo = a < 0 ? 0 : a > cols ? cols : a;
		*hi = cols;
	} else {
		a = i + k + 1;
		*lo = 0;
		*hi = a < 0 ? 0 : a > cols ? cols : a;
	}
}

static int64_t trilu_k(const struct aimet_op_ctx *c, int64_t rows, int64_t cols)
{
	const struct aimet_tensor *kt = mv_in((struct aimet_op_ctx *)c, 1);
	int64_t k = kt && kt->data ? aimet_tensor_get_i64(kt, 0) : 0;
	return k < -rows - 1 ? -rows - 1 : k > cols + 1 ? cols + 1 : k;
}

static void trilu_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int64_t rows = x->dims[x->ndim - 2], cols = x->dims[x->ndim - 1], n = aimet_tensor_numel(x);
	int64_t k = trilu_k(c, rows, cols);
	int upper = aimet_node_attr_int(c->node, "upper", 1) != 0;
	size_t es = aimet_dtype_size(x->dtype);
	for (int64_t e = 0; e < n; e++) {
		int64_t j = e % cols, i = e / cols % rows;
		int keep = upper ? j - i >= k : j - i <= k;
		if (keep)
			memcpy((char *)y->data + (size_t)e * es, (const char *)x->data + (size_t)e * es, es);
		else
			memset((char *)y->data + (size_t)e * es, 0, es);
	}
}

struct trilu_job {
	const struct aimet_op_ctx *c;
	int64_t rows, cols, k;
	int upper;
	size_t es;
};

static void trilu_rows(void *arg, int64_t b, int64_t e)
{
	const struct trilu_job *j = arg;
	const char *x = j->c->in[0]->data;
	char *y = j->c->out[0]->data;
	size_t rb = (size_t)j->cols * j->es;
	for (int64_t r = b; r < e; r++) {
		int64_t lo, hi;
		trilu_cols(j->upper, j->k, r % j->rows, j->cols, &lo, &hi);
		if (hi < lo)
			hi = lo;
		memset(y + r * rb, 0, (size_t)lo * j->es);
		memcpy(y + r * rb + (size_t)lo * j->es, x + r * rb + (size_t)lo * j->es,
		       (size_t)(hi - lo) * j->es);
		memset(y + r * rb + (size_t)hi * j->es, 0, (size_t)(j->cols - hi) * j->es);
	}
}

static void trilu_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct trilu_job j;
	int64_t n = aimet_tensor_numel(x);
	j.c = c;
	j.rows = x->dims[x->ndim - 2];
	j.cols = x->dims[x->ndim - 1];
	j.k = trilu_k(c, j.rows, j.cols);
	j.upper = aimet_node_attr_int(c->node, "upper", 1) != 0;
	j.es = aimet_dtype_size(x->dtype);
	if (!n)
		return;
	aimet_parallel_range(c->threads, n / j.cols, 1 + 16384 / (j.cols * (int64_t)j.es), trilu_rows, &j);
}

/* ---- EyeLike ---- */

static int one_bytes(int dtype, unsigned char *out)
{
	memset(out, 0, 16);
	switch (dtype) {
	case AIMET_FLOAT: { float f = 1; memcpy(out, &f, 4); return 0; }
	case AIMET_DOUBLE: { double d = 1; memcpy(out, &d, 8); return 0; }
	case AIMET_FLOAT16: { uint16_t h = 0x3c00; memcpy(out, &h, 2); return 0; }
	case AIMET_BFLOAT16: { uint16_t h = 0x3f80; memcpy(out, &h, 2); return 0; }
	case AIMET_INT8: case AIMET_UINT8: case AIMET_BOOL: out[0] = 1; return 0;
	case AIMET_INT16: case AIMET_UINT16: { uint16_t v = 1; memcpy(out, &v, 2); return 0; }
	case AIMET_INT32: case AIMET_UINT32: { uint32_t v = 1; memcpy(out, &v, 4); return 0; }
	case AIMET_INT64: case AIMET_UINT64: { uint64_t v = 1; memcpy(out, &v, 8); return 0; }
	default: return -1;
	}
}

static int eyelike_dtype(const struct aimet_op_ctx *c)
{
	return (int)aimet_node_attr_int(c->node, "dtype", c->in[0]->dtype);
}

static int eyelike_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	unsigned char one[16];
	int dtype;
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs an input and one output");
	if (x->ndim != 2)
		return aimet_op_error(c, AIMET_ERR_INVALID, "input has rank %d, needs 2", x->ndim);
	dtype = eyelike_dtype(c);
	if (one_bytes(dtype, one))
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "dtype %s", aimet_dtype_name(dtype));
	return mv_set_out(c, 0, dtype, 2, x->dims);
}

static void eyelike_ref(struct aimet_op_ctx *c)
{
	struct aimet_tensor *y = c->out[0];
	unsigned char one[16];
	int64_t k = aimet_node_attr_int(c->node, "k", 0), rows = y->dims[0], cols = y->dims[1];
	size_t es = aimet_dtype_size(y->dtype);
	one_bytes(y->dtype, one);
	memset(y->data, 0, y->nbytes);
	for (int64_t i = 0; i < rows; i++) {
		/* column i + k, tested without forming i + k (k is an untrusted attribute) */
		if ((k >= 0 && k < cols - i) || (k < 0 && i + k >= 0 && i + k < cols))
			memcpy((char *)y->data + (size_t)(i * cols + i + k) * es, one, es);
	}
}

const struct aimet_op aimet_op_Trilu = {
	.op_type = "Trilu", .domain = "", .infer = trilu_infer, .run = trilu_run, .ref = trilu_ref,
};
const struct aimet_op aimet_op_EyeLike = {
	.op_type = "EyeLike", .domain = "", .infer = eyelike_infer, .ref = eyelike_ref,
};
