/**
 * Differential tests of the native torch engine's convolution and batch-norm kernels (native/src/ops_conv.cc,
 * ops_norm.cc) against the tfjs cpu backend: Conv2D (strides 1/2/3, dilations, 'same'/'valid'/numeric/explicit
 * asymmetric pads, even and odd kernels, 'ceil'/'round' rounding, NCHW), both gradients (the kernels and tf.grads),
 * conv2dTranspose, FusedConv2D with every activation, the depthwise family with channel multipliers, and
 * FusedBatchNorm.
 *
 * Tolerance: |torch − cpu| ≤ 1e-4 + 1e-4·|cpu| elementwise (rtol 1e-4, atol 1e-4): libtorch sums in float32 (oneDNN),
 * the cpu backend in float64 before rounding to float32.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { createRng } from '../../../src/random.js';
import { compareEngines, randArr, toTensor as T, torchSkip, type Arr } from '../../helpers/backends.js';
import type { Tolerance } from '../../helpers/close.js';

const TOL: Tolerance = { rtol: 1e-4, atol: 1e-4 };
const TORCH = ['torch'] as const;

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil';

interface Case {
  x: number[];
  f: number[];
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  rounding?: Rounding;
  nchw?: boolean;
}

function describe(c: Case): string {
  return `x [${c.x}] f [${c.f}] s ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)} d ${JSON.stringify(c.dilations ?? 1)}${c.rounding ? ` ${c.rounding}` : ''}${c.nchw ? ' NCHW' : ''}`;
}

function roundingOf(c: Case): Rounding | undefined {
  return typeof c.pad === 'number' ? (c.rounding ?? 'floor') : undefined;
}

/** tfjs ops take dimRoundingMode only with a numeric pad (and never as an explicit undefined). */
function roundOpt(c: Case): { dimRoundingMode?: Rounding } {
  const r = roundingOf(c);
  return r ? { dimRoundingMode: r } : {};
}

function outShape(c: Case, depthwise: boolean): number[] {
  return tf.backend_util.computeConv2DInfo(
    c.x as [number, number, number, number],
    c.f as [number, number, number, number],
    c.strides,
    c.dilations ?? 1,
    c.pad,
    roundingOf(c),
    depthwise,
    c.nchw ? 'channelsFirst' : 'channelsLast',
  ).outShape;
}

/** Regular convolutions: x NHWC (or NCHW), f [fh, fw, in, out]. */
const CONV: Case[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 9, 11, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { x: [2, 8, 10, 3], f: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [1, 10, 8, 2], f: [3, 3, 2, 3], strides: 2, pad: 'valid' },
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
  { x: [2, 8, 10, 3], f: [3, 3, 3, 2], strides: 3, pad: 1 },
  { x: [2, 9, 10, 2], f: [3, 3, 2, 3], strides: 2, pad: 1, rounding: 'ceil' },
  { x: [1, 10, 9, 2], f: [2, 3, 2, 3], strides: 3, pad: 2, rounding: 'round' },
  { x: [2, 6, 7, 4], f: [1, 1, 4, 3], strides: 2, pad: 'valid' },
  { x: [2, 5, 5, 3], f: [5, 5, 3, 2], strides: 1, pad: 'valid' },
  { x: [2, 7, 8, 3], f: [2, 2, 3, 4], strides: 1, pad: 'same' },
  { x: [1, 9, 9, 2], f: [4, 4, 2, 3], strides: 2, pad: 'same' },
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
  { x: [2, 6, 7, 1], f: [3, 3, 1, 2], strides: 2, pad: 'same' },
  { x: [2, 6, 5, 3], f: [3, 2, 3, 1], strides: 1, pad: 'valid' },
  { x: [1, 1, 1, 4], f: [1, 1, 4, 3], strides: 1, pad: 'same' },
  { x: [2, 3, 7, 9], f: [3, 3, 3, 4], strides: 2, pad: 'same', nchw: true },
  { x: [1, 2, 8, 7], f: [2, 3, 2, 3], strides: 1, pad: 'valid', nchw: true },
];

