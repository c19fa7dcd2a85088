// ctc.js OUT.npy LINES.txt KEYS.txt: character accuracy of recognizer outputs [N, T, C] already
// computed (e.g. by aimet-run, simulated or not), with the metric of ../shared/tools/ocr.js:
// greedy CTC decoding (0 = blank, index i+1 = key i, the last a space), 1 - edit distance /
// length over all lines. Prints "char_accuracy A exact E n N".
const fs = require('fs');
const path = require('path');
const { readNpy } = require(path.join(process.env.AIMET_SHARED || path.join(__dirname, '../../../shared'), 'tools/npy.js'));
const [op, linesp, keysp] = process.argv.slice(2);
const O = readNpy(op), [n, T, C] = O.shape;
const truth = fs.readFileSync(linesp, 'utf8').split('\n').slice(0, n);
const keys = fs.readFileSync(keysp, 'utf8').split('\n').filter((_, i, a) => i < a.length - 1 || a[i] !== '');
keys.push(' ');
function editDistance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
let errs = 0, total = 0, exact = 0;
for (let j = 0; j < n; j++) {
  let last = -1;
  const text = [];
  for (let t = 0; t < T; t++) {
    const base = (j * T + t) * C;
    let best = 0;
    for (let c = 1; c < C; c++) if (O.data[base + c] > O.data[base + best]) best = c;
    if (best !== last && best !== 0) text.push(keys[best - 1]);
    last = best;
  }
  const gt = Array.from(truth[j]);
  errs += editDistance(gt, text); total += gt.length;
  if (text.join('') === truth[j]) exact++;
}
console.log(`char_accuracy ${(1 - errs / total).toFixed(4)} exact ${(exact / n).toFixed(4)} n ${n}`);
