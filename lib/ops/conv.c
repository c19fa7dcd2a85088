/* conv.c: Conv (opsets 1..21), any spatial rank and float/double in the reference kernel; the
 * fast float32 kernel (1-D and 2-D; 3-D runs the reference) picks per node at prepare: direct
 * depthwise (one input channel per group), 1x1 as GEMM on NCHW, the register-blocked kernel
 * (aimet_cgemm) on padded rows split by stride phase or on im2col panels for up to 128
 * output channels, else im2col panels + GEMM. Every path sums each output in ONNX Runtime's
 * order (aimet_kernels.h, "Summation order"). */
#include "aimet_kernels.h"
#include "aimet_ops.h"
#include "conv_attr.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* im2col panel budget per thread: about half of a Zen/Skylake L2, so the panel and the
 * output tile stay cached between im2col and the GEMM that consumes them. */
#define PANEL_BYTES (512 * 1024)
/* Most threads a workspace is sized for (the executor may prepare before knowing -j). */
#define MAX_SLOTS 64

struct conv_geom {
	struct conv_attrs a;
	int64_t N, C, M, G, Cg, Mg;
	int64_t in[CONV_MAX_SP], out[CONV_MAX_SP];
	int64_t pb[CONV_MAX_SP];                   /* effective leading pads */
	int64_t in_sz, out_sz, k_sz;               /* products over spatial dims */
	int has_bias;
};

enum { ALG_REF, ALG_DEPTHWISE, ALG_1X1, ALG_IM2COL, ALG_CG };
enum { CG_DIRECT, CG_COLS };

struct conv_state {
	int alg;
	int slots;              /* threads the workspace holds scratch for */
	int64_t np;             /* im2col: output pixels per panel */
	size_t shared_floats;   /* floats at the start of the workspace shared by all threads */
	size_t slot_floats;     /* floats of scratch per thread */
	struct aimet_conv2d g2; /* 2-D view (1-D as H = 1), per group */
	/* ALG_CG (aimet_cgemm): direct on padded rows split by stride phase, or im2col panels */
	int cg_mode, mb, vb;
	int tmode;              /* direct: transposed tiles (aimet_cgemm_t_run) */
	int64_t K, Mpad;
	int64_t wsz;            /* packed weights per group */
	int64_t rows;           /* direct: output rows per task */
	int64_t plane;          /* direct: floats per phase plane of a padded input channel */
	int64_t ld;             /* direct: output grid floats per task; cols: panel row length */
	int64_t cols;           /* cols: output pixels (of the N*P stream) per panel */
};

