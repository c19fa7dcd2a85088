/* transpose.c: Transpose. The fast kernel is the shared strided copy (memcpy rows when the
 * last axis stays last, cache tiles otherwise); the reference decodes every index. */
#include "movement.h"
#include "aimet_kernels.h"

static int get_perm(struct aimet_op_ctx *c, int rank, int *perm)
{
	const int64_t *v;
	int n = aimet_node_attr_ints(c->node, "perm", &v);
	unsigned seen = 0;
	if (n < 0) {
		for (int i = 0; i < rank; i++)
			perm[i] = rank - 1 - i;
		return AIMET_OK;
	}
	if (n != rank)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'perm' has %d entries for rank %d", n, rank);
	for (int i = 0; i < n; i++) {
		if (v[i] < 0 || v[i] >= rank || (seen & (1u << v[i])))
			return aimet_op_error(c, AIMET_ERR_INVALID, "'perm' is not a permutation");
		seen |= 1u << v[i];
		perm[i] = (int)v[i];
	}
	return AIMET_OK;
}

static int transpose_infer(struct aimet_op_ctx *c)
{
	struct aimet_tensor *x = mv_in(c, 0);
	int perm[AIMET_MAX_DIMS], st;
	int64_t dims[AIMET_MAX_DIMS];
	if (!x || c->n_out < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs one input and one output");
	if ((st = mv_check_dtype(c, x, "data")) || (st = get_perm(c, x->ndim, perm)))
		return st;
	for (int i = 0; i < x->ndim; i++)
		dims[i] = x->dims[perm[i]];
	return mv_set_out(c, 0, x->dtype, x->ndim, dims);
}

static void transpose_ref(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int perm[AIMET_MAX_DIMS], r = x->ndim;
	int64_t xs[AIMET_MAX_DIMS], n = aimet_tensor_numel(y);
	size_t es = aimet_dtype_size(x->dtype);
	get_perm(c, r, perm);
	mv_strides(r, x->dims, xs);
	for (int64_t i = 0; i < n; i++) {
		int64_t rem = i, src = 0;
		for (int d = r - 1; d >= 0; d--) {
			src += (rem % y->dims[d]) * xs[perm[d]];
			rem /= y->dims[d];
		}
		memcpy((char *)y->data + (size_t)i * es, (const char *)x->data + (size_t)src * es, es);
	}
}

static void transpose_run(struct aimet_op_ctx *c)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int perm[AIMET_MAX_DIMS];
	int64_t xs[AIMET_MAX_DIMS], ss[AIMET_MAX_DIMS];
	get_perm(c, x->ndim, perm);
	mv_strides(x->ndim, x->dims, xs);
	for (int i = 0; i < x->ndim; i++)
		ss[i] = xs[perm[i]];
	aimet_copy_strided(y->data, x->data, aimet_dtype_size(x->dtype), y->ndim, y->dims, ss,
	                   c->threads);
}

const struct aimet_op aimet_op_Transpose = {
	.op_type = "Transpose", .domain = "", .infer = transpose_infer,
	.run = transpose_run, .ref = transpose_ref,
};
