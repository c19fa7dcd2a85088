/* elt.h: private helpers of the elementwise op family (unary, binary, variadic, clip, where,
 * cast): dtype classes and element load/store through double / int64 / uint64. */
#ifndef AIMET_OPS_ELT_H
#define AIMET_OPS_ELT_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "aimet_ops.h"

/* The vector loops get AVX-512 and AVX2 versions, chosen when the program loads. Their results
 * are bitwise those of the baseline version: each file keeps floating-point contraction off. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(AIMET_NO_CLONES)
#define ELT_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ELT_CLONES
#endif

/* How an elementwise op computes on a dtype: in double, in int64, in uint64. */
enum { ELT_NONE = 0, ELT_F = 1, ELT_I = 2, ELT_U = 3 };
/* dtype class masks for the op tables */
#define ELT_M_F32   (1u << 0)
#define ELT_M_F64   (1u << 1)
#define ELT_M_F16   (1u << 2)   /* float16 and bfloat16, computed in float */
#define ELT_M_SINT  (1u << 3)
#define ELT_M_UINT  (1u << 4)
#define ELT_M_BOOL  (1u << 5)
#define ELT_M_FLOAT (ELT_M_F32 | ELT_M_F64 | ELT_M_F16)
#define ELT_M_INT   (ELT_M_SINT | ELT_M_UINT)
#define ELT_M_NUM   (ELT_M_FLOAT | ELT_M_INT)

static inline int elt_kind(int dt)
{
	switch (dt) {
	case AIMET_FLOAT: case AIMET_DOUBLE: case AIMET_FLOAT16: case AIMET_BFLOAT16:
		return ELT_F;
	case AIMET_INT8: case AIMET_INT16: case AIMET_INT32: case AIMET_INT64: case AIMET_INT4:
		return ELT_I;
	case AIMET_UINT8: case AIMET_UINT16: case AIMET_UINT32: case AIMET_UINT64:
	case AIMET_BOOL: case AIMET_UINT4:
		return ELT_U;
	default:
		return ELT_NONE;
	}
}

/* The mask bit of a dtype (0 for dtypes no elementwise op handles: strings, complex, float8,
 * int4 — int4/uint4 are left out as their wrap-around width is not a C type's). */
static inline unsigned elt_mask(int dt)
{
	switch (dt) {
	case AIMET_FLOAT: return ELT_M_F32;
	case AIMET_DOUBLE: return ELT_M_F64;
	case AIMET_FLOAT16: case AIMET_BFLOAT16: return ELT_M_F16;
	case AIMET_INT8: case AIMET_INT16: case AIMET_INT32: case AIMET_INT64: return ELT_M_SINT;
	case AIMET_UINT8: case AIMET_UINT16: case AIMET_UINT32: case AIMET_UINT64: return ELT_M_UINT;
	case AIMET_BOOL: return ELT_M_BOOL;
	default: return 0;
	}
}

static inline double elt_ld_f(const void *p, int dt, int64_t i)
{
	switch (dt) {
	case AIMET_FLOAT: return ((const float *)p)[i];
	case AIMET_DOUBLE: return ((const double *)p)[i];
	case AIMET_FLOAT16: return aimet_f16_to_f32(((const uint16_t *)p)[i]);
	case AIMET_BFLOAT16: return aimet_bf16_to_f32(((const uint16_t *)p)[i]);
	case AIMET_INT8: return ((const int8_t *)p)[i];
	case AIMET_INT16: return ((const int16_t *)p)[i];
	case AIMET_INT32: return ((const int32_t *)p)[i];
	case AIMET_INT64: return (double)((const int64_t *)p)[i];
	case AIMET_UINT8: case AIMET_BOOL: return ((const uint8_t *)p)[i];
	case AIMET_UINT16: return ((const uint16_t *)p)[i];
	case AIMET_UINT32: return ((const uint32_t *)p)[i];
	case AIMET_UINT64: return (double)((const uint64_t *)p)[i];
	default: return 0;
	}
}