static int geom(struct aimet_op_ctx *c, struct conv_geom *g)
{
	const struct aimet_tensor *X = c->n_in > 0 ? c->in[0] : NULL;
	const struct aimet_tensor *W = c->n_in > 1 ? c->in[1] : NULL;
	const struct aimet_tensor *B = c->n_in > 2 ? c->in[2] : NULL;
	int st, nsp;
	memset(g, 0, sizeof(*g));
	if (!X || !W || c->n_in > 3)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs inputs X, W and an optional B (%d given)",
		                      c->n_in);
	if (X->dtype != AIMET_FLOAT && X->dtype != AIMET_DOUBLE)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "input type %s is not supported",
		                      aimet_dtype_name(X->dtype));
	if (W->dtype != X->dtype || (B && B->dtype != X->dtype))
		return aimet_op_error(c, AIMET_ERR_INVALID, "inputs have different types");
	if (X->ndim < 3 || X->ndim > AIMET_MAX_DIMS)
		return aimet_op_error(c, AIMET_ERR_INVALID, "input X has rank %d, expected 3 to %d",
		                      X->ndim, AIMET_MAX_DIMS);
	if (W->ndim != X->ndim)
		return aimet_op_error(c, AIMET_ERR_INVALID, "weight rank %d does not match input rank %d",
		                      W->ndim, X->ndim);
	for (int i = 0; i < X->ndim; i++)
		if (!conv_dim_ok(X->dims[i]) || !conv_dim_ok(W->dims[i]))
			return aimet_op_error(c, AIMET_ERR_INVALID, "input or weight dimension out of range");
	nsp = X->ndim - 2;
	if ((st = conv_attrs_read(c, nsp, W->dims + 2, &g->a)))
		return st;
	g->N = X->dims[0];
	g->C = X->dims[1];
	g->M = W->dims[0];
	g->G = g->a.group;
	if (g->C < 1 || g->M < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "no input or output channels");
	if (g->C % g->G || g->M % g->G || W->dims[1] * g->G != g->C)
		return aimet_op_error(c, AIMET_ERR_INVALID,
		                      "channels do not match: input %lld, weight %lldx%lld, group %lld",
		                      (long long)g->C, (long long)g->M, (long long)W->dims[1],
		                      (long long)g->G);
	g->Cg = g->C / g->G;
	g->Mg = g->M / g->G;
	if (B && (B->ndim != 1 || B->dims[0] != g->M))
		return aimet_op_error(c, AIMET_ERR_INVALID, "bias must have shape [%lld]", (long long)g->M);
	g->has_bias = B != NULL;
	g->in_sz = g->out_sz = g->k_sz = 1;
	for (int i = 0; i < nsp; i++) {
		int64_t in = X->dims[2 + i], k = g->a.k[i], s = g->a.s[i], d = g->a.d[i];
		int64_t ke = (k - 1) * d + 1, pb = g->a.pb[i], pe = g->a.pe[i], out;
		g->in[i] = in;
		if (g->a.auto_pad == CONV_PAD_VALID) {
			pb = pe = 0;
		} else if (g->a.auto_pad != CONV_PAD_NOTSET) {
			int64_t o = (in + s - 1) / s, total = (o - 1) * s + ke - in;
			if (total < 0)
				total = 0;
			pb = g->a.auto_pad == CONV_PAD_SAME_UPPER ? total / 2 : total - total / 2;
			pe = total - pb;
		}
		out = in + pb + pe - ke;
		if (out < 0)
			return aimet_op_error(c, AIMET_ERR_INVALID,
			                      "kernel %lld (dilated) is larger than padded input %lld",
			                      (long long)ke, (long long)(in + pb + pe));
		out = out / s + 1;
		g->out[i] = out;
		g->pb[i] = pb;
		g->in_sz *= in;
		g->out_sz *= out;
		g->k_sz *= k;
		if (g->in_sz > CONV_DIM_MAX || g->out_sz > CONV_DIM_MAX || g->k_sz > CONV_DIM_MAX)
			return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "spatial size is too large");
	}
	if (g->Cg * g->k_sz > CONV_DIM_MAX)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "weight is too large");
	return AIMET_OK;
}

static int conv_infer(struct aimet_op_ctx *c)
{
	struct conv_geom g;
	int64_t dims[AIMET_MAX_DIMS];
	int st;
	size_t n;
	if ((st = geom(c, &g)))
		return st;
	dims[0] = g.N;
	dims[1] = g.M;
	for (int i = 0; i < g.a.nsp; i++)
		dims[2 + i] = g.out[i];
	if (aimet_mul_size((size_t)g.N, (size_t)g.M, &n) || aimet_mul_size(n, (size_t)g.out_sz, &n) ||
	    aimet_mul_size(n, aimet_dtype_size(c->in[0]->dtype), &n))
		return aimet_op_error(c, AIMET_ERR_NOMEM, "output size overflows");
	aimet_tensor_set_shape(c->out[0], c->in[0]->dtype, g.a.nsp + 2, dims);
	return AIMET_OK;
}

static void to_2d(const struct conv_geom *g, struct aimet_conv2d *v)
{
	int two = g->a.nsp == 2;
	memset(v, 0, sizeof(*v));
	v->C = g->Cg;
	v->H = two ? g->in[0] : 1;
	v->W = two ? g->in[1] : g->in[0];
	v->KH = two ? g->a.k[0] : 1;
	v->KW = two ? g->a.k[1] : g->a.k[0];
	v->SH = two ? g->a.s[0] : 1;
	v->SW = two ? g->a.s[1] : g->a.s[0];
	v->DH = two ? g->a.d[0] : 1;
	v->DW = two ? g->a.d[1] : g->a.d[0];
	v->PH = two ? g->pb[0] : 0;
	v->PW = two ? g->pb[1] : g->pb[0];
	v->OH = two ? g->out[0] : 1;
	v->OW = two ? g->out[1] : g->out[0];
}

