/**
 * The frozen MobileNetV3 backbone read from the installed `@vladmandic/human` package: map shapes at two input
 * sizes, finite non-trivial values, batching equal to per-image runs, the prefix in bands of rows equal to one pass,
 * input checks, tensor hygiene.
 *
 * Tolerance for batch vs per-image and banded vs one-pass maps: rtol 1e-5, atol 1e-4 (same kernels, only the batch
 * dimension or the number of rows differs).
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { ValueError, ShapeError } from '../../../src/errors.js';
import {
  disposeMbv3Backbone,
  loadMbv3Backbone,
  MBV3_NODES,
  MBV3_PREFIX_NODE,
  mbv3FrozenMaps,
  mbv3PrefixBands,
  type Mbv3Backbone,
} from '../../../src/nn/mbv3-backbone.js';
import { createRng, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

let bb: Mbv3Backbone;

/** Deterministic 0..255 test images: a smooth gradient plus noise. */
function testImages(b: number, h: number, w: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  const v = new Float32Array(b * h * w * 3);
  let i = 0;
  for (let n = 0; n < b; n++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) {
          v[i++] = Math.min(255, Math.max(0, (255 * (y + x * (c + 1))) / (h + 3 * w) + 60 * (uniform(rng) - 0.5)));
        }
  return tf.tensor4d(v, [b, h, w, 3]);
}

before(async () => {
  await initEngine();
  bb = await loadMbv3Backbone({ scales: ['s8', 's16', 's32'] });
});

after(() => disposeMbv3Backbone(bb));

for (const [h, w] of [
  [64, 96],
  [96, 128],
] as const) {
  test(`maps at ${h}x${w}: s8 192 ch, s16 528 ch, s32 480 ch, finite and not all zero`, () => {
    const x = testImages(1, h, w, h);
    const maps = mbv3FrozenMaps(bb, x);
    assert.deepEqual(
      maps.map((m) => m.shape),
      [
        [1, h / 8, w / 8, 192],
        [1, h / 16, w / 16, 528],
        [1, h / 32, w / 32, 480],
      ],
    );
    assert.deepEqual([MBV3_NODES.s8.channels, MBV3_NODES.s16.channels, MBV3_NODES.s32.channels], [192, 528, 480]);
    for (const m of maps) {
      const v = m.dataSync();
      assert.ok(v.every(Number.isFinite), `finite ${m.shape}`);
      assert.ok(
        v.some((a) => a !== 0),
        `not all zero ${m.shape}`,
      );
      // hard-swish output: bounded below by -0.375
      assert.ok(
        v.every((a) => a >= -0.375 - 1e-4),
        `hard-swish range ${m.shape}`,
      );
    }
    tf.dispose([x, ...maps]);
  });
}

test('a batch of 2 gives the same maps as two single-image runs', () => {
  const x = testImages(2, 64, 64, 5);
  const both = mbv3FrozenMaps(bb, x);
  for (let n = 0; n < 2; n++) {
    const one = tf.slice(x, [n, 0, 0, 0], [1, 64, 64, 3]);
    const single = mbv3FrozenMaps(bb, one);
    single.forEach((s, i) => {
      const part = tf.slice(both[i] as tf.Tensor4D, [n, 0, 0, 0], [1, ...s.shape.slice(1)]);
      expectClose(part.dataSync(), s.dataSync(), { rtol: 1e-5, atol: 1e-4 }, `image ${n} scale ${i}`);
      part.dispose();
    });
    tf.dispose([one, ...single]);
  }
  tf.dispose([x, ...both]);
});

for (const [b, h, bandRows] of [
  [1, 320, 4],
  [2, 192, 5],
  [1, 160, 40],
] as const) {
  test(`the prefix in bands of ${bandRows} rows (halo, clamped edges) gives the one-pass maps, batch ${b}, ${h}x64`, () => {
    const w = 64;
    const x = testImages(b, h, w, h + b);
    const whole = mbv3FrozenMaps(bb, x);
    // bandPixels = B·W·8·(band rows + 2·halo rows): bands of `bandRows` output rows plus 32 input rows each side
    const banded = mbv3FrozenMaps(bb, x, b * w * 8 * (bandRows + 8));
    const prefix = mbv3PrefixBands(bb, x, b * w * 8 * (bandRows + 8));
    assert.deepEqual(prefix.shape, [b, h / 8, w / 8, 72]);
    const onePass = bb.model.execute(x, MBV3_PREFIX_NODE) as tf.Tensor4D;
    expectClose(prefix.dataSync(), onePass.dataSync(), { rtol: 1e-5, atol: 1e-4 }, 'prefix map');
    banded.forEach((m, i) => {
      assert.deepEqual(m.shape, whole[i]!.shape);
      expectClose(m.dataSync(), whole[i]!.dataSync(), { rtol: 1e-5, atol: 1e-4 }, `scale ${i}`);
    });
    tf.dispose([x, prefix, onePass, ...whole, ...banded]);
  });
}

test('sizes that are not multiples of 32, non-RGB images and wrong ranks are rejected with clear errors', () => {
  const bad = tf.zeros([1, 48, 64, 3]) as tf.Tensor4D;
  assert.throws(
    () => mbv3FrozenMaps(bb, bad),
    (e: unknown) => e instanceof ValueError && /48x64 is not a positive multiple of 32/.test(e.message),
  );
  const gray = tf.zeros([1, 64, 64, 1]) as tf.Tensor4D;
  assert.throws(
    () => mbv3FrozenMaps(bb, gray),
    (e: unknown) => e instanceof ValueError && /3 channels/.test(e.message),
  );
  const rank3 = tf.zeros([64, 64, 3]);
  assert.throws(() => mbv3FrozenMaps(bb, rank3 as unknown as tf.Tensor4D), ShapeError);
  tf.dispose([bad, gray, rank3]);
});

test('no tensor leaks: a frozen forward adds only its outputs', () => {
  const x = testImages(1, 64, 96, 9);
  mbv3FrozenMaps(bb, x).forEach((m) => m.dispose()); // warm-up
  const before = tf.memory().numTensors;
  const maps = mbv3FrozenMaps(bb, x);
  assert.equal(tf.memory().numTensors, before + maps.length);
  maps.forEach((m) => m.dispose());
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test('the maps are constants to an enclosing gradient (tape paused)', () => {
  const x = testImages(1, 64, 64, 2);
  const v = tf.variable(tf.scalar(2));
  // loss = 0.5·v + mean(s8(x·v/2)): with the backbone off the tape, d loss/dv is exactly 0.5
  const { value, grads } = tf.variableGrads(() => {
    const maps = mbv3FrozenMaps(bb, tf.mul(x, tf.div(v, 2)) as tf.Tensor4D);
    return tf.add(tf.mul(v, 0.5), tf.mean(maps[0] as tf.Tensor4D)) as tf.Scalar;
  }, [v]);
  expectClose((grads[v.name] as tf.Tensor).dataSync(), [0.5], { rtol: 0, atol: 1e-7 }, 'gradient ignores the backbone');
  tf.dispose([x, v, value, ...Object.values(grads)]);
});
