#!/usr/bin/env bash
# test_sim.sh: aimet-sim from the shell — usage and input errors, outputs that agree with each
# other (encodings versions, -j, frozen params), the QDQ model in ONNX Runtime, flat memory.
. "$(dirname "$0")/lib.sh"
EX=$AIMET_ROOT/share/aimet/examples
M=$EX/fmnist_resnet8.onnx
C=$EX/calib_x.npy

expect_fail "no arguments" 2 '' aimet-sim
expect_fail "no data" 2 "$T/o.onnx" aimet-sim "$M" -o "$T/o.onnx"
expect_fail "bad bitwidth" 2 '' aimet-sim "$M" --data "$C" --param-bw 3
expect_fail "bad scheme" 2 '' aimet-sim "$M" --data "$C" --scheme nope
expect_fail "eval without labels" 2 '' aimet-sim "$M" --data "$C" --eval "$C"
head -c 1000 "$M" >"$T/trunc.onnx"
expect_fail "truncated model" 1 "$T/o.onnx" aimet-sim "$T/trunc.onnx" --data "$C" -o "$T/o.onnx" --encodings "$T/o.enc"
[ -e "$T/o.enc" ] && bad "truncated model left encodings" || ok
printf 'not a npy' >"$T/bad.npy"
expect_fail "bad data" 1 "$T/o.onnx" aimet-sim "$M" --data "$T/bad.npy" -o "$T/o.onnx"
printf 'a: &a [1, 2]\nb: [*a, *a]\n' >"$T/bomb.yaml"
expect_fail "yaml alias" 1 "$T/o.onnx" aimet-sim "$M" --data "$C" --config "$T/bomb.yaml" -o "$T/o.onnx"

# a full run: model, encodings, QDQ; the encodings fit the model
expect_ok "sim" aimet-sim "$M" --data "$C" --samples 64 -o "$T/sim.onnx" --encodings "$T/e1.enc" --qdq "$T/qdq.onnx" -q
expect_ok "validate" aimet-encodings validate "$T/sim.onnx" "$T/e1.enc"
expect_eq "validate says" valid "$(cat "$T/out")"
grep -q BatchNormalization "$T/sim.onnx" && bad "output model keeps batch norms" || ok

# the same encodings with two threads, in other versions, from stdin, with frozen params
expect_ok "sim -j2" aimet-sim "$M" --data "$C" --samples 64 --encodings "$T/e2.enc" -j 2 -q
cmp -s "$T/e1.enc" "$T/e2.enc" && ok || bad "encodings differ between -j 1 and -j 2"
expect_ok "sim 0.6.1" aimet-sim - --data "$C" --samples 64 --encodings "$T/e061.enc" --encoding-version 0.6.1 -q <"$M"
expect_ok "diff 0.6.1" aimet-encodings diff "$T/e1.enc" "$T/e061.enc"
expect_ok "sim frozen" aimet-sim "$M" --data "$C" --samples 64 --freeze-params "$T/e1.enc" --encodings "$T/e3.enc" -q
expect_ok "diff frozen" aimet-encodings diff "$T/e1.enc" "$T/e3.enc"
aimet-sim "$M" --data "$C" --samples 64 -o - -q <"$M" >"$T/piped.onnx" 2>"$T/err"
expect_eq "model to stdout" 0 $?
cmp -s "$T/piped.onnx" "$T/sim.onnx" && ok || bad "stdout model differs from -o model"

# the shipped default configuration is the built-in default
expect_ok "default config file" aimet-sim "$M" --data "$C" --samples 64 --config "$AIMET_ROOT/share/aimet/default_config.json" --encodings "$T/e4.enc" -q
cmp -s "$T/e1.enc" "$T/e4.enc" && ok || bad "share/aimet/default_config.json differs from the built-in default"

# per-channel YAML config
printf 'defaults:\n  ops: {is_output_quantized: "True"}\n  params: {is_quantized: "True", is_symmetric: "True"}\n  per_channel_quantization: "True"\nmodel_input: {is_input_quantized: "True"}\n' >"$T/pc.yaml"
expect_ok "yaml config" aimet-sim "$M" --data "$C" --samples 32 --config "$T/pc.yaml" --encodings "$T/pc.enc" -q
grep -q PER_CHANNEL "$T/pc.enc" && ok || bad "yaml per-channel config ignored"

# the QDQ model runs in ONNX Runtime and scores like the simulation
expect_ok "eval" aimet-sim "$M" --data "$C" --samples 64 --eval "$EX/test_x.npy" --labels "$EX/test_y.npy" -q
sim_acc=$(awk '/^quant_accuracy/ {print $2}' "$T/out")
fp_acc=$(awk '/^fp32_accuracy/ {print $2}' "$T/out")
ort_node "$AIMET_SHARED/tools/eval.js" "$T/qdq.onnx" "$EX/test_x.npy" "$EX/test_y.npy" >"$T/ort" 2>&1
ort_acc=$(awk '/^accuracy/ {print $2}' "$T/ort")
[ -n "$ort_acc" ] && ok || bad "ONNX Runtime did not run the QDQ model: $(head -c 300 "$T/ort")"
awk -v a="$sim_acc" -v b="$ort_acc" 'BEGIN { d = a - b; exit !(d < 0.003 && d > -0.003) }' && ok ||
	bad "simulation $sim_acc vs ONNX Runtime $ort_acc"
awk -v a="$fp_acc" -v b="$sim_acc" 'BEGIN { exit !(a - b < 0.005) }' && ok || bad "W8A8 lost too much: $fp_acc -> $sim_acc"

# the simulation (aimet-run --encodings) and ONNX Runtime on the QDQ model agree sample by sample
expect_ok "run --encodings" aimet-run "$T/sim.onnx" --encodings "$T/e1.enc" --data "$EX/test_x.npy" -o "$T/sim_logits.npy" -q
ort_node "$AIMET_SHARED/tools/refout.js" "$T/qdq.onnx" "$EX/test_x.npy" "$T/ortout" >/dev/null 2>&1
ort_out=$(ls "$T"/ortout/0_*.npy 2>/dev/null | head -n 1)
if [ -n "$ort_out" ]; then
	agree=$(ort_node "$AIMET_ROOT/tests/tools/agree.js" "$T/sim_logits.npy" "$ort_out" | awk '{print $2}')
	awk -v a="$agree" 'BEGIN { exit !(a >= 0.995) }' && ok || bad "simulation vs ONNX Runtime top-1 agreement $agree"
else
	bad "ONNX Runtime produced no outputs for the QDQ model"
fi
expect_fail "encodings naming no tensor" 1 "$T/x.npy" aimet-run "$M" --encodings "$AIMET_ROOT/tests/data/enc_model_100.encodings" --data "$EX/test_x.npy" -o "$T/x.npy"

# memory stays flat with 10x the calibration samples
D=$AIMET_SHARED/data/fmnist_calib_x.npy
if [ -f "$D" ]; then
	/usr/bin/time -f %M aimet-sim "$M" --data "$D" --samples 100 --encodings "$T/m1.enc" -q 2>"$T/rss1"
	/usr/bin/time -f %M aimet-sim "$M" --data "$D" --samples 1000 --encodings "$T/m2.enc" -q 2>"$T/rss2"
	r1=$(tail -n 1 "$T/rss1") r2=$(tail -n 1 "$T/rss2")
	awk -v a="$r1" -v b="$r2" 'BEGIN { exit !(b <= a * 1.10) }' && ok || bad "peak RSS grew from $r1 to $r2 KiB with 10x samples"
else
	bad "shared data missing: $D"
fi
finish
