/* qconfig.c: the quantsim configuration — JSON (jansson) or YAML (libyaml, converted to the same
 * JSON tree so one interpreter serves both). Files are untrusted: depth, size and aliases are
 * bounded. */
#include "aimet_qsim.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 32
#define MAX_FILE ((size_t)16 << 20)
#define MAX_YAML_NODES 1000000

/* ---- YAML -> json_t ---- */
struct yconv {
	yaml_parser_t parser;
	struct aimet_ctx *ctx;
	const char *name;
	size_t nodes;
	int st;
};

static json_t *yaml_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	/* plain (unquoted) scalars that look like numbers become numbers, the rest strings */
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && len && len < 64) {
		char *end;
		errno = 0;
		long long i = strtoll(v, &end, 10);
		if (!*end && !errno)
			return json_integer(i);
		double d = strtod(v, &end);
		if (!*end && !errno)
			return json_real(d);
		if (!strcmp(v, "true"))
			return json_true();
		if (!strcmp(v, "false"))
			return json_false();
		if (!strcmp(v, "null") || !strcmp(v, "~"))
			return json_null();
	}
	return json_stringn(v, len);
}

static json_t *yaml_node(struct yconv *y, yaml_event_t *ev, int depth);

/* Parses the node whose first event is `ev` (consumed by the caller afterwards). */
static json_t *yaml_node(struct yconv *y, yaml_event_t *ev, int depth)
{
	json_t *out = NULL;
	if (++y->nodes > MAX_YAML_NODES || depth > MAX_DEPTH) {
		y->st = aimet_error(y->ctx, AIMET_ERR_FORMAT, "cannot read '%s': configuration nested or sized beyond limits", y->name);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return yaml_scalar(ev);
	case YAML_ALIAS_EVENT:
		y->st = aimet_error(y->ctx, AIMET_ERR_FORMAT, "cannot read '%s': YAML aliases are not supported", y->name);
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int is_map = ev->type == YAML_MAPPING_START_EVENT;
		yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
		out = is_map ? json_object() : json_array();
		if (!out)
			break;
		for (;;) {
			yaml_event_t k, v;
			json_t *key = NULL, *val;
			if (!yaml_parser_parse(&y->parser, &k))
				goto parse_error;
			if (k.type == end) {
				yaml_event_delete(&k);
				return out;
			}
			if (is_map) {
				if (k.type != YAML_SCALAR_EVENT) {
					yaml_event_delete(&k);
					y->st = aimet_error(y->ctx, AIMET_ERR_FORMAT, "cannot read '%s': mapping keys must be scalars", y->name);
					goto fail;
				}
				key = json_stringn((const char *)k.data.scalar.value, k.data.scalar.length);
				yaml_event_delete(&k);
				if (!yaml_parser_parse(&y->parser, &v)) {
					json_decref(key);
					goto parse_error;
				}
			} else {
				v = k;
			}
			val = yaml_node(y, &v, depth + 1);
			yaml_event_delete(&v);
			if (!val) {
				json_decref(key);
				goto fail;
			}
			if (is_map) {
				json_object_set_new(out, key ? json_string_value(key) : "", val);
				json_decref(key);
			} else {
				json_array_append_new(out, val);
			}
		}
	}
	default:
		y->st = aimet_error(y->ctx, AIMET_ERR_FORMAT, "cannot read '%s': unexpected YAML structure", y->name);
		return NULL;
	}
	y->st = aimet_error(y->ctx, AIMET_ERR_NOMEM, "out of memory");
	return NULL;
parse_error:
	y->st = aimet_error(y->ctx, AIMET_ERR_FORMAT, "cannot read '%s': YAML error at line %zu: %s", y->name,
	                    y->parser.problem_mark.line + 1,
	                    y->parser.problem ? y->parser.problem : "syntax error");
fail:
	json_decref(out);
	return NULL;
}

