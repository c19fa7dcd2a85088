/* concat.c: Concat and Split, the two directions of one copy: an outer loop over the dims
 * before `axis`, and a contiguous block per input (output) inside. */
#include "movement.h"

/* Bytes below this stay on one thread. */
#define GRAIN_BYTES (64 * 1024)

static int concat_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x0 = mv_in(c, 0);
	int64_t dims[AIMET_MAX_DIMS], raw;
	int axis, st;
	if (!x0 || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs at least one input and one output");
	if ((st = mv_check_dtype(c, x0, "inputs")))
		return st;
	if (x0->ndim < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "cannot concatenate scalars");
	raw = aimet_node_attr_int(c->node, "axis", c->opset < 4 ? 1 : INT64_MIN);
	if (raw == INT64_MIN)
		return aimet_op_error(c, AIMET_ERR_INVALID, "missing 'axis' attribute");
	if ((axis = aimet_norm_axis(raw, x0->ndim)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range for rank %d",
		                      (long long)raw, x0->ndim);
	memcpy(dims, x0->dims, sizeof(int64_t) * (size_t)x0->ndim);
	for (int k = 1; k < c->n_in; k++) {
		const struct aimet_tensor *x = c->in[k];
		if (!x)
			return aimet_op_error(c, AIMET_ERR_INVALID, "input %d is missing", k);
		if (x->dtype != x0->dtype || x->ndim != x0->ndim)
			return aimet_op_error(c, AIMET_ERR_INVALID, "input %d differs in dtype or rank", k);
		for (int i = 0; i < x->ndim; i++)
			if (i != axis && x->dims[i] != dims[i])
				return aimet_op_error(c, AIMET_ERR_INVALID,
				                      "input %d has dim %d of %lld, not %lld", k, i,
				                      (long long)x->dims[i], (long long)dims[i]);
		if (x->dims[axis] > INT64_MAX - dims[axis])
			return aimet_op_error(c, AIMET_ERR_INVALID, "output size overflows");
		dims[axis] += x->dims[axis];
	}
	return mv_set_out(c, 0, x0->dtype, x0->ndim, dims);
}

static int concat_axis(const struct aimet_op_ctx *c)
{
	return aimet_norm_axis(aimet_node_attr_int(c->node, "axis", 1), c->in[0]->ndim);
}

static void concat_ref(struct aimet_op_ctx *c)
{
	struct aimet_tensor *y = c->out[0];
	int axis = concat_axis(c);
	size_t es = aimet_dtype_size(y->dtype);
	int64_t n = aimet_tensor_numel(y), inner = 1;
	for (int i = axis + 1; i < y->ndim; i++)
		inner *= y->dims[i];
	for (int64_t i = 0; i < n; i++) {
		int64_t a = i / inner % y->dims[axis], o = i / inner / y->dims[axis], in = i % inner;
		int k = 0;
		while (a >= c->in[k]->dims[axis])
			a -= c->in[k++]->dims[axis];
		memcpy((char *)y->data + (size_t)i * es,
		       (const char *)c->in[k]->data +
		               (size_t)((o * c->in[k]->dims[axis] + a) * inner + in) * es, es);
	}
}

struct cat_job {
	struct aimet_op_ctx *c;
	size_t inner_bytes, out_row;  /* bytes of one axis step; of one outer step of the output */
	int axis;
};

static void cat_rows(void *arg, int64_t b, int64_t e)
{
	const struct cat_job *j = arg;
	struct aimet_op_ctx *c = j->c;
	for (int64_t o = b; o < e; o++) {
		char *d = (char *)c->out[0]->data + (size_t)o * j->out_row;
		for (int k = 0; k < c->n_in; k++) {
			size_t blk = (size_t)c->in[k]->dims[j->axis] * j->inner_bytes;
			if (blk)
				memcpy(d, (const char *)c->in[k]->data + (size_t)o * blk, blk);
			d += blk;
		}
	}
}

static void concat_run(struct aimet_op_ctx *c)
{
	struct aimet_tensor *y = c->out[0];
	struct cat_job j;
	int64_t outer = 1, inner = 1;
	j.c = c;
	j.axis = concat_axis(c);
	for (int i = 0; i < j.axis; i++)
		outer *= y->dims[i];
	for (int i = j.axis + 1; i < y->ndim; i++)
		inner *= y->dims[i];
	j.inner_bytes = (size_t)inner * aimet_dtype_size(y->dtype);
	j.out_row = (size_t)y->dims[j.axis] * j.inner_bytes;
	if (!j.out_row)
		return;
	aimet_parallel_range(c->threads, outer, 1 + GRAIN_BYTES / (int64_t)j.out_row, cat_rows, &j);
}

/* ---- Split ---- */

static int split_all_present(const struct aimet_op_ctx *c)
{
	for (int k = 0; k < c->n_out; k++)
		if (!c->out[k])
			return 0;
	return 1;
}

static int split_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int64_t raw, d, *sizes, ns = -1, sum = 0;
	int axis, st, n = c->n_out;
	if (!x || n < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs an input and at least one output");
	if ((st = mv_check_dtype(c, x, "input")))
		return st;
	/* the kernels place each output's block after the blocks of the outputs before it */
	if (!split_all_present(c))
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "omitted outputs are not supported");
	raw = aimet_node_attr_int(c->node, "axis", 0);
	if ((axis = aimet_norm_axis(raw, x->ndim)) < 0)
		return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range for rank %d",
		                      (long long)raw, x->ndim);
	d = x->dims[axis];
	if (!(sizes = aimet_calloc((size_t)n, sizeof(*sizes))))
		return aimet_op_error(c, AIMET_ERR_NOMEM, "out of memory");
	if (c->opset < 13 && aimet_node_attr(c->node, "split")) {
		const int64_t *v;
		int cnt = aimet_node_attr_ints(c->node, "split", &v);
		if (cnt != n) {
			st = aimet_op_error(c, AIMET_ERR_INVALID, "'split' has %d values for %d outputs", cnt, n);
			goto out;
		}
		memcpy(sizes, v, sizeof(*sizes) * (size_t)n);
		ns = n;
	} else if (mv_in(c, 1)) {   /* an input from opset 13 (and in opset 1) */
		if ((st = aimet_op_const_ints(c, 1, "split", sizes, n, &ns)))
			goto out;
		if (ns != n) {
			st = aimet_op_error(c, AIMET_ERR_INVALID, "'split' has %lld values for %d outputs",
			                    (long long)ns, n);
			goto out;
		}
	}
	if (ns < 0) {
		int64_t num = c->opset >= 18 ? aimet_node_attr_int(c->node, "num_outputs", -1) : -1;
		if (num >= 0 && num != n) {
			st = aimet_op_error(c, AIMET_ERR_INVALID, "'num_outputs' is %lld for %d outputs",
			                    (long long)num, n);
			goto out;
		}
		if (num < 0 && d % n) {
			st = aimet_op_error(c, AIMET_ERR_INVALID, "dim %lld does not split in %d equal parts",
			                    (long long)d, n);
			goto out;
		}
		/* num_outputs: ceil-sized chunks, the last one takes what is left */
		for (int i = 0; i < n; i++) {
			int64_t chunk = (d + n - 1) / n, left = d - chunk * i;
			sizes[i] = left < 0 ? 0 : left < chunk ? left : chunk;
		}
	}
	for (int i = 0; i < n; i++) {
		if (sizes[i] < 0 || sizes[i] > d - sum) {
			st = aimet_op_error(c, AIMET_ERR_INVALID, "'split' sizes do not add up to %lld",
			                    (long long)d);
			goto out;
		}
		sum += sizes[i];
	}
	if (sum != d) {
		st = aimet_op_error(c, AIMET_ERR_INVALID, "'split' sizes add up to %lld, not %lld",
		                    (long long)sum, (long long)d);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int64_t dims[AIMET_MAX_DIMS];
		memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->ndim);
		dims[axis] = sizes[i];
		if ((st = mv_set_out(c, i, x->dtype, x->ndim, dims)))
			goto out;
	}
	st = AIMET_OK;
