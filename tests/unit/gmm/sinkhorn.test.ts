import test from 'node:test';
import assert from 'node:assert/strict';
import { sinkhornAssign, sinkhornLogPlan } from '../../../src/gmm/sinkhorn.js';
import { ValueError } from '../../../src/errors.js';
import { createRng, normal } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';
import { sinkhornOracle } from './oracle.js';

const opts = { iterations: 3, epsilon: 0.05 };

test('log-domain plan equals the linear-domain reference algorithm (float64 oracle)', () => {
  const rng = createRng(3);
  for (const [n, K] of [
    [7, 3],
    [50, 5],
    [1, 4],
    [33, 1],
  ] as const) {
    const logits = Float64Array.from({ length: n * K }, () => -60 + 5 * normal(rng));
    const plan = Array.from(sinkhornLogPlan(logits, n, K, opts), Math.exp);
    expectClose(plan, sinkhornOracle(logits, n, K, 3, 0.05), { rtol: 1e-9, atol: 1e-12 }, `plan n=${n} K=${K}`);
  }
});

test('invariants: every pixel row of Q sums to 1; with many iterations components get n/K each', () => {
  const rng = createRng(4);
  const [n, K] = [60, 4];
  const logits = Float64Array.from({ length: n * K }, () => normal(rng));
  const plan = sinkhornLogPlan(logits, n, K, { iterations: 200, epsilon: 0.5 });
  const colSums = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let k = 0; k < K; k++) {
      const q = Math.exp(plan[i * K + k] as number);
      row += q;
      colSums[k] = (colSums[k] as number) + q;
    }
    expectClose(row, 1, { rtol: 0, atol: 1e-12 }, `row ${i}`);
  }
  expectClose(colSums, new Array(K).fill(n / K), { rtol: 1e-6, atol: 0 }, 'component marginals');
});

test('hand-computed: equipartition overrides a uniform preference', () => {
  // Every pixel prefers component 0 by the same margin: plain argmax would give all 0; Sinkhorn splits them evenly.
  const n = 4;
  const logits = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    logits[i * 2] = -1 + 0.001 * i;
    logits[i * 2 + 1] = -1.01 - 0.001 * i;
  }
  const a = sinkhornAssign(logits, n, 2, { iterations: 50, epsilon: 0.05 });
  assert.equal(a.filter((v) => v === 0).length, 2);
  assert.deepEqual(Array.from(a), [1, 1, 0, 0]);
});

test('numerically safe: huge log-densities and tiny epsilon stay finite; all-zero logits give component 0', () => {
  const logits = Float64Array.of(1e6, -1e6, 3e5, 2e5, -7, 1e6);
  const plan = sinkhornLogPlan(logits, 3, 2, { iterations: 10, epsilon: 1e-4 });
  assert.ok(plan.every(Number.isFinite) || plan.every((v) => v <= 0));
  assert.ok(Array.from(plan).every((v) => !Number.isNaN(v)));
  assert.deepEqual(Array.from(sinkhornAssign(new Float64Array(6), 3, 2, opts)), [0, 0, 0]);
});

test('non-finite logits and bad epsilon are errors', () => {
  assert.throws(
    () => sinkhornAssign(Float64Array.of(0, NaN), 1, 2, opts),
    (e: Error) => e instanceof ValueError && /non-finite value NaN at flat index 1/.test(e.message),
  );
  assert.throws(() => sinkhornAssign(Float64Array.of(0, 1), 1, 2, { iterations: 3, epsilon: 0 }), ValueError);
});
