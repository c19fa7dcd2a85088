/* aimet_io.h: tensor data I/O — .npy files (whole or streamed by rows), datasets of model
 * inputs read in batches with the CLI.md preprocessing, and label files. */
#ifndef AIMET_IO_H
#define AIMET_IO_H

#include "aimet.h"

/* ---- .npy ----
 * dtypes: float16/32/64, int8/16/32/64, uint8/16/32/64, bool; any byte order (converted to the
 * host's); header versions 1.0, 2.0 and 3.0; C order only. Untrusted files fail with a status
 * and a message "cannot read 'PATH': ..." — never an allocation larger than the file. */

/* Read a whole .npy file ("-" = stdin). *out is owned by the caller (aimet_tensor_free). */
int aimet_npy_read(struct aimet_ctx *ctx, const char *path, struct aimet_tensor **out);
/* The same from an open stream (left open; `name` for messages); fp NULL opens `name`. */
int aimet_npy_read_fp(struct aimet_ctx *ctx, FILE *fp, const char *name,
                      struct aimet_tensor **out);
/* Write `t` atomically (temporary file + rename; "-" = stdout; a device such as /dev/null is
 * written in place) with numpy's own version 1.0 header layout (padded to 64 bytes). Strings,
 * complex and other dtypes without a .npy code are refused. */
int aimet_npy_write(struct aimet_ctx *ctx, const struct aimet_tensor *t, const char *path);
/* Write to an open stream (e.g. a cli_out's FILE); `name` is used in messages only. */
int aimet_npy_write_fp(struct aimet_ctx *ctx, const struct aimet_tensor *t, FILE *fp,
                       const char *name);
/* Streaming writes: a header for the full shape, then the data in any number of pieces
 * (n elements of `dtype` in host order each), e.g. one batch of outputs at a time. */
int aimet_npy_write_header(struct aimet_ctx *ctx, FILE *fp, int dtype, int ndim,
                           const int64_t *dims, const char *name);
int aimet_npy_write_data(struct aimet_ctx *ctx, FILE *fp, int dtype, const void *data,
                         size_t n, const char *name);
/* Header text for a dtype ("<f4", "|u1", ...) in the host's byte order; NULL if unsupported. */
const char *aimet_npy_descr(int dtype);

/* Streaming reader: the header is read at open; rows of the first axis are read on demand, so
 * a large file is never loaded whole. A 0-d array counts as one row. */
struct aimet_npy_reader;
int aimet_npy_open(struct aimet_ctx *ctx, const char *path, struct aimet_npy_reader **r);
void aimet_npy_close(struct aimet_npy_reader *r);               /* accepts NULL */
int aimet_npy_reader_dtype(const struct aimet_npy_reader *r);   /* enum aimet_dtype */
int aimet_npy_reader_ndim(const struct aimet_npy_reader *r);
const int64_t *aimet_npy_reader_dims(const struct aimet_npy_reader *r);  /* borrowed */
int64_t aimet_npy_reader_rows(const struct aimet_npy_reader *r);         /* dims[0] (1 if 0-d) */
size_t aimet_npy_reader_row_bytes(const struct aimet_npy_reader *r);     /* bytes per row */
/* Copy rows [start, start+count) into dst (count * row_bytes bytes), in host byte order. */
int aimet_npy_read_rows(struct aimet_ctx *ctx, struct aimet_npy_reader *r, int64_t start,
                        int64_t count, void *dst);

/* A tensor file by its kind: .npy (by magic) or an ONNX TensorProto .pb (anything else);
 * "-" reads stdin whole and decides by its first bytes. */
int aimet_tensor_read_file(struct aimet_ctx *ctx, const char *path, struct aimet_tensor **out);

/* Element-wise conversion between numeric dtypes: float targets through double; integer
 * targets through int64 (floats truncated, saturating at the int64 range, NaN -> 0) and then
 * narrowed modulo the target's width; bool is x != 0. n elements; no overlap. */
int aimet_convert(struct aimet_ctx *ctx, void *dst, int dst_dtype, const void *src,
                  int src_dtype, size_t n);

/* ---- datasets ----
 * Model inputs read in batches: memory is one batch per input (plus one .pb file when the
 * source is a .pb), whatever the number of samples. A source is a .npy file (first axis =
 * samples), a TensorProto .pb file, or a directory of .npy/.pb files taken in name order, each
 * one sample or a batch (concatenated along axis 0). */
#define AIMET_DATASET_MAX_INPUTS 32
#define AIMET_DATASET_MAX_CHANNELS 64

