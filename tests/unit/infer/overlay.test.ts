import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { grid, maskContour, outlineMask, overlay, sideBySide } from '../../../src/infer/overlay.js';
import { expectClose } from '../../helpers/close.js';

const EXACT = { rtol: 0, atol: 0 };

const img = (width: number, height: number, values: number[]) => ({ width, height, data: Uint8Array.from(values) });

test('overlay blends round((1 − α)·image + α·colour), half up, optionally under a mask', () => {
  const a = img(2, 1, [100, 0, 255, 10, 20, 30]);
  const b = img(2, 1, [200, 100, 0, 11, 21, 200]);
  expectClose(overlay(a, b, 0.5).data, [150, 50, 128, 11, 21, 115], EXACT, 'alpha 0.5');
  expectClose(overlay(a, b, 0.25).data, [125, 25, 191, 10, 20, 73], EXACT, 'alpha 0.25');
  expectClose(overlay(a, b, 0).data, a.data, EXACT, 'alpha 0');
  expectClose(overlay(a, b, 1).data, b.data, EXACT, 'alpha 1');
  expectClose(overlay(a, b, 0.5, Uint8Array.from([0, 1])).data, [100, 0, 255, 11, 21, 115], EXACT, 'masked');
  expectClose(a.data, [100, 0, 255, 10, 20, 30], EXACT, 'input untouched');
  assert.throws(() => overlay(a, b, 1.5), ValueError);
  assert.throws(() => overlay(a, img(1, 1, [0, 0, 0]), 0.5), ShapeError);
  assert.throws(() => overlay(a, b, 0.5, new Uint8Array(3)), ShapeError);
});

test('maskContour: inner 4-neighbour boundary, image border closes regions, thickness erodes further', () => {
  // 5×5 with a 3×3 block at rows 1..3, cols 1..3: the ring of 8 pixels, not the centre.
  const m = new Uint8Array(25);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) m[y * 5 + x] = 1;
  const ring = new Uint8Array(25);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) ring[y * 5 + x] = x === 2 && y === 2 ? 0 : 1;
  expectClose(maskContour(m, 5, 5), ring, EXACT, 'block');
  const full = new Uint8Array(9).fill(1);
  expectClose(maskContour(full, 3, 3), [1, 1, 1, 1, 0, 1, 1, 1, 1], EXACT, 'touching the border');
  const full5 = new Uint8Array(25).fill(7);
  const t2 = maskContour(full5, 5, 5, 2);
  expectClose(
    t2,
    Array.from({ length: 25 }, (_, i) => (i === 12 ? 0 : 1)),
    EXACT,
    'thickness 2',
  );
  expectClose(maskContour(new Uint8Array(4), 2, 2), [0, 0, 0, 0], EXACT, 'empty');
  assert.throws(() => maskContour(m, 5, 5, 0), ValueError);
});

test('outlineMask paints the contour pixels only', () => {
  const base = img(3, 1, [1, 1, 1, 2, 2, 2, 3, 3, 3]);
  const out = outlineMask(base, Uint8Array.from([0, 1, 1]), [255, 0, 0]);
  expectClose(out.data, [1, 1, 1, 255, 0, 0, 255, 0, 0], EXACT, 'outlined');
  assert.throws(() => outlineMask(base, new Uint8Array(2), [0, 0, 0]), ShapeError);
});

test('sideBySide and grid: top-left aligned panels, gaps and fill in the background colour', () => {
  const red = img(1, 1, [255, 0, 0]);
  const blue = img(1, 2, [0, 0, 255, 0, 0, 254]);
  const s = sideBySide([red, blue], { gap: 1, background: [9, 9, 9] });
  assert.equal(s.width, 3);
  assert.equal(s.height, 2);
  expectClose(s.data, [255, 0, 0, 9, 9, 9, 0, 0, 255, 9, 9, 9, 9, 9, 9, 0, 0, 254], EXACT, 'side by side');
  const g = grid([[red], [red, red]], { gap: 0 });
  assert.equal(g.width, 2);
  assert.equal(g.height, 2);
  expectClose(g.data, [255, 0, 0, 255, 255, 255, 255, 0, 0, 255, 0, 0], EXACT, 'grid');
  assert.throws(() => sideBySide([]), ValueError);
});
