/* unary.c: the table-driven unary elementwise ops (activations and math). Each op is one scalar
 * expression, instantiated for float and double and as a vectorisable float32 loop. */
/* O3 and no-trapping-math let GCC vectorise the simple float loops (if-converting selects);
 * fp-contract=off keeps vector and scalar iterations bitwise alike. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-math-errno", "no-trapping-math", "fp-contract=off")
#endif
#include "elt.h"
#include "aimet_kernels.h"

#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

struct uparam {
	float alpha, beta, gamma;
	int tanh_approx;          /* Gelu approximate="tanh" */
	int pos, neg;             /* IsInf detect_positive / detect_negative */
};

struct unary {
	unsigned types;           /* ELT_M_* accepted */
	int cost;                 /* 1: transcendental (a smaller grain per thread) */
	int out_bool;             /* IsNaN, IsInf: bool output, f/d return 0 or 1 */
	float (*f)(float, const struct uparam *);
	double (*d)(double, const struct uparam *);
	void (*fast)(const float *, float *, int64_t, const struct uparam *);
	int64_t (*si)(int64_t);   /* signed integers, or NULL */
	int64_t (*ui)(int64_t);   /* unsigned integers, or NULL */
	float alpha, beta, gamma; /* attribute defaults */
};

#define CLAMP01(T, v) ({ T v_ = (v); v_ = v_ < (T)0 ? (T)0 : v_; v_ > (T)1 ? (T)1 : v_; })

/* One op: the scalar function for float and double (tgmath picks expf/exp...) and the float
 * loop, in which the scalar function is inlined. */
#define UNARY_FN(NAME, EXPR)                                                                \
	static inline float NAME##_f(float x, const struct uparam *p)                       \
	{                                                                                   \
		typedef float T __attribute__((unused));                                                         \
		(void)p;                                                                    \
		return (EXPR);                                                              \
	}                                                                                   \
	static double NAME##_d(double x, const struct uparam *p)                            \
	{                                                                                   \
		typedef double T __attribute__((unused));                                                        \
		(void)p;                                                                    \
		return (EXPR);                                                              \
	}                                                                                   \
	__attribute__((unused)) ELT_CLONES                                                  \
	static void NAME##_fast(const float *x, float *y, int64_t n, const struct uparam *p)  \
	{                                                                                   \
		const struct uparam q = *p; /* a local copy can be read unconditionally */  \
		for (int64_t i = 0; i < n; i++)                                             \
			y[i] = NAME##_f(x[i], &q);                                          \
	}

UNARY_FN(relu, x < (T)0 ? (T)0 : x)
UNARY_FN(leakyrelu, x < (T)0 ? (T)p->alpha * x : x)
UNARY_FN(thresholdedrelu, x > (T)p->alpha ? x : (T)0)
/* e^x / (1 + e^x) on the negative side keeps tiny results instead of 1 / (1 + inf) = 0 */
UNARY_FN(sigmoid, x >= (T)0 ? (T)1 / ((T)1 + exp(-x)) : exp(x) / ((T)1 + exp(x)))
UNARY_FN(hardsigmoid, CLAMP01(T, (T)p->alpha * x + (T)p->beta))
UNARY_FN(hardswish, x * CLAMP01(T, x * (T)(1.0f / 6.0f) + (T)0.5))
UNARY_FN(tanh, tanh(x))
UNARY_FN(elu, x < (T)0 ? (T)p->alpha * (exp(x) - (T)1) : x)
UNARY_FN(selu, x > (T)0 ? (T)p->gamma * x : (T)p->gamma * ((T)p->alpha * exp(x) - (T)p->alpha))
UNARY_FN(celu, (x > (T)0 ? x : (T)0) +
	       ({ T e_ = (T)p->alpha * (exp(x / (T)p->alpha) - (T)1); e_ < (T)0 ? e_ : (T)0; }))
UNARY_FN(softplus, x > (T)0 ? x + log1p(exp(-x)) : log1p(exp(x)))
UNARY_FN(softsign, x / ((T)1 + fabs(x)))
UNARY_FN(mish, x * tanh(x > (T)0 ? x + log1p(exp(-x)) : log1p(exp(x))))
UNARY_FN(gelu, p->tanh_approx
	? (T)0.5 * x * ((T)1 + tanh((T)0.7978845608028654 * (x + (T)0.044715 * x * x * x)))
	: (T)0.5 * x * ((T)1 + erf(x * (T)0.7071067811865476)))
