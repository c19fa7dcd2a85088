/* binary.c: elementwise ops of two or more inputs with numpy broadcasting — arithmetic,
 * comparisons, logic, PRelu and the variadic Max/Min/Sum/Mean — with float32 row kernels. */
/* O3 and no-trapping-math let GCC vectorise the row loops (if-converting selects);
 * fp-contract=off keeps vector and scalar iterations bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#endif
#include "elt.h"
#include "aimet_kernels.h"

#include <math.h>
#include <string.h>

enum bop {
	B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MOD, B_MAX, B_MIN, B_PRELU,
	B_EQ, B_LT, B_LE, B_GT, B_GE, B_AND, B_OR, B_XOR,
	B_SHL, B_SHR, B_BAND, B_BOR, B_BXOR
};

struct binary {
	int op;
	unsigned types;      /* ELT_M_* accepted for the first input (and the second, but Pow) */
	int out_bool;
};

/* float32 expressions, shared by the reference and the row kernels so they agree bitwise;
 * Max/Min propagate NaN like numpy */
#define E_ADD(a, b) ((a) + (b))
#define E_SUB(a, b) ((a) - (b))
#define E_MUL(a, b) ((a) * (b))
#define E_DIV(a, b) ((a) / (b))
#define E_MAX(a, b) ((a) >= (b) || (a) != (a) ? (a) : (b))
#define E_MIN(a, b) ((a) <= (b) || (a) != (a) ? (a) : (b))
#define E_PRELU(a, b) ((a) < 0 ? (b) * (a) : (a))
#define E_EQ(a, b) ((a) == (b))
#define E_LT(a, b) ((a) < (b))
#define E_LE(a, b) ((a) <= (b))
#define E_GT(a, b) ((a) > (b))
#define E_GE(a, b) ((a) >= (b))

static float pymodf(float a, float b)
{
	float r = fmodf(a, b);
	if (r != 0 && (r < 0) != (b < 0))
		r += b;
	return r;
}

static double pymod(double a, double b)
{
	double r = fmod(a, b);
	if (r != 0 && (r < 0) != (b < 0))
		r += b;
	return r;
}

static float f32_op(int op, float a, float b, int fmod_)
{
	switch (op) {
	case B_ADD: return E_ADD(a, b);
	case B_SUB: return E_SUB(a, b);
	case B_MUL: return E_MUL(a, b);
	case B_DIV: return E_DIV(a, b);
	case B_POW: return b == 2.0f ? a * a : powf(a, b);   /* x*x is the exact rounding */
	case B_MOD: return fmod_ ? fmodf(a, b) : pymodf(a, b);
	case B_MAX: return E_MAX(a, b);
	case B_MIN: return E_MIN(a, b);
	case B_PRELU: return E_PRELU(a, b);
	case B_EQ: return E_EQ(a, b);
	case B_LT: return E_LT(a, b);
	case B_LE: return E_LE(a, b);
	case B_GT: return E_GT(a, b);
	case B_GE: return E_GE(a, b);
	default: return 0;
	}
}

static double f64_op(int op, double a, double b, int fmod_)
{
	switch (op) {
	case B_ADD: return E_ADD(a, b);
	case B_SUB: return E_SUB(a, b);
	case B_MUL: return E_MUL(a, b);
	case B_DIV: return E_DIV(a, b);
	case B_POW: return b == 2.0 ? a * a : pow(a, b);
	case B_MOD: return fmod_ ? fmod(a, b) : pymod(a, b);
	case B_MAX: return E_MAX(a, b);
	case B_MIN: return E_MIN(a, b);
	case B_PRELU: return E_PRELU(a, b);
	case B_EQ: return E_EQ(a, b);
	case B_LT: return E_LT(a, b);
	case B_LE: return E_LE(a, b);
	case B_GT: return E_GT(a, b);
	case B_GE: return E_GE(a, b);
	case B_AND: return a != 0 && b != 0;
	case B_OR: return a != 0 || b != 0;
	case B_XOR: return (a != 0) != (b != 0);
	default: return 0;
	}
}

