#!/usr/bin/env bash
# adaround.sh: AdaRound speed (not a test; prints a table) — wall time of aimet-adaround on
# fmnist_resnet8 (default settings unless ITERS is set), time per layer-iteration, and the GEMM
# throughput of each layer's steps next to what OpenBLAS sgemm reaches here on one large product.
# Env: AIMET_BIN (default build/bin), AIMET_SHARED (default ../shared), ITERS (steps per layer,
# default 10000), THREADS (default 2), PER_CHANNEL (default 1).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed for the benchmark's own commands only.
cd "$(dirname "$0")/.." || exit 2
BIN=${AIMET_BIN:-$PWD/build/bin}
SHARED=${AIMET_SHARED:-$(cd .. && pwd)/shared}
ITERS=${ITERS:-10000}
THREADS=${THREADS:-2}
PC=${PER_CHANNEL:-1}
W=$(mktemp -d "${TMPDIR:-/tmp}/aimet-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
clean_env() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }
[ -x "$BIN/aimet-adaround" ] || { echo "bench: no $BIN/aimet-adaround (run make first)" >&2; exit 1; }

# the sgemm reference: a 1024^3 product, single-threaded and on $THREADS threads
cat >"$W/sgemm.c" <<'C'
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char **argv)
{
	int n = 1024, reps = 10, th = argc > 1 ? atoi(argv[1]) : 1;
	float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
	double best = 1e30;
	for (int i = 0; i < n * n; i++) a[i] = (float)(i % 7) / 7, b[i] = (float)(i % 5) / 5;
	openblas_set_num_threads(th);
	for (int r = 0; r < reps; r++) {
		double t = now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
		t = now() - t;
		if (t < best) best = t;
	}
	printf("%.1f\n", 2.0 * n * n * n / best * 1e-9);
	return 0;
}
C
CFLAGS_BLAS=$(grep '^OPENBLAS_CFLAGS' config.mk | cut -d= -f2-)
LIBS_BLAS=$(grep '^OPENBLAS_LIBS' config.mk | cut -d= -f2-)
if cc -O2 $CFLAGS_BLAS "$W/sgemm.c" -o "$W/sgemm" $LIBS_BLAS 2>"$W/cc.err"; then
	peak1=$(clean_env "$W/sgemm" 1)
	peakn=$(clean_env "$W/sgemm" "$THREADS")
else
	peak1=0 peakn=0
	echo "bench: cannot build the sgemm reference: $(head -1 "$W/cc.err")" >&2
fi
echo "OpenBLAS sgemm 1024^3: $peak1 GFLOP/s on 1 thread, $peakn on $THREADS"

opt=""; [ "$PC" = 1 ] && opt=--per-channel
start=$(date +%s.%N)
clean_env /usr/bin/time -f "%e %U %S" "$BIN/aimet-adaround" "$SHARED/models/fmnist_resnet8.onnx" \
	--data "$SHARED/data/fmnist_calib_x.npy" --param-bw 4 $opt --iterations "$ITERS" -j "$THREADS" -vv \
	-o "$W/r8.onnx" --encodings "$W/r8.enc" 2>"$W/log" || { tail -3 "$W/log" >&2; exit 1; }
read -r wall user sys < <(tail -1 "$W/log")
echo "fmnist_resnet8 W4 ${opt:-per-tensor}, $ITERS steps per layer, -j $THREADS: wall ${wall} s (user ${user} s, sys ${sys} s)"
printf "%-24s %10s %12s %10s %8s\n" layer ms/step GFLOP/step GFLOP/s "of sgemm"
awk -v p1="$peak1" -v pn="$peakn" '
	/^aimet-adaround: layer / { name = $4; sub(":", "", name) }
	/ms per step/ { ms = $2; gf = $6; rate = $12
		printf "%-24s %10.3f %12.4f %10.2f %7.1f%%\n", name, ms, gf, rate, (pn > 0 ? 100 * rate / pn : 0) }
' "$W/log"
grep "layers rounded in" "$W/log"
