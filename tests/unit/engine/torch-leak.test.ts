/**
 * No leaks on the native torch engine: a small conv-net training loop (forward, backward, Adam, loss read back) keeps
 * the tfjs tensor count, the backend's live native tensors and the process RSS flat after warm-up. The 10 000-step
 * version runs in `npm run bench:train -- --leak-steps 10000`.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { prepareTorch } from '../../../src/engine/torch/init.js';
import { createRng, normal } from '../../../src/random.js';
import { torchSkip } from '../../helpers/backends.js';

test(
  'torch engine: 300 training steps after warm-up leak no tensors and no native memory',
  { skip: torchSkip() },
  async () => {
    await initEngine('torch');
    const rng = createRng(3);
    const rand = (shape: number[], scale: number): tf.Tensor =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => normal(rng) * scale),
        shape,
      );
    const w1 = tf.variable(rand([3, 3, 3, 16], 0.2));
    const w2 = tf.variable(rand([3, 3, 16, 8], 0.1));
    const b2 = tf.variable(tf.zeros([8]));
    const x = rand([2, 32, 32, 3], 1) as tf.Tensor4D;
    const labels = tf.oneHot(
      tf.tensor1d(
        Int32Array.from({ length: 2 * 16 * 16 }, (_, i) => i % 8),
        'int32',
      ),
      8,
    );
    const opt = tf.train.adam(1e-3);
    const loss = (): tf.Scalar => {
      const h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 2, 'same'));
      const logits = tf.add(tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same'), b2);
      return tf.losses.softmaxCrossEntropy(labels, tf.reshape(logits, [-1, 8])) as tf.Scalar;
    };
    const step = (): number => {
      const v = opt.minimize(loss, true) as tf.Scalar;
      const out = v.dataSync()[0] as number;
      v.dispose();
      return out;
    };
    const first = step();
    for (let i = 0; i < 50; i++) step();
    const tensors = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    const rss = process.memoryUsage().rss;
    let last = first;
    for (let i = 0; i < 300; i++) last = step();
    assert.ok(last < first, `training must reduce the loss (${first} → ${last})`);
    assert.equal(tf.memory().numTensors, tensors, 'tfjs tensor count after 300 more steps');
    assert.equal(tf.engine().backend.numDataIds(), dataIds, 'live native tensors after 300 more steps');
    const growthMiB = (process.memoryUsage().rss - rss) / 2 ** 20;
    assert.ok(growthMiB < 32, `RSS grew by ${growthMiB.toFixed(1)} MiB over 300 steps`);
    tf.dispose([w1, w2, b2, x, labels]);
    opt.dispose();
  },
);

test(
  'torch engine: a synchronous loop of 100 000 ops keeps native memory flat (handles need no event-loop turn to be freed)',
  { skip: torchSkip() },
  async () => {
    await initEngine('torch');
    const addon = prepareTorch();
    const a = tf.ones([4]);
    for (let i = 0; i < 1000; i++) tf.add(a, a).dispose();
    const live = addon.liveTensors();
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 100_000; i++) tf.add(a, a).dispose();
    assert.equal(addon.liveTensors(), live, 'live native tensors after 100 000 ops');
    // With a GC finalizer per handle, Node kept ≈200 bytes per op until the event loop turned (≈19 MiB here).
    const growthMiB = (process.memoryUsage().rss - rss) / 2 ** 20;
    assert.ok(growthMiB < 8, `RSS grew by ${growthMiB.toFixed(1)} MiB over 100 000 ops in one synchronous loop`);
    a.dispose();
  },
);
