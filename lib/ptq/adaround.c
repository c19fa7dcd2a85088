/* adaround.c: AdaRound (FORMATS.md section 5) — per layer, learn whether each weight rounds up or
 * down by minimising the layer's output error against FP32, with GEMM-based forward/backward. */
#include "aimet_ptq.h"
#include "aimet_ir.h"
#include "aimet_exec.h"
#include "aimet_io.h"
#include "aimet_qsim.h"
#include "aimet_kernels.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ZETA 1.1f
#define GAMMA (-0.1f)
/* Samples per gradient chunk are fixed by the batch alone (never by the thread count): each
 * chunk accumulates its own partial gradient, and the partials are summed in chunk order, so
 * the result is bitwise identical for any -j. */
#define N_CHUNKS 8

enum { L_CONV = 0, L_GEMM };
enum { F_NONE = 0, F_CLAMP, F_SIGMOID, F_TANH };

struct lay {
	const struct aimet_node *node;
	const char *wname, *in, *out;
	int kind, f;
	float lo, hi;                 /* F_CLAMP bounds */
	/* conv: per group, Z[OCg, P] = W[OCg, Kg] col[Kg, P] */
	struct aimet_conv2d g;
	int64_t G, OC, OCg, Kg, P, Cg;
	/* gemm: Z[rows, N] = X[rows, K] op(W), op(W) = W^T when tb */
	int tb;
	int64_t K, N, R;              /* R rows per sample */
	int64_t xsz, ysz, npos;       /* floats per sample in and out; positions per sample */
	size_t nw;
	const float *w;               /* FP32 weight, borrowed */
	float *bias;                  /* owned, OC/N values, or NULL */
	/* grid: element i is in channel (i / inner) % n_ch */
	const struct aimet_encoding *enc;
	size_t n_ch, inner;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}



/* ---- the activation after a layer ---- */
static float act_f(int f, float z, float lo, float hi)
{
	switch (f) {
	case F_CLAMP: return z < lo ? lo : z > hi ? hi : z;
	case F_SIGMOID: return 1.0f / (1.0f + expf(-z));
	case F_TANH: return tanhf(z);
	default: return z;
	}
}
/* Derivative from the input z and the output o. */
static float act_df(int f, float z, float o, float lo, float hi)
{
	switch (f) {
	case F_CLAMP: return z > lo && z < hi ? 1.0f : 0.0f;
	case F_SIGMOID: return o * (1.0f - o);
	case F_TANH: return 1.0f - o * o;
	default: return 1.0f;
	}
}
static double act_fd(int f, double z, double lo, double hi)
{
	switch (f) {
	case F_CLAMP: return z < lo ? lo : z > hi ? hi : z;
	case F_SIGMOID: return 1.0 / (1.0 + exp(-z));
	case F_TANH: return tanh(z);
	default: return z;
	}
}

/* A scalar constant (initializer or Constant) named `name`, or NAN. */
static double const_scalar(const struct aimet_graph *g, const char *name)
{
	const struct aimet_tensor *t = aimet_graph_find_weight(g, name, NULL);
	if (!t || aimet_tensor_numel(t) != 1 || !t->data)
		return NAN;
	return aimet_tensor_get_f64(t, 0);
}

/* The activation reading the layer output alone (Relu, Clip, Sigmoid, Tanh), if any. */
static void find_act(const struct aimet_graph *g, struct lay *L)
{
	size_t idx;
	const struct aimet_node *c;
	L->f = F_NONE;
	if (aimet_graph_consumers(g, L->out, &idx, 1) != 1 || aimet_graph_is_output(g, L->out))
		return;
	c = g->nodes[idx];
	if ((c->domain && c->domain[0]) || c->n_inputs < 1 || strcmp(c->inputs[0], L->out))
		return;
	if (!strcmp(c->op_type, "Relu")) {
		L->f = F_CLAMP, L->lo = 0, L->hi = INFINITY;
	} else if (!strcmp(c->op_type, "Sigmoid")) {
		L->f = F_SIGMOID;
	} else if (!strcmp(c->op_type, "Tanh")) {
		L->f = F_TANH;
	} else if (!strcmp(c->op_type, "Clip")) {
		double lo = aimet_node_attr_float(c, "min", -INFINITY), hi = aimet_node_attr_float(c, "max", INFINITY);
		if (c->n_inputs > 1 && c->inputs[1][0] && isnan(lo = const_scalar(g, c->inputs[1])))
			return;
		if (c->n_inputs > 2 && c->inputs[2][0] && isnan(hi = const_scalar(g, c->inputs[2])))
			return;
		L->f = F_CLAMP, L->lo = (float)lo, L->hi = (float)hi;
	}
}

/* Candidate layer: 1 when n is one (wname/in/out set), 0 when not, or a skip reason. */
static int layer_candidate(const struct aimet_graph *g, const struct aimet_node *n, struct lay *L,
                           const char **why)
{
	const struct aimet_tensor *w;
	*why = NULL;
	memset(L, 0, sizeof(*L));
	if ((n->domain && n->domain[0]) || n->n_inputs < 2 || n->n_outputs < 1)
		return 0;
	if (!strcmp(n->op_type, "Conv"))
		L->kind = L_CONV;
	else if (!strcmp(n->op_type, "Gemm") || !strcmp(n->op_type, "MatMul"))
		L->kind = L_GEMM;
	else if (!strcmp(n->op_type, "ConvTranspose")) {
		*why = "ConvTranspose is not supported yet";
		return 0;
	} else
		return 0;
	if (!(w = aimet_graph_find_weight(g, n->inputs[1], NULL)))
		return 0;
	if (w->dtype != AIMET_FLOAT || !w->data || aimet_tensor_numel(w) <= 0) {
		*why = "weight is not a float constant";
		return 0;
	}
	if (aimet_graph_consumers(g, n->inputs[1], NULL, 0) != 1) {
		*why = "weight shared with other nodes";
		return 0;
	}
	L->node = n;
	L->wname = n->inputs[1];
	L->in = n->inputs[0];
	L->out = n->outputs[0];
	L->w = w->data;
	L->nw = (size_t)aimet_tensor_numel(w);
	return 1;
}

/* Geometry from the weight, the attributes and the run-time shapes of input x and output y
 * (with the batch axis first). 0, or a reason in *why. */