/* Integer power by squaring, wrapping like the fixed-width type; negative exponents give the
 * truncated value of 1/a^-b. */
static uint64_t ipow(uint64_t a, int64_t b, int is_signed)
{
	uint64_t r = 1;
	if (b < 0) {
		if (a == 1)
			return 1;
		if (is_signed && (int64_t)a == -1)
			return (b & 1) ? (uint64_t)-1 : 1;
		return 0;
	}
	while (b) {
		if (b & 1)
			r *= a;
		a *= a;
		b >>= 1;
	}
	return r;
}

/* Signed integers, computed in 64 bits with wrap-around (unsigned arithmetic); division and
 * modulo by zero give 0 instead of trapping. */
static int64_t i64_op(int op, int64_t a, int64_t b, int fmod_)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	switch (op) {
	case B_ADD: return (int64_t)(ua + ub);
	case B_SUB: return (int64_t)(ua - ub);
	case B_MUL: return (int64_t)(ua * ub);
	case B_DIV:
		if (b == 0)
			return 0;
		if (b == -1)
			return (int64_t)(0 - ua);
		return a / b;
	case B_MOD: {
		int64_t r;
		if (b == 0)
			return 0;
		if (b == -1)
			return 0;
		r = a % b;
		if (!fmod_ && r != 0 && (r < 0) != (b < 0))
			r += b;
		return r;
	}
	case B_POW: return (int64_t)ipow(ua, b, 1);
	case B_MAX: return a > b ? a : b;
	case B_MIN: return a < b ? a : b;
	case B_PRELU: return a < 0 ? (int64_t)(ua * ub) : a;
	case B_EQ: return a == b;
	case B_LT: return a < b;
	case B_LE: return a <= b;
	case B_GT: return a > b;
	case B_GE: return a >= b;
	case B_BAND: return a & b;
	case B_BOR: return a | b;
	case B_BXOR: return a ^ b;
	default: return 0;
	}
}

static uint64_t u64_op(int op, uint64_t a, uint64_t b, int fmod_)
{
	switch (op) {
	case B_ADD: return a + b;
	case B_SUB: return a - b;
	case B_MUL: return a * b;
	case B_DIV: return b ? a / b : 0;
	case B_MOD: return b ? a % b : 0;
	case B_POW: return ipow(a, (int64_t)b < 0 ? INT64_MAX : (int64_t)b, 0);
	case B_MAX: return a > b ? a : b;
	case B_MIN: return a < b ? a : b;
	case B_EQ: return a == b;
	case B_LT: return a < b;
	case B_LE: return a <= b;
	case B_GT: return a > b;
	case B_GE: return a >= b;
	case B_AND: return a && b;
	case B_OR: return a || b;
	case B_XOR: return !a != !b;
	case B_SHL: return b >= 64 ? 0 : a << b;
	case B_SHR: return b >= 64 ? 0 : a >> b;
	case B_BAND: return a & b;
	case B_BOR: return a | b;
	case B_BXOR: return a ^ b;
	default: return 0;
	}
}

static const struct binary B_Add = {B_ADD, ELT_M_NUM, 0}, B_Sub = {B_SUB, ELT_M_NUM, 0},
	B_Mul = {B_MUL, ELT_M_NUM, 0}, B_Div = {B_DIV, ELT_M_NUM, 0},
	B_Pow = {B_POW, ELT_M_FLOAT | ELT_M_SINT | ELT_M_UINT, 0}, B_Mod = {B_MOD, ELT_M_NUM, 0},
	B_PRelu = {B_PRELU, ELT_M_FLOAT | ELT_M_SINT, 0},
	B_Equal = {B_EQ, ELT_M_NUM | ELT_M_BOOL, 1}, B_Less = {B_LT, ELT_M_NUM, 1},
	B_LessOrEqual = {B_LE, ELT_M_NUM, 1}, B_Greater = {B_GT, ELT_M_NUM, 1},
	B_GreaterOrEqual = {B_GE, ELT_M_NUM, 1}, B_And = {B_AND, ELT_M_BOOL, 1},
	B_Or = {B_OR, ELT_M_BOOL, 1}, B_Xor = {B_XOR, ELT_M_BOOL, 1},
	B_BitShift = {B_SHL, ELT_M_UINT, 0}, B_BitwiseAnd = {B_BAND, ELT_M_INT | ELT_M_BOOL, 0},
	B_BitwiseOr = {B_BOR, ELT_M_INT | ELT_M_BOOL, 0}, B_BitwiseXor = {B_BXOR, ELT_M_INT | ELT_M_BOOL, 0};
