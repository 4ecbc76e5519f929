import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { engineSummary, initEngine } from '../../../src/engine/engine.js';
import { EngineFallbackError } from '../../../src/engine/fallback-error.js';
import { EngineError } from '../../../src/errors.js';
import { torchKernelNames } from '../../../src/engine/torch/register.js';
import { torchSkip } from '../../helpers/backends.js';

test(
  'torch engine: a kernel without a native implementation fails with its name and the fallback, and the engine keeps working',
  { skip: torchSkip() },
  async () => {
    await initEngine('torch');
    assert.ok(!torchKernelNames().includes('Dilation2D'));
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const f = tf.ones([2, 2, 1]) as tf.Tensor3D;
    assert.throws(
      () => tf.dilation2d(x, f, 1, 'valid'),
      (e: unknown) =>
        e instanceof EngineError &&
        e instanceof EngineFallbackError &&
        e.fallback === 'wasm' &&
        /kernel 'Dilation2D' is not implemented on the native torch engine; use the wasm engine instead \(GMMSEG_ENGINE=wasm\)$/.test(
          e.message,
        ) &&
        !e.message.includes('--engine'),
    );
    assert.deepEqual(Array.from(tf.add(x, x).dataSync()).slice(0, 2), [2, 2]);
    tf.dispose([x, f]);
  },
);

test(
  'torch engine: string tensors are refused with a clear error; the summary names libtorch, device and threads',
  { skip: torchSkip() },
  async () => {
    await initEngine('torch');
    assert.throws(
      () => tf.tensor(['a', 'b']),
      (e: unknown) =>
        e instanceof EngineFallbackError &&
        e.fallback === 'wasm' &&
        /does not support string tensors; use the wasm engine instead \(GMMSEG_ENGINE=wasm\)$/.test(e.message),
    );
    assert.match(engineSummary('torch'), /^engine torch \(libtorch [\d.]+, (cpu|cuda(:\d+)?), \d+ threads\)$/);
  },
);