UNARY_FN(erf, erf(x))
UNARY_FN(exp, exp(x))
UNARY_FN(log, log(x))
UNARY_FN(sqrt, sqrt(x))
UNARY_FN(reciprocal, (T)1 / x)
UNARY_FN(neg, -x)
UNARY_FN(abs, fabs(x))
UNARY_FN(floor, floor(x))
UNARY_FN(ceil, ceil(x))
UNARY_FN(round, rint(x))             /* default rounding mode: half to even */
UNARY_FN(sign, x > (T)0 ? (T)1 : x < (T)0 ? (T)-1 : x)
UNARY_FN(sin, sin(x))
UNARY_FN(cos, cos(x))
UNARY_FN(tan, tan(x))
UNARY_FN(asin, asin(x))
UNARY_FN(acos, acos(x))
UNARY_FN(atan, atan(x))
UNARY_FN(sinh, sinh(x))
UNARY_FN(cosh, cosh(x))
UNARY_FN(asinh, asinh(x))
UNARY_FN(acosh, acosh(x))
UNARY_FN(atanh, atanh(x))
UNARY_FN(isnan, isnan(x) ? (T)1 : (T)0)
UNARY_FN(isinf, isinf(x) && (x > 0 ? p->pos : p->neg) ? (T)1 : (T)0)

/* Sigmoid's fast loop is the vectorised kernel the fused chains share; the reference keeps
 * libm's expf. */
static void sigmoid_approx_fast(const float *x, float *y, int64_t n, const struct uparam *p)
{
	(void)p;
	aimet_sigmoid_f32(x, y, n);
}

static int64_t relu_si(int64_t x) { return x < 0 ? 0 : x; }
static int64_t neg_si(int64_t x) { return (int64_t)(0 - (uint64_t)x); }
static int64_t abs_si(int64_t x) { return x < 0 ? neg_si(x) : x; }
static int64_t sign_si(int64_t x) { return (x > 0) - (x < 0); }
static int64_t ident_ui(int64_t x) { return x; }
static int64_t sign_ui(int64_t x) { return x != 0; }
static int64_t not_ui(int64_t x) { return !x; }

#define F(NAME) NAME##_f, NAME##_d, NAME##_fast
static const struct unary U_Relu = {ELT_M_FLOAT | ELT_M_SINT, 0, 0, F(relu), relu_si, NULL, 0, 0, 0};
static const struct unary U_LeakyRelu = {ELT_M_FLOAT, 0, 0, F(leakyrelu), NULL, NULL, 0.01f, 0, 0};
static const struct unary U_ThresholdedRelu = {ELT_M_FLOAT, 0, 0, F(thresholdedrelu), NULL, NULL, 1.0f, 0, 0};
static const struct unary U_Sigmoid = {ELT_M_FLOAT, 0, 0, sigmoid_f, sigmoid_d, sigmoid_approx_fast,
                                       NULL, NULL, 0, 0, 0};
static const struct unary U_HardSigmoid = {ELT_M_FLOAT, 0, 0, F(hardsigmoid), NULL, NULL, 0.2f, 0.5f, 0};
static const struct unary U_HardSwish = {ELT_M_FLOAT, 0, 0, F(hardswish), NULL, NULL, 0, 0, 0};
static const struct unary U_Tanh = {ELT_M_FLOAT, 1, 0, F(tanh), NULL, NULL, 0, 0, 0};
static const struct unary U_Elu = {ELT_M_FLOAT, 1, 0, F(elu), NULL, NULL, 1.0f, 0, 0};
static const struct unary U_Selu = {ELT_M_FLOAT, 1, 0, F(selu), NULL, NULL,
	1.67326319217681884765625f, 0, 1.05070102214813232421875f};