/** Dilated regular convolutions (forward only: tfjs has no conv2d gradient for dilations > 1). */
const DILATED: Case[] = [
  { x: [2, 11, 12, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 13, 12, 2], f: [3, 2, 2, 3], strides: 1, pad: 'valid', dilations: [2, 3] },
  { x: [2, 12, 13, 2], f: [2, 2, 2, 2], strides: 1, pad: 'same', dilations: 3 },
  {
    x: [1, 14, 13, 2],
    f: [3, 3, 2, 2],
    strides: 1,
    pad: [
      [0, 0],
      [2, 1],
      [1, 3],
      [0, 0],
    ],
    dilations: 2,
  },
];

/** Depthwise convolutions: f [fh, fw, in, multiplier]. */
const DEPTHWISE: Case[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 1], strides: 1, pad: 'same' },
  { x: [2, 9, 11, 4], f: [3, 3, 4, 2], strides: 2, pad: 'same' },
  { x: [2, 8, 8, 2], f: [3, 3, 2, 3], strides: 2, pad: 'same' },
  { x: [1, 10, 8, 2], f: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  {
    x: [2, 11, 13, 3],
    f: [5, 3, 3, 2],
    strides: [3, 2],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [2, 8, 10, 2], f: [3, 3, 2, 2], strides: 3, pad: 1 },
  { x: [1, 9, 8, 2], f: [2, 2, 2, 2], strides: 1, pad: 'same' },
  { x: [2, 12, 11, 3], f: [3, 3, 3, 2], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 13, 12, 2], f: [3, 2, 2, 1], strides: 1, pad: 'valid', dilations: 2 },
];

function convAttrs(c: Case): Record<string, unknown> {
  return {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.nchw ? 'NCHW' : 'NHWC',
    dilations: c.dilations ?? 1,
    dimRoundingMode: roundingOf(c),
  };
}

/** Filter with (d − 1) zeros between taps: a dilation-d conv equals a dilation-1 conv with it. */
function dilateFilter(f: Arr, d: number): Arr {
  const [kh, kw, c, m] = f.shape as [number, number, number, number];
  const eh = (kh - 1) * d + 1;
  const ew = (kw - 1) * d + 1;
  const values = new Float32Array(eh * ew * c * m);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < c * m; k++)
        values[(i * d * ew + j * d) * c * m + k] = f.values[(i * kw + j) * c * m + k] as number;
  return { values, shape: [eh, ew, c, m] };
}

/** Taps 0, d, 2d, … of a gradient w.r.t. the dilated filter of `dilateFilter`. */
function undilate(g: tf.Tensor, kh: number, kw: number, d: number): tf.Tensor {
  const [, , c, m] = g.shape as [number, number, number, number];
  return tf.stridedSlice(g, [0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, c, m], [d, d, 1, 1]);
}

function dil(c: Case): number {
  const d = c.dilations ?? 1;
  return typeof d === 'number' ? d : d[0];
}

test(
  'Conv2D matches cpu (strides 1/2/3, even/odd kernels, same/valid/numeric/explicit pads, ceil/round, NCHW, dilations)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(201);
    for (const c of [...CONV, ...DILATED]) {
      const x = randArr(rng, c.x);
      const f = randArr(rng, c.f);
      await compareEngines(
        `Conv2D ${describe(c)}`,
        () => tf.engine().runKernel('Conv2D', { x: T(x), filter: T(f) }, convAttrs(c) as never),
        TOL,
        TORCH,
      );
    }
  },
);

test('Conv2DBackpropInput and Conv2DBackpropFilter kernels match cpu', { skip: torchSkip() }, async () => {
  const rng = createRng(202);
  for (const c of CONV) {
    const x = randArr(rng, c.x);
    const f = randArr(rng, c.f);
    const dy = randArr(rng, outShape(c, false));
    const attrs = convAttrs(c);
    await compareEngines(
      `Conv2DBackpropInput ${describe(c)}`,
      () =>
        tf
          .engine()
          .runKernel('Conv2DBackpropInput', { dy: T(dy), filter: T(f) }, { ...attrs, inputShape: c.x } as never),
      TOL,
      TORCH,
    );
    await compareEngines(
      `Conv2DBackpropFilter ${describe(c)}`,
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: T(x), dy: T(dy) }, { ...attrs, filterShape: c.f } as never),
      TOL,
      TORCH,
    );
  }
});

