/**
 * Registration of the wasm training kernels and of the `Conv2DBackpropInput` override (idempotent, and switchable
 * back to the wasm backend's own kernel with GMMSEG_WASM_NATIVE_BACKPROP_INPUT), their memory hygiene, and a tiny
 * end-to-end training run that must give the same losses on wasm as on the cpu backend.
 *
 * Tolerance for the cpu/wasm comparison: |wasm − cpu| ≤ 1e-4 + 1e-4·|cpu| (rtol 1e-4, atol 1e-4).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import {
  conv2dBackpropInputConfig,
  conv2dBackpropInputFallback,
} from '../../../src/engine/kernels/conv2d-backprop-input.js';
import {
  NATIVE_BACKPROP_INPUT_ENV_VAR,
  registerWasmTrainingKernels,
  WASM_KERNEL_OVERRIDES,
  WASM_TRAINING_KERNELS,
} from '../../../src/engine/wasm-kernels.js';
import { createRng } from '../../../src/random.js';
import { compareEngines, randArr, toTensor as T } from '../../helpers/backends.js';

const NAMES = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'Einsum',
];

function wasmKernelNames(): string[] {
  return tf.getKernelsForBackend('wasm').map((k) => k.kernelName);
}

/** Runs `fn` with console.warn captured; returns the warnings. */
function captureWarnings(fn: () => void): unknown[] {
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  try {
    fn();
  } finally {
    console.warn = warn;
  }
  return warnings;
}

test('the five training kernels and the Conv2DBackpropInput override are registered for wasm, idempotently', async () => {
  await initEngine('wasm');
  const names = wasmKernelNames();
  for (const name of NAMES) assert.ok(names.includes(name), `${name} registered for wasm`);
  const before = tf.getKernelsForBackend('wasm').length;
  const warnings = captureWarnings(() => {
    registerWasmTrainingKernels({});
    registerWasmTrainingKernels({});
  });
  assert.equal(tf.getKernelsForBackend('wasm').length, before);
  assert.deepEqual(warnings, []);
  for (const config of [...WASM_TRAINING_KERNELS, ...WASM_KERNEL_OVERRIDES])
    assert.equal(tf.getKernel(config.kernelName, 'wasm'), config);
  const native = conv2dBackpropInputFallback();
  assert.ok(
    native !== undefined && native !== conv2dBackpropInputConfig,
    'the replaced wasm kernel is kept as the fallback',
  );
  assert.equal(native.kernelName, 'Conv2DBackpropInput');
});

test(`${NATIVE_BACKPROP_INPUT_ENV_VAR}=1 restores the wasm backend's own Conv2DBackpropInput; unset, the override returns`, async () => {
  await initEngine('wasm');
  const native = conv2dBackpropInputFallback();
  const count = tf.getKernelsForBackend('wasm').length;
  try {
    const warnings = captureWarnings(() => {
      registerWasmTrainingKernels({ [NATIVE_BACKPROP_INPUT_ENV_VAR]: '1' });
      registerWasmTrainingKernels({ [NATIVE_BACKPROP_INPUT_ENV_VAR]: '1' });
    });
    assert.deepEqual(warnings, []);
    assert.equal(tf.getKernel('Conv2DBackpropInput', 'wasm'), native);
    assert.equal(tf.getKernelsForBackend('wasm').length, count);
    // The native kernel still works after the round trip (its setup was kept).
    const dx = tf.tidy(() =>
      tf.conv2dTranspose(
        tf.ones([1, 3, 3, 2]) as tf.Tensor4D,
        tf.ones([3, 3, 4, 2]) as tf.Tensor4D,
        [1, 5, 5, 4],
        2,
        'same',
      ),
    );
    assert.deepEqual(dx.shape, [1, 5, 5, 4]);
    dx.dispose();
  } finally {
    registerWasmTrainingKernels({ [NATIVE_BACKPROP_INPUT_ENV_VAR]: '' });
  }
  assert.equal(tf.getKernel('Conv2DBackpropInput', 'wasm'), conv2dBackpropInputConfig);
  assert.equal(tf.getKernelsForBackend('wasm').length, count);
});

