#!/usr/bin/env bash
# test_encodings.sh: aimet-encodings from the shell — show, validate, convert, diff and qdq, their
# exit codes and one-line errors, atomic output, and --help against the man page.
. "$(dirname "$0")/lib.sh"
E=aimet-encodings
D=$AIMET_ROOT/tests/data
MODEL=$D/enc_model.onnx
if ! command -v $E >/dev/null; then echo "FAIL $E not built in $AIMET_BIN"; echo "0 passed, 1 failed"; exit 1; fi

# ---- help, version, usage errors ----
$E --help >"$T/help" 2>"$T/err"
expect_eq "help exit" 0 $?
expect_eq "help stderr" "" "$(cat "$T/err")"
expect_eq "help first line" "usage: aimet-encodings show ENCODINGS" "$(head -n 1 "$T/help")"
# every option of --help is in the man page's OPTIONS, and the other way round
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$AIMET_ROOT/man/man1/$E.1" | sed 's/\\-/-/g' >"$T/manopts"
sed -n '/^Options:/,$p' "$T/help" | grep -oE -- '--[a-z][a-z-]*' | sort -u >"$T/helplist"
grep -oE -- '--[a-z][a-z-]*' "$T/manopts" | sort -u >"$T/manlist"
expect_eq "help options = man options" "$(cat "$T/helplist")" "$(cat "$T/manlist")"
[ "$(wc -l <"$T/helplist")" -ge 8 ] && ok || bad "help lists too few options"
for s in show validate convert diff qdq; do
	grep -q "^\.B aimet-encodings $s" "$AIMET_ROOT/man/man1/$E.1" && ok || bad "man synopsis lacks $s"
	grep -q "aimet-encodings $s" "$T/help" && ok || bad "help lacks $s"
done
expect_eq "version" "aimet-encodings (aimet-tools) 0.1.0" "$($E -V)"
expect_fail "no command" 2 '' $E
expect_fail "unknown command" 2 '' $E frobnicate x
expect_fail "show without a file" 2 '' $E show
expect_fail "show with two files" 2 '' $E show a b
expect_fail "validate with one file" 2 '' $E validate "$MODEL"
expect_fail "diff with one file" 2 '' $E diff a
expect_fail "-o outside convert" 2 '' $E show "$D/example_061.encodings" -o "$T/x"
expect_fail "bad --to" 2 "$T/x" $E convert "$D/example_061.encodings" --to 1.2.3 -o "$T/x"
expect_fail "unknown option" 2 '' $E show --frobnicate "$D/example_061.encodings"

# ---- show ----
expect_ok "show 0.6.1" $E show "$D/example_061.encodings"
expect_eq "show rows" 3 "$(wc -l <"$T/out")"
expect_eq "show stderr" "" "$(cat "$T/err")"
head -n 1 "$T/out" | grep -qE '^NAME +KIND +BW +MODE +CHANNELS +SCALE +OFFSET +MIN +MAX$' && ok ||
	bad "show header: $(head -n 1 "$T/out")"
grep -qE '^input +act +8 +asym +- +0\.0113333 +-46 +' "$T/out" && ok || bad "show input: $(cat "$T/out")"
grep -qE '^conv1\.weight +param +8 +sym +2 +0\.0015748\.\.0\.0062992 +-128 ' "$T/out" && ok ||
	bad "show conv1.weight: $(cat "$T/out")"
expect_ok "show 1.0.0" $E show "$D/enc_model_100.encodings"
grep -qE '^f1 +act +16 +float ' "$T/out" && ok || bad "show float: $(cat "$T/out")"
grep -qE '^conv1\.weight +param +8 +sym\+strict +2 ' "$T/out" && ok || bad "show mixed: $(cat "$T/out")"
grep -qE '^r1 +act +16 +unsigned ' "$T/out" && ok || bad "show unsigned: $(cat "$T/out")"
expect_eq "show from stdin" "$($E show "$D/example_061.encodings")" "$($E show - <"$D/example_061.encodings")"

