/* aimet-run: run an ONNX model on data (FP32) — write its outputs, measure top-1 accuracy, time
 * it, or check it against one ONNX backend test case. A thin layer over lib/exec. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "aimet.h"
#include "aimet_eval.h"
#include "aimet_exec.h"
#include "aimet_io.h"
#include "aimet_onnx.h"
#include "aimet_qsim.h"
#include "common/cli.h"

static const char usage[] =
	"usage: aimet-run [OPTIONS] MODEL.onnx --data X.npy (-o OUT.npy | -o DIR | --labels Y.npy | --bench R)\n"
	"                [--encodings E]\n"
	"       aimet-run [OPTIONS] [MODEL.onnx] --test-data DIR\n"
	"Runs MODEL (FP32, or simulated with the quantization encodings E) on the data and writes\n"
	"its first output to OUT.npy, or every output to\n"
	"DIR/<index>_<name>.npy when -o names a directory (or ends with '/'). --labels prints\n"
	"'accuracy A n N' (top-1 over the last axis of the first output); --bench times one batch\n"
	"and prints 'ms_median M'; --test-data runs one ONNX backend test case (the model defaults\n"
	"to DIR/model.onnx) and prints 'pass', 'fail <max error>' or 'unsupported <reason>'.";

static const struct cli_opt opts[] = {
	{"output", 'o', 1, 0, "write the first output to FILE, or every output into DIR", "FILE|DIR"},
	CLI_DATA_OPTS,
	{"labels", 0, 1, 0, "print top-1 accuracy against these labels (.npy)", "FILE"},
	{"test-data", 0, 1, 0, "run an ONNX backend test case directory and compare", "DIR"},
	{"bench", 0, 1, 0, "time R runs of one batch after a warm-up; print ms_median", "R"},
	{"encodings", 0, 1, 0, "simulate quantization with these encodings (e.g. from aimet-sim)", "E"},
	{"ref", 0, 0, 0, "use the reference kernels for every node", NULL},
	{"profile", 0, 0, 0, "print the time per op type (stderr) after the runs", NULL},
	{0}};

static int is_dir(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	if (!p)
		cli_die("out of memory");
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- --test-data ---- */

/* Max |a-b| over the elements, and whether every element is within atol + rtol*|b|
 * (NaN equals NaN, as numpy's allclose with equal_nan). */
static int compare(const struct aimet_tensor *got, const struct aimet_tensor *want, double *maxerr)
{
	int64_t n = aimet_tensor_numel(want);
	int ok = 1;
	*maxerr = 0;
	if (got->ndim != want->ndim || aimet_tensor_numel(got) != n ||
	    (got->ndim && memcmp(got->dims, want->dims, (size_t)got->ndim * sizeof(got->dims[0])))) {
		cli_warn("output '%s': shape differs", want->name ? want->name : "");
		*maxerr = INFINITY;
		return 0;
	}
	if (got->dtype != want->dtype) {
		cli_warn("output '%s': dtype %s, expected %s", want->name ? want->name : "",
		         aimet_dtype_name(got->dtype), aimet_dtype_name(want->dtype));
		*maxerr = INFINITY;
		return 0;
	}
	if (want->dtype == AIMET_STRING) {
		const struct aimet_string *a = got->data, *b = want->data;
		for (int64_t i = 0; i < n; i++)
			if (a[i].len != b[i].len || (a[i].len && memcmp(a[i].data, b[i].data, a[i].len))) {
				*maxerr = INFINITY;
				return 0;
			}
		return 1;
	}
	{
		int is_float = want->dtype == AIMET_FLOAT || want->dtype == AIMET_DOUBLE ||
		               want->dtype == AIMET_FLOAT16 || want->dtype == AIMET_BFLOAT16;
		for (int64_t i = 0; i < n; i++) {
			double a, b, d;
			if (!is_float && want->dtype != AIMET_UINT64 && want->dtype != AIMET_INT64) {
				a = aimet_tensor_get_f64(got, i);
				b = aimet_tensor_get_f64(want, i);
			} else if (!is_float) {
				int64_t x = aimet_tensor_get_i64(got, i), y = aimet_tensor_get_i64(want, i);
				if (x != y) {
					ok = 0;
					*maxerr = fmax(*maxerr, fabs((double)x - (double)y));
				}
				continue;
			} else {
				a = aimet_tensor_get_f64(got, i);
				b = aimet_tensor_get_f64(want, i);
			}
			if (isnan(a) || isnan(b)) {
				if (isnan(a) != isnan(b)) {
					ok = 0;
					*maxerr = INFINITY;
				}
				continue;
			}
			if (isinf(a) || isinf(b)) {
				if (a != b) {
					ok = 0;
					*maxerr = INFINITY;
				}
				continue;
			}
			d = fabs(a - b);
			if (d > *maxerr)
				*maxerr = d;
			if (is_float ? d > 1e-7 + 1e-3 * fabs(b) : d != 0)
				ok = 0;
		}
	}
	return ok;
}

