/* movement.h: small helpers shared by the data-movement ops (reshape.c, transpose.c, slice.c,
 * concat.c, gather.c, expand.c, pad.c, shape.c): dtype checks and row-major strides. */
#ifndef AIMET_OPS_MOVEMENT_H
#define AIMET_OPS_MOVEMENT_H

#include "aimet_ops.h"

#include <stdlib.h>
#include <string.h>

/* These ops copy elements as bytes; strings would need allocation in the kernel, which must
 * not fail, so they are refused here. */
static inline int mv_check_dtype(struct aimet_op_ctx *c, const struct aimet_tensor *t,
                                 const char *what)
{
	if (!aimet_dtype_is_valid(t->dtype))
		return aimet_op_error(c, AIMET_ERR_INVALID, "'%s' has an invalid dtype %d", what,
		                      t->dtype);
	if (t->dtype == AIMET_STRING)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "string tensors are not supported");
	return AIMET_OK;
}

/* Element strides of a contiguous row-major tensor. */
static inline void mv_strides(int ndim, const int64_t *dims, int64_t *strides)
{
	int64_t s = 1;
	for (int i = ndim - 1; i >= 0; i--) {
		strides[i] = s;
		s *= dims[i];
	}
}

/* Input i with a present tensor, or NULL. */
static inline struct aimet_tensor *mv_in(struct aimet_op_ctx *c, int i)
{
	return i < c->n_in ? c->in[i] : NULL;
}

/* Set output o's dtype and shape, checking that its size in bytes is representable. */
static inline int mv_set_out(struct aimet_op_ctx *c, int o, int dtype, int ndim,
                             const int64_t *dims)
{
	size_t bytes;
	int64_t n = aimet_shape_numel(ndim, dims);
	if (ndim > AIMET_MAX_DIMS)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "output rank %d exceeds %d", ndim,
		                      AIMET_MAX_DIMS);
	if (n < 0 || (uint64_t)n > SIZE_MAX || aimet_mul_size((size_t)n, aimet_dtype_size(dtype), &bytes))
		return aimet_op_error(c, AIMET_ERR_NOMEM, "output size overflows");
	aimet_tensor_set_shape(c->out[o], dtype, ndim, dims);
	return AIMET_OK;
}

/* Copy the whole input 0 to output 0 (ops that only change the shape). */
static inline void mv_copy_all(struct aimet_op_ctx *c)
{
	size_t n = c->out[0]->nbytes < c->in[0]->nbytes ? c->out[0]->nbytes : c->in[0]->nbytes;
	if (n && c->out[0]->data != c->in[0]->data)
		memcpy(c->out[0]->data, c->in[0]->data, n);
}

/* Axes of a Reduce/Squeeze-style list normalized against rank, refusing duplicates. */
static inline int mv_norm_axes(struct aimet_op_ctx *c, int64_t *axes, int64_t n, int rank)
{
	unsigned seen = 0;
	for (int64_t i = 0; i < n; i++) {
		int a = aimet_norm_axis(axes[i], rank);
		if (a < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld out of range for rank %d",
			                      (long long)axes[i], rank);
		if (seen & (1u << a))
			return aimet_op_error(c, AIMET_ERR_INVALID, "axis %lld repeated",
			                      (long long)axes[i]);
		seen |= 1u << a;
		axes[i] = a;
	}
	return AIMET_OK;
}

#endif