# ---- bad files: exit 1, one line naming the file ----
expect_fail "NaN scale" 1 '' $E show "$D/bad_nan.encodings"
grep -q "cannot read '$D/bad_nan.encodings': .*NaN is not a valid JSON number" "$T/err" && ok || bad "NaN message: $(cat "$T/err")"
expect_fail "zero scale" 1 '' $E show "$D/bad_zero_scale.encodings"
expect_eq "zero scale message" \
	"aimet-encodings: cannot read '$D/bad_zero_scale.encodings': 'conv1.weight': channel 1: scale must be > 0 (got 0)" \
	"$(cat "$T/err")"
expect_fail "bitwidth 0" 1 '' $E show "$D/bad_bw0.encodings"
expect_eq "bitwidth 0 message" \
	"aimet-encodings: cannot read '$D/bad_bw0.encodings': 'input': bitwidth 0 is out of range (2 to 32)" \
	"$(cat "$T/err")"
expect_fail "bitwidth 64" 1 '' $E show "$D/bad_bw64.encodings"
grep -q "'input': output_dtype 'uint64' is not supported" "$T/err" && ok || bad "bw64 message: $(cat "$T/err")"
sed 's/"bw": 16, "is_sym": true/"bw": 64, "is_sym": true/' "$D/enc_model_100.encodings" >"$T/bw64.encodings"
expect_fail "bitwidth 64 (1.0.0)" 1 '' $E show "$T/bw64.encodings"
grep -q "'r1': bitwidth 64 is out of range" "$T/err" && ok || bad "bw64 1.0.0 message: $(cat "$T/err")"
expect_fail "truncated" 1 '' $E show "$D/bad_truncated.encodings"
grep -q "cannot read '$D/bad_truncated.encodings': invalid JSON at line 1" "$T/err" && ok || bad "truncated message: $(cat "$T/err")"
expect_fail "wrong types" 1 '' $E show "$D/bad_types.encodings"
grep -q "'input': 'scale' must be a list of numbers" "$T/err" && ok || bad "types message: $(cat "$T/err")"
{ printf '{"version": "1.0.0", "activation_encodings": '; head -c 100000 /dev/zero | tr '\0' '['; } >"$T/deep.encodings"
expect_fail "deeply nested" 1 '' $E show "$T/deep.encodings"
: >"$T/empty.encodings"
expect_fail "empty file" 1 '' $E show "$T/empty.encodings"
expect_fail "missing file" 1 '' $E show "$T/nonexistent.encodings"
expect_eq "missing file message" \
	"aimet-encodings: cannot read '$T/nonexistent.encodings': No such file or directory" "$(cat "$T/err")"
expect_fail "directory" 1 '' $E show "$T"
truncate -s 257M "$T/huge.encodings"
expect_fail "over 256 MiB" 1 '' $E show "$T/huge.encodings"
grep -q "larger than 256 MiB" "$T/err" && ok || bad "huge message: $(cat "$T/err")"
rm -f "$T/huge.encodings"
expect_fail "not encodings" 1 '' $E show "$AIMET_ROOT/tests/data/enc_model.onnx"

# ---- validate ----
expect_ok "validate 1.0.0" $E validate "$MODEL" "$D/enc_model_100.encodings"
expect_eq "validate prints valid" "valid" "$(cat "$T/out")"
expect_ok "validate 0.6.1 example" $E validate "$MODEL" "$D/example_061.encodings"
sed 's/"scale": \[0.01, 0.02, 0.03\], "offset": \[-128, 0, -128\]/"scale": [0.01, 0.02], "offset": [-128, 0]/' \
	"$D/enc_model_100.encodings" >"$T/count.encodings"
expect_fail "validate channel count" 1 '' $E validate "$MODEL" "$T/count.encodings"
expect_eq "channel count message" \
	"aimet-encodings: '$T/count.encodings' does not fit '$MODEL': 'mm.weight': 2 per-channel encodings, but the weight has 3 channels along axis 1" \
	"$(cat "$T/err")"
sed 's/"name": "r1"/"name": "nope"/' "$D/enc_model_100.encodings" >"$T/name.encodings"
expect_fail "validate unknown name" 1 '' $E validate "$MODEL" "$T/name.encodings"
grep -q "'nope': no tensor of that name in the model" "$T/err" && ok || bad "name message: $(cat "$T/err")"
sed 's/"name": "mm.weight"/"name": "r1x"/; s/"name": "r1"/"name": "mm.weight"/; s/"name": "r1x"/"name": "r1"/' \
	"$D/enc_model_100.encodings" >"$T/swap.encodings"
