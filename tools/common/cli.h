/* cli.h: conventions every tool shares (CLI.md): errors and exit codes, '-' for stdin/stdout,
 * atomic output, the data and quantization options, -j threads, progress lines. */
#ifndef AIMET_CLI_H
#define AIMET_CLI_H

#include <stdio.h>
#include "aimet.h"

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

/* Progress: a single updating line on a terminal, periodic plain lines otherwise, nothing
 * when quiet. */
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

#endif
