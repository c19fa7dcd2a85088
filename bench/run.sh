#!/usr/bin/env bash
# run.sh (make bench): our median time per model next to ONNX Runtime's on the same input, at
# -j 1 and -j 2, with the ratio and the peak RSS of each process; then sim.sh's table (simulated
# vs FP32 runs). Not a test: prints tables.
# Env: AIMET_BIN (default build/bin), AIMET_SHARED (default ../shared), RUNS (default 20),
# MODELS (subset, e.g. "fmnist_resnet8 ppocr_cls"), THREADS (default "1 2"),
# ORT_NODE_PATH (default ~/.cache/ort/node_modules).
# OpenBLAS picks its kernels by itself here: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this
# machine's environment sets, are removed for the benchmark's own commands only.
cd "$(dirname "$0")/.." || exit 2
BIN=${AIMET_BIN:-$PWD/build/bin}
SHARED=${AIMET_SHARED:-$(cd .. && pwd)/shared}
RUNS=${RUNS:-20}
THREADS=${THREADS:-"1 2"}
MODELS=${MODELS:-"fmnist_resnet8 ppocr_cls ppocr_rec ppocr_det"}
ORT_NODE_PATH=${ORT_NODE_PATH:-$HOME/.cache/ort/node_modules}
export AIMET_SHARED=$SHARED
W=$(mktemp -d "${TMPDIR:-/tmp}/aimet-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

clean_env() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }

[ -x "$BIN/aimet-run" ] || { echo "bench: no $BIN/aimet-run (run make first)" >&2; exit 1; }

NAME=bench
. bench/inputs.sh

core=$(clean_env OPENBLAS_VERBOSE=2 "$BIN/aimet-run" "$SHARED/models/fmnist_mlp.onnx" \
	--data "$SHARED/data/fmnist_test_x.npy" --samples 1 --bench 1 2>&1 >/dev/null | grep -i core | head -n 1)
echo "OpenBLAS: ${core:-core not reported}   (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)"
echo "runs per measure: $RUNS; times in ms (median); peak RSS in MiB"
printf '%-16s %2s %10s %10s %7s %9s %9s %7s\n' model j aimet ort ratio rss_aimet rss_ort ratio

rss_of() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }
for m in $MODELS; do
	for j in $THREADS; do
		ours=$(clean_env /usr/bin/time -v -o "$W/time_a" "$BIN/aimet-run" "$SHARED/models/$m.onnx" \
			--data "$W/$m.npy" --batch "${batch[$m]}" --bench "$RUNS" -j "$j" 2>"$W/err_a" |
			awk '/^ms_median/ { print $2 }')
		ort=$(NODE_PATH=$ORT_NODE_PATH clean_env /usr/bin/time -v -o "$W/time_o" node \
			"$SHARED/tools/bench-ort.js" "$SHARED/models/$m.onnx" "$W/$m.npy" --batch="${batch[$m]}" \
			--threads="$j" --runs="$RUNS" 2>"$W/err_o" | awk '/^ort_ms_median/ { print $2 }')
		ra=$(rss_of "$W/time_a") ro=$(rss_of "$W/time_o")
		ratio=$([ -n "$ours" ] && [ -n "$ort" ] && awk -v a="$ours" -v b="$ort" 'BEGIN { printf "%.2f", a / b }')
		rr=$([ -n "$ra" ] && [ -n "$ro" ] && awk -v a="$ra" -v b="$ro" 'BEGIN { printf "%.2f", a / b }')
		printf '%-16s %2s %10s %10s %7s %9s %9s %7s\n' "$m" "$j" "${ours:-error}" "${ort:-error}" \
			"${ratio:--}" "${ra:--}" "${ro:--}" "${rr:--}"
		[ -n "$ours" ] || sed 's/^/  aimet-run: /' "$W/err_a" | head -n 3
		[ -n "$ort" ] || sed 's/^/  ort: /' "$W/err_o" | head -n 3
	done
done

# Quantization simulation: a simulated run next to the FP32 run of the same model (sim.sh)
echo
AIMET_BIN=$BIN AIMET_SHARED=$SHARED RUNS=$RUNS MODELS=$MODELS THREADS=$THREADS bash bench/sim.sh
