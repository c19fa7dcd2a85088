/* registry.c: the table of ops built from ops.def, and lookup by (domain, op_type). */
#include "aimet_ops.h"

#include <string.h>

#define AIMET_OP(X) extern const struct aimet_op aimet_op_##X;
#include "ops.def"
#undef AIMET_OP

static const struct aimet_op *const op_table[] = {
#define AIMET_OP(X) &aimet_op_##X,
#include "ops.def"
#undef AIMET_OP
	NULL
};

const struct aimet_op *const *aimet_op_list(size_t *n)
{
	*n = sizeof(op_table) / sizeof(op_table[0]) - 1;
	return op_table;
}

static int is_default_domain(const char *d)
{
	return !d || !d[0] || !strcmp(d, "ai.onnx");
}

const struct aimet_op *aimet_op_find(const char *domain, const char *op_type)
{
	if (!op_type)
		return NULL;
	for (size_t i = 0; op_table[i]; i++) {
		const struct aimet_op *op = op_table[i];
		if (strcmp(op->op_type, op_type))
			continue;
		if (is_default_domain(domain) ? is_default_domain(op->domain)
		                              : (op->domain && !strcmp(op->domain, domain)))
			return op;
	}
	return NULL;
}
