// agree.js A.npy B.npy: top-1 agreement (over the last axis) and SQNR in dB of B against A.
// Prints "agreement F n N sqnr_db S". Used by the CLI tests to compare the simulation with
// ONNX Runtime running the exported QDQ model.
const path = require('path');
const { readNpy } = require(path.join(process.env.AIMET_SHARED || path.join(__dirname, '../../../shared'), 'tools/npy.js'));
const [a, b] = process.argv.slice(2).map(readNpy);
if (a.data.length !== b.data.length) { console.error('agree.js: shapes differ'); process.exit(1); }
const c = a.shape[a.shape.length - 1], rows = a.data.length / c;
let same = 0, sig = 0, noise = 0;
for (let r = 0; r < rows; r++) {
  let ia = 0, ib = 0;
  for (let j = 0; j < c; j++) {
    const x = a.data[r * c + j], y = b.data[r * c + j];
    if (x > a.data[r * c + ia]) ia = j;
    if (y > b.data[r * c + ib]) ib = j;
    sig += x * x; noise += (x - y) * (x - y);
  }
  if (ia === ib) same++;
}
const sqnr = noise > 0 ? 10 * Math.log10(sig / noise) : Infinity;
console.log(`agreement ${(same / rows).toFixed(4)} n ${rows} sqnr_db ${sqnr.toFixed(2)}`);
