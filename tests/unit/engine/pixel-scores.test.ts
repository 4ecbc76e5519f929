/**
 * The `pixelScores` op (engine/pixel-scores.ts; native/src/ops_pixel.cc on torch, kernels/pixel-scores.ts elsewhere):
 * a hand-computed row, the fused column upsampling against tf.image.resizeBilinear, a float64 oracle on random logits with ties and wide ranges (classes exact, scores within
 * float32 rounding), equality with the composite tfjs ops it replaced (argMax, max, logSumExp), NaN rows, the
 * optional likelihoods, an empty band and argument errors — on cpu, wasm and the native engine when built.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineName } from '../../../src/engine/engine.js';
import { pixelScores } from '../../../src/engine/pixel-scores.js';
import { createRng, normal, randInt } from '../../../src/random.js';
import { enginesUnderTest } from '../../helpers/backends.js';
import { expectClose, type Tolerance } from '../../helpers/close.js';

const ENGINES: EngineName[] = ['cpu', ...enginesUnderTest()];
/** Outputs are float32: their rounding (and the float32 exp inside the native kernel). */
const TOL: Tolerance = { rtol: 2e-6, atol: 1e-6 };

type Read = { classes: number[]; maxLogit: Float32Array; energy: Float32Array; msp: Float32Array; gmm?: Float32Array };

function run(logits: Float32Array, n: number, C: number, lik?: Float32Array): Read {
  return tf.tidy(() => {
    const L = tf.tensor3d(logits, [n, 1, C]);
    const o = pixelScores(L, lik ? tf.tensor3d(lik, [n, 1, C]) : undefined);
    const r: Read = {
      classes: Array.from(o.classes.dataSync()),
      maxLogit: o.maxLogit.dataSync() as Float32Array,
      energy: o.energy.dataSync() as Float32Array,
      msp: o.msp.dataSync() as Float32Array,
    };
    assert.equal(o.classes.dtype, 'int32');
    if (o.gmm) r.gmm = o.gmm.dataSync() as Float32Array;
    return r as unknown as tf.TensorContainer;
  }) as unknown as Read;
}

/** Naive float64 oracle: first argmax, −max, −logsumexp, −max softmax, −max likelihood. */
function oracle(l: Float32Array, n: number, C: number, lik?: Float32Array) {
  const out = {
    classes: [] as number[],
    maxLogit: [] as number[],
    energy: [] as number[],
    msp: [] as number[],
    gmm: [] as number[],
  };
  for (let i = 0; i < n; i++) {
    const row = Array.from(l.subarray(i * C, (i + 1) * C));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    out.classes.push(row.indexOf(m));
    out.maxLogit.push(-m);
    out.energy.push(-lse);
    out.msp.push(-Math.exp(m - lse));
    if (lik) out.gmm.push(-Math.max(...lik.subarray(i * C, (i + 1) * C)));
  }
  return out;
}