expect_fail "validate param on an activation" 1 '' $E validate "$MODEL" "$T/swap.encodings"
grep -q "'r1': param encoding for a tensor that is not a weight" "$T/err" && ok || bad "swap message: $(cat "$T/err")"
expect_fail "validate bad encodings" 1 '' $E validate "$MODEL" "$D/bad_zero_scale.encodings"
printf 'not a model' >"$T/bad.onnx"
expect_fail "validate bad model" 1 '' $E validate "$T/bad.onnx" "$D/enc_model_100.encodings"
expect_ok "validate encodings from stdin" sh -c "$E validate '$MODEL' - <'$D/enc_model_100.encodings'"

# ---- convert: every version, values preserved exactly ----
expect_ok "convert to 1.0.0 (default)" $E convert "$D/example_061.encodings" -o "$T/a100.encodings"
grep -q '"version": "1.0.0"' "$T/a100.encodings" && ok || bad "default version"
grep -q '"scale": \[0.0062992, 0.0015748\]' "$T/a100.encodings" && ok || bad "1.0.0 scales verbatim"
expect_ok "1.0.0 -> 2.0.0" $E convert "$T/a100.encodings" --to 2.0.0 -o "$T/a200.encodings"
grep -q '"output_dtype": "uint8", "y_scale": 0.0113333, "y_zero_point": 46' "$T/a200.encodings" && ok ||
	bad "2.0.0 asym entry: $(cat "$T/a200.encodings")"
expect_ok "2.0.0 -> 0.6.1" $E convert "$T/a200.encodings" --to 0.6.1 -o "$T/a061.encodings"
expect_ok "diff after the chain" $E diff "$D/example_061.encodings" "$T/a061.encodings"
expect_eq "diff after the chain prints nothing" "" "$(cat "$T/out")"
# the model fills kinds and axes: 1.0.0 -> 2.0.0 -> 1.0.0 gives the same file back
expect_ok "model chain to 2.0.0" $E convert "$D/enc_model_100.encodings" --to 2.0.0 -o "$T/m200.encodings"
expect_eq "note about unknown axes" 1 "$(grep -c 'axes unknown' "$T/err")"
expect_ok "model chain with --model" $E convert "$D/enc_model_100.encodings" --to 2.0.0 --model "$MODEL" -o "$T/m200.encodings"
grep -q '"name": "mm.weight", "output_dtype": "int8", .*"axis": 1' "$T/m200.encodings" && ok ||
	bad "mm.weight axis 1: $(cat "$T/m200.encodings")"
expect_ok "validate the 2.0.0 file" $E validate "$MODEL" "$T/m200.encodings"
expect_ok "back to 1.0.0 with --model" $E convert "$T/m200.encodings" --model "$MODEL" -o "$T/m100.encodings"
expect_ok "back to 0.6.1" $E convert "$T/m100.encodings" --to 0.6.1 -o "$T/m061.encodings"
expect_ok "and to 1.0.0 again" $E convert "$T/m061.encodings" -o "$T/m100b.encodings"
expect_ok "1.0.0 -> 2.0.0 -> 1.0.0 -> 0.6.1 -> 1.0.0 is identical" $E diff "$D/enc_model_100.encodings" "$T/m100b.encodings"
$E convert "$D/enc_model_100.encodings" -o "$T/m100a.encodings"
cmp -s "$T/m100a.encodings" "$T/m100b.encodings" && ok || bad "1.0.0 text differs after the chain"
expect_eq "stdout and stdin" "$(cat "$T/m100a.encodings")" \
	"$($E convert - <"$D/enc_model_100.encodings")"
# a 2.0.0 file written without the model holds axis 0 for mm.weight: validate catches it
$E convert "$D/enc_model_100.encodings" --to 2.0.0 -q -o "$T/wrong200.encodings"
expect_fail "validate wrong axis" 1 '' $E validate "$MODEL" "$T/wrong200.encodings"
grep -q "'mm.weight': channel axis 0, but the weight's consumer quantizes along axis 1" "$T/err" && ok ||
	bad "axis message: $(cat "$T/err")"

