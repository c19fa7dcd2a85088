/* copy.c: the strided-view copy behind Transpose, Slice, Expand and Tile. The view is first
 * simplified (unit dims dropped, dims that are contiguous in the source merged) so that most
 * real cases become long memcpy rows or a batch of 2-D tile transposes. */
#include "aimet_kernels.h"
#include "aimet_ops.h"

#include <string.h>

/* Work below this many bytes stays on one thread: spawning costs more than it saves. */
#define COPY_GRAIN_BYTES (64 * 1024)
#define TILE 32

struct view {
	int ndim;
	int64_t dims[AIMET_COPY_MAX_DIMS];
	int64_t ss[AIMET_COPY_MAX_DIMS];   /* source strides, elements */
	int64_t ds[AIMET_COPY_MAX_DIMS];   /* destination strides (contiguous) */
	size_t es;
	char *dst;
	const char *src;
	int k;                             /* tiled path: the dim with source stride 1 */
	int64_t ntile_k;
};

static inline void copy_elem(char *d, const char *s, size_t es)
{
	switch (es) {
	case 1: *d = *s; break;
	case 2: memcpy(d, s, 2); break;
	case 4: memcpy(d, s, 4); break;
	case 8: memcpy(d, s, 8); break;
	default: memcpy(d, s, es); break;
	}
}

void aimet_fill_elems(void *dst, const void *val, size_t es, int64_t n)
{
	char *d = dst;
	int64_t done;
	if (n <= 0)
		return;
	if (es == 1) {
		memset(d, *(const unsigned char *)val, (size_t)n);
		return;
	}
	if (es == 4) {
		uint32_t v, *p = dst;
		memcpy(&v, val, 4);
		for (int64_t i = 0; i < n; i++)
			p[i] = v;
		return;
	}
	/* doubling memcpy: log(n) calls for any element size */
	memcpy(d, val, es);
	for (done = 1; done < n; done *= 2) {
		int64_t m = done < n - done ? done : n - done;
		memcpy(d + (size_t)done * es, d, (size_t)m * es);
	}
}

/* A row of `n` elements with source stride `st` into contiguous d. */
static void copy_row(char *d, const char *s, int64_t n, int64_t st, size_t es)
{
	if (st == 1) {
		memcpy(d, s, (size_t)n * es);
	} else if (st == 0) {
		aimet_fill_elems(d, s, es, n);
	} else if (es == 4) {
		uint32_t *o = (uint32_t *)d;
		for (int64_t i = 0; i < n; i++)
			memcpy(&o[i], s + i * st * 4, 4);
	} else if (es == 8) {
		uint64_t *o = (uint64_t *)d;
		for (int64_t i = 0; i < n; i++)
			memcpy(&o[i], s + i * st * 8, 8);
	} else {
		for (int64_t i = 0; i < n; i++)
			copy_elem(d + (size_t)i * es, s + i * st * (int64_t)es, es);
	}
}

/* Rows [b, e) of the view: every dim but the last is walked as an odometer. */
static void rows_fn(void *arg, int64_t b, int64_t e)
{
	const struct view *v = arg;
	int nd = v->ndim, last = nd - 1;
	int64_t idx[AIMET_COPY_MAX_DIMS], soff = 0, n = v->dims[last];
	int64_t r = b;
	for (int i = last - 1; i >= 0; i--) {
		idx[i] = r % v->dims[i];
		r /= v->dims[i];
		soff += idx[i] * v->ss[i];
	}
	for (int64_t row = b; row < e; row++) {
		copy_row(v->dst + (size_t)(row * n) * v->es, v->src + soff * (int64_t)v->es, n,
		         v->ss[last], v->es);
		for (int i = last - 1; i >= 0; i--) {
			if (++idx[i] < v->dims[i]) {
				soff += v->ss[i];
				break;
			}
			idx[i] = 0;
			soff -= v->ss[i] * (v->dims[i] - 1);
		}
	}
}

#define TILE_LOOP(T)                                                                          \
	do {                                                                                  \
		const T *sp = (const T *)(const void *)s;                                     \
		T *dp = (T *)(void *)d;                                                       \
		for (int64_t a = a0; a < a1; a++)                                             \
			for (int64_t bb = b0; bb < b1; bb++)                                  \
				memcpy(&dp[a * dsk + bb], &sp[a + bb * ssl], sizeof(T));     \
	} while (0)

