#!/usr/bin/env bash
# faults.sh: faults around good inputs: output to a full disk or an unwritable place, an input
# that vanishes, SIGINT/SIGTERM during a long run (non-zero exit, no partial output, no
# temporaries, inputs untouched), and a model bigger than memory's share (refused up front).
. "$(dirname "$0")/../cli/lib.sh"
H=$AIMET_ROOT/tests/hostile
G=$T/good
mkdir -p "$G" "$T/o"
cp "$H"/good/* "$G"/
empty_dir() { if [ -z "$(ls -A "$2")" ]; then ok; else bad "$1: left $(ls -A "$2" | head -n 3 | tr '\n' ' ')"; fi; }

expect_ok control aimet-run "$G/model.onnx" --data "$G/x.npy" -o "$T/o/ctl.npy"
rm -f "$T/o/ctl.npy"

# ---- outputs that cannot be written
expect_fail run-dev-full 1 '' aimet-run "$G/model.onnx" --data "$G/x.npy" -o /dev/full
expect_fail sim-dev-full 1 "$T/o/e.encodings" aimet-sim "$G/model.onnx" --data "$G/x.npy" --config "$G/config.json" -q -o /dev/full --encodings "$T/o/e.encodings"
expect_fail sim-enc-dev-full 1 "$T/o/m.onnx" aimet-sim "$G/model.onnx" --data "$G/x.npy" --config "$G/config.json" -q -o "$T/o/m.onnx" --encodings /dev/full
: >"$T/regular"
expect_fail run-parent-is-file 1 "$T/regular/out.npy" aimet-run "$G/model.onnx" --data "$G/x.npy" -o "$T/regular/out.npy"
expect_fail sim-parent-is-file 1 "$T/o/e.encodings" aimet-sim "$G/model.onnx" --data "$G/x.npy" --config "$G/config.json" -q -o "$T/regular/m.onnx" --encodings "$T/o/e.encodings"
expect_fail run-proc 1 /proc/aimet-out.npy aimet-run "$G/model.onnx" --data "$G/x.npy" -o /proc/aimet-out.npy
expect_fail run-proc-file 1 '' aimet-run "$G/model.onnx" --data "$G/x.npy" -o /proc/version/out.npy
expect_fail run-missing-dir 1 "$T/nodir/out.npy" aimet-run "$G/model.onnx" --data "$G/x.npy" -o "$T/nodir/out.npy"
expect_fail encodings-convert-dev-full 1 '' aimet-encodings convert -q "$H/../data/enc_model_100.encodings" --to 2.0.0 -o /dev/full
empty_dir "no temporaries" "$T/o"
# an output that exists already is replaced only on success
echo keep >"$T/o/out.npy"
expect_fail run-keeps-old 1 '' aimet-run "$H/onnx/cycle.onnx" --data "$G/x.npy" -o "$T/o/out.npy"
expect_eq "old output untouched" keep "$(cat "$T/o/out.npy")"
rm -f "$T/o/out.npy"

# ---- inputs that vanish: a data directory whose second file was removed after listing
# (a dangling symlink is what such a directory looks like), and a model path that is gone
mkdir -p "$T/ds"
cp "$G/x.npy" "$T/ds/a.npy"
ln -s "$T/ds/gone.npy" "$T/ds/b.npy"
expect_fail data-vanished 1 "$T/o/out.npy" aimet-run "$G/model.onnx" --data "$T/ds" -o "$T/o/out.npy"
cp "$G/model.onnx" "$T/m2.onnx"; rm -f "$T/m2.onnx"
expect_fail model-vanished 1 "$T/o/out.npy" aimet-run "$T/m2.onnx" --data "$G/x.npy" -o "$T/o/out.npy"

# ---- signals during a long run: a real model on many samples, stopped after a moment
MODEL=$AIMET_ROOT/share/aimet/examples/fmnist_resnet8.onnx
DATA=$AIMET_ROOT/share/aimet/examples/test_x.npy
if [ -f "$MODEL" ] && [ -f "$DATA" ]; then
	sum_before=$(md5sum "$MODEL" "$DATA" | md5sum)
	# 40 x the test images (a directory of links to one file): minutes of work, stopped early
	mkdir -p "$T/long"
	for i in $(seq -w 40); do ln -s "$DATA" "$T/long/$i.npy"; done
	for sig in TERM INT; do
		for tool in run sim; do
			rm -rf "$T/o"; mkdir -p "$T/o"
			set -m   # job control: a background job would otherwise start with SIGINT ignored
			if [ $tool = run ]; then
				aimet-run -q "$MODEL" --data "$T/long" --batch 1 -o "$T/o/out.npy" 2>"$T/err" &
			else
				aimet-sim -q "$MODEL" --data "$T/long" --scheme tf --batch 1 -o "$T/o/out.onnx" \
					--encodings "$T/o/out.encodings" 2>"$T/err" &
			fi
			pid=$!
			set +m
			sleep 1.5
			kill -s $sig $pid
			wait $pid
			rc=$?
			want=$([ $sig = TERM ] && echo 143 || echo 130)
			expect_eq "$tool-SIG$sig exit" "$want" "$rc"
			empty_dir "$tool-SIG$sig outputs" "$T/o"
			if [ "$(grep -c . "$T/err")" -eq 1 ] && grep -q "^aimet-$tool: " "$T/err"; then ok
			else bad "$tool-SIG$sig stderr: $(head -c 300 "$T/err")"; fi
		done
	done
	expect_eq "inputs untouched" "$sum_before" "$(md5sum "$MODEL" "$DATA" | md5sum)"
	rm -rf "$T/o" && mkdir -p "$T/o"
else
	bad "signal tests need $MODEL and $DATA"
fi

# ---- a model bigger than memory's share: refused before reading, not swapped to death.
# The side file is sparse, so the test costs no disk; several tensors naming the same bytes
# count several times.
phys=$(( $(getconf _PHYS_PAGES) * $(getconf PAGESIZE) ))
mkdir -p "$T/big"
truncate -s $((phys / 10 * 9)) "$T/big/big.bin"
python3 "$H/gen/mkcorpus.py" --ext-model "$T/big/one.onnx" $((phys / 10 * 9)) 1
python3 "$H/gen/mkcorpus.py" --ext-model "$T/big/alias.onnx" $((phys / 10 * 3)) 4
for m in one alias; do
	start=$SECONDS
	timeout -s KILL 60 aimet-run "$T/big/$m.onnx" --data "$G/x.npy" -o "$T/o/out.npy" 2>"$T/err"
	expect_eq "memory-share-$m exit" 1 $?
	if [ "$(grep -c . "$T/err")" -eq 1 ] && grep -q "^aimet-run: .*more than the memory available" "$T/err"; then ok
	else bad "memory-share-$m message: $(head -c 300 "$T/err")"; fi
	empty_dir "memory-share-$m output" "$T/o"
	[ $((SECONDS - start)) -lt 20 ] && ok || bad "memory-share-$m took $((SECONDS - start))s"
done
finish