static int layer_geometry(const struct aimet_graph *g, struct lay *L, int xnd, const int64_t *xd,
                          int ynd, const int64_t *yd, const char **why)
{
	const struct aimet_node *n = L->node;
	const struct aimet_tensor *w = aimet_graph_find_weight(g, L->wname, NULL);
	const struct aimet_tensor *b = NULL;
	int64_t nb;
	*why = NULL;
	if (n->n_inputs > 2 && n->inputs[2][0] && !(b = aimet_graph_find_weight(g, n->inputs[2], NULL))) {
		*why = "bias is not a constant";
		return -1;
	}
	if (L->kind == L_CONV) {
		int nsp = w->ndim - 2;
		const int64_t *v;
		int64_t s[2] = {1, 1}, d[2] = {1, 1}, pb[2] = {0, 0}, k[2] = {1, 1}, H[2] = {1, 1}, O[2] = {1, 1};
		const char *ap = aimet_node_attr_str(n, "auto_pad", "NOTSET");
		int cnt;
		if (nsp < 1 || nsp > 2 || xnd != nsp + 2 || ynd != nsp + 2) {
			*why = "only 1-D and 2-D convolutions";
			return -1;
		}
		L->G = aimet_node_attr_int(n, "group", 1);
		L->OC = w->dims[0];
		L->Cg = w->dims[1];
		if (L->G < 1 || L->OC % L->G || xd[1] != L->Cg * L->G || yd[1] != L->OC) {
			*why = "weight shape does not fit the input";
			return -1;
		}
		for (int i = 0; i < nsp; i++) {
			int j = i + 2 - nsp;   /* 1-D convolutions use the W axis */
			k[j] = w->dims[2 + i];
			H[j] = xd[2 + i];
			O[j] = yd[2 + i];
		}
		if ((cnt = aimet_node_attr_ints(n, "strides", &v)) == nsp)
			for (int i = 0; i < nsp; i++)
				s[i + 2 - nsp] = v[i];
		if ((cnt = aimet_node_attr_ints(n, "dilations", &v)) == nsp)
			for (int i = 0; i < nsp; i++)
				d[i + 2 - nsp] = v[i];
		for (int j = 0; j < 2; j++) {
			int64_t total = (O[j] - 1) * s[j] + (k[j] - 1) * d[j] + 1 - H[j];
			if (total < 0)
				total = 0;
			if (!strcmp(ap, "SAME_UPPER"))
				pb[j] = total / 2;
			else if (!strcmp(ap, "SAME_LOWER"))
				pb[j] = total - total / 2;
		}
		if ((!strcmp(ap, "NOTSET") || !ap[0]) && (cnt = aimet_node_attr_ints(n, "pads", &v)) == 2 * nsp)
			for (int i = 0; i < nsp; i++)
				pb[i + 2 - nsp] = v[i];
		L->OCg = L->OC / L->G;
		L->g.C = L->Cg, L->g.H = H[0], L->g.W = H[1];
		L->g.KH = k[0], L->g.KW = k[1], L->g.SH = s[0], L->g.SW = s[1];
		L->g.DH = d[0], L->g.DW = d[1], L->g.PH = pb[0], L->g.PW = pb[1];
		L->g.OH = O[0], L->g.OW = O[1];
		L->Kg = L->Cg * k[0] * k[1];
		L->P = O[0] * O[1];
		L->xsz = xd[1] * H[0] * H[1];
		L->ysz = L->OC * L->P;
		L->npos = L->P;
		nb = L->OC;
	} else {
		int is_gemm = !strcmp(n->op_type, "Gemm");
		if (w->ndim != 2) {
			*why = "only 2-D weights";
			return -1;
		}
		if (is_gemm && (aimet_node_attr_int(n, "transA", 0) || aimet_node_attr_float(n, "alpha", 1) != 1 ||
		                aimet_node_attr_float(n, "beta", 1) != 1)) {
			*why = "Gemm with transA, alpha or beta";
			return -1;
		}
		L->tb = is_gemm && aimet_node_attr_int(n, "transB", 0);
		L->K = L->tb ? w->dims[1] : w->dims[0];
		L->N = L->tb ? w->dims[0] : w->dims[1];
		if (xnd < 2 || ynd != xnd || xd[xnd - 1] != L->K || yd[ynd - 1] != L->N || (is_gemm && xnd != 2)) {
			*why = "weight shape does not fit the input";
			return -1;
		}
		L->R = 1;
		for (int i = 1; i < xnd - 1; i++) {
			if (xd[i] != yd[i]) {
				*why = "broadcast MatMul";
				return -1;
			}
			L->R *= xd[i];
		}
		L->xsz = L->R * L->K;
		L->ysz = L->R * L->N;
		L->npos = L->R;
		nb = L->N;
		if (!is_gemm)
			b = NULL;
	}
	if (b) {
		int64_t nbias = aimet_tensor_numel(b);
		float *bv = aimet_tensor_to_float(b);
		if (!bv || (nbias != nb && nbias != 1)) {
			free(bv);
			*why = "bias is not per channel";
			return -1;
		}
		free(L->bias);
		if (!(L->bias = malloc((size_t)nb * sizeof(float)))) {
			free(bv);
			*why = "out of memory";
			return -1;
		}
		for (int64_t i = 0; i < nb; i++)
			L->bias[i] = bv[nbias == 1 ? 0 : i];
		free(bv);
	}
	return 0;
}

/* ---- forward and backward of one layer on a batch ---- */
struct work {
	int nc;                       /* chunks */
	float *col, *z, *part;        /* per chunk: col, output/gradient, partial dL/dW~ */
	size_t col_sz, z_sz;
	double loss[N_CHUNKS];
};

static int work_alloc(struct work *wk, const struct lay *L, int B)
{
	size_t per;
	memset(wk, 0, sizeof(*wk));
	wk->nc = B < N_CHUNKS ? B : N_CHUNKS;
	if (L->kind == L_CONV) {
		wk->col_sz = (size_t)(L->G * L->Kg * L->P);
		wk->z_sz = (size_t)(L->OC * L->P);
	} else {
		per = (size_t)((B + wk->nc - 1) / wk->nc);
		wk->z_sz = per * (size_t)(L->R * L->N);
	}
	wk->col = aimet_calloc((size_t)wk->nc * wk->col_sz + 1, sizeof(float));
	wk->z = aimet_calloc((size_t)wk->nc * wk->z_sz, sizeof(float));
	wk->part = aimet_calloc((size_t)wk->nc * L->nw, sizeof(float));
	return wk->col && wk->z && wk->part ? 0 : -1;
}

static void work_free(struct work *wk)
{
	free(wk->col);
	free(wk->z);
	free(wk->part);
}

/* One row of the output epilogue: bias, activation, squared error against t; with grad, z
 * becomes dL/dz (loss scaled by `inv`). Loops per activation kind so that they vectorise; the
 * float row sum has a fixed order for a given build, whatever the thread count. */