static const struct unary U_Celu = {ELT_M_FLOAT, 1, 0, F(celu), NULL, NULL, 1.0f, 0, 0};
static const struct unary U_Softplus = {ELT_M_FLOAT, 1, 0, F(softplus), NULL, NULL, 0, 0, 0};
static const struct unary U_Softsign = {ELT_M_FLOAT, 0, 0, F(softsign), NULL, NULL, 0, 0, 0};
static const struct unary U_Mish = {ELT_M_FLOAT, 1, 0, F(mish), NULL, NULL, 0, 0, 0};
static const struct unary U_Gelu = {ELT_M_FLOAT, 1, 0, F(gelu), NULL, NULL, 0, 0, 0};
static const struct unary U_Erf = {ELT_M_FLOAT, 1, 0, F(erf), NULL, NULL, 0, 0, 0};
static const struct unary U_Exp = {ELT_M_FLOAT, 1, 0, F(exp), NULL, NULL, 0, 0, 0};
static const struct unary U_Log = {ELT_M_FLOAT, 1, 0, F(log), NULL, NULL, 0, 0, 0};
static const struct unary U_Sqrt = {ELT_M_FLOAT, 0, 0, F(sqrt), NULL, NULL, 0, 0, 0};
static const struct unary U_Reciprocal = {ELT_M_FLOAT, 0, 0, F(reciprocal), NULL, NULL, 0, 0, 0};
static const struct unary U_Neg = {ELT_M_FLOAT | ELT_M_SINT, 0, 0, F(neg), neg_si, NULL, 0, 0, 0};
static const struct unary U_Abs = {ELT_M_NUM, 0, 0, F(abs), abs_si, ident_ui, 0, 0, 0};
static const struct unary U_Floor = {ELT_M_FLOAT, 0, 0, F(floor), NULL, NULL, 0, 0, 0};
static const struct unary U_Ceil = {ELT_M_FLOAT, 0, 0, F(ceil), NULL, NULL, 0, 0, 0};
static const struct unary U_Round = {ELT_M_FLOAT, 0, 0, F(round), NULL, NULL, 0, 0, 0};
static const struct unary U_Sign = {ELT_M_NUM, 0, 0, F(sign), sign_si, sign_ui, 0, 0, 0};
static const struct unary U_Sin = {ELT_M_FLOAT, 1, 0, F(sin), NULL, NULL, 0, 0, 0};
static const struct unary U_Cos = {ELT_M_FLOAT, 1, 0, F(cos), NULL, NULL, 0, 0, 0};
static const struct unary U_Tan = {ELT_M_FLOAT, 1, 0, F(tan), NULL, NULL, 0, 0, 0};
static const struct unary U_Asin = {ELT_M_FLOAT, 1, 0, F(asin), NULL, NULL, 0, 0, 0};
static const struct unary U_Acos = {ELT_M_FLOAT, 1, 0, F(acos), NULL, NULL, 0, 0, 0};
static const struct unary U_Atan = {ELT_M_FLOAT, 1, 0, F(atan), NULL, NULL, 0, 0, 0};
static const struct unary U_Sinh = {ELT_M_FLOAT, 1, 0, F(sinh), NULL, NULL, 0, 0, 0};
static const struct unary U_Cosh = {ELT_M_FLOAT, 1, 0, F(cosh), NULL, NULL, 0, 0, 0};
static const struct unary U_Asinh = {ELT_M_FLOAT, 1, 0, F(asinh), NULL, NULL, 0, 0, 0};
static const struct unary U_Acosh = {ELT_M_FLOAT, 1, 0, F(acosh), NULL, NULL, 0, 0, 0};
static const struct unary U_Atanh = {ELT_M_FLOAT, 1, 0, F(atanh), NULL, NULL, 0, 0, 0};
static const struct unary U_IsNaN = {ELT_M_FLOAT, 0, 1, F(isnan), NULL, NULL, 0, 0, 0};
static const struct unary U_IsInf = {ELT_M_FLOAT, 0, 1, F(isinf), NULL, NULL, 0, 0, 0};
static const struct unary U_Not = {ELT_M_BOOL, 0, 0, NULL, NULL, NULL, NULL, not_ui, 0, 0, 0};
#undef F

static void get_params(const struct aimet_op_ctx *c, const struct unary *u, struct uparam *p)
{
	const char *approx = aimet_node_attr_str(c->node, "approximate", "none");
	p->alpha = aimet_node_attr_float(c->node, "alpha", u->alpha);
	p->beta = aimet_node_attr_float(c->node, "beta", u->beta);
	p->gamma = aimet_node_attr_float(c->node, "gamma", u->gamma);
	p->tanh_approx = !strcmp(approx, "tanh");
	p->pos = aimet_node_attr_int(c->node, "detect_positive", 1) != 0;
	p->neg = aimet_node_attr_int(c->node, "detect_negative", 1) != 0;
}

static int unary_infer(struct aimet_op_ctx *c, const struct unary *u)
{
	const struct aimet_tensor *x;
	int st = elt_check_io(c, 1, 1, 1, 1);
	if (st)
		return st;
	x = c->in[0];
	if ((st = elt_check_dtype(c, x->dtype, u->types, "input")))
		return st;
	if (elt_kind(x->dtype) == ELT_I && !u->si)
		return aimet_error(c->ctx, AIMET_ERR_UNSUPPORTED, "node '%s' (%s): signed integer input",
		                   elt_name(c), c->node->op_type);
	if (c->node->op_type && !strcmp(c->node->op_type, "Gelu")) {
		const char *a = aimet_node_attr_str(c->node, "approximate", "none");
		if (strcmp(a, "none") && strcmp(a, "tanh"))
			return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Gelu): approximate '%s' is not 'none' or 'tanh'",
			                   elt_name(c), a);
	}
	if (c->node->op_type && !strcmp(c->node->op_type, "Celu") &&
	    aimet_node_attr_float(c->node, "alpha", 1.0f) == 0.0f)
		return aimet_error(c->ctx, AIMET_ERR_INVALID, "node '%s' (Celu): alpha is 0", elt_name(c));
	aimet_tensor_set_shape(c->out[0], u->out_bool ? AIMET_BOOL : x->dtype, x->ndim, x->dims);
	return AIMET_OK;
}

