/* aimet_ir.h: graph queries and rewrite helpers shared by the passes (BN folding, CLE,
 * quantizer insertion): lookups, producers/consumers, topological order, node building,
 * and edits that keep the graph wired correctly. The structs themselves are in aimet.h. */
#ifndef AIMET_IR_H
#define AIMET_IR_H

#include "aimet.h"

/* ---- copies (model.c); aimet_model_clone/aimet_model_equal are in aimet.h ----
 * Equality ignores where data was loaded from (tensor external_location, model dir). */
struct aimet_graph *aimet_graph_clone(const struct aimet_graph *g);   /* NULL on OOM */
struct aimet_node *aimet_node_clone(const struct aimet_node *n);      /* NULL on OOM */
int aimet_attr_copy(struct aimet_attr *dst, const struct aimet_attr *src);        /* 0 / -1 */
int aimet_value_info_copy(struct aimet_value_info *dst, const struct aimet_value_info *src);

/* ---- lookups (all borrowed pointers, valid until the graph changes) ---- */

/* Initializer by name, NULL if none; *index (may be NULL) gets its position. */
struct aimet_tensor *aimet_graph_find_initializer(const struct aimet_graph *g, const char *name,
                                                  size_t *index);

enum aimet_weight_kind { AIMET_WEIGHT_NONE = 0, AIMET_WEIGHT_INITIALIZER = 1, AIMET_WEIGHT_CONSTANT = 2 };
/* A weight is an initializer or the `value` tensor of a Constant node producing `name`
 * (PP-OCR keeps every weight in Constant nodes). Returns the tensor or NULL; *kind (may be
 * NULL) says which. */
struct aimet_tensor *aimet_graph_find_weight(const struct aimet_graph *g, const char *name,
                                             int *kind);
/* Replace the weight called `name` in place (initializer or Constant value), keeping its kind
 * and name. Takes ownership of `t` in every case (freed on failure). */
int aimet_graph_replace_weight(struct aimet_ctx *ctx, struct aimet_graph *g, const char *name,
                               struct aimet_tensor *t);

/* The node producing `name`, or NULL; *index and *slot (each may be NULL) get the node's
 * position and the output slot. */
struct aimet_node *aimet_graph_producer(const struct aimet_graph *g, const char *name,
                                       size_t *index, int *slot);
/* Nodes that read `name` (each listed once, in graph order), a read from inside a node's
 * subgraph (If/Loop body) counting as a read by that node: writes up to `max` node positions
 * into idx and returns how many there are in all. */
size_t aimet_graph_consumers(const struct aimet_graph *g, const char *name, size_t *idx,
                             size_t max);
int aimet_graph_is_input(const struct aimet_graph *g, const char *name);    /* 1 / 0 */
int aimet_graph_is_output(const struct aimet_graph *g, const char *name);   /* 1 / 0 */

/* Positions of the nodes in a topological order that keeps the given order wherever the
 * dependencies allow (an already sorted graph gives 0, 1, 2, ...). *order is malloc'd (caller
 * frees). AIMET_ERR_INVALID with a message naming a node on a cycle, or a tensor produced
 * twice. */
int aimet_graph_topo_order(struct aimet_ctx *ctx, const struct aimet_graph *g, size_t **order);
/* Reorder g->nodes into that order. */
int aimet_graph_toposort(struct aimet_ctx *ctx, struct aimet_graph *g);

/* A name not used by any node, tensor or value in the graph: `base` itself if free, else
 * base_1, base_2, ... Caller frees; NULL on OOM. */
char *aimet_graph_unique_name(const struct aimet_graph *g, const char *base);

/* ---- subgraphs (If/Loop/Scan bodies, kept serialized in GRAPH/GRAPHS attributes) ---- */

/* Names the body reads from the enclosing graph (outer-scope references), each once; with
 * `all`, also every name defined or read inside. *names: malloc'd strings, free with
 * aimet_strv_free. Other attribute kinds give none. */
int aimet_attr_subgraph_names(struct aimet_ctx *ctx, const struct aimet_attr *a, int all,
                              char ***names, size_t *n);
/* Rename the body's outer-scope reads of `from` to `to` (re-serializing the attribute);
 * returns how many were renamed, or a negative status. */
int aimet_attr_subgraph_rename(struct aimet_ctx *ctx, struct aimet_attr *a, const char *from,
                               const char *to);
