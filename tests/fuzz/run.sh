#!/usr/bin/env bash
# run.sh: runs each libFuzzer harness given (build-fuzz/fuzz/NAME) for FUZZ_SECONDS on a corpus
# seeded from the test data, ../shared/models, the ONNX test data and tests/hostile; a finding
# (crash, leak, timeout, out-of-memory) leaves its input in build-fuzz/findings/ and fails.
cd "$(dirname "$0")/../.." || exit 2
secs=${FUZZ_SECONDS:-60}
# FUZZ_RUNS=N instead runs N inputs per harness from a fixed seed: the same inputs on every
# machine, so a short pass (CI) is reproducible rather than luck of the clock
if [ -n "${FUZZ_RUNS:-}" ]; then
	limit="-runs=$FUZZ_RUNS -seed=1"
else
	limit="-max_total_time=$secs"
fi
# the executor refuses buffers over this (default: half of RAM), so prepare stays inside the
# 2 GiB the fuzzers run in; a model that needs more is refused, not a finding
export AIMET_MEM_LIMIT=${AIMET_MEM_LIMIT:-536870912}
shared=${AIMET_SHARED:-$(cd .. && pwd)/shared}
testdata=/usr/share/libonnx-testdata
status=0
seed() {   # seed DIR FILES...: copy the readable regular files given (missing ones skipped)
	local d=$1; shift
	for f in "$@"; do [ -f "$f" ] && [ -r "$f" ] && cp -f "$f" "$d/$(echo "$f" | tr '/' '_')"; done
	return 0
}
for bin in "$@"; do
	name=$(basename "$bin")
	corpus=build-fuzz/corpus/$name findings=build-fuzz/findings/$name
	mkdir -p "$corpus" "$findings"
	maxlen=65536
	case $name in
	fuzz_onnx)
		maxlen=262144
		seed "$corpus" tests/data/*.onnx tests/hostile/onnx/* tests/fuzz/seeds/onnx/* "$shared"/models/fmnist_mbv2.onnx
		# a fixed sample of the ONNX node tests (every 8th model in name order)
		[ -d "$testdata" ] && seed "$corpus" $(find "$testdata" -name model.onnx -size -16k | sort | awk 'NR % 8 == 1')
		;;
	fuzz_pb)
		seed "$corpus" tests/hostile/pb/*
		[ -d "$testdata" ] && seed "$corpus" $(find "$testdata" -name '*.pb' -size -8k | sort | awk 'NR % 16 == 1')
		;;
	fuzz_npy) seed "$corpus" tests/hostile/npy/* tests/fuzz/seeds/npy/* share/aimet/examples/test_y.npy ;;
	fuzz_encodings) seed "$corpus" tests/data/*.encodings tests/hostile/encodings/* ;;
	fuzz_qconfig) seed "$corpus" share/aimet/*.json tests/hostile/config/* tests/fuzz/seeds/config/* ;;
	esac
	log=build-fuzz/findings/$name.log
	echo "fuzz: $name ($limit)"
	# -rss_limit_mb bounds what one input may make the library allocate
	# shellcheck disable=SC2086
	nice "$bin" $limit -max_len=$maxlen -timeout=10 -rss_limit_mb=2048 \
		-malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$findings/" \
		"$corpus" >"$log" 2>&1
	rc=$?
	grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -n 1
	grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' "$log"
	if [ "$rc" -ne 0 ]; then
		echo "fuzz: $name FOUND A PROBLEM (exit $rc), see $log:"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 5
		status=1
	fi
done
exit $status
