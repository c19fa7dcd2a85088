/* cli.c: the conventions every tool shares (CLI.md) — option parsing, one-line errors and exit
 * codes, atomic output with '-' for stdout, signals, -j threads and the progress line. */
#include "cli.h"
#include "aimet_io.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

int cli_verbosity = 1;
static const char *progname = "aimet";
static struct aimet_ctx *cli_ctx;
static volatile int interrupted_flag;
static volatile sig_atomic_t first_signal;

const char *cli_progname(void) { return progname; }

/* ---- signals ----
 * The first SIGINT/SIGTERM only raises ctx->interrupted so long work can stop at a safe point
 * and the tool exits through cli_die_ctx (which removes temporaries). A second signal, or a
 * tool that does not notice within the grace period (SIGALRM), ends the process here. */
#define CLI_GRACE_SECONDS 2

static void write_str(const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(2, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void hard_exit(int sig)
{
	aimet_tmpfiles_cleanup();
	if (sig != SIGPIPE) {
		write_str(progname);
		write_str(": interrupted\n");
	}
	_exit(128 + sig);
}

static void on_signal(int sig)
{
	if (sig == SIGALRM) {
		hard_exit(first_signal ? first_signal : SIGINT);
	} else if (sig == SIGINT || sig == SIGTERM) {
		if (first_signal)
			hard_exit(sig);
		first_signal = sig;
		interrupted_flag = 1;
		alarm(CLI_GRACE_SECONDS);
	} else {
		hard_exit(sig);
	}
}

static void install(int sig)
{
	struct sigaction sa, old;
	/* a signal ignored by whoever started us (nohup, a background job) stays ignored */
	if ((sig == SIGINT || sig == SIGHUP || sig == SIGPIPE) && sigaction(sig, NULL, &old) == 0 &&
	    old.sa_handler == SIG_IGN)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Exit status for a failure: 128+signal when a signal caused it, else 1. */
static int fail_status(void)
{
	return first_signal ? 128 + first_signal : CLI_EXIT_FAIL;
}

static void set_threads(int n)
{
	if (cli_ctx)
		cli_ctx->threads = n;
#ifdef _OPENMP
	omp_set_num_threads(n);
#endif
}

struct aimet_ctx *cli_init(const char *name)
{
	const char *slash = name ? strrchr(name, '/') : NULL;
	progname = slash ? slash + 1 : (name && *name ? name : "aimet");
	cli_ctx = aimet_ctx_new();
	if (!cli_ctx) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(CLI_EXIT_FAIL);
	}
	cli_ctx->interrupted = &interrupted_flag;
	/* a tool that returns without committing an output leaves no temporary behind */
	{
		static int registered;
		if (!registered++)
			atexit(aimet_tmpfiles_cleanup);
	}
	install(SIGINT);
	install(SIGTERM);
	install(SIGHUP);
	install(SIGALRM);
	install(SIGPIPE);
	set_threads(1);
	return cli_ctx;
}

/* ---- messages ---- */
static void progress_clear(void);

static void vmessage(const char *fmt, va_list ap)
{
	char buf[2048];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* errors are exactly one line, whatever the message carries */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	progress_clear();
	fprintf(stderr, "%s: %s\n", progname, buf);
}

void cli_die(const char *fmt, ...)
{
	va_list ap;
	aimet_tmpfiles_cleanup();
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	exit(fail_status());
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	aimet_tmpfiles_cleanup();
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	exit(CLI_EXIT_USAGE);
}

void cli_die_ctx(struct aimet_ctx *ctx)
{
	cli_die("%s", aimet_errmsg(ctx));
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;
	if (cli_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void cli_debug(const char *fmt, ...)
{
	va_list ap;
	if (cli_verbosity < 2)
		return;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = aimet_calloc(n, size);
	if (!p)
		cli_die("out of memory");
	return p;
}

/* ---- atomic output ---- */
struct cli_out {
	char *path;
	char *tmp;     /* NULL when writing in place (stdout, a device, a fifo) */
	FILE *fp;
	int is_stdout;
};

static struct aimet_ctx *out_ctx(void)
{
	if (!cli_ctx && !(cli_ctx = aimet_ctx_new()))
		cli_die("out of memory");
	return cli_ctx;
}

struct cli_out *cli_out_open(const char *path, int binary)
{
	struct cli_out *o = xcalloc(1, sizeof(*o));
	struct stat st;
	if (!path || !*path)
		cli_usage_error("empty output file name");
	if (!(o->path = strdup(path)))
		cli_die("out of memory");
	if (!strcmp(path, "-")) {
		if (binary && isatty(STDOUT_FILENO))
			cli_die("refusing to write a binary model to a terminal");
		o->is_stdout = 1;
		o->fp = stdout;
		return o;
	}
	/* A device or fifo (/dev/null, /dev/stdout) cannot be replaced by rename: write to it. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			cli_die("cannot write '%s': is a directory", path);
		if (binary && S_ISCHR(st.st_mode)) {
			int fd;
			o->fp = fopen(path, "wb");
			fd = o->fp ? fileno(o->fp) : -1;
			if (fd >= 0 && isatty(fd)) {
				fclose(o->fp);
				cli_die("refusing to write a binary model to a terminal");
			}
		} else {
			o->fp = fopen(path, "wb");
		}
		if (!o->fp)
			cli_die("cannot write '%s': %s", path, strerror(errno));
		return o;
	}
	if (aimet_tmpfile_create(out_ctx(), path, &o->tmp, &o->fp) < 0)
		cli_die_ctx(cli_ctx);
	return o;
}

FILE *cli_out_fp(struct cli_out *o) { return o->fp; }

const char *cli_out_tmppath(struct cli_out *o)
{
	return o->is_stdout ? "-" : o->tmp ? o->tmp : o->path;
}

const char *cli_out_path(struct cli_out *o) { return o->path; }

static void out_free(struct cli_out *o)
{
	free(o->path);
	free(o->tmp);
	free(o);
}

void cli_out_commit(struct cli_out *o)
{
	if (!o)
		return;
	if (o->is_stdout || !o->tmp) {
		int bad = fflush(o->fp) != 0 || ferror(o->fp);
		int e = errno;
		if (!o->is_stdout && fclose(o->fp) != 0 && !bad) {
			bad = 1;
			e = errno;
		}
		if (bad) {
			if (o->is_stdout)
				cli_die("cannot write to stdout: %s", e ? strerror(e) : "write error");
			cli_die("cannot write '%s': %s", o->path, e ? strerror(e) : "write error");
		}
		out_free(o);
		return;
	}
	if (aimet_tmpfile_commit(out_ctx(), o->fp, o->tmp, o->path) < 0) {
		o->fp = NULL;
		cli_die_ctx(cli_ctx);
	}
	out_free(o);
}

void cli_out_abort(struct cli_out *o)
{
	if (!o)
		return;
	if (o->tmp)
		aimet_tmpfile_discard(o->fp, o->tmp);
	else if (!o->is_stdout && o->fp)
		fclose(o->fp);
	out_free(o);
}

/* ---- option parsing ---- */
static const struct cli_opt common_opts[] = {
	{"help", 'h', 0, 0, "print this help and exit", NULL},
	{"version", 'V', 0, 0, "print the version and exit", NULL},
	{"quiet", 'q', 0, 0, "no progress or informational messages", NULL},
	{"verbose", 'v', 0, 0, "more messages", NULL},
	{"threads", 'j', 1, 0, "worker threads (default 1; 0 = all cores)", "N"},
	{NULL, 0, 0, 0, NULL, NULL}
};
enum { C_HELP, C_VERSION, C_QUIET, C_VERBOSE, C_THREADS, N_COMMON };

static int table_len(const struct cli_opt *opts)
{
	int n = 0;
	while (opts && (opts[n].long_name || opts[n].short_name))
		n++;
	return n;
}

/* Index into the merged numbering: tool options 0..n-1, common options n..n+N_COMMON-1.
 * The tool's table wins when both define a name. */
static int find_long(const struct cli_opt *opts, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (opts[i].long_name && strlen(opts[i].long_name) == len &&
		    !strncmp(opts[i].long_name, name, len))
			return i;
	for (int i = 0; i < N_COMMON; i++)
		if (strlen(common_opts[i].long_name) == len && !strncmp(common_opts[i].long_name, name, len))
			return n + i;
	return -1;
}

static int find_short(const struct cli_opt *opts, int n, char c)
{
	for (int i = 0; i < n; i++)
		if (opts[i].short_name == c)
			return i;
	for (int i = 0; i < N_COMMON; i++)
		if (common_opts[i].short_name == c)
			return n + i;
	return -1;
}

static const struct cli_opt *opt_at(const struct cli_opt *opts, int n, int idx)
{
	return idx < n ? &opts[idx] : &common_opts[idx - n];
}

static void print_opt(FILE *f, const struct cli_opt *o)
{
	char left[96];
	int len = 0;
	if (o->short_name && o->long_name)
		len = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->long_name);
	else if (o->short_name)
		len = snprintf(left, sizeof(left), "  -%c", o->short_name);
	else
		len = snprintf(left, sizeof(left), "      --%s", o->long_name);
	if (o->takes_value && len > 0 && (size_t)len < sizeof(left))
		snprintf(left + len, sizeof(left) - (size_t)len, " %s", o->arg ? o->arg : "VALUE");
	if (strlen(left) < 28)
		fprintf(f, "%-28s %s\n", left, o->help ? o->help : "");
	else
		fprintf(f, "%s\n%-28s %s\n", left, "", o->help ? o->help : "");
}

void cli_print_help(FILE *f, const struct cli_opt *opts, const char *usage)
{
	int n = table_len(opts);
	if (usage && *usage) {
		fputs(usage, f);
		if (usage[strlen(usage) - 1] != '\n')
			fputc('\n', f);
	}
	fputs("\nOptions:\n", f);
	for (int i = 0; i < n; i++)
		print_opt(f, &opts[i]);
	/* the common options, unless the tool's table redefines the name */
	for (int i = 0; i < N_COMMON; i++) {
		int shadowed = 0;
		for (int k = 0; k < n; k++)
			shadowed |= opts[k].long_name && !strcmp(opts[k].long_name, common_opts[i].long_name);
		if (!shadowed)
			print_opt(f, &common_opts[i]);
	}
}

static void record(struct cli_args *out, int idx, const char *val)
{
	const char **v;
	out->val[idx] = val;
	v = aimet_realloc_array((void *)out->vals[idx], (size_t)out->count[idx] + 2, sizeof(*v));
	if (!v)
		cli_die("out of memory");
	v[out->count[idx]] = val;
	v[out->count[idx] + 1] = NULL;
	out->vals[idx] = v;
	out->count[idx]++;
}

static const char *dashed(const char *opt, char *buf, size_t len)
{
	if (!opt)
		return "option";
	if (opt[0] == '-')
		return opt;
	snprintf(buf, len, "--%s", opt);
	return buf;
}

void cli_parse(int argc, char **argv, const struct cli_opt *opts, const char *usage,
               struct cli_args *out, struct aimet_ctx *ctx)
{
	int n = table_len(opts), total = n + N_COMMON, only_pos = 0;
	memset(out, 0, sizeof(*out));
	out->count = xcalloc((size_t)total, sizeof(*out->count));
	out->val = xcalloc((size_t)total, sizeof(*out->val));
	out->vals = xcalloc((size_t)total, sizeof(*out->vals));
	out->pos = xcalloc((size_t)(argc > 0 ? argc : 1), sizeof(*out->pos));
	if (ctx && !cli_ctx)
		cli_ctx = ctx;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == '\0') {
			out->pos[out->n_pos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int idx = find_long(opts, n, name, len);
			const struct cli_opt *o;
			if (idx < 0)
				cli_usage_error("unknown option '--%.*s'", (int)len, name);
			o = opt_at(opts, n, idx);
			if (o->takes_value) {
				if (eq)
					record(out, idx, eq + 1);
				else if (i + 1 < argc)
					record(out, idx, argv[++i]);
				else
					cli_usage_error("option '--%s' needs a value", o->long_name);
			} else {
				if (eq)
					cli_usage_error("option '--%s' takes no value", o->long_name);
				record(out, idx, "");
			}
			continue;
		}
		/* a cluster of short options: -qv, -j4, -oFILE, -o FILE */
		for (const char *p = a + 1; *p; p++) {
			int idx = find_short(opts, n, *p);
			const struct cli_opt *o;
			if (idx < 0)
				cli_usage_error("unknown option '-%c'", *p);
			o = opt_at(opts, n, idx);
			if (!o->takes_value) {
				record(out, idx, "");
				continue;
			}
			if (p[1])
				record(out, idx, p + 1);
			else if (i + 1 < argc)
				record(out, idx, argv[++i]);
			else
				cli_usage_error("option '-%c' needs a value", *p);
			break;
		}
	}
	for (int i = 0; i < n; i++)
		if (out->count[i] > 1 && !opts[i].repeatable && opts[i].takes_value == 0)
			out->count[i] = 1;   /* a flag given twice is still just set */
	if (out->count[n + C_HELP]) {
		cli_print_help(stdout, opts, usage);
		fflush(stdout);
		exit(ferror(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK);
	}
	if (out->count[n + C_VERSION]) {
		printf("%s (aimet-tools) %s\n", progname, AIMET_VERSION);
		fflush(stdout);
		exit(ferror(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK);
	}
	/* -q and -v: the last one given wins; counting order is lost, so scan argv again */
	if (out->count[n + C_QUIET] || out->count[n + C_VERBOSE]) {
		int v = 1;
		for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
			const char *a = argv[i];
			if (!strcmp(a, "--quiet"))
				v = 0;
			else if (!strcmp(a, "--verbose"))
				v = 2;
			else if (a[0] == '-' && a[1] != '-' && a[1])
				for (const char *p = a + 1; *p; p++) {
					int idx = find_short(opts, n, *p);
					if (idx == n + C_QUIET)
						v = 0;
					else if (idx == n + C_VERBOSE)
						v = 2;
					else if (idx >= 0 && opt_at(opts, n, idx)->takes_value) {
						if (!p[1])
							i++;
						break;
					}
				}
			else if (a[0] == '-' && a[1] == '-' && !strchr(a, '=')) {
				int idx = find_long(opts, n, a + 2, strlen(a + 2));
				if (idx >= 0 && opt_at(opts, n, idx)->takes_value)
					i++;
			}
		}
		cli_verbosity = v;
	}
	if (out->count[n + C_THREADS]) {
		long t = cli_parse_long("--threads", out->val[n + C_THREADS], 0, 4096);
		if (t == 0) {
			long nc = sysconf(_SC_NPROCESSORS_ONLN);
			t = nc > 0 ? nc : 1;
		}
		if (ctx)
			ctx->threads = (int)t;
		set_threads((int)t);
	}
	if (ctx)
		ctx->verbose = cli_verbosity;
}

static int lookup(const struct cli_opt *opts, const char *name)
{
	int n = table_len(opts);
	for (int i = 0; i < n; i++)
		if (opts[i].long_name && !strcmp(opts[i].long_name, name))
			return i;
	for (int i = 0; i < N_COMMON; i++)
		if (!strcmp(common_opts[i].long_name, name))
			return n + i;
	return -1;
}

const char *cli_get(const struct cli_args *a, const struct cli_opt *opts, const char *name)
{
	int i = lookup(opts, name);
	return i >= 0 && a->count[i] ? a->val[i] : NULL;
}

int cli_has(const struct cli_args *a, const struct cli_opt *opts, const char *name)
{
	int i = lookup(opts, name);
	return i >= 0 && a->count[i] > 0;
}

int cli_get_all(const struct cli_args *a, const struct cli_opt *opts, const char *name,
                const char ***vals)
{
	int i = lookup(opts, name);
	static const char *none[1] = {NULL};
	if (i < 0 || !a->count[i]) {
		if (vals)
			*vals = none;
		return 0;
	}
	if (vals)
		*vals = a->vals[i];
	return a->count[i];
}

void cli_args_free(struct cli_args *a, const struct cli_opt *opts)
{
	int total = table_len(opts) + N_COMMON;
	if (!a)
		return;
	for (int i = 0; a->vals && i < total; i++)
		free((void *)a->vals[i]);
	free(a->vals);
	free(a->val);
	free(a->count);
	free(a->pos);
	memset(a, 0, sizeof(*a));
}

/* ---- numbers ---- */
long cli_parse_long(const char *opt, const char *s, long lo, long hi)
{
	char buf[96], *end;
	long v;
	errno = 0;
	v = s ? strtol(s, &end, 10) : 0;
	if (!s || !*s || isspace((unsigned char)*s) || *end || errno || v < lo || v > hi)
		cli_usage_error("invalid value '%s' for %s (expected an integer from %ld to %ld)",
		                s ? s : "", dashed(opt, buf, sizeof(buf)), lo, hi);
	return v;
}

double cli_parse_double(const char *opt, const char *s, double lo, double hi)
{
	char buf[96], *end;
	double v;
	errno = 0;
	v = s ? strtod(s, &end) : 0;
	if (!s || !*s || isspace((unsigned char)*s) || *end || errno == ERANGE || !isfinite(v) ||
	    v < lo || v > hi)
		cli_usage_error("invalid value '%s' for %s (expected a number from %g to %g)",
		                s ? s : "", dashed(opt, buf, sizeof(buf)), lo, hi);
	return v;
}

int cli_parse_floats(const char *opt, const char *s, float *out, int max)
{
	char buf[96];
	const char *p = s;
	int n = 0;
	if (!s || !*s)
		cli_usage_error("empty value for %s", dashed(opt, buf, sizeof(buf)));
	for (;;) {
		char *end;
		double v;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno == ERANGE || !isfinite(v) || (*end && *end != ','))
			cli_usage_error("invalid value '%s' for %s (expected numbers separated by commas)",
			                s, dashed(opt, buf, sizeof(buf)));
		if (n >= max)
			cli_usage_error("too many values for %s (at most %d)", dashed(opt, buf, sizeof(buf)), max);
		out[n++] = (float)v;
		if (!*end)
			break;
		p = end + 1;
	}
	return n;
}

/* ---- the shared data options ---- */
int cli_dataset_spec(const struct cli_args *a, const struct cli_opt *opts,
                     struct aimet_dataset_spec *out)
{
	const char **vals;
	const char *s;
	int n = cli_get_all(a, opts, "data", &vals);
	aimet_dataset_spec_init(out);
	if (n > AIMET_DATASET_MAX_INPUTS)
		cli_usage_error("too many --data options (at most %d)", AIMET_DATASET_MAX_INPUTS);
	for (int i = 0; i < n; i++) {
		const char *v = vals[i], *eq = strchr(v, '=');
		struct stat st;
		if (!*v)
			cli_usage_error("empty value for --data");
		/* NAME=FILE, unless the whole value names an existing file */
		if (eq && stat(v, &st) != 0) {
			if (eq == v || !eq[1])
				cli_usage_error("invalid value '%s' for --data (expected FILE or NAME=FILE)", v);
			out->names[i] = aimet_strndup(v, (size_t)(eq - v));
			if (!out->names[i])
				cli_die("out of memory");
			out->owned_names = 1;
			out->paths[i] = eq + 1;
		} else {
			out->paths[i] = v;
		}
		for (int j = 0; j < i; j++)
			if (out->names[i] && out->names[j] && !strcmp(out->names[i], out->names[j]))
				cli_usage_error("--data given twice for input '%s'", out->names[i]);
	}
	for (int i = 0; i < n; i++)
		if ((out->names[i] == NULL) != (out->names[0] == NULL) || (n > 1 && !out->names[i]))
			cli_usage_error("several --data options need the NAME=FILE form for each");
	out->n_sources = n;
	if ((s = cli_get(a, opts, "scale")))
		out->scale = (float)cli_parse_double("--scale", s, -1e30, 1e30);
	if ((s = cli_get(a, opts, "mean")))
		out->n_mean = cli_parse_floats("--mean", s, out->mean, AIMET_DATASET_MAX_CHANNELS);
	if ((s = cli_get(a, opts, "std"))) {
		out->n_std = cli_parse_floats("--std", s, out->std, AIMET_DATASET_MAX_CHANNELS);
		for (int i = 0; i < out->n_std; i++)
			if (out->std[i] == 0)
				cli_usage_error("invalid value '%s' for --std (values must not be zero)", s);
	}
	if ((s = cli_get(a, opts, "samples")))
		out->samples = cli_parse_long("--samples", s, 1, 0x7fffffffL);
	if ((s = cli_get(a, opts, "batch")))
		out->batch = cli_parse_long("--batch", s, 1, 1L << 20);
	if (!n && (out->n_mean || out->n_std || cli_get(a, opts, "scale")))
		cli_usage_error("--scale, --mean and --std need --data");
	return n;
}

/* ---- progress ---- */
static struct timespec last_progress;
static int progress_shown;        /* a \r line is on the terminal */
static int progress_pending;      /* a plain-mode message was suppressed */
static char progress_last[512];
static int progress_tty = -1;

static double since_last(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last_progress.tv_sec && !last_progress.tv_nsec)
		return 1e9;
	return (double)(now.tv_sec - last_progress.tv_sec) +
	       (double)(now.tv_nsec - last_progress.tv_nsec) * 1e-9;
}

void cli_progress(const char *fmt, ...)
{
	va_list ap;
	double dt;
	if (cli_verbosity < 1)
		return;
	if (progress_tty < 0)
		progress_tty = isatty(STDERR_FILENO);
	va_start(ap, fmt);
	vsnprintf(progress_last, sizeof(progress_last), fmt, ap);
	va_end(ap);
	for (char *p = progress_last; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	dt = since_last();
	if (dt < (progress_tty ? 0.1 : 2.0)) {
		progress_pending = 1;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &last_progress);
	progress_pending = 0;
	if (progress_tty) {
		fprintf(stderr, "\r%s: %s\033[K", progname, progress_last);
		progress_shown = 1;
	} else {
		fprintf(stderr, "%s: %s\n", progname, progress_last);
	}
	fflush(stderr);
}

/* A message replaces the updating line rather than being appended to it. */
static void progress_clear(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
	progress_pending = 0;
}

void cli_progress_done(void)
{
	if (progress_pending && cli_verbosity >= 1) {
		if (progress_tty)
			fprintf(stderr, "\r%s: %s\033[K", progname, progress_last);
		else
			fprintf(stderr, "%s: %s\n", progname, progress_last);
		progress_shown = progress_tty;
	}
	if (progress_shown)
		fputc('\n', stderr);
	progress_shown = progress_pending = 0;
	memset(&last_progress, 0, sizeof(last_progress));
	fflush(stderr);
}

int cli_interrupted(void) { return interrupted_flag != 0; }

void cli_check_writable(const char *path)
{
	char dir[4096];
	const char *slash;
	if (!path || !strcmp(path, "-"))
		return;
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (access(dir, W_OK | X_OK))
		cli_die("cannot write '%s': %s", path, strerror(errno));
}

int cli_get_list(const struct cli_args *a, const struct cli_opt *opts, const char *name,
                 char **store, const char ***out)
{
	const char **vals, **list;
	int n = cli_get_all(a, opts, name, &vals), count = 0;
	size_t len = 0;
	char *buf, *p;
	*out = NULL;
	*store = NULL;
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++)
		len += strlen(vals[i]) + 1;
	if (!(buf = malloc(len)) || !(list = calloc(len + 1, sizeof(*list))))
		cli_die("out of memory");
	p = buf;
	for (int i = 0; i < n; i++) {
		char *save = NULL;
		strcpy(p, vals[i]);
		for (char *t = strtok_r(p, ",", &save); t; t = strtok_r(NULL, ",", &save))
			list[count++] = t;
		p += strlen(vals[i]) + 1;
	}
	if (!count)
		cli_usage_error("--%s: empty list", name);
	*store = buf;
	*out = list;
	return count;
}
