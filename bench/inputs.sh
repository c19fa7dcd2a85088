# inputs.sh (sourced by run.sh and sim.sh): the benchmark's inputs, real data preprocessed as
# each model expects at the benchmark's batch and size, written to $W/<model>.npy, and
# batch[<model>]. Needs SHARED, W, MODELS and NAME (the caller's name, for messages).
mk() { node bench/mkinput.js "$@" || { echo "$NAME: cannot make input $2" >&2; exit 1; }; }
declare -A batch
for m in $MODELS; do
	case $m in
	fmnist_*) mk "$SHARED/data/fmnist_test_x.npy" "$W/$m.npy" 64 1 28 28; batch[$m]=64 ;;
	ppocr_cls) mk "$SHARED/data/ocr/ocr_cls_u8.npy" "$W/$m.npy" 8 3 48 192 0.00392157 0.5 0.5; batch[$m]=8 ;;
	ppocr_rec) mk "$SHARED/data/ocr/ocr_lines_u8.npy" "$W/$m.npy" 8 3 48 320 0.00392157 0.5 0.5; batch[$m]=8 ;;
	ppocr_det) mk "$SHARED/data/ocr/det_pages_u8.npy" "$W/$m.npy" 1 3 640 640 0.00392157 \
		0.485,0.456,0.406 0.229,0.224,0.225; batch[$m]=1 ;;
	*) echo "$NAME: unknown model $m" >&2; exit 1 ;;
	esac
done