# ---- convert failures leave nothing behind and never touch an existing output ----
expect_fail "convert bad input" 1 "$T/out1.encodings" $E convert "$D/bad_nan.encodings" -o "$T/out1.encodings"
sed 's/"bw": 4, "is_sym": false/"bw": 6, "is_sym": false/' "$D/enc_model_100.encodings" >"$T/six.encodings"
expect_fail "6 bits in 2.0.0" 1 "$T/out2.encodings" $E convert "$T/six.encodings" --to 2.0.0 -o "$T/out2.encodings"
grep -q "'out': a 6-bit encoding has no 2.0.0 output_dtype" "$T/err" && ok || bad "6-bit message: $(cat "$T/err")"
echo keep >"$T/existing.encodings"
expect_fail "failure keeps the old file" 1 '' $E convert "$D/bad_truncated.encodings" -o "$T/existing.encodings"
expect_eq "old file untouched" "keep" "$(cat "$T/existing.encodings")"
expect_eq "no temporaries left" "" "$(ls -A "$T" | grep '^\.' )"
expect_fail "convert into a missing directory" 1 '' $E convert "$D/example_061.encodings" -o "$T/no/such/dir.encodings"

# ---- diff ----
expect_ok "diff identical" $E diff "$D/example_061.encodings" "$D/example_061.encodings"
sed 's/"scale": 0.0015748/"scale": 0.0015749/' "$D/example_061.encodings" >"$T/d1.encodings"
expect_fail_out() { "$@" >"$T/out" 2>"$T/err"; echo $?; }
expect_eq "diff differs exits 1" 1 "$(expect_fail_out $E diff "$D/example_061.encodings" "$T/d1.encodings")"
expect_eq "diff line" "conv1.weight: scale[1] 0.0015748 != 0.0015749" "$(cat "$T/out")"
expect_eq "diff stderr empty" "" "$(cat "$T/err")"
sed 's/"offset": -46/"offset": -45/' "$D/example_061.encodings" >"$T/d2.encodings"
expect_eq "diff offset" 1 "$(expect_fail_out $E diff "$D/example_061.encodings" "$T/d2.encodings")"
expect_eq "diff offset line" "input: offset -46 != -45" "$(cat "$T/out")"
expect_eq "diff only-in" 1 "$(expect_fail_out $E diff "$D/example_061.encodings" "$D/enc_model_100.encodings")"
grep -qx "r1: only in '$D/enc_model_100.encodings'" "$T/out" && ok || bad "only in: $(cat "$T/out")"
grep -qx "conv1.weight: offset\[1\] -128 != -127" "$T/out" && ok || bad "per-channel diff: $(cat "$T/out")"
expect_fail "diff bad input" 1 '' $E diff "$D/example_061.encodings" "$D/bad_types.encodings"
expect_fail "diff both stdin" 2 '' $E diff - -

# ---- a real model, when the shared models are present ----
MLP=$AIMET_SHARED/models/fmnist_mlp.onnx
if [ -f "$MLP" ]; then
	ones() { local n=$1 v=$2 s=""; for ((i = 0; i < n; i++)); do s+="${s:+, }$v"; done; echo "$s"; }
	cat >"$T/mlp.encodings" <<EOF
{"version": "1.0.0", "activation_encodings": [
 {"name": "input", "enc_type": "PER_TENSOR", "dtype": "INT", "bw": 8, "is_sym": false, "scale": [0.00392157], "offset": [0]}],
 "param_encodings": [
 {"name": "l1.weight", "enc_type": "PER_CHANNEL", "dtype": "INT", "bw": 8, "is_sym": true, "scale": [$(ones 256 0.01)], "offset": [$(ones 256 -128)]},
 {"name": "l3.weight", "enc_type": "PER_TENSOR", "dtype": "INT", "bw": 8, "is_sym": true, "scale": [0.01], "offset": [-128]}]}
EOF
	expect_ok "validate fmnist_mlp" $E validate "$MLP" "$T/mlp.encodings"
	sed 's/"name": "l1.weight"/"name": "l2.weight"/' "$T/mlp.encodings" >"$T/mlp2.encodings"
	expect_fail "fmnist_mlp channel count" 1 '' $E validate "$MLP" "$T/mlp2.encodings"
	grep -q "'l2.weight': 256 per-channel encodings, but the weight has 128 channels along axis 0" "$T/err" && ok ||
		bad "mlp message: $(cat "$T/err")"
