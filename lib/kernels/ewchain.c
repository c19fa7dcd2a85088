/* ewchain.c: fused float32 elementwise chains — a short program of elementwise steps run block by
 * block in L1 instead of one memory pass per op; each step is the same float operation as the
 * op's own kernel, so fusing never changes a bit. Also the vectorised sigmoid both use. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math")
#endif
#include "aimet_kernels.h"
#include "aimet_ops.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* e^x: Cody-Waite reduction to r in [-ln2/2, ln2/2], the Cephes expf polynomial, and 2^n
 * applied as two factors so that results down to the subnormals come out right. Straight-line
 * code, so loops over it vectorise; within 2e-7 relative of expf. */
static inline float exp_approx(float x)
{
	float t, n, r, p, s1, s2;
	int32_t ti, ni, n1, n2;
	uint32_t b1, b2;
	x = x < -104.0f ? -104.0f : x;    /* e^-104 rounds to 0 */
	x = x > 88.72f ? 88.72f : x;
	t = x * 1.44269504088896341f + 12582912.0f;   /* round(x / ln2) lands in the low bits */
	n = t - 12582912.0f;
	memcpy(&ti, &t, 4);
	ni = ti - 0x4B400000;
	r = x - n * 0.693359375f;
	r = r - n * -2.12194440e-4f;
	p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	p = p * r * r + r + 1.0f;
	n1 = ni >> 1;
	n2 = ni - n1;
	b1 = (uint32_t)(n1 + 127) << 23;    /* unsigned: a NaN's garbage n must not be UB */
	b2 = (uint32_t)(n2 + 127) << 23;
	memcpy(&s1, &b1, 4);
	memcpy(&s2, &b2, 4);
	return p * s1 * s2;
}

AIMET_KERNEL_CLONES
void aimet_sigmoid_f32(const float *x, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		/* e^x / (1 + e^x) on the negative side keeps tiny results */
		float v = x[i], e = exp_approx(-fabsf(v)), s = 1.0f / (1.0f + e);
		y[i] = v >= 0 ? s : e * s;
	}
}

#define BLOCK 512

/* One step over a block of n elements: r[dst] = r[a] op b. */
AIMET_KERNEL_CLONES
static void step(const struct aimet_ew_instr *in, float *d, const float *a, const float *bvec,
                 float bs, int n)
{
	const float lo = in->s, hi = in->s2;
	/* bvec: the second operand per element, or NULL when it is the single value bs */
#define BINOP(E)                                                                           \
	do {                                                                               \
		if (bvec && in->swap)                                                      \
			for (int i = 0; i < n; i++) { float x0 = bvec[i], x1 = a[i]; d[i] = (E); } \
		else if (bvec)                                                             \
			for (int i = 0; i < n; i++) { float x0 = a[i], x1 = bvec[i]; d[i] = (E); } \
		else if (in->swap)                                                         \
			for (int i = 0; i < n; i++) { float x0 = bs, x1 = a[i]; d[i] = (E); }   \
		else                                                                       \
			for (int i = 0; i < n; i++) { float x0 = a[i], x1 = bs; d[i] = (E); }   \
	} while (0)
	switch (in->op) {
	case AIMET_EW_ADD: BINOP(x0 + x1); break;
	case AIMET_EW_SUB: BINOP(x0 - x1); break;
	case AIMET_EW_MUL: BINOP(x0 * x1); break;
	case AIMET_EW_DIV: BINOP(x0 / x1); break;
	case AIMET_EW_MAX: BINOP(x0 >= x1 || x0 != x0 ? x0 : x1); break;
	case AIMET_EW_MIN: BINOP(x0 <= x1 || x0 != x0 ? x0 : x1); break;
	case AIMET_EW_CLAMP:
		for (int i = 0; i < n; i++) {
			float v = a[i];
			v = v < lo ? lo : v;
			d[i] = v > hi ? hi : v;
		}
		break;
	case AIMET_EW_RELU:
		for (int i = 0; i < n; i++)
			d[i] = a[i] < 0.0f ? 0.0f : a[i];
		break;
	case AIMET_EW_HARDSIGMOID:
		for (int i = 0; i < n; i++) {
			float v = lo * a[i] + hi;
			v = v < 0.0f ? 0.0f : v;
			d[i] = v > 1.0f ? 1.0f : v;
		}
		break;
	case AIMET_EW_HARDSWISH:
		for (int i = 0; i < n; i++) {
			float x = a[i], v = x * (1.0f / 6.0f) + 0.5f;
			v = v < 0.0f ? 0.0f : v;
			v = v > 1.0f ? 1.0f : v;
			d[i] = x * v;
		}
		break;
	case AIMET_EW_SIGMOID:
		aimet_sigmoid_f32(a, d, n);
		break;
	}
#undef BINOP
}

struct ew_job {
	const struct aimet_ew_prog *p;
	const float *const *in;
	float *y;
	int64_t C, inner;
};

