import test from 'node:test';
import assert from 'node:assert/strict';
import { augmentSample, resizeImageBilinear, resizeLabelNearest } from '../../../src/data/augment.js';
import type { Sample } from '../../../src/data/sample.js';
import { createRng, uniform } from '../../../src/random.js';

function sample(w: number, h: number): Sample {
  const image = new Uint8Array(w * h * 3);
  const label = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      image.fill(x * 10, (y * w + x) * 3, (y * w + x) * 3 + 3);
      label[y * w + x] = x < w / 2 ? 0 : 1;
    }
  return { id: 's', image: { width: w, height: h, data: image }, label: { width: w, height: h, data: label } };
}

test('bilinear resize with half-pixel centres: 2 → 4 columns (hand-computed)', () => {
  const img = { width: 2, height: 1, data: Uint8Array.of(0, 0, 0, 100, 100, 100) };
  const out = resizeImageBilinear(img, 4, 1);
  assert.deepEqual(Array.from(out.data.filter((_, i) => i % 3 === 0)), [0, 25, 75, 100]);
  assert.deepEqual(
    Array.from(resizeLabelNearest({ width: 4, height: 1, data: Uint8Array.of(1, 2, 3, 4) }, 2, 1).data),
    [1, 3],
  );
});

test('crops have the requested size; padding is 0 / 255; flips mirror image and label together', () => {
  const s = sample(8, 6);
  const opts = { cropSize: [8, 10] as const, scaleRange: [1, 1] as const, baseScale: 1, flip: true, catMaxRatio: 1 };
  let sawFlip = false;
  for (let seed = 1; seed < 20; seed++) {
    const a = augmentSample(s, createRng(seed), opts);
    assert.equal(a.image.width, 10);
    assert.equal(a.label.height, 8);
    assert.equal(a.label.data[9], 255); // padding column
    assert.equal(a.image.data[9 * 3], 0);
    assert.equal(a.label.data[7 * 10], 255); // padding row
    const first = a.label.data[0];
    if (first === 1) {
      sawFlip = true;
      assert.equal(a.image.data[0], 70); // leftmost pixel is the old rightmost column
    } else assert.equal(a.image.data[0], 0);
  }
  assert.ok(sawFlip);
});

test('deterministic for a seed; rescale range changes the content scale', () => {
  const s = sample(16, 16);
  const opts = {
    cropSize: [8, 8] as const,
    scaleRange: [0.5, 2] as const,
    baseScale: 1,
    flip: true,
    catMaxRatio: 0.75,
  };
  const a = augmentSample(s, createRng(3), opts);
  const b = augmentSample(s, createRng(3), opts);
  assert.deepEqual(a.image.data, b.image.data);
  assert.deepEqual(a.label.data, b.label.data);
  assert.ok(new Set(a.label.data).size >= 1);
});

test('bilinear resize: a height-only resize (same width) equals the general formula byte for byte', () => {
  const rng = createRng(4);
  const [w, h] = [37, 29];
  const data = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(uniform(rng) * 256));
  const img = { width: w, height: h, data };
  /** The general per-pixel formula (half-pixel centres), evaluated as the general path does. */
  const general = (W: number, H: number): number[] => {
    const out: number[] = [];
    for (let y = 0; y < H; y++) {
      const fy = Math.max((y + 0.5) * (h / H) - 0.5, 0);
      const y0 = Math.min(Math.floor(fy), h - 1);
      const y1 = Math.min(y0 + 1, h - 1);
      const wy = fy - y0;
      for (let x = 0; x < W; x++) {
        const fx = Math.max((x + 0.5) * (w / W) - 0.5, 0);
        const x0 = Math.min(Math.floor(fx), w - 1);
        const x1 = Math.min(x0 + 1, w - 1);
        const wx = fx - x0;
        for (let c = 0; c < 3; c++) {
          const at = (yy: number, xx: number): number => data[(yy * w + xx) * 3 + c] as number;
          const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
          const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
          out.push(Math.round(top * (1 - wy) + bottom * wy));
        }
      }
    }
    return out;
  };
  for (const H of [29, 32, 17, 64])
    assert.deepEqual(Array.from(resizeImageBilinear(img, w, H).data), general(w, H), `H ${H}`);
  assert.deepEqual(Array.from(resizeImageBilinear(img, 40, 32).data), general(40, 32), 'both sides (general path)');
});

test('bilinear resize of a window: the same bytes as cropping the whole resize; a window outside is refused', () => {
  const rng = createRng(4);
  const img = {
    width: 13,
    height: 9,
    data: Uint8Array.from({ length: 13 * 9 * 3 }, () => Math.floor(uniform(rng) * 256)),
  };
  for (const [w, h] of [
    [13, 20], // width unchanged: the row-only path
    [29, 17],
    [7, 5],
  ] as const) {
    const whole = resizeImageBilinear(img, w, h);
    for (const win of [
      { top: 0, left: 0, width: w, height: h },
      { top: 2, left: 3, width: w - 4, height: h - 3 },
      { top: h - 1, left: w - 1, width: 1, height: 1 },
    ]) {
      const part = resizeImageBilinear(img, w, h, win);
      const want: number[] = [];
      for (let y = win.top; y < win.top + win.height; y++)
        want.push(...whole.data.subarray((y * w + win.left) * 3, (y * w + win.left + win.width) * 3));
      assert.deepEqual([part.width, part.height], [win.width, win.height]);
      assert.deepEqual(Array.from(part.data), want, `${w}×${h} window ${JSON.stringify(win)}`);
    }
  }
  assert.throws(() => resizeImageBilinear(img, 7, 5, { top: 1, left: 0, width: 7, height: 5 }), /window outside/);
});
