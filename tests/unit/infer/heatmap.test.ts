import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import {
  GRAY_TABLE,
  INFERNO_TABLE,
  colorOf,
  colormapIndex,
  heatLegend,
  heatmap,
  legendBar,
  scaleFromCalibration,
  thresholdMask,
} from '../../../src/infer/heatmap.js';
import { expectClose } from '../../helpers/close.js';

const EXACT = { rtol: 0, atol: 0 };
const UNIT = { min: 0, max: 1 };

test('inferno table: 256 colours, documented endpoints and middle, CIE lightness increasing', () => {
  expectClose(INFERNO_TABLE.length, 768, EXACT, 'length');
  expectClose([...colorOf(0, UNIT)], [0, 0, 4], EXACT, 'min end');
  expectClose([...colorOf(1, UNIT)], [252, 255, 164], EXACT, 'max end');
  expectClose([...colorOf(0.5, UNIT)], [188, 55, 84], EXACT, 'middle = index 128');
  // CIE L* of each sRGB colour (D65): strictly the "brighter = more anomalous" promise of the module comment
  const lin = (v: number): number => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  let prev = -1;
  for (let i = 0; i < 256; i++) {
    const Y =
      0.2126 * lin(INFERNO_TABLE[3 * i]!) +
      0.7152 * lin(INFERNO_TABLE[3 * i + 1]!) +
      0.0722 * lin(INFERNO_TABLE[3 * i + 2]!);
    const L = 116 * (Y > 216 / 24389 ? Math.cbrt(Y) : ((24389 / 27) * Y + 16) / 116) - 16;
    assert.ok(L >= prev, `lightness drops at index ${i}`);
    prev = L;
  }
  expectClose([...GRAY_TABLE.subarray(3 * 77, 3 * 78)], [77, 77, 77], EXACT, 'gray');
});

test('colormapIndex: index = min(255, floor(256 t)) after clamping', () => {
  const s = { min: 2, max: 6 };
  const idx = [-1, 2, 3, 3.999, 4, 5.99, 6, 100, Infinity, -Infinity].map((v) => colormapIndex(v, s));
  // t = (v − 2) / 4: 3 → 0.25 → 64, 3.999 → 0.24975 → 63.94 → 63, 4 → 128, 5.99 → 0.9975 → 255.36 → 255
  expectClose(idx, [0, 0, 64, 127, 128, 255, 255, 255, 255, 0], EXACT, 'indices');
});

test('heatmap clamps to the fixed scale and colours every pixel from the table', () => {
  const scores = { width: 3, height: 2, data: Float32Array.from([-10, 0, 0.5, 1, 10, Infinity]) };
  const img = heatmap(scores, UNIT);
  assert.equal(img.width, 3);
  assert.equal(img.height, 2);
  expectClose(img.data, [0, 0, 4, 0, 0, 4, 188, 55, 84, 252, 255, 164, 252, 255, 164, 252, 255, 164], EXACT, 'pixels');
  const g = heatmap({ width: 2, height: 1, data: Float64Array.from([0.25, 0.75]) }, UNIT, 'gray');
  expectClose(g.data, [64, 64, 64, 192, 192, 192], EXACT, 'gray pixels');
  assert.throws(() => heatmap({ width: 1, height: 1, data: Float32Array.from([NaN]) }, UNIT), ValueError);
  assert.throws(() => heatmap(scores, { min: 1, max: 1 }), ValueError);
  assert.throws(() => heatmap(scores, { min: 0, max: NaN }), ValueError);
  assert.throws(() => heatmap({ width: 2, height: 2, data: new Float32Array(3) }, UNIT), ShapeError);
});

test('scaleFromCalibration centres the threshold: [median, 2 thr − median], fallback width when degenerate', () => {
  const s = scaleFromCalibration(3, 1);
  expectClose([s.min, s.max], [1, 5], EXACT, 'scale');
  expectClose(colormapIndex(3, s), 128, EXACT, 'threshold at the middle colour');
  const d = scaleFromCalibration(2, 2);
  expectClose([d.min, d.max], [2 - 0.002, 2 + 0.002], { rtol: 0, atol: 1e-15 }, 'degenerate, |thr| > 1');
  const z = scaleFromCalibration(0, 0.5);
  expectClose([z.min, z.max], [-1e-3, 1e-3], EXACT, 'median above threshold');
  assert.throws(() => scaleFromCalibration(NaN, 0), ValueError);
});

test('heatLegend: evenly spaced ticks with clamped ends, plus the threshold tick', () => {
  const leg = heatLegend({ min: 1, max: 5 }, 'inferno', 3);
  expectClose(
    leg.ticks.map((t) => t.value),
    [1, 2, 3, 4, 5, 3],
    EXACT,
    'values',
  );
  expectClose(
    leg.ticks.map((t) => t.fraction),
    [0, 0.25, 0.5, 0.75, 1, 0.5],
    EXACT,
    'fractions',
  );
  assert.deepEqual(
    leg.ticks.map((t) => t.label),
    ['≤ 1.000', '2.000', '3.000', '4.000', '≥ 5.000', 'threshold 3.000'],
  );
  expectClose([...leg.ticks[5]!.color], [188, 55, 84], EXACT, 'threshold colour');
  assert.throws(() => heatLegend({ min: 0, max: 1 }, 'inferno', undefined, 1), ValueError);
});

test('legendBar shows the table left to right', () => {
  const bar = legendBar('inferno', 512, 2);
  assert.equal(bar.data.length, 512 * 2 * 3);
  for (const x of [0, 1, 255, 256, 511]) {
    const k = Math.floor(x / 2);
    for (const y of [0, 1]) {
      const p = (y * 512 + x) * 3;
      expectClose(
        [...bar.data.subarray(p, p + 3)],
        [...INFERNO_TABLE.subarray(3 * k, 3 * k + 3)],
        EXACT,
        `column ${x}`,
      );
    }
  }
  assert.throws(() => legendBar('inferno', 0, 2), ShapeError);
});

test('thresholdMask: strict by default, inclusive on request, NaN never flagged', () => {
  const s = Float32Array.from([1, 2, 3, 2, NaN, -Infinity, Infinity]);
  expectClose(thresholdMask(s, 2), [0, 0, 1, 0, 0, 0, 1], EXACT, 'strict');
  expectClose(thresholdMask(s, 2, true), [0, 1, 1, 1, 0, 0, 1], EXACT, 'inclusive');
  assert.throws(() => thresholdMask(s, NaN), ValueError);
});
