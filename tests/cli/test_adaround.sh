#!/usr/bin/env bash
# test_adaround.sh: aimet-adaround from the shell — help and man page, a short run on the MLP and
# on a conv net, determinism across -j, the encodings aimet-sim --freeze-params keeps, layer
# selection, errors and atomic output.
. "$(dirname "$0")/lib.sh"
M=$AIMET_SHARED/models D=$AIMET_SHARED/data
if [ ! -x "$AIMET_BIN/aimet-adaround" ]; then echo "FAIL no $AIMET_BIN/aimet-adaround"; echo "0 passed, 1 failed"; exit 1; fi
CAL="--data $D/fmnist_calib_x.npy --samples 64"
FAST="--iterations 40"

expect_help_in_man aimet-adaround

# the MLP: three Gemm layers, a line per layer and a summary, nothing on stdout
aimet-adaround "$M/fmnist_mlp.onnx" $CAL $FAST -o "$T/mlp.onnx" --encodings "$T/mlp.enc" >"$T/out" 2>"$T/err"
expect_eq "mlp exit" 0 $?
expect_eq "mlp stdout" "" "$(cat "$T/out")"
expect_eq "per-layer lines" 3 "$(grep -c '^aimet-adaround: layer [0-9]/3 .*: loss .* s$' "$T/err")"
grep -q "^aimet-adaround: 3 layers rounded in" "$T/err" && ok || bad "summary: $(tail -1 "$T/err")"
grep -q '"bw": 4' "$T/mlp.enc" && ok || bad "default is not 4 bits"
grep -q '"activation_encodings": \[\]' "$T/mlp.enc" && ok || bad "activation encodings in the param file"
expect_ok "-j 2" aimet-adaround "$M/fmnist_mlp.onnx" $CAL $FAST -o "$T/mlp2.onnx" --encodings "$T/mlp2.enc" -j 2 -q
cmp -s "$T/mlp.onnx" "$T/mlp2.onnx" && ok || bad "-j 1 and -j 2 models differ"
cmp -s "$T/mlp.enc" "$T/mlp2.enc" && ok || bad "-j 1 and -j 2 encodings differ"
expect_ok "other seed" aimet-adaround "$M/fmnist_mlp.onnx" $CAL $FAST -o "$T/mlp3.onnx" --encodings "$T/mlp3.enc" --seed 9 -q
cmp -s "$T/mlp.onnx" "$T/mlp3.onnx" && bad "the seed changed nothing" || ok
expect_ok "quiet" aimet-adaround "$M/fmnist_mlp.onnx" $CAL --iterations 5 -o "$T/q.onnx" --encodings "$T/q.enc" -q
expect_eq "quiet stderr" "" "$(cat "$T/err")"

# aimet-sim keeps the param encodings and calibrates the activations
expect_ok "sim freeze" aimet-sim "$T/mlp.onnx" $CAL --param-bw 4 --freeze-params "$T/mlp.enc" --encodings "$T/sim.enc" -q
aimet-encodings diff "$T/mlp.enc" "$T/sim.enc" >"$T/diff" 2>&1
grep -v "only in '$T/sim.enc'" "$T/diff" | grep -q . && bad "param encodings changed: $(head -3 "$T/diff")" || ok
grep -q "only in '$T/sim.enc'" "$T/diff" && ok || bad "no activation encodings from aimet-sim"

# a conv net, per channel, BN folded, one layer only; the fp32-inputs variant
aimet-adaround "$M/fmnist_resnet8.onnx" $CAL $FAST --per-channel --layers /b1/c1/c1.0/Conv -o "$T/r8.onnx" \
	--encodings "$T/r8.enc" 2>"$T/err"
expect_eq "resnet8 exit" 0 $?
expect_eq "one layer" 1 "$(grep -c '^aimet-adaround: layer .* s$' "$T/err")"
grep -q '"enc_type": "PER_CHANNEL"' "$T/r8.enc" && ok || bad "not per channel"
grep -c BatchNormalization "$T/r8.onnx" >/dev/null && bad "batch norms not folded" || ok
expect_ok "fp32 inputs" aimet-adaround "$M/fmnist_resnet8.onnx" $CAL $FAST --per-channel --layers /b2/c1/c1.0/Conv \
	--fp32-inputs --cache-mb 1 -o "$T/r8f.onnx" --encodings "$T/r8f.enc" -q
expect_ok "fp32 inputs in memory" aimet-adaround "$M/fmnist_resnet8.onnx" $CAL $FAST --per-channel --layers /b2/c1/c1.0/Conv \
	--fp32-inputs -o "$T/r8m.onnx" --encodings "$T/r8m.enc" -q
cmp -s "$T/r8f.onnx" "$T/r8m.onnx" && ok || bad "spilled cache and memory cache differ"
cmp -s "$T/r8.onnx" "$T/r8m.onnx" && bad "--fp32-inputs or --layers changed nothing" || ok
expect_ok "skip layers" aimet-adaround "$M/fmnist_mlp.onnx" $CAL --iterations 5 --skip-layers /l1/Gemm,/l2/Gemm \
	-o "$T/s.onnx" --encodings "$T/s.enc"
expect_eq "skip: one layer" 1 "$(grep -c '^aimet-adaround: layer .* s$' "$T/err")"

# errors: one line, exit code, no output left behind
expect_fail "no model" 2 "" aimet-adaround $CAL -o "$T/x.onnx" --encodings "$T/x.enc"
expect_fail "no -o" 2 "$T/x.enc" aimet-adaround "$M/fmnist_mlp.onnx" $CAL --encodings "$T/x.enc"
expect_fail "no encodings" 2 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx"
expect_fail "no data" 2 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" -o "$T/x.onnx" --encodings "$T/x.enc"
expect_fail "bad iterations" 2 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc" --iterations 0
expect_fail "bad beta range" 2 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc" --beta-range 20
expect_fail "bad warm start" 2 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc" --warm-start 1.5
expect_fail "bad reg" 2 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc" --reg-param -1
expect_fail "bad bitwidth" 2 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc" --param-bw 3
expect_fail "freeze-params" 2 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc" --freeze-params x
expect_fail "both to stdout" 2 "" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o - --encodings -
expect_fail "missing data" 1 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" --data "$T/none.npy" -o "$T/x.onnx" --encodings "$T/x.enc"
expect_fail "data of the wrong shape" 1 "$T/x.onnx" aimet-adaround "$M/ppocr_cls.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc"
expect_fail "unknown layer" 1 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc" --layers nope
expect_fail "missing model" 1 "$T/x.onnx" aimet-adaround "$T/none.onnx" $CAL -o "$T/x.onnx" --encodings "$T/x.enc"
expect_fail "unwritable output" 1 "$T/x.enc" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/nodir/x.onnx" --encodings "$T/x.enc"
expect_fail "unwritable encodings" 1 "$T/x.onnx" aimet-adaround "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --encodings "$T/nodir/x.enc"
[ -e "$T/x.enc" ] && bad "encodings left behind" || ok
ls -a "$T" | grep -q '\.tmp' && bad "temporary files left: $(ls -a "$T")" || ok
finish
