/**
 * The web page's pure helpers (src/web/colormap.js, regions.js: plain browser ES modules, imported here from the
 * source folder) against the project's TypeScript implementations that the service uses: same inferno table and
 * colour mapping, same flagged mask, same 8-connected regions, same overlay pixels.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { OUTLINE_RGB } from '../../../src/constants.js';
import { heatmap, INFERNO_TABLE, thresholdMask as tsThresholdMask } from '../../../src/infer/heatmap.js';
import { outlineMask, overlay } from '../../../src/infer/overlay.js';
import { labelComponents } from '../../../src/metrics/components.js';
import { createRng, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

interface Region {
  id: number;
  area: number;
  bbox: { x: number; y: number; width: number; height: number };
  maxScore: number;
  meanScore: number;
}
interface ColormapModule {
  INFERNO: Uint8Array;
  colormapIndex(score: number, scale: { min: number; max: number }): number;
  heatRgba(scores: Float32Array, scale: { min: number; max: number }): Uint8ClampedArray;
  infernoGradientCss(): string;
}
interface RegionsModule {
  OUTLINE: number[];
  thresholdMask(scores: ArrayLike<number>, t: number): { mask: Uint8Array; flagged: number };
  findRegions(
    mask: Uint8Array,
    scores: ArrayLike<number>,
    width: number,
    height: number,
  ): { labels: Int32Array; regions: Region[] };
  maskContour(mask: Uint8Array, width: number, height: number): Uint8Array;
  overlayRgba(
    photo: Uint8ClampedArray,
    heat: Uint8ClampedArray,
    mask: Uint8Array,
    width: number,
    height: number,
    alpha?: number,
  ): Uint8ClampedArray;
  formatPercent(f: number): string;
}

const webDir = path.join(fileURLToPath(new URL('../../../../', import.meta.url)), 'src', 'web');
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(webDir, file)).href)) as T;

/** A smooth-ish random score map [H·W] (blobs, so regions have several pixels), seeded. */
function scoreMap(width: number, height: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const centres = Array.from(
    { length: 6 },
    () => [uniform(rng) * width, uniform(rng) * height, 2 + 6 * uniform(rng)] as const,
  );
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = uniform(rng) * 0.6;
      for (const [cx, cy, r] of centres) s += Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r)) * 2;
      out[y * width + x] = s;
    }
  }
  return out;
}

const toRgba = (rgb: Uint8Array): Uint8ClampedArray => {
  const out = new Uint8ClampedArray((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) {
    out.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
    out[4 * p + 3] = 255;
  }
  return out;
};

test('inferno table and heat colours equal the service heat map (src/infer/heatmap.ts)', async () => {
  const cm = await load<ColormapModule>('colormap.js');
  assert.deepEqual(Array.from(cm.INFERNO), Array.from(INFERNO_TABLE));
  const scale = { min: -1.5, max: 2.25 };
  const scores = Float32Array.from([
    -10,
    -1.5,
    -1.4,
    0,
    0.375,
    2.2,
    2.25,
    99,
    Infinity,
    -Infinity,
    ...scoreMap(16, 8, 3),
  ]);
  const expected = heatmap({ width: scores.length, height: 1, data: scores }, scale);
  assert.deepEqual(Array.from(cm.heatRgba(scores, scale)), Array.from(toRgba(expected.data)));
  assert.equal(cm.colormapIndex(scale.max, scale), 255);
  assert.equal(cm.colormapIndex(scale.min, scale), 0);
  assert.match(
    cm.infernoGradientCss(),
    /^linear-gradient\(to right, rgb\(0 0 4\) 0\.00%, .*rgb\(252 255 164\) 100\.00%\)$/,
  );
});

test('flagged mask and 8-connected regions equal the project definitions (strict >, labelComponents)', async () => {
  const rg = await load<RegionsModule>('regions.js');
  const [W, H] = [37, 23];
  const scores = scoreMap(W, H, 11);
  for (const t of [0.5, 0.9, 1.4, 5]) {
    const { mask, flagged } = rg.thresholdMask(scores, t);
    assert.deepEqual(Array.from(mask), Array.from(tsThresholdMask(scores, t)));
    assert.equal(
      flagged,
      mask.reduce((a, b) => a + b, 0),
    );
    const { labels, regions } = rg.findRegions(mask, scores, W, H);
    const ref = labelComponents(mask, H, W, 8);
    assert.deepEqual(Array.from(labels), Array.from(ref.labels), `labels at t=${t}`);
    assert.equal(regions.length, ref.count);
    for (const r of regions) {
      assert.equal(r.area, ref.sizes[r.id]);
      const px = [...labels.keys()].filter((i) => labels[i] === r.id);
      const xs = px.map((i) => i % W);
      const ys = px.map((i) => Math.floor(i / W));
      assert.deepEqual(r.bbox, {
        x: Math.min(...xs),
        y: Math.min(...ys),
        width: Math.max(...xs) - Math.min(...xs) + 1,
        height: Math.max(...ys) - Math.min(...ys) + 1,
      });
      assert.equal(r.maxScore, Math.max(...px.map((i) => scores[i] as number)));
      const mean = px.reduce((a, i) => a + (scores[i] as number), 0) / px.length;
      expectClose(r.meanScore, mean, { rtol: 1e-12, atol: 0 }, `mean of region ${r.id}`);
    }
    if (t === 0.9) assert.ok(regions.length >= 2, 'the test map has several regions at t = 0.9');
  }
  assert.throws(
    () => rg.findRegions(new Uint8Array(5), new Float32Array(6), 2, 3),
    /findRegions: mask \(5\) and scores \(6\) must have 2×3 pixels/,
  );
});

test('overlay equals the service overlay: outlineMask(overlay(photo, heat, 0.5, mask), mask, OUTLINE_RGB)', async () => {
  const rg = await load<RegionsModule>('regions.js');
  const cm = await load<ColormapModule>('colormap.js');
  const [W, H] = [29, 31];
  const scores = scoreMap(W, H, 5);
  const rng = createRng(9);
  const photo = {
    width: W,
    height: H,
    data: Uint8Array.from({ length: W * H * 3 }, () => Math.floor(uniform(rng) * 256)),
  };
  const scale = { min: 0.2, max: 1.8 };
  const heat = heatmap({ width: W, height: H, data: scores }, scale);
  const mask = tsThresholdMask(scores, 1);
  assert.deepEqual(rg.OUTLINE, [...OUTLINE_RGB], 'the page outlines in the service colour');
  const expected = outlineMask(overlay(photo, heat, 0.5, mask), mask, OUTLINE_RGB);
  const got = rg.overlayRgba(toRgba(photo.data), cm.heatRgba(scores, scale), mask, W, H);
  assert.deepEqual(Array.from(got), Array.from(toRgba(expected.data)));
  assert.ok(mask.some((v) => v === 1) && mask.some((v) => v === 0), 'the mask has flagged and unflagged pixels');
});

test('formatPercent: two decimals, tiny non-zero fractions shown as < 0.01 %', async () => {
  const rg = await load<RegionsModule>('regions.js');
  assert.equal(rg.formatPercent(0), '0.00 %');
  assert.equal(rg.formatPercent(0.123456), '12.35 %');
  assert.equal(rg.formatPercent(1), '100.00 %');
  assert.equal(rg.formatPercent(5e-5), '< 0.01 %');
});
