#!/usr/bin/env bash
# run.sh: runs every test suite (C programs under build/tests, shell suites under tests/*/),
# adds up their `N passed, N failed` closing lines and prints the total; non-zero on failure.
cd "$(dirname "$0")/.." || exit 2
export AIMET_ROOT=$PWD
# AIMET_BUILD picks another build directory (make check-asan runs the suites on build-asan)
BUILD=${AIMET_BUILD:-build}
export AIMET_BIN=$PWD/$BUILD/bin AIMET_TESTS=$PWD/$BUILD/tests
export AIMET_SHARED=${AIMET_SHARED:-$(cd .. && pwd)/shared}
mkdir -p tests/tmp
total_pass=0 total_fail=0 broken=0
run_suite() {
	local name=$1; shift
	local log=tests/tmp/${name//\//_}.log start=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	local line
	line=$(grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "suite $name: no result line (exit $rc)"; tail -n 5 "$log"
		broken=$((broken + 1)); return
	fi
	local p f
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then broken=$((broken + 1)); echo "suite $name: exit $rc"; fi
	printf '%-40s %5d passed %4d failed  (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
	[ "$f" -eq 0 ] || grep -E '^FAIL' "$log" | head -n 20
}
for t in "$BUILD"/tests/unit/* "$BUILD"/tests/ops/* "$BUILD"/tests/conformance/*; do
	[ -x "$t" ] && [ -f "$t" ] && run_suite "${t#"$BUILD"/tests/}" "$t"
done
for s in tests/cli/test_*.sh tests/conformance/*.sh tests/hostile/*.sh; do
	# AIMET_SUITE_ASAN_OPTIONS: ASan settings for the tools the shell suites run (check-asan)
	[ -f "$s" ] && run_suite "${s#tests/}" env ${AIMET_SUITE_ASAN_OPTIONS:+ASAN_OPTIONS=$AIMET_SUITE_ASAN_OPTIONS} bash "$s"
done
[ "$broken" -eq 0 ] || total_fail=$((total_fail + broken))
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
