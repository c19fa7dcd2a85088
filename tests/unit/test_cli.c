/* test_cli.c: tools/common — option parsing, usage errors, numbers, the data options, atomic
 * output (abort, die, signals, /dev/full, terminals) and progress lines. Run with the first
 * argument "tool" it is a tiny tool that tests/cli/test_common.sh drives from the shell. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../tools/common/cli.h"
#include "../test.h"

static char dir[256];

static const char *P(const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static const struct cli_opt opts[] = {
	{"output", 'o', 1, 0, "write the result to FILE ('-' = stdout)", "FILE"},
	{"flag", 'f', 0, 0, "a flag", NULL},
	{"name", 'n', 1, 0, "a name", "NAME"},
	CLI_DATA_OPTS,
	CLI_QUANT_OPTS,
	{"fail", 0, 0, 0, "fail after writing part of the output", NULL},
	{"sleep", 0, 1, 0, "sleep N seconds while the output is pending", "N"},
	{"check", 0, 0, 0, "stop at the interruption flag while sleeping", NULL},
	{"text", 0, 0, 0, "text output (a terminal is fine)", NULL},
	{"progress", 0, 1, 0, "emit N progress lines, 10 ms apart", "N"},
	{0}
};
static const char usage[] = "Usage: test_cli tool [OPTIONS] [ARGS]\nA tool for testing tools/common.";

/* ---- tool mode ---- */
static int tool_main(int argc, char **argv)
{
	struct aimet_ctx *ctx = cli_init(argv[0]);
	struct cli_args a;
	struct aimet_dataset_spec spec;
	const char *out, *s;
	cli_parse(argc - 1, argv + 1, opts, usage, &a, ctx);
	if (cli_dataset_spec(&a, opts, &spec)) {
		struct aimet_dataset *ds;
		struct aimet_tensor *b[AIMET_DATASET_MAX_INPUTS];
		int64_t batches = 0;
		double sum = 0;
		int rc;
		if (!spec.batch)
			spec.batch = 2;
		if (aimet_dataset_open(ctx, &spec, &ds) < 0)
			cli_die_ctx(ctx);
		while ((rc = aimet_dataset_next(ctx, ds, b)) == 1) {
			batches++;
			for (int i = 0; i < aimet_dataset_n_inputs(ds); i++)
				for (int64_t k = 0; k < aimet_tensor_numel(b[i]); k++)
					sum += aimet_tensor_get_f64(b[i], k);
		}
		if (rc < 0)
			cli_die_ctx(ctx);
		printf("samples %lld batches %lld sum %g\n", (long long)aimet_dataset_count(ds),
		       (long long)batches, sum);
		aimet_dataset_free(ds);
	}
	aimet_dataset_spec_clear(&spec);
	if ((s = cli_get(&a, opts, "progress"))) {
		long n = cli_parse_long("progress", s, 0, 1000);
		for (long i = 0; i < n; i++) {
			cli_progress("step %ld/%ld", i + 1, n);
			usleep(10000);
		}
		cli_progress_done();
	}
	if ((out = cli_get(&a, opts, "output"))) {
		struct cli_out *o = cli_out_open(out, !cli_has(&a, opts, "text"));
		int64_t dims[1] = {3};
		struct aimet_tensor *t = aimet_tensor_new(NULL, AIMET_FLOAT, 1, dims);
		if (!t || aimet_tensor_alloc(ctx, t))
			cli_die("out of memory");
		if (aimet_npy_write_fp(ctx, t, cli_out_fp(o), out) < 0)
			cli_die_ctx(ctx);
		aimet_tensor_free(t);
		if ((s = cli_get(&a, opts, "sleep"))) {
			long n = cli_parse_long("sleep", s, 0, 60);
			for (long i = 0; i < n * 100; i++) {
				if (cli_has(&a, opts, "check") && aimet_check_interrupt(ctx) < 0)
					cli_die_ctx(ctx);
				usleep(10000);
			}
		}
		if (cli_has(&a, opts, "fail"))
			cli_die("failed on purpose");
		cli_out_commit(o);
	}
	for (int i = 0; i < a.n_pos; i++)
		printf("pos %s\n", a.pos[i]);
	cli_args_free(&a, opts);
	aimet_ctx_free(ctx);
	return 0;
}

