#!/usr/bin/env bash
# test_cle.sh: aimet-cle from the shell — help and man page, the report (text and JSON), the
# FP32 function kept, chaining into aimet-biascorr through a pipe, errors and atomic output.
. "$(dirname "$0")/lib.sh"
M=$AIMET_SHARED/models R=$AIMET_SHARED/reference D=$AIMET_SHARED/data
if [ ! -x "$AIMET_BIN/aimet-cle" ]; then echo "FAIL no $AIMET_BIN/aimet-cle"; echo "0 passed, 1 failed"; exit 1; fi

expect_help_in_man aimet-cle
expect_ok "version" aimet-cle -V

# the scrambled ResNet: three pairs equalized, one summary line on stderr, nothing on stdout
aimet-cle "$M/fmnist_resnet8_scrambled.onnx" -o "$T/scr.onnx" >"$T/out" 2>"$T/err"
expect_eq "cle exit" 0 $?
expect_eq "cle stdout" "" "$(cat "$T/out")"
grep -q "^aimet-cle: 9 batch norms folded, 3 sets equalized" "$T/err" && ok || bad "summary: $(cat "$T/err")"
expect_eq "summary is one line" 1 "$(wc -l <"$T/err")"
expect_eq "quiet" "" "$(aimet-cle "$M/fmnist_resnet8_scrambled.onnx" -o "$T/scr2.onnx" -q 2>&1)"
cmp -s "$T/scr.onnx" "$T/scr2.onnx" && ok || bad "two runs differ"
aimet-cle "$M/fmnist_resnet8_scrambled.onnx" -o "$T/scr3.onnx" -v 2>"$T/err"
grep -q "skipped /b1/c2/c2.0/Conv: feeds Add" "$T/err" && ok || bad "-v lists skipped layers: $(head -5 "$T/err")"
# same function: identical accuracy on 500 test images
a0=$(aimet-run "$M/fmnist_resnet8_scrambled.onnx" --data "$D/fmnist_test_x.npy" --labels "$D/fmnist_test_y.npy" --samples 500 -q)
a1=$(aimet-run "$T/scr.onnx" --data "$D/fmnist_test_x.npy" --labels "$D/fmnist_test_y.npy" --samples 500 -q)
[[ $a0 =~ ^accuracy ]] && expect_eq "fp32 accuracy kept" "$a0" "$a1" || bad "accuracy: '$a0'"

# JSON report; ReLU6 replaced unless --keep-relu6
expect_ok "report" aimet-cle "$M/fmnist_mbv2.onnx" -o "$T/mb.onnx" --report "$T/r.json"
grep -q '"relu6_replaced": [1-9]' "$T/r.json" && ok || bad "mbv2: no ReLU6 replaced: $(head -c 300 "$T/r.json")"
grep -q '"sets": \[' "$T/r.json" && grep -q '"skipped": \[' "$T/r.json" && ok || bad "report fields"
expect_ok "keep-relu6" aimet-cle "$M/fmnist_mbv2.onnx" -o "$T/mbk.onnx" --keep-relu6 --report "$T/rk.json"
grep -q '"relu6_replaced": 0' "$T/rk.json" && grep -q 'keep-relu6' "$T/rk.json" && ok || bad "keep-relu6 report"
expect_ok "no-high-bias-fold" aimet-cle "$M/fmnist_mbv2.onnx" -o "$T/mbn.onnx" --keep-relu6 --no-high-bias-fold --report "$T/rn.json"
grep -q '"bias_absorbed_channels": [1-9]' "$T/rn.json" && bad "--no-high-bias-fold absorbed bias" || ok

# stdin to stdout, and into aimet-biascorr
aimet-cle - -o - <"$M/fmnist_mlp.onnx" 2>/dev/null >"$T/pipe.onnx"
expect_eq "stdin/stdout exit" 0 $?
aimet-cle "$M/fmnist_mlp.onnx" -o "$T/file.onnx" -q
cmp -s "$T/pipe.onnx" "$T/file.onnx" && ok || bad "stdin/stdout result differs from files"
aimet-cle "$M/fmnist_mbv2.onnx" -o - -q | aimet-biascorr - --data "$D/fmnist_calib_x.npy" --samples 64 -o "$T/dfq.onnx" -q
expect_eq "pipeline exit" 0 $?
[ -s "$T/dfq.onnx" ] && ok || bad "pipeline wrote nothing"

# errors: one line, exit code, no output left behind
expect_fail "no model" 2 "" aimet-cle -o "$T/x.onnx"
expect_fail "no -o" 2 "" aimet-cle "$M/fmnist_mlp.onnx"
expect_fail "two models" 2 "$T/x.onnx" aimet-cle "$M/fmnist_mlp.onnx" "$M/fmnist_mlp.onnx" -o "$T/x.onnx"
expect_fail "bad option" 2 "$T/x.onnx" aimet-cle "$M/fmnist_mlp.onnx" -o "$T/x.onnx" --bogus
expect_fail "missing file" 1 "$T/x.onnx" aimet-cle "$T/none.onnx" -o "$T/x.onnx"
head -c 3000 "$M/fmnist_mlp.onnx" >"$T/trunc.onnx"
expect_fail "truncated model" 1 "$T/x.onnx" aimet-cle "$T/trunc.onnx" -o "$T/x.onnx"
expect_fail "report and model on stdout" 2 "" aimet-cle "$M/fmnist_mlp.onnx" -o - --report -
expect_fail "unwritable output" 1 "" aimet-cle "$M/fmnist_mlp.onnx" -o "$T/nodir/x.onnx"
expect_fail "unwritable report" 1 "$T/x.onnx" aimet-cle "$M/fmnist_mlp.onnx" -o "$T/x.onnx" --report "$T/nodir/r.json"
ls -a "$T" | grep -q '\.tmp' && bad "temporary files left: $(ls -a "$T")" || ok
finish
