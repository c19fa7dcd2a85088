/* convtranspose.c: ConvTranspose (opsets 1..21), any spatial rank in the reference kernel.
 * The fast float32 kernel (1-D and 2-D) multiplies W^T by a panel of input pixels into
 * columns and scatters them (col2im); each task owns a block of output channels, so threads
 * never add into the same output and the order of additions is fixed. */
#include "aimet_kernels.h"
#include "aimet_ops.h"
#include "conv_attr.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define PANEL_BYTES (512 * 1024)
#define MAX_SLOTS 64
/* Tasks wanted over (image, group, channel block), for load balance on a few cores. */
#define WANT_TASKS 8

struct ct_geom {
	struct conv_attrs a;
	int64_t N, C, M, G, Cg, Mg;
	int64_t in[CONV_MAX_SP], out[CONV_MAX_SP], pb[CONV_MAX_SP];
	int64_t in_sz, out_sz, k_sz;
	int has_bias;
};

struct ct_state {
	int fast;
	int tiled;               /* kernel == stride, no pads/dilation: windows tile the output */
	int slots;
	int64_t mb, np;          /* output channels per task, input pixels per panel */
	size_t slot_floats;
	struct aimet_conv2d g2;  /* H, W: input; OH, OW: output; C: unused */
};

static int geom(struct aimet_op_ctx *c, struct ct_geom *g)
{
	const struct aimet_tensor *X = c->n_in > 0 ? c->in[0] : NULL;
	const struct aimet_tensor *W = c->n_in > 1 ? c->in[1] : NULL;
	const struct aimet_tensor *B = c->n_in > 2 ? c->in[2] : NULL;
	int64_t opad[CONV_MAX_SP];
	const int64_t *os;
	int st, nsp, n_os;
	memset(g, 0, sizeof(*g));
	if (!X || !W || c->n_in > 3)
		return aimet_op_error(c, AIMET_ERR_INVALID, "needs inputs X, W and an optional B (%d given)",
		                      c->n_in);
	if (X->dtype != AIMET_FLOAT && X->dtype != AIMET_DOUBLE)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "input type %s is not supported",
		                      aimet_dtype_name(X->dtype));
	if (W->dtype != X->dtype || (B && B->dtype != X->dtype))
		return aimet_op_error(c, AIMET_ERR_INVALID, "inputs have different types");
	if (X->ndim < 3 || X->ndim > AIMET_MAX_DIMS || W->ndim != X->ndim)
		return aimet_op_error(c, AIMET_ERR_INVALID, "input ranks %d and %d are not supported",
		                      X->ndim, W->ndim);
	for (int i = 0; i < X->ndim; i++)
		if (!conv_dim_ok(X->dims[i]) || !conv_dim_ok(W->dims[i]))
			return aimet_op_error(c, AIMET_ERR_INVALID, "input or weight dimension out of range");
	nsp = X->ndim - 2;
	if ((st = conv_attrs_read(c, nsp, W->dims + 2, &g->a)))
		return st;
	if ((st = conv_ints(c, "output_padding", nsp, 0, 0, opad, NULL)))
		return st;
	g->N = X->dims[0];
	g->C = X->dims[1];
	g->G = g->a.group;
	if (g->C < 1 || W->dims[1] < 1)
		return aimet_op_error(c, AIMET_ERR_INVALID, "no input or output channels");
	if (W->dims[0] != g->C || g->C % g->G)
		return aimet_op_error(c, AIMET_ERR_INVALID,
		                      "channels do not match: input %lld, weight %lld, group %lld",
		                      (long long)g->C, (long long)W->dims[0], (long long)g->G);
	g->Cg = g->C / g->G;
	g->Mg = W->dims[1];
	g->M = g->Mg * g->G;
	if (g->M > CONV_DIM_MAX)
		return aimet_op_error(c, AIMET_ERR_INVALID, "too many output channels");
	if (B && (B->ndim != 1 || B->dims[0] != g->M))
		return aimet_op_error(c, AIMET_ERR_INVALID, "bias must have shape [%lld]", (long long)g->M);
	g->has_bias = B != NULL;
	n_os = aimet_node_attr_ints(c->node, "output_shape", &os);
	if (n_os >= 0) {
		if (n_os != nsp && n_os != nsp + 2)
			return aimet_op_error(c, AIMET_ERR_INVALID, "attribute 'output_shape' has %d values",
			                      n_os);
		os += n_os - nsp;  /* a full [N, C, spatial...] shape is accepted too */
	}
	g->in_sz = g->out_sz = g->k_sz = 1;
	for (int i = 0; i < nsp; i++) {
		int64_t in = X->dims[2 + i], s = g->a.s[i], ke = (g->a.k[i] - 1) * g->a.d[i] + 1;
		int64_t full = s * (in - 1) + opad[i] + ke, out, pb, total;
		if (in < 1)
			return aimet_op_error(c, AIMET_ERR_INVALID, "empty spatial input");
		if (n_os >= 0 || g->a.auto_pad == CONV_PAD_SAME_UPPER || g->a.auto_pad == CONV_PAD_SAME_LOWER) {
			out = n_os >= 0 ? os[i] : in * s;
			if (out < 1 || out > CONV_DIM_MAX)
				return aimet_op_error(c, AIMET_ERR_INVALID, "output size %lld is out of range",
				                      (long long)out);
			/* may be negative: the output then extends past the last input's reach */
			total = full - out;
			pb = g->a.auto_pad == CONV_PAD_SAME_UPPER ? conv_floordiv(total, 2)
			                                          : total - conv_floordiv(total, 2);
		} else if (g->a.auto_pad == CONV_PAD_VALID) {
			pb = 0;
			out = full;
		} else {
			pb = g->a.pb[i];
			out = full - pb - g->a.pe[i];
		}
		if (out < 1 || out > CONV_DIM_MAX)
			return aimet_op_error(c, AIMET_ERR_INVALID, "output size %lld is out of range",
			                      (long long)out);
		g->in[i] = in;
		g->out[i] = out;
		g->pb[i] = pb;
		g->in_sz *= in;
		g->out_sz *= out;
		g->k_sz *= g->a.k[i];
		if (g->in_sz > CONV_DIM_MAX || g->out_sz > CONV_DIM_MAX || g->k_sz > CONV_DIM_MAX)
			return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "spatial size is too large");
	}
	if (g->Mg * g->k_sz > CONV_DIM_MAX)
		return aimet_op_error(c, AIMET_ERR_UNSUPPORTED, "weight is too large");
	return AIMET_OK;
}

