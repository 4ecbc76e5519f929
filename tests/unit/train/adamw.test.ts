import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import {
  ADAMW_UPDATE,
  adamwStep,
  createAdamWState,
  disposeAdamWState,
  DEFAULT_ADAMW,
  updateKernel,
  updateOps,
  type UpdateScalars,
} from '../../../src/train/adamw.js';
import { createRng, normal } from '../../../src/random.js';
import { polyLr } from '../../../src/train/schedule.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

/** PyTorch AdamW (torch/optim/adamw.py, single tensor, amsgrad off) in float64. */
function adamwOracle(
  p: number[],
  grads: number[][],
  lrs: number[],
  wd: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    const lr = lrs[s] as number;
    for (let i = 0; i < p.length; i++) {
      p[i] = (p[i] as number) * (1 - lr * wd);
      m[i] = b1 * (m[i] as number) + (1 - b1) * (g[i] as number);
      v[i] = b2 * (v[i] as number) + (1 - b2) * (g[i] as number) ** 2;
      const denom = Math.sqrt(v[i] as number) / Math.sqrt(1 - b2 ** t) + eps;
      p[i] = (p[i] as number) - (lr / (1 - b1 ** t)) * ((m[i] as number) / denom);
    }
  });
  return p;
}

test('AdamW equals the PyTorch update rule over several steps, with per-parameter lr/decay multipliers', () => {
  const w = tf.variable(tf.tensor1d([0.5, -1, 2]), true, 'w');
  const h = tf.variable(tf.tensor1d([1, 1]), true, 'h');
  const vars = { w, h };
  const gw = [
    [0.1, -0.2, 0.3],
    [0.05, 0.4, -0.1],
    [-0.3, 0.2, 0.2],
  ];
  const gh = [
    [1, -1],
    [0.5, 0.5],
    [0.1, 0.2],
  ];
  const lrs = [1e-3, 2e-3, 5e-4];
  let state = createAdamWState();
  for (let s = 0; s < 3; s++) {
    const grads = { w: tf.tensor1d(gw[s] as number[]), h: tf.tensor1d(gh[s] as number[]) };
    state = adamwStep(vars, grads, state, lrs[s] as number, DEFAULT_ADAMW, (n) =>
      n === 'h' ? { lrMultiplier: 10, decayMultiplier: 0 } : { lrMultiplier: 1, decayMultiplier: 1 },
    );
    Object.values(grads).forEach((g) => g.dispose());
  }
  assert.equal(state.step, 3);
  expectClose(w.dataSync(), adamwOracle([0.5, -1, 2], gw, lrs, 0.01), { rtol: 1e-6, atol: 1e-7 }, 'w');
  expectClose(
    h.dataSync(),
    adamwOracle(
      [1, 1],
      gh,
      lrs.map((l) => l * 10),
      0,
    ),
    { rtol: 1e-6, atol: 1e-7 },
    'h (lr ×10, no decay)',
  );
  disposeAdamWState(state);
  w.dispose();
  h.dispose();
});

test('poly schedule with linear warm-up (MMCV): hand-computed points', () => {
  const s = { baseLr: 6e-5, minLr: 0, power: 1, maxIters: 100, warmupIters: 10, warmupRatio: 1e-6 };
  expectClose(polyLr(s, 0), 6e-5 * 1e-6, { rtol: 1e-9, atol: 0 }, 'i = 0');
  expectClose(polyLr(s, 5), 6e-5 * 0.95 * (1 - 0.5 * (1 - 1e-6)), { rtol: 1e-9, atol: 0 }, 'i = 5');
  expectClose(polyLr(s, 10), 6e-5 * 0.9, { rtol: 1e-12, atol: 0 }, 'i = 10');
  expectClose(polyLr(s, 100), 0, { rtol: 0, atol: 0 }, 'end');
  expectClose(
    polyLr({ ...s, power: 2, minLr: 1e-6, warmupIters: 0 }, 50),
    (6e-5 - 1e-6) * 0.25 + 1e-6,
    { rtol: 1e-12, atol: 0 },
    'power 2',
  );
});

test(
  'AdamW: the native engine’s one-kernel update equals the ops bit for bit (fresh and running moments)',
  {
    skip: tf.getKernel(ADAMW_UPDATE, tf.getBackend()) === undefined && 'engine without the AdamWUpdate kernel',
  },
  () => {
    const rng = createRng(3);
    const special = [0, -0, 1e-30, -1e-30, 1e30, -1e30, 3.4e38, 1e-45];
    const vals = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => special[i] ?? s * normal(rng));
    const n = 70_000; // more than one parallel block of the kernel
    const p = tf.tensor1d(vals(n, 1));
    const g = tf.tensor1d(vals(n, 0.01));
    const m = tf.tensor1d(vals(n, 0.001));
    const v = tf.tensor1d(vals(n, 1e-6).map(Math.abs));
    const bits = (t: tf.Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);
    const k: UpdateScalars = {
      beta1: 0.9,
      oneMinusBeta1: 1 - 0.9,
      beta2: 0.999,
      oneMinusBeta2: 1 - 0.999,
      decay: 1 - 3e-4 * 0.01,
      sqrtBc2: Math.sqrt(1 - 0.999 ** 7),
      epsilon: 1e-8,
      stepSize: 3e-4 / (1 - 0.9 ** 7),
    };
    for (const [label, mm, vv] of [
      ['fresh', undefined, undefined],
      ['running', m, v],
    ] as const) {
      const a = updateKernel(p, g, mm, vv, k);
      const b = updateOps(p, g, mm, vv, k);
      ['m', 'v', 'p'].forEach((name, i) =>
        assert.deepEqual(bits(a[i] as tf.Tensor), bits(b[i] as tf.Tensor), `${label}: ${name}`),
      );
      tf.dispose([...a, ...b]);
    }
    assert.throws(() => updateKernel(p, tf.zeros([3]), undefined, undefined, k), /'g' must have the parameter's shape/);
    tf.dispose([p, g, m, v]);
  },
);
