/* cli.h: conventions every tool shares (CLI.md): errors and exit codes, '-' for stdin/stdout,
 * atomic output, the data and quantization options, -j threads, progress lines. */
#ifndef AIMET_CLI_H
#define AIMET_CLI_H

#include <stdio.h>
#include "aimet.h"
#include "aimet_io.h"

/* Exit codes */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Call first in main(): sets the program name for messages, installs SIGINT/SIGTERM handlers
 * that remove pending temporary output files and exit 130/143, and makes the context
 * (threads from -j default 1, interruption flag wired to the handlers). */
struct aimet_ctx *cli_init(const char *progname);
const char *cli_progname(void);

/* "prog: message" on stderr, then exit(1) / exit(2). Messages are one line, lowercase. */
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* "prog: <library message>" and exit(1). */
void cli_die_ctx(struct aimet_ctx *ctx) __attribute__((noreturn));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Verbosity from -q/-v: 0 quiet, 1 normal, 2 verbose. */
extern int cli_verbosity;
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* only when >= 1 */

/* Atomic output: the file is written to a temporary in the same directory and renamed into
 * place by cli_out_commit. "-" means stdout (no temporary). A pending file is removed by
 * cli_out_abort, by cli_die*, and by the signal handlers. `binary` refuses a terminal stdout. */
struct cli_out;
struct cli_out *cli_out_open(const char *path, int binary);   /* dies on failure */
FILE *cli_out_fp(struct cli_out *o);
const char *cli_out_tmppath(struct cli_out *o);  /* path being written ("-" for stdout) */
void cli_out_commit(struct cli_out *o);          /* flush, check errors, rename; dies on failure */
void cli_out_abort(struct cli_out *o);

/* Option parsing: options may come before or after positional arguments; "--" ends options.
 * Each tool declares a table; values are strings parsed by the helpers below. */
struct cli_opt {
	const char *long_name;   /* "data" for --data */
	char short_name;         /* 'o' for -o, 0 if none */
	int takes_value;         /* 1 if it takes an argument */
	int repeatable;          /* may be given several times (values collected) */
	const char *help;        /* one line for --help; "VALUE" placeholder is in `arg` */
	const char *arg;         /* placeholder name, e.g. "FILE" */
};
struct cli_args {
	int n_pos; const char **pos;         /* positional arguments */
	/* per option (index in the table): count given and values (last value in val[i]) */
	int *count; const char **val; const char ***vals;
};
/* Parses argv against the table plus the common options (-h/--help, -V/--version, -q, -v,
 * -j/--threads N). --help prints `usage` then the option table and exits 0; -V prints the
 * version; unknown options or missing values are usage errors (exit 2). */
void cli_parse(int argc, char **argv, const struct cli_opt *opts, const char *usage,
               struct cli_args *out, struct aimet_ctx *ctx);
/* Value of option `name` or NULL (last one given). */
const char *cli_get(const struct cli_args *a, const struct cli_opt *opts, const char *name);
int cli_has(const struct cli_args *a, const struct cli_opt *opts, const char *name);
/* All values of a repeatable option; returns count. */
int cli_get_all(const struct cli_args *a, const struct cli_opt *opts, const char *name,
                const char ***vals);
/* Numeric parsing with range checks; usage error naming the option on failure. */
long cli_parse_long(const char *opt, const char *s, long lo, long hi);
double cli_parse_double(const char *opt, const char *s, double lo, double hi);
/* Comma-separated floats ("0.485,0.456,0.406"); returns count, dies on bad input. */
int cli_parse_floats(const char *opt, const char *s, float *out, int max);

/* ---- additions (declarations above are unchanged) ----
 * Option tables end with an all-zero entry: {0}. Options may be spliced in from the shared
 * fragments below, e.g.
 *   static const struct cli_opt opts[] = {
 *       {"output", 'o', 1, 0, "write the model to FILE ('-' = stdout)", "FILE"},
 *       CLI_DATA_OPTS, CLI_QUANT_OPTS, {0}};
 * Long options: --opt=value or --opt value; short: -o value, -ovalue, clusters -qv. A
 * non-repeatable option given twice keeps its last value. "-" alone is a positional argument.
 * Usage errors print one line "prog: ..." and exit 2. */
#define CLI_DATA_OPTS \
	{"data", 0, 1, 1, "input data: .npy, .pb or a directory; NAME=FILE for each of several inputs", "FILE"}, \
	{"scale", 0, 1, 0, "multiply the data by S before --mean/--std", "S"}, \
	{"mean", 0, 1, 0, "subtract per-channel means (axis 1)", "a[,b,c]"}, \
	{"std", 0, 1, 0, "divide by per-channel standard deviations", "a[,b,c]"}, \
	{"samples", 0, 1, 0, "use at most N samples", "N"}, \
	{"batch", 0, 1, 0, "batch size when running the model", "N"}
#define CLI_QUANT_OPTS \
	{"param-bw", 0, 1, 0, "parameter bitwidth, 4 to 16 (default 8; aimet-adaround: 4)", "N"}, \
	{"act-bw", 0, 1, 0, "activation bitwidth, 4 to 16 (default 8)", "N"}, \
	{"scheme", 0, 1, 0, "tf, tf_enhanced, percentile or mse (default tf_enhanced)", "SCHEME"}, \
	{"percentile", 0, 1, 0, "percentile for --scheme percentile", "P"}, \
	{"per-channel", 0, 0, 0, "quantize weights per output channel", NULL}, \
	{"config", 0, 1, 0, "quantsim config (JSON or YAML)", "FILE"}, \
	{"encodings", 0, 1, 0, "write the encodings to FILE", "FILE"}, \
	{"encoding-version", 0, 1, 0, "0.6.1, 1.0.0 or 2.0.0 (default 1.0.0)", "V"}, \
	{"freeze-params", 0, 1, 0, "take parameter encodings from FILE and keep them", "FILE"}

/* Fill `out` from CLI_DATA_OPTS values (aimet_dataset_spec_init first; names split from
 * NAME=FILE are owned by the spec: aimet_dataset_spec_clear). Dies with a usage error on a bad
 * value. Returns the number of --data sources (0 when none was given). The tool may then set
 * out->batch's default (when 0), dtypes[] and ranks[] from the model. */
int cli_dataset_spec(const struct cli_args *a, const struct cli_opt *opts,
                     struct aimet_dataset_spec *out);
/* --help text (what cli_parse prints for --help). */
void cli_print_help(FILE *f, const struct cli_opt *opts, const char *usage);
void cli_args_free(struct cli_args *a, const struct cli_opt *opts);
/* Only with -v. */
void cli_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Final path given to cli_out_open. */
const char *cli_out_path(struct cli_out *o);
/* Non-zero once SIGINT/SIGTERM arrived (the same flag as *ctx->interrupted). A tool that does
 * not stop by itself is ended 2 seconds after the first signal, at once on a second one; then,
 * and in cli_die* (exit 128+signal after a signal), pending temporaries are removed. */
int cli_interrupted(void);

/* Die (exit 1) before any work when an output path cannot be created: its directory must be
 * writable. "-" and NULL pass. */
void cli_check_writable(const char *path);
/* The values of a repeatable option holding comma-separated lists ("--layers a,b --layers c"),
 * as one list: returns the count; *out is the list and *store the strings it points into
 * (free both). 0 when the option was not given; an empty list is a usage error. */
int cli_get_list(const struct cli_args *a, const struct cli_opt *opts, const char *name,
                 char **store, const char ***out);

/* Progress: a single updating line on a terminal, periodic plain lines otherwise, nothing
 * when quiet. */
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

#endif
