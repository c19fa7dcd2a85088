#!/usr/bin/env bash
# test_common.sh: the shared CLI conventions seen from the shell, through the test-only tool
# mode of build/tests/unit/test_cli: exit codes, one-line errors, data options, atomic output.
. "$(dirname "$0")/lib.sh"
TC=${AIMET_TEST_CLI:-${AIMET_BIN%/*}/tests/unit/test_cli}
if [ ! -x "$TC" ]; then echo "FAIL test_cli not built at $TC"; echo "0 passed, 1 failed"; exit 1; fi
tc() { "$TC" tool "$@"; }

# mknpy FILE DESCR SHAPE DATA: a version 1.0 .npy; DATA is a printf format of the raw bytes.
mknpy() {
	local dict="{'descr': '$2', 'fortran_order': False, 'shape': $3, }"
	local total=$(( (10 + ${#dict} + 1 + 63) / 64 * 64 )) hl
	hl=$((total - 10))
	{
		printf '\x93NUMPY\x01\x00'
		printf "\\x$(printf %02x $((hl & 255)))\\x$(printf %02x $((hl >> 8)))"
		printf '%s' "$dict"
		printf "%$((total - 10 - ${#dict} - 1))s\n" ''
		printf "$4"
	} >"$1"
}

# usage and help
"$TC" tool --help >"$T/out" 2>"$T/err"
expect_eq "help exit" 0 $?
expect_eq "help on stdout" "Usage: test_cli tool [OPTIONS] [ARGS]" "$(head -n 1 "$T/out")"
expect_eq "help stderr empty" "" "$(cat "$T/err")"
grep -q -- '--data FILE' "$T/out" && ok || bad "help lists --data"
grep -q -- '-q, --quiet' "$T/out" && ok || bad "help lists -q"
expect_eq "version" "test_cli (aimet-tools) 0.1.0" "$(tc -V)"
expect_fail "unknown option" 2 '' "$TC" tool --frobnicate
expect_fail "unknown short option" 2 '' "$TC" tool -Z
expect_fail "missing value" 2 '' "$TC" tool --batch
expect_fail "bad number" 2 '' "$TC" tool --data x.npy --batch ten
expect_fail "bad -j" 2 '' "$TC" tool -j x
expect_fail "bad mean" 2 '' "$TC" tool --data x.npy --mean 1,,2
grep -q "^test_cli: invalid value '1,,2' for --mean" "$T/err" && ok || bad "mean message: $(cat "$T/err")"
expect_eq "-- ends options" "pos -o
pos -" "$(tc -- -o -)"
expect_eq "options after positionals" "pos a
pos b" "$(tc a -q b -j2)"

# data
mknpy "$T/u8.npy" '|u1' '(4, 1)' '\x00\x0a\x14\x1e'
mknpy "$T/f32.npy" '<f4' '(4,)' '\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40'
mknpy "$T/ids.npy" '<i8' '(4,)' '\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0\x04\0\0\0\0\0\0\0'
expect_eq "npy batches" "samples 4 batches 2 sum 10" "$(tc --data "$T/f32.npy" --batch 2)"
expect_eq "partial batch" "samples 4 batches 2 sum 10" "$(tc --data "$T/f32.npy" --batch 3)"
expect_eq "last --batch wins" "samples 4 batches 4 sum 10" "$(tc --data "$T/f32.npy" --batch 3 --batch=1)"
expect_eq "samples" "samples 3 batches 1 sum 6" "$(tc --data "$T/f32.npy" --samples 3 --batch 8)"
expect_eq "uint8 preprocessing" "samples 4 batches 2 sum 2" \
	"$(tc --data "$T/u8.npy" --scale 0.1 --mean 1 --std 1)"
expect_eq "uint8 as float" "samples 4 batches 2 sum 60" "$(tc --data "$T/u8.npy")"
expect_eq "two inputs" "samples 4 batches 2 sum 20" "$(tc --data a="$T/f32.npy" --data b="$T/ids.npy")"
mkdir "$T/dir"
cp "$T/f32.npy" "$T/dir/0.npy"; cp "$T/f32.npy" "$T/dir/1.npy"
expect_eq "directory" "samples 8 batches 3 sum 20" "$(tc --data "$T/dir" --batch 3)"
printf 'PK\003\004junk' >"$T/zip.npy"
expect_fail "bad magic" 1 '' "$TC" tool --data "$T/zip.npy"
expect_eq "bad magic message" "test_cli: cannot read '$T/zip.npy': not a .npy file (bad magic)" "$(cat "$T/err")"
head -c 130 "$T/f32.npy" >"$T/trunc.npy"
expect_fail "truncated" 1 '' "$TC" tool --data "$T/trunc.npy"
expect_eq "truncated message" "test_cli: cannot read '$T/trunc.npy': truncated data: expected 16 bytes, found 2" "$(cat "$T/err")"
expect_fail "missing data" 1 '' "$TC" tool --data "$T/nope.npy"
expect_fail "mean channels" 1 '' "$TC" tool --data "$T/u8.npy" --mean 1,2
mknpy "$T/u8b.npy" '|u1' '(5, 1)' '\x00\x0a\x14\x1e\x28'
expect_fail "sample counts differ" 1 '' "$TC" tool --data a="$T/f32.npy" --data b="$T/u8b.npy"

# atomic output
expect_ok "write" "$TC" tool -o "$T/out.npy"
expect_eq "written size" 140 "$(wc -c <"$T/out.npy")"
expect_fail "failed run leaves no file" 1 "$T/new.npy" "$TC" tool -o "$T/new.npy" --fail
echo old >"$T/keep.npy"
expect_fail "failed run keeps the old file" 1 '' "$TC" tool -o "$T/keep.npy" --fail
expect_eq "old contents" old "$(cat "$T/keep.npy")"
"$TC" tool -o - >/dev/full 2>"$T/err"
expect_eq "stdout full exit" 1 $?
expect_eq "stdout full message" "test_cli: cannot write to stdout: No space left on device" "$(cat "$T/err")"
expect_fail "/dev/full" 1 '' "$TC" tool -o /dev/full
expect_eq "/dev/full message" "test_cli: cannot write '/dev/full': No space left on device" "$(cat "$T/err")"
expect_eq "stdout output" 140 "$(tc -o - | wc -c)"
expect_fail "no such directory" 1 '' "$TC" tool -o "$T/none/x.npy"

# signals: a pending output is removed; 128+signal
mkdir "$T/sig"
# wait (up to 5 s) until the tool has its temporary open, so the handlers are installed
wait_tmp() { for _ in $(seq 50); do [ -n "$(ls -A "$T/sig")" ] && return; sleep 0.1; done; }
"$TC" tool -o "$T/sig/x.npy" --sleep 5 --check 2>"$T/err" & pid=$!
wait_tmp; kill -TERM $pid; wait $pid; rc=$?
expect_eq "TERM exit (tool checks)" 143 $rc
expect_eq "TERM message" "test_cli: interrupted" "$(cat "$T/err")"
expect_eq "TERM leaves nothing" "" "$(ls -A "$T/sig")"
"$TC" tool -o "$T/sig/x.npy" --sleep 5 2>"$T/err" & pid=$!
wait_tmp; kill -TERM $pid; wait $pid; rc=$?
expect_eq "TERM exit (tool ignores)" 143 $rc
expect_eq "TERM leaves nothing" "" "$(ls -A "$T/sig")"
"$TC" tool -o "$T/sig/x.npy" --sleep 5 2>"$T/err" & pid=$!
wait_tmp; kill -TERM $pid; sleep 0.1; kill -TERM $pid; wait $pid; rc=$?
expect_eq "second TERM" 143 $rc
expect_eq "second TERM leaves nothing" "" "$(ls -A "$T/sig")"

# progress: plain lines when stderr is not a terminal; nothing with -q
tc --progress 5 2>"$T/err"
expect_eq "progress lines" "test_cli: step 1/5
test_cli: step 5/5" "$(cat "$T/err")"
tc --progress 5 -q 2>"$T/err"
expect_eq "quiet progress" "" "$(cat "$T/err")"
finish