static void ew_range(void *arg, int64_t beg, int64_t end)
{
	const struct ew_job *j = arg;
	const struct aimet_ew_prog *p = j->p;
	float r[AIMET_EW_MAX_REGS][BLOCK];
	int64_t pos = beg;
	while (pos < end) {
		int64_t row = pos / j->inner, col = pos % j->inner;
		int64_t c = row % j->C;
		int n = (int)(j->inner - col < BLOCK ? j->inner - col : BLOCK);
		if (n > end - pos)
			n = (int)(end - pos);
		/* register 0 is read in place until written; the last step writes y directly */
		const float *src[AIMET_EW_MAX_REGS];
		for (int k = 0; k < AIMET_EW_MAX_REGS; k++)
			src[k] = r[k];
		src[0] = j->in[0] + pos;
		for (int k = 0; k < p->n_instr; k++) {
			const struct aimet_ew_instr *in = &p->instr[k];
			const float *bvec = NULL;
			float bs = 0, *d = r[in->dst];
			if (k == p->n_instr - 1 && in->dst == p->out_reg)
				d = j->y + pos;
			switch (in->b_kind) {
			case AIMET_EW_B_REG: bvec = src[in->b]; break;
			case AIMET_EW_B_SCALAR: bs = in->s; break;
			case AIMET_EW_B_CHANNEL: bs = in->v[c]; break;
			case AIMET_EW_B_TENSOR: bvec = j->in[in->b] + pos; break;
			default: break;
			}
			step(in, d, src[in->a], bvec, bs, n);
			src[in->dst] = d;
		}
		if (!p->n_instr || p->instr[p->n_instr - 1].dst != p->out_reg)
			memcpy(j->y + pos, src[p->out_reg], (size_t)n * sizeof(float));
		pos += n;
	}
}

int aimet_ew_prog_check(const struct aimet_ew_prog *p, int n_inputs)
{
	unsigned written = 1;   /* r0 holds input 0 */
	if (p->n_instr < 0 || p->n_instr > AIMET_EW_MAX_INSTR || p->out_reg < 0 ||
	    p->out_reg >= AIMET_EW_MAX_REGS || n_inputs < 1)
		return -1;
	for (int k = 0; k < p->n_instr; k++) {
		const struct aimet_ew_instr *in = &p->instr[k];
		if (in->op < AIMET_EW_ADD || in->op > AIMET_EW_SIGMOID || in->dst < 0 ||
		    in->dst >= AIMET_EW_MAX_REGS || in->a < 0 || in->a >= AIMET_EW_MAX_REGS ||
		    !(written & (1u << in->a)))
			return -1;
		if (in->op > AIMET_EW_MIN) {
			written |= 1u << in->dst;
			continue;   /* unary steps ignore b */
		}
		switch (in->b_kind) {
		case AIMET_EW_B_REG:
			if (in->b < 0 || in->b >= AIMET_EW_MAX_REGS || !(written & (1u << in->b)))
				return -1;
			break;
		case AIMET_EW_B_SCALAR: break;
		case AIMET_EW_B_CHANNEL:
			if (!in->v)
				return -1;
			break;
		case AIMET_EW_B_TENSOR:
			if (in->b < 0 || in->b >= n_inputs)
				return -1;
			break;
		default: return -1;
		}
		written |= 1u << in->dst;
	}
	return written & (1u << p->out_reg) ? 0 : -1;
}

void aimet_ew_run(const struct aimet_ew_prog *p, const float *const *in, float *y,
                  int64_t outer, int64_t C, int64_t inner, int threads)
{
	struct ew_job j = {p, in, y, C > 0 ? C : 1, inner > 0 ? inner : 1};
	int64_t n = outer * j.C * j.inner;
	if (outer <= 0 || C <= 0 || inner <= 0)
		return;
	aimet_parallel_range(threads, n, 32768, ew_range, &j);
}

/* ---- fake quantization (also behind aimet_qdq_array) ----
 * The expression of aimet_qdq: a float32 division, rintf
 * (half to even in the default rounding mode), two selects that leave NaN in place, a float32
 * product; no-trapping-math (above) lets the selects vectorise. */
AIMET_KERNEL_CLONES
static void fq_run(float s, float lo, float hi, const float *x, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		float t = rintf(x[i] / s);
		t = t < lo ? lo : t;
		t = t > hi ? hi : t;
		y[i] = t * s;
	}
}

/* The division bounds the speed: about 0.12 ns per value here, for this loop or an intrinsics
 * one; and a simulated ppocr_cls run quantizes 20M values per batch. A product by 1/s with an
 * exact check for near-ties alone measured slower (it loads the multiply and add units instead
 * of the divider), so on AVX-512 half the vectors take the division and half the product: the
 * two kinds of units then work at the same time (perf: 2450 samples in this function against
 * 3340 for the division alone, in a simulated ppocr_cls run).
 * The product: r = 1/s rounded, p = x*r is within 2^-22 |p| of x/s rounded, so rint(p) ==
 * rint(x/s) unless a half-integer lies between them. Values more than a step beyond the grid
 * saturate either way; on it |p| <= M = max(|lo|, |hi|) + 2, so only lanes with p within
 * M * 2^-20 of a half-integer can differ, and those take the division. Needs s and r normal
 * floats and a grid of at most 2^16 levels (else the division throughout). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#define FQ_AVX512 1
/* max(lo, t) then min(hi, t): the second operand wins on NaN and on zeros of either sign,
 * exactly as the selects t < lo ? lo : t and t > hi ? hi : t */