test('gradients of conv2d and conv2dTranspose (w.r.t. every input) match cpu', { skip: torchSkip() }, async () => {
  const rng = createRng(203);
  for (const c of CONV.filter((k) => !k.nchw)) {
    const x = randArr(rng, c.x);
    const f = randArr(rng, c.f);
    const w = randArr(rng, outShape(c, false));
    // tfjs's conv2d gradient drops dimRoundingMode, so with 'ceil'/'round' the cpu gradient uses a fractional output
    // size and is wrong; there the reference is the gradient kernels called with the rounding mode (d/dx and d/df of
    // sum(conv(x, f)·w) are BackpropInput(w, f) and BackpropFilter(x, w)).
    const exactCpu = (engine: string): boolean => engine === 'cpu' && (c.rounding ?? 'floor') !== 'floor';
    await compareEngines(
      `grad conv2d ${describe(c)}`,
      (engine) =>
        exactCpu(engine)
          ? [
              tf.engine().runKernel('Conv2DBackpropInput', { dy: T(w), filter: T(f) }, {
                ...convAttrs(c),
                inputShape: c.x,
              } as never) as tf.Tensor,
              tf.engine().runKernel('Conv2DBackpropFilter', { x: T(x), dy: T(w) }, {
                ...convAttrs(c),
                filterShape: c.f,
              } as never) as tf.Tensor,
            ]
          : tf.grads((a, b) =>
              tf.sum(
                tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, roundingOf(c)), T(w)),
              ),
            )([T(x), T(f)]),
      TOL,
      TORCH,
    );
    // conv2dTranspose(y, f, x.shape) is the input gradient of conv2d(x, f): y has conv2d's output shape.
    const y = randArr(rng, outShape(c, false));
    const v = randArr(rng, c.x);
    await compareEngines(
      `grad conv2dTranspose ${describe(c)}`,
      () =>
        tf.grads((a, b) =>
          tf.sum(
            tf.mul(
              tf.conv2dTranspose(
                a as tf.Tensor4D,
                b as tf.Tensor4D,
                c.x as [number, number, number, number],
                c.strides,
                c.pad,
                roundingOf(c),
              ),
              T(v),
            ),
          ),
        )([T(y), T(f)]),
      TOL,
      TORCH,
    );
  }
});

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'prelu', 'leakyrelu', 'sigmoid'] as const;

test(
  'FusedConv2D matches cpu (every activation, 1-D/broadcast/scalar bias, prelu weights, leakyrelu alpha, NCHW)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(204);
    const cases = [CONV[1]!, CONV[4]!, CONV[16]!, DILATED[0]!];
    for (const c of cases) {
      const out = outShape(c, false);
      const ch = c.nchw ? out[1]! : out[3]!;
      const x = randArr(rng, c.x);
      const f = randArr(rng, c.f);
      // tfjs allows only scalar or 1-D biases with NCHW.
      const biases: Arr[] = [randArr(rng, [ch]), randArr(rng, [1]), ...(c.nchw ? [] : [randArr(rng, [out[2]!, ch])])];
      const prelu = randArr(rng, [ch]);
      for (const act of ACTIVATIONS) {
        for (const [bi, bias] of biases.entries()) {
          if (act !== 'linear' && act !== 'prelu' && bi > 0) continue;
          await compareEngines(
            `FusedConv2D ${describe(c)} ${act} bias ${bias.shape}`,
            () =>
              tf.fused.conv2d({
                x: T(x) as tf.Tensor4D,
                filter: T(f) as tf.Tensor4D,
                strides: c.strides,
                pad: c.pad,
                dataFormat: c.nchw ? 'NCHW' : 'NHWC',
                dilations: c.dilations ?? 1,
                ...roundOpt(c),
                bias: T(bias),
                activation: act,
                ...(act === 'prelu' ? { preluActivationWeights: T(prelu) } : {}),
                leakyreluAlpha: 0.3,
              }),
            TOL,
            TORCH,
          );
        }
      }
      await compareEngines(
        `FusedConv2D ${describe(c)} relu, no bias`,
        () =>
          tf.fused.conv2d({
            x: T(x) as tf.Tensor4D,
            filter: T(f) as tf.Tensor4D,
            strides: c.strides,
            pad: c.pad,
            dataFormat: c.nchw ? 'NCHW' : 'NHWC',
            dilations: c.dilations ?? 1,
            ...roundOpt(c),
            activation: 'relu',
          }),
        TOL,
        TORCH,
      );
    }
  },
);