static int yaml_to_json(struct aimet_ctx *ctx, const char *text, size_t len, const char *name,
                        json_t **out)
{
	struct yconv y = {.ctx = ctx, .name = name};
	yaml_event_t ev;
	json_t *root = NULL;
	if (!yaml_parser_initialize(&y.parser))
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&y.parser, &ev)) {
			y.st = aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': YAML error at line %zu: %s", name,
			                   y.parser.problem_mark.line + 1,
			                   y.parser.problem ? y.parser.problem : "syntax error");
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_ALIAS_EVENT) {
			if (root) {
				yaml_event_delete(&ev);
				continue;  /* only the first document's root is used */
			}
			root = yaml_node(&y, &ev, 0);
			yaml_event_delete(&ev);
			if (!root)
				break;
			continue;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y.parser);
	if (y.st) {
		json_decref(root);
		return y.st;
	}
	if (!root)
		return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': empty configuration", name);
	*out = root;
	return AIMET_OK;
}

/* ---- interpreting the tree ---- */
struct cfgparse {
	struct aimet_ctx *ctx;
	const char *name;
	int st;
};

/* A boolean: JSON true/false or the strings "True"/"False" (any case). -1 when absent. */
static int get_bool(struct cfgparse *p, json_t *obj, const char *key, const char *where)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return -1;
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (!strcasecmp(s, "true"))
			return 1;
		if (!strcasecmp(s, "false"))
			return 0;
	}
	if (!p->st)
		p->st = aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': %s.%s must be \"True\" or \"False\"",
		                    p->name, where, key);
	return -1;
}

static int parse_params(struct cfgparse *p, json_t *obj, const char *where,
                        struct aimet_qconfig_param **out, size_t *n)
{
	const char *key;
	json_t *val;
	size_t i = 0;
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return p->st = aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': %s.params must be an object", p->name, where);
	*out = calloc(json_object_size(obj) + 1, sizeof(**out));
	if (!*out)
		return p->st = aimet_error(p->ctx, AIMET_ERR_NOMEM, "out of memory");
	json_object_foreach(obj, key, val) {
		struct aimet_qconfig_param *q = &(*out)[i++];
		*n = i;   /* counted at once: an error below must still free this name */
		if (!(q->name = strdup(key)))
			return p->st = aimet_error(p->ctx, AIMET_ERR_NOMEM, "out of memory");
		if (!json_is_object(val))
			return p->st = aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': %s.params.%s must be an object", p->name, where, key);
		q->is_quantized = get_bool(p, val, "is_quantized", key);
		q->is_symmetric = get_bool(p, val, "is_symmetric", key);
	}
	*n = i;
	return p->st;
}

