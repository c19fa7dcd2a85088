#!/usr/bin/env bash
# node-tests.sh: the ONNX backend node tests (Debian's libonnx-testdata) as a conformance suite.
# Each case runs in its own `aimet-run --test-data` process with a timeout, so a crash or a hang
# is caught and reported. Usage: node-tests.sh [PATTERN...]   (shell globs on case names, e.g.
# 'test_conv*'; default: every case). Env: NODE_DIR (the cases), NODE_LOG (per-case log, default
# tests/tmp/node-tests.log), NODE_TIMEOUT (seconds per case, default 30), NODE_ARGS (more
# aimet-run options, e.g. "--ref" for the reference kernels or "-j 2").
# A case is counted failed only when every op it uses is registered and it fails, crashes or
# times out; unsupported cases (op not registered, dtype refused) are listed, not counted; cases
# named in known-failures.txt ("case reason" per line) are reported as "known", not counted.
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
NODE_DIR=${NODE_DIR:-/usr/share/libonnx-testdata/data/node}
NODE_TIMEOUT=${NODE_TIMEOUT:-30}
KNOWN=$AIMET_ROOT/tests/conformance/known-failures.txt
mkdir -p "$AIMET_ROOT/tests/tmp"
LOG=${NODE_LOG:-$AIMET_ROOT/tests/tmp/node-tests.log}
: >"$LOG"

if [ ! -d "$NODE_DIR" ]; then
	# no test data installed: that is a failure of the environment, not a pass
	bad "no ONNX node tests at $NODE_DIR (install libonnx-testdata)"
	finish; exit
fi
[ -x "$AIMET_BIN/aimet-run" ] || { bad "no $AIMET_BIN/aimet-run"; finish; exit; }
[ $# -gt 0 ] || set -- '*'

declare -A known_reason
if [ -f "$KNOWN" ]; then
	while read -r name reason; do
		case $name in ''|'#'*) continue ;; esac
		known_reason[$name]=${reason:-no reason given}
	done <"$KNOWN"
fi

n_pass=0 n_fail=0 n_unsup=0 n_known=0 n_fixed=0
declare -A unsup_ops
failed_list=()
for pat in "$@"; do
	for dir in "$NODE_DIR"/$pat/; do
		[ -f "$dir/model.onnx" ] || continue
		name=$(basename "$dir")
		# shellcheck disable=SC2086
		out=$(timeout -k 5 "$NODE_TIMEOUT" "$AIMET_BIN/aimet-run" ${NODE_ARGS:-} --test-data "$dir" 2>"$T/err")
		rc=$?
		err=$(head -c 300 "$T/err" | tr '\n' ' ')
		first=${out%%$'\n'*}
		if [ "$rc" -eq 0 ] && [ "$first" = pass ]; then
			status=pass detail=
		elif [ "${first%% *}" = unsupported ]; then
			status=unsupported detail=${first#unsupported }
		elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			status=fail detail="timeout after ${NODE_TIMEOUT}s"
		elif [ "$rc" -ge 128 ]; then
			status=fail detail="crash (signal $((rc - 128))) $err"
		elif [ "${first%% *}" = fail ]; then
			status=fail detail="max error ${first#fail } $err"
		else
			status=fail detail="error (exit $rc): $err"
		fi
		if [ "$status" = fail ] && [ -n "${known_reason[$name]}" ]; then
			status=known detail="${known_reason[$name]} [$detail]"
		elif [ "$status" = pass ] && [ -n "${known_reason[$name]}" ]; then
			n_fixed=$((n_fixed + 1)); detail="listed in known-failures.txt but passes: remove it"
		fi
		printf '%-60s %s %s\n' "$name" "$status" "$detail" >>"$LOG"
		case $status in
		pass) n_pass=$((n_pass + 1)); ok ;;
		unsupported)
			n_unsup=$((n_unsup + 1))
			op=$(sed -n "s/.*unsupported op '\([^']*\)'.*/\1/p" <<<"$detail")
			[ -n "$op" ] || op="(dtype/feature)"
			unsup_ops[$op]=$(( ${unsup_ops[$op]:-0} + 1 )) ;;
		known) n_known=$((n_known + 1)) ;;
		*) n_fail=$((n_fail + 1)); failed_list+=("$name: $detail"); bad "$name: $detail" ;;
		esac
	done
done

{
	echo "node tests: $n_pass pass, $n_fail fail, $n_known known failures, $n_unsup unsupported"
	[ "$n_fixed" -eq 0 ] || echo "$n_fixed known failures now pass (see $LOG)"
	if [ "$n_unsup" -gt 0 ]; then
		echo "unsupported, by first missing op (cases):"
		for op in "${!unsup_ops[@]}"; do echo "  ${unsup_ops[$op]} $op"; done | sort -rn | head -n 40
	fi
	echo "log: $LOG"
} | tee -a "$LOG" >&2
finish
