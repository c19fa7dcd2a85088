/* aimet_onnx.h: ONNX model load/save (protobuf-c underneath, never visible here) and
 * TensorProto .pb files, the ONNX test-data format for inputs and outputs. */
#ifndef AIMET_ONNX_H
#define AIMET_ONNX_H

#include "aimet.h"

/* Load an ONNX model from `path` ("-" = stdin). On success *out is owned by the caller
 * (aimet_model_free). External data is read from files beside the model, confined to the
 * model's directory; a model read from stdin cannot use external data. */
int aimet_model_load(struct aimet_ctx *ctx, const char *path, struct aimet_model **out);
/* Load from memory; `dir` is the directory that external-data locations are relative to, or
 * NULL to refuse external data. The buffer is not retained. */
int aimet_model_load_buffer(struct aimet_ctx *ctx, const void *buf, size_t len, const char *dir,
                            struct aimet_model **out);

struct aimet_save_opts {
	/* 0 = automatic: tensors go to a side file only when the model would exceed the 2 GiB
	 * protobuf limit (then every tensor of 1 KiB or more does). Otherwise tensors of at least
	 * this many bytes go to the side file. */
	size_t external_min_bytes;
	/* Side file name, relative to the model's directory; default "<model file name>.data".
	 * A plain file name: no '/' allowed. */
	const char *external_name;
};

/* Save atomically (temporary + rename, side file too) to `path` ("-" = stdout, where external
 * data is refused). `opts` may be NULL. */
int aimet_model_save(struct aimet_ctx *ctx, const struct aimet_model *m, const char *path,
                     const struct aimet_save_opts *opts);
/* The size above which a model cannot be written inline (protobuf's 2 GiB limit); automatic
 * saving then moves tensors of 1 KiB or more to the side file. Only tests lower it. */
extern size_t aimet_onnx_inline_limit;
/* Serialize to a malloc'd buffer (*buf owned by the caller); all data inline, so it fails for
 * models over 2 GiB. */
int aimet_model_serialize(struct aimet_ctx *ctx, const struct aimet_model *m, uint8_t **buf,
                          size_t *len);

/* TensorProto .pb files (input_0.pb, output_0.pb of the ONNX test data). *out owned by the
 * caller. A .pb tensor with external data is refused. */
int aimet_tensor_read_pb(struct aimet_ctx *ctx, const char *path, struct aimet_tensor **out);
int aimet_tensor_parse_pb(struct aimet_ctx *ctx, const void *buf, size_t len,
                          struct aimet_tensor **out);
/* Write atomically ("-" = stdout). */
int aimet_tensor_write_pb(struct aimet_ctx *ctx, const struct aimet_tensor *t, const char *path);
/* Serialize one tensor as a TensorProto into a malloc'd buffer (*buf owned by the caller). */
int aimet_tensor_serialize_pb(struct aimet_ctx *ctx, const struct aimet_tensor *t, uint8_t **buf,
                              size_t *len);

#endif
