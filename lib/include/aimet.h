/* aimet.h: the core of the public API — context and status, dtypes, tensors and the model IR.
 * Module APIs (I/O, executor, quantization) live in the aimet_*.h headers beside this one. */
#ifndef AIMET_H
#define AIMET_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

#define AIMET_VERSION "0.1.0"

/* ---- status codes: 0 is success, negative is failure ---- */
enum aimet_status {
	AIMET_OK = 0,
	AIMET_ERR_IO = -1,          /* cannot open/read/write a file */
	AIMET_ERR_FORMAT = -2,      /* input is malformed, truncated or hostile */
	AIMET_ERR_UNSUPPORTED = -3, /* valid input we do not handle (op, dtype, version) */
	AIMET_ERR_NOMEM = -4,       /* allocation failed or a size overflows */
	AIMET_ERR_INVALID = -5,     /* invalid argument or inconsistent graph */
	AIMET_ERR_INTERRUPTED = -6, /* a signal asked us to stop */
	AIMET_ERR_LIMIT = -7        /* a resource limit (memory share) would be exceeded */
};

/* The context carries the last error message and run-wide settings. One per thread of use. */
struct aimet_ctx {
	char errmsg[1024];
	int threads;   /* OpenMP threads for kernels, >= 1 */
	int verbose;   /* 0 quiet, 1 normal, 2 verbose */
	volatile int *interrupted; /* optional: set non-zero by a signal handler to stop long work */
};