/* the variadic ones */
static const struct binary B_Max = {B_MAX, ELT_M_NUM, 0}, B_Min = {B_MIN, ELT_M_NUM, 0},
	B_Sum = {B_ADD, ELT_M_FLOAT, 0}, B_Mean = {B_ADD, ELT_M_FLOAT, 0};

/* The actual operation of a node: BitShift's direction and Mod's fmod come from attributes. */
static int node_op(const struct aimet_op_ctx *c, const struct binary *bd, int *fmod_)
{
	*fmod_ = aimet_node_attr_int(c->node, "fmod", 0) != 0;
	if (bd->op == B_SHL && !strcmp(aimet_node_attr_str(c->node, "direction", ""), "RIGHT"))
		return B_SHR;
	return bd->op;
}

/* ---- infer ---- */

static int binary_infer(struct aimet_op_ctx *c, const struct binary *bd)
{
	const struct aimet_tensor *a, *b;
	int64_t dims[AIMET_MAX_DIMS];
	int nd, st = elt_check_io(c, 2, 2, 2, 1);
	if (st)
		return st;
	a = c->in[0];
	b = c->in[1];
	if ((st = elt_check_dtype(c, a->dtype, bd->types, "input")))
		return st;
	if (bd->op == B_POW) {
		if ((st = elt_check_dtype(c, b->dtype, ELT_M_NUM, "exponent")))
			return st;
	} else if (a->dtype != b->dtype) {
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): input types '%s' and '%s' differ",
		                   elt_name(c), c->node->op_type, aimet_dtype_name(a->dtype),
		                   aimet_dtype_name(b->dtype));
	}
	if (bd->op == B_SHL) {
		const char *d = aimet_node_attr_str(c->node, "direction", "");
		if (strcmp(d, "LEFT") && strcmp(d, "RIGHT"))
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (BitShift): direction '%s' is not LEFT or RIGHT",
			                   elt_name(c), d);
	}
	if (aimet_broadcast_shape(a->ndim, a->dims, b->ndim, b->dims, &nd, dims))
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): shapes of '%s' and '%s' do not broadcast",
		                   elt_name(c), c->node->op_type, elt_input_name(c, 0), elt_input_name(c, 1));
	if (bd->op == B_PRELU && (nd != a->ndim || memcmp(dims, a->dims, (size_t)nd * sizeof(dims[0]))))
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (PRelu): slope does not broadcast to the input's shape",
		                   elt_name(c));
	aimet_tensor_set_shape(c->out[0], bd->out_bool ? AIMET_BOOL : a->dtype, nd, dims);
	return AIMET_OK;
}

/* ---- reference ---- */

