#!/usr/bin/env bash
# hostile.sh: every file of the hostile corpus (tests/hostile/*/, plus symlinks, FIFOs and large
# files made here) must be refused cleanly: exit 1, one stderr line naming the tool, no output
# file or temporary left, no signal, done in seconds, bounded memory (max RSS).
. "$(dirname "$0")/../cli/lib.sh"
H=$AIMET_ROOT/tests/hostile
G=$T/good
mkdir -p "$G" "$T/o"
cp "$H"/good/* "$G"/
# one RSS bound for every case: the corpus files are small (the large ones are ~16 MiB), so
# anything near this means an allocation sized from a file's claims, not from its contents
RSS_MAX_KB=${HOSTILE_RSS_MAX_KB:-1048576}
TIME_MAX=${HOSTILE_TIME_MAX:-30}
max_rss=0 max_rss_case=

# hostile NAME CMD...: the checks above; outputs must go to $T/o (emptied after each case).
hostile() {
	local name=$1; shift
	local prog rc rss
	prog=$(basename "$1")
	timeout -s KILL "$TIME_MAX" /usr/bin/time -f '%M' -o "$T/rss" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	rss=$(tail -n 1 "$T/rss" 2>/dev/null)
	[[ "$rss" =~ ^[0-9]+$ ]] && [ "$rss" -gt "$max_rss" ] && max_rss=$rss max_rss_case=$name
	if [ "$rc" -ne 1 ]; then
		bad "$name: exit $rc, want 1 ($(head -c 300 "$T/err"; grep -h signal "$T/rss"))"
	elif [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q "^$prog: " "$T/err"; then
		bad "$name: stderr is not one '$prog: ' line: $(head -c 300 "$T/err")"
	elif [ -s "$T/out" ]; then
		bad "$name: wrote to stdout"
	elif [ -n "$(ls -A "$T/o")" ]; then
		bad "$name: left output: $(ls -A "$T/o" | head -n 3 | tr '\n' ' ')"
	elif ! [[ "$rss" =~ ^[0-9]+$ ]] || [ "$rss" -gt "$RSS_MAX_KB" ]; then
		bad "$name: max RSS ${rss} KiB over ${RSS_MAX_KB} KiB"
	else
		ok
	fi
	rm -rf "${T:?}/o" && mkdir -p "$T/o"
}

# Controls: the good files work, so the failures below are the hostile parts' doing.
expect_ok control-run aimet-run "$G/model.onnx" --data "$G/x.npy" -o "$T/ctl.npy"
expect_ok control-pb aimet-run "$G/model.onnx" --data "$G/x.pb" -o "$T/ctl2.npy"
expect_ok control-sim aimet-sim "$G/model.onnx" --data "$G/x.npy" -o "$T/ctl.onnx" \
	--encodings "$T/ctl.encodings" --config "$G/config.json"
expect_ok control-validate aimet-encodings validate "$G/model.onnx" "$T/ctl.encodings"

# ---- ONNX models (copied to a directory of their own, where external data is looked up)
M=$T/m
mkdir -p "$M/sub" "$T/outside"
printf 'x%.0s' $(seq 48) >"$T/outside.bin"
cp "$T/outside.bin" "$T/outside/w.bin"
ln -s "$T/outside/w.bin" "$M/link_out.bin"
ln -s /dev/zero "$M/link_zero.bin"
mkfifo "$M/fifo.bin"
for f in "$H"/onnx/*.onnx; do
	b=$(basename "$f")
	cp "$f" "$M/$b"
	hostile "onnx/$b" aimet-run "$M/$b" --data "$G/x.npy" -o "$T/o/out.npy"
done
# the same through stdin (no directory: external data refused) and through the other tools
for b in trunc_4.onnx ext_dotdot.onnx cycle.onnx dims_wrap_to_zero.onnx; do
	hostile "stdin/$b" aimet-run - --data "$G/x.npy" -o "$T/o/out.npy" <"$M/$b"
	hostile "sim/$b" aimet-sim -q "$M/$b" --data "$G/x.npy" -o "$T/o/out.onnx" \
		--encodings "$T/o/out.encodings" --config "$G/config.json"
	# a cycle is a property of the graph, not of the encodings: validate does not look for it
	[ "$b" = cycle.onnx ] || hostile "validate/$b" aimet-encodings validate "$M/$b" "$T/ctl.encodings"
done

# large files made at run time rather than committed
python3 "$H/gen/mkcorpus.py" --big "$T/big" || bad "mkcorpus --big failed"
for f in "$T"/big/*.onnx; do
	hostile "big/$(basename "$f")" aimet-run "$f" --data "$G/x.npy" -o "$T/o/out.npy"
done
hostile big/huge_header.npy aimet-run "$G/model.onnx" --data "$T/big/huge_header.npy" -o "$T/o/out.npy"
hostile big/huge_name.encodings aimet-encodings validate "$G/model.onnx" "$T/big/huge_name.encodings"

# ---- .npy and .pb data
for f in "$H"/npy/*.npy "$H"/pb/*.pb; do
	hostile "data/$(basename "$f")" aimet-run "$G/model.onnx" --data "$f" -o "$T/o/out.npy"
done
for b in short_data.npy shape_absurd.npy object_dtype.npy; do
	hostile "sim-data/$b" aimet-sim -q "$G/model.onnx" --data "$H/npy/$b" -o "$T/o/out.onnx" \
		--encodings "$T/o/out.encodings" --config "$G/config.json"
done
# data paths that are not files
hostile data/dir-empty aimet-run "$G/model.onnx" --data "$T/outside" -o "$T/o/out.npy"
hostile data/dev-zero aimet-run "$G/model.onnx" --data /dev/zero -o "$T/o/out.npy"
hostile data/pipe-garbage aimet-run "$G/model.onnx" --data <(head -c 5000 /dev/urandom) -o "$T/o/out.npy"
hostile data/pipe-truncated aimet-run "$G/model.onnx" --data <(head -c 100 "$G/x.npy") -o "$T/o/out.npy"
hostile data/missing aimet-run "$G/model.onnx" --data "$T/nope.npy" -o "$T/o/out.npy"

# ---- encodings: validated against the model, and used to run it
for f in "$H"/encodings/*.encodings; do
	b=$(basename "$f")
	hostile "validate/$b" aimet-encodings validate "$G/model.onnx" "$f"
	hostile "run-enc/$b" aimet-run "$G/model.onnx" --data "$G/x.npy" --encodings "$f" -o "$T/o/out.npy"
done

# ---- quantsim configs
for f in "$H"/config/*; do
	hostile "config/$(basename "$f")" aimet-sim -q "$G/model.onnx" --data "$G/x.npy" -o "$T/o/out.onnx" \
		--encodings "$T/o/out.encodings" --config "$f"
done
echo "largest max RSS: $max_rss KiB ($max_rss_case)"
finish
