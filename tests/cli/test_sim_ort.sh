#!/bin/bash
# test_sim_ort.sh: the simulation (aimet-run --encodings) and ONNX Runtime running the exported
# QDQ model agree on the PP-OCR models: output SQNR >= 35 dB between them (issue 4). ONNX Runtime
# runs as ../shared/tools/refout.js runs it (graph optimizations off, one thread); the kernels
# sum in its order, so most outputs are bit-identical.
. "$(dirname "$0")/lib.sh"
O=$AIMET_SHARED/data/ocr M=$AIMET_SHARED/models

# agree NAME SIM.npy ORTDIR: SQNR of ONNX Runtime's first output against the simulation
agree() {
	local ort; ort=$(ls "$3"/0_*.npy 2>/dev/null | head -n 1)
	if [ -z "$ort" ]; then bad "$1: ONNX Runtime produced no output ($(head -c 300 "$T/ort.err"))"; return; fi
	local s; s=$(ort_node "$AIMET_ROOT/tests/tools/agree.js" "$2" "$ort" | awk '{print $6}')
	echo "$1: sim vs ONNX Runtime sqnr_db $s"
	awk -v s="$s" 'BEGIN { exit !(s == "Infinity" || s >= 35) }' && ok || bad "$1: SQNR $s dB < 35"
}

# ppocr_rec, W8A8 per-channel: 24 lines calibrate, 48 are compared
ort_node "$AIMET_ROOT/tests/tools/prep.js" "$O/ocr_lines_u8.npy" "$T/rec_x.npy" ppocr 48
expect_ok "rec sim" aimet-sim "$M/ppocr_rec.onnx" --data "$T/rec_x.npy" --samples 24 --per-channel \
	-o "$T/rec.onnx" --encodings "$T/rec.enc" --qdq "$T/rec_qdq.onnx" -q -j 2
expect_ok "rec run" aimet-run "$T/rec.onnx" --encodings "$T/rec.enc" --data "$T/rec_x.npy" -o "$T/rec_sim.npy" -q -j 2
ort_node "$AIMET_SHARED/tools/refout.js" "$T/rec_qdq.onnx" "$T/rec_x.npy" "$T/rec_ort" 2>"$T/ort.err" >/dev/null
agree ppocr_rec "$T/rec_sim.npy" "$T/rec_ort"

# model preparation: the 28 HardSwish spelled out as x * Clip(x + 3, 0, 6) / 6 became
# x * HardSigmoid(x), and FP32 outputs stay put
hs0=$(grep -ao HardSigmoid "$M/ppocr_rec.onnx" | wc -l) hs=$(grep -ao HardSigmoid "$T/rec.onnx" | wc -l)
expect_eq "HardSwish patterns fused" 28 "$((hs - hs0))"
expect_ok "rec fp32 prepared" aimet-run "$T/rec.onnx" --data "$T/rec_x.npy" --samples 8 -o "$T/rec_fp_prep.npy" -q
expect_ok "rec fp32 original" aimet-run "$M/ppocr_rec.onnx" --data "$T/rec_x.npy" --samples 8 -o "$T/rec_fp.npy" -q
s=$(ort_node "$AIMET_ROOT/tests/tools/agree.js" "$T/rec_fp.npy" "$T/rec_fp_prep.npy" | awk '{print $6}')
awk -v s="$s" 'BEGIN { exit !(s == "Infinity" || s >= 80) }' && ok || bad "prepared rec differs from the original in FP32: $s dB"

# ppocr_rec W8A8 per-channel character accuracy >= 0.95 (FP32 0.976) on all 200 lines: the mean of
# two calibrations (the first 64 lines, all 200), each at least 0.93. The recognizer swings by
# +-3 points with the calibration set (0.90 to 0.97 over 15 sets, mean 0.955), so a single
# calibration is not asserted at 0.95.
ort_node "$AIMET_ROOT/tests/tools/prep.js" "$O/ocr_lines_u8.npy" "$T/rec_all.npy" ppocr 200
accs=""
for n in 64 200; do
	expect_ok "rec sim $n" aimet-sim "$M/ppocr_rec.onnx" --data "$T/rec_all.npy" --samples $n --per-channel \
		-o "$T/rec$n.onnx" --encodings "$T/rec$n.enc" -q -j 2
	expect_ok "rec run $n" aimet-run "$T/rec$n.onnx" --encodings "$T/rec$n.enc" --data "$T/rec_all.npy" \
		-o "$T/rec$n.npy" -q -j 2
	a=$(ort_node "$AIMET_ROOT/tests/tools/ctc.js" "$T/rec$n.npy" "$O/ocr_lines.txt" "$O/ppocr_keys_v1.txt" | awk '{print $2}')
	echo "ppocr_rec W8A8 per-channel, $n calibration lines: char_accuracy $a"
	awk -v a="$a" 'BEGIN { exit !(a >= 0.93) }' && ok || bad "rec char accuracy $a < 0.93 ($n calibration lines)"
	accs="$accs $a"
done
m=$(echo $accs | awk '{ print ($1 + $2) / 2 }')
awk -v m="$m" 'BEGIN { exit !(m >= 0.95) }' && ok || bad "rec mean char accuracy $m < 0.95"

# ppocr_det, W8A8 default config, one 640x640 page calibrates, two are compared
ort_node "$AIMET_ROOT/tests/tools/prep.js" "$O/det_pages_u8.npy" "$T/det_x.npy" imagenet 2
expect_ok "det sim" aimet-sim "$M/ppocr_det.onnx" --data "$T/det_x.npy" --samples 1 \
	-o "$T/det.onnx" --encodings "$T/det.enc" --qdq "$T/det_qdq.onnx" -q -j 2
expect_ok "det run" aimet-run "$T/det.onnx" --encodings "$T/det.enc" --data "$T/det_x.npy" -o "$T/det_sim.npy" -q -j 2
ort_node "$AIMET_SHARED/tools/refout.js" "$T/det_qdq.onnx" "$T/det_x.npy" "$T/det_ort" 2>"$T/ort.err" >/dev/null
agree ppocr_det "$T/det_sim.npy" "$T/det_ort"
finish
