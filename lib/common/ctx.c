/* ctx.c: the context — error messages, settings and interruption — and checked allocation.
 * The library never prints or exits: failures leave a message here and return a status. */
#include "aimet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct aimet_ctx *aimet_ctx_new(void)
{
	struct aimet_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx) {
		ctx->threads = 1;
		ctx->verbose = 1;
	}
	return ctx;
}

void aimet_ctx_free(struct aimet_ctx *ctx) { free(ctx); }

const char *aimet_errmsg(const struct aimet_ctx *ctx)
{
	return ctx && ctx->errmsg[0] ? ctx->errmsg : "unknown error";
}

int aimet_error(struct aimet_ctx *ctx, int status, const char *fmt, ...)
{
	if (ctx) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
		va_end(ap);
	}
	return status;
}

int aimet_error_prefix(struct aimet_ctx *ctx, int status, const char *fmt, ...)
{
	if (ctx) {
		char prefix[512], old[sizeof(ctx->errmsg)];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(prefix, sizeof(prefix), fmt, ap);
		va_end(ap);
		memcpy(old, ctx->errmsg, sizeof(old));
		snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%.500s: %.500s", prefix, old);
	}
	return status;
}

int aimet_check_interrupt(struct aimet_ctx *ctx)
{
	if (ctx && ctx->interrupted && *ctx->interrupted)
		return aimet_error(ctx, AIMET_ERR_INTERRUPTED, "interrupted");
	return AIMET_OK;
}

int aimet_mul_size(size_t a, size_t b, size_t *out)
{
	if (a && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int aimet_add_size(size_t a, size_t b, size_t *out)
{
	if (b > SIZE_MAX - a)
		return -1;
	*out = a + b;
	return 0;
}

void *aimet_malloc(size_t n) { return malloc(n ? n : 1); }

void *aimet_calloc(size_t count, size_t size)
{
	return calloc(count ? count : 1, size ? size : 1);
}

void *aimet_realloc_array(void *p, size_t count, size_t size)
{
	size_t n;
	if (aimet_mul_size(count, size, &n))
		return NULL;
	return realloc(p, n ? n : 1);
}

char *aimet_strdup(const char *s) { return s ? strdup(s) : NULL; }

char *aimet_strndup(const char *s, size_t n)
{
	char *r;
	if (!s || n == SIZE_MAX)
		return NULL;
	r = malloc(n + 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = 0;
	}
	return r;
}

int aimet_grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;
	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	p = aimet_realloc_array(*arr, ncap, size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}