/* ---- in-process tests; exits are observed in a child ---- */
struct child { int status; char out[4096]; char err[4096]; };

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* Run fn(arg) in a child with stdout/stderr captured (stdout may be given, e.g. /dev/full). */
static struct child run(void (*fn)(void *), void *arg, const char *stdout_path)
{
	struct child c;
	pid_t pid;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int o = open(stdout_path ? stdout_path : P("child.out"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(P("child.err"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(o, 1);
		dup2(e, 2);
		fn(arg);
		fflush(NULL);
		_exit(0);
	}
	waitpid(pid, &c.status, 0);
	c.status = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : 200 + WTERMSIG(c.status);
	if (stdout_path)
		c.out[0] = 0;
	else
		slurp(P("child.out"), c.out, sizeof(c.out));
	slurp(P("child.err"), c.err, sizeof(c.err));
	return c;
}

static int one_line(const char *s, const char *want)
{
	const char *nl = strchr(s, '\n');
	return !strncmp(s, "test_cli: ", 10) && nl && !nl[1] && strstr(s, want);
}

static void parse_argv(char **argv)
{
	struct cli_args a;
	int argc = 0;
	struct aimet_ctx *ctx = cli_init("test_cli");
	while (argv[argc])
		argc++;
	cli_parse(argc, argv, opts, usage, &a, ctx);
	printf("ok %d\n", a.n_pos);
}

static void test_parse(void)
{
	struct aimet_ctx *ctx = cli_init("./dir/test_cli");
	struct cli_args a;
	const char **v;
	char *argv[] = {"prog", "in.onnx", "--data", "a.npy", "-o", "out.onnx", "--data=b=c.npy",
	                "-fq", "--name=x", "-nlast", "-j3", "--batch", "8", "-", "--per-channel",
	                "--data", "c.npy", "--", "-not-an-option", "--flag", NULL};
	CHECK(!strcmp(cli_progname(), "test_cli"), "progname is the base name");
	cli_parse(20, argv, opts, usage, &a, ctx);
	CHECK(a.n_pos == 4 && !strcmp(a.pos[0], "in.onnx") && !strcmp(a.pos[1], "-") &&
	      !strcmp(a.pos[2], "-not-an-option") && !strcmp(a.pos[3], "--flag"), "positionals %d",
	      a.n_pos);
	CHECK(!strcmp(cli_get(&a, opts, "output"), "out.onnx"), "-o value");
	CHECK(cli_has(&a, opts, "flag") && cli_verbosity == 0 && ctx->verbose == 0, "-fq cluster");
	CHECK(!strcmp(cli_get(&a, opts, "name"), "last"), "last of a repeated option");
	CHECK(ctx->threads == 3, "-j3 sets threads (%d)", ctx->threads);
	CHECK(!strcmp(cli_get(&a, opts, "batch"), "8") && cli_has(&a, opts, "per-channel"), "batch");
	CHECK(cli_get_all(&a, opts, "data", &v) == 3 && !strcmp(v[0], "a.npy") &&
	      !strcmp(v[1], "b=c.npy") && !strcmp(v[2], "c.npy") && v[3] == NULL, "repeated --data");
	CHECK(cli_get(&a, opts, "scale") == NULL && !cli_has(&a, opts, "scale") &&
	      cli_get_all(&a, opts, "mean", &v) == 0 && v && v[0] == NULL, "absent options");
	CHECK(cli_get(&a, opts, "no-such-option") == NULL, "unknown name lookup");
	cli_args_free(&a, opts);
	{
		char *argv2[] = {"prog", "-q", "-v", "--threads=2", NULL};
		cli_parse(4, argv2, opts, usage, &a, ctx);
		CHECK(cli_verbosity == 2 && ctx->threads == 2, "last of -q/-v wins, --threads=");
		cli_args_free(&a, opts);
		char *argv3[] = {"prog", "-v", "-o", "-q", "--quiet", NULL};
		cli_parse(5, argv3, opts, usage, &a, ctx);
		CHECK(cli_verbosity == 0 && !strcmp(cli_get(&a, opts, "output"), "-q"),
		      "an option value is not an option");
		cli_args_free(&a, opts);
		cli_verbosity = 1;
	}
	aimet_ctx_free(ctx);
}

static void test_usage_errors(void)
{
	static char *cases[][6] = {
		{"p", "--bogus", NULL},
		{"p", "-x", NULL},
		{"p", "-o", NULL},
		{"p", "--name", NULL},
		{"p", "--flag=yes", NULL},
		{"p", "-j", "many", NULL},
		{"p", "-j", "-1", NULL},
	};
	static const char *want[] = {"unknown option '--bogus'", "unknown option '-x'",
	                             "option '-o' needs a value", "option '--name' needs a value",
	                             "option '--flag' takes no value",
	                             "invalid value 'many' for --threads",
	                             "invalid value '-1' for --threads"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct child c = run((void (*)(void *))parse_argv, cases[i], NULL);
		CHECK(c.status == 2 && one_line(c.err, want[i]) && !c.out[0], "case %zu: %d '%s'", i,
		      c.status, c.err);
	}
	{
		char *h[] = {"p", "in", "--help", NULL};
		struct child c = run((void (*)(void *))parse_argv, h, NULL);
		CHECK(c.status == 0 && !c.err[0] && !strncmp(c.out, "Usage: test_cli tool", 20) &&
		      strstr(c.out, "  -o, --output FILE") && strstr(c.out, "--data FILE") &&
		      strstr(c.out, "--encoding-version V") && strstr(c.out, "-j, --threads N") &&
		      strstr(c.out, "-h, --help") && !strstr(c.out, "ok "), "--help: %s", c.out);
		char *V[] = {"p", "-V", NULL};
		c = run((void (*)(void *))parse_argv, V, NULL);
		CHECK(c.status == 0 && !strcmp(c.out, "test_cli (aimet-tools) " AIMET_VERSION "\n"),
		      "-V: %s", c.out);
		c = run((void (*)(void *))parse_argv, V, "/dev/full");
		CHECK(c.status == 1, "-V to /dev/full fails (%d)", c.status);
	}
}

static void die_long(void *s) { cli_init("test_cli"); cli_parse_long("--batch", s, 1, 100); }
static void die_double(void *s) { cli_init("test_cli"); cli_parse_double("scale", s, 0, 10); }
static void die_floats(void *s)
{
	float f[3];
	cli_init("test_cli");
	cli_parse_floats("--mean", s, f, 3);
}

static void test_numbers(void)
{
	float f[4];
	static const char *bad_long[] = {"", "abc", "12x", "0", "101", "99999999999999999999", " 5"};
	static const char *bad_double[] = {"", "x", "1e999", "nan", "-1", "11", "1.5.2", "inf"};
	static const char *bad_floats[] = {"", ",", "1,", "1,,2", "1,2,3,4", "a,b", "1;2"};
	CHECK(cli_parse_long("--batch", "42", 1, 100) == 42, "long");
	CHECK(cli_parse_double("--scale", "0.00392156862745098", 0, 1) > 0.0039, "double");
	CHECK(cli_parse_floats("--mean", "0.485,0.456,0.406", f, 4) == 3 && f[1] == 0.456f, "floats");
	CHECK(cli_parse_floats("--mean", "-1e-3", f, 4) == 1 && f[0] == -0.001f, "one float");
	for (size_t i = 0; i < sizeof(bad_long) / sizeof(bad_long[0]); i++) {
		struct child c = run(die_long, (void *)bad_long[i], NULL);
		CHECK(c.status == 2 && one_line(c.err, "for --batch (expected an integer from 1 to 100)"),
		      "bad long '%s': %d %s", bad_long[i], c.status, c.err);
	}
	for (size_t i = 0; i < sizeof(bad_double) / sizeof(bad_double[0]); i++) {
		struct child c = run(die_double, (void *)bad_double[i], NULL);
		CHECK(c.status == 2 && one_line(c.err, "for --scale"), "bad double '%s': %d %s",
		      bad_double[i], c.status, c.err);
	}
	for (size_t i = 0; i < sizeof(bad_floats) / sizeof(bad_floats[0]); i++) {
		struct child c = run(die_floats, (void *)bad_floats[i], NULL);
		CHECK(c.status == 2 && one_line(c.err, "--mean"), "bad floats '%s': %d %s",
		      bad_floats[i], c.status, c.err);
	}
}

static void spec_argv(void *p)
{
	char **argv = p;
	struct cli_args a;
	struct aimet_dataset_spec s;
	int argc = 0;
	while (argv[argc])
		argc++;
	cli_init("test_cli");
	cli_parse(argc, argv, opts, usage, &a, NULL);
	cli_dataset_spec(&a, opts, &s);
	printf("n %d\n", s.n_sources);
}

static void test_data_spec(void)
{
	struct aimet_ctx *ctx = cli_init("test_cli");
	struct cli_args a;
	struct aimet_dataset_spec s;
	char *argv[] = {"p", "--data", "image=x.npy", "--data", "ids=dir/", "--scale", "0.5", "--mean",
	                "1,2,3", "--std=4,5,6", "--samples", "10", "--batch", "4", NULL};
	cli_parse(14, argv, opts, usage, &a, ctx);
	CHECK(cli_dataset_spec(&a, opts, &s) == 2, "two sources");
	CHECK(!strcmp(s.names[0], "image") && !strcmp(s.paths[0], "x.npy") &&
	      !strcmp(s.names[1], "ids") && !strcmp(s.paths[1], "dir/"), "names and paths");
	CHECK(s.scale == 0.5f && s.n_mean == 3 && s.mean[2] == 3 && s.n_std == 3 && s.std[0] == 4 &&
	      s.samples == 10 && s.batch == 4, "values");
	aimet_dataset_spec_clear(&s);
	CHECK(s.names[0] == NULL && s.names[1] == NULL && !s.owned_names && s.scale == 0.5f &&
	      s.n_mean == 3 && s.batch == 4, "clear drops the names, keeps the preprocessing");
	cli_args_free(&a, opts);
	{
		char *argv2[] = {"p", "--data", "plain.npy", NULL};
		cli_parse(3, argv2, opts, usage, &a, ctx);
		CHECK(cli_dataset_spec(&a, opts, &s) == 1 && s.names[0] == NULL &&
		      !strcmp(s.paths[0], "plain.npy") && s.scale == 1 && s.n_mean == 0 &&
		      s.samples == 0 && s.batch == 0, "defaults");
		aimet_dataset_spec_clear(&s);
		cli_args_free(&a, opts);
	}
	{
		/* an existing file whose name contains '=' is a file, not NAME=FILE */
		FILE *f = fopen(P("a=b.npy"), "w");
		char *argv3[] = {"p", "--data", (char *)P("a=b.npy"), NULL};
		if (f)
			fclose(f);
		cli_parse(3, argv3, opts, usage, &a, ctx);
		CHECK(cli_dataset_spec(&a, opts, &s) == 1 && s.names[0] == NULL, "file with '='");
		aimet_dataset_spec_clear(&s);
		cli_args_free(&a, opts);
	}
	{
		char *none[] = {"p", NULL};
		cli_parse(1, none, opts, usage, &a, ctx);
		CHECK(cli_dataset_spec(&a, opts, &s) == 0, "no data");
		cli_args_free(&a, opts);
	}
	static char *bad[][8] = {
		{"p", "--data", "a.npy", "--data", "b.npy", NULL},
		{"p", "--data", "x=a.npy", "--data", "b.npy", NULL},
		{"p", "--data", "x=a.npy", "--data", "x=b.npy", NULL},
		{"p", "--data", "=a.npy", NULL},
		{"p", "--data", "a.npy", "--std", "1,0,1", NULL},
		{"p", "--data", "a.npy", "--samples", "0", NULL},
		{"p", "--data", "a.npy", "--batch", "-2", NULL},
		{"p", "--mean", "1", NULL},
	};
	static const char *want[] = {"NAME=FILE form", "NAME=FILE form", "given twice for input 'x'",
	                             "invalid value '=a.npy' for --data", "must not be zero",
	                             "for --samples", "for --batch", "need --data"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct child c = run(spec_argv, bad[i], NULL);
		CHECK(c.status == 2 && one_line(c.err, want[i]), "bad spec %zu: %d %s", i, c.status, c.err);
	}
	aimet_ctx_free(ctx);
}

static int count_dir(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;
	while (dp && (e = readdir(dp)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (dp)
		closedir(dp);
	return n;
}

struct outcase { const char *path; int mode; int binary; };
enum { O_COMMIT, O_ABORT, O_DIE, O_SIGTERM, O_SIGTWICE, O_SIGCHECK, O_EXIT };

static void out_child(void *p)
{
	struct outcase *oc = p;
	struct aimet_ctx *ctx = cli_init("test_cli");
	struct cli_out *o = cli_out_open(oc->path, oc->binary);
	fputs("new contents\n", cli_out_fp(o));
	switch (oc->mode) {
	case O_COMMIT: cli_out_commit(o); printf("committed\n"); break;
	case O_ABORT: cli_out_abort(o); printf("aborted\n"); break;
	case O_DIE: cli_die("cannot continue"); break;
	case O_SIGTERM:   /* a tool that never looks at the flag is ended after the grace period */
		raise(SIGTERM);
		for (;;)
			pause();
	case O_SIGTWICE:
		raise(SIGINT);
		raise(SIGINT);
		for (;;)
			pause();
	case O_EXIT:   /* forgot to commit */
		exit(0);
	case O_SIGCHECK:
		raise(SIGINT);
		if (cli_interrupted() && aimet_check_interrupt(ctx) == AIMET_ERR_INTERRUPTED)
			cli_die_ctx(ctx);
		printf("not interrupted\n");
		break;
	}
}

static void test_output(void)
{
	struct outcase oc = {P("out.txt"), O_COMMIT, 1};
	struct child c;
	char buf[64];
	mkdir(P("o"), 0755);
	oc.path = strdup(P("o/out.txt"));   /* P()'s buffers rotate */
	c = run(out_child, &oc, NULL);
	slurp(P("o/out.txt"), buf, sizeof(buf));
	CHECK(c.status == 0 && !strcmp(buf, "new contents\n") && count_dir(P("o")) == 1, "commit");
	{
		struct stat st;
		mode_t um = umask(0);
		umask(um);
		CHECK(stat(P("o/out.txt"), &st) == 0 && (st.st_mode & 0777) == (0666 & ~um),
		      "permissions follow the umask (%o)", st.st_mode & 0777);
	}
	/* failures leave an existing output untouched and no temporary */
	static const int modes[] = {O_ABORT, O_DIE, O_SIGTERM, O_SIGTWICE, O_SIGCHECK, O_EXIT};
	static const int codes[] = {0, 1, 143, 130, 130, 0};
	static const char *msgs[] = {NULL, "cannot continue", "interrupted", "interrupted",
	                             "interrupted", NULL};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		FILE *f = fopen(P("o/out.txt"), "w");
		fputs("old\n", f);
		fclose(f);
		oc.mode = modes[i];
		c = run(out_child, &oc, NULL);
		slurp(P("o/out.txt"), buf, sizeof(buf));
		CHECK(c.status == codes[i] && !strcmp(buf, "old\n") && count_dir(P("o")) == 1,
		      "mode %d: exit %d, contents '%s', %d files", modes[i], c.status, buf, count_dir(P("o")));
		CHECK(msgs[i] ? one_line(c.err, msgs[i]) : !c.err[0], "mode %d message '%s'", modes[i], c.err);
	}
	/* a new file that fails is never created */
	free((char *)oc.path);
	oc.path = P("o/new.txt");
	oc.mode = O_DIE;
	c = run(out_child, &oc, NULL);
	CHECK(c.status == 1 && access(P("o/new.txt"), F_OK) != 0 && count_dir(P("o")) == 1, "die: no file");
	/* write errors */
	oc.path = "/dev/full";
	oc.mode = O_COMMIT;
	c = run(out_child, &oc, NULL);
	CHECK(c.status == 1 && one_line(c.err, "cannot write '/dev/full': No space left on device"),
	      "/dev/full: %d %s", c.status, c.err);
	oc.path = "-";
	c = run(out_child, &oc, "/dev/full");
	CHECK(c.status == 1 && one_line(c.err, "cannot write to stdout: No space left on device"),
	      "stdout on /dev/full: %d %s", c.status, c.err);
	oc.path = "/dev/null";
	c = run(out_child, &oc, NULL);
	CHECK(c.status == 0 && !strcmp(c.out, "committed\n"), "/dev/null is written in place");
	oc.path = P("missing/x.txt");
	c = run(out_child, &oc, NULL);
	CHECK(c.status == 1 && one_line(c.err, "cannot write '") && strstr(c.err, "No such file"),
	      "missing directory: %s", c.err);
	oc.path = P("o");
	c = run(out_child, &oc, NULL);
	CHECK(c.status == 1 && one_line(c.err, "is a directory"), "directory: %s", c.err);
	oc.path = "-";
	c = run(out_child, &oc, NULL);
	CHECK(c.status == 0 && !strcmp(c.out, "new contents\ncommitted\n"), "stdout: '%s'", c.out);
	/* a terminal on stdout: binary refused, text fine */
	{
		int m = posix_openpt(O_RDWR | O_NOCTTY);
		const char *sname = m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 ? ptsname(m) : NULL;
		CHECK(sname != NULL, "pty");
		if (sname) {
			char slave[256];
			snprintf(slave, sizeof(slave), "%s", sname);
			c = run(out_child, &oc, slave);
			CHECK(c.status == 1 && one_line(c.err, "refusing to write a binary model to a terminal"),
			      "binary to a terminal: %d %s", c.status, c.err);
			oc.path = slave;
			c = run(out_child, &oc, NULL);
			CHECK(c.status == 1 && one_line(c.err, "refusing to write a binary model to a terminal"),
			      "binary to a terminal by path: %d %s", c.status, c.err);
			oc.path = "-";
			oc.binary = 0;
			c = run(out_child, &oc, slave);
			CHECK(c.status == 0, "text to a terminal: %d %s", c.status, c.err);
			close(m);
		}
	}
}

static void progress_child(void *p)
{
	int q = *(int *)p;
	cli_init("test_cli");
	cli_verbosity = q ? 0 : 1;
	for (int i = 1; i <= 50; i++)
		cli_progress("step %d/50", i);
	cli_progress_done();
	cli_info("info line");
	cli_debug("debug line");
}

static void test_progress(void)
{
	int q = 0;
	struct child c = run(progress_child, &q, NULL);
	/* not a terminal: the first line at once, the rest at most every 2 s, the last at the end */
	CHECK(c.status == 0 && !strcmp(c.err, "test_cli: step 1/50\ntest_cli: step 50/50\n"
	                                      "test_cli: info line\n"), "plain progress: '%s'", c.err);
	q = 1;
	c = run(progress_child, &q, NULL);
	CHECK(c.status == 0 && !c.err[0], "quiet: '%s'", c.err);
}

/* On a terminal: one line rewritten with \r, ended by a newline when done. */
static void test_progress_tty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	const char *sname = m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 ? ptsname(m) : NULL;
	char buf[8192];
	size_t n = 0;
	pid_t pid;
	int st;
	CHECK(sname != NULL, "pty");
	if (!sname)
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd = open(sname, O_RDWR);
		dup2(fd, 2);
		cli_init("test_cli");
		for (int i = 1; i <= 30; i++) {
			cli_progress("step %d/30", i);
			usleep(5000);
		}
		cli_progress_done();
		cli_warn("after");
		_exit(0);
	}
	for (;;) {   /* drain while the child runs so it never blocks on a full pty */
		ssize_t k;
		struct timeval tv = {0, 200000};
		fd_set rs;
		FD_ZERO(&rs);
		FD_SET(m, &rs);
		if (select(m + 1, &rs, NULL, NULL, &tv) <= 0)
			break;
		k = read(m, buf + n, sizeof(buf) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	waitpid(pid, &st, 0);
	buf[n] = 0;
	CHECK(!strncmp(buf, "\rtest_cli: step 1/30\033[K", 23), "tty start '%.40s'", buf);
	CHECK(strstr(buf, "\rtest_cli: step 30/30\033[K\r\ntest_cli: after\r\n") != NULL,
	      "tty end '%s'", buf);
	{
		int newlines = 0;
		for (size_t i = 0; i < n; i++)
			newlines += buf[i] == '\n';
		CHECK(newlines == 2, "one updating line (%d newlines)", newlines);
	}
	close(m);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	/* outputs are fsync'ed: tmpfs keeps the many small writes of these tests fast */
	if (!tmp && access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	if (argc > 1 && !strcmp(argv[1], "tool"))
		return tool_main(argc, argv);
	snprintf(dir, sizeof(dir), "%s/test_cli.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	test_parse();
	test_usage_errors();
	test_numbers();
	test_data_spec();
	test_output();
	test_progress();
	test_progress_tty();
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup failed\n");
	}
	return test_done();
}
