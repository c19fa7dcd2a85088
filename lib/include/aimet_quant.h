/* aimet_quant.h: quantization grids in AIMET's convention (FORMATS.md section 1) and AIMET
 * encodings files, versions 0.6.1, 1.0.0 and 2.0.0 (FORMATS.md section 3). */
#ifndef AIMET_QUANT_H
#define AIMET_QUANT_H

#include "aimet.h"

/* ---- grids ----
 * An integer encoding is (bw, scale > 0, integer offset <= 0, symmetric flag):
 *   q  = clamp(round(x / scale) - offset, 0, qmax)      x' = scale * (q + offset)
 * with qmax = 2^bw - 1, or 2^bw - 2 for strict symmetric (offset -(2^(bw-1) - 1)), whose grid
 * is [-absmax, absmax]. Rounding is half away from zero everywhere (AIMET's C round()).
 * A float encoding ("dtype": "float") has no grid: values are rounded to float16 (bw 16) or
 * left alone (bw 32). */

#define AIMET_MIN_RANGE 0.01      /* AIMET's smallest range for the min/max ("tf") scheme */
#define AIMET_BW_COMPUTE_MIN 4    /* bitwidths we compute encodings for (CLI --param-bw) */
#define AIMET_BW_COMPUTE_MAX 16
#define AIMET_BW_FILE_MIN 2       /* bitwidths accepted in files (AIMET's spec: 2 to 32) */
#define AIMET_BW_FILE_MAX 32

/* Flags for aimet_encoding_compute */
#define AIMET_GRID_SYMMETRIC 0x1     /* signed symmetric: offset -2^(bw-1), scale absmax/(2^(bw-1)-1) */
#define AIMET_GRID_STRICT 0x2        /* with SYMMETRIC: offset -(2^(bw-1)-1), grid [-absmax, absmax] */
#define AIMET_GRID_UNSIGNED 0x4      /* with SYMMETRIC: a range with min >= 0 gets offset 0 */
#define AIMET_GRID_NO_MIN_RANGE 0x8  /* skip the AIMET_MIN_RANGE widening (schemes that pick
                                        their own range, e.g. tf_enhanced's search) */

struct aimet_encoding {
	int bw;          /* bits */
	int is_float;    /* float encoding: only bw is meaningful (16 or 32) */
	int symmetric;   /* AIMET's is_sym */
	float scale;     /* float32: the value files and QDQ models carry is the grid */
	int64_t offset;  /* in [-(2^bw - 1), 0] */
	/* Derived from the fields above by aimet_encoding_derive (readers and compute call it): */
	int strict;      /* symmetric with offset -(2^(bw-1) - 1) */
	int64_t qmax;    /* highest integer level */
	float min, max;  /* grid ends: scale * offset and scale * (offset + qmax), in float32 */
};

/* Recompute strict, qmax, min and max from bw, symmetric, scale and offset. */
void aimet_encoding_derive(struct aimet_encoding *e);

/* Encoding for an observed range [min, max] (FORMATS.md section 1): the range is widened to
 * contain 0 and (unless AIMET_GRID_NO_MIN_RANGE) to at least AIMET_MIN_RANGE; bw 4..16.
 * Fails (AIMET_ERR_INVALID) on non-finite input, a bad bw or an empty range. */
int aimet_encoding_compute(struct aimet_ctx *ctx, double min, double max, int bw, unsigned flags,
                           struct aimet_encoding *out);
/* Build an encoding from a scale and offset (as read from a file), checking them: bw 2..32,
 * scale finite and > 0 as a float32, offset in [-(2^bw - 1), 0], and for symmetric encodings
 * offset one of -2^(bw-1), -(2^(bw-1) - 1) or 0. The message names no tensor (callers prefix). */
int aimet_encoding_set(struct aimet_ctx *ctx, int bw, int symmetric, double scale, int64_t offset,
                       struct aimet_encoding *out);
