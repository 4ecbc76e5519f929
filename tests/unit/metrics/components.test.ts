import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import {
  componentFrameStats,
  componentMetrics,
  labelComponents,
  SIOU_THRESHOLDS,
  type ComponentOptions,
} from '../../../src/metrics/components.js';
import { expectClose } from '../../helpers/close.js';

/** Bit-exact comparison through the project's tolerance helper. */
const EXACT = { rtol: 0, atol: 0 };

const NO_FILTER: ComponentOptions = { minPredSize: 0, minGtSize: 0, connectivity: 8 };
const TOL = { rtol: 0, atol: 1e-15 };

/** Builds an H×W map from rows of characters: '.' 0, '#' 1, 'v' 255. */
function grid(rows: string[]): { data: Uint8Array; h: number; w: number } {
  const h = rows.length;
  const w = (rows[0] as string).length;
  const data = new Uint8Array(h * w);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (data[y * w + x] = ch === '#' ? 1 : ch === 'v' ? 255 : 0)));
  return { data, h, w };
}

test('connected components: 8-connectivity joins diagonals, 4-connectivity does not; ids in raster order', () => {
  const m = grid(['#..#', '.#..', '...#']);
  const c8 = labelComponents(m.data, m.h, m.w, 8);
  assert.equal(c8.count, 3);
  assert.deepEqual([...c8.labels], [1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 3]);
  assert.deepEqual(c8.sizes, [0, 2, 1, 1]);
  const c4 = labelComponents(m.data, m.h, m.w, 4);
  assert.equal(c4.count, 4);
  assert.deepEqual([...c4.labels], [1, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 4]);
});