test('gradients of fused conv2d (x, filter, bias; linear/relu/elu) match cpu', { skip: torchSkip() }, async () => {
  const rng = createRng(205);
  for (const c of [CONV[1]!, CONV[2]!, CONV[4]!]) {
    const out = outShape(c, false);
    const x = randArr(rng, c.x);
    const f = randArr(rng, c.f);
    const b = randArr(rng, [out[3]!]);
    const w = randArr(rng, out);
    for (const act of ['linear', 'relu', 'elu'] as const) {
      await compareEngines(
        `grad fused conv2d ${describe(c)} ${act}`,
        () =>
          tf.grads((xx, ff, bb) =>
            tf.sum(
              tf.mul(
                tf.fused.conv2d({
                  x: xx as tf.Tensor4D,
                  filter: ff as tf.Tensor4D,
                  strides: c.strides,
                  pad: c.pad,
                  ...roundOpt(c),
                  bias: bb,
                  activation: act,
                }),
                T(w),
              ),
            ),
          )([T(x), T(f), T(b)]),
        TOL,
        TORCH,
      );
    }
  }
});

test(
  'DepthwiseConv2dNative matches cpu (multipliers 1–3, strides 1/2/3, dilation 2, all pads)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(206);
    for (const c of DEPTHWISE) {
      const x = randArr(rng, c.x);
      const f = randArr(rng, c.f);
      const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations ?? 1, dimRoundingMode: roundingOf(c) };
      await compareEngines(
        `DepthwiseConv2dNative ${describe(c)}`,
        () => tf.engine().runKernel('DepthwiseConv2dNative', { x: T(x), filter: T(f) }, attrs as never),
        TOL,
        TORCH,
      );
    }
  },
);

// tfjs's cpu depthwise backprop kernels ignore `dilations`: for d > 1 the cpu reference runs the dilation-1 kernel on
// the equivalent zero-dilated filter (the same output geometry), which is the gradient of the dilated convolution.
test(
  'DepthwiseConv2dNativeBackpropInput/Filter kernels match cpu (multipliers, strides, dilation 2, all pads)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(207);
    for (const c of DEPTHWISE) {
      const x = randArr(rng, c.x);
      const f = randArr(rng, c.f);
      const dy = randArr(rng, outShape(c, true));
      const d = dil(c);
      const [kh, kw] = c.f as [number, number];
      const base = { strides: c.strides, pad: c.pad, dimRoundingMode: roundingOf(c) };
      const cpuDilated = (engine: string): boolean => engine === 'cpu' && d > 1;
      await compareEngines(
        `DepthwiseConv2dNativeBackpropInput ${describe(c)}`,
        (engine) =>
          cpuDilated(engine)
            ? tf
                .engine()
                .runKernel('DepthwiseConv2dNativeBackpropInput', { dy: T(dy), filter: T(dilateFilter(f, d)) }, {
                  ...base,
                  dilations: 1,
                  inputShape: c.x,
                } as never)
            : tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: T(dy), filter: T(f) }, {
                ...base,
                dilations: d,
                inputShape: c.x,
              } as never),
        TOL,
        TORCH,
      );
      await compareEngines(
        `DepthwiseConv2dNativeBackpropFilter ${describe(c)}`,
        (engine) =>
          cpuDilated(engine)
            ? undilate(
                tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: T(x), dy: T(dy) }, {
                  ...base,
                  dilations: 1,
                  filterShape: dilateFilter(f, d).shape,
                } as never) as tf.Tensor,
                kh,
                kw,
                d,
              )
            : tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: T(x), dy: T(dy) }, {
                ...base,
                dilations: d,
                filterShape: c.f,
              } as never),
        TOL,
        TORCH,
      );
    }
  },
);