fi

# ---- qdq: the model aimet-sim --qdq writes, from an encodings file of any version ----
EX=$AIMET_ROOT/share/aimet/examples
RN=$EX/fmnist_resnet8.onnx
expect_ok "sim for qdq" aimet-sim "$RN" --data "$EX/calib_x.npy" --samples 64 -q \
	-o "$T/qs.onnx" --encodings "$T/q1.0.0.enc" --qdq "$T/qa.onnx"
expect_ok "qdq from 1.0.0" $E qdq "$T/qs.onnx" "$T/q1.0.0.enc" -o "$T/qb1.0.0.onnx"
expect_eq "qdq writes nothing on stdout or stderr" "" "$(cat "$T/out" "$T/err")"
cmp -s "$T/qa.onnx" "$T/qb1.0.0.onnx" && ok || bad "qdq from 1.0.0 differs from aimet-sim --qdq"
# ONNX Runtime runs both; the other versions give the same outputs
ort_node "$AIMET_SHARED/tools/refout.js" "$T/qa.onnx" "$EX/calib_x.npy" "$T/ort_sim" >"$T/ort.log" 2>&1
ref=$(ls "$T"/ort_sim/0_*.npy 2>/dev/null | head -n 1)
[ -n "$ref" ] && [ "$(wc -c <"$ref")" -gt 10000 ] && ok ||
	bad "ONNX Runtime did not run the aimet-sim QDQ model: $(head -c 300 "$T/ort.log")"
for v in 0.6.1 2.0.0; do
	expect_ok "convert to $v for qdq" $E convert "$T/q1.0.0.enc" --to $v -o "$T/q$v.enc"
	expect_ok "qdq from $v" $E qdq "$T/qs.onnx" "$T/q$v.enc" -o "$T/qb$v.onnx"
	cmp -s "$T/qa.onnx" "$T/qb$v.onnx" && ok || bad "qdq from $v differs from aimet-sim --qdq"
	ort_node "$AIMET_SHARED/tools/refout.js" "$T/qb$v.onnx" "$EX/calib_x.npy" "$T/ort_$v" >"$T/ort.log" 2>&1
	got=$(ls "$T"/ort_$v/0_*.npy 2>/dev/null | head -n 1)
	[ -n "$ref" ] && [ -n "$got" ] && cmp -s "$ref" "$got" && ok ||
		bad "ONNX Runtime outputs differ for the QDQ model from $v: $(head -c 300 "$T/ort.log")"
done
# stdout, and the inputs from stdin
$E qdq "$T/qs.onnx" "$T/q2.0.0.enc" -o - >"$T/qstdout.onnx" 2>"$T/err"
expect_eq "qdq -o - exit" 0 $?
cmp -s "$T/qa.onnx" "$T/qstdout.onnx" && ok || bad "qdq -o - differs"
$E qdq "$T/qs.onnx" "$T/q0.6.1.enc" >"$T/qstdout2.onnx" 2>"$T/err"
expect_eq "qdq to stdout by default" 0 $?
cmp -s "$T/qa.onnx" "$T/qstdout2.onnx" && ok || bad "qdq to default stdout differs"
$E qdq - "$T/q1.0.0.enc" -o "$T/qstdin.onnx" <"$T/qs.onnx" 2>"$T/err" &&
	cmp -s "$T/qa.onnx" "$T/qstdin.onnx" && ok || bad "qdq with the model from stdin: $(cat "$T/err")"
$E qdq "$T/qs.onnx" - -o "$T/qstdin2.onnx" <"$T/q2.0.0.enc" 2>"$T/err" &&
	cmp -s "$T/qa.onnx" "$T/qstdin2.onnx" && ok || bad "qdq with the encodings from stdin: $(cat "$T/err")"
