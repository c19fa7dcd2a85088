#!/usr/bin/env bash
# roundtrip-ort.sh: every shared model re-saved by our loader/saver runs in ONNX Runtime with
# outputs byte-identical to the original's, and an external-data save runs identically too.
. "$(dirname "$0")/../cli/lib.sh"
RT=${AIMET_TESTS:-$AIMET_ROOT/build/tests}/conformance/roundtrip
if [ ! -x "$RT" ]; then bad "missing $RT (build the tests first)"; finish; exit; fi
n=0
for model in "$AIMET_SHARED"/models/*.onnx; do
	name=$(basename "$model" .onnx)
	x=$AIMET_SHARED/reference/$name/input.npy
	[ -f "$x" ] || { bad "$name: no reference input $x"; continue; }
	n=$((n + 1))
	if ! "$RT" roundtrip "$model" "$T/$name.onnx" 2>"$T/err"; then
		bad "$name: re-save failed: $(cat "$T/err")"; continue; fi
	ok
	if ! ort_node "$AIMET_SHARED/tools/refout.js" "$model" "$x" "$T/$name.a" 2>"$T/err" ||
	   ! ort_node "$AIMET_SHARED/tools/refout.js" "$T/$name.onnx" "$x" "$T/$name.b" 2>>"$T/err"; then
		bad "$name: onnxruntime failed: $(head -c 300 "$T/err")"; continue; fi
	outs=$(ls "$T/$name.a" | wc -l)
	if [ "$outs" -lt 1 ] || [ "$(ls "$T/$name.b" | wc -l)" -ne "$outs" ]; then
		bad "$name: output count differs"; continue; fi
	same=1
	for f in "$T/$name.a"/*.npy; do
		cmp -s "$f" "$T/$name.b/$(basename "$f")" || { same=0; bad "$name: output $(basename "$f") differs"; }
	done
	[ "$same" -eq 1 ] && ok
	# the same with every tensor of 1 KiB or more in a side file
	case $name in fmnist_resnet8|ppocr_cls) ;; *) continue ;; esac
	mkdir -p "$T/ext"
	if ! "$RT" roundtrip "$model" "$T/ext/$name.onnx" 1024 2>"$T/err"; then
		bad "$name: external-data save failed: $(cat "$T/err")"; continue; fi
	if [ -s "$T/ext/$name.onnx.data" ] && [ "$(stat -c %s "$T/ext/$name.onnx")" -lt 100000 ]; then ok
	else bad "$name: side file missing or model not smaller"; fi
	if ! ort_node "$AIMET_SHARED/tools/refout.js" "$T/ext/$name.onnx" "$x" "$T/$name.c" 2>"$T/err"; then
		bad "$name: onnxruntime failed on external data: $(head -c 300 "$T/err")"; continue; fi
	same=1
	for f in "$T/$name.a"/*.npy; do
		cmp -s "$f" "$T/$name.c/$(basename "$f")" || { same=0; bad "$name: external-data output $(basename "$f") differs"; }
	done
	[ "$same" -eq 1 ] && ok
done
expect_eq "shared models found" 8 "$n"
# stdin to stdout gives the same bytes as file to file
m=$AIMET_SHARED/models/fmnist_mlp.onnx
if "$RT" roundtrip - - <"$m" >"$T/stdio.onnx" 2>"$T/err" && cmp -s "$T/stdio.onnx" "$T/fmnist_mlp.onnx"; then ok
else bad "stdin/stdout round trip: $(head -c 300 "$T/err")"; fi
# a truncated model fails with one message and leaves no output
head -c 100000 "$m" >"$T/trunc.onnx"
expect_fail "truncated model" 1 "$T/trunc.out.onnx" "$RT" roundtrip "$T/trunc.onnx" "$T/trunc.out.onnx"
grep -q "not an ONNX model (protobuf parse failed)" "$T/err" && ok || bad "truncation message: $(cat "$T/err")"
finish
