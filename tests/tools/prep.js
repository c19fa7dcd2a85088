// prep.js IN_u8.npy OUT.npy MODE [N]: the float32 input ../shared/tools feed the PP-OCR models
// (MODE ppocr: (x/255 - 0.5)/0.5; imagenet: (x/255 - mean)/std per channel), first N samples.
// Tests give this same file to our tools and to ONNX Runtime, so both see identical bits.
const path = require('path');
const { readNpy, writeNpy } = require(path.join(process.env.AIMET_SHARED || path.join(__dirname, '../../../shared'), 'tools/npy.js'));
const [inp, out, mode, lim] = process.argv.slice(2);
const X = readNpy(inp), per = X.shape.slice(1).reduce((a, b) => a * b, 1);
const n = Math.min(X.shape[0], lim ? Number(lim) : Infinity), hw = X.shape[2] * X.shape[3];
const m = [0.485, 0.456, 0.406], s = [0.229, 0.224, 0.225], y = new Float32Array(n * per);
for (let i = 0; i < n * per; i++) {
  const v = X.data[i] / 255;
  if (mode === 'ppocr') y[i] = (v - 0.5) / 0.5;
  else if (mode === 'imagenet') { const c = Math.floor(i / hw) % 3; y[i] = (v - m[c]) / s[c]; }
  else { console.error('prep.js: mode is ppocr or imagenet'); process.exit(1); }
}
writeNpy(out, y, [n, ...X.shape.slice(1)]);