/* out[i] = a[ia] op b[ib] for any dtypes the op accepts; clamp applies to float outputs. */
static void elem(int op, int fmod_, const struct aimet_tensor *a, int64_t ia,
                 const struct aimet_tensor *b, int64_t ib, struct aimet_tensor *y, int64_t i,
                 int clamp, float lo, float hi)
{
	if (a->dtype == AIMET_FLOAT && b->dtype == AIMET_FLOAT) {
		float v = f32_op(op, ((const float *)a->data)[ia], ((const float *)b->data)[ib], fmod_);
		if (y->dtype == AIMET_BOOL) {
			((uint8_t *)y->data)[i] = v != 0;
			return;
		}
		if (clamp) {
			v = v < lo ? lo : v;
			v = v > hi ? hi : v;
		}
		((float *)y->data)[i] = v;
		return;
	}
	switch (elt_kind(a->dtype)) {
	case ELT_F: {
		double v = f64_op(op, elt_ld_f(a->data, a->dtype, ia), elt_ld_f(b->data, b->dtype, ib), fmod_);
		if (clamp && y->dtype != AIMET_BOOL) {
			v = v < lo ? lo : v;
			v = v > hi ? hi : v;
		}
		elt_st_f(y->data, y->dtype, i, v);
		break;
	}
	case ELT_I:
		if (op == B_POW && elt_kind(b->dtype) == ELT_F)
			elt_st_f(y->data, y->dtype, i, pow(elt_ld_f(a->data, a->dtype, ia),
			                                   elt_ld_f(b->data, b->dtype, ib)));
		else
			elt_st_i(y->data, y->dtype, i, i64_op(op, elt_ld_i(a->data, a->dtype, ia),
			                                      elt_ld_i(b->data, b->dtype, ib), fmod_));
		break;
	case ELT_U:
		if (op == B_POW && elt_kind(b->dtype) == ELT_F)
			elt_st_f(y->data, y->dtype, i, pow(elt_ld_f(a->data, a->dtype, ia),
			                                   elt_ld_f(b->data, b->dtype, ib)));
		else if (op == B_POW && elt_kind(b->dtype) == ELT_I)
			elt_st_i(y->data, y->dtype, i, (int64_t)ipow((uint64_t)elt_ld_i(a->data, a->dtype, ia),
			                                             elt_ld_i(b->data, b->dtype, ib), 0));
		else
			elt_st_i(y->data, y->dtype, i, (int64_t)u64_op(op, (uint64_t)elt_ld_i(a->data, a->dtype, ia),
			                                               (uint64_t)elt_ld_i(b->data, b->dtype, ib), fmod_));
		break;
	}
}

static void binary_ref_impl(struct aimet_op_ctx *c, const struct binary *bd, int clamp)
{
	const struct aimet_tensor *a = c->in[0], *b = c->in[1];
	struct aimet_tensor *y = c->out[0];
	int fmod_, op = node_op(c, bd, &fmod_);
	int64_t n = aimet_tensor_numel(y);
	for (int64_t i = 0; i < n; i++)
		elem(op, fmod_, a, aimet_bcast_src_index(y->ndim, y->dims, a->ndim, a->dims, i),
		     b, aimet_bcast_src_index(y->ndim, y->dims, b->ndim, b->dims, i), y, i,
		     clamp, c->act_lo, c->act_hi);
}

/* ---- float32 row kernels: y[0..n) = a op b, each side contiguous (stride 1) or one value ---- */

#define ROW_F(NAME, E)                                                                        \
	ELT_CLONES static void row_##NAME(const float *a, int sa, const float *b, int sb, float *y,        \
	                       int64_t n, float lo, float hi)                                   \
	{                                                                                     \
		(void)lo; (void)hi;                                                           \
		if (sa && sb) {                                                               \
			for (int64_t i = 0; i < n; i++) {                                     \
				float x0 = a[i], x1 = b[i];                                   \
				y[i] = E;                                                     \
			}                                                                     \
		} else if (sa) {                                                              \
			const float x1 = b[0];                                                \
			for (int64_t i = 0; i < n; i++) {                                     \
				float x0 = a[i];                                              \
				y[i] = E;                                                     \
			}                                                                     \
		} else if (sb) {                                                              \
			const float x0 = a[0];                                                \
			for (int64_t i = 0; i < n; i++) {                                     \
				float x1 = b[i];                                              \
				y[i] = E;                                                     \
			}                                                                     \
		} else {                                                                      \
			const float x0 = a[0], x1 = b[0], v = E;                              \
			for (int64_t i = 0; i < n; i++)                                       \
				y[i] = v;                                                     \
		}                                                                             \
	}

#define CLAMPED(E) ({ float v_ = (E); v_ = v_ < lo ? lo : v_; v_ > hi ? hi : v_; })
ROW_F(add, E_ADD(x0, x1))
ROW_F(add_clamp, CLAMPED(E_ADD(x0, x1)))
ROW_F(sub, E_SUB(x0, x1))
ROW_F(mul, E_MUL(x0, x1))
ROW_F(div, E_DIV(x0, x1))
ROW_F(max, E_MAX(x0, x1))
ROW_F(min, E_MIN(x0, x1))
ROW_F(prelu, E_PRELU(x0, x1))
ROW_F(square, ((void)x1, x0 * x0))