out:
	free(sizes);
	return st;
}

struct split_job {
	struct aimet_op_ctx *c;
	size_t inner_bytes, in_row;
	int axis;
};

static void split_rows(void *arg, int64_t b, int64_t e)
{
	const struct split_job *j = arg;
	struct aimet_op_ctx *c = j->c;
	for (int64_t o = b; o < e; o++) {
		const char *s = (const char *)c->in[0]->data + (size_t)o * j->in_row;
		for (int k = 0; k < c->n_out; k++) {
			size_t blk = (size_t)c->out[k]->dims[j->axis] * j->inner_bytes;
			if (blk)
				memcpy((char *)c->out[k]->data + (size_t)o * blk, s, blk);
			s += blk;
		}
	}
}

static int split_axis(const struct aimet_op_ctx *c)
{
	return aimet_norm_axis(aimet_node_attr_int(c->node, "axis", 0), c->in[0]->ndim);
}

static void split_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	int axis = split_axis(c);
	size_t es = aimet_dtype_size(x->dtype);
	int64_t inner = 1, off = 0;
	for (int i = axis + 1; i < x->ndim; i++)
		inner *= x->dims[i];
	for (int k = 0; k < c->n_out; k++) {
		struct aimet_tensor *y = c->out[k];
		int64_t n = aimet_tensor_numel(y), dk = y->dims[axis];
		for (int64_t i = 0; i < n; i++) {
			int64_t a = i / inner % dk, o = i / inner / dk, in = i % inner;
			memcpy((char *)y->data + (size_t)i * es,
			       (const char *)x->data + (size_t)((o * x->dims[axis] + off + a) * inner + in) * es,
			       es);
		}
		off += dk;
	}
}

static void split_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct split_job j;
	int64_t outer = 1, inner = 1;
	j.c = c;
	j.axis = split_axis(c);
	for (int i = 0; i < j.axis; i++)
		outer *= x->dims[i];
	for (int i = j.axis + 1; i < x->ndim; i++)
		inner *= x->dims[i];
	j.inner_bytes = (size_t)inner * aimet_dtype_size(x->dtype);
	j.in_row = (size_t)x->dims[j.axis] * j.inner_bytes;
	if (!j.in_row)
		return;
	aimet_parallel_range(c->threads, outer, 1 + GRAIN_BYTES / (int64_t)j.in_row, split_rows, &j);
}

const struct aimet_op aimet_op_Concat = {
	.op_type = "Concat", .domain = "", .infer = concat_infer, .run = concat_run, .ref = concat_ref,
};
const struct aimet_op aimet_op_Split = {
	.op_type = "Split", .domain = "", .infer = split_infer, .run = split_run, .ref = split_ref,
};
