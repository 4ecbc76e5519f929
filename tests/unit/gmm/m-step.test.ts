import test from 'node:test';
import assert from 'node:assert/strict';
import { createQueueMemory, pushRows } from '../../../src/gmm/memory.js';
import { mStep } from '../../../src/gmm/m-step.js';
import { createRng, normal } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';
import { unitRows } from './oracle.js';

const opts = { componentsPerClass: 2, meanMomentum: 0.9, stdMomentum: 0.25, stdFloorVariance: 0.01 };

test('M-step equals the reference formulas computed directly from the buffers (float64 oracle)', () => {
  const rng = createRng(8);
  const [C, K, M, D] = [3, 2, 6, 4];
  const mem = createQueueMemory(C * K, M, D, rng);
  pushRows(
    mem,
    2,
    unitRows(4, D, () => normal(rng)),
    [0, 1, 2, 3],
  );
  const means = unitRows(C * K, D, () => normal(rng));
  const stds = Float32Array.from({ length: C * K * D }, () => 0.5);
  const out = mStep(means, stds, mem, [1], opts);
  for (const slot of [2, 3]) {
    const buf = mem.buffers[slot] as Float32Array;
    const sum = new Float64Array(D);
    for (let m = 0; m < M; m++) for (let d = 0; d < D; d++) sum[d] = (sum[d] as number) + (buf[m * D + d] as number);
    const norm = Math.hypot(...sum);
    const f = Array.from(sum, (v) => v / norm);
    for (let d = 0; d < D; d++) {
      let v = 0;
      for (let m = 0; m < M; m++) v += ((buf[m * D + d] as number) - (f[d] as number)) ** 2;
      v /= M;
      const i = slot * D + d;
      expectClose(
        out.means[i] as number,
        0.9 * (means[i] as number) + 0.1 * (f[d] as number),
        { rtol: 1e-6, atol: 1e-7 },
        `mean ${i}`,
      );
      expectClose(
        out.stds[i] as number,
        0.25 * 0.5 + 0.75 * Math.sqrt(v + 0.01),
        { rtol: 1e-6, atol: 1e-7 },
        `std ${i}`,
      );
    }
  }
});

test('classes not present are untouched; inputs are not mutated; σ ≥ sqrt(floor) with zero momentum', () => {
  const rng = createRng(9);
  const mem = createQueueMemory(6, 4, 3, rng);
  // make slot 0 degenerate: all entries equal to one unit vector → v = 0 around f
  pushRows(mem, 0, Float32Array.of(1, 0, 0), [0, 0, 0, 0]);
  const means = new Float32Array(18).fill(0.5);
  const stds = new Float32Array(18).fill(0.7);
  const out = mStep(means, stds, mem, [0], { ...opts, stdMomentum: 0 });
  assert.deepEqual(Array.from(means), new Array(18).fill(0.5));
  assert.deepEqual(Array.from(out.means.slice(6)), Array.from(means.slice(6)));
  assert.deepEqual(Array.from(out.stds.slice(6)), Array.from(stds.slice(6)));
  expectClose(out.stds.slice(0, 3), [0.1, 0.1, 0.1], { rtol: 1e-6, atol: 1e-7 }, 'floor');
  assert.ok(out.means.every(Number.isFinite) && out.stds.every(Number.isFinite));
});

test("with an 'empty' memory the M-step uses the written rows only and skips a slot with none", () => {
  const [C, K, M, D] = [2, 2, 8, 2];
  const mem = createQueueMemory(C * K, M, D, createRng(3), 'empty');
  pushRows(mem, 0, Float32Array.of(1, 0, 0, 1), [0, 1]); // slot 0 = (class 0, comp 0): rows (1, 0), (0, 1)
  const means = new Float32Array(C * K * D).fill(0.25);
  const stds = new Float32Array(C * K * D).fill(0.5);
  const out = mStep(means, stds, mem, [0], { ...opts, stdMomentum: 0 });
  // f = normalise((1, 1)) = (r, r), r = 1/√2; v_d = ((1 − r)² + r²)/2 around f
  const r = Math.SQRT1_2;
  const v = ((1 - r) ** 2 + r * r) / 2;
  expectClose(out.means.slice(0, 2), [0.9 * 0.25 + 0.1 * r, 0.9 * 0.25 + 0.1 * r], { rtol: 1e-6, atol: 0 });
  expectClose(out.stds.slice(0, 2), [Math.sqrt(v + 0.01), Math.sqrt(v + 0.01)], { rtol: 1e-6, atol: 0 });
  assert.deepEqual(Array.from(out.means.slice(2, 4)), [0.25, 0.25], 'empty slot 1 keeps its mean');
  assert.deepEqual(Array.from(out.stds.slice(2, 4)), [0.5, 0.5], 'empty slot 1 keeps its std');
});
