import test from 'node:test';
import assert from 'node:assert/strict';
import {
  bandAround,
  blendLayer,
  contentBox,
  crop,
  fashionAlpha,
  hsv,
  newCoverage,
  resizeBilinear,
  shadedLayer,
  voidBand,
} from '../../../src/data/composite.js';
import { expectClose } from '../../helpers/close.js';

test('resizeBilinear: same size is the identity over 255; 2x2 → 4x4 interpolates between pixel centres', () => {
  const src = Uint8Array.from([0, 255, 51, 102]);
  expectClose(Array.from(resizeBilinear(src, 2, 2, 2, 2)), [0, 1, 0.2, 0.4], { rtol: 0, atol: 1e-7 });
  const up = resizeBilinear(Uint8Array.from([0, 255]), 2, 1, 4, 1);
  // centres at x = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
  expectClose(Array.from(up), [0, 0.25, 0.75, 1], { rtol: 0, atol: 1e-7 });
});

test('contentBox and crop find and cut the ink', () => {
  const map = Uint8Array.from([0, 0, 0, 0, 0, 9, 20, 0, 0, 30, 0, 0]);
  assert.deepEqual(contentBox(map, 4, 3, 10), [1, 1, 3, 3]);
  assert.equal(contentBox(new Uint8Array(4), 2, 2, 0), null);
  assert.deepEqual([...crop(map, 4, [1, 1, 3, 3])], [9, 20, 30, 0]);
});

test('bandAround marks a ring outside objects, honouring occlusion', () => {
  // 5x5, object 1 in the centre pixel
  const z = new Uint8Array(25);
  z[12] = 1;
  const band = bandAround(z, 5, 5, 1);
  const ring = [6, 7, 8, 11, 13, 16, 17, 18];
  assert.deepEqual(
    [...band].flatMap((v, i) => (v ? [i] : [])),
    ring,
  );
  // object 2 on top of object 1: object 1's pixel next to it is banded, object 2's pixel is not
  const z2 = Uint8Array.from([1, 1, 2, 0]);
  assert.deepEqual([...bandAround(z2, 4, 1, 1)], [0, 1, 0, 1]);
  assert.deepEqual([...bandAround(z2, 4, 1, 0)], [0, 0, 0, 0]);
});

test('blendLayer mixes colours by alpha, clips to the canvas, records object and soft-edge pixels', () => {
  const image = { width: 4, height: 1, data: new Uint8Array(12).fill(100) };
  const cov = newCoverage(4, 1);
  const hits: number[] = [];
  const layer = shadedLayer(1, 0, 4, 1, Float32Array.from([0.01, 0.25, 1, 1]), [200, 0, 0], () => 1);
  blendLayer(image, layer, cov, 7, (p) => hits.push(p));
  assert.deepEqual([...image.data], [100, 100, 100, 101, 99, 99, 125, 75, 75, 200, 0, 0]);
  assert.deepEqual([...cov.top], [0, 0, 0, 7]);
  assert.deepEqual([...cov.soft], [0, 0, 7, 0]);
  assert.deepEqual(hits, [3]);
  // void: the radius-1 ring (pixel 2) plus the soft-edge pixel (2); with touch 0, pixel 1 is void as well
  assert.deepEqual([...voidBand(cov, 1)], [0, 0, 1, 0]);
  const cov0 = newCoverage(4, 1);
  blendLayer({ width: 4, height: 1, data: new Uint8Array(12) }, layer, cov0, 1, () => {}, 0.5, 0);
  assert.deepEqual([...voidBand(cov0, 0)], [0, 1, 1, 0]);
});

test('fashionAlpha: invisible up to 0.05, opaque from 0.15, object mask above 0.1', () => {
  expectClose([0, 0.05, 0.1, 0.15, 1].map(fashionAlpha), [0, 0, 0.5, 1, 1], { rtol: 0, atol: 1e-12 });
});

test('hsv covers the primaries', () => {
  expectClose(hsv(0, 1, 1), [255, 0, 0], { rtol: 0, atol: 1e-9 });
  expectClose(hsv(1 / 3, 1, 1), [0, 255, 0], { rtol: 0, atol: 1e-9 });
  expectClose(hsv(2 / 3, 1, 0.5), [0, 0, 127.5], { rtol: 0, atol: 1e-9 });
});
