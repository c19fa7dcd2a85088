// mkinput.js: makes a float32 benchmark input [B, C, H, W] from a data set .npy (uint8 or float32),
// taking samples in order (repeated when there are fewer than B) and cropping or tiling the
// spatial axes; uint8 data is preprocessed as ((x * scale) - mean[c]) / std[c].
// usage: node mkinput.js SRC.npy OUT.npy B C H W [scale mean0,mean1,.. std0,std1,..]
const path = require('path');
const shared = process.env.AIMET_SHARED || path.join(__dirname, '..', '..', 'shared');
const { readNpy, writeNpy } = require(path.join(shared, 'tools', 'npy.js'));
const [src, out, B, C, H, W, scale, mean, std] = process.argv.slice(2);
const X = readNpy(src);
const [n, c, h, w] = X.shape;
const b = Number(B), cc = Number(C), hh = Number(H), ww = Number(W);
if (X.shape.length !== 4 || c !== cc) throw new Error(`${src}: want [N, ${cc}, H, W], got [${X.shape}]`);
const s = scale ? Number(scale) : 1;
const mu = mean ? mean.split(',').map(Number) : [0];
const sd = std ? std.split(',').map(Number) : [1];
const y = new Float32Array(b * cc * hh * ww);
for (let i = 0; i < b; i++)
  for (let k = 0; k < cc; k++)
    for (let r = 0; r < hh; r++)
      for (let q = 0; q < ww; q++) {
        const v = Number(X.data[(((i % n) * c + k) * h + (r % h)) * w + (q % w)]);
        const m = mu[mu.length > 1 ? k : 0], d = sd[sd.length > 1 ? k : 0];
        y[((i * cc + k) * hh + r) * ww + q] = X.descr === '|u1' ? (v * s - m) / d : v;
      }
writeNpy(out, y, [b, cc, hh, ww]);