typedef void (*row_fn)(const float *, int, const float *, int, float *, int64_t, float, float);

#define ROW_CMP(NAME, E)                                                                      \
	ELT_CLONES static void cmp_##NAME(const float *a, int sa, const float *b, int sb, uint8_t *y,      \
	                       int64_t n)                                                       \
	{                                                                                     \
		if (sa && sb) {                                                               \
			for (int64_t i = 0; i < n; i++)                                       \
				y[i] = E(a[i], b[i]);                                         \
		} else {                                                                      \
			for (int64_t i = 0; i < n; i++)                                       \
				y[i] = E(a[i * sa], b[i * sb]);                               \
		}                                                                             \
	}
ROW_CMP(eq, E_EQ)
ROW_CMP(lt, E_LT)
ROW_CMP(le, E_LE)
ROW_CMP(gt, E_GT)
ROW_CMP(ge, E_GE)

typedef void (*cmp_fn)(const float *, int, const float *, int, uint8_t *, int64_t);

struct bjob {
	struct aimet_bcast bc;
	const float *a, *b;
	void *y;
	row_fn row;       /* float output */
	cmp_fn cmp;       /* bool output */
	int op, fmod_;    /* for ops without a row kernel */
	float lo, hi;
	const struct aimet_fq *fq;   /* simulation: fake quantization of float rows, or NULL */
	const struct aimet_fq *fq_mid;  /* before the clamp (rows computed unclamped), or NULL */
};

/* Clip's float32 clamp (NaN passes), for an Add run with a quantizer before its clamp. */
ELT_CLONES static void clamp_span(float *y, int64_t n, float lo, float hi)
{
	for (int64_t i = 0; i < n; i++) {
		float v = y[i];
		v = v < lo ? lo : v;
		y[i] = v > hi ? hi : v;
	}
}

static void bjob_range(void *arg, int64_t beg, int64_t end)
{
	struct bjob *j = arg;
	struct aimet_bcast_iter it;
	int last = j->bc.ndim - 1;
	int sa = (int)j->bc.strides[0][last], sb = (int)j->bc.strides[1][last];
	int64_t pos = beg, pending = 0;
	aimet_bcast_seek(&j->bc, &it, beg);
	while (pos < end) {
		int64_t len = j->bc.inner - it.col;
		const float *pa = j->a + it.off[0] + it.col * sa, *pb = j->b + it.off[1] + it.col * sb;
		if (len > end - pos)
			len = end - pos;
		if (j->row && (j->fq || j->fq_mid)) {
			/* in L1-sized pieces, fake-quantized while hot; short rows (a plane of a
			 * per-channel product) are gathered into one call, the output being contiguous */
			for (int64_t o = 0, k; o < len; o += k) {
				k = len - o < 2048 ? len - o : 2048;
				j->row(pa + o * sa, sa, pb + o * sb, sb, (float *)j->y + pos + o, k, j->lo, j->hi);
				pending += k;
				if (pending >= 2048 || pos + o + k == end) {
					float *span = (float *)j->y + pos + o + k - pending;
					if (j->fq_mid) {   /* the sum's quantizer, then the clamp (as Clip does) */
						aimet_fq_apply(j->fq_mid, span, pending);
						clamp_span(span, pending, j->lo, j->hi);
					}
					if (j->fq)
						aimet_fq_apply(j->fq, span, pending);
					pending = 0;
				}
			}
		} else if (j->row) {
			j->row(pa, sa, pb, sb, (float *)j->y + pos, len, j->lo, j->hi);
		} else if (j->cmp) {
			j->cmp(pa, sa, pb, sb, (uint8_t *)j->y + pos, len);
		} else {
			float *y = (float *)j->y + pos;
			for (int64_t i = 0; i < len; i++)
				y[i] = f32_op(j->op, pa[i * sa], pb[i * sb], j->fmod_);
		}
		pos += len;
		aimet_bcast_next_row(&j->bc, &it);
	}
}