# per-channel weights and 16-bit activations (int16 storage, opset 21)
printf 'defaults:\n  ops: {is_output_quantized: "True"}\n  params: {is_quantized: "True", is_symmetric: "True"}\n  per_channel_quantization: "True"\nmodel_input: {is_input_quantized: "True"}\n' >"$T/qpc.yaml"
expect_ok "sim per-channel A16" aimet-sim "$RN" --data "$EX/calib_x.npy" --samples 64 -q --config "$T/qpc.yaml" \
	--act-bw 16 -o "$T/qs16.onnx" --encodings "$T/q16.enc" --encoding-version 2.0.0 --qdq "$T/qa16.onnx"
grep -q '"axis"' "$T/q16.enc" && ok || bad "per-channel config gave no per-channel encodings"
for v in 0.6.1 1.0.0; do
	$E convert "$T/q16.enc" --to $v --model "$T/qs16.onnx" -o "$T/q16_$v.enc" 2>"$T/err" || bad "convert per-channel to $v: $(cat "$T/err")"
	expect_ok "qdq per-channel A16 from $v" $E qdq "$T/qs16.onnx" "$T/q16_$v.enc" -o "$T/qb16.onnx"
	cmp -s "$T/qa16.onnx" "$T/qb16.onnx" && ok || bad "per-channel A16 qdq from $v differs from aimet-sim --qdq"
done
ort_node "$AIMET_SHARED/tools/refout.js" "$T/qa16.onnx" "$EX/calib_x.npy" "$T/ort16a" >"$T/ort.log" 2>&1
ort_node "$AIMET_SHARED/tools/refout.js" "$T/qb16.onnx" "$EX/calib_x.npy" "$T/ort16b" >>"$T/ort.log" 2>&1
a16=$(ls "$T"/ort16a/0_*.npy 2>/dev/null | head -n 1) b16=$(ls "$T"/ort16b/0_*.npy 2>/dev/null | head -n 1)
[ -n "$a16" ] && [ -n "$b16" ] && cmp -s "$a16" "$b16" && ok ||
	bad "ONNX Runtime on the per-channel A16 QDQ models: $(head -c 300 "$T/ort.log")"
# a per-channel axis other than 0 (MatMul): the model supplies what 1.0.0 and 0.6.1 leave out
expect_ok "qdq enc_model 1.0.0" $E qdq "$MODEL" "$D/enc_model_100.encodings" -o "$T/em100.onnx"
$E convert "$D/enc_model_100.encodings" --to 0.6.1 -o "$T/em061.enc" &&
	$E convert "$D/enc_model_100.encodings" --to 2.0.0 --model "$MODEL" -o "$T/em200.enc" || bad "convert enc_model encodings"
for v in 061 200; do
	expect_ok "qdq enc_model $v" $E qdq "$MODEL" "$T/em$v.enc" -o "$T/em$v.onnx"
	cmp -s "$T/em100.onnx" "$T/em$v.onnx" && ok || bad "enc_model qdq from $v differs from 1.0.0"
done
expect_fail "qdq with a wrong 2.0.0 axis" 1 "$T/emw.onnx" $E qdq "$MODEL" "$T/wrong200.encodings" -o "$T/emw.onnx"
grep -q "'mm.weight': channel axis 0, but" "$T/err" && ok || bad "wrong axis message: $(cat "$T/err")"

# ---- qdq errors: one line, exit 1, no output file, an existing output untouched ----
sed 's/"name": "\/Relu_output_0"/"name": "nope"/' "$T/q1.0.0.enc" >"$T/qnope.enc"
expect_fail "qdq names a missing tensor" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$T/qnope.enc" -o "$T/qx.onnx"
expect_eq "missing tensor message" \
	"aimet-encodings: '$T/qnope.enc' does not fit '$T/qs.onnx': 'nope': no tensor of that name in the model" \
	"$(cat "$T/err")"
$E convert "$T/q16.enc" --to 1.0.0 -q -o "$T/q16_nomodel.enc"
expect_fail "qdq with params listed as activations" 1 "$T/qx.onnx" $E qdq "$T/qs16.onnx" "$T/q16_nomodel.enc" -o "$T/qx.onnx"
grep -q "': activation encoding for a weight (a file converted from 2.0.0 without --model?)$" "$T/err" && ok ||
	bad "params as activations message: $(cat "$T/err")"