test(
  'gradients of depthwiseConv2d and fused depthwiseConv2d (x, filter, bias) match cpu; FusedDepthwiseConv2D forward',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(208);
    for (const c of DEPTHWISE.filter((k) => dil(k) === 1)) {
      const out = outShape(c, true);
      const x = randArr(rng, c.x);
      const f = randArr(rng, c.f);
      const b = randArr(rng, [out[3]!]);
      const w = randArr(rng, out);
      await compareEngines(
        `grad depthwiseConv2d ${describe(c)}`,
        () =>
          tf.grads((a, k) =>
            tf.sum(
              tf.mul(
                tf.depthwiseConv2d(
                  a as tf.Tensor4D,
                  k as tf.Tensor4D,
                  c.strides,
                  c.pad as 'same',
                  'NHWC',
                  1,
                  roundingOf(c),
                ),
                T(w),
              ),
            ),
          )([T(x), T(f)]),
        TOL,
        TORCH,
      );
      for (const act of ['linear', 'relu6'] as const) {
        await compareEngines(
          `grad fused depthwiseConv2d ${act} ${describe(c)}`,
          () =>
            tf.grads((a, k, bb) =>
              tf.sum(
                tf.mul(
                  tf.fused.depthwiseConv2d({
                    x: a as tf.Tensor4D,
                    filter: k as tf.Tensor4D,
                    strides: c.strides,
                    pad: c.pad as 'same',
                    ...roundOpt(c),
                    bias: bb,
                    activation: act,
                  }),
                  T(w),
                ),
              ),
            )([T(x), T(f), T(b)]),
          TOL,
          TORCH,
        );
      }
    }
    for (const c of [DEPTHWISE[1]!, DEPTHWISE[7]!]) {
      const out = outShape(c, true);
      const x = randArr(rng, c.x);
      const f = randArr(rng, c.f);
      const b = randArr(rng, [out[3]!]);
      const alpha = randArr(rng, [out[3]!]);
      for (const act of ACTIVATIONS) {
        await compareEngines(
          `FusedDepthwiseConv2D ${describe(c)} ${act}`,
          () =>
            tf.fused.depthwiseConv2d({
              x: T(x) as tf.Tensor4D,
              filter: T(f) as tf.Tensor4D,
              strides: c.strides,
              pad: c.pad as 'same',
              dilations: c.dilations ?? 1,
              bias: T(b),
              activation: act,
              ...(act === 'prelu' ? { preluActivationWeights: T(alpha) } : {}),
              leakyreluAlpha: 0.15,
            }),
          TOL,
          TORCH,
        );
      }
    }
  },
);

test('depthwise convolutions reject NCHW on the torch engine with a clear error', { skip: torchSkip() }, async () => {
  await initEngine('torch');
  const rng = createRng(209);
  const x = T(randArr(rng, [1, 5, 5, 2]));
  const f = T(randArr(rng, [3, 3, 2, 1]));
  assert.throws(
    () =>
      tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: f }, {
        strides: 1,
        pad: 'same',
        dilations: 1,
        dataFormat: 'NCHW',
      } as never),
    /DepthwiseConv2dNative.*NCHW/,
  );
  tf.dispose([x, f]);
});

test(
  'FusedBatchNorm matches cpu (rank 2/3/4, with and without offset/scale, per-channel and full-shape statistics)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(210);
    const cases: { x: number[]; p: number[]; offset: boolean; scale: boolean; eps?: number }[] = [
      { x: [2, 5, 6, 3], p: [3], offset: true, scale: true },
      { x: [2, 5, 6, 3], p: [3], offset: false, scale: true, eps: 1e-5 },
      { x: [2, 5, 6, 3], p: [3], offset: true, scale: false },
      { x: [2, 5, 6, 3], p: [3], offset: false, scale: false },
      { x: [7, 4], p: [4], offset: true, scale: true },
      { x: [3, 4, 5], p: [4, 5], offset: true, scale: true },
      { x: [2, 3, 4, 2], p: [2, 3, 4, 2], offset: true, scale: true },
    ];
    for (const c of cases) {
      const x = randArr(rng, c.x);
      const mean = randArr(rng, c.p);
      const variance = { values: randArr(rng, c.p).values.map((v) => v * v + 0.1), shape: c.p };
      const offset = randArr(rng, c.p);
      const scale = randArr(rng, c.p);
      await compareEngines(
        `batchNorm x [${c.x}] params [${c.p}] offset ${c.offset} scale ${c.scale}`,
        () =>
          tf.batchNorm(
            T(x),
            T(mean),
            T(variance),
            c.offset ? T(offset) : undefined,
            c.scale ? T(scale) : undefined,
            c.eps,
          ),
        TOL,
        TORCH,
      );
    }
  },
);