struct aimet_dataset_spec {
	int n_sources;
	/* Model input each source feeds (NULL when there is one source given without a name).
	 * Strings are borrowed from the caller (cli_dataset_spec owns the names it splits). */
	const char *names[AIMET_DATASET_MAX_INPUTS];
	const char *paths[AIMET_DATASET_MAX_INPUTS];
	/* Optional hints from the model, per source (0 = unknown):
	 * dtypes: the element type wanted. 0 = automatic: float and uint8 data become float32
	 *   (preprocessed); other integer and bool data pass through unchanged unless
	 *   preprocessing is asked for (then float32, preprocessed). A dtype given here is produced
	 *   by conversion; preprocessing applies only when it is float32 (so the integer inputs
	 *   of a multi-input model pass untouched while its image input is normalised).
	 * ranks: the model input's rank; a file whose rank is one less is a single sample. */
	int dtypes[AIMET_DATASET_MAX_INPUTS];
	int ranks[AIMET_DATASET_MAX_INPUTS];
	/* Preprocessing ((x * scale) - mean[c]) / std[c], c the index on axis 1 of the batch; one
	 * value applies to every channel. Requested when scale != 1 or any mean/std given. */
	float scale;
	float mean[AIMET_DATASET_MAX_CHANNELS]; int n_mean;
	float std[AIMET_DATASET_MAX_CHANNELS]; int n_std;
	int64_t samples;   /* at most this many samples; <= 0 = all */
	int64_t batch;     /* batch size; <= 0 = 1 */
	int owned_names;   /* names[] are owned (freed by aimet_dataset_spec_clear) */
};

/* Defaults: no sources, scale 1, no mean/std, all samples, batch 1. */
void aimet_dataset_spec_init(struct aimet_dataset_spec *spec);
/* Frees owned names and sets every names[i] to NULL; the other fields (paths, preprocessing,
 * samples, batch) are kept, so a spec can be reused for another source. */
void aimet_dataset_spec_clear(struct aimet_dataset_spec *spec);

struct aimet_dataset;
/* Opens every source, checks that shapes agree and counts samples (reading only headers for
 * .npy; .pb files are read once to learn their shape). The spec is copied. */
int aimet_dataset_open(struct aimet_ctx *ctx, const struct aimet_dataset_spec *spec,
                       struct aimet_dataset **ds);
void aimet_dataset_free(struct aimet_dataset *ds);               /* accepts NULL */
int64_t aimet_dataset_count(const struct aimet_dataset *ds);     /* samples (after the limit) */
int aimet_dataset_n_inputs(const struct aimet_dataset *ds);
const char *aimet_dataset_name(const struct aimet_dataset *ds, int i);  /* NULL if unnamed */
/* dtype and per-sample shape (without the batch axis) of input i as produced by next(). */
int aimet_dataset_dtype(const struct aimet_dataset *ds, int i);
int aimet_dataset_sample_shape(const struct aimet_dataset *ds, int i, const int64_t **dims);
/* Fill batch[i] (for each input, in spec order) with the next batch: dims [b, sample...],
 * b = batch size except for the last partial batch. The tensors are owned by the dataset and
 * reused: valid until the next call to next/rewind/free. Returns 1 when a batch was produced,
 * 0 at the end, < 0 on error (including AIMET_ERR_INTERRUPTED). */
int aimet_dataset_next(struct aimet_ctx *ctx, struct aimet_dataset *ds,
                       struct aimet_tensor **batch);
void aimet_dataset_rewind(struct aimet_dataset *ds);
/* Samples [start, start+count) of every input, into the same reused tensors (random access
 * for tools that shuffle or split). Returns 1, or < 0 on error. */
int aimet_dataset_read(struct aimet_ctx *ctx, struct aimet_dataset *ds, int64_t start,
                       int64_t count, struct aimet_tensor **batch);

/* The spec's preprocessing on `rows` samples of `channels` x `inner` elements of src_dtype:
 * dst = ((x * scale) - mean[c]) / std[c], computed in double and rounded to float once. Fails
 * when mean/std have more than one value and not `channels` of them. */
int aimet_preprocess(struct aimet_ctx *ctx, const struct aimet_dataset_spec *spec,
                     const void *src, int src_dtype, float *dst, int64_t rows, int64_t channels,
                     int64_t inner);

/* Labels for accuracy: a .npy or .pb of integers (int8..int64, uint8..uint64, or integral
 * floats), shape [N] or [N, 1], read as int64. *labels owned by the caller (free). */
int aimet_labels_read(struct aimet_ctx *ctx, const char *path, int64_t **labels, int64_t *n);

#endif