static row_fn row_for(int op, int clamp)
{
	switch (op) {
	case B_ADD: return clamp ? row_add_clamp : row_add;
	case B_SUB: return row_sub;
	case B_MUL: return row_mul;
	case B_DIV: return row_div;
	case B_MAX: return row_max;
	case B_MIN: return row_min;
	case B_PRELU: return row_prelu;
	default: return NULL;
	}
}

static cmp_fn cmp_for(int op)
{
	switch (op) {
	case B_EQ: return cmp_eq;
	case B_LT: return cmp_lt;
	case B_LE: return cmp_le;
	case B_GT: return cmp_gt;
	case B_GE: return cmp_ge;
	default: return NULL;
	}
}

static void f32_bcast_run_fq(int threads, int op, int fmod_, int clamp, float lo, float hi,
                             const struct aimet_tensor *a, const struct aimet_tensor *b,
                             struct aimet_tensor *y, const struct aimet_fq *fq,
                             const struct aimet_fq *fq_mid, int *fq_done);

/* y = a op b over float32 tensors (y may be a, for the variadic accumulation). */
static void f32_bcast_run(int threads, int op, int fmod_, int clamp, float lo, float hi,
                          const struct aimet_tensor *a, const struct aimet_tensor *b,
                          struct aimet_tensor *y)
{
	f32_bcast_run_fq(threads, op, fmod_, clamp, lo, hi, a, b, y, NULL, NULL, NULL);
}

/* fq: fake quantization of the output in row kernels (*fq_done set when applied), or NULL */
static void f32_bcast_run_fq(int threads, int op, int fmod_, int clamp, float lo, float hi,
                             const struct aimet_tensor *a, const struct aimet_tensor *b,
                             struct aimet_tensor *y, const struct aimet_fq *fq,
                             const struct aimet_fq *fq_mid, int *fq_done)
{
	struct bjob j;
	const struct aimet_tensor *ab[2] = {a, b};
	if (aimet_bcast_init_t(&j.bc, y, 2, ab))
		return;   /* infer guarantees it broadcasts */
	j.a = a->data;
	j.b = b->data;
	j.y = y->data;
	j.op = op;
	j.fmod_ = fmod_;
	j.lo = lo;
	j.hi = hi;
	j.cmp = y->dtype == AIMET_BOOL ? cmp_for(op) : NULL;
	j.row = y->dtype == AIMET_BOOL ? NULL : row_for(op, clamp);
	/* Pow by a scalar 2 (LayerNorm exported as primitives) squares, as f32_op does */
	if (op == B_POW && aimet_tensor_numel(b) == 1 && ((const float *)b->data)[0] == 2.0f)
		j.row = row_square;
	j.fq = j.row ? fq : NULL;
	j.fq_mid = NULL;
	if (j.fq && fq_done)
		*fq_done = 1;
	if (fq_mid && y->dtype == AIMET_FLOAT && (j.row = row_for(op, 0))) {
		/* sum, quantize, clamp, quantize: the rows are computed without the clamp */
		j.fq = fq;
		j.fq_mid = fq_mid;
		if (fq_done)
			*fq_done = 1;
	}
	aimet_parallel_range(threads, j.bc.numel, j.row || j.cmp ? 32768 : 4096, bjob_range, &j);
}

static void binary_run_impl(struct aimet_op_ctx *c, const struct binary *bd, int clamp)
{
	int fmod_, op = node_op(c, bd, &fmod_);
	if (c->in[0]->dtype != AIMET_FLOAT || c->in[1]->dtype != AIMET_FLOAT) {
		binary_ref_impl(c, bd, clamp);
		return;
	}
	f32_bcast_run_fq(c->threads, op, fmod_, clamp, c->act_lo, c->act_hi, c->in[0], c->in[1], c->out[0],
	                 c->fq, c->fq_mid, &c->fq_done);
}