static int interpret(struct cfgparse *p, json_t *root, struct aimet_qconfig *c)
{
	json_t *d, *ops, *sg, *mi, *mo, *v;
	const char *key;
	if (!json_is_object(root))
		return aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': a configuration is an object", p->name);
	/* AIMET's defaults when a section is silent */
	c->act_quantized = 1;
	c->act_symmetric = 0;
	c->param_quantized = 1;
	c->param_symmetric = 1;
	c->strict_symmetric = 0;
	c->unsigned_symmetric = 1;
	c->per_channel = 0;
	c->model_input_quantized = 0;
	c->model_output_quantized = 0;
	if ((d = json_object_get(root, "defaults"))) {
		json_t *o = json_object_get(d, "ops"), *pr = json_object_get(d, "params");
		int b;
		if (!json_is_object(d))
			return aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': defaults must be an object", p->name);
		if (o && (b = get_bool(p, o, "is_output_quantized", "defaults.ops")) >= 0)
			c->act_quantized = b;
		if (o && (b = get_bool(p, o, "is_symmetric", "defaults.ops")) >= 0)
			c->act_symmetric = b;
		if (pr && (b = get_bool(p, pr, "is_quantized", "defaults.params")) >= 0)
			c->param_quantized = b;
		if (pr && (b = get_bool(p, pr, "is_symmetric", "defaults.params")) >= 0)
			c->param_symmetric = b;
		if ((b = get_bool(p, d, "strict_symmetric", "defaults")) >= 0)
			c->strict_symmetric = b;
		if ((b = get_bool(p, d, "unsigned_symmetric", "defaults")) >= 0)
			c->unsigned_symmetric = b;
		if ((b = get_bool(p, d, "per_channel_quantization", "defaults")) >= 0)
			c->per_channel = b;
	}
	if (parse_params(p, json_object_get(root, "params"), "params", &c->params, &c->n_params))
		return p->st;
	if ((ops = json_object_get(root, "op_type"))) {
		size_t i = 0;
		if (!json_is_object(ops))
			return aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': op_type must be an object", p->name);
		c->ops = calloc(json_object_size(ops) + 1, sizeof(*c->ops));
		if (!c->ops)
			return aimet_error(p->ctx, AIMET_ERR_NOMEM, "out of memory");
		json_object_foreach(ops, key, v) {
			struct aimet_qconfig_op *op = &c->ops[i++];
			json_t *ec;
			c->n_ops = i;
			op->op_type = strdup(key);
			if (!json_is_object(v))
				return aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': op_type.%s must be an object", p->name, key);
			op->is_input_quantized = get_bool(p, v, "is_input_quantized", key);
			op->is_output_quantized = get_bool(p, v, "is_output_quantized", key);
			op->is_symmetric = get_bool(p, v, "is_symmetric", key);
			op->per_channel = get_bool(p, v, "per_channel_quantization", key);
			if (parse_params(p, json_object_get(v, "params"), key, &op->params, &op->n_params))
				return p->st;
			if ((ec = json_object_get(v, "encoding_constraints"))) {
				json_t *mn = json_object_get(ec, "min"), *mx = json_object_get(ec, "max");
				if (!json_is_number(mn) || !json_is_number(mx) ||
				    !(json_number_value(mn) < json_number_value(mx)))
					return aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': op_type.%s.encoding_constraints needs numbers min < max", p->name, key);
				op->has_constraint = 1;
				op->cmin = json_number_value(mn);
				op->cmax = json_number_value(mx);
			}
		}
	}
	if ((sg = json_object_get(root, "supergroups"))) {
		size_t n = json_is_array(sg) ? json_array_size(sg) : 0;
		if (!json_is_array(sg))
			return aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': supergroups must be a list", p->name);
		c->supergroups = calloc(n + 1, sizeof(*c->supergroups));
		c->supergroup_len = calloc(n + 1, sizeof(*c->supergroup_len));
		if (!c->supergroups || !c->supergroup_len)
			return aimet_error(p->ctx, AIMET_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_t *list = json_object_get(json_array_get(sg, i), "op_list");
			size_t m = json_is_array(list) ? json_array_size(list) : 0;
			if (m < 2)
				return aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': supergroups[%zu].op_list needs at least two op types", p->name, i);
			c->supergroups[i] = calloc(m, sizeof(char *));
			c->n_supergroups = i + 1;
			if (!c->supergroups[i])
				return aimet_error(p->ctx, AIMET_ERR_NOMEM, "out of memory");
			c->supergroup_len[i] = m;
			for (size_t j = 0; j < m; j++) {
				json_t *s = json_array_get(list, j);
				if (!json_is_string(s))
					return aimet_error(p->ctx, AIMET_ERR_FORMAT, "cannot read '%s': supergroups[%zu].op_list must hold op type names", p->name, i);
				c->supergroups[i][j] = strdup(json_string_value(s));
			}
		}
	}
	if ((mi = json_object_get(root, "model_input"))) {
		int b = get_bool(p, mi, "is_input_quantized", "model_input");
		if (b >= 0)
			c->model_input_quantized = b;
	}
	if ((mo = json_object_get(root, "model_output"))) {
		int b = get_bool(p, mo, "is_output_quantized", "model_output");
		if (b >= 0)
			c->model_output_quantized = b;
	}
	return p->st;
}