AIMET_KERNEL_CLONES
static double epi_row(int f, float lo, float hi, float *restrict z, const float *restrict t, int64_t n,
                      const float *restrict bcol, float brow, float inv, int grad)
{
	float s = 0, two = 2.0f * inv;
	switch (f) {
	case F_NONE:
		for (int64_t j = 0; j < n; j++) {
			float d = z[j] + (bcol ? bcol[j] : brow) - t[j];
			s += d * d;
			if (grad)
				z[j] = two * d;
		}
		break;
	case F_CLAMP:
		for (int64_t j = 0; j < n; j++) {
			float zz = z[j] + (bcol ? bcol[j] : brow);
			float o = zz < lo ? lo : zz > hi ? hi : zz, d = o - t[j];
			s += d * d;
			if (grad)
				z[j] = zz > lo && zz < hi ? two * d : 0.0f;
		}
		break;
	default:
		for (int64_t j = 0; j < n; j++) {
			float zz = z[j] + (bcol ? bcol[j] : brow);
			float o = act_f(f, zz, lo, hi), d = o - t[j];
			s += d * d;
			if (grad)
				z[j] = two * d * act_df(f, zz, o, lo, hi);
		}
	}
	return s;
}

/* Output epilogue over a [rows, cols] block: bias per row (conv) or per column (gemm). */
static double epilogue(const struct lay *L, float *z, const float *t, int64_t rows, int64_t cols,
                       int per_row, float inv, int grad)
{
	double loss = 0;
	for (int64_t r = 0; r < rows; r++)
		loss += epi_row(L->f, L->lo, L->hi, z + r * cols, t + r * cols, cols,
		                !per_row && L->bias ? L->bias : NULL, per_row && L->bias ? L->bias[r] : 0.0f,
		                inv, grad);
	return loss;
}

/* Reconstruction loss of B samples (xb, targets tb) with weights wt: the mean over samples and
 * positions of the squared error norm over channels (AIMET's recon loss). With gw, also
 * dLoss/dW~ into gw. */
static double layer_fb(const struct lay *L, struct work *wk, int B, const float *xb, const float *tb,
                       const float *wt, float *gw, int threads)
{
	float inv = 1.0f / (float)((double)B * (double)L->npos);
	int nc = wk->nc, saved;
	double loss = 0;
	saved = aimet_blas_begin();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1)
	for (int c = 0; c < nc; c++) {
		int n0 = (int)((int64_t)B * c / nc), n1 = (int)((int64_t)B * (c + 1) / nc);
		float *col = wk->col + (size_t)c * wk->col_sz, *z = wk->z + (size_t)c * wk->z_sz;
		float *part = wk->part + (size_t)c * L->nw;
		double ls = 0;
		if (L->kind == L_CONV) {
			int64_t OCg = L->OCg, Kg = L->Kg, P = L->P;
			for (int n = n0; n < n1; n++) {
				const float *x = xb + (size_t)n * L->xsz;
				for (int64_t gi = 0; gi < L->G; gi++)
					aimet_im2col_panel(&L->g, x + gi * L->Cg * L->g.H * L->g.W, 0, P, col + gi * Kg * P);
				for (int64_t gi = 0; gi < L->G; gi++)
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)OCg, (int)P, (int)Kg, 1.0f,
					            wt + gi * OCg * Kg, (int)Kg, col + gi * Kg * P, (int)P, 0.0f,
					            z + gi * OCg * P, (int)P);
				ls += epilogue(L, z, tb + (size_t)n * L->ysz, L->OC, P, 1, inv, gw != NULL);
				if (!gw)
					continue;
				for (int64_t gi = 0; gi < L->G; gi++)
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)OCg, (int)Kg, (int)P, 1.0f,
					            z + gi * OCg * P, (int)P, col + gi * Kg * P, (int)P, n == n0 ? 0.0f : 1.0f,
					            part + gi * OCg * Kg, (int)Kg);
			}
		} else if (n1 > n0) {
			int rows = (int)((n1 - n0) * L->R), K = (int)L->K, N = (int)L->N;
			const float *x = xb + (size_t)n0 * L->xsz;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, L->tb ? CblasTrans : CblasNoTrans, rows, N, K, 1.0f,
			            x, K, wt, L->tb ? K : N, 0.0f, z, N);
			ls = epilogue(L, z, tb + (size_t)n0 * L->ysz, rows, N, 0, inv, gw != NULL);
			if (gw) {
				if (L->tb)
					cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, rows, 1.0f, z, N, x, K,
					            0.0f, part, K);
				else
					cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, N, rows, 1.0f, x, K, z, N,
					            0.0f, part, N);
			}
		}
		wk->loss[c] = ls;
	}
	aimet_blas_end(saved);
	for (int c = 0; c < nc; c++)
		loss += wk->loss[c];
	if (gw) {
		size_t nw = L->nw;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && nw > 65536)
		for (size_t i = 0; i < nw; i++) {
			float s = wk->part[i];
			for (int c = 1; c < nc; c++)
				s += wk->part[(size_t)c * nw + i];
			gw[i] = s;
		}
	}
	return loss * (double)inv;
}

/* ---- soft rounding ---- */
static inline const struct aimet_encoding *enc_of(const struct lay *L, size_t i)
{
	return &L->enc[(i / L->inner) % L->n_ch];
}

static inline float h_of(float a, float *sig)
{
	float s = 1.0f / (1.0f + expf(-a)), h = s * (ZETA - GAMMA) + GAMMA;
	*sig = s;
	return h < 0 ? 0 : h > 1 ? 1 : h;
}

/* W~ from alpha. */
static void soft_weights(const struct lay *L, const float *alpha, const float *fl, float *wt, int threads)
{
	size_t nw = L->nw;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && nw > 65536)
	for (size_t i = 0; i < nw; i++) {
		const struct aimet_encoding *e = enc_of(L, i);
		float sig, q = fl[i] - (float)e->offset + h_of(alpha[i], &sig);
		q = q < 0 ? 0 : q > (float)e->qmax ? (float)e->qmax : q;
		wt[i] = e->scale * (q + (float)e->offset);
	}
}

/* dLoss/dalpha from dRecon/dW~ (gw) plus the regularizer lambda * sum(1 - |2h - 1|^beta)
 * (when reg). */
static void alpha_grad(const struct lay *L, const float *alpha, const float *fl, const float *gw,
                         int reg, double beta, double lambda, float *ga, int threads)
{
	size_t nw = L->nw;
	float fb = (float)beta, fl_ = (float)lambda;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && nw > 65536)
	for (size_t i = 0; i < nw; i++) {
		const struct aimet_encoding *e = enc_of(L, i);
		float sig, h = h_of(alpha[i], &sig);
		float q = fl[i] - (float)e->offset + h, g = 0;
		float hu = sig * (ZETA - GAMMA) + GAMMA;
		if (q >= 0 && q <= (float)e->qmax)
			g = gw[i] * e->scale;
		if (reg) {
			float r = 2 * h - 1, ar = fabsf(r);
			float p = powf(ar, fb - 1);
			g += fl_ * -fb * p * (r < 0 ? -1.0f : 1.0f) * 2.0f;
		}
		ga[i] = hu >= 0 && hu <= 1 ? g * (ZETA - GAMMA) * sig * (1 - sig) : 0;
	}
}