#define FQ_RINT(v) _mm512_roundscale_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define FQ_OUT(t) _mm512_mul_ps(_mm512_min_ps(vhi, _mm512_max_ps(vlo, (t))), vs)
__attribute__((target("avx512f")))
static void fq_avx512(float s, float lo, float hi, const float *x0, float *y0, int64_t ld,
                      int64_t rows, int64_t n, int mix)
{
	const __m512 vs = _mm512_set1_ps(s), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
	const __m512 vr = _mm512_set1_ps(1.0f / s);
	const __m512 thr = _mm512_set1_ps(0.5f - (fmaxf(fabsf(lo), fabsf(hi)) + 2.0f) * 0x1p-20f);
	const __m512i absm = _mm512_set1_epi32(0x7fffffff);
	/* rows of a GEMM tile in one call: the set-up above once */
	for (int64_t row = 0; row < rows; row++) {
		const float *x = x0 + row * ld;
		float *y = y0 + row * ld;
		int64_t i = 0;
		for (; mix && i + 32 <= n; i += 32) {
			__m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
			__m512 p = _mm512_mul_ps(b, vr), t = FQ_RINT(p);
			__m512 d = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_sub_ps(p, t)), absm));
			__mmask16 near = _mm512_cmp_ps_mask(d, thr, _CMP_GE_OQ);
			_mm512_storeu_ps(y + i, FQ_OUT(FQ_RINT(_mm512_div_ps(a, vs))));
			if (__builtin_expect(near != 0, 0))
				t = _mm512_mask_mov_ps(t, near, FQ_RINT(_mm512_div_ps(b, vs)));
			_mm512_storeu_ps(y + i + 16, FQ_OUT(t));
		}
		for (; i < n; i += 16) {
			__mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
			/* masked-off lanes load 1.0f: no faults, no NaN work */
			__m512 a = _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), m, x + i);
			_mm512_mask_storeu_ps(y + i, m, FQ_OUT(FQ_RINT(_mm512_div_ps(a, vs))));
		}
	}
}

static int fq_has_avx512(void)
{
	static int has = -1;   /* a benign race: every thread computes the same value */
	if (has < 0) {
		__builtin_cpu_init();
		has = __builtin_cpu_supports("avx512f") ? 1 : 0;
	}
	return has;
}
#endif

/* rows rows of n values, ld apart (ld = n, rows = 1 for a plain run) */
static void fq_rows(float s, float lo, float hi, const float *x, float *y, int64_t ld, int64_t rows,
                    int64_t n)
{
#ifdef FQ_AVX512
	if (fq_has_avx512()) {
		float r = 1.0f / s;
		fq_avx512(s, lo, hi, x, y, ld, rows, n, s >= FLT_MIN && r >= FLT_MIN && r <= FLT_MAX &&
		                                        fmaxf(fabsf(lo), fabsf(hi)) <= 65536.0f);
		return;
	}
#endif
	for (int64_t i = 0; i < rows; i++)
		fq_run(s, lo, hi, x + i * ld, y + i * ld, n);
}

static void fq_block(float s, float lo, float hi, const float *x, float *y, int64_t n)
{
	fq_rows(s, lo, hi, x, y, n, 1, n);
}

void aimet_fq_apply(const struct aimet_fq *q, float *y, int64_t n)
{
	if (n > 0)
		fq_block(q->scale, q->lo, q->hi, y, y, n);
}

void aimet_fq_apply_rows(const struct aimet_fq *q, float *y, int64_t ld, int64_t rows, int64_t n)
{
	if (rows <= 0 || n <= 0)
		return;
	if (ld == n)
		fq_block(q->scale, q->lo, q->hi, y, y, rows * n);
	else
		fq_rows(q->scale, q->lo, q->hi, y, y, ld, rows, n);
}

struct fq_job { const struct aimet_fq *q; const float *x; float *y; };

static void fq_range(void *arg, int64_t beg, int64_t end)
{
	const struct fq_job *j = arg;
	fq_block(j->q->scale, j->q->lo, j->q->hi, j->x + beg, j->y + beg, end - beg);
}

void aimet_fq_apply_mt(const struct aimet_fq *q, const float *x, float *y, int64_t n, int threads)
{
	struct fq_job j = {q, x, y};
	if (n <= 0)
		return;
	/* elementwise: any split gives the same bits; a thread only for 32K+ elements */
	aimet_parallel_range(threads, n, 32768, fq_range, &j);
}