int aimet_qconfig_parse(struct aimet_ctx *ctx, const char *text, size_t len, const char *name,
                        struct aimet_qconfig **out)
{
	struct cfgparse p = {ctx, name, 0};
	struct aimet_qconfig *c;
	json_t *root = NULL;
	size_t i = 0;
	int st;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i < len && text[i] == '{') {
		json_error_t err;
		root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
		if (!root)
			return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': line %d: %s", name, err.line, err.text);
	} else if ((st = yaml_to_json(ctx, text, len, name, &root))) {
		return st;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(root);
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	}
	st = interpret(&p, root, c);
	json_decref(root);
	if (st) {
		aimet_qconfig_free(c);
		return st;
	}
	*out = c;
	return AIMET_OK;
}

int aimet_qconfig_read(struct aimet_ctx *ctx, const char *path, struct aimet_qconfig **out)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len = 0, cap = 65536;
	int st;
	if (!f)
		return aimet_error(ctx, AIMET_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap)
			break;
		if (cap >= MAX_FILE) {
			free(buf);
			fclose(f);
			return aimet_error(ctx, AIMET_ERR_FORMAT, "cannot read '%s': configuration larger than %zu MiB", path, MAX_FILE >> 20);
		}
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	if (!buf || ferror(f)) {
		free(buf);
		fclose(f);
		return aimet_error(ctx, buf ? AIMET_ERR_IO : AIMET_ERR_NOMEM, "cannot read '%s'", path);
	}
	fclose(f);
	st = aimet_qconfig_parse(ctx, buf, len, path, out);
	free(buf);
	return st;
}

static void params_free(struct aimet_qconfig_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].name);
	free(p);
}

void aimet_qconfig_free(struct aimet_qconfig *c)
{
	if (!c)
		return;
	params_free(c->params, c->n_params);
	for (size_t i = 0; i < c->n_ops; i++) {
		free(c->ops[i].op_type);
		params_free(c->ops[i].params, c->ops[i].n_params);
	}
	free(c->ops);
	for (size_t i = 0; i < c->n_supergroups; i++) {
		for (size_t j = 0; j < c->supergroup_len[i]; j++)
			free(c->supergroups[i][j]);
		free(c->supergroups[i]);
	}
	free(c->supergroups);
	free(c->supergroup_len);
	free(c);
}

const struct aimet_qconfig_op *aimet_qconfig_op(const struct aimet_qconfig *c, const char *op_type)
{
	for (size_t i = 0; i < c->n_ops; i++)
		if (!strcmp(c->ops[i].op_type, op_type))
			return &c->ops[i];
	return NULL;
}

int aimet_qconfig_output_quantized(const struct aimet_qconfig *c, const char *op_type)
{
	const struct aimet_qconfig_op *op = aimet_qconfig_op(c, op_type);
	return op && op->is_output_quantized >= 0 ? op->is_output_quantized : c->act_quantized;
}

static const struct aimet_qconfig_param *find_param(const struct aimet_qconfig_param *p, size_t n,
                                                    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}

void aimet_qconfig_param_settings(const struct aimet_qconfig *c, const char *op_type,
                                  const char *param, int *quantized, int *symmetric,
                                  int *per_channel)
{
	const struct aimet_qconfig_op *op = aimet_qconfig_op(c, op_type);
	const struct aimet_qconfig_param *gp = find_param(c->params, c->n_params, param);
	const struct aimet_qconfig_param *opp = op ? find_param(op->params, op->n_params, param) : NULL;
	*quantized = c->param_quantized;
	*symmetric = c->param_symmetric;
	*per_channel = c->per_channel;
	if (gp && gp->is_quantized >= 0)
		*quantized = gp->is_quantized;
	if (gp && gp->is_symmetric >= 0)
		*symmetric = gp->is_symmetric;
	if (op && op->per_channel >= 0)
		*per_channel = op->per_channel;
	if (opp && opp->is_quantized >= 0)
		*quantized = opp->is_quantized;
	if (opp && opp->is_symmetric >= 0)
		*symmetric = opp->is_symmetric;
}
