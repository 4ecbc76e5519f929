import test from 'node:test';
import assert from 'node:assert/strict';
import { augmentSample } from '../../../src/data/augment.js';
import { adjustHsv, photometricDistortion } from '../../../src/data/photometric.js';
import type { Sample } from '../../../src/data/sample.js';
import { createRng, uniform } from '../../../src/random.js';

test('adjustHsv: identity round trip, hand-computed hue turns and desaturation', () => {
  const rng = createRng(3);
  for (let i = 0; i < 500; i++) {
    const rgb = [0, 0, 0].map(() => Math.floor(uniform(rng) * 256));
    const back = [...rgb];
    adjustHsv(back, 0, 1);
    back.forEach((v, c) => assert.ok(Math.abs(v - (rgb[c] as number)) < 1e-9, `${rgb} → ${back}`));
    const turned = [...rgb];
    adjustHsv(turned, 360, 1);
    turned.forEach((v, c) => assert.ok(Math.abs(v - (rgb[c] as number)) < 1e-9));
  }
  const red = [255, 0, 0];
  adjustHsv(red, 120, 1);
  assert.deepEqual(red, [0, 255, 0]);
  const blue = [255, 0, 0];
  adjustHsv(blue, -120, 1);
  assert.deepEqual(blue, [0, 0, 255]);
  const grey = [200, 100, 50];
  adjustHsv(grey, 0, 0);
  assert.deepEqual(grey, [200, 200, 200]);
  const half = [200, 100, 0]; // v = 200, s = 1 → s 0.5: min 100, hue kept (30°): g = 150
  adjustHsv(half, 0, 0.5);
  assert.deepEqual(half, [200, 150, 100]);
});

function image(w: number, h: number, seed: number): { width: number; height: number; data: Uint8Array } {
  const rng = createRng(seed);
  return { width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(uniform(rng) * 256)) };
}

test('photometricDistortion: deterministic per seed, changes images, leaves the padding and its input alone', () => {
  const img = image(12, 9, 1);
  const copy = new Uint8Array(img.data);
  let changed = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const a = photometricDistortion(img, createRng(seed), 7, 10);
    const b = photometricDistortion(img, createRng(seed), 7, 10);
    assert.deepEqual(a.data, b.data);
    for (let y = 0; y < 9; y++)
      for (let x = 0; x < 12; x++)
        if (y >= 7 || x >= 10)
          for (let c = 0; c < 3; c++) assert.equal(a.data[(y * 12 + x) * 3 + c], img.data[(y * 12 + x) * 3 + c]);
    if (a.data.some((v, i) => v !== img.data[i])) changed++;
  }
  assert.deepEqual(img.data, copy);
  assert.ok(changed >= 30, `only ${changed} of 40 seeds changed the image`); // all four steps skip with p = 1/16
});

test('augmentSample: photometric changes only image bytes; off keeps the earlier output exactly', () => {
  const w = 16;
  const h = 12;
  const label = Uint8Array.from({ length: w * h }, (_, i) => i % 3);
  const s: Sample = { id: 's', image: image(w, h, 2), label: { width: w, height: h, data: label } };
  const base = {
    cropSize: [14, 18] as const,
    scaleRange: [0.8, 1.2] as const,
    baseScale: 1,
    flip: true,
    catMaxRatio: 1,
  };
  for (let seed = 1; seed < 10; seed++) {
    const off = augmentSample(s, createRng(seed), base);
    const explicitOff = augmentSample(s, createRng(seed), { ...base, photometric: false });
    assert.deepEqual(explicitOff, off);
    const on = augmentSample(s, createRng(seed), { ...base, photometric: true });
    assert.deepEqual(on.label, off.label);
    assert.equal(on.image.width, off.image.width);
    // padding (label 255) stays black
    on.label.data.forEach((v, i) => {
      if (v === 255 && off.image.data[i * 3] === 0) assert.equal(on.image.data[i * 3], 0);
    });
  }
});
