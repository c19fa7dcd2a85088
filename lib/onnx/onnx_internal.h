/* onnx_internal.h: shared between the ONNX loader and saver only; the one header outside the
 * generated code that sees protobuf-c types. */
#ifndef AIMET_ONNX_INTERNAL_H
#define AIMET_ONNX_INTERNAL_H

#include "aimet.h"
#include "onnx.pb-c.h"

/* Deepest message nesting accepted (graph -> node -> attribute -> graph ...): protobuf-c
 * recurses without a limit, so deeper input is refused before it is handed over. */
#define AIMET_ONNX_MAX_DEPTH 64

/* Check that `buf` is well-formed protobuf wire data for `desc`, nested no deeper than
 * AIMET_ONNX_MAX_DEPTH. 0 if fine, -1 otherwise. */
int aimet_onnx_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len);

/* Serialize a message's unknown fields (tag + payload each) into *b (owned); 0 or -1 (OOM). */
int aimet_onnx_unknown_to_blob(const ProtobufCMessage *msg, struct aimet_blob *b);
/* Parse such a blob back into an array of unknown fields pointing into the blob; *out is
 * malloc'd (free it). 0 or -1 (malformed). */
int aimet_onnx_blob_to_unknown(const struct aimet_blob *b, ProtobufCMessageUnknownField **out,
                               unsigned *n);
/* Append one length-delimited field (tag `field`, payload) to a blob. */
int aimet_onnx_blob_append_field(struct aimet_blob *b, uint32_t field, const uint8_t *p, size_t n);

/* Pack any message into a new blob; 0 or -1 (OOM). */
int aimet_onnx_pack_blob(const ProtobufCMessage *msg, struct aimet_blob *b);

/* TensorProto -> tensor. `dir` is the external-data base directory (NULL: refused). */
int aimet_onnx_tensor_from_proto(struct aimet_ctx *ctx, const Onnx__TensorProto *p,
                                 const char *dir, struct aimet_tensor **out);

/* Allocation arena for building messages to pack: everything is freed together. */
struct aimet_onnx_arena {
	void **ptrs; size_t n, cap;
	ProtobufCMessage **msgs; size_t n_msgs, cap_msgs;   /* unpacked by protobuf-c */
};
void *aimet_onnx_arena_alloc(struct aimet_onnx_arena *a, size_t count, size_t size);
/* Hand a malloc'd pointer to the arena (freed on failure too); 0 or -1. */
int aimet_onnx_arena_own(struct aimet_onnx_arena *a, void *p);
int aimet_onnx_arena_own_msg(struct aimet_onnx_arena *a, ProtobufCMessage *m);
void aimet_onnx_arena_free(struct aimet_onnx_arena *a);

/* Side-file writer for external data while saving. */
struct aimet_onnx_ext {
	size_t min_bytes;      /* tensors with nbytes >= this go out; SIZE_MAX = none */
	const char *location;  /* name recorded in the model */
	FILE *fp;
	uint64_t offset;
};

/* Tensor -> TensorProto, pointing into the tensor's data where possible (the tensor must
 * outlive the proto); extra allocations in the arena. */
int aimet_onnx_tensor_to_proto(struct aimet_ctx *ctx, const struct aimet_tensor *t,
                               Onnx__TensorProto *p, struct aimet_onnx_arena *a,
                               struct aimet_onnx_ext *ext);

/* Read a whole file ("-" = stdin) into a malloc'd buffer (owned by the caller), refusing
 * directories and devices and anything over `max` bytes. */
int aimet_onnx_read_file(struct aimet_ctx *ctx, const char *path, size_t max, uint8_t **buf,
                         size_t *len);

#endif
