#!/usr/bin/env bash
# test_run.sh: aimet-run from the shell — outputs (file and directory), accuracy, benchmark,
# ONNX test cases (pass, fail, unsupported), thread-count invariance, errors and atomic output.
. "$(dirname "$0")/lib.sh"
M=$AIMET_SHARED/models R=$AIMET_SHARED/reference D=$AIMET_SHARED/data
NODE=/usr/share/libonnx-testdata/data/node
if [ ! -x "$AIMET_BIN/aimet-run" ]; then echo "FAIL no $AIMET_BIN/aimet-run"; echo "0 passed, 1 failed"; exit 1; fi

expect_help_in_man aimet-run
expect_ok "version" aimet-run -V

# first output to a file: the reference's shape, identical bits at -j 1 and -j 2
expect_ok "run mlp" aimet-run "$M/fmnist_resnet8.onnx" --data "$R/fmnist_resnet8/input.npy" -o "$T/y1.npy"
expect_ok "run mlp -j2" aimet-run "$M/fmnist_resnet8.onnx" --data "$R/fmnist_resnet8/input.npy" -o "$T/y2.npy" -j 2
head -c 128 "$T/y1.npy" | grep -q "'shape': (8, 10)" && ok || bad "output shape: $(head -c 100 "$T/y1.npy" | tr -d '\0')"
cmp -s "$T/y1.npy" "$T/y2.npy" && ok || bad "-j 1 and -j 2 outputs differ"
expect_eq "stdout empty with -o" "" "$(aimet-run "$M/fmnist_resnet8.onnx" --data "$R/fmnist_resnet8/input.npy" -o "$T/y3.npy" 2>/dev/null)"
cmp -s "$T/y1.npy" "$T/y3.npy" && ok || bad "second run differs"
# the reference kernels agree closely (not bitwise): same shape at least
expect_ok "run --ref" aimet-run "$M/fmnist_mlp.onnx" --data "$R/fmnist_mlp/input.npy" -o "$T/ref.npy" --ref

# every output into a directory, named <index>_<name>.npy
mkdir -p "$T/outs"
expect_ok "run -o DIR" aimet-run "$M/fmnist_resnet8.onnx" --data "$R/fmnist_resnet8/input.npy" -o "$T/outs"
[ -f "$T/outs/0_logits.npy" ] && ok || bad "no $T/outs/0_logits.npy ($(ls "$T/outs"))"
cmp -s "$T/y1.npy" "$T/outs/0_logits.npy" && ok || bad "-o DIR output differs from -o FILE"
expect_ok "run -o DIR/" aimet-run "$M/fmnist_mlp.onnx" --data "$R/fmnist_mlp/input.npy" -o "$T/new/"
[ -f "$T/new/0_logits.npy" ] && ok || bad "-o NEWDIR/ did not create the directory"