/* Alpha so that h equals the fractional part of W/scale; fl = floor(W/scale). */
static void init_alpha(const struct lay *L, float *alpha, float *fl)
{
	for (size_t i = 0; i < L->nw; i++) {
		const struct aimet_encoding *e = enc_of(L, i);
		float x = L->w[i] / e->scale, f = floorf(x), r = x - f;
		fl[i] = f;
		alpha[i] = -logf((ZETA - GAMMA) / (r - GAMMA) - 1.0f);
	}
}

/* ---- random numbers (splitmix64): fixed by the seed alone ---- */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static double rng_unif(uint64_t *s) { return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0); }

/* ---- activation cache: in memory within the budget, else a temporary file ---- */
struct cache {
	float *mem;
	FILE *fp;
	int64_t n;
	size_t row;                   /* floats per sample: x then target */
};

static void cache_free(struct cache *c)
{
	free(c->mem);
	if (c->fp)
		fclose(c->fp);
	memset(c, 0, sizeof(*c));
}

static int cache_put(struct cache *c, int64_t i, const float *x, size_t xsz, const float *t, size_t tsz)
{
	if (c->mem) {
		memcpy(c->mem + (size_t)i * c->row, x, xsz * sizeof(float));
		memcpy(c->mem + (size_t)i * c->row + xsz, t, tsz * sizeof(float));
		return 0;
	}
	if (pwrite(fileno(c->fp), x, xsz * sizeof(float), (off_t)((size_t)i * c->row * sizeof(float))) !=
	        (ssize_t)(xsz * sizeof(float)) ||
	    pwrite(fileno(c->fp), t, tsz * sizeof(float), (off_t)(((size_t)i * c->row + xsz) * sizeof(float))) !=
	        (ssize_t)(tsz * sizeof(float)))
		return -1;
	return 0;
}

static int cache_get(struct cache *c, int64_t i, float *x, size_t xsz, float *t, size_t tsz)
{
	if (c->mem) {
		memcpy(x, c->mem + (size_t)i * c->row, xsz * sizeof(float));
		memcpy(t, c->mem + (size_t)i * c->row + xsz, tsz * sizeof(float));
		return 0;
	}
	if (pread(fileno(c->fp), x, xsz * sizeof(float), (off_t)((size_t)i * c->row * sizeof(float))) !=
	        (ssize_t)(xsz * sizeof(float)) ||
	    pread(fileno(c->fp), t, tsz * sizeof(float), (off_t)(((size_t)i * c->row + xsz) * sizeof(float))) !=
	        (ssize_t)(tsz * sizeof(float)))
		return -1;
	return 0;
}

/* ---- the pass ---- */
struct pq {                       /* one param quantizer's encodings */
	const char *name;
	struct aimet_encoding *enc;
	size_t n_ch, inner;
	int per_channel, axis;
};

struct ada {
	struct aimet_ctx *ctx;
	struct aimet_model *m;
	struct aimet_ada_opts o;
	struct aimet_plan *fp, *qp;
	struct pq *pq; size_t n_pq;
	struct aimet_ada_report *rep;
};

/* One skipped layer into the report. */
static int add_skip(struct ada *a, const struct aimet_node *n, const char *reason)
{
	return aimet_skip_add(a->ctx, &a->rep->skips, &a->rep->n_skips, n, "%s", reason);
}

static struct pq *find_pq(struct ada *a, const char *name)
{
	for (size_t i = 0; i < a->n_pq; i++)
		if (!strcmp(a->pq[i].name, name))
			return &a->pq[i];
	return NULL;
}

/* Fill the cache with the layer's inputs (rounded or FP32 model) and activated FP32 targets
 * for the first n samples; sets the geometry from the first batch. 1 when the layer must be
 * skipped (reason in *why). */
static int collect(struct ada *a, struct aimet_dataset *ds, struct lay *L, struct cache *c, int64_t n,
                   const char **why)
{
	struct aimet_tensor *batch[AIMET_DATASET_MAX_INPUTS] = {0};
	struct aimet_tensor *x, *y;
	int64_t done = 0;
	int st;
	float *tbuf = NULL;
	aimet_dataset_rewind(ds);
	while (done < n && (st = aimet_dataset_next(a->ctx, ds, batch)) == 1) {
		int64_t nb;
		if ((st = aimet_plan_run_until(a->ctx, a->o.fp32_inputs ? a->fp : a->qp, batch, L->in, &x)))
			return st;
		if (!(x = aimet_tensor_clone(x)))
			return aimet_error(a->ctx, AIMET_ERR_NOMEM, "out of memory");
		if ((st = aimet_plan_run_until(a->ctx, a->fp, batch, L->out, &y))) {
			aimet_tensor_free(x);
			return st;
		}
		nb = x->ndim >= 1 ? x->dims[0] : 0;
		if (x->dtype != AIMET_FLOAT || y->dtype != AIMET_FLOAT || nb < 1 || y->ndim < 1 || y->dims[0] != nb) {
			aimet_tensor_free(x);
			*why = "input or output is not a float tensor with the batch axis first";
			return 1;
		}
		if (!done) {
			size_t bytes;
			if (layer_geometry(a->m->graph, L, x->ndim, x->dims, y->ndim, y->dims, why)) {
				aimet_tensor_free(x);
				return 1;
			}
			c->row = (size_t)(L->xsz + L->ysz);
			c->n = n;
			if (!(tbuf = malloc((size_t)L->ysz * sizeof(float)))) {
				aimet_tensor_free(x);
				return aimet_error(a->ctx, AIMET_ERR_NOMEM, "out of memory");
			}
			if (aimet_mul_size((size_t)n, c->row * sizeof(float), &bytes) || bytes > a->o.cache_bytes ||
			    !(c->mem = malloc(bytes))) {
				if (!(c->fp = tmpfile())) {
					aimet_tensor_free(x);
					free(tbuf);
					return aimet_error(a->ctx, AIMET_ERR_IO, "cannot create a temporary file for the activation cache");
				}
				a->rep->spilled = 1;
			}
		}
		if (aimet_tensor_numel(x) != nb * L->xsz || aimet_tensor_numel(y) != nb * L->ysz) {
			aimet_tensor_free(x);
			free(tbuf);
			*why = "shapes change between batches";
			return 1;
		}
		for (int64_t i = 0; i < nb && done < n; i++, done++) {
			const float *yv = (const float *)y->data + i * L->ysz;
			for (int64_t j = 0; j < L->ysz; j++)
				tbuf[j] = act_f(L->f, yv[j], L->lo, L->hi);
			if (cache_put(c, done, (const float *)x->data + i * L->xsz, (size_t)L->xsz, tbuf, (size_t)L->ysz)) {
				aimet_tensor_free(x);
				free(tbuf);
				return aimet_error(a->ctx, AIMET_ERR_IO, "cannot write the activation cache");
			}
		}
		aimet_tensor_free(x);
	}
	free(tbuf);
	if (st < 0)
		return st;
	if (done < n) {
		*why = "no data";
		return 1;
	}
	return 0;
}