for (const engine of ENGINES) {
  test(`pixelScores on ${engine}: a hand-computed row`, async () => {
    await initEngine(engine);
    const r = run(new Float32Array([1, 3, 2, 0, -1, 5]), 2, 3, new Float32Array([-7, -2, -9, 4, 4, 1]));
    assert.deepEqual(r.classes, [1, 2]);
    expectClose(r.maxLogit, [-3, -5], TOL, 'maxLogit');
    const s0 = Math.exp(-2) + 1 + Math.exp(-1);
    const s1 = Math.exp(-5) + Math.exp(-6) + 1;
    expectClose(r.energy, [-(3 + Math.log(s0)), -(5 + Math.log(s1))], TOL, 'energy');
    expectClose(r.msp, [-1 / s0, -1 / s1], TOL, 'msp');
    expectClose(r.gmm!, [2, -4], TOL, 'gmm');
  });

  test(`pixelScores on ${engine}: equals a float64 oracle on random logits with ties and wide ranges`, async () => {
    await initEngine(engine);
    const rng = createRng(11);
    for (const [n, C, scale] of [
      [9000, 11, 30],
      [700, 1, 5],
      [500, 2, 1e3],
      [333, 19, 0.01],
    ] as const) {
      const l = Float32Array.from({ length: n * C }, () => normal(rng) * scale);
      // every third row has integer logits, so several classes tie for the maximum
      for (let i = 0; i < n; i += 3) for (let c = 0; c < C; c++) l[i * C + c] = randInt(rng, 3);
      const lik = Float32Array.from({ length: n * C }, () => normal(rng) * 100 - 150);
      const r = run(l, n, C, lik);
      const o = oracle(l, n, C, lik);
      const what = `${engine} n=${n} C=${C}`;
      assert.deepEqual(r.classes, o.classes, `${what}: classes`);
      expectClose(r.maxLogit, o.maxLogit, TOL, `${what}: maxLogit`);
      expectClose(r.energy, o.energy, TOL, `${what}: energy`);
      expectClose(r.msp, o.msp, TOL, `${what}: msp`);
      expectClose(r.gmm!, o.gmm, TOL, `${what}: gmm`);
    }
  });

  test(`pixelScores on ${engine}: equals the composite ops (argMax, max, logSumExp) it replaces`, async () => {
    await initEngine(engine);
    const rng = createRng(3);
    const [n, C] = [4096, 11];
    const l = Float32Array.from({ length: n * C }, () => normal(rng) * 8);
    const r = run(l, n, C);
    assert.equal(r.gmm, undefined, 'no likelihoods, no gmm score');
    const ref = tf.tidy(() => {
      const L = tf.tensor2d(l, [n, C]);
      const M = tf.max(L, -1);
      const lse = tf.logSumExp(L, -1);
      return [tf.argMax(L, -1), tf.neg(M), tf.neg(lse), tf.neg(tf.exp(tf.sub(M, lse)))].map((t) => t.dataSync());
    });
    assert.deepEqual(r.classes, Array.from(ref[0]!));
    expectClose(r.maxLogit, ref[1]!, TOL, 'maxLogit');
    expectClose(r.energy, ref[2]!, { rtol: 1e-5, atol: 1e-5 }, 'energy');
    expectClose(r.msp, ref[3]!, { rtol: 1e-5, atol: 1e-6 }, 'msp');
  });

  test(`pixelScores on ${engine}: NaN rows give NaN scores, an empty band gives empty outputs`, async () => {
    await initEngine(engine);
    const r = run(new Float32Array([0, NaN, 1, 2, 1, 0]), 2, 3, new Float32Array([NaN, 0, 0, -1, -2, -3]));
    assert.equal(r.classes[0], 1, 'class of a NaN row: the first NaN');
    for (const k of ['maxLogit', 'energy', 'msp', 'gmm'] as const) assert.ok(Number.isNaN(r[k]![0]), `${k}[0] is NaN`);
    assert.equal(r.classes[1], 0);
    expectClose(r.gmm![1]!, 1, TOL, 'gmm of the finite row');
    const e = run(new Float32Array(0), 0, 4);
    assert.equal(e.classes.length, 0);
    assert.equal(e.energy.length, 0);
  });

  test(`pixelScores on ${engine}: the fused column upsampling equals tf.image.resizeBilinear, then the scores`, async () => {
    await initEngine(engine);
    const rng = createRng(5);
    for (const [R, w, C, W] of [
      [5, 7, 4, 23],
      [3, 6, 11, 6],
      [4, 9, 3, 4],
      [2, 1, 5, 8],
    ] as const) {
      const l = Float32Array.from({ length: R * w * C }, () => normal(rng) * 6);
      const lik = Float32Array.from({ length: R * w * C }, () => normal(rng) * 50 - 100);
      const [got, up, upLik] = tf.tidy(() => {
        const o = pixelScores(tf.tensor3d(l, [R, w, C]), tf.tensor3d(lik, [R, w, C]), W);
        const resize = (a: Float32Array) =>
          tf.image.resizeBilinear(tf.tensor4d(a, [1, R, w, C]), [R, W], false, true).dataSync() as Float32Array;
        const r: Read = {
          classes: Array.from(o.classes.dataSync()),
          maxLogit: o.maxLogit.dataSync() as Float32Array,
          energy: o.energy.dataSync() as Float32Array,
          msp: o.msp.dataSync() as Float32Array,
          gmm: o.gmm!.dataSync() as Float32Array,
        };
        return [r, resize(l), resize(lik)] as unknown as tf.TensorContainer;
      }) as unknown as [Read, Float32Array, Float32Array];
      const o = oracle(up, R * W, C, upLik);
      const what = `${engine} [${R}, ${w}, ${C}] → width ${W}`;
      assert.equal(got.classes.length, R * W, `${what}: R·W outputs`);
      const mism = got.classes.filter((c, i) => c !== o.classes[i]).length;
      assert.ok(mism <= 1, `${what}: ${mism} classes differ from argmax of the resized logits (rounding ties only)`);
      expectClose(got.maxLogit, o.maxLogit, { rtol: 1e-5, atol: 1e-5 }, `${what}: maxLogit`);
      expectClose(got.energy, o.energy, { rtol: 1e-5, atol: 1e-5 }, `${what}: energy`);
      expectClose(got.msp, o.msp, { rtol: 1e-5, atol: 1e-5 }, `${what}: msp`);
      expectClose(got.gmm!, o.gmm, { rtol: 1e-5, atol: 1e-4 }, `${what}: gmm`);
    }
  });

  test(`pixelScores on ${engine}: argument errors name the argument`, async () => {
    await initEngine(engine);
    const L = tf.zeros([4, 1, 3]) as tf.Tensor3D;
    try {
      assert.throws(() => pixelScores(tf.zeros([4]) as unknown as tf.Tensor3D), /argument 'logits' has shape \[4\]/);
      assert.throws(
        () => pixelScores(L, tf.zeros([4, 1, 2]) as tf.Tensor3D),
        /argument 'likelihoods' has shape \[4, 1, 2\]/,
      );
      assert.throws(() => pixelScores(tf.zeros([4, 1, 3], 'int32') as tf.Tensor3D), /'logits' must be float32/);
      assert.throws(() => pixelScores(tf.zeros([4, 1, 0]) as tf.Tensor3D), /'logits' has no classes/);
      assert.throws(() => pixelScores(L, undefined, 0), /width must be a positive integer/);
    } finally {
      L.dispose();
    }
  });
}