static int slot_count(const struct aimet_op_ctx *c)
{
	int n = omp_get_num_procs();
	if (c->threads > n)
		n = c->threads;
	return n < 1 ? 1 : n > MAX_SLOTS ? MAX_SLOTS : n;
}

/* The depthwise scratch holds the whole padded plane; refuse sizes that only absurd pads or
 * dilations produce (the im2col path's workspace is bounded whatever they are). */
static int dw_fits(const struct aimet_conv2d *v)
{
	double hq = (double)v->OH + (double)((v->KH - 1) * v->DH) / (double)v->SH;
	double wq = (double)v->OW + (double)((v->KW - 1) * v->DW) / (double)v->SW;
	return (double)v->SH * (double)v->SW * (hq * wq + wq) + (double)v->OH * wq < (double)(1 << 26);
}

/* Whether some tap reads stride phase (pr, pc) (a 1x3 kernel at stride 2x2 reads two of
 * four): the others are neither copied nor read. */
static int phase_used(const struct aimet_conv2d *v, int64_t pr, int64_t pc)
{
	int r = 0, c = 0;
	for (int64_t kh = 0; kh < v->KH && kh < v->SH && !r; kh++)
		r = (kh * v->DH) % v->SH == pr;
	for (int64_t kw = 0; kw < v->KW && kw < v->SW && !c; kw++)
		c = (kw * v->DW) % v->SW == pc;
	return r && c;
}

