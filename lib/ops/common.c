/* common.c: shape helpers shared by the op implementations. */
#include "aimet_ops.h"

#include <string.h>

int aimet_broadcast_shape(int na, const int64_t *a, int nb, const int64_t *b,
                          int *nout, int64_t *out)
{
	int n = na > nb ? na : nb;
	if (n > AIMET_MAX_DIMS)
		return -1;
	for (int i = 0; i < n; i++) {
		int ia = i - (n - na), ib = i - (n - nb);
		int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
		if (da == db || db == 1)
			out[i] = da;
		else if (da == 1)
			out[i] = db;
		else
			return -1;
	}
	*nout = n;
	return 0;
}

int aimet_norm_axis(int64_t axis, int rank)
{
	if (axis < -(int64_t)rank || axis >= rank)
		return -1;
	return (int)(axis < 0 ? axis + rank : axis);
}

void aimet_tensor_set_shape(struct aimet_tensor *dst, int dtype, int ndim, const int64_t *dims)
{
	dst->dtype = dtype;
	dst->ndim = ndim;
	if (ndim > 0)
		memmove(dst->dims, dims, (size_t)ndim * sizeof(*dims));
}
