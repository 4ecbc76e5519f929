/**
 * Differential tests of the wasm `Conv2DBackpropInput` replacement (spread dy + one XNNPACK conv) against the tfjs
 * cpu backend: the kernel itself on odd sizes, strides 1/2/3 and mixed, every pad kind and rounding mode, batch > 1,
 * 1×1 / 3×3 / 5×5 / non-square kernels and NCHW (which runs the wasm backend's own kernel as the fallback); the
 * input gradient of conv2d and the forward pass of conv2dTranspose (both run this kernel); and memory hygiene.
 *
 * Tolerance: |wasm − cpu| ≤ 1e-4 + 1e-4·|cpu| elementwise (rtol 1e-4, atol 1e-4).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { conv2dBackpropInputConfig } from '../../../src/engine/kernels/conv2d-backprop-input.js';
import { createRng } from '../../../src/random.js';
import { compareEngines, randArr, toTensor as T } from '../../helpers/backends.js';

type Explicit = [[number, number], [number, number], [number, number], [number, number]];
type Pad = 'same' | 'valid' | number | Explicit;
type Rounding = 'floor' | 'round' | 'ceil';

interface Case {
  /** Forward input shape (the kernel's `inputShape`), NHWC unless `nchw`. */
  x: [number, number, number, number];
  /** Filter [kh, kw, Ci, Co]. */
  f: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  rounding?: Rounding;
  nchw?: boolean;
}