test('each kernel leaves no tensors or wasm buffers behind and leaves its inputs intact', async () => {
  await initEngine('wasm');
  const rng = createRng(301);
  const backend = tf.engine().backend;
  const x = T(randArr(rng, [2, 7, 8, 3]));
  const dy = T(randArr(rng, [2, 4, 4, 4]));
  const dyDw = T(randArr(rng, [2, 4, 4, 6]));
  const fDw = T(randArr(rng, [3, 3, 3, 2]));
  const f = T(randArr(rng, [3, 3, 3, 4]));
  const ids = tf.tensor1d([1, 0, 1], 'int32');
  const m = T(randArr(rng, [3, 5]));
  const inputs = [x, dy, dyDw, fDw, f, ids, m];
  const snapshot = inputs.map((t) => Array.from(t.dataSync()));
  const dw = { strides: 2, pad: 'same', dilations: 1 };
  const calls: [string, () => tf.Tensor][] = [
    [
      'Conv2DBackpropFilter',
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] },
          ),
    ],
    [
      'Conv2DBackpropInput',
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy, filter: f },
            { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 7, 8, 3] },
          ),
    ],
    [
      'DepthwiseConv2dNativeBackpropFilter',
      () =>
        tf
          .engine()
          .runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dyDw }, { ...dw, filterShape: [3, 3, 3, 2] }),
    ],
    [
      'DepthwiseConv2dNativeBackpropInput',
      () =>
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: dyDw, filter: fDw },
            { ...dw, inputShape: [2, 7, 8, 3] },
          ),
    ],
    [
      'UnsortedSegmentSum',
      () => tf.engine().runKernel('UnsortedSegmentSum', { x: m, segmentIds: ids }, { numSegments: 2 }),
    ],
    ['Einsum (identity)', () => tf.einsum('ij->ij', m)],
    ['Einsum', () => tf.einsum('ij,kj->ik', m, m)],
  ];
  for (const [name, call] of calls) {
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = backend.numDataIds();
    const out = call();
    assert.equal(tf.memory().numTensors, tensorsBefore + 1, `${name}: exactly one new tensor`);
    out.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, `${name}: numTensors unchanged`);
    assert.equal(backend.numDataIds(), buffersBefore, `${name}: wasm data buffers unchanged`);
    inputs.forEach((t, i) => assert.deepEqual(Array.from(t.dataSync()), snapshot[i], `${name}: input ${i} intact`));
  }
  tf.dispose(inputs);
});

/**
 * Tiny conv net: conv 3×3 s2 (3→4) + ReLU, conv 3×3 s1 (4→5) + ReLU, mean. Three Adam steps; returns the losses
 * [3] and the trained weights, and leaves nothing else behind.
 */
function trainTinyNet(): tf.Tensor[] {
  const rng = createRng(302);
  const x = T(randArr(rng, [2, 10, 9, 3])) as tf.Tensor4D;
  const w1 = tf.variable(tf.mul(T(randArr(rng, [3, 3, 3, 4])), 0.3));
  const w2 = tf.variable(tf.mul(T(randArr(rng, [3, 3, 4, 5])), 0.3));
  const optimizer = tf.train.adam(0.05);
  const losses: tf.Tensor[] = [];
  for (let step = 0; step < 3; step++) {
    const loss = optimizer.minimize(() => {
      const h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 2, 'same'));
      return tf.mean(tf.relu(tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same'))) as tf.Scalar;
    }, true);
    assert.ok(loss !== null, 'minimize returns the loss');
    losses.push(loss);
  }
  const out = [tf.stack(losses), tf.clone(w1), tf.clone(w2)];
  optimizer.dispose();
  tf.dispose([w1, w2]);
  return out;
}

test('a tiny conv net trained 3 Adam steps on wasm gives the cpu losses and weights, without leaks', async () => {
  await initEngine('cpu');
  const losses = tf.tidy(() => trainTinyNet()[0]!.dataSync());
  assert.ok(losses[2]! < losses[0]!, `loss decreases on cpu: ${Array.from(losses).join(', ')}`);
  const tensorsBefore = tf.memory().numTensors;
  await compareEngines('tiny net [losses, w1, w2]', () => trainTinyNet());
  assert.equal(tf.memory().numTensors, tensorsBefore, 'training leaks no tensors');
});