/* Load samples idx[0..B) into xb/tb. */
static int load_batch(struct ada *a, struct cache *c, const struct lay *L, const int64_t *idx, int B,
                      float *xb, float *tb)
{
	for (int i = 0; i < B; i++)
		if (cache_get(c, idx[i], xb + (size_t)i * L->xsz, (size_t)L->xsz, tb + (size_t)i * L->ysz, (size_t)L->ysz))
			return aimet_error(a->ctx, AIMET_ERR_IO, "cannot read the activation cache");
	return 0;
}

/* Optimise one layer; the hard-rounded weight goes to *out (owned). */
static int optimise(struct ada *a, struct lay *L, struct cache *c, uint64_t seed, size_t li, size_t nl,
                    struct aimet_ada_layer *rec, float *wq)
{
	const struct aimet_ada_opts *o = &a->o;
	int B = (int64_t)o->batch < c->n ? o->batch : (int)c->n, threads = a->ctx->threads > 0 ? a->ctx->threads : 1;
	size_t nw = L->nw;
	float *alpha = malloc(nw * sizeof(float)), *fl = malloc(nw * sizeof(float));
	float *mo = calloc(nw, sizeof(float)), *ve = calloc(nw, sizeof(float));
	float *wt = malloc(nw * sizeof(float)), *gw = malloc(nw * sizeof(float)), *ga = malloc(nw * sizeof(float));
	float *xb = aimet_calloc((size_t)B, (size_t)L->xsz * sizeof(float));
	float *tb = aimet_calloc((size_t)B, (size_t)L->ysz * sizeof(float));
	int64_t *perm = aimet_calloc((size_t)c->n, sizeof(int64_t)), warm = (int64_t)(o->warm_start * (double)o->iterations);
	struct work wk;
	double b1 = 0.9, b2 = 0.999, b1t = 1, b2t = 1, t0 = now_s();
	int st = AIMET_OK;
	uint64_t rs = seed;
	/* a team synchronises once per step: worth it only for steps of tens of MFLOP */
	{
		double flops = 4.0 * B * (L->kind == L_CONV ? (double)(L->OC * L->Kg * L->P) : (double)(L->R * L->K * L->N));
		rec->gemm_flops = flops;
		double per = o->thread_min_flops > 0 ? o->thread_min_flops : 2e7;
		if ((double)threads * per > flops)
			threads = flops >= 2 * per ? (int)(flops / per) : 1;
	}
	if (work_alloc(&wk, L, B) || !alpha || !fl || !mo || !ve || !wt || !gw || !ga || !xb || !tb || !perm) {
		st = aimet_error(a->ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int64_t i = 0; i < c->n; i++)
		perm[i] = i;
	init_alpha(L, alpha, fl);
	for (int64_t it = 0; it < o->iterations; it++) {
		double loss, beta = o->beta_start;
		int reg = it >= warm;
		/* B distinct samples: a partial Fisher-Yates shuffle */
		for (int i = 0; i < B; i++) {
			int64_t j = i + (int64_t)(rng_unif(&rs) * (double)(c->n - i)), t;
			if (j >= c->n)
				j = c->n - 1;
			t = perm[i], perm[i] = perm[j], perm[j] = t;
		}
		if ((st = load_batch(a, c, L, perm, B, xb, tb)))
			goto out;
		if (reg) {
			double rel = (double)(it - warm) / ((double)o->iterations - (double)warm);
			beta = o->beta_end + 0.5 * (o->beta_start - o->beta_end) * (1 + cos(rel * M_PI));
		}
		soft_weights(L, alpha, fl, wt, threads);
		loss = layer_fb(L, &wk, B, xb, tb, wt, gw, threads);
		alpha_grad(L, alpha, fl, gw, reg, beta, o->reg_param, ga, threads);
		b1t *= b1, b2t *= b2;
		{
			float lr = (float)(o->lr * sqrt(1 - b2t) / (1 - b1t)), fb1 = (float)b1, fb2 = (float)b2;
			float eps = (float)(1e-8 * sqrt(1 - b2t));
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && nw > 65536)
			for (size_t i = 0; i < nw; i++) {
				mo[i] = fb1 * mo[i] + (1 - fb1) * ga[i];
				ve[i] = fb2 * ve[i] + (1 - fb2) * ga[i] * ga[i];
				alpha[i] -= lr * mo[i] / (sqrtf(ve[i]) + eps);
			}
		}
		if (it == 0)
			rec->loss_first = loss;
		rec->loss_last = loss;
		if (o->progress && it % 500 == 0)
			o->progress(o->user, li, nl, rec, it, o->iterations, loss);
		if ((it & 63) == 63 && (st = aimet_check_interrupt(a->ctx)))
			goto out;
	}
	/* hard rounding: h = (alpha >= 0) */
	for (size_t i = 0; i < nw; i++) {
		const struct aimet_encoding *e = enc_of(L, i);
		int64_t q = (int64_t)fl[i] - e->offset + (alpha[i] >= 0);
		q = q < 0 ? 0 : q > e->qmax ? e->qmax : q;
		wq[i] = aimet_dequantize(e, q);
		rec->n_up += alpha[i] >= 0;
		rec->n_flipped += q != aimet_quantize(e, L->w[i]);
	}
	rec->n_weights = nw;
	rec->iterations = o->iterations;
	rec->seconds = now_s() - t0;
out:
	work_free(&wk);
	free(alpha), free(fl), free(mo), free(ve), free(wt), free(gw), free(ga), free(xb), free(tb), free(perm);
	return st;
}

void aimet_ada_opts_init(struct aimet_ada_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->iterations = 10000;
	o->reg_param = 0.01;
	o->beta_start = 20;
	o->beta_end = 2;
	o->warm_start = 0.2;
	o->batch = 32;
	o->samples = 2000;
	o->cache_bytes = (size_t)512 << 20;
	o->lr = 1e-3;
}

static void fill_defaults(struct aimet_ada_opts *o)
{
	struct aimet_ada_opts d;
	aimet_ada_opts_init(&d);
	if (o->iterations <= 0) o->iterations = d.iterations;
	if (o->reg_param < 0) o->reg_param = d.reg_param;
	if (o->beta_start <= 0) o->beta_start = d.beta_start;
	if (o->beta_end <= 0) o->beta_end = d.beta_end;
	if (o->warm_start < 0 || o->warm_start >= 1) o->warm_start = d.warm_start;
	if (o->batch <= 0) o->batch = d.batch;
	if (o->samples <= 0) o->samples = d.samples;
	if (!o->cache_bytes) o->cache_bytes = d.cache_bytes;
	if (o->lr <= 0) o->lr = d.lr;
}