/* Integer load: signed types sign-extend, unsigned types zero-extend (uint64 reinterpreted). */
static inline int64_t elt_ld_i(const void *p, int dt, int64_t i)
{
	switch (dt) {
	case AIMET_INT8: return ((const int8_t *)p)[i];
	case AIMET_INT16: return ((const int16_t *)p)[i];
	case AIMET_INT32: return ((const int32_t *)p)[i];
	case AIMET_INT64: return ((const int64_t *)p)[i];
	case AIMET_UINT8: case AIMET_BOOL: return ((const uint8_t *)p)[i];
	case AIMET_UINT16: return ((const uint16_t *)p)[i];
	case AIMET_UINT32: return ((const uint32_t *)p)[i];
	case AIMET_UINT64: return (int64_t)((const uint64_t *)p)[i];
	default: return (int64_t)elt_ld_f(p, dt, i);
	}
}

/* Store an integer bit pattern, wrapping to the dtype's width (bool: non-zero is 1). */
static inline void elt_st_i(void *p, int dt, int64_t i, int64_t v)
{
	switch (dt) {
	case AIMET_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
	case AIMET_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
	case AIMET_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
	case AIMET_INT64: ((int64_t *)p)[i] = v; break;
	case AIMET_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
	case AIMET_BOOL: ((uint8_t *)p)[i] = v != 0; break;
	case AIMET_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
	case AIMET_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
	case AIMET_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
	case AIMET_FLOAT: ((float *)p)[i] = (float)v; break;
	case AIMET_DOUBLE: ((double *)p)[i] = (double)v; break;
	case AIMET_FLOAT16: ((uint16_t *)p)[i] = aimet_f64_to_f16((double)v); break;
	case AIMET_BFLOAT16: ((uint16_t *)p)[i] = aimet_f32_to_bf16((float)v); break;
	default: break;
	}
}

/* Float to integer as C converts in range (toward zero); NaN and out-of-range values, which C
 * leaves undefined, give INT64_MIN like x86's conversion instead of undefined behaviour. */
static inline int64_t elt_f2i(double v)
{
	if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)v;
}
static inline uint64_t elt_f2u(double v)
{
	if (v >= 0 && v < 18446744073709551616.0)
		return (uint64_t)v;
	return (uint64_t)elt_f2i(v);
}

/* Store a real value: rounded for float types, converted as elt_f2i for integers. */
static inline void elt_st_f(void *p, int dt, int64_t i, double v)
{
	switch (dt) {
	case AIMET_FLOAT: ((float *)p)[i] = (float)v; break;
	case AIMET_DOUBLE: ((double *)p)[i] = v; break;
	case AIMET_FLOAT16: ((uint16_t *)p)[i] = aimet_f64_to_f16(v); break;
	case AIMET_BFLOAT16: ((uint16_t *)p)[i] = aimet_f32_to_bf16((float)v); break;
	case AIMET_BOOL: ((uint8_t *)p)[i] = v != 0; break;
	case AIMET_UINT64: ((uint64_t *)p)[i] = elt_f2u(v); break;
	default: elt_st_i(p, dt, i, elt_f2i(v)); break;
	}
}

/* The node's name for messages. */
static inline const char *elt_name(const struct aimet_op_ctx *c)
{
	return c->node && c->node->name && c->node->name[0] ? c->node->name : "?";
}

/* The name of the node's input k for messages. */
static inline const char *elt_input_name(const struct aimet_op_ctx *c, int k)
{
	return c->node && k < c->node->n_inputs && c->node->inputs[k] ? c->node->inputs[k] : "?";
}

/* Common infer checks: n_in within [lo, hi], the first `need` inputs present, n_out >= 1. */
static inline int elt_check_io(struct aimet_op_ctx *c, int lo, int hi, int need, int max_out)
{
	if (c->n_in < lo || c->n_in > hi || c->n_out < 1 || c->n_out > max_out)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): %d inputs and %d outputs",
		                   elt_name(c), c->node->op_type, c->n_in, c->n_out);
	for (int i = 0; i < need && i < c->n_in; i++)
		if (!c->in[i])
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): input %d is missing",
			                   elt_name(c), c->node->op_type, i);
	return AIMET_OK;
}

/* Refuse a dtype outside `mask`. */
static inline int elt_check_dtype(struct aimet_op_ctx *c, int dt, unsigned mask, const char *what)
{
	if (!(elt_mask(dt) & mask))
		return aimet_error(c->ctx, AIMET_ERR_UNSUPPORTED, "node '%s' (%s): %s of type '%s' is not supported",
		                   elt_name(c), c->node->op_type, what, aimet_dtype_name(dt));
	return AIMET_OK;
}

#endif