/* The reference: one element at a time through the scalar function. */
static void unary_ref_range(struct aimet_op_ctx *c, const struct unary *u, const struct uparam *p,
                            int64_t b, int64_t e)
{
	const struct aimet_tensor *x = c->in[0];
	struct aimet_tensor *y = c->out[0];
	int dt = x->dtype;
	switch (elt_kind(dt)) {
	case ELT_F:
		for (int64_t i = b; i < e; i++) {
			double v = dt == AIMET_DOUBLE ? u->d(((const double *)x->data)[i], p)
			                              : u->f((float)elt_ld_f(x->data, dt, i), p);
			elt_st_f(y->data, y->dtype, i, v);
		}
		break;
	case ELT_I:
		for (int64_t i = b; i < e; i++)
			elt_st_i(y->data, y->dtype, i, u->si(elt_ld_i(x->data, dt, i)));
		break;
	case ELT_U:
		for (int64_t i = b; i < e; i++)
			elt_st_i(y->data, y->dtype, i, u->ui(elt_ld_i(x->data, dt, i)));
		break;
	}
}

static void unary_ref(struct aimet_op_ctx *c, const struct unary *u)
{
	struct uparam p;
	get_params(c, u, &p);
	unary_ref_range(c, u, &p, 0, aimet_tensor_numel(c->out[0]));
}

struct unary_job {
	struct aimet_op_ctx *c;
	const struct unary *u;
	struct uparam p;
};

static void unary_job_run(void *arg, int64_t b, int64_t e)
{
	struct unary_job *j = arg;
	if (j->c->in[0]->dtype == AIMET_FLOAT && !j->u->out_bool)
		j->u->fast((const float *)j->c->in[0]->data + b, (float *)j->c->out[0]->data + b, e - b, &j->p);
	else
		unary_ref_range(j->c, j->u, &j->p, b, e);
}

static void unary_run(struct aimet_op_ctx *c, const struct unary *u)
{
	struct unary_job j = {c, u, {0}};
	get_params(c, u, &j.p);
	aimet_parallel_range(c->threads, aimet_tensor_numel(c->out[0]), u->cost ? 8192 : 65536,
	                     unary_job_run, &j);
}

#define UNARY_OP(NAME)                                                                       \
	static int NAME##_infer(struct aimet_op_ctx *c) { return unary_infer(c, &U_##NAME); }  \
	static void NAME##_ref(struct aimet_op_ctx *c) { unary_ref(c, &U_##NAME); }            \
	static void NAME##_run(struct aimet_op_ctx *c) { unary_run(c, &U_##NAME); }            \
	const struct aimet_op aimet_op_##NAME = {#NAME, "", 0, NAME##_infer, NULL, NAME##_run,  \
	                                         NAME##_ref, NULL, 0};

UNARY_OP(Relu)
UNARY_OP(LeakyRelu)
UNARY_OP(ThresholdedRelu)
UNARY_OP(Sigmoid)
UNARY_OP(HardSigmoid)
UNARY_OP(HardSwish)
UNARY_OP(Tanh)
UNARY_OP(Elu)
UNARY_OP(Selu)
UNARY_OP(Celu)
UNARY_OP(Softplus)
UNARY_OP(Softsign)
UNARY_OP(Mish)
UNARY_OP(Gelu)
UNARY_OP(Erf)
UNARY_OP(Exp)
UNARY_OP(Log)
UNARY_OP(Sqrt)
UNARY_OP(Reciprocal)
UNARY_OP(Neg)
UNARY_OP(Abs)
UNARY_OP(Floor)
UNARY_OP(Ceil)
UNARY_OP(Round)
UNARY_OP(Sign)
UNARY_OP(Sin)
UNARY_OP(Cos)
UNARY_OP(Tan)
UNARY_OP(Asin)
UNARY_OP(Acos)
UNARY_OP(Atan)
UNARY_OP(Sinh)
UNARY_OP(Cosh)
UNARY_OP(Asinh)
UNARY_OP(Acosh)
UNARY_OP(Atanh)
UNARY_OP(IsNaN)
UNARY_OP(IsInf)
UNARY_OP(Not)