test('hand-computed sIoU, PPV, per-τ counts and mean F1 for two GT objects', () => {
  const gt = grid(['........', '.##.....', '.##.....', '........', '........', '.....###', '.....###', '........']);
  const pred = grid(['........', '.###....', '.###....', '........', '........', '........', '.....##.', '........']);
  const st = componentFrameStats(pred.data, gt.data, 8, 8, NO_FILTER);
  // A (4 px) covered by P1 (6 px): 4 / (6 + 4 − 4) ; B (6 px) half covered by P2 (2 px): 2 / (2 + 6 − 2)
  expectClose(st.sIoUGt, [4 / 6, 2 / 6], TOL, 'sIoU');
  expectClose(st.precPred, [4 / 6, 1], TOL, 'PPV');
  // τ = .25 … .75: B passes up to .30, A up to .65; P1's PPV < τ from .70
  assert.deepEqual([...st.tp], [2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  assert.deepEqual([...st.fn], [0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
  assert.deepEqual([...st.fp], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  const m = componentMetrics([st]);
  expectClose(m.f1, [1, 1, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 0, 0], TOL, 'F1(τ)');
  expectClose(m.meanF1, 20 / 33, { rtol: 0, atol: 1e-12 }, 'mean F1');
  expectClose(m.sIoU, 0.5, TOL, 'mean sIoU');
  expectClose(m.ppv, 5 / 6, TOL, 'mean PPV');
  assert.equal(SIOU_THRESHOLDS.length, 11);
});

test('adjusted union: a prediction spanning two GT objects is not penalised for the other one', () => {
  const gt = grid(['.##.##.']);
  const pred = grid(['.#####.']);
  const st = componentFrameStats(pred.data, gt.data, 1, 7, NO_FILTER);
  // each GT: 2 / (5 + 2 − 2 − 2) = 2/3 (plain IoU would be 2/5)
  expectClose(st.sIoUGt, [2 / 3, 2 / 3], TOL, 'sIoU');
  expectClose(st.precPred, [4 / 5], TOL, 'PPV');
  // the predicted component's own sIoU: 4 / (4 + 5 − 4 − 0)
  expectClose(st.sIoUPred, [4 / 5], TOL, 'sIoU pred');
});

test('void: predictions in void are cleared; an unmatched GT has sIoU 0', () => {
  const label = grid(['vv.##']);
  const pred = grid(['##...']);
  const st = componentFrameStats(pred.data, label.data, 1, 5, NO_FILTER);
  assert.deepEqual([...st.precPred], []);
  expectClose([...st.sIoUGt], [0], EXACT, '[...st.sIoUGt]');
  assert.deepEqual([...st.fn], new Array(11).fill(1));
});

test('size filters: small predictions deleted; small GT objects become void and leave the region', () => {
  const label = grid(['......', '..#...', '......']);
  const pred = grid(['......', '..##..', '#.....']);
  const open = componentFrameStats(pred.data, label.data, 3, 6, NO_FILTER);
  // GT 1 px, P1 = 2 px touching it, P2 = the lone pixel at (2,0)
  expectClose(open.sIoUGt, [1 / 2], TOL, 'sIoU');
  expectClose(open.precPred, [1 / 2, 0], TOL, 'PPV');
  const filtered = componentFrameStats(pred.data, label.data, 3, 6, { minPredSize: 2, minGtSize: 2, connectivity: 8 });
  // GT voided → no GT component; P2 deleted; P1 keeps only its non-void pixel, which has no GT: PPV 0
  assert.deepEqual([...filtered.sIoUGt], []);
  expectClose([...filtered.precPred], [0], EXACT, '[...filtered.precPred]');
  assert.deepEqual([...filtered.fp], new Array(11).fill(1));
});

test('their background quirk: fewer than minGtSize non-anomaly pixels makes all of them void', () => {
  const label = grid(['##', '#.']);
  const pred = grid(['##', '##']);
  // background = 1 px < 2 → void, so the prediction's size counts only the 3 anomaly pixels
  const st = componentFrameStats(pred.data, label.data, 2, 2, { minPredSize: 0, minGtSize: 2, connectivity: 8 });
  expectClose([...st.precPred], [1], EXACT, '[...st.precPred]');
  expectClose([...st.sIoUGt], [1], EXACT, '[...st.sIoUGt]');
});

test('dataset aggregation sums counts over frames and pools the means', () => {
  const a = componentFrameStats(grid(['##..']).data, grid(['##..']).data, 1, 4, NO_FILTER); // perfect
  const b = componentFrameStats(grid(['...#']).data, grid(['#...']).data, 1, 4, NO_FILTER); // miss + false alarm
  const m = componentMetrics([a, b]);
  // every τ: TP 1, FN 1, FP 1 → F1 = 2/4
  expectClose(m.f1, new Array(11).fill(0.5), TOL, 'F1');
  expectClose(m.meanF1, 0.5, { rtol: 0, atol: 1e-12 }, 'mean F1');
  expectClose(m.sIoU, 0.5, TOL, 'sIoU (1 and 0)');
  expectClose(m.ppv, 0.5, TOL, 'PPV (1 and 0)');
  // no GT at all: sIoU NaN, F1 = 0 from false positives
  const fpOnly = componentMetrics([componentFrameStats(grid(['#.']).data, grid(['..']).data, 1, 2, NO_FILTER)]);
  assert.ok(Number.isNaN(fpOnly.sIoU));
  expectClose(fpOnly.meanF1, 0, EXACT, 'fpOnly.meanF1');
});

test('errors: nothing to count, shape mismatch, bad options', () => {
  const empty = componentFrameStats(grid(['..']).data, grid(['..']).data, 1, 2, NO_FILTER);
  assert.throws(
    () => componentMetrics([empty]),
    (e: unknown) => e instanceof ValueError && /F1 is undefined/.test(e.message),
  );
  assert.throws(() => componentFrameStats(new Uint8Array(3), new Uint8Array(4), 2, 2, NO_FILTER), ShapeError);
  assert.throws(
    () => componentFrameStats(new Uint8Array(4), new Uint8Array(4), 2, 2, { ...NO_FILTER, minGtSize: -1 }),
    ValueError,
  );
  assert.throws(() => labelComponents(new Uint8Array(4), 2, 2, 6 as 4), /connectivity must be 4 or 8/);
});