#define BINARY_OP(NAME, CLAMP)                                                                  \
	static int NAME##_infer(struct aimet_op_ctx *c) { return binary_infer(c, &B_##NAME); }    \
	static void NAME##_ref(struct aimet_op_ctx *c) { binary_ref_impl(c, &B_##NAME, CLAMP); }  \
	static void NAME##_run(struct aimet_op_ctx *c) { binary_run_impl(c, &B_##NAME, CLAMP); }  \
	const struct aimet_op aimet_op_##NAME = {#NAME, "", 0, NAME##_infer, NULL, NAME##_run,     \
	                                         NAME##_ref, NULL, CLAMP};

BINARY_OP(Add, 1)
BINARY_OP(Sub, 0)
BINARY_OP(Mul, 0)
BINARY_OP(Div, 0)
BINARY_OP(Pow, 0)
BINARY_OP(Mod, 0)
BINARY_OP(PRelu, 0)
BINARY_OP(Equal, 0)
BINARY_OP(Less, 0)
BINARY_OP(LessOrEqual, 0)
BINARY_OP(Greater, 0)
BINARY_OP(GreaterOrEqual, 0)
BINARY_OP(And, 0)
BINARY_OP(Or, 0)
BINARY_OP(Xor, 0)
BINARY_OP(BitShift, 0)
BINARY_OP(BitwiseAnd, 0)
BINARY_OP(BitwiseOr, 0)
BINARY_OP(BitwiseXor, 0)

/* ---- variadic: Max, Min, Sum, Mean over 1..N inputs, folded left to right ---- */

static int variadic_infer(struct aimet_op_ctx *c, const struct binary *bd)
{
	int64_t dims[AIMET_MAX_DIMS], prev[AIMET_MAX_DIMS];
	int nd = 0, st;
	if (c->n_in < 1)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): no inputs",
		                   elt_name(c), c->node->op_type);
	if ((st = elt_check_io(c, 1, c->n_in, c->n_in, 1)))
		return st;
	if ((st = elt_check_dtype(c, c->in[0]->dtype, bd->types, "input")))
		return st;
	for (int k = 0; k < c->n_in; k++) {
		const struct aimet_tensor *t = c->in[k];
		if (t->dtype != c->in[0]->dtype)
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): input types '%s' and '%s' differ",
			                   elt_name(c), c->node->op_type, aimet_dtype_name(c->in[0]->dtype),
			                   aimet_dtype_name(t->dtype));
		if (nd)
			memcpy(prev, dims, (size_t)nd * sizeof(dims[0]));
		if (aimet_broadcast_shape(nd, prev, t->ndim, t->dims, &nd, dims))
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (%s): shape of '%s' does not broadcast",
			                   elt_name(c), c->node->op_type, elt_input_name(c, k));
	}
	aimet_tensor_set_shape(c->out[0], c->in[0]->dtype, nd, dims);
	return AIMET_OK;
}

static void variadic_ref_impl(struct aimet_op_ctx *c, const struct binary *bd, int mean)
{
	struct aimet_tensor *y = c->out[0];
	int64_t n = aimet_tensor_numel(y);
	int dt = y->dtype, kind = elt_kind(dt);
	for (int64_t i = 0; i < n; i++) {
		const struct aimet_tensor *t0 = c->in[0];
		int64_t i0 = aimet_bcast_src_index(y->ndim, y->dims, t0->ndim, t0->dims, i);
		if (dt == AIMET_FLOAT) {
			float acc = ((const float *)t0->data)[i0];
			for (int k = 1; k < c->n_in; k++) {
				const struct aimet_tensor *t = c->in[k];
				acc = f32_op(bd->op, acc, ((const float *)t->data)[aimet_bcast_src_index(
				                              y->ndim, y->dims, t->ndim, t->dims, i)], 0);
			}
			((float *)y->data)[i] = mean ? acc / (float)c->n_in : acc;
		} else if (kind == ELT_F) {
			double acc = elt_ld_f(t0->data, dt, i0);
			for (int k = 1; k < c->n_in; k++) {
				const struct aimet_tensor *t = c->in[k];
				acc = f64_op(bd->op, acc, elt_ld_f(t->data, dt, aimet_bcast_src_index(
				                      y->ndim, y->dims, t->ndim, t->dims, i)), 0);
			}
			elt_st_f(y->data, dt, i, mean ? acc / c->n_in : acc);
		} else {
			int64_t acc = elt_ld_i(t0->data, dt, i0);
			for (int k = 1; k < c->n_in; k++) {
				const struct aimet_tensor *t = c->in[k];
				int64_t v = elt_ld_i(t->data, dt, aimet_bcast_src_index(y->ndim, y->dims,
				                                                        t->ndim, t->dims, i));
				acc = kind == ELT_I ? i64_op(bd->op, acc, v, 0)
				                    : (int64_t)u64_op(bd->op, (uint64_t)acc, (uint64_t)v, 0);
			}
			elt_st_i(y->data, dt, i, acc);
		}
	}
}

