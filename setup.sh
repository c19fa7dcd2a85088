#!/bin/sh
# setup.sh: installs what a fresh Debian 12 machine lacks, configures, builds, and runs the main
# job on the bundled example. Run as root (or with sudo) from the project's top directory.
set -eu
cd "$(dirname "$0")"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake pkg-config \
	protobuf-c-compiler libprotobuf-c-dev libonnx-dev libyaml-dev libjansson-dev \
	libopenblas-openmp-dev libonnx-testdata \
	clang libclang-rt-14-dev time >/dev/null
# Node.js runs ONNX Runtime, the reference the tests compare against (not needed by the tools).
command -v node >/dev/null 2>&1 || $SUDO apt-get install -y -qq nodejs npm >/dev/null
ORT_DIR=${ORT_DIR:-$HOME/.cache/ort}
if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
	mkdir -p "$ORT_DIR"
	(cd "$ORT_DIR" && npm install --silent --no-audit --no-fund --ignore-scripts onnxruntime-node@1.30.0)
fi
autoreconf -i >/dev/null 2>&1
./configure -q
make -j2
# The main job on the bundled example: calibrate W8A8 encodings, write the folded model, its
# encodings and a QDQ model for ONNX Runtime, and compare FP32 with simulated accuracy.
EX=share/aimet/examples
mkdir -p build/example
build/bin/aimet-sim $EX/fmnist_resnet8.onnx --data $EX/calib_x.npy -o build/example/resnet8_sim.onnx \
	--encodings build/example/resnet8.encodings --qdq build/example/resnet8_qdq.onnx \
	--eval $EX/test_x.npy --labels $EX/test_y.npy