/* A float encoding; bw 16 or 32. */
int aimet_encoding_set_float(struct aimet_ctx *ctx, int bw, struct aimet_encoding *out);
/* Check an encoding built by hand (same rules as aimet_encoding_set, derived fields included). */
int aimet_encoding_check(struct aimet_ctx *ctx, const struct aimet_encoding *e);
/* 1 if two encodings are the same grid (bw, kind, symmetric, bitwise scale, offset). */
int aimet_encoding_equal(const struct aimet_encoding *a, const struct aimet_encoding *b);
/* "asym", "sym", "strict", "unsigned" (symmetric with offset 0) or "float". */
const char *aimet_encoding_mode(const struct aimet_encoding *e);

/* Quantize / dequantize in float32, the arithmetic of a float32 QDQ model (x / scale is a
 * float32 division, (q + offset) * scale a float32 product), so simulation and an exported
 * QDQ model agree bit for bit except on exact .5 ties: ONNX QuantizeLinear rounds half to
 * even, we round half away from zero like AIMET. Float encodings: aimet_qdq rounds to
 * float16; aimet_quantize/aimet_dequantize are not meaningful for them (they return 0 / q). */
int64_t aimet_quantize(const struct aimet_encoding *e, float x);
float aimet_dequantize(const struct aimet_encoding *e, int64_t q);
float aimet_qdq(const struct aimet_encoding *e, float x);
/* y = qdq(x) over n values; y may equal x. */
void aimet_qdq_array(const struct aimet_encoding *e, const float *x, float *y, size_t n);
/* Per-channel: x is [outer, n_ch, inner] row-major, channel c uses enc[c]; y may equal x. */
void aimet_qdq_channels(const struct aimet_encoding *enc, size_t n_ch, const float *x, float *y,
                        size_t outer, size_t inner);
/* Round a float to the nearest float16 value (half to even, overflow to infinity). */
float aimet_round_f16(float x);

/* ONNX QuantizeLinear mapping. Symmetric encodings use signed storage, asymmetric unsigned:
 * unsigned zero_point = -offset; signed zero_point = -offset - 2^(bw-1) (int8 offset -128 -> 0). */
int aimet_encoding_is_signed(const struct aimet_encoding *e);
int64_t aimet_encoding_zero_point(const struct aimet_encoding *e);
/* Offset from a zero point stored signed or unsigned in bw bits. */
int64_t aimet_offset_from_zero_point(int64_t zero_point, int bw, int is_signed);
/* ONNX element type for the encoding's storage (AIMET_UINT8, AIMET_INT4, ...), 0 if none. */
int aimet_encoding_onnx_dtype(const struct aimet_encoding *e);

/* ---- encodings files ---- */
enum aimet_enc_version {
	AIMET_ENC_V0_6_1 = 1,
	AIMET_ENC_V1_0_0 = 2,
	AIMET_ENC_V2_0_0 = 3
};
#define AIMET_ENC_DEFAULT_VERSION AIMET_ENC_V1_0_0
/* "0.6.1" -> AIMET_ENC_V0_6_1 ...; 0 if unknown. */
int aimet_enc_version_parse(const char *s);
const char *aimet_enc_version_name(int version);

/* Version 2.0.0 files keep activations and params in one list, so what an entry is can be
 * unknown until a model tells (aimet_encodings_resolve). */
enum aimet_enc_kind { AIMET_ENC_ACT = 0, AIMET_ENC_PARAM = 1, AIMET_ENC_UNKNOWN = 2 };

/* One named tensor's encoding: per-tensor (n == 1) or per-channel (n >= 1 channels). */
struct aimet_enc_entry {
	char *name;                 /* owned, non-empty, unique in the file */
	int kind;                   /* enum aimet_enc_kind */
	int per_channel;
	int axis;                   /* channel axis (2.0.0 files, or from a model); -1 unknown */
	size_t n;                   /* number of encodings: 1 for per-tensor */
	struct aimet_encoding *enc; /* owned, n entries; per-channel entries share bw/symmetric/kind */
};

struct aimet_encodings {
	int version;                /* version read from (or to be written by default) */
	struct aimet_enc_entry *entries; size_t n_entries, cap_entries;
	/* Top-level keys other than the encodings (quantizer_args, excluded_layers, ...), kept as
	 * compact JSON text of one object so that conversion loses nothing; NULL if none. */
	char *extra_json;
};