void aimet_strv_free(char **v, size_t n);

/* ---- building nodes ---- */

/* A node of the default domain; names are copied; inputs may contain "" for omitted optional
 * inputs. `name` may be NULL. NULL on OOM. */
struct aimet_node *aimet_node_new(const char *op_type, const char *name, int n_inputs,
                                  const char *const *inputs, int n_outputs,
                                  const char *const *outputs);
/* Set (add or replace) an attribute; 0 or AIMET_ERR_NOMEM. set_tensor takes ownership of t. */
int aimet_node_set_int(struct aimet_node *n, const char *name, int64_t v);
int aimet_node_set_float(struct aimet_node *n, const char *name, float v);
int aimet_node_set_string(struct aimet_node *n, const char *name, const char *v);
int aimet_node_set_ints(struct aimet_node *n, const char *name, const int64_t *v, size_t count);
int aimet_node_set_floats(struct aimet_node *n, const char *name, const float *v, size_t count);
int aimet_node_set_tensor(struct aimet_node *n, const char *name, struct aimet_tensor *t);
/* Remove an attribute; 1 if it was there. */
int aimet_node_remove_attr(struct aimet_node *n, const char *name);
/* Replace input/output slot `i` with a copy of `name`; 0 or AIMET_ERR_NOMEM/INVALID. */
int aimet_node_set_input(struct aimet_node *n, int i, const char *name);
int aimet_node_set_output(struct aimet_node *n, int i, const char *name);

/* ---- editing graphs ---- */

/* Insert `n` at position `pos` (<= n_nodes). Takes ownership (freed on failure). */
int aimet_graph_add_node(struct aimet_ctx *ctx, struct aimet_graph *g, size_t pos,
                         struct aimet_node *n);
/* Insert `n`, which must read `tensor` and produce its first output, so that it sits between
 * `tensor` and everything that used it: every other consumer now reads n's output. When
 * `tensor` is a graph output produced by a node, the graph keeps its interface: the producer's
 * output is renamed to a fresh name that n reads, and n's output takes the name `tensor`.
 * Placed right after the producer (or before the first consumer) so the order stays valid.
 * Takes ownership of n (freed on failure). */
int aimet_graph_insert_after(struct aimet_ctx *ctx, struct aimet_graph *g, const char *tensor,
                             struct aimet_node *n);
/* Remove node `idx` and rewire: consumers of its first output read its input `keep_input`
 * instead (graph outputs too, renaming the producer's output so the interface keeps its name
 * where possible). Refused when another output of the node is still used. */
int aimet_graph_remove_node(struct aimet_ctx *ctx, struct aimet_graph *g, size_t idx,
                            int keep_input);
/* Rename every use of a tensor: node inputs (subgraph reads included) and graph outputs reading
 * `from` read `to`. */
int aimet_graph_rename_uses(struct aimet_graph *g, const char *from, const char *to);

/* Add an initializer (takes ownership, freed on failure); refused if the name is taken. */
int aimet_graph_add_initializer(struct aimet_ctx *ctx, struct aimet_graph *g,
                                struct aimet_tensor *t);
/* Replace the initializer called `name` (takes ownership of t, which is renamed to `name`). */
int aimet_graph_replace_initializer(struct aimet_ctx *ctx, struct aimet_graph *g,
                                    const char *name, struct aimet_tensor *t);
/* Remove an initializer (and a graph input of the same name, as old models list them);
 * 1 if removed, 0 if there was none. */
int aimet_graph_remove_initializer(struct aimet_graph *g, const char *name);
/* Remove initializers and Constant nodes that nothing reads and that are not graph outputs;
 * returns how many were removed. */
size_t aimet_graph_remove_unused_weights(struct aimet_graph *g);


/* ---- opset conversion (opset.c) ----
 * Upgrade the default-domain opset to `target` (from 7 or later), rewriting ops whose signature
 * or meaning changed: Slice/Clip/Squeeze/Unsqueeze/Split/Pad/TopK/Reduce* attributes that
 * became inputs, Softmax-family axis semantics (before 13), Upsample and Resize-10 to Resize.
 * Subgraphs (If/Loop) are refused. A model already at or above `target` is left as is. */
int aimet_model_convert_opset(struct aimet_ctx *ctx, struct aimet_model *m, int64_t target);

#endif