const CASES: Case[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 9, 11, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { x: [1, 10, 8, 2], f: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  { x: [2, 9, 9, 2], f: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  {
    x: [3, 11, 13, 2],
    f: [5, 3, 2, 4],
    strides: [3, 2],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [1, 7, 5, 2], f: [3, 3, 2, 2], strides: [3, 2], pad: 'same' },
  { x: [2, 13, 11, 3], f: [5, 5, 3, 2], strides: [2, 3], pad: 'same' },
  { x: [2, 8, 10, 3], f: [3, 3, 3, 2], strides: 3, pad: 1, rounding: 'floor' },
  { x: [2, 8, 10, 3], f: [3, 3, 3, 2], strides: 3, pad: 1, rounding: 'ceil' },
  { x: [1, 7, 8, 2], f: [3, 3, 2, 2], strides: 2, pad: 2, rounding: 'round' },
  { x: [1, 9, 7, 2], f: [3, 3, 2, 3], strides: 2, pad: 0, rounding: 'floor' },
  { x: [2, 6, 7, 4], f: [1, 1, 4, 3], strides: 2, pad: 'valid' },
  { x: [2, 7, 7, 4], f: [1, 1, 4, 3], strides: 2, pad: 'same' },
  {
    x: [1, 5, 6, 2],
    f: [1, 1, 2, 3],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [2, 5, 5, 3], f: [5, 5, 3, 2], strides: 1, pad: 'valid' },
  { x: [2, 6, 5, 3], f: [5, 5, 3, 4], strides: 2, pad: 'same' },
  {
    x: [2, 4, 5, 2],
    f: [3, 3, 2, 3],
    strides: 3,
    pad: [
      [0, 0],
      [4, 3],
      [0, 5],
      [0, 0],
    ],
  },
  {
    x: [1, 2, 3, 1],
    f: [1, 1, 1, 2],
    strides: 2,
    pad: [
      [0, 0],
      [3, 0],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [4, 16, 16, 8], f: [3, 3, 8, 16], strides: 2, pad: 'same' },
  { x: [4, 15, 15, 8], f: [3, 3, 8, 8], strides: 1, pad: 'same' },
  { x: [2, 3, 7, 9], f: [3, 3, 3, 4], strides: 2, pad: 'same', nchw: true },
  { x: [1, 2, 6, 5], f: [3, 3, 2, 3], strides: 1, pad: 'valid', nchw: true },
];

function describe(c: Case): string {
  return `x [${c.x}] f [${c.f}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}${c.rounding ? ` ${c.rounding}` : ''}${c.nchw ? ' NCHW' : ''}`;
}

function dyShape(c: Case): number[] {
  return tf.backend_util.computeConv2DInfo(
    c.x,
    c.f,
    c.strides,
    1,
    c.pad,
    c.rounding,
    false,
    c.nchw ? 'channelsFirst' : 'channelsLast',
  ).outShape;
}

function attrs(c: Case): tf.NamedAttrMap {
  const a: Record<string, unknown> = {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.nchw ? 'NCHW' : 'NHWC',
    inputShape: c.x,
  };
  if (c.rounding !== undefined) a['dimRoundingMode'] = c.rounding;
  return a as tf.NamedAttrMap;
}

test('the replacement kernel is the one registered for wasm', async () => {
  await initEngine('wasm');
  assert.equal(tf.getKernel('Conv2DBackpropInput', 'wasm'), conv2dBackpropInputConfig);
});

test('Conv2DBackpropInput kernel matches cpu (odd sizes, strides 1/2/3/(3,2), every pad kind and rounding, 1×1/5×5, NCHW)', async () => {
  const rng = createRng(401);
  for (const c of CASES) {
    const dy = randArr(rng, dyShape(c));
    const f = randArr(rng, c.f);
    await compareEngines(`Conv2DBackpropInput ${describe(c)}`, () =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy: T(dy), filter: T(f) }, attrs(c)),
    );
  }
});

// The conv2d gradient passes no rounding mode to Conv2DBackpropInput, so only cases whose shapes do not need one.
const GRAD_CASES = CASES.filter((c) => !c.nchw && (c.rounding === undefined || c.rounding === 'floor'));

test('gradient of conv2d with respect to its input matches cpu', async () => {
  const rng = createRng(402);
  for (const c of GRAD_CASES) {
    const x = randArr(rng, c.x);
    const f = randArr(rng, c.f);
    const w = randArr(rng, dyShape(c));
    const conv = (a: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, T(f) as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.rounding);
    await compareEngines(`grad conv2d w.r.t. x ${describe(c)}`, () =>
      tf.grad((a) => tf.sum(tf.mul(conv(a), T(w))))(T(x)),
    );
  }
});

test('conv2dTranspose forward (which runs Conv2DBackpropInput) matches cpu', async () => {
  const rng = createRng(403);
  for (const c of CASES.filter((k) => !k.nchw)) {
    // conv2dTranspose(y, filter [kh, kw, outC, inC], outputShape) is Conv2DBackpropInput with inputShape = outputShape.
    const y = randArr(rng, dyShape(c));
    const f = randArr(rng, c.f);
    await compareEngines(`conv2dTranspose ${describe(c)}`, () =>
      tf.conv2dTranspose(T(y) as tf.Tensor4D, T(f) as tf.Tensor4D, c.x, c.strides, c.pad, c.rounding),
    );
  }
});

test('Conv2DBackpropInput leaves no tensors or wasm buffers behind and its inputs intact (fast, crop and fallback paths)', async () => {
  await initEngine('wasm');
  const rng = createRng(404);
  const backend = tf.engine().backend;
  const picks = [CASES[0]!, CASES[1]!, CASES[12]!, CASES[17]!, CASES[21]!];
  for (const c of picks) {
    const dy = T(randArr(rng, dyShape(c)));
    const f = T(randArr(rng, c.f));
    const snapshot = [Array.from(dy.dataSync()), Array.from(f.dataSync())];
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = backend.numDataIds();
    const out = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter: f }, attrs(c));
    assert.deepEqual(out.shape, c.x, `${describe(c)}: output shape is inputShape`);
    assert.equal(tf.memory().numTensors, tensorsBefore + 1, `${describe(c)}: exactly one new tensor`);
    out.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, `${describe(c)}: numTensors unchanged`);
    assert.equal(backend.numDataIds(), buffersBefore, `${describe(c)}: wasm data buffers unchanged`);
    assert.deepEqual([Array.from(dy.dataSync()), Array.from(f.dataSync())], snapshot, `${describe(c)}: inputs intact`);
    tf.dispose([dy, f]);
  }
});