/* A test case we cannot run (op, dtype or feature we do not handle) is reported on stdout as
 * such, so that a conformance sweep tells it apart from a failure. */
static void check_st(struct aimet_ctx *ctx, int st)
{
	if (st == AIMET_ERR_UNSUPPORTED) {
		printf("unsupported %s\n", aimet_errmsg(ctx));
		exit(CLI_EXIT_FAIL);
	}
	if (st)
		cli_die_ctx(ctx);
}

static int run_test_data(struct aimet_ctx *ctx, const char *model_arg, const char *dir,
                         const struct aimet_plan_opts *popts)
{
	char *data_dir, *model_path, name[64];
	struct aimet_model *m = NULL;
	struct aimet_plan *p = NULL;
	struct aimet_tensor **in, **out;
	int n_in, ok = 1;
	double worst = 0;
	char *sub = path_join(dir, "test_data_set_0");
	/* DIR is either a case directory (model.onnx, test_data_set_0/) or a data set itself */
	if (is_dir(sub)) {
		data_dir = sub;
		model_path = path_join(dir, "model.onnx");
	} else {
		free(sub);
		data_dir = strdup(dir);
		model_path = path_join(dir, "../model.onnx");
	}
	if (model_arg) {
		free(model_path);
		model_path = is_dir(model_arg) ? path_join(model_arg, "model.onnx") : strdup(model_arg);
	}
	if (!data_dir || !model_path)
		cli_die("out of memory");
	check_st(ctx, aimet_model_load(ctx, model_path, &m));
	check_st(ctx, aimet_plan_new(ctx, m, popts, &p));
	n_in = aimet_plan_n_inputs(p);
	in = calloc((size_t)(n_in ? n_in : 1), sizeof(*in));
	out = calloc((size_t)(aimet_plan_n_outputs(p) ? aimet_plan_n_outputs(p) : 1), sizeof(*out));
	if (!in || !out)
		cli_die("out of memory");
	/* input_K.pb in order; a file naming a plan input goes to that input */
	for (int k = 0;; k++) {
		struct aimet_tensor *t;
		char *path;
		int slot = -1;
		snprintf(name, sizeof(name), "input_%d.pb", k);
		path = path_join(data_dir, name);
		if (!file_exists(path)) {
			free(path);
			break;
		}
		check_st(ctx, aimet_tensor_read_pb(ctx, path, &t));
		free(path);
		for (int i = 0; t->name && i < n_in; i++)
			if (!strcmp(t->name, aimet_plan_input_name(p, i)) && !in[i])
				slot = i;
		for (int i = 0; slot < 0 && i < n_in; i++)
			if (!in[i])
				slot = i;
		if (slot < 0) {
			aimet_tensor_free(t);   /* an input the plan treats as a constant */
			continue;
		}
		in[slot] = t;
		{
			/* the ONNX test data stores bfloat16 values as uint16 (same bits) */
			int64_t dims[AIMET_MAX_DIMS];
			int dt;
			aimet_plan_input_decl(p, slot, &dt, dims);
			if (dt == AIMET_BFLOAT16 && t->dtype == AIMET_UINT16)
				t->dtype = AIMET_BFLOAT16;
		}
	}
	for (int i = 0; i < n_in; i++)
		if (!in[i])
			cli_die("%s: no data for input '%s'", data_dir, aimet_plan_input_name(p, i));
	check_st(ctx, aimet_plan_run(ctx, p, in, out));
	for (int k = 0; k < aimet_plan_n_outputs(p); k++) {
		struct aimet_tensor *want;
		char *path;
		double err;
		snprintf(name, sizeof(name), "output_%d.pb", k);
		path = path_join(data_dir, name);
		if (!file_exists(path)) {
			free(path);
			cli_die("%s: missing %s", data_dir, name);
		}
		check_st(ctx, aimet_tensor_read_pb(ctx, path, &want));
		free(path);
		if (want->dtype == AIMET_UINT16 && out[k]->dtype == AIMET_BFLOAT16)
			want->dtype = AIMET_BFLOAT16;
		if (!compare(out[k], want, &err))
			ok = 0;
		if (err > worst || isnan(err))
			worst = err;
		aimet_tensor_free(want);
	}
	if (ok)
		printf("pass\n");
	else
		printf("fail %.6g\n", worst);
	for (int i = 0; i < n_in; i++)
		aimet_tensor_free(in[i]);
	free(in);
	free(out);
	aimet_plan_free(p);
	aimet_model_free(m);
	free(data_dir);
	free(model_path);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --profile: time per kind of step (op type, with what was fused into it), largest first. */
static void print_profile(const struct aimet_plan *p)
{
	size_t n = aimet_plan_n_steps(p), nk = 0;
	struct kind { char name[96]; int steps; double ms; } *k = calloc(n + 1, sizeof(*k));
	double total = 0;
	int64_t runs = aimet_plan_profile_runs(p);
	if (!k || runs <= 0) {
		free(k);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct aimet_plan_step *s = aimet_plan_get_step(p, i);
		char name[96];
		size_t j;
		snprintf(name, sizeof(name), "%.40s%s%.40s", s->node->op_type, s->bn ? "+BN" : "",
		         s->act ? (strcmp(s->act->op_type, "Relu") ? "+Clip" : "+Relu") : "");
		if (s->label)   /* a fused elementwise chain */
			snprintf(name, sizeof(name), "%.90s", s->label);
		for (j = 0; j < nk && strcmp(k[j].name, name); j++)
			;
		if (j == nk)
			snprintf(k[nk++].name, sizeof(k[0].name), "%s", name);
		k[j].steps++;
		k[j].ms += aimet_plan_step_ms(p, i) / (double)runs;
		total += aimet_plan_step_ms(p, i) / (double)runs;
	}
	for (size_t a = 0; a < nk; a++)   /* few kinds: a selection sort is plenty */
		for (size_t b = a + 1; b < nk; b++)
			if (k[b].ms > k[a].ms) {
				struct kind tmp = k[a];
				k[a] = k[b];
				k[b] = tmp;
			}
	fprintf(stderr, "%-28s %6s %10s %6s\n", "op", "steps", "ms/run", "%");
	for (size_t a = 0; a < nk; a++)
		fprintf(stderr, "%-28s %6d %10.3f %6.1f\n", k[a].name, k[a].steps, k[a].ms,
		        total > 0 ? 100.0 * k[a].ms / total : 0.0);
	fprintf(stderr, "%-28s %6zu %10.3f %6.1f\n", "total", n, total, 100.0);
	free(k);
}

/* ---- running on a dataset ---- */

struct sink {
	char *path;            /* final path */
	struct cli_out *o;
	int started;
};

/* A file-name-safe rendering of an output name. */
static void safe_name(char *dst, size_t len, const char *src)
{
	size_t i = 0;
	for (; *src && i + 1 < len; src++)
		dst[i++] = (char)((*src >= 'a' && *src <= 'z') || (*src >= 'A' && *src <= 'Z') ||
		                  (*src >= '0' && *src <= '9') || *src == '.' || *src == '-' || *src == '_'
		                  ? *src : '_');
	dst[i] = 0;
}

int main(int argc, char **argv)
{
	struct aimet_ctx *ctx = cli_init(argv[0]);
	struct cli_args a;
	struct aimet_plan_opts popts = {0};
	struct aimet_dataset_spec spec;
	struct aimet_dataset *ds = NULL;
	struct aimet_model *m = NULL;
	struct aimet_plan *p = NULL;
	struct aimet_qsim *sim = NULL;
	const char *model_path, *outp, *labels_path, *bench;
	struct aimet_tensor **batch, **plan_in, **out;
	int *map, n_in, n_out, n_src, all_outputs = 0, n_sinks = 0, st;
	int64_t *labels = NULL, n_labels = 0, done = 0, correct = 0, total;
	struct sink *sinks = NULL;

	cli_parse(argc, argv, opts, usage, &a, ctx);
	popts.use_ref = cli_has(&a, opts, "ref");
	if (a.n_pos > 1)
		cli_usage_error("one model expected, got %d arguments", a.n_pos);
	if (cli_has(&a, opts, "test-data")) {
		if (cli_has(&a, opts, "data") || cli_has(&a, opts, "output") || cli_has(&a, opts, "labels") ||
		    cli_has(&a, opts, "bench"))
			cli_usage_error("--test-data cannot be combined with --data, -o, --labels or --bench");
		int rc = run_test_data(ctx, a.n_pos ? a.pos[0] : NULL, cli_get(&a, opts, "test-data"), &popts);
		cli_args_free(&a, opts);
		aimet_ctx_free(ctx);
		return rc;
	}
	if (a.n_pos != 1)
		cli_usage_error("no model given");
	model_path = a.pos[0];
	outp = cli_get(&a, opts, "output");
	labels_path = cli_get(&a, opts, "labels");
	bench = cli_get(&a, opts, "bench");
	if (!outp && !labels_path && !bench)
		cli_usage_error("nothing to do: give -o, --labels or --bench");
	aimet_dataset_spec_init(&spec);
	if ((n_src = cli_dataset_spec(&a, opts, &spec)) == 0)
		cli_usage_error("no data: give --data FILE");

	if (aimet_model_load(ctx, model_path, &m))
		cli_die_ctx(ctx);
	if (cli_has(&a, opts, "encodings")) {
		/* a simulated run: the simulator owns the model (batch norms folded as aimet-sim does,
		 * so the original model and aimet-sim's output both match its encodings) */
		struct aimet_encodings *enc;
		struct aimet_qsim_opts qo;
		aimet_qsim_opts_init(&qo);
		qo.use_ref = popts.use_ref;
		if (aimet_encodings_read(ctx, cli_get(&a, opts, "encodings"), &enc))
			cli_die_ctx(ctx);
		if (aimet_qsim_new(ctx, m, &qo, &sim))
			cli_die_ctx(ctx);
		m = NULL;
		if (aimet_encodings_resolve(ctx, enc, aimet_qsim_model(sim)) ||
		    aimet_encodings_validate(ctx, enc, aimet_qsim_model(sim)) ||
		    aimet_qsim_load_encodings(ctx, sim, enc))
			cli_die_ctx(ctx);
		aimet_encodings_free(enc);
		p = aimet_qsim_plan(sim);
	} else if (aimet_plan_new(ctx, m, &popts, &p)) {
		cli_die_ctx(ctx);
	}
	n_in = aimet_plan_n_inputs(p);
	n_out = aimet_plan_n_outputs(p);
	if (n_in > AIMET_DATASET_MAX_INPUTS)
		cli_die("model has %d inputs, at most %d supported", n_in, AIMET_DATASET_MAX_INPUTS);
	if (n_src != n_in)
		cli_usage_error("model has %d input%s, %d --data given (use NAME=FILE for each)", n_in,
		                n_in == 1 ? "" : "s", n_src);
	/* map sources to plan inputs: by name when given, else in order */
	map = calloc((size_t)n_in + 1, sizeof(int));
	plan_in = calloc((size_t)n_in + 1, sizeof(*plan_in));
	out = calloc((size_t)n_out + 1, sizeof(*out));
	batch = calloc((size_t)n_src + 1, sizeof(*batch));
	if (!map || !plan_in || !out || !batch)
		cli_die("out of memory");
	for (int s = 0; s < n_src; s++) {
		int dt, rank, slot = s;
		int64_t dims[AIMET_MAX_DIMS];
		if (spec.names[s]) {
			slot = -1;
			for (int i = 0; i < n_in; i++)
				if (!strcmp(spec.names[s], aimet_plan_input_name(p, i)))
					slot = i;
			if (slot < 0)
				cli_usage_error("model has no input named '%s'", spec.names[s]);
		}
		map[s] = slot;
		rank = aimet_plan_input_decl(p, slot, &dt, dims);
		spec.dtypes[s] = dt;
		spec.ranks[s] = rank > 0 ? rank : 0;
		/* a fixed batch dimension in the model is the default batch size */
		if (!cli_has(&a, opts, "batch"))
			spec.batch = rank > 0 && dims[0] > 0 ? dims[0] : 32;
	}
	if (aimet_dataset_open(ctx, &spec, &ds))
		cli_die_ctx(ctx);
	total = aimet_dataset_count(ds);
	if (labels_path) {
		if (aimet_labels_read(ctx, labels_path, &labels, &n_labels))
			cli_die_ctx(ctx);
		if (n_labels < total)
			cli_die("'%s' has %lld labels for %lld samples", labels_path, (long long)n_labels,
			        (long long)total);
	}

	if (bench) {
		long runs = cli_parse_long("--bench", bench, 1, 1000000);
		double *ms = calloc((size_t)runs, sizeof(double));
		if (!ms)
			cli_die("out of memory");
		if ((st = aimet_dataset_next(ctx, ds, batch)) <= 0) {
			if (st < 0)
				cli_die_ctx(ctx);
			cli_die("no data in '%s'", spec.paths[0]);
		}
		for (int s = 0; s < n_src; s++)
			plan_in[map[s]] = batch[s];
		if (aimet_plan_run(ctx, p, plan_in, out))   /* warm-up: prepares and touches memory */
			cli_die_ctx(ctx);
		aimet_plan_set_profile(p, cli_has(&a, opts, "profile"));
		for (long r = 0; r < runs; r++) {
			double t0 = now_ms();
			if (aimet_plan_run(ctx, p, plan_in, out))
				cli_die_ctx(ctx);
			ms[r] = now_ms() - t0;
		}
		qsort(ms, (size_t)runs, sizeof(double), cmp_double);
		printf("ms_median %.3f\n", ms[runs / 2]);
		if (cli_has(&a, opts, "profile"))
			print_profile(p);
		aimet_plan_set_profile(p, 0);
		cli_debug("batch %lld threads %d arena %zu bytes workspace %zu bytes",
		          (long long)batch[0]->dims[0], ctx->threads, aimet_plan_arena_bytes(p),
		          aimet_plan_workspace_bytes(p));
		free(ms);
		if (!outp && !labels_path)
			goto done;
		aimet_dataset_rewind(ds);
	}

	if (cli_has(&a, opts, "profile") && !bench)
		aimet_plan_set_profile(p, 1);
	if (outp) {
		size_t len = strlen(outp);
		all_outputs = is_dir(outp) || (len && outp[len - 1] == '/');
		if (all_outputs && !is_dir(outp) && mkdir(outp, 0777) && errno != EEXIST)
			cli_die("cannot create directory '%s': %s", outp, strerror(errno));
		n_sinks = all_outputs ? n_out : 1;
		sinks = calloc((size_t)n_sinks, sizeof(*sinks));
		if (!sinks)
			cli_die("out of memory");
		for (int k = 0; k < n_sinks; k++) {
			if (all_outputs) {
				char fn[300], safe[256];
				safe_name(safe, sizeof(safe), aimet_plan_output_name(p, k));
				snprintf(fn, sizeof(fn) - 4, "%d_%s", k, safe);
				len = strlen(fn);
				if (len < 4 || strcmp(fn + len - 4, ".npy"))
					strcat(fn, ".npy");
				sinks[k].path = path_join(outp, fn);
			} else {
				sinks[k].path = strdup(outp);
			}
			if (!sinks[k].path)
				cli_die("out of memory");
		}
	}

	while ((st = aimet_dataset_next(ctx, ds, batch)) > 0) {
		int64_t b = batch[0]->dims[0];
		for (int s = 0; s < n_src; s++)
			plan_in[map[s]] = batch[s];
		if (aimet_plan_run(ctx, p, plan_in, out))
			cli_die_ctx(ctx);
		for (int k = 0; k < n_sinks; k++) {
			const struct aimet_tensor *t = out[k];
			struct sink *sk = &sinks[k];
			int64_t dims[AIMET_MAX_DIMS];
			size_t es = aimet_dtype_size(t->dtype);
			if (t->ndim < 1 || t->dims[0] != b) {
				/* no batch axis: only a single batch can be written as it is */
				if (done || b != total)
					cli_die("output '%s' has no batch axis; use --batch %lld",
					        aimet_plan_output_name(p, k), (long long)total);
			}
			if (!sk->started) {
				memcpy(dims, t->dims, sizeof(dims));
				if (t->ndim >= 1 && t->dims[0] == b)
					dims[0] = total;
				sk->o = cli_out_open(sk->path, 1);
				if (aimet_npy_write_header(ctx, cli_out_fp(sk->o), t->dtype, t->ndim, dims, sk->path))
					cli_die_ctx(ctx);
				sk->started = 1;
			}
			if (aimet_npy_write_data(ctx, cli_out_fp(sk->o), t->dtype, t->data,
			                         es ? t->nbytes / es : 0, sk->path))
				cli_die_ctx(ctx);
		}
		if (labels) {
			const struct aimet_tensor *t = out[0];
			int64_t per = b ? aimet_tensor_numel(t) / b : 0, K = t->ndim ? t->dims[t->ndim - 1] : 1;
			if (t->ndim < 1 || t->dims[0] != b || per != K || K < 1 || t->dtype != AIMET_FLOAT)
				cli_die("output '%s' is not [batch, classes]: cannot compute accuracy",
				        aimet_plan_output_name(p, 0));
			correct += aimet_top1_correct(t, labels + done);
		}
		done += b;
		if (total > b)
			cli_progress("%lld/%lld samples", (long long)done, (long long)total);
	}
	if (st < 0)
		cli_die_ctx(ctx);
	cli_progress_done();
	if (!done)
		cli_die("no samples in the data");
	for (int k = 0; k < n_sinks; k++)
		if (sinks[k].started)
			cli_out_commit(sinks[k].o);
	if (cli_has(&a, opts, "profile") && !bench)
		print_profile(p);
	if (labels)
		printf("accuracy %.4f n %lld\n", done ? (double)correct / (double)done : 0.0,
		       (long long)done);
done:
	for (int k = 0; k < n_sinks; k++)
		free(sinks[k].path);
	free(sinks);
	free(labels);
	free(map);
	free(plan_in);
	free(out);
	free(batch);
	aimet_dataset_free(ds);
	aimet_dataset_spec_clear(&spec);
	if (sim)
		aimet_qsim_free(sim);   /* frees its plan and model */
	else
		aimet_plan_free(p);
	aimet_model_free(m);
	cli_args_free(&a, opts);
	aimet_ctx_free(ctx);
	return CLI_EXIT_OK;
}