/* Always made by aimet_encodings_new (it carries a private name index beside it). */
struct aimet_encodings *aimet_encodings_new(void);        /* caller owns; NULL on OOM */
void aimet_encodings_free(struct aimet_encodings *e);      /* accepts NULL */
/* Append an entry (copies name and encodings). Per-tensor: n == 1 and per_channel 0. Fails on
 * a duplicate or empty name, an invalid encoding, or mixed bw/symmetric/float channels. */
int aimet_encodings_add(struct aimet_ctx *ctx, struct aimet_encodings *e, int kind,
                        const char *name, int per_channel, int axis,
                        const struct aimet_encoding *enc, size_t n);
/* Entry by name, or NULL. Borrowed. */
struct aimet_enc_entry *aimet_encodings_find(const struct aimet_encodings *e, const char *name);
/* Set quantizer_args (a JSON object as text; NULL removes). */
int aimet_encodings_set_quantizer_args(struct aimet_ctx *ctx, struct aimet_encodings *e,
                                       const char *json_text);

/* Read an encodings file of any version (detected from "version", or from the layout when it is
 * missing); `path` "-" reads stdin. Files over AIMET_ENC_MAX_FILE bytes are refused. Every
 * value is checked (see aimet_encoding_set; names non-empty and unique; per-channel lists
 * non-empty and consistent); messages read "cannot read 'PATH': 'tensor': what". */
#define AIMET_ENC_MAX_FILE ((size_t)256 << 20)
int aimet_encodings_read(struct aimet_ctx *ctx, const char *path, struct aimet_encodings **out);
/* Parse from memory; `name` is used in messages. */
int aimet_encodings_parse(struct aimet_ctx *ctx, const void *buf, size_t len, const char *name,
                          struct aimet_encodings **out);

/* Serialize to a malloc'd NUL-terminated string (*out owned by the caller). Scales, mins and
 * maxes are written in the shortest form that reads back as the same float32. version 0 means
 * AIMET_ENC_DEFAULT_VERSION. Version 2.0.0 needs an ONNX storage type for every encoding
 * (bitwidths 2, 4, 8, 16, 32); per-channel entries with an unknown axis are written with axis 0
 * (the output channel of Conv/Gemm weights; aimet_encodings_resolve fills the real axis).
 * Entries of unknown kind go to activation_encodings in 0.6.1 and 1.0.0. A one-channel
 * per-channel entry reads back from 0.6.1 as per-tensor (the format cannot tell them apart). */
int aimet_encodings_dump(struct aimet_ctx *ctx, const struct aimet_encodings *e, int version,
                         char **out);
/* Write to a file atomically ("-" = stdout). */
int aimet_encodings_write(struct aimet_ctx *ctx, const struct aimet_encodings *e, int version,
                          const char *path);
/* Write to an open stream. */
int aimet_encodings_fwrite(struct aimet_ctx *ctx, const struct aimet_encodings *e, int version,
                           FILE *fp);

/* ---- encodings against a model ---- */
/* Weight (initializer or Constant node output) named `name`, or NULL. Borrowed. */
const struct aimet_tensor *aimet_model_weight(const struct aimet_model *m, const char *name);
/* Output-channel axis of a weight from its consumer: 0 for Conv and Gemm with transB=1,
 * 1 for ConvTranspose, Gemm with transB=0 and 2-D MatMul weights (the last axis for MatMul);
 * 0 when no consumer says otherwise. -1 if `name` is not a weight. */
int aimet_weight_channel_axis(const struct aimet_model *m, const char *name);
/* Fill unknown kinds (weights become params, other tensors activations) and unknown
 * per-channel axes from the model. Names missing from the model are left as they are. */
int aimet_encodings_resolve(struct aimet_ctx *ctx, struct aimet_encodings *e,
                            const struct aimet_model *m);
/* Check the encodings against the model: every name is a tensor of the model, params are
 * weights, per-channel counts equal the weight's channel count along its axis, every
 * encoding is a valid grid. Returns AIMET_OK or the first problem (AIMET_ERR_INVALID). */
int aimet_encodings_validate(struct aimet_ctx *ctx, const struct aimet_encodings *e,
                             const struct aimet_model *m);

#endif
