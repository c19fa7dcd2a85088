/* ewchain.c: fused float32 elementwise chains — a short program of elementwise steps run block by
 * block in L1 instead of one memory pass per op; each step is the same float operation as the
 * op's own kernel, so fusing never changes a bit. Also the vectorised sigmoid both use. */
#pragma GCC optimize("O3", "no-trapping-math", "fp-contract=off")
#include "aimet_kernels.h"
#include "aimet_ops.h"

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
static void step(const struct aimet_ew_instr *in, float (*r)[BLOCK], const float *bvec, float bs,
                 int n)
{
	float *d = r[in->dst];
	const float *a = r[in->a];
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
		memcpy(r[0], j->in[0] + pos, (size_t)n * sizeof(float));
		for (int k = 0; k < p->n_instr; k++) {
			const struct aimet_ew_instr *in = &p->instr[k];
			const float *bvec = NULL;
			float bs = 0;
			switch (in->b_kind) {
			case AIMET_EW_B_REG: bvec = r[in->b]; break;
			case AIMET_EW_B_SCALAR: bs = in->s; break;
			case AIMET_EW_B_CHANNEL: bs = in->v[c]; break;
			case AIMET_EW_B_TENSOR: bvec = j->in[in->b] + pos; break;
			default: break;
			}
			step(in, r, bvec, bs, n);
		}
		memcpy(j->y + pos, r[p->out_reg], (size_t)n * sizeof(float));
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