static int report_add(struct ada *a, const struct lay *L, struct aimet_ada_layer **rec)
{
	struct aimet_ada_report *r = a->rep;
	struct aimet_ada_layer *x = aimet_realloc_array(r->layers, r->n_layers + 1, sizeof(*x));
	if (!x)
		return aimet_error(a->ctx, AIMET_ERR_NOMEM, "out of memory");
	r->layers = x;
	x = &r->layers[r->n_layers++];
	memset(x, 0, sizeof(*x));
	x->name = aimet_strdup(aimet_node_label(L->node));
	x->weight = aimet_strdup(L->wname);
	*rec = x;
	if (!x->name || !x->weight)
		return aimet_error(a->ctx, AIMET_ERR_NOMEM, "out of memory");
	return AIMET_OK;
}

/* Param encodings as the simulator places them, computed from the (folded) weights. */
static int param_encodings(struct ada *a, struct aimet_qsim *sim, int scheme, double percentile)
{
	size_t nq = aimet_qsim_n_quantizers(sim);
	if (!(a->pq = aimet_calloc(nq + 1, sizeof(*a->pq))))
		return aimet_error(a->ctx, AIMET_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < nq; i++) {
		struct aimet_quantizer *q = aimet_qsim_quantizer(sim, i);
		const struct aimet_tensor *w;
		struct aimet_observer *obs;
		struct pq *p = &a->pq[a->n_pq];
		size_t outer = 1, inner = 1;
		int st;
		if (q->kind != AIMET_ENC_PARAM || !(w = aimet_graph_find_weight(a->m->graph, q->name, NULL)) ||
		    w->dtype != AIMET_FLOAT || !w->data)
			continue;
		if (q->per_channel) {
			for (int d = 0; d < w->ndim; d++) {
				if (d < q->axis)
					outer *= (size_t)w->dims[d];
				else if (d > q->axis)
					inner *= (size_t)w->dims[d];
			}
		} else {
			inner = (size_t)aimet_tensor_numel(w);
		}
		p->name = q->name;
		p->n_ch = q->n_ch;
		p->inner = inner;
		p->per_channel = q->per_channel;
		p->axis = q->axis;
		obs = aimet_observer_new(scheme, q->n_ch);
		p->enc = aimet_calloc(q->n_ch, sizeof(*p->enc));
		a->n_pq++;
		if (!obs || !p->enc) {
			aimet_observer_free(obs);
			return aimet_error(a->ctx, AIMET_ERR_NOMEM, "out of memory");
		}
		aimet_observer_update(obs, w->data, outer, inner);
		st = aimet_observer_encodings(a->ctx, obs, q->bw, q->flags, percentile, p->enc);
		aimet_observer_free(obs);
		if (st)
			return aimet_error_prefix(a->ctx, st, "'%s'", q->name);
	}
	return AIMET_OK;
}

/* The param quantized as round-to-nearest (the simulator's weights), owned. */
static struct aimet_tensor *rtn_weight(const struct pq *p, const struct aimet_tensor *w)
{
	struct aimet_tensor *wq = aimet_tensor_clone(w);
	size_t numel;
	if (!wq)
		return NULL;
	numel = (size_t)aimet_tensor_numel(w);
	if (p->per_channel)
		aimet_qdq_channels(p->enc, p->n_ch, w->data, wq->data, numel / (p->n_ch * p->inner), p->inner);
	else
		aimet_qdq_array(p->enc, w->data, wq->data, numel);
	return wq;
}