struct aimet_ctx *aimet_ctx_new(void);          /* caller owns; aimet_ctx_free */
void aimet_ctx_free(struct aimet_ctx *ctx);     /* accepts NULL */
const char *aimet_errmsg(const struct aimet_ctx *ctx); /* borrowed, valid until the next error */
/* Set the context's message (printf-style) and return `status` so callers can `return aimet_error(...)`. */
int aimet_error(struct aimet_ctx *ctx, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the existing message with "what: " (for adding context as an error bubbles up). */
int aimet_error_prefix(struct aimet_ctx *ctx, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int aimet_check_interrupt(struct aimet_ctx *ctx); /* AIMET_ERR_INTERRUPTED (with message) or OK */

/* ---- checked arithmetic and allocation ---- */
/* Return 0 and store a*b (a+b) in *out, or return -1 on overflow. */
int aimet_mul_size(size_t a, size_t b, size_t *out);
int aimet_add_size(size_t a, size_t b, size_t *out);
/* Allocations that never abort; NULL on failure (including size overflow for the array forms). */
void *aimet_malloc(size_t n);
void *aimet_calloc(size_t count, size_t size);
void *aimet_realloc_array(void *p, size_t count, size_t size);
char *aimet_strdup(const char *s);                 /* NULL in -> NULL out */
char *aimet_strndup(const char *s, size_t n);
/* Grow *arr (element size `size`) so that it holds at least `need` elements; *cap updated. */
int aimet_grow(void **arr, size_t *cap, size_t need, size_t size);

/* ---- atomic output files ----
 * Outputs are written to a temporary file beside the final path and renamed into place, so a
 * failed or interrupted run leaves no partial file. Pending temporaries are registered so that
 * a signal handler can remove them with aimet_tmpfiles_cleanup(). */
/* Create "<dir of final_path>/.<name>.tmpXXXXXX"; *tmp_path is owned by the caller (free). */
int aimet_tmpfile_create(struct aimet_ctx *ctx, const char *final_path, char **tmp_path, FILE **fp);
/* fflush + error check + fsync + fclose + rename; on failure the temporary is removed. */
int aimet_tmpfile_commit(struct aimet_ctx *ctx, FILE *fp, const char *tmp_path, const char *final_path);
void aimet_tmpfile_discard(FILE *fp, const char *tmp_path);   /* fclose (if fp) + unlink */
void aimet_tmpfiles_cleanup(void);   /* async-signal-safe: unlink every pending temporary */

/* ---- data types: values are ONNX TensorProto.DataType numbers ---- */
enum aimet_dtype {
	AIMET_UNDEFINED = 0, AIMET_FLOAT = 1, AIMET_UINT8 = 2, AIMET_INT8 = 3, AIMET_UINT16 = 4,
	AIMET_INT16 = 5, AIMET_INT32 = 6, AIMET_INT64 = 7, AIMET_STRING = 8, AIMET_BOOL = 9,
	AIMET_FLOAT16 = 10, AIMET_DOUBLE = 11, AIMET_UINT32 = 12, AIMET_UINT64 = 13,
	AIMET_COMPLEX64 = 14, AIMET_COMPLEX128 = 15, AIMET_BFLOAT16 = 16,
	AIMET_FLOAT8E4M3FN = 17, AIMET_FLOAT8E4M3FNUZ = 18, AIMET_FLOAT8E5M2 = 19,
	AIMET_FLOAT8E5M2FNUZ = 20, AIMET_UINT4 = 21, AIMET_INT4 = 22
};
#define AIMET_DTYPE_MAX 22

/* Bytes per element in our in-memory layout (int4/uint4 are unpacked to one byte each;
 * strings are `struct aimet_string`); 0 for unknown types. */
size_t aimet_dtype_size(int dtype);
const char *aimet_dtype_name(int dtype);           /* "float32", "int8", ... ; "?" if unknown */
int aimet_dtype_is_valid(int dtype);

/* ---- tensors ---- */

/* A kind of value we keep but do not interpret is stored as the serialized protobuf message
 * (`blob`), so saving reproduces it exactly. */
struct aimet_blob { uint8_t *data; size_t len; };

#define AIMET_MAX_DIMS 8

struct aimet_string { char *data; size_t len; };   /* bytes, not NUL-terminated in general */

/* A dense tensor, row-major, little-endian host layout. Used for weights in the IR and for
 * values at run time. `data` is owned unless `borrowed` is set. */
struct aimet_tensor {
	char *name;           /* owned; may be NULL for anonymous run-time buffers */
	int dtype;            /* enum aimet_dtype */
	int ndim;
	int64_t dims[AIMET_MAX_DIMS];
	void *data;           /* numel * dtype_size bytes; strings: numel struct aimet_string */
	size_t nbytes;
	int borrowed;         /* data not owned (points into another buffer) */
	char *doc_string;     /* owned; preserved from ONNX */
	/* ONNX external-data location this tensor was loaded from (kept for re-saving), or NULL. */
	char *external_location;
	/* Serialized TensorProto fields we do not interpret (segment, unknown fields), re-emitted
	 * on save; owned. */
	struct aimet_blob extra;
};

struct aimet_tensor *aimet_tensor_new(const char *name, int dtype, int ndim, const int64_t *dims);
/* Allocate (zeroed) data for the tensor's shape; fails on overflow or negative dims. */
int aimet_tensor_alloc(struct aimet_ctx *ctx, struct aimet_tensor *t);
void aimet_tensor_free(struct aimet_tensor *t);     /* accepts NULL; frees strings too */
struct aimet_tensor *aimet_tensor_clone(const struct aimet_tensor *t);  /* deep copy; NULL on OOM */
/* Number of elements, or -1 if a dim is negative or the product overflows. */
int64_t aimet_tensor_numel(const struct aimet_tensor *t);
int64_t aimet_shape_numel(int ndim, const int64_t *dims);
/* 1 if shape and dtype equal and data bitwise identical. */
int aimet_tensor_equal(const struct aimet_tensor *a, const struct aimet_tensor *b);
/* Convert any numeric tensor to a newly allocated float array (caller frees); NULL on failure. */
float *aimet_tensor_to_float(const struct aimet_tensor *t);
/* Read element i of a numeric tensor as double / int64 (no bounds check). */
double aimet_tensor_get_f64(const struct aimet_tensor *t, int64_t i);
int64_t aimet_tensor_get_i64(const struct aimet_tensor *t, int64_t i);

/* ---- the model IR ---- */

enum aimet_attr_type {
	AIMET_ATTR_UNDEFINED = 0, AIMET_ATTR_FLOAT = 1, AIMET_ATTR_INT = 2, AIMET_ATTR_STRING = 3,
	AIMET_ATTR_TENSOR = 4, AIMET_ATTR_GRAPH = 5, AIMET_ATTR_FLOATS = 6, AIMET_ATTR_INTS = 7,
	AIMET_ATTR_STRINGS = 8, AIMET_ATTR_TENSORS = 9, AIMET_ATTR_GRAPHS = 10,
	AIMET_ATTR_SPARSE_TENSOR = 11, AIMET_ATTR_SPARSE_TENSORS = 12, AIMET_ATTR_TYPE_PROTO = 13,
	AIMET_ATTR_TYPE_PROTOS = 14
};

struct aimet_attr {
	char *name;
	int type;                 /* enum aimet_attr_type */
	float f;
	int64_t i;
	struct aimet_string s;
	struct aimet_tensor *t;   /* TENSOR */
	float *floats; size_t n_floats;
	int64_t *ints; size_t n_ints;
	struct aimet_string *strings; size_t n_strings;
	struct aimet_tensor **tensors; size_t n_tensors;
	/* Kinds we do not interpret (graphs, sparse tensors, type protos, or a value whose fields
	 * disagree with its type, loaded as UNDEFINED): the whole AttributeProto serialized, emitted
	 * verbatim on save. For the kinds we do interpret (FLOAT..TENSOR, FLOATS..TENSORS) raw holds
	 * only what surrounds the value (doc_string, ref_attr_name, unknown fields), if any; the value
	 * itself always comes from the typed fields above. */
	struct aimet_blob raw;
};

struct aimet_node {
	char *name;
	char *op_type;
	char *domain;             /* "" or NULL = default ONNX domain */
	char *doc_string;
	char **inputs;  int n_inputs;   /* "" marks an omitted optional input */
	char **outputs; int n_outputs;
	struct aimet_attr *attrs; int n_attrs;
	struct aimet_blob extra;  /* serialized unknown fields of the NodeProto, re-emitted on save */
};

/* A dimension is either a value (>= 0), or symbolic (`param` set), or unknown (-1, no param). */
struct aimet_dim { int64_t value; char *param; char *denotation; };

struct aimet_value_info {
	char *name;
	char *doc_string;
	int elem_type;            /* tensor element type; 0 if not a tensor type */
	int has_shape;            /* shape present (possibly rank 0) */
	int ndim;
	struct aimet_dim *dims;
	/* A type we do not interpret (sequence, map, optional, sparse) or extra fields: the
	 * whole TypeProto serialized; when set, the saver emits it instead of elem_type/dims. */
	struct aimet_blob raw_type;
	struct aimet_blob extra;  /* serialized unknown fields of the ValueInfoProto */
};

struct aimet_graph {
	char *name;
	char *doc_string;
	struct aimet_node **nodes; size_t n_nodes, cap_nodes;
	struct aimet_value_info *inputs; size_t n_inputs;
	struct aimet_value_info *outputs; size_t n_outputs;
	struct aimet_value_info *value_info; size_t n_value_info;
	struct aimet_tensor **initializers; size_t n_initializers, cap_initializers;
	struct aimet_blob *opaque; size_t n_opaque; /* sparse_initializer, quantization_annotation,
	                                              unknown fields: serialized (field number kept) */
	int *opaque_field;                          /* protobuf field number of each opaque entry */
	/* (known fields: the serialized message; unknown fields: their wire bytes, tag included) */
};

struct aimet_opset { char *domain; int64_t version; };
struct aimet_kv { char *key; char *value; };

struct aimet_model {
	int64_t ir_version;
	struct aimet_opset *opsets; size_t n_opsets;
	char *producer_name, *producer_version, *domain, *doc_string;
	int64_t model_version;
	struct aimet_kv *metadata; size_t n_metadata;
	struct aimet_graph *graph;
	struct aimet_blob *opaque; size_t n_opaque;  /* functions, training_info, unknown fields */
	int *opaque_field;
	char *dir;   /* directory the model was loaded from (for external data); NULL for stdin */
};

void aimet_model_free(struct aimet_model *m);        /* accepts NULL */
void aimet_graph_free(struct aimet_graph *g);        /* accepts NULL */
void aimet_node_free(struct aimet_node *n);          /* accepts NULL */
void aimet_attr_clear(struct aimet_attr *a);
void aimet_value_info_clear(struct aimet_value_info *v);
struct aimet_model *aimet_model_clone(const struct aimet_model *m);  /* deep copy; NULL on OOM */
/* 1 if two models are identical IR (every field, every weight bit). When they differ and
 * `why` is non-NULL, a description of the first difference is written there. */
int aimet_model_equal(const struct aimet_model *a, const struct aimet_model *b,
                      char *why, size_t why_len);

/* Opset of the default ("" / "ai.onnx") domain; 0 if none is imported. */
int64_t aimet_model_opset(const struct aimet_model *m);

/* The node's name, or its first output's name when it has none: how messages name a layer. */
const char *aimet_node_label(const struct aimet_node *n);
/* Attribute lookup on a node (NULL when absent) and typed getters with defaults. */
const struct aimet_attr *aimet_node_attr(const struct aimet_node *n, const char *name);
int64_t aimet_node_attr_int(const struct aimet_node *n, const char *name, int64_t dflt);
float aimet_node_attr_float(const struct aimet_node *n, const char *name, float dflt);
/* String attribute as a NUL-terminated borrowed string, or dflt. */
const char *aimet_node_attr_str(const struct aimet_node *n, const char *name, const char *dflt);
/* INTS attribute: returns count (or -1 when absent) and a borrowed pointer. */
int aimet_node_attr_ints(const struct aimet_node *n, const char *name, const int64_t **vals);

#endif
