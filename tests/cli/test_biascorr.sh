#!/usr/bin/env bash
# test_biascorr.sh: aimet-biascorr from the shell — help and man page, empirical and analytical
# correction with the report, layer selection, quantization options, errors and atomic output.
. "$(dirname "$0")/lib.sh"
M=$AIMET_SHARED/models D=$AIMET_SHARED/data
if [ ! -x "$AIMET_BIN/aimet-biascorr" ]; then echo "FAIL no $AIMET_BIN/aimet-biascorr"; echo "0 passed, 1 failed"; exit 1; fi
CAL="--data $D/fmnist_calib_x.npy --samples 64"

expect_help_in_man aimet-biascorr

# empirical on the MLP: three Gemm layers, shift cut, one summary line
aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/mlp.onnx" --report "$T/r.json" >"$T/out" 2>"$T/err"
expect_eq "empirical exit" 0 $?
expect_eq "empirical stdout" "" "$(cat "$T/out")"
expect_eq "layers in report" 3 "$(grep -c '"method": "empirical"' "$T/r.json")"
awk -F': ' '/shift_before/ {b=$2+0} /shift_after/ {a=$2+0; if (!(a < b / 2)) bad=1} END {exit bad}' "$T/r.json" \
	&& ok || bad "shift not cut by half: $(cat "$T/r.json")"
aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/mlp2.onnx" 2>"$T/err"
grep -q "^aimet-biascorr: 3 layers corrected (0 analytical), mean output shift" "$T/err" && ok || bad "summary: $(cat "$T/err")"
cmp -s "$T/mlp.onnx" "$T/mlp2.onnx" && ok || bad "two runs differ"
expect_ok "-j 2" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/mlp3.onnx" -j 2 -q
cmp -s "$T/mlp.onnx" "$T/mlp3.onnx" && ok || bad "-j 1 and -j 2 differ"
expect_ok "W4 per-channel" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/w4.onnx" --param-bw 4 --per-channel --scheme tf -q
cmp -s "$T/mlp.onnx" "$T/w4.onnx" && bad "the quantization options changed nothing" || ok
expect_ok "encodings" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/e.onnx" --encodings "$T/e.encodings" -q
grep -q '"param_encodings"' "$T/e.encodings" && ok || bad "no encodings written"

# the shift measured again on other data
aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/h.onnx" --param-bw 4 --eval-data "$D/fmnist_test_x.npy" --report "$T/h.json" -q
expect_eq "eval-data exit" 0 $?
awk -F': ' '/heldout_shift_before/ {b=$2+0; n++} /heldout_shift_after/ {a=$2+0; if (!(a < b / 2)) bad=1} END {exit bad || n != 3}' "$T/h.json" \
	&& ok || bad "held-out shift not cut by half: $(cat "$T/h.json")"
expect_fail "eval-data without data" 2 "$T/x.onnx" aimet-biascorr "$M/fmnist_mlp.onnx" --analytical --eval-data "$D/fmnist_test_x.npy" -o "$T/x.onnx"

# a real model, fmnist_mbv2 (batch norms, depthwise convs, ReLU6), W6A8 and W8A8 per-tensor: the
# mean output shift of every corrected layer is cut by at least half on the calibration data, and
# on other data wherever it is above the sampling noise of 128 samples (the stem's is ~0.001);
# analytically, each layer's own weight error (what that method models) likewise
for bw in 6 8; do
	aimet-biascorr "$M/fmnist_mbv2.onnx" --data "$D/fmnist_calib_x.npy" --samples 128 --param-bw $bw \
		--eval-data "$D/fmnist_train_x.npy" -o "$T/mb$bw.onnx" --report "$T/mb$bw.json" -q
	expect_eq "mbv2 W$bw exit" 0 $?
	awk -F': ' '/"layer"/ {n++} /"shift_before"/ {b=$2+0} /"shift_after"/ {a=$2+0; if (!(b > 0 && a < b / 2)) bad=1}
		/heldout_shift_before/ {hb=$2+0; shb+=hb} /heldout_shift_after/ {ha=$2+0; sha+=ha; if (hb > 0.005 && !(ha < hb / 2)) bad=1}
		END {exit bad || n != 21 || !(sha < shb / 4)}' "$T/mb$bw.json" && ok || bad "mbv2 W$bw: shift not cut by half: $(cat "$T/mb$bw.json")"
	aimet-biascorr "$M/fmnist_mbv2.onnx" --data "$D/fmnist_calib_x.npy" --samples 128 --param-bw $bw --analytical \
		-o "$T/mba$bw.onnx" --report "$T/mba$bw.json" -q
	expect_eq "mbv2 W$bw analytical exit" 0 $?
	awk -F': ' '/"weight_shift_before"/ {b=$2+0; n++; sb+=b} /"weight_shift_after"/ {a=$2+0; sa+=a; if (b > 0.005 && !(a < b / 2)) bad=1}
		END {exit bad || n < 10 || !(sa < sb / 2)}' "$T/mba$bw.json" \
		&& ok || bad "mbv2 W$bw: own weight error not cut by half: $(cat "$T/mba$bw.json")"
done

# layer selection
expect_ok "layers" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/l.onnx" --layers /l2/Gemm --report "$T/l.json" -q
expect_eq "one layer" 1 "$(grep -c '"layer": "/l2/Gemm"' "$T/l.json")"
expect_ok "skip-layers" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/s.onnx" --skip-layers /l2/Gemm,/l3/Gemm --report "$T/s.json" -q
expect_eq "skipped two" 1 "$(grep -c '"method"' "$T/s.json")"

# analytical, data-free: the layers after a folded batch norm
aimet-biascorr "$M/fmnist_mbv2.onnx" --analytical -o "$T/an.onnx" --report "$T/an.json" 2>"$T/err"
expect_eq "analytical exit" 0 $?
grep -q '"method": "analytical"' "$T/an.json" && ok || bad "analytical report: $(head -c 300 "$T/an.json")"
grep -q '"method": "empirical"' "$T/an.json" && bad "empirical layers without data" || ok

# errors: one line, exit code, no output left behind
expect_fail "no model" 2 "" aimet-biascorr $CAL -o "$T/x.onnx"
expect_fail "no -o" 2 "" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL
expect_fail "no data" 2 "$T/x.onnx" aimet-biascorr "$M/fmnist_mlp.onnx" -o "$T/x.onnx"
expect_fail "bad bitwidth" 2 "$T/x.onnx" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --param-bw 3
expect_fail "bad scheme" 2 "$T/x.onnx" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --scheme nope
expect_fail "freeze-params" 2 "$T/x.onnx" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --freeze-params x
expect_fail "missing data" 1 "$T/x.onnx" aimet-biascorr "$M/fmnist_mlp.onnx" --data "$T/none.npy" -o "$T/x.onnx"
expect_fail "data of the wrong shape" 1 "$T/x.onnx" aimet-biascorr "$M/ppocr_cls.onnx" $CAL -o "$T/x.onnx"
expect_fail "unknown layer" 1 "$T/x.onnx" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --layers nope
expect_fail "missing model" 1 "$T/x.onnx" aimet-biascorr "$T/none.onnx" $CAL -o "$T/x.onnx"
expect_fail "unwritable output" 1 "" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/nodir/x.onnx"
expect_fail "unwritable report" 1 "$T/x.onnx" aimet-biascorr "$M/fmnist_mlp.onnx" $CAL -o "$T/x.onnx" --report "$T/nodir/r.json"
ls -a "$T" | grep -q '\.tmp' && bad "temporary files left: $(ls -a "$T")" || ok
finish