# accuracy: format and value (fmnist_resnet8 is 90.68% on the test set; 1000 samples here)
out=$(aimet-run "$M/fmnist_resnet8.onnx" --data "$D/fmnist_test_x.npy" --labels "$D/fmnist_test_y.npy" --samples 1000 --batch 100 -q)
[[ $out =~ ^accuracy\ 0\.[0-9]{4}\ n\ 1000$ ]] && ok || bad "accuracy line: '$out'"
acc=${out#accuracy }; acc=${acc%% *}
awk -v a="$acc" 'BEGIN { exit !(a > 0.85 && a < 0.97) }' && ok || bad "accuracy $acc out of range"
out2=$(aimet-run "$M/fmnist_resnet8.onnx" --data "$D/fmnist_test_x.npy" --labels "$D/fmnist_test_y.npy" --samples 1000 --batch 64 -j 2 -q)
expect_eq "accuracy same for any batch and -j" "$out" "$out2"

# uint8 data with preprocessing (ppocr_cls takes (x/255-0.5)/0.5)
out=$(aimet-run "$M/ppocr_cls.onnx" --data "$D/ocr/ocr_cls_u8.npy" --labels "$D/ocr/ocr_cls_y.npy" --samples 16 --batch 8 --scale 0.00392157 --mean 0.5 --std 0.5 -q)
[[ $out =~ ^accuracy\ (0\.9|1\.0)[0-9]*\ n\ 16$ ]] && ok || bad "ppocr_cls accuracy: '$out'"

# benchmark line
out=$(aimet-run "$M/fmnist_mlp.onnx" --data "$R/fmnist_mlp/input.npy" --bench 3)
[[ $out =~ ^ms_median\ [0-9]+\.[0-9]{3}$ ]] && ok || bad "bench line: '$out'"

aimet-run "$M/fmnist_resnet8.onnx" --data "$R/fmnist_resnet8/input.npy" --bench 2 --profile >"$T/out" 2>"$T/err"
grep -qE '^Conv\+BN\+Relu +[0-9]+ ' "$T/err" && grep -qE '^total +[0-9]+ ' "$T/err" && ok || bad "profile: $(head -c 300 "$T/err")"

# ONNX test cases
if [ -d "$NODE/test_relu" ]; then
	expect_eq "test-data pass" pass "$(aimet-run --test-data "$NODE/test_relu")"
	expect_eq "test-data MODEL DIR" pass "$(aimet-run "$NODE/test_relu/model.onnx" --test-data "$NODE/test_relu/test_data_set_0")"
	out=$(aimet-run "$NODE/test_relu/model.onnx" --test-data "$NODE/test_abs" 2>/dev/null); rc=$?
	expect_eq "test-data fail exit" 1 "$rc"
	[[ $out =~ ^fail\ [0-9.e+-]+$ ]] && ok || bad "fail line: '$out'"
	out=$(aimet-run --test-data "$NODE/test_adagrad" 2>/dev/null); rc=$?
	expect_eq "unsupported exit" 1 "$rc"
	[[ $out == "unsupported unsupported op 'ai.onnx.preview.training.Adagrad'"* ]] && ok || bad "unsupported line: '$out'"
else
	bad "no ONNX node tests at $NODE"
fi

# errors: one line, right exit code, no output left behind
expect_fail "no model" 2 "" aimet-run --data "$R/fmnist_mlp/input.npy" -o "$T/e.npy"
expect_fail "no data" 2 "$T/e.npy" aimet-run "$M/fmnist_mlp.onnx" -o "$T/e.npy"
expect_fail "nothing to do" 2 "" aimet-run "$M/fmnist_mlp.onnx" --data "$R/fmnist_mlp/input.npy"
expect_fail "bad bench" 2 "" aimet-run "$M/fmnist_mlp.onnx" --data "$R/fmnist_mlp/input.npy" --bench 0
expect_fail "unknown option" 2 "" aimet-run "$M/fmnist_mlp.onnx" --frobnicate
expect_fail "test-data with -o" 2 "$T/e.npy" aimet-run --test-data "$NODE/test_relu" -o "$T/e.npy"
expect_fail "missing model" 1 "$T/e.npy" aimet-run "$T/none.onnx" --data "$R/fmnist_mlp/input.npy" -o "$T/e.npy"
expect_fail "missing data" 1 "$T/e.npy" aimet-run "$M/fmnist_mlp.onnx" --data "$T/none.npy" -o "$T/e.npy"
expect_fail "wrong input shape" 1 "$T/e.npy" aimet-run "$M/fmnist_mlp.onnx" --data "$R/ppocr_cls/input.npy" -o "$T/e.npy"
expect_fail "too few labels" 1 "$T/e.npy" aimet-run "$M/fmnist_mlp.onnx" --data "$D/fmnist_test_x.npy" --labels "$D/fmnist_calib_y.npy" -o "$T/e.npy"
printf 'not a model' >"$T/bad.onnx"
expect_fail "bad model" 1 "$T/e.npy" aimet-run "$T/bad.onnx" --data "$R/fmnist_mlp/input.npy" -o "$T/e.npy"
if [ -d "$NODE/test_adagrad" ]; then
	expect_fail "unsupported op" 1 "$T/e.npy" aimet-run "$NODE/test_adagrad/model.onnx" --data "$R/fmnist_mlp/input.npy" -o "$T/e.npy"
	grep -q "unsupported op 'ai.onnx.preview.training.Adagrad' (node '" "$T/err" && ok || bad "unsupported message: $(cat "$T/err")"
fi
ls -a "$T" | grep -q '\.tmp' && bad "temporary files left: $(ls -a "$T")" || ok
finish
