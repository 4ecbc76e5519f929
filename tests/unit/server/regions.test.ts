import test from 'node:test';
import assert from 'node:assert/strict';
import { anomalyRegions, countFlagged } from '../../../src/server/regions.js';
import { expectClose } from '../../helpers/close.js';

/** A mask from rows of '#' (flagged) and '.' characters. */
function mask(rows: string[]): { flagged: Uint8Array; width: number; height: number } {
  const width = (rows[0] as string).length;
  const flagged = Uint8Array.from(rows.join(''), (c) => (c === '#' ? 1 : 0));
  return { flagged, width, height: rows.length };
}

test('8-connected regions with area, bounding box and max/mean score, largest first', () => {
  const { flagged, width, height } = mask(['##....', '.#....', '..#..#', '.....#', '#.....']);
  const scores = Float32Array.from({ length: width * height }, (_, i) => i);
  const { regions, truncated } = anomalyRegions(flagged, scores, width, height, { minArea: 1, maxRegions: 10 });
  assert.equal(truncated, false);
  // the diagonal chain (0,0),(1,0),(1,1),(2,2) is one region under 8-connectivity
  assert.deepEqual(
    regions.map((r) => ({ id: r.id, area: r.area, bbox: r.bbox, maxScore: r.maxScore })),
    [
      { id: 1, area: 4, bbox: { x: 0, y: 0, width: 3, height: 3 }, maxScore: 14 },
      { id: 2, area: 2, bbox: { x: 5, y: 2, width: 1, height: 2 }, maxScore: 23 },
      { id: 3, area: 1, bbox: { x: 0, y: 4, width: 1, height: 1 }, maxScore: 24 },
    ],
  );
  expectClose(regions[0]?.meanScore as number, (0 + 1 + 7 + 14) / 4, { rtol: 0, atol: 1e-12 });
  expectClose(regions[1]?.meanScore as number, (17 + 23) / 2, { rtol: 0, atol: 1e-12 });
  assert.equal(
    regions.reduce((s, r) => s + r.area, 0),
    countFlagged(flagged),
  );
});

test('minArea drops small regions; maxRegions cuts the list and says so; ids stay the component numbers', () => {
  const { flagged, width, height } = mask(['#..##', '...##', '#....']);
  const scores = new Float32Array(width * height).fill(1);
  const big = anomalyRegions(flagged, scores, width, height, { minArea: 2, maxRegions: 10 });
  assert.deepEqual(
    big.regions.map((r) => [r.id, r.area]),
    [[2, 4]],
  );
  assert.equal(big.truncated, false);
  const cut = anomalyRegions(flagged, scores, width, height, { minArea: 1, maxRegions: 2 });
  assert.deepEqual(
    cut.regions.map((r) => [r.id, r.area]),
    [
      [2, 4],
      [1, 1],
    ],
  );
  assert.equal(cut.truncated, true);
  const none = anomalyRegions(flagged, scores, width, height, { minArea: 1, maxRegions: 0 });
  assert.deepEqual(none, { regions: [], truncated: true });
});

test('an empty mask has no regions; mismatched lengths are refused', () => {
  const r = anomalyRegions(new Uint8Array(6), new Float32Array(6), 3, 2, { minArea: 1, maxRegions: 5 });
  assert.deepEqual(r, { regions: [], truncated: false });
  assert.throws(
    () => anomalyRegions(new Uint8Array(5), new Float32Array(6), 3, 2, { minArea: 1, maxRegions: 5 }),
    /must have 3×2 = 6 values/,
  );
});