int aimet_adaround(struct aimet_ctx *ctx, struct aimet_model *m,
                   const struct aimet_qsim_opts *qopts, struct aimet_dataset *ds,
                   const struct aimet_ada_opts *opts, struct aimet_encodings **enc_out,
                   struct aimet_ada_report **report)
{
	struct ada a;
	struct aimet_qsim_opts qo;
	struct aimet_qsim *sim = NULL;
	struct aimet_model *copy = NULL;
	struct aimet_plan_opts po;
	struct lay *layers = NULL;
	struct aimet_tensor **rounded = NULL;
	const char **keep = NULL;
	size_t n_l = 0, n_keep = 0;
	int64_t n_samples;
	int st;
	double t_start = now_s();

	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.m = m;
	if (opts)
		a.o = *opts;
	else
		aimet_ada_opts_init(&a.o);
	fill_defaults(&a.o);
	if (qopts)
		qo = *qopts;
	else {
		aimet_qsim_opts_init(&qo);
		qo.param_bw = 4;
	}
	if (enc_out)
		*enc_out = NULL;
	if (report)
		*report = NULL;
	if (!m->graph)
		return aimet_error(ctx, AIMET_ERR_INVALID, "model has no graph");
	if (!ds)
		return aimet_error(ctx, AIMET_ERR_INVALID, "adaround needs data");
	n_samples = aimet_dataset_count(ds);
	if (n_samples > a.o.samples)
		n_samples = a.o.samples;
	if (n_samples < 1)
		return aimet_error(ctx, AIMET_ERR_INVALID, "no calibration data");
	if (!(a.rep = calloc(1, sizeof(*a.rep))))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	/* AIMET computes the param encodings from the folded weights, before any rounding */
	if ((st = aimet_fold_batchnorms(ctx, m, NULL)) || (st = aimet_graph_toposort(ctx, m->graph)))
		goto out;
	for (int i = 0; i < a.o.n_layers; i++) {
		size_t k;
		for (k = 0; k < m->graph->n_nodes; k++)
			if (aimet_layer_in_list(m->graph->nodes[k], a.o.layers + i, 1))
				break;
		if (k == m->graph->n_nodes) {
			st = aimet_error(ctx, AIMET_ERR_INVALID, "layer '%s' not found", a.o.layers[i]);
			goto out;
		}
	}
	if (!(copy = aimet_model_clone(m))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	qo.no_fold_bn = 0;
	st = aimet_qsim_new(ctx, copy, &qo, &sim);
	copy = NULL;
	if (st || (st = param_encodings(&a, sim, qo.scheme, qo.percentile)))
		goto out;
	/* the layers */
	if (!(layers = aimet_calloc(m->graph->n_nodes + 1, sizeof(*layers))) ||
	    !(rounded = aimet_calloc(m->graph->n_nodes + 1, sizeof(*rounded))) ||
	    !(keep = aimet_calloc(2 * m->graph->n_nodes + 1, sizeof(*keep)))) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < m->graph->n_nodes; i++) {
		const struct aimet_node *n = m->graph->nodes[i];
		struct lay *L = &layers[n_l];
		const char *why;
		struct pq *p;
		int r;
		if ((a.o.layers && !aimet_layer_in_list(n, a.o.layers, a.o.n_layers)) ||
		    aimet_layer_in_list(n, a.o.skip_layers, a.o.n_skip))
			continue;
		r = layer_candidate(m->graph, n, L, &why);
		if (!r) {
			if (why && (st = add_skip(&a, n, why)))
				goto out;
			continue;
		}
		if (!(p = find_pq(&a, L->wname))) {
			if ((st = add_skip(&a, n, "weight is not quantized")))
				goto out;
			continue;
		}
		L->enc = p->enc;
		L->n_ch = p->n_ch;
		L->inner = p->inner;
		find_act(m->graph, L);
		keep[n_keep++] = L->in;
		keep[n_keep++] = L->out;
		n_l++;
	}
	memset(&po, 0, sizeof(po));
	po.keep = keep;
	po.n_keep = (int)n_keep;
	po.use_ref = qo.use_ref;
	if ((st = aimet_plan_new(ctx, m, &po, &a.fp)) || (st = aimet_plan_new(ctx, m, &po, &a.qp)))
		goto out;
	/* the rounded model starts as the simulator's: every param round-to-nearest */
	for (size_t i = 0; i < a.n_pq; i++) {
		const struct aimet_tensor *w = aimet_graph_find_weight(m->graph, a.pq[i].name, NULL);
		struct aimet_tensor *wq = rtn_weight(&a.pq[i], w);
		if (!wq) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		st = aimet_plan_set_weight(ctx, a.qp, a.pq[i].name, wq);
		aimet_tensor_free(wq);
		if (st)
			goto out;
	}
	for (size_t i = 0; i < n_l; i++) {
		struct lay *L = &layers[i];
		struct cache c;
		struct aimet_ada_layer *rec = NULL;
		const struct aimet_tensor *w = aimet_graph_find_weight(m->graph, L->wname, NULL);
		const char *why = NULL;
		uint64_t seed = a.o.seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(i + 1));
		memset(&c, 0, sizeof(c));
		if ((st = collect(&a, ds, L, &c, n_samples, &why)) < 0) {
			cache_free(&c);
			goto out;
		}
		if (st == 1) {
			cache_free(&c);
			if ((st = add_skip(&a, L->node, why)))
				goto out;
			continue;
		}
		if ((st = report_add(&a, L, &rec)) || !(rounded[i] = aimet_tensor_clone(w))) {
			cache_free(&c);
			st = st ? st : aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		st = optimise(&a, L, &c, seed, i, n_l, rec, rounded[i]->data);
		cache_free(&c);
		if (st || (st = aimet_plan_set_weight(ctx, a.qp, L->wname, rounded[i])))
			goto out;
		if (a.o.progress)
			a.o.progress(a.o.user, i, n_l, rec, rec->iterations, rec->iterations, rec->loss_last);
	}
	/* the plans read the model's weights in place: write the rounded ones only now */
	aimet_plan_free(a.fp);
	aimet_plan_free(a.qp);
	a.fp = a.qp = NULL;
	for (size_t i = 0; i < n_l; i++) {
		if (!rounded[i])
			continue;
		st = aimet_graph_replace_weight(ctx, m->graph, layers[i].wname, rounded[i]);
		rounded[i] = NULL;
		if (st)
			goto out;
	}
	if (enc_out) {
		struct aimet_encodings *e = aimet_encodings_new();
		if (!e) {
			st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < a.n_pq && !st; i++)
			st = aimet_encodings_add(ctx, e, AIMET_ENC_PARAM, a.pq[i].name, a.pq[i].per_channel,
			                         a.pq[i].per_channel ? a.pq[i].axis : -1, a.pq[i].enc, a.pq[i].n_ch);
		/* through the simulator for the quantizer_args it writes */
		if (!st && !(st = aimet_qsim_freeze_params(ctx, sim, e))) {
			aimet_encodings_free(e);
			e = NULL;
			st = aimet_qsim_encodings(ctx, sim, &e);
		}
		if (st) {
			aimet_encodings_free(e);
			goto out;
		}
		*enc_out = e;
	}
	a.rep->seconds = now_s() - t_start;
out:
	aimet_plan_free(a.fp);
	aimet_plan_free(a.qp);
	aimet_qsim_free(sim);
	aimet_model_free(copy);
	free(keep);
	if (layers)
		for (size_t i = 0; i < m->graph->n_nodes; i++) {
			free(layers[i].bias);
			aimet_tensor_free(rounded ? rounded[i] : NULL);
		}
	free(layers);
	free(rounded);
	for (size_t i = 0; i < a.n_pq; i++)
		free(a.pq[i].enc);
	free(a.pq);
	if (st == AIMET_ERR_NOMEM && !aimet_errmsg(ctx)[0])
		aimet_error(ctx, st, "out of memory");
	if (!st && report)
		*report = a.rep;
	else
		aimet_ada_report_free(a.rep);
	return st;
}

void aimet_ada_report_free(struct aimet_ada_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_layers; i++) {
		free(r->layers[i].name);
		free(r->layers[i].weight);
	}
	aimet_skips_free(r->skips, r->n_skips);
	free(r->layers);
	free(r);
}

/* ---- self-check for the tests ---- */
/* The loss in double from scratch: plain loops, no GEMM. */
static double ref_loss(const struct lay *L, int B, const float *xb, const float *tb, const double *alpha,
                       const float *fl, int with_reg, double beta, double lambda)
{
	double *wd = malloc(L->nw * sizeof(double)), loss = 0, reg = 0;
	if (!wd)
		return NAN;
	for (size_t i = 0; i < L->nw; i++) {
		const struct aimet_encoding *e = enc_of(L, i);
		double s = 1 / (1 + exp(-alpha[i])), h = s * (ZETA - GAMMA) + GAMMA, q;
		h = h < 0 ? 0 : h > 1 ? 1 : h;
		q = fl[i] - (double)e->offset + h;
		q = q < 0 ? 0 : q > (double)e->qmax ? (double)e->qmax : q;
		wd[i] = e->scale * (q + (double)e->offset);
		reg += 1 - pow(fabs(2 * h - 1), beta);
	}
	for (int n = 0; n < B; n++) {
		const float *x = xb + (size_t)n * L->xsz, *t = tb + (size_t)n * L->ysz;
		if (L->kind == L_CONV) {
			const struct aimet_conv2d *g = &L->g;
			for (int64_t oc = 0; oc < L->OC; oc++)
				for (int64_t oh = 0; oh < g->OH; oh++)
					for (int64_t ow = 0; ow < g->OW; ow++) {
						int64_t gi = oc / L->OCg;
						double z = L->bias ? L->bias[oc] : 0, d;
						for (int64_t ci = 0; ci < L->Cg; ci++)
							for (int64_t kh = 0; kh < g->KH; kh++)
								for (int64_t kw = 0; kw < g->KW; kw++) {
									int64_t ih = oh * g->SH - g->PH + kh * g->DH, iw = ow * g->SW - g->PW + kw * g->DW;
									if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W)
										continue;
									z += wd[((oc * L->Cg + ci) * g->KH + kh) * g->KW + kw] *
									     x[((gi * L->Cg + ci) * g->H + ih) * g->W + iw];
								}
						d = act_fd(L->f, z, L->lo, L->hi) - t[(oc * g->OH + oh) * g->OW + ow];
						loss += d * d;
					}
		} else {
			for (int64_t r = 0; r < L->R; r++)
				for (int64_t j = 0; j < L->N; j++) {
					double z = L->bias ? L->bias[j] : 0, d;
					for (int64_t k = 0; k < L->K; k++)
						z += x[r * L->K + k] * (L->tb ? wd[j * L->K + k] : wd[k * L->N + j]);
					d = act_fd(L->f, z, L->lo, L->hi) - t[r * L->N + j];
					loss += d * d;
				}
		}
	}
	free(wd);
	loss /= (double)B * (double)L->npos;
	return loss + (with_reg ? lambda * reg : 0);
}

