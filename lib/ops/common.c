/* common.c: shape helpers shared by the op implementations. */
#include "aimet_ops.h"

#include <math.h>
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

/* ---- broadcasting ---- */

int aimet_bcast_init(struct aimet_bcast *b, int ndim, const int64_t *dims, int n_in,
                     const int *in_ndim, const int64_t *const *in_dims)
{
	int64_t st[AIMET_BCAST_MAX_IN][AIMET_MAX_DIMS], d[AIMET_MAX_DIMS];
	int n = 0;

	if (ndim < 0 || ndim > AIMET_MAX_DIMS || n_in < 1 || n_in > AIMET_BCAST_MAX_IN)
		return -1;
	memset(b, 0, sizeof(*b));
	b->n_in = n_in;
	b->numel = aimet_shape_numel(ndim, dims);
	if (b->numel < 0)
		return -1;
	for (int k = 0; k < n_in; k++) {
		int nd = in_ndim[k];
		int64_t s = 1;
		if (nd < 0 || nd > ndim)
			return -1;
		for (int i = ndim - 1; i >= 0; i--) {
			int j = i - (ndim - nd);
			if (j < 0) {
				st[k][i] = 0;
			} else if (in_dims[k][j] == dims[i]) {
				st[k][i] = dims[i] == 1 ? 0 : s;
				s *= in_dims[k][j];
			} else if (in_dims[k][j] == 1) {
				st[k][i] = 0;
			} else {
				return -1;
			}
		}
	}
	/* drop dims of size 1, then merge a dim into its outer neighbour when every input
	 * steps across the pair as across one dim */
	for (int i = 0; i < ndim; i++) {
		if (dims[i] == 1)
			continue;
		if (n > 0) {
			int merge = 1;
			for (int k = 0; k < n_in && merge; k++)
				merge = b->strides[k][n - 1] == st[k][i] * dims[i];
			if (merge) {
				d[n - 1] *= dims[i];
				for (int k = 0; k < n_in; k++)
					b->strides[k][n - 1] = st[k][i];
				continue;
			}
		}
		d[n] = dims[i];
		for (int k = 0; k < n_in; k++)
			b->strides[k][n] = st[k][i];
		n++;
	}
	if (b->numel == 0) {
		n = 1;
		d[0] = 0;
		for (int k = 0; k < n_in; k++)
			b->strides[k][0] = 0;
	} else if (n == 0) {
		n = 1;
		d[0] = 1;
		for (int k = 0; k < n_in; k++)
			b->strides[k][0] = 0;
	}
	b->ndim = n;
	memcpy(b->dims, d, (size_t)n * sizeof(d[0]));
	b->inner = d[n - 1];
	return 0;
}

int aimet_bcast_init_t(struct aimet_bcast *b, const struct aimet_tensor *out, int n_in,
                       const struct aimet_tensor *const *in)
{
	int nd[AIMET_BCAST_MAX_IN];
	const int64_t *dd[AIMET_BCAST_MAX_IN];
	if (n_in < 1 || n_in > AIMET_BCAST_MAX_IN)
		return -1;
	for (int k = 0; k < n_in; k++) {
		nd[k] = in[k]->ndim;
		dd[k] = in[k]->dims;
	}
	return aimet_bcast_init(b, out->ndim, out->dims, n_in, nd, dd);
}

void aimet_bcast_seek(const struct aimet_bcast *b, struct aimet_bcast_iter *it, int64_t pos)
{
	int64_t row = b->inner ? pos / b->inner : 0;
	for (int k = 0; k < b->n_in; k++)
		it->off[k] = 0;
	it->col = b->inner ? pos % b->inner : 0;
	for (int i = b->ndim - 2; i >= 0; i--) {
		it->idx[i] = row % b->dims[i];
		row /= b->dims[i];
		for (int k = 0; k < b->n_in; k++)
			it->off[k] += it->idx[i] * b->strides[k][i];
	}
}

void aimet_bcast_next_row(const struct aimet_bcast *b, struct aimet_bcast_iter *it)
{
	it->col = 0;
	for (int i = b->ndim - 2; i >= 0; i--) {
		if (++it->idx[i] < b->dims[i]) {
			for (int k = 0; k < b->n_in; k++)
				it->off[k] += b->strides[k][i];
			return;
		}
		it->idx[i] = 0;
		for (int k = 0; k < b->n_in; k++)
			it->off[k] -= b->strides[k][i] * (b->dims[i] - 1);
	}
}