expect_fail "qdq with another model's encodings" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$D/enc_model_100.encodings" -o "$T/qx.onnx"
sed 's/"scale": \[0.01, 0.02, 0.03\], "offset": \[-128, 0, -128\]/"scale": [0.01, 0.02], "offset": [-128, 0]/' \
	"$D/enc_model_100.encodings" >"$T/qcount.enc"
expect_fail "qdq channel count" 1 "$T/qx.onnx" $E qdq "$MODEL" "$T/qcount.enc" -o "$T/qx.onnx"
grep -q "'mm.weight': 2 per-channel encodings, but the weight has 3 channels" "$T/err" && ok || bad "count message: $(cat "$T/err")"
expect_fail "qdq missing encodings" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$T/nonexistent.enc" -o "$T/qx.onnx"
expect_eq "missing encodings message" "aimet-encodings: cannot read '$T/nonexistent.enc': No such file or directory" "$(cat "$T/err")"
expect_fail "qdq missing model" 1 "$T/qx.onnx" $E qdq "$T/nonexistent.onnx" "$T/q1.0.0.enc" -o "$T/qx.onnx"
grep -q "'$T/nonexistent.onnx'" "$T/err" && ok || bad "missing model message: $(cat "$T/err")"
head -c 1000 "$T/qs.onnx" >"$T/qtrunc.onnx"
expect_fail "qdq truncated model" 1 "$T/qx.onnx" $E qdq "$T/qtrunc.onnx" "$T/q1.0.0.enc" -o "$T/qx.onnx"
expect_fail "qdq encodings are a directory" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$T" -o "$T/qx.onnx"
expect_fail "qdq truncated encodings" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$D/bad_truncated.encodings" -o "$T/qx.onnx"
expect_fail "qdq model as encodings" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$T/qs.onnx" -o "$T/qx.onnx"
sed '0,/"bw": 8/s//"bw": 0/' "$T/q1.0.0.enc" >"$T/qbw0.enc"
expect_fail "qdq bitwidth 0" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$T/qbw0.enc" -o "$T/qx.onnx"
grep -q "'input': bitwidth 0 is out of range (2 to 32)" "$T/err" && ok || bad "bw0 message: $(cat "$T/err")"
sed '0,/"bw": 8/s//"bw": 64/' "$T/q1.0.0.enc" >"$T/qbw64.enc"
expect_fail "qdq bitwidth 64" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$T/qbw64.enc" -o "$T/qx.onnx"
sed '0,/"bw": 8/s//"bw": 32/' "$T/q1.0.0.enc" >"$T/qbw32.enc"
expect_fail "qdq bitwidth 32" 1 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$T/qbw32.enc" -o "$T/qx.onnx"
expect_eq "bitwidth 32 message" \
	"aimet-encodings: cannot export '$T/qs.onnx' with '$T/qbw32.enc': 'input': bitwidth 32 has no QDQ storage type" \
	"$(cat "$T/err")"
$E qdq "$T/qs.onnx" "$T/qbw32.enc" -o - >"$T/qfailout" 2>/dev/null
expect_eq "failed qdq -o - exits 1" 1 $?
expect_eq "failed qdq -o - writes nothing" 0 "$(wc -c <"$T/qfailout")"
echo keep >"$T/qkeep.onnx"
expect_fail "qdq failure keeps the old file" 1 '' $E qdq "$T/qs.onnx" "$T/qnope.enc" -o "$T/qkeep.onnx"
expect_eq "old model untouched" "keep" "$(cat "$T/qkeep.onnx")"
expect_fail "qdq into a missing directory" 1 '' $E qdq "$T/qs.onnx" "$T/q1.0.0.enc" -o "$T/no/such/dir.onnx"
expect_eq "no temporaries left by qdq" "" "$(ls -A "$T" | grep '^\.')"
expect_fail "qdq without encodings" 2 '' $E qdq "$T/qs.onnx"
expect_fail "qdq with three files" 2 '' $E qdq "$T/qs.onnx" "$T/q1.0.0.enc" "$T/q0.6.1.enc"
expect_fail "qdq both stdin" 2 '' $E qdq - -
expect_fail "qdq --to" 2 "$T/qx.onnx" $E qdq "$T/qs.onnx" "$T/q1.0.0.enc" --to 1.0.0 -o "$T/qx.onnx"

finish
