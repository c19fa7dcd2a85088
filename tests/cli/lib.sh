# lib.sh: helpers for the shell test suites (sourced). Each suite ends with `finish`, which
# prints `N passed, N failed`. AIMET_BIN, AIMET_ROOT and AIMET_SHARED come from tests/run.sh.
: "${AIMET_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${AIMET_BIN:=$AIMET_ROOT/build/bin}"
: "${AIMET_SHARED:=$(cd "$AIMET_ROOT/.." && pwd)/shared}"
PATH=$AIMET_BIN:$PATH
pass=0 fail=0
T=$(mktemp -d "${TMPDIR:-/tmp}/aimet-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# expect_ok NAME CMD...: the command exits 0.
expect_ok() {
	local name=$1; shift
	if "$@" >"$T/out" 2>"$T/err"; then ok; else bad "$name: exit $? ($(head -c 300 "$T/err"))"; fi
}
# expect_fail NAME CODE OUTFILE CMD...: exits CODE, prints exactly one stderr line starting with
# the program name, writes nothing to stdout, and OUTFILE (if not '') does not exist.
expect_fail() {
	local name=$1 code=$2 outfile=$3; shift 3
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	local prog; prog=$(basename "$1")
	if [ "$rc" -ne "$code" ]; then bad "$name: exit $rc, want $code ($(head -c 300 "$T/err"))"; return; fi
	if [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q "^$prog: " "$T/err"; then
		bad "$name: stderr is not one '$prog: ' line: $(head -c 300 "$T/err")"; return; fi
	if [ -n "$outfile" ] && [ -e "$outfile" ]; then bad "$name: left output '$outfile'"; return; fi
	ok
}
# expect_eq NAME WANT GOT
expect_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: want '$2', got '$3'"; fi; }

# expect_help_in_man TOOL: --help exits 0 with nothing on stderr, and every long option it
# lists is in the tool's man page.
expect_help_in_man() {
	"$1" --help >"$T/help" 2>"$T/err"
	expect_eq "help exit" 0 $?
	expect_eq "help stderr" "" "$(cat "$T/err")"
	local opt
	for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' "$T/help" | sort -u); do
		grep -q -- "${opt//-/\\\\-}" "$AIMET_ROOT/man/man1/$1.1" || bad "man page lacks $opt"
	done
	ok
}

finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

# ONNX Runtime for Node.js (installed by the README's set-up step) runs the reference scripts.
ORT_NODE_PATH=${ORT_NODE_PATH:-$HOME/.cache/ort/node_modules}
ort_node() { NODE_PATH=$ORT_NODE_PATH node "$@"; }