int64_t aimet_bcast_src_index(int ndim, const int64_t *dims, int nd, const int64_t *d, int64_t i)
{
	int64_t idx = 0, stride = 1;
	for (int o = ndim - 1, j = nd - 1; o >= 0 && j >= 0; o--, j--) {
		int64_t c = dims[o] ? i % dims[o] : 0;
		i = dims[o] ? i / dims[o] : 0;
		if (d[j] != 1)
			idx += c * stride;
		stride *= d[j];
	}
	return idx;
}

/* ---- threading ---- */

void aimet_parallel_range(int threads, int64_t n, int64_t grain,
                          void (*fn)(void *arg, int64_t begin, int64_t end), void *arg)
{
	int64_t chunks;
	if (grain < 1)
		grain = 1;
	chunks = n / grain;
	if (chunks > threads)
		chunks = threads;
	if (threads <= 1 || n < 2 * grain || chunks < 2) {
		if (n > 0)
			fn(arg, 0, n);
		return;
	}
	{
		int64_t q = n / chunks, r = n % chunks;
#pragma omp parallel for num_threads((int)chunks) schedule(static, 1)
		for (int64_t t = 0; t < chunks; t++) {
			int64_t b = q * t + (t < r ? t : r), e = b + q + (t < r);
			fn(arg, b, e);
		}
	}
}

/* ---- half and bfloat16 ---- */

float aimet_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
	float f;
	if (exp == 0) {
		f = ldexpf((float)man, -24);
		return sign ? -f : f;
	}
	if (exp == 31)
		bits = sign | 0x7f800000u | (man << 13);
	else
		bits = sign | ((exp + 112) << 23) | (man << 13);
	memcpy(&f, &bits, 4);
	return f;
}

uint16_t aimet_f64_to_f16(double x)
{
	uint16_t sign = signbit(x) ? 0x8000 : 0;
	double a = fabs(x), m;
	int e;
	if (isnan(x))
		return sign | 0x7e00;
	if (a >= 65520.0)                    /* half-way above 65504 rounds to even: infinity */
		return sign | 0x7c00;
	if (a < 0x1p-14)                     /* subnormal: units of 2^-24; 1024 units is 0x0400 */
		return sign | (uint16_t)nearbyint(a * 0x1p24);
	frexp(a, &e);                        /* a = f * 2^e, f in [0.5, 1) */
	e -= 1;                              /* a = v * 2^e, v in [1, 2) */
	m = nearbyint((ldexp(a, -e) - 1.0) * 1024.0);
	if (m >= 1024.0) {
		m = 0;
		e++;
	}
	if (e + 15 >= 31)
		return sign | 0x7c00;
	return sign | (uint16_t)((e + 15) << 10) | (uint16_t)m;
}

float aimet_bf16_to_f32(uint16_t h)
{
	uint32_t bits = (uint32_t)h << 16;
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

uint16_t aimet_f32_to_bf16(float x)
{
	uint32_t bits;
	if (isnan(x))
		return signbit(x) ? 0xffc0 : 0x7fc0;
	memcpy(&bits, &x, 4);
	return (uint16_t)(bits >> 16);
}

/* ---- messages and constant inputs ---- */

int aimet_op_error(struct aimet_op_ctx *c, int status, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return aimet_error(c->ctx, status, "%s '%s': %s",
	                   c->node && c->node->op_type ? c->node->op_type : "?",
	                   c->node && c->node->name ? c->node->name : "", msg);
}

int aimet_op_const_ints(struct aimet_op_ctx *c, int idx, const char *what,
                        int64_t *vals, int64_t max, int64_t *n)
{
	const struct aimet_tensor *t = idx < c->n_in ? c->in[idx] : NULL;
	int64_t count;
	if (!t)
		return aimet_op_error(c, AIMET_ERR_INVALID, "missing '%s' input", what);
	if (t->dtype != AIMET_INT64 && t->dtype != AIMET_INT32)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'%s' input must be int64, not %s",
		                      what, aimet_dtype_name(t->dtype));
	if (t->ndim > 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'%s' input must be 1-D, not rank %d",
		                      what, t->ndim);
	if (!t->data)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "requires a constant '%s' input", what);
	count = aimet_tensor_numel(t);
	if (count < 0 || count > max ||
	    (uint64_t)count * aimet_dtype_size(t->dtype) > (uint64_t)t->nbytes)
		return aimet_op_error(c, AIMET_ERR_INVALID, "'%s' input has %lld values (at most %lld)",
		                      what, (long long)count, (long long)max);
	for (int64_t i = 0; i < count; i++)
		vals[i] = aimet_tensor_get_i64(t, i);
	*n = count;
	return AIMET_OK;
}