/* Units [b, e): unit = (outer position, tile row along dim k); each writes disjoint rows. */
static void tiles_fn(void *arg, int64_t b, int64_t e)
{
	const struct view *v = arg;
	int nd = v->ndim, last = nd - 1, k = v->k;
	int64_t nk = v->dims[k], nl = v->dims[last];
	int64_t dsk = v->ds[k], ssl = v->ss[last];
	for (int64_t u = b; u < e; u++) {
		int64_t outer = u / v->ntile_k, t = u % v->ntile_k, r = outer;
		int64_t soff = 0, doff = 0;
		for (int i = last - 1; i >= 0; i--) {
			int64_t c;
			if (i == k)
				continue;
			c = r % v->dims[i];
			r /= v->dims[i];
			soff += c * v->ss[i];
			doff += c * v->ds[i];
		}
		int64_t a0 = t * TILE, a1 = a0 + TILE < nk ? a0 + TILE : nk;
		const char *s = v->src + soff * (int64_t)v->es;
		char *d = v->dst + doff * (int64_t)v->es;
		for (int64_t b0 = 0; b0 < nl; b0 += TILE) {
			int64_t b1 = b0 + TILE < nl ? b0 + TILE : nl;
			switch (v->es) {
			case 1: TILE_LOOP(uint8_t); break;
			case 2: TILE_LOOP(uint16_t); break;
			case 4: TILE_LOOP(uint32_t); break;
			case 8: TILE_LOOP(uint64_t); break;
			default:
				for (int64_t a = a0; a < a1; a++)
					for (int64_t bb = b0; bb < b1; bb++)
						memcpy(d + (size_t)(a * dsk + bb) * v->es,
						       s + (a + bb * ssl) * (int64_t)v->es, v->es);
			}
		}
	}
}

void aimet_copy_strided(void *dst, const void *src, size_t es, int ndim,
                        const int64_t *dims, const int64_t *strides, int threads)
{
	struct view v;
	int n = 0;
	int64_t numel = 1, rows;

	for (int i = 0; i < ndim; i++) {
		if (dims[i] == 0)
			return;
		numel *= dims[i];
	}
	for (int i = 0; i < ndim; i++) {
		if (dims[i] == 1)
			continue;
		if (n > 0 && v.ss[n - 1] == strides[i] * dims[i]) {
			v.dims[n - 1] *= dims[i];
			v.ss[n - 1] = strides[i];
			continue;
		}
		v.dims[n] = dims[i];
		v.ss[n] = strides[i];
		n++;
	}
	if (n == 0) {
		memcpy(dst, src, es);
		return;
	}
	v.ndim = n;
	v.es = es;
	v.dst = dst;
	v.src = src;
	v.ds[n - 1] = 1;
	for (int i = n - 2; i >= 0; i--)
		v.ds[i] = v.ds[i + 1] * v.dims[i + 1];

	/* transpose-like: the innermost destination dim is strided in the source while another
	 * dim is contiguous there; copy TILE x TILE blocks so both sides stay in cache */
	v.k = -1;
	if (v.ss[n - 1] != 1 && v.ss[n - 1] != 0 && v.dims[n - 1] >= 4) {
		for (int i = n - 2; i >= 0; i--)
			if (v.ss[i] == 1 && v.dims[i] >= 4) {
				v.k = i;
				break;
			}
	}
	if (v.k >= 0) {
		int64_t units;
		v.ntile_k = (v.dims[v.k] + TILE - 1) / TILE;
		units = numel / v.dims[v.k] / v.dims[n - 1] * v.ntile_k;
		aimet_parallel_range(threads, units,
		                     1 + COPY_GRAIN_BYTES / (int64_t)(TILE * v.dims[n - 1] * es), tiles_fn, &v);
		return;
	}
	rows = numel / v.dims[n - 1];
	aimet_parallel_range(threads, rows, 1 + COPY_GRAIN_BYTES / (int64_t)(v.dims[n - 1] * es),
	                     rows_fn, &v);
}
