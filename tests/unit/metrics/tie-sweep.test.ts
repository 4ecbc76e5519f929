import test from 'node:test';
import assert from 'node:assert/strict';
import { firstAtTpr, sweepTies, type TieTable } from '../../../src/metrics/tie-sweep.js';
import { tieTable } from '../../../src/metrics/ranking.js';
import { createRng, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

const EXACT = { rtol: 0, atol: 0 };

const table = (thr: number[], pos: number[], neg: number[]): TieTable => ({
  thresholds: Float64Array.from(thr),
  pos: Float64Array.from(pos),
  neg: Float64Array.from(neg),
});

test('sweepTies: empty entries skipped, per-entry and cumulative counts, totals, source indices', () => {
  const s = sweepTies(table([9, 7, 5, 3, 1], [2, 0, 0, 1, 0], [0, 0, 3, 1, 4]));
  expectClose(s.thresholds, [9, 5, 3, 1], EXACT, 'thresholds');
  expectClose(s.index, [0, 2, 3, 4], EXACT, 'index');
  expectClose(s.pos, [2, 0, 1, 0], EXACT, 'pos');
  expectClose(s.neg, [0, 3, 1, 4], EXACT, 'neg');
  expectClose(s.tp, [2, 2, 3, 3], EXACT, 'tp');
  expectClose(s.fp, [0, 3, 4, 8], EXACT, 'fp');
  expectClose([s.numPos, s.numNeg], [3, 8], EXACT, 'totals');
});

test('sweepTies of an empty table or one with only empty entries has no operating point', () => {
  for (const t of [table([], [], []), table([2, 1], [0, 0], [0, 0])]) {
    const s = sweepTies(t);
    assert.equal(s.tp.length, 0);
    expectClose([s.numPos, s.numNeg], [0, 0], EXACT, 'totals');
    assert.equal(firstAtTpr(s, 0.5), -1);
  }
});

test('firstAtTpr: the first operating point whose TP / P reaches the level (inclusive), −1 without positives', () => {
  const s = sweepTies(table([4, 3, 2, 1], [1, 1, 1, 1], [0, 1, 0, 1]));
  assert.equal(firstAtTpr(s, 0.25), 0);
  assert.equal(firstAtTpr(s, 0.5), 1);
  assert.equal(firstAtTpr(s, 0.51), 2);
  assert.equal(firstAtTpr(s, 0.95), 3);
  assert.equal(firstAtTpr(sweepTies(table([1], [0], [5])), 0.5), -1);
});

test('sweepTies equals a brute-force count over the pixels at every distinct score (random tied data)', () => {
  const rng = createRng(7);
  for (let trial = 0; trial < 40; trial++) {
    const n = 1 + Math.floor(uniform(rng) * 200);
    const scores = Array.from({ length: n }, () => Math.floor(uniform(rng) * 12));
    const labels = Array.from({ length: n }, () => (uniform(rng) < 0.4 ? 1 : uniform(rng) < 0.9 ? 0 : 255));
    const s = sweepTies(tieTable(scores, labels));
    for (let j = 0; j < s.thresholds.length; j++) {
      const t = s.thresholds[j] as number;
      const at = (lab: number, keep: (v: number) => boolean): number =>
        scores.filter((v, i) => labels[i] === lab && keep(v)).length;
      const [above, equal] = [(v: number): boolean => v >= t, (v: number): boolean => v === t];
      expectClose([s.tp[j] as number, s.fp[j] as number], [at(1, above), at(0, above)], EXACT, `cum ${j}`);
      expectClose([s.pos[j] as number, s.neg[j] as number], [at(1, equal), at(0, equal)], EXACT, `at ${j}`);
    }
  }
});