int aimet_ada_gradcheck(struct aimet_ctx *ctx, const struct aimet_model *m, const char *layer,
                        int bw, double beta, double reg, uint64_t seed, int n_check,
                        double *max_err, double *fwd_err)
{
	struct aimet_value_shape *vs = NULL;
	size_t nvs = 0;
	const struct aimet_value_shape *xs = NULL, *ys = NULL;
	const struct aimet_node *node = NULL;
	struct lay L;
	struct aimet_encoding enc;
	struct work wk;
	const char *why;
	float *xb = NULL, *tb = NULL, *alpha = NULL, *fl = NULL, *wt = NULL, *gw = NULL, *ga = NULL;
	double *ad = NULL, wmin = 0, wmax = 0, gmax = 0, *gfd = NULL;
	int B, st = AIMET_OK;
	uint64_t rs = seed;
	memset(&L, 0, sizeof(L));
	memset(&wk, 0, sizeof(wk));
	for (size_t i = 0; i < m->graph->n_nodes; i++)
		if (aimet_layer_in_list(m->graph->nodes[i], &layer, 1))
			node = m->graph->nodes[i];
	if (!node || !layer_candidate(m->graph, node, &L, &why))
		return aimet_error(ctx, AIMET_ERR_INVALID, "layer '%s' is not an adaround layer", layer);
	if ((st = aimet_graph_infer_shapes(ctx, m, NULL, &vs, &nvs)))
		return st;
	for (size_t i = 0; i < nvs; i++) {
		if (!strcmp(vs[i].name, L.in))
			xs = &vs[i];
		if (!strcmp(vs[i].name, L.out))
			ys = &vs[i];
	}
	if (!xs || !ys || layer_geometry(m->graph, &L, xs->ndim, xs->dims, ys->ndim, ys->dims, &why)) {
		free(vs);
		free(L.bias);
		return aimet_error(ctx, AIMET_ERR_INVALID, "layer '%s': no geometry", layer);
	}
	B = (int)xs->dims[0];
	free(vs);
	find_act(m->graph, &L);
	for (size_t i = 0; i < L.nw; i++) {
		wmin = fmin(wmin, L.w[i]);
		wmax = fmax(wmax, L.w[i]);
	}
	if ((st = aimet_encoding_compute(ctx, wmin, wmax, bw, 0, &enc)))
		goto out;
	L.enc = &enc, L.n_ch = 1, L.inner = L.nw;
	xb = malloc((size_t)B * (size_t)L.xsz * sizeof(float));
	tb = malloc((size_t)B * (size_t)L.ysz * sizeof(float));
	alpha = malloc(L.nw * sizeof(float)), fl = malloc(L.nw * sizeof(float)), wt = malloc(L.nw * sizeof(float));
	gw = malloc(L.nw * sizeof(float)), ga = malloc(L.nw * sizeof(float)), ad = malloc(L.nw * sizeof(double));
	gfd = calloc((size_t)n_check + 1, sizeof(double));
	if (!xb || !tb || !alpha || !fl || !wt || !gw || !ga || !ad || !gfd || work_alloc(&wk, &L, B)) {
		st = aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < (size_t)B * (size_t)L.xsz; i++)
		xb[i] = (float)(2 * rng_unif(&rs) - 1);
	init_alpha(&L, alpha, fl);
	/* random targets and soft-rounding variables (h stays inside (0, 1): no kinks) */
	for (int n = 0; n < B; n++)
		for (int64_t j = 0; j < L.ysz; j++)
			tb[(size_t)n * L.ysz + j] = (float)(0.1 * (2 * rng_unif(&rs) - 1));
	for (size_t i = 0; i < L.nw; i++) {
		alpha[i] = (float)(4 * rng_unif(&rs) - 2);
		ad[i] = alpha[i];
	}
	soft_weights(&L, alpha, fl, wt, 1);
	{
		double lf = layer_fb(&L, &wk, B, xb, tb, wt, gw, 1);
		double lr = ref_loss(&L, B, xb, tb, ad, fl, 0, beta, reg);
		*fwd_err = fabs(lf - lr) / fmax(fabs(lr), 1e-30);
	}
	alpha_grad(&L, alpha, fl, gw, reg > 0, beta, reg, ga, 1);
	*max_err = 0;
	if (n_check > (int)L.nw)
		n_check = (int)L.nw;
	for (int k = 0; k < n_check; k++) {
		size_t i = (size_t)((double)k * (double)L.nw / n_check);
		double eps = 1e-4, save = ad[i], lp, lm;
		ad[i] = save + eps;
		lp = ref_loss(&L, B, xb, tb, ad, fl, reg > 0, beta, reg);
		ad[i] = save - eps;
		lm = ref_loss(&L, B, xb, tb, ad, fl, reg > 0, beta, reg);
		ad[i] = save;
		gfd[k] = (lp - lm) / (2 * eps);
		gmax = fmax(gmax, fabs(gfd[k]));
	}
	for (int k = 0; k < n_check; k++) {
		size_t i = (size_t)((double)k * (double)L.nw / n_check);
		double e = fabs(ga[i] - gfd[k]) / (fmax(fabs(gfd[k]), fabs(ga[i])) + 1e-3 * gmax + 1e-12);
		*max_err = fmax(*max_err, e);
	}
out:
	work_free(&wk);
	free(L.bias);
	free(xb), free(tb), free(alpha), free(fl), free(wt), free(gw), free(ga), free(ad), free(gfd);
	return st;
}
