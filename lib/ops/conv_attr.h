/* conv_attr.h: private to conv.c and convtranspose.c — the window attributes they share
 * (kernel_shape, strides, dilations, pads, auto_pad, group), read and range-checked once. */
#ifndef AIMET_CONV_ATTR_H
#define AIMET_CONV_ATTR_H

#include <limits.h>
#include <string.h>
#include "aimet_ops.h"

#define CONV_MAX_SP (AIMET_MAX_DIMS - 2)
/* Every size and attribute value is kept below this, so sums and a few products of them
 * cannot overflow int64 and BLAS dimensions fit in int. */
#define CONV_DIM_MAX ((int64_t)INT_MAX)

enum { CONV_PAD_NOTSET, CONV_PAD_SAME_UPPER, CONV_PAD_SAME_LOWER, CONV_PAD_VALID };

struct conv_attrs {
	int nsp;                                   /* spatial rank */
	int64_t group;
	int auto_pad;
	int64_t k[CONV_MAX_SP], s[CONV_MAX_SP], d[CONV_MAX_SP];
	int64_t pb[CONV_MAX_SP], pe[CONV_MAX_SP];  /* explicit pads (begin, end) */
	int has_pads;
};

/* An INTS attribute of exactly `count` values in [lo, CONV_DIM_MAX], or the default. */
static inline int conv_ints(struct aimet_op_ctx *c, const char *name, int count, int64_t lo,
                            int64_t dflt, int64_t *out, int *present)
{
	const int64_t *v;
	int n = aimet_node_attr_ints(c->node, name, &v);
	if (present)
		*present = n >= 0;
	if (n < 0) {
		for (int i = 0; i < count; i++)
			out[i] = dflt;
		return AIMET_OK;
	}
	if (n != count)
		return aimet_op_error(c, AIMET_ERR_INVALID, "attribute '%s' has %d values, expected %d",
		                      name, n, count);
	for (int i = 0; i < n; i++) {
		if (v[i] < lo || v[i] > CONV_DIM_MAX)
			return aimet_op_error(c, AIMET_ERR_INVALID, "attribute '%s' value %lld is out of range",
			                      name, (long long)v[i]);
		out[i] = v[i];
	}
	return AIMET_OK;
}

/* Read the shared attributes for a weight whose spatial dims are wdims[0..nsp). */
static inline int conv_attrs_read(struct aimet_op_ctx *c, int nsp, const int64_t *wdims,
                                  struct conv_attrs *a)
{
	int st, present;
	int64_t pads[2 * CONV_MAX_SP];
	const char *ap;
	memset(a, 0, sizeof(*a));
	a->nsp = nsp;
	if ((st = conv_ints(c, "kernel_shape", nsp, 1, 1, a->k, &present)))
		return st;
	for (int i = 0; i < nsp; i++) {
		if (wdims[i] < 1 || wdims[i] > CONV_DIM_MAX)
			return aimet_op_error(c, AIMET_ERR_INVALID, "weight spatial dimension %lld is out of range",
			                      (long long)wdims[i]);
		if (present && a->k[i] != wdims[i])
			return aimet_op_error(c, AIMET_ERR_INVALID,
			                      "attribute 'kernel_shape' does not match the weight shape");
		a->k[i] = wdims[i];
	}
	if ((st = conv_ints(c, "strides", nsp, 1, 1, a->s, NULL)) ||
	    (st = conv_ints(c, "dilations", nsp, 1, 1, a->d, NULL)) ||
	    (st = conv_ints(c, "pads", 2 * nsp, 0, 0, pads, &a->has_pads)))
		return st;
	for (int i = 0; i < nsp; i++) {
		a->pb[i] = pads[i];
		a->pe[i] = pads[nsp + i];
		if ((a->k[i] - 1) * a->d[i] + 1 > CONV_DIM_MAX)
			return aimet_op_error(c, AIMET_ERR_INVALID, "dilated kernel is too large");
	}
	a->group = aimet_node_attr_int(c->node, "group", 1);
	if (a->group < 1 || a->group > CONV_DIM_MAX)
		return aimet_op_error(c, AIMET_ERR_INVALID, "attribute 'group' %lld is out of range",
		                      (long long)a->group);
	ap = aimet_node_attr_str(c->node, "auto_pad", "NOTSET");
	if (!strcmp(ap, "NOTSET") || !ap[0])
		a->auto_pad = CONV_PAD_NOTSET;
	else if (!strcmp(ap, "SAME_UPPER"))
		a->auto_pad = CONV_PAD_SAME_UPPER;
	else if (!strcmp(ap, "SAME_LOWER"))
		a->auto_pad = CONV_PAD_SAME_LOWER;
	else if (!strcmp(ap, "VALID"))
		a->auto_pad = CONV_PAD_VALID;
	else
		return aimet_op_error(c, AIMET_ERR_INVALID, "attribute 'auto_pad' \"%s\" is not supported", ap);
	return AIMET_OK;
}

/* Floor division (C's / truncates toward zero). */
static inline int64_t conv_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Check a tensor dim against CONV_DIM_MAX. */
static inline int conv_dim_ok(int64_t d) { return d >= 0 && d <= CONV_DIM_MAX; }

#endif
