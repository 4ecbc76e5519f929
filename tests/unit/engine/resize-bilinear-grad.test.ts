import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { createRng, normal } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

/** Gradient of Σ R ⊙ resize(x) by linearity: ∂/∂x_i = Σ R ⊙ resize(e_i) (forward-only oracle, float64 sums). */
function oracle(
  shape: [number, number, number, number],
  size: [number, number],
  R: Float32Array,
  alignCorners: boolean,
  half: boolean,
): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = new Float32Array(n);
    e[i] = 1;
    const y = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(e, shape), size, alignCorners, half).dataSync());
    let s = 0;
    for (let j = 0; j < y.length; j++) s += (y[j] as number) * (R[j] as number);
    out[i] = s;
  }
  return out;
}

for (const engine of ['wasm', 'cpu'] as const) {
  test(`ResizeBilinearGrad is the exact adjoint of the forward on ${engine} (half-pixel centres, align corners, plain)`, async () => {
    await initEngine(engine);
    const rng = createRng(7);
    const cases: [[number, number, number, number], [number, number], boolean, boolean][] = [
      [[1, 3, 4, 2], [7, 9], false, true],
      [[2, 5, 3, 1], [2, 2], false, true],
      [[1, 4, 4, 1], [8, 8], false, true],
      [[1, 3, 5, 2], [6, 4], true, false],
      [[1, 4, 3, 1], [5, 7], false, false],
    ];
    for (const [shape, size, ac, half] of cases) {
      const R = Float32Array.from({ length: shape[0] * size[0] * size[1] * shape[3] }, () => normal(rng));
      const x = tf.tensor4d(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => normal(rng)),
        shape,
      );
      const Rt = tf.tensor4d(R, [shape[0], size[0], size[1], shape[3]]);
      const g = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(tf.image.resizeBilinear(t as tf.Tensor4D, size, ac, half), Rt)),
      )(x);
      expectClose(
        g.dataSync(),
        oracle(shape, size, R, ac, half),
        { rtol: 1e-5, atol: 1e-5 },
        `${engine} ${shape} → ${size} ac=${ac} half=${half}`,
      );
      [x, Rt, g].forEach((t) => t.dispose());
    }
  });
}

test('engine switch keeps the fix registered for both engines', async () => {
  await initEngine('wasm');
  await initEngine('cpu');
  assert.ok(tf.getKernel('ResizeBilinearGrad', 'cpu'));
  assert.ok(tf.getKernel('ResizeBilinearGrad', 'wasm'));
  await initEngine('wasm');
});