static int ct_infer(struct aimet_op_ctx *c)
{
	struct ct_geom g;
	int64_t dims[AIMET_MAX_DIMS];
	size_t n;
	int st;
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

static int ct_prepare(struct aimet_op_ctx *c)
{
	struct ct_geom g;
	struct ct_state *s;
	struct aimet_conv2d *v;
	int st, two;
	int64_t blocks, rows;
	size_t bytes;
	if ((st = geom(c, &g)))
		return st;
	if (!(s = calloc(1, sizeof(*s))))
		return aimet_error(c->ctx, AIMET_ERR_NOMEM, "out of memory");
	c->state = s;
	if (c->in[0]->dtype != AIMET_FLOAT || g.a.nsp > 2)
		return AIMET_OK;
	s->fast = 1;
	two = g.a.nsp == 2;
	v = &s->g2;
	v->H = two ? g.in[0] : 1;
	v->W = two ? g.in[1] : g.in[0];
	v->KH = two ? g.a.k[0] : 1;
	v->KW = two ? g.a.k[1] : g.a.k[0];
	v->SH = two ? g.a.s[0] : 1;
	v->SW = two ? g.a.s[1] : g.a.s[0];
	v->DH = two ? g.a.d[0] : 1;
	v->DW = two ? g.a.d[1] : g.a.d[0];
	v->PH = two ? g.pb[0] : 0;
	v->PW = two ? g.pb[1] : g.pb[0];
	v->OH = two ? g.out[0] : 1;
	v->OW = two ? g.out[1] : g.out[0];
	s->tiled = v->KH == v->SH && v->KW == v->SW && v->DH == 1 && v->DW == 1 && v->PH == 0 &&
	           v->PW == 0 && v->OH == v->H * v->SH && v->OW == v->W * v->SW;
	blocks = g.N * g.G >= WANT_TASKS ? 1 : (WANT_TASKS + g.N * g.G - 1) / (g.N * g.G > 0 ? g.N * g.G : 1);
	if (blocks > g.Mg)
		blocks = g.Mg;
	s->mb = (g.Mg + blocks - 1) / blocks;
	rows = s->mb * g.k_sz;
	s->np = PANEL_BYTES / (int64_t)sizeof(float) / rows / 16 * 16;
	if (s->np < 64)
		s->np = 64;
	if (s->np > g.in_sz)
		s->np = g.in_sz;
	s->slot_floats = (size_t)(rows * s->np);
	s->slots = omp_get_num_procs();
	if (c->threads > s->slots)
		s->slots = c->threads;
	if (s->slots < 1)
		s->slots = 1;
	if (s->slots > MAX_SLOTS)
		s->slots = MAX_SLOTS;
	if (aimet_mul_size(s->slot_floats, (size_t)s->slots * sizeof(float), &bytes))
		return aimet_op_error(c, AIMET_ERR_NOMEM, "workspace size overflows");
	c->workspace_size = bytes;
	return AIMET_OK;
}

static void ct_free_state(void *state) { free(state); }

/* Reference: gather form, each output sums the (input, tap) pairs that land on it. */
#define CT_REF(T)                                                                                \
	do {                                                                                     \
		const T *x = c->in[0]->data, *w = c->in[1]->data;                                \
		const T *b = g.has_bias ? (const T *)c->in[2]->data : NULL;                      \
		T *y = c->out[0]->data;                                                          \
		for (int64_t n = 0; n < g.N; n++)                                                \
			for (int64_t m = 0; m < g.M; m++) {                                      \
				int64_t grp = m / g.Mg, mm = m % g.Mg;                           \
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
								int64_t t = oi[i] + g.pb[i] - ki[i] * g.a.d[i]; \
								if (t < 0 || t % g.a.s[i] || t / g.a.s[i] >= g.in[i]) \
									ok = 0;                  \
								else                             \
									xi = xi * g.in[i] + t / g.a.s[i]; \
							}                                        \
							if (!ok)                                 \
								continue;                        \
							acc += (double)x[(n * g.C + grp * g.Cg + ci) * g.in_sz + xi] * \
							       (double)w[((grp * g.Cg + ci) * g.Mg + mm) * g.k_sz + kk]; \
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

static void ct_ref(struct aimet_op_ctx *c)
{
	struct ct_geom g;
	int nsp;
	if (geom(c, &g))
		return;
	nsp = g.a.nsp;
	if (c->in[0]->dtype == AIMET_DOUBLE)
		CT_REF(double);
	else
		CT_REF(float);
}

static void ct_run(struct aimet_op_ctx *c)
{
	const struct ct_state *s = c->state;
	struct ct_geom g;
	const float *x, *w, *b;
	float *y, *ws;
	int64_t mblocks, panels, tasks, HW, OHW;
	int nt;
	if (!s || !s->fast) {
		ct_ref(c);
		return;
	}
	if (geom(c, &g) || g.N == 0)
		return;
	x = c->in[0]->data;
	w = c->in[1]->data;
	b = g.has_bias ? c->in[2]->data : NULL;
	y = c->out[0]->data;
	ws = c->workspace;
	HW = g.in_sz;
	OHW = g.out_sz;
	mblocks = (g.Mg + s->mb - 1) / s->mb;
	panels = (HW + s->np - 1) / s->np;
	tasks = g.N * g.G * mblocks;
	nt = aimet_kernel_threads(2.0 * (double)g.N * (double)g.M * (double)g.k_sz * (double)HW *
	                          (double)g.Cg, tasks, c->threads < s->slots ? c->threads : s->slots);
	int saved = aimet_blas_begin();
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
	for (int64_t t = 0; t < tasks; t++) {
		int64_t mi = t % mblocks, it = t / mblocks, n = it / g.G, grp = it % g.G;
		int64_t m0 = mi * s->mb, mcnt = g.Mg - m0 < s->mb ? g.Mg - m0 : s->mb;
		float *col = ws + (size_t)omp_get_thread_num() * s->slot_floats;
		float *yb = y + (n * g.M + grp * g.Mg + m0) * OHW;
		struct aimet_conv2d v = s->g2;
		struct aimet_epilogue e = aimet_epilogue_clamp(c->act_lo, c->act_hi);
		v.C = mcnt;
		if (b) {
			e.kind = AIMET_EPI_ROW;
			e.add = b + grp * g.Mg;
		}
		if (!s->tiled)
			memset(yb, 0, (size_t)(mcnt * OHW) * sizeof(float));
		for (int64_t pi = 0; pi < panels; pi++) {
			int64_t p0 = pi * s->np, cnt = HW - p0 < s->np ? HW - p0 : s->np;
			struct aimet_gemm_grid one = { mcnt * g.k_sz, cnt, g.Cg, mcnt * g.k_sz, cnt, 1, 1 };
			/* col[(m,kh,kw), p] = sum_c W[c, m, kh, kw] * X[c, p] */
			aimet_sgemm_tile(&one, 0, 1, 0, 1.0f, w + grp * g.Cg * g.Mg * g.k_sz + m0 * g.k_sz,
			                 g.Mg * g.k_sz, x + (n * g.C + grp * g.Cg) * HW + p0, HW, col, cnt, NULL);
			if (s->tiled)  /* PP-OCR det's 2x2 stride 2: one store per output, no fill */
				aimet_col2im_panel_store(&v, col, p0, cnt, yb, b ? b + grp * g.Mg + m0 : NULL,
				                         c->act_lo, c->act_hi);
			else
				aimet_col2im_panel_add(&v, col, p0, cnt, yb);
		}
		if (!s->tiled)
			aimet_epilogue_apply(&e, yb, OHW, m0, mcnt, 0, OHW);
	}
	aimet_blas_end(saved);
}

const struct aimet_op aimet_op_ConvTranspose = {
	.op_type = "ConvTranspose",
	.domain = "",
	.infer = ct_infer,
	.prepare = ct_prepare,
	.run = ct_run,
	.ref = ct_ref,
	.free_state = ct_free_state,
	.fuse_clamp = 1,
};