static int64_t round_up64(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

/* The register-blocked kernel (aimet_cgemm), for up to CG_MAX_M output channels: the sums over
 * all taps stay in registers (per-tap GEMMs would pass over the output once per tap, sum in
 * another order than ONNX Runtime, and a BLAS call on small matrices spends much of its time
 * packing). Direct when
 * little is wasted: a block of output rows reads a zero-padded copy of its input rows, split
 * by stride phase (phase (pr, pc) holds padded rows i*SH + pr and columns j*SW + pc), over an
 * output grid as wide as a phase row (Wq), so every tap (kh, kw) of every output is one phase
 * plane at a fixed offset; the grid's extra columns are computed and dropped. Otherwise
 * im2col panels that run across image boundaries, so small images still fill whole tiles.
 * 0 when neither fits. */
#define CG_MAX_M 128
static int cg_plan(const struct conv_geom *g, struct conv_state *s)
{
	const struct aimet_conv2d *v = &s->g2;
	int64_t budget = PANEL_BYTES / (int64_t)sizeof(float), items = g->N * g->G, want;
	int64_t K = g->Cg * g->k_sz, R = v->OH, P = g->out_sz, phases = v->SH * v->SW;
	int64_t Wq = v->OW + (v->KW - 1) * v->DW / v->SW, hq = (v->KH - 1) * v->DH / v->SH;
	int64_t offmax = hq * Wq + (v->KW - 1) * v->DW / v->SW;
	double waste = 1e9;
	int64_t used = 0;
	s->tmode = 0;
	/* 1x1 (strided: the stride-1 unpadded ones run as plain GEMM) gathers as much as it
	 * computes: measured behind BLAS on im2col panels */
	if (g->Mg > CG_MAX_M || g->Mg < 4 || K < 8 || g->k_sz == 1)
		return 0;
	for (int64_t ph = 0; ph < phases && phases <= 4; ph++)
		used += phase_used(v, ph / v->SW, ph % v->SW);
	aimet_cgemm_shape(&s->mb, &s->vb);
	s->K = K;
	s->Mpad = round_up64(g->Mg, s->mb);
	if ((double)K * (double)s->vb > 4.0 * (double)budget)
		return 0;
	s->wsz = round_up64(g->Mg, 16) * K;
	if (phases <= 4 && (double)g->Cg * (double)phases * (double)(hq + 2) * (double)Wq < 4.0 * (double)budget) {
		/* as many rows as fit the budget, but enough tasks for a few threads */
		want = items >= 8 ? 1 : (8 + items - 1) / items;
		if (want > 1 && R > (v->OH + want - 1) / want)
			R = (v->OH + want - 1) / want;
		while (R > 1 && g->Cg * phases * (round_up64(R * Wq, s->vb) + offmax) +
		                    s->Mpad * round_up64(R * Wq, s->vb) > budget)
			R = (R + 1) / 2;
		waste = (double)round_up64(R * Wq, s->vb) / (double)(R * v->OW);
		/* a single row wider than the budget (long 1-D signals): the panels are bounded */
		if (g->Cg * phases * (round_up64(R * Wq, s->vb) + offmax) + s->Mpad * round_up64(R * Wq, s->vb) >
		    4 * budget)
			waste = 1e9;
		/* transposed tiles: no grid columns wasted, but the channel rounding to whole
		 * vectors, and a transposing store (about one vector of FMAs per 16 outputs...
		 * against K/16 vectors of them per output) */
		if (aimet_cgemm_t_avail()) {
			int64_t pb = aimet_cgemm_t_pixels(g->Mg);
			double wt = (double)round_up64(R * v->OW, pb) / (double)(R * v->OW) *
			            (double)round_up64(g->Mg, 16) / (double)s->Mpad + 16.0 / (double)K;
			s->tmode = wt < waste && waste < 1e9;
			if (s->tmode)
				waste = wt;
		}
		/* the copy: a float per input pixel of each phase a tap reads */
		waste += (double)used / (double)g->k_sz * (double)s->vb / (double)s->Mpad;
	}
	/* im2col copies about one float per output per k: against Mpad/VW FMAs per output and
	 * k, that costs about VW/Mpad of the arithmetic */
	if (waste <= 1.0 + 1.5 * (double)s->vb / (double)s->Mpad) {
		s->cg_mode = CG_DIRECT;
		s->rows = R;
		s->ld = round_up64(R * Wq, s->vb);
		s->plane = s->ld + offmax;
		s->slot_floats = (size_t)(g->Cg * phases * s->plane + (s->tmode ? 0 : s->Mpad * s->ld));
		/* shared: packed weights, the row offsets (int64, so keep the float count even),
		 * the output pixels' grid offsets for transposed tiles */
		s->shared_floats = (size_t)(g->G * s->wsz + (g->G * s->wsz) % 2 + 2 * K +
		                            (s->tmode ? 2 * R * v->OW : 0));
		return 1;
	}
	s->tmode = 0;
	{
		int64_t total = g->N * P, np = budget / (K + s->Mpad) / s->vb * s->vb, par;
		if (np < s->vb)
			np = s->vb;
		par = round_up64((total + 7) / 8, s->vb);
		if (g->G < 8 && np > par)
			np = par;
		if (np > round_up64(total, s->vb))
			np = round_up64(total, s->vb);
		s->cg_mode = CG_COLS;
		s->cols = np;
		s->ld = np;
		s->slot_floats = (size_t)((K + s->Mpad) * np);
		s->shared_floats = (size_t)(g->G * s->wsz + (g->G * s->wsz) % 2 + 2 * K);
	}
	return 1;
}

static int conv_prepare(struct aimet_op_ctx *c)
{
	struct conv_geom g;
	struct conv_state *s;
	int st, unit = 1;
	size_t bytes;
	if ((st = geom(c, &g)))
		return st;
	if (!(s = calloc(1, sizeof(*s))))
		return aimet_error(c->ctx, AIMET_ERR_NOMEM, "out of memory");
	c->state = s;
	s->alg = ALG_REF;
	if (c->in[0]->dtype != AIMET_FLOAT || g.a.nsp > 2)
		return AIMET_OK;
	to_2d(&g, &s->g2);
	s->slots = slot_count(c);
	for (int i = 0; i < g.a.nsp; i++)
		if (g.a.k[i] != 1 || g.a.s[i] != 1 || g.pb[i] != 0 || g.out[i] != g.in[i])
			unit = 0;
	if (g.Cg == 1 && g.G == 1 && g.out_sz > 1 && cg_plan(&g, s)) {
		/* one input channel, many outputs (a stem): a GEMM with K = the taps */
		s->alg = ALG_CG;
	} else if (g.Cg == 1 && dw_fits(&s->g2)) {
		s->alg = ALG_DEPTHWISE;
		s->slot_floats = aimet_depthwise_scratch(&s->g2);
	} else if (unit) {
		s->alg = ALG_1X1;
		s->slot_floats = 0;
	} else if (g.out_sz > 1 && cg_plan(&g, s)) {
		/* measured ahead of per-tap BLAS GEMMs on every shape of the shared models
		 * (registers hold the sums over all taps: no pass over the output per tap) */
		s->alg = ALG_CG;
	} else {
		/* more output channels than the register-blocked kernel takes, or a single output
		 * pixel (ONNX Runtime's one-column order, in aimet_sgemm_tile) */
		int64_t K = g.Cg * g.k_sz, np = PANEL_BYTES / (int64_t)sizeof(float) / K;
		np = np / 16 * 16;
		if (np < 64)
			np = 64;
		if (np > g.out_sz)
			np = g.out_sz;
		s->alg = ALG_IM2COL;
		s->np = np;
		s->shared_floats = 0;
		s->slot_floats = (size_t)(K * np);
	}
	if (aimet_mul_size(s->slot_floats, (size_t)s->slots, &bytes) ||
	    aimet_add_size(bytes, s->shared_floats, &bytes) ||
	    aimet_mul_size(bytes, sizeof(float), &bytes))
		return aimet_op_error(c, AIMET_ERR_NOMEM, "workspace size overflows");
	c->workspace_size = bytes;
	return AIMET_OK;
}

static void conv_free_state(void *state) { free(state); }

/* ---- reference: direct loops over every output, any spatial rank, float or double ---- */

#define CONV_REF(T)                                                                              \
	do {                                                                                     \
		const T *x = c->in[0]->data, *w = c->in[1]->data;                                \
		const T *b = g.has_bias ? (const T *)c->in[2]->data : NULL;                      \
		T *y = c->out[0]->data;                                                          \
		for (int64_t n = 0; n < g.N; n++)                                                \
			for (int64_t m = 0; m < g.M; m++) {                                      \
				int64_t grp = m / g.Mg;                                          \
				for (int64_t o = 0; o < g.out_sz; o++) {                         \
					int64_t oi[CONV_MAX_SP], r = o;                          \
					double acc = 0;                                          \
					for (int i = nsp - 1; i >= 0; i--) {                     \
						oi[i] = r % g.out[i];                            \
						r /= g.out[i];                                   \
					}                                                        \
					for (int64_t ci = 0; ci < g.Cg; ci++)                    \
						for (int64_t kk = 0; kk < g.k_sz; kk++) {        \
							int64_t xi = 0, q = kk, ok = 1;          \
							int64_t ki[CONV_MAX_SP];                 \
							for (int i = nsp - 1; i >= 0; i--) {     \
								ki[i] = q % g.a.k[i];            \
								q /= g.a.k[i];                   \
							}                                        \
							for (int i = 0; i < nsp; i++) {          \
								int64_t p = oi[i] * g.a.s[i] - g.pb[i] + ki[i] * g.a.d[i]; \
								if (p < 0 || p >= g.in[i])       \
									ok = 0;                  \
								xi = xi * g.in[i] + p;           \
							}                                        \
							if (!ok)                                 \
								continue;                        \
							acc += (double)x[((n * g.C + grp * g.Cg + ci) * g.in_sz) + xi] * \
							       (double)w[(m * g.Cg + ci) * g.k_sz + kk];   \
						}                                                \
					if (b)                                                   \
						acc += (double)b[m];                             \
					T v = (T)acc;                                            \
					v = v < (T)c->act_lo ? (T)c->act_lo : v;                 \
					v = v > (T)c->act_hi ? (T)c->act_hi : v;                 \
					y[(n * g.M + m) * g.out_sz + o] = v;                     \
				}                                                                \
			}                                                                        \
	} while (0)

static void conv_ref(struct aimet_op_ctx *c)
{
	struct conv_geom g;
	int nsp;
	if (geom(c, &g))
		return;
	nsp = g.a.nsp;
	if (c->in[0]->dtype == AIMET_DOUBLE)
		CONV_REF(double);
	else
		CONV_REF(float);
}

/* ---- fast float32 kernels ---- */

static void run_depthwise(struct aimet_op_ctx *c, const struct conv_geom *g, const struct conv_state *s)
{
	const float *x = c->in[0]->data, *w = c->in[1]->data;
	const float *b = g->has_bias ? c->in[2]->data : NULL;
	float *y = c->out[0]->data, *ws = c->workspace;
	const struct aimet_conv2d *v = &s->g2;
	int64_t planes = g->N * g->M, ksz = v->KH * v->KW, osz = v->OH * v->OW, isz = v->H * v->W;
	int nt = aimet_kernel_threads(2.0 * (double)planes * (double)osz * (double)ksz, planes,
	                              c->threads < s->slots ? c->threads : s->slots);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
	for (int64_t pl = 0; pl < planes; pl++) {
		int64_t n = pl / g->M, m = pl % g->M, ch = m / g->Mg;
		float *scratch = ws + (size_t)omp_get_thread_num() * s->slot_floats;
		aimet_depthwise_plane(v, x + (n * g->C + ch) * isz, w + m * ksz, b ? b[m] : 0.0f,
		                      c->act_lo, c->act_hi, y + pl * osz, scratch);
	}
}

/* 1x1, stride 1, no padding: Y[n, g] (Mg x P) = W[g] (Mg x Cg) * X[n, g] (Cg x P), in the
 * shared GEMM tile grid, with bias and clamp applied to each tile while it is hot. */
static void run_1x1(struct aimet_op_ctx *c, const struct conv_geom *g)
{
	const float *x = c->in[0]->data, *w = c->in[1]->data;
	const float *b = g->has_bias ? c->in[2]->data : NULL;
	float *y = c->out[0]->data;
	int64_t P = g->out_sz, items = g->N * g->G, tiles, tasks;
	struct aimet_gemm_grid grid;
	int nt;
	int saved = aimet_blas_begin();
	aimet_gemm_grid_make(&grid, items, g->Mg, P, g->Cg);
	tiles = grid.mt * grid.nt;
	tasks = items * tiles;
	nt = aimet_kernel_threads(2.0 * (double)items * (double)g->Mg * (double)P * (double)g->Cg,
	                          tasks, c->threads);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
	for (int64_t t = 0; t < tasks; t++) {
		int64_t it = t / tiles, n = it / g->G, grp = it % g->G;
		struct aimet_epilogue e = aimet_epilogue_clamp(c->act_lo, c->act_hi);
		if (b) {
			e.kind = AIMET_EPI_ROW;
			e.add = b + grp * g->Mg;
		}
		aimet_sgemm_tile(&grid, t % tiles, 0, 0, 1.0f, w + grp * g->Mg * g->Cg, g->Cg,
		                 x + (n * g->C + grp * g->Cg) * P, P, y + (n * g->M + grp * g->Mg) * P, P, &e);
	}
	aimet_blas_end(saved);
}

/* General: for each (image, group, panel of output pixels) build the im2col panel in this
 * thread's slot and multiply; panels never span images, so the workspace is bounded. */
static void run_im2col(struct aimet_op_ctx *c, const struct conv_geom *g, const struct conv_state *s)
{
	const float *x = c->in[0]->data, *w = c->in[1]->data;
	const float *b = g->has_bias ? c->in[2]->data : NULL;
	float *y = c->out[0]->data, *ws = c->workspace;
	const struct aimet_conv2d *v = &s->g2;
	int64_t P = g->out_sz, K = g->Cg * g->k_sz, np = s->np;
	int64_t panels = (P + np - 1) / np, tasks = g->N * g->G * panels;
	int nt = aimet_kernel_threads(2.0 * (double)g->N * (double)g->M * (double)P * (double)K, tasks,
	                              c->threads < s->slots ? c->threads : s->slots);
	int saved = aimet_blas_begin();
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
	for (int64_t t = 0; t < tasks; t++) {
		int64_t pi = t % panels, it = t / panels, n = it / g->G, grp = it % g->G;
		int64_t p0 = pi * np, cnt = P - p0 < np ? P - p0 : np;
		float *col = ws + (size_t)omp_get_thread_num() * s->slot_floats;
		struct aimet_epilogue e = aimet_epilogue_clamp(c->act_lo, c->act_hi);
		struct aimet_gemm_grid one = { g->Mg, cnt, K, g->Mg, cnt, 1, 1, P };
		if (b) {
			e.kind = AIMET_EPI_ROW;
			e.add = b + grp * g->Mg;
		}
		aimet_im2col_panel(v, x + (n * g->C + grp * g->Cg) * g->in_sz, p0, cnt, col);
		aimet_sgemm_tile(&one, 0, 0, 0, 1.0f, w + grp * g->Mg * K, K, col, cnt,
		                 y + (n * g->M + grp * g->Mg) * P + p0, P, &e);
	}
	aimet_blas_end(saved);
}

/* Direct: a task is a block of output rows of one (image, group); its input rows are copied
 * zero-padded and split by stride phase (a plane of s->plane floats per input channel and
 * phase), so row k = (ci, kh, kw) of the GEMM's B is the phase plane of tap (kh, kw) shifted
 * by its offset, over an output grid Wq wide; with transposed tiles each output pixel's grid
 * offset is in pix. Cols: a task is a panel of s->cols output pixels of the (image, pixel) stream of one group,
 * im2col'd image by image into one panel. */
static void run_cg(struct aimet_op_ctx *c, const struct conv_geom *g, const struct conv_state *s)
{
	const float *x = c->in[0]->data, *w = c->in[1]->data;
	const float *b = g->has_bias ? c->in[2]->data : NULL;
	float *y = c->out[0]->data, *wp = c->workspace;
	int64_t *roff = (int64_t *)(wp + g->G * s->wsz + (g->G * s->wsz) % 2), *pix = roff + s->K;
	float *ws = wp + s->shared_floats;
	const struct aimet_conv2d *v = &s->g2;
	const int64_t Cg = g->Cg, Mg = g->Mg, K = s->K, Mpad = s->Mpad, ld = s->ld, P = g->out_sz;
	const int64_t ks = aimet_gemm_kstride(P, K, 0);  /* ONNX Runtime's order: one image's pixels */
	const int64_t phases = v->SH * v->SW, Wq = v->OW + (v->KW - 1) * v->DW / v->SW;
	const int64_t hq = (v->KH - 1) * v->DH / v->SH;
	int64_t blocks, tasks;
	unsigned used = 0;
	int nt;
	for (int64_t ph = 0; ph < phases && phases <= 4; ph++)
		used |= (unsigned)phase_used(v, ph / v->SW, ph % v->SW) << ph;
	if (s->cg_mode == CG_DIRECT) {
		blocks = (v->OH + s->rows - 1) / s->rows;
		tasks = g->N * g->G * blocks;
		for (int64_t ci = 0, k = 0; ci < Cg; ci++)
			for (int64_t kh = 0; kh < v->KH; kh++)
				for (int64_t kw = 0; kw < v->KW; kw++) {
					int64_t rh = kh * v->DH, rw = kw * v->DW;
					roff[k++] = (ci * phases + (rh % v->SH) * v->SW + rw % v->SW) * s->plane +
					            rh / v->SH * Wq + rw / v->SW;
				}
		if (s->tmode)
			for (int64_t oh = 0, j = 0; oh < s->rows; oh++)
				for (int64_t ow = 0; ow < v->OW; ow++)
					pix[j++] = oh * Wq + ow;
	} else {
		blocks = (g->N * P + s->cols - 1) / s->cols;
		tasks = g->G * blocks;
		for (int64_t k = 0; k < K; k++)
			roff[k] = k * ld;
	}
	for (int64_t grp = 0; grp < g->G; grp++)
		if (s->tmode)
			aimet_cgemm_t_pack(w + grp * Mg * K, Mg, K, K, wp + grp * s->wsz);
		else
			aimet_cgemm_pack(w + grp * Mg * K, Mg, K, K, wp + grp * s->wsz);
	nt = aimet_kernel_threads(2.0 * (double)g->N * (double)g->M * (double)P * (double)K, tasks,
	                          c->threads < s->slots ? c->threads : s->slots);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
	for (int64_t t = 0; t < tasks; t++) {
		float *buf = ws + (size_t)omp_get_thread_num() * s->slot_floats;
		struct aimet_epilogue e = aimet_epilogue_clamp(c->act_lo, c->act_hi);
		int64_t grp = s->cg_mode == CG_DIRECT ? (t / blocks) % g->G : t / blocks;
		const float *wg = wp + grp * s->wsz;
		if (b) {
			e.kind = AIMET_EPI_ROW;
			e.add = b + grp * Mg;
		}
		if (s->cg_mode == CG_DIRECT) {
			int64_t rb = t % blocks, n = t / blocks / g->G, r0 = rb * s->rows;
			int64_t rows = v->OH - r0 < s->rows ? v->OH - r0 : s->rows, Rq = rows + hq;
			const float *xg = x + (n * g->C + grp * Cg) * v->H * v->W;
			float *ct = buf + Cg * phases * s->plane, *yg = y + (n * g->M + grp * Mg) * P + r0 * v->OW;
			for (int64_t ci = 0; ci < Cg; ci++)
				for (int64_t ph = 0; ph < phases; ph++)
					if (used >> ph & 1)
						aimet_cgemm_fill_phase(v, xg + ci * v->H * v->W, r0, Rq, Wq, ph / v->SW,
						                       ph % v->SW, buf + (ci * phases + ph) * s->plane, s->plane);
			if (s->tmode) {
				aimet_cgemm_t_run(wg, Mg, K, ks, buf, roff, pix, rows * v->OW, yg, P);
				aimet_epilogue_apply(&e, yg, P, 0, Mg, r0 * v->OW, rows * v->OW);
			} else {
				/* the epilogue on each output row's valid columns while the grid is hot,
				 * then one copy out */
				aimet_cgemm_run(wg, Mpad, K, ks, buf, roff, rows * Wq, ct, ld);
				for (int64_t oh = 0; oh < rows; oh++)
					aimet_epilogue_apply(&e, ct + oh * Wq, ld, 0, Mg, (r0 + oh) * v->OW, v->OW);
				aimet_cgemm_unpack(ct, ld, Mg, rows, Wq, v->OW, yg, P);
			}
		} else {
			int64_t j0 = (t % blocks) * s->cols, total = g->N * P;
			int64_t cnt = total - j0 < s->cols ? total - j0 : s->cols, padded = round_up64(cnt, s->vb);
			float *col = buf, *ct = buf + K * ld;
			for (int64_t j = j0; j < j0 + cnt;) {
				int64_t n = j / P, p = j % P, run = P - p < j0 + cnt - j ? P - p : j0 + cnt - j;
				aimet_im2col_panel_ld(v, x + (n * g->C + grp * Cg) * g->in_sz, p, run, col + (j - j0), ld);
				j += run;
			}
			if (padded > cnt)
				for (int64_t k = 0; k < K; k++)
					memset(col + k * ld + cnt, 0, (size_t)(padded - cnt) * sizeof(float));
			aimet_cgemm_run(wg, Mpad, K, ks, col, roff, cnt, ct, ld);
			for (int64_t j = j0; j < j0 + cnt;) {
				int64_t n = j / P, p = j % P, run = P - p < j0 + cnt - j ? P - p : j0 + cnt - j;
				float *yg = y + (n * g->M + grp * Mg) * P + p;
				for (int64_t m = 0; m < Mg; m++)
					memcpy(yg + m * P, ct + m * ld + (j - j0), (size_t)run * sizeof(float));
				aimet_epilogue_apply(&e, yg, P, 0, Mg, p, run);
				j += run;
			}
		}
	}
}

static void conv_run(struct aimet_op_ctx *c)
{
	const struct conv_state *s = c->state;
	struct conv_geom g;
	if (!s || s->alg == ALG_REF) {
		conv_ref(c);
		return;
	}
	if (geom(c, &g) || g.N == 0)
		return;
	switch (s->alg) {
	case ALG_DEPTHWISE: run_depthwise(c, &g, s); break;
	case ALG_1X1: run_1x1(c, &g); break;
	case ALG_CG: run_cg(c, &g, s); break;
	default: run_im2col(c, &g, s); break;
	}
}

const struct aimet_op aimet_op_Conv = {
	.op_type = "Conv",
	.domain = "",
	.infer = conv_infer,
	.prepare = conv_prepare,
	.run = conv_run,
	.ref = conv_ref,
	.free_state = conv_free_state,
	.fuse_clamp = 1,
};
