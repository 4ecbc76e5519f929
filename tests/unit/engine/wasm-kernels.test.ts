/**
 * Registration of the wasm training kernels, their memory hygiene, and a tiny end-to-end training run that must
 * give the same losses on wasm as on the cpu backend.
 *
 * Tolerance for the cpu/wasm comparison: |wasm − cpu| ≤ 1e-4 + 1e-4·|cpu| (rtol 1e-4, atol 1e-4).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineName } from '../../../src/engine/engine.js';
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from '../../../src/engine/wasm-kernels.js';
import { createRng, normal, type Rng } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

const TOL = { rtol: 1e-4, atol: 1e-4 };
const NAMES = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum', 'Einsum'];

function randArr(rng: Rng, shape: number[]): { values: Float32Array; shape: number[] } {
  const values = new Float32Array(shape.reduce((a, d) => a * d, 1));
  for (let i = 0; i < values.length; i++) values[i] = normal(rng);
  return { values, shape };
}

function wasmKernelNames(): string[] {
  return tf.getKernelsForBackend('wasm').map((k) => k.kernelName);
}

test('the five training kernels are registered for wasm, and registration is idempotent', async () => {
  await initEngine('wasm');
  const names = wasmKernelNames();
  for (const name of NAMES) assert.ok(names.includes(name), `${name} registered for wasm`);
  const before = tf.getKernelsForBackend('wasm').length;
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  try {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
  } finally {
    console.warn = warn;
  }
  assert.equal(tf.getKernelsForBackend('wasm').length, before);
  assert.deepEqual(warnings, []);
  for (const config of WASM_TRAINING_KERNELS) assert.equal(tf.getKernel(config.kernelName, 'wasm'), config);
});

test('each kernel leaves no tensors or wasm buffers behind and leaves its inputs intact', async () => {
  await initEngine('wasm');
  const rng = createRng(301);
  const backend = tf.engine().backend;
  const x = tf.tensor(randArr(rng, [2, 7, 8, 3]).values, [2, 7, 8, 3]);
  const dy = tf.tensor(randArr(rng, [2, 4, 4, 4]).values, [2, 4, 4, 4]);
  const dyDw = tf.tensor(randArr(rng, [2, 4, 4, 6]).values, [2, 4, 4, 6]);
  const fDw = tf.tensor(randArr(rng, [3, 3, 3, 2]).values, [3, 3, 3, 2]);
  const ids = tf.tensor1d([1, 0, 1], 'int32');
  const m = tf.tensor(randArr(rng, [3, 5]).values, [3, 5]);
  const inputs = [x, dy, dyDw, fDw, ids, m];
  const snapshot = inputs.map((t) => Array.from(t.dataSync()));
  const dw = { strides: 2, pad: 'same', dilations: 1 };
  const calls: [string, () => tf.Tensor][] = [
    ['Conv2DBackpropFilter', () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] })],
    ['DepthwiseConv2dNativeBackpropFilter', () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dyDw }, { ...dw, filterShape: [3, 3, 3, 2] })],
    ['DepthwiseConv2dNativeBackpropInput', () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyDw, filter: fDw }, { ...dw, inputShape: [2, 7, 8, 3] })],
    ['UnsortedSegmentSum', () => tf.engine().runKernel('UnsortedSegmentSum', { x: m, segmentIds: ids }, { numSegments: 2 })],
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

/** Tiny conv net: conv 3×3 s2 (3→4) + ReLU, conv 3×3 s1 (4→5) + ReLU, mean. Three Adam steps; losses and weights. */
async function trainTinyNet(engine: EngineName): Promise<{ losses: number[]; weights: Float32Array[] }> {
  await initEngine(engine);
  const rng = createRng(302);
  const xArr = randArr(rng, [2, 10, 9, 3]);
  const w1Arr = randArr(rng, [3, 3, 3, 4]);
  const w2Arr = randArr(rng, [3, 3, 4, 5]);
  const x = tf.tensor4d(xArr.values, [2, 10, 9, 3]);
  const inits = tf.tidy(() => [tf.mul(tf.tensor4d(w1Arr.values, [3, 3, 3, 4]), 0.3), tf.mul(tf.tensor4d(w2Arr.values, [3, 3, 4, 5]), 0.3)]);
  const [w1, w2] = inits.map((t) => tf.variable(t)) as [tf.Variable, tf.Variable];
  tf.dispose(inits);
  const optimizer = tf.train.adam(0.05);
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    const loss = optimizer.minimize(() => {
      const h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 2, 'same'));
      return tf.mean(tf.relu(tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same'))) as tf.Scalar;
    }, true);
    assert.ok(loss !== null, 'minimize returns the loss');
    losses.push(loss.dataSync()[0] as number);
    loss.dispose();
  }
  const weights = [w1.dataSync() as Float32Array, w2.dataSync() as Float32Array];
  optimizer.dispose();
  tf.dispose([x, w1, w2]);
  return { losses, weights };
}

test('a tiny conv net trained 3 Adam steps on wasm gives the cpu losses and weights', async () => {
  const cpu = await trainTinyNet('cpu');
  const tensorsBefore = tf.memory().numTensors;
  const wasm = await trainTinyNet('wasm');
  assert.equal(tf.memory().numTensors, tensorsBefore, 'training on wasm leaks no tensors');
  assert.ok(cpu.losses[2]! < cpu.losses[0]!, `loss decreases on cpu: ${cpu.losses.join(', ')}`);
  expectClose(wasm.losses, cpu.losses, TOL, 'losses');
  wasm.weights.forEach((w, i) => expectClose(w, cpu.weights[i]!, TOL, `weights ${i}`));
});
