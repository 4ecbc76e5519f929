import test from 'node:test';
import { expectClose } from '../../helpers/close.js';
import assert from 'node:assert/strict';
import { toFloat16 } from '../../../src/float16.js';
import {
  argsortNumpy,
  heapsortSegment,
  histogramSorted,
  linspace,
  pairwiseSum,
  quantileLinear,
  searchSorted,
  trapz,
  uniqueSorted,
} from '../../../src/metrics/numpy-compat.js';
import { createRng, uniform, randInt } from '../../../src/random.js';

/** Bit-exact comparison through the project's tolerance helper. */
const EXACT = { rtol: 0, atol: 0 };

test('linspace follows NumPy (i·step + start, exact endpoint)', () => {
  expectClose([...linspace(0, 1, 5)], [0, 0.25, 0.5, 0.75, 1], EXACT, '[...linspace(0, 1, 5)]');
  expectClose([...linspace(0, 1, 1)], [0], EXACT, '[...linspace(0, 1, 1)]');
  const t = linspace(0.25, 0.75, 11);
  assert.equal(t.length, 11);
  expectClose(t[1], 1 * (0.5 / 10) + 0.25, EXACT, 't[1]');
  expectClose(t[10], 0.75, EXACT, 't[10]');
});

test('pairwiseSum: sequential below 8, 8 accumulators up to 128, recursive halving above', () => {
  const small = [1e16, 1, -1e16];
  expectClose(pairwiseSum(small), 1e16 + 1 - 1e16, EXACT, 'pairwiseSum(small)');
  // 16 values: r[j] = a[j] + a[j+8], then ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))
  const a = [1e16, 1, 1, 1, 1, 1, 1, 1, -1e16, 1, 1, 1, 1, 1, 1, 1];
  const r = Array.from({ length: 8 }, (_, j) => (a[j] as number) + (a[j + 8] as number));
  const want = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
  expectClose(pairwiseSum(a), want, EXACT, 'pairwiseSum(a)');
  // Above 128 the halves sum separately: exact for integers, and equal to splitting by hand.
  const big = Float64Array.from({ length: 1000 }, (_, i) => i);
  expectClose(pairwiseSum(big), 499500, EXACT, 'pairwiseSum(big)');
  const rng = createRng(3);
  const x = Float64Array.from({ length: 300 }, () => uniform(rng));
  expectClose(pairwiseSum(x), pairwiseSum(x, 0, 144) + pairwiseSum(x, 144, 156), EXACT, 'pairwiseSum(x)');
});

test('trapz, searchSorted, uniqueSorted', () => {
  expectClose(trapz([0, 1, 1], [0, 0.5, 1]), 0.75, EXACT, 'trapz([0, 1, 1], [0, 0.5, 1])');
  assert.equal(searchSorted([1, 2, 2, 3], 2, 'left'), 1);
  assert.equal(searchSorted([1, 2, 2, 3], 2, 'right'), 3);
  assert.deepEqual([...uniqueSorted([3, -0, 0, 1, 3])], [0, 1, 3]);
});

test('quantileLinear: NumPy linear rule, with b − a rounded in float16', () => {
  const s = Float64Array.of(0, 1, 2, 3);
  expectClose(
    [...quantileLinear(s, [0, 0.5, 1, 1 / 3])],
    [0, 1.5, 3, 1],
    EXACT,
    '[...quantileLinear(s, [0, 0.5, 1, 1 / 3])]',
  );
  // a = f16(0.1), b = 2048: b − a = 2047.90… → 2048 in float16; γ = 0.25 < 0.5 → a + 2048·0.25
  const a = toFloat16(0.1);
  const q = quantileLinear(Float64Array.of(a, 2048), [0.25, 0.75], toFloat16);
  expectClose(q[0], a + 512, EXACT, 'q[0]');
  // γ = 0.75 ≥ 0.5 → b − diff·(1 − γ) = 2048 − 512
  expectClose(q[1], 1536, EXACT, 'q[1]');
  assert.throws(() => quantileLinear(new Float64Array(0), [0.5]), /empty/);
});

test('histogramSorted: half-open bins, last bin closed, outside values dropped', () => {
  const v = Float64Array.of(-1, 0, 0.5, 1, 1, 2, 3);
  assert.deepEqual([...histogramSorted(v, [0, 1, 2])], [2, 3]);
  assert.deepEqual([...histogramSorted(v, [0, 1, 3])], [2, 4]);
});

test('argsortNumpy sorts correctly; heapsortSegment sorts a segment', () => {
  const rng = createRng(11);
  for (let c = 0; c < 50; c++) {
    const n = 1 + randInt(rng, 400);
    const v = Float64Array.from({ length: n }, () => randInt(rng, 1 + randInt(rng, 20)));
    const idx = argsortNumpy(v);
    assert.deepEqual(
      [...idx].sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i),
    );
    for (let i = 1; i < n; i++) assert.ok(v[idx[i]!]! >= v[idx[i - 1]!]!);
    const t = Int32Array.from({ length: n }, (_, i) => i);
    heapsortSegment(v, t, 0, n);
    for (let i = 1; i < n; i++) assert.ok(v[t[i]!]! >= v[t[i - 1]!]!);
  }
  // organ-pipe inputs exhaust the depth limit and take the heapsort fallback
  for (const n of [256, 1024]) {
    const v = Float64Array.from({ length: n }, (_, i) => Math.min(i, n - i));
    const idx = argsortNumpy(v);
    for (let i = 1; i < n; i++) assert.ok(v[idx[i]!]! >= v[idx[i - 1]!]!);
    assert.equal(new Set(idx).size, n);
  }
});

test('argsortNumpy reproduces NumPy 1.23 tie order (values from the compiled numpy/core/src/npysort/quicksort.cpp)', () => {
  // Insertion-sort range (n ≤ 16) is stable.
  assert.deepEqual([...argsortNumpy([1, 1, 0, 1, 1])], [2, 0, 1, 3, 4]);
  // Partitioning (n > 16) moves equal values: 20 equal values come back in this order.
  const v = new Float64Array(20).fill(1);
  assert.deepEqual([...argsortNumpy(v)], EQUAL20);
});

// Output of v1.23.3 aquicksort_<double> on twenty equal values (harness compiled from the NumPy sources).
const EQUAL20 = [0, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 18, 19];
