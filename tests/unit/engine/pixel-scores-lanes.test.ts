/**
 * The native PixelScores op's vector loop (native/src/pixel_lanes.cc: 8 pixels per step, planar chunks of 128
 * columns) against its scalar loop (the op's `scalar` attribute: one pixel at a time, pixel_scores.h): the same bits
 * for every output, over widths with and without a remainder of 8, chunk boundaries, up-, down- and no resizing,
 * class counts 1–19, ties, ±0, ±∞, huge values and NaN anywhere (a NaN block is redone by the scalar loop).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { createRng, normal, randInt, uniform, type Rng } from '../../../src/random.js';
import { torchSkip } from '../../helpers/backends.js';

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 3e38, -3e38, 88, -88, -87.5];

/** Maps [R, w, C]: normal values, a share of small integers (ties) and of special values. */
function maps(rng: Rng, n: number, offset: number, special: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const u = uniform(rng);
    if (u < special) return SPECIAL[randInt(rng, SPECIAL.length)] as number;
    if (u < special + 0.2) return randInt(rng, 3) + offset;
    return normal(rng) * 8 + offset;
  });
}

/** Every output of the op as raw bits, vector loop or scalar loop. */
function bits(L: tf.Tensor3D, S: tf.Tensor3D | undefined, width: number, scalar: boolean): Uint32Array[] {
  const inputs = (S ? { logits: L, likelihoods: S } : { logits: L }) as unknown as tf.NamedTensorMap;
  const outs = tf.engine().runKernel('PixelScores', inputs, { width, scalar }) as tf.Tensor[];
  try {
    return outs.map((t) => new Uint32Array(Float32Array.from(t.dataSync()).buffer.slice(0)));
  } finally {
    tf.dispose(outs);
  }
}

test('native PixelScores: the vector loop gives the same bits as the scalar loop', { skip: torchSkip() }, async () => {
  await initEngine('torch');
  const rng = createRng(11);
  const names = ['classes', 'maxLogit', 'energy', 'msp', 'gmm'];
  for (const [R, w, W, C, special] of [
    [3, 60, 480, 11, 0], // 8× upsampling, 480 = 3 chunks + 96
    [2, 90, 484, 19, 0.01], // 5.4×, a remainder of 4
    [4, 7, 23, 1, 0.05], // one class, 2 blocks + 7
    [5, 9, 9, 3, 0.05], // no resizing
    [3, 40, 17, 7, 0.03], // downsampling
    [6, 16, 300, 2, 0.1], // long runs of one source column, NaN-heavy
    [2, 33, 129, 5, 0], // one column past a chunk
  ] as const) {
    const L = tf.tensor3d(maps(rng, R * w * C, 0, special), [R, w, C]);
    const S = tf.tensor3d(maps(rng, R * w * C, -100, special), [R, w, C]);
    try {
      for (const lik of [undefined, S]) {
        const vector = bits(L, lik, W, false);
        const scalar = bits(L, lik, W, true);
        assert.equal(vector.length, lik ? 5 : 4);
        vector.forEach((v, k) => {
          const s = scalar[k] as Uint32Array;
          assert.equal(v.length, R * W);
          const i = v.findIndex((b, j) => b !== s[j]);
          const what = `[${R}, ${w}, ${C}] → ${W}${lik ? ' with likelihoods' : ''}: ${names[k]}`;
          assert.equal(i, -1, `${what} differs first at pixel ${i}`);
        });
      }
    } finally {
      tf.dispose([L, S]);
    }
  }
});