struct copy_job { struct aimet_bcast bc; const float *x; float *y; float scale; };

ELT_CLONES static void copy_range(void *arg, int64_t beg, int64_t end)
{
	struct copy_job *j = arg;
	struct aimet_bcast_iter it;
	int s = (int)j->bc.strides[0][j->bc.ndim - 1];
	int64_t pos = beg;
	aimet_bcast_seek(&j->bc, &it, beg);
	while (pos < end) {
		int64_t len = j->bc.inner - it.col;
		const float *px = j->x + it.off[0] + it.col * s;
		float *y = j->y + pos;
		if (len > end - pos)
			len = end - pos;
		for (int64_t i = 0; i < len; i++)
			y[i] = px[i * s];
		pos += len;
		aimet_bcast_next_row(&j->bc, &it);
	}
}

ELT_CLONES static void div_range(void *arg, int64_t beg, int64_t end)
{
	struct copy_job *j = arg;
	for (int64_t i = beg; i < end; i++)
		j->y[i] = j->y[i] / j->scale;
}

static void variadic_run_impl(struct aimet_op_ctx *c, const struct binary *bd, int mean)
{
	struct aimet_tensor *y = c->out[0];
	int alias = 0;
	/* the fast kernel accumulates in y: an input after the first two that shares y's buffer
	 * would be overwritten before it is read, while the reference reads every input first */
	for (int k = 2; k < c->n_in; k++)
		alias |= c->in[k]->data == y->data;
	if (y->dtype != AIMET_FLOAT || alias) {
		variadic_ref_impl(c, bd, mean);
		return;
	}
	if (c->n_in == 1) {
		struct copy_job j;
		const struct aimet_tensor *x = c->in[0];
		if (aimet_bcast_init_t(&j.bc, y, 1, &x))
			return;
		j.x = x->data;
		j.y = y->data;
		aimet_parallel_range(c->threads, j.bc.numel, 65536, copy_range, &j);
	} else {
		f32_bcast_run(c->threads, bd->op, 0, 0, 0, 0, c->in[0], c->in[1], y);
		for (int k = 2; k < c->n_in; k++)
			f32_bcast_run(c->threads, bd->op, 0, 0, 0, 0, y, c->in[k], y);
	}
	if (mean) {
		struct copy_job j;
		j.y = y->data;
		j.scale = (float)c->n_in;
		aimet_parallel_range(c->threads, aimet_tensor_numel(y), 65536, div_range, &j);
	}
}

#define VARIADIC_OP(NAME, MEAN)                                                                  \
	static int NAME##_infer(struct aimet_op_ctx *c) { return variadic_infer(c, &B_##NAME); }   \
	static void NAME##_ref(struct aimet_op_ctx *c) { variadic_ref_impl(c, &B_##NAME, MEAN); }  \
	static void NAME##_run(struct aimet_op_ctx *c) { variadic_run_impl(c, &B_##NAME, MEAN); }  \
	const struct aimet_op aimet_op_##NAME = {#NAME, "", 0, NAME##_infer, NULL, NAME##_run,      \
	                                         NAME##_ref, NULL, 0};

VARIADIC_OP(Max, 0)
VARIADIC_OP(Min, 0)
VARIADIC_OP(Sum, 0)
VARIADIC_OP(Mean, 1)
