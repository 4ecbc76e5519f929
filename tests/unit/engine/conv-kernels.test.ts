/**
 * Differential tests of the wasm conv training kernels (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter,
 * DepthwiseConv2dNativeBackpropInput) against the tfjs cpu backend: the kernels themselves and full gradients of
 * conv2d, conv2dTranspose, depthwiseConv2d and separableConv2d.
 *
 * Tolerance: |wasm − cpu| ≤ 1e-4 + 1e-4·|cpu| elementwise (rtol 1e-4, atol 1e-4): the wasm kernels sum in float32
 * inside XNNPACK, the cpu ones in float64.
 */
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/random.js';
import { compareEngines, randArr, toTensor as T } from '../../helpers/backends.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** tfjs ops accept a rounding mode only together with a numeric pad. */
function rounding(pad: Pad): 'floor' | undefined {
  return typeof pad === 'number' ? 'floor' : undefined;
}

function outShape(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  dilations: number,
  depthwise: boolean,
  nchw = false,
): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    rounding(pad),
    depthwise,
    nchw ? 'channelsFirst' : 'channelsLast',
  );
  return info.outShape;
}

/** Filter with (d − 1) zeros between taps: a dilation-d conv equals a dilation-1 conv with this filter. */
function dilateFilter(f: tf.Tensor4D, d: number): tf.Tensor4D {
  const [kh, kw, c, m] = f.shape;
  const spread = tf.pad(tf.reshape(f, [kh, 1, kw, 1, c, m]), [
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(spread, [kh * d, kw * d, c, m]),
    [0, 0, 0, 0],
    [(kh - 1) * d + 1, (kw - 1) * d + 1, c, m],
  ) as tf.Tensor4D;
}

/** Keeps taps 0, d, 2d, … of a [eh, ew, C, M] gradient of a dilated filter. */
function undilateFilter(g: tf.Tensor4D, kh: number, kw: number, d: number): tf.Tensor4D {
  const [, , c, m] = g.shape;
  return tf.stridedSlice(g, [0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, c, m], [d, d, 1, 1]) as tf.Tensor4D;
}

interface ConvCase {
  x: number[];
  f: number[];
  strides: number | [number, number];
  pad: Pad;
  nchw?: boolean;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 9, 11, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
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
  { x: [2, 6, 7, 4], f: [1, 1, 4, 3], strides: 2, pad: 'valid' },
  { x: [2, 5, 5, 3], f: [5, 5, 3, 2], strides: 1, pad: 'valid' },
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
  { x: [2, 3, 7, 9], f: [3, 3, 3, 4], strides: 2, pad: 'same', nchw: true },
];

function describeCase(c: {
  x: number[];
  f: number[];
  strides: unknown;
  pad: unknown;
  nchw?: boolean;
  dilations?: number;
}): string {
  return `x [${c.x}] f [${c.f}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}${c.nchw ? ' NCHW' : ''}${c.dilations ? ` dil ${c.dilations}` : ''}`;
}

test('Conv2DBackpropFilter kernel matches cpu (strides 1/2/3, same/valid/explicit/numeric pad, odd sizes, NCHW)', async () => {
  const rng = createRng(101);
  for (const c of CONV_CASES) {
    const x = randArr(rng, c.x);
    const dy = randArr(rng, outShape(c.x, c.f, c.strides, c.pad, 1, false, c.nchw));
    const attrs = {
      strides: c.strides,
      pad: c.pad,
      dataFormat: c.nchw ? 'NCHW' : 'NHWC',
      dimRoundingMode: 'floor',
      filterShape: c.f,
    };
    await compareEngines(`Conv2DBackpropFilter ${describeCase(c)}`, () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: T(x), dy: T(dy) }, attrs),
    );
  }
});

test('gradients of conv2d (input and filter) match cpu', async () => {
  const rng = createRng(102);
  for (const c of CONV_CASES.filter((k) => !k.nchw)) {
    const x = randArr(rng, c.x);
    const f = randArr(rng, c.f);
    const w = randArr(rng, outShape(c.x, c.f, c.strides, c.pad, 1, false));
    await compareEngines(`grad conv2d ${describeCase(c)}`, () =>
      tf.grads((a, b) =>
        tf.sum(
          tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, rounding(c.pad)), T(w)),
        ),
      )([T(x), T(f)]),
    );
  }
});

test('gradients of conv2dTranspose (input and filter) match cpu', async () => {
  const rng = createRng(103);
  const cases: {
    out: [number, number, number, number];
    f: number[];
    strides: number;
    pad: 'same' | 'valid' | number;
  }[] = [
    { out: [2, 9, 11, 3], f: [3, 3, 3, 4], strides: 2, pad: 'same' },
    { out: [2, 7, 8, 2], f: [3, 3, 2, 5], strides: 1, pad: 'valid' },
    { out: [1, 10, 9, 3], f: [4, 4, 3, 2], strides: 2, pad: 'valid' },
    { out: [2, 9, 9, 2], f: [3, 3, 2, 3], strides: 3, pad: 1 },
  ];
  for (const c of cases) {
    // conv2dTranspose(y) with filter [h, w, outC, inC] is the input gradient of conv2d(out) with the same filter.
    const yShape = outShape(c.out, c.f, c.strides, c.pad, 1, false);
    const y = randArr(rng, yShape);
    const f = randArr(rng, c.f);
    const w = randArr(rng, c.out);
    await compareEngines(`grad conv2dTranspose out [${c.out}] f [${c.f}] strides ${c.strides} pad ${c.pad}`, () =>
      tf.grads((a, b) =>
        tf.sum(
          tf.mul(
            tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, c.out, c.strides, c.pad, rounding(c.pad)),
            T(w),
          ),
        ),
      )([T(y), T(f)]),
    );
  }
});

interface DwCase extends ConvCase {
  dilations: number;
}

const DW_CASES: DwCase[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 1], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 9, 11, 4], f: [3, 3, 4, 2], strides: 2, pad: 'same', dilations: 1 },
  { x: [1, 10, 8, 2], f: [3, 3, 2, 3], strides: 2, pad: 'valid', dilations: 1 },
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
    dilations: 1,
  },
  { x: [2, 8, 10, 2], f: [3, 3, 2, 2], strides: 3, pad: 1, dilations: 1 },
  { x: [2, 6, 7, 3], f: [1, 1, 3, 2], strides: 2, pad: 'valid', dilations: 1 },
  {
    x: [1, 5, 6, 2],
    f: [1, 1, 2, 2],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
    dilations: 1,
  },
  { x: [2, 12, 11, 3], f: [3, 3, 3, 2], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 13, 12, 2], f: [3, 2, 2, 1], strides: 1, pad: 'valid', dilations: 2 },
  {
    x: [2, 14, 13, 2],
    f: [3, 3, 2, 2],
    strides: 2,
    pad: [
      [0, 0],
      [2, 1],
      [1, 3],
      [0, 0],
    ],
    dilations: 2,
  },
];

// tfjs' cpu depthwise backprop kernels ignore `dilations`; for d > 1 the cpu reference runs the dilation-1 kernel
// on the equivalent zero-dilated filter (same output geometry), which is the gradient of the dilated conv.
test('DepthwiseConv2dNativeBackpropFilter kernel matches cpu (multipliers 1–3, strides 1/2/3, dilation 2, all pads)', async () => {
  const rng = createRng(104);
  for (const c of DW_CASES) {
    const x = randArr(rng, c.x);
    const dy = randArr(rng, outShape(c.x, c.f, c.strides, c.pad, c.dilations, true));
    const d = c.dilations;
    const [kh, kw] = c.f as [number, number];
    const effective = [(kh - 1) * d + 1, (kw - 1) * d + 1, c.f[2]!, c.f[3]!];
    await compareEngines(`DepthwiseConv2dNativeBackpropFilter ${describeCase(c)}`, (engine) => {
      const base = { strides: c.strides, pad: c.pad, dimRoundingMode: 'floor' };
      if (engine === 'wasm' || d === 1) {
        return tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: T(x), dy: T(dy) },
            { ...base, dilations: d, filterShape: c.f },
          );
      }
      const g = tf
        .engine()
        .runKernel<tf.Tensor4D>(
          'DepthwiseConv2dNativeBackpropFilter',
          { x: T(x), dy: T(dy) },
          { ...base, dilations: 1, filterShape: effective },
        );
      return undilateFilter(g, kh, kw, d);
    });
  }
});

test('DepthwiseConv2dNativeBackpropInput kernel matches cpu (multipliers 1–3, strides 1/2/3, dilation 2, all pads)', async () => {
  const rng = createRng(105);
  for (const c of DW_CASES) {
    const f = randArr(rng, c.f);
    const dy = randArr(rng, outShape(c.x, c.f, c.strides, c.pad, c.dilations, true));
    const d = c.dilations;
    await compareEngines(`DepthwiseConv2dNativeBackpropInput ${describeCase(c)}`, (engine) => {
      const base = { strides: c.strides, pad: c.pad, dimRoundingMode: 'floor', inputShape: c.x };
      if (engine === 'wasm' || d === 1) {
        return tf
          .engine()
          .runKernel('DepthwiseConv2dNativeBackpropInput', { dy: T(dy), filter: T(f) }, { ...base, dilations: d });
      }
      const dilated = dilateFilter(T(f) as tf.Tensor4D, d);
      return tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropInput', { dy: T(dy), filter: dilated }, { ...base, dilations: 1 });
    });
  }
});

test('gradients of depthwiseConv2d (input and filter) match cpu', async () => {
  const rng = createRng(106);
  for (const c of DW_CASES.filter((k) => k.dilations === 1)) {
    const x = randArr(rng, c.x);
    const f = randArr(rng, c.f);
    const w = randArr(rng, outShape(c.x, c.f, c.strides, c.pad, 1, true));
    await compareEngines(`grad depthwiseConv2d ${describeCase(c)}`, () =>
      tf.grads((a, b) =>
        tf.sum(
          tf.mul(
            tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, rounding(c.pad)),
            T(w),
          ),
        ),
      )([T(x), T(f)]),
    );
  }
});

test('gradients of separableConv2d (input, depthwise and pointwise filters) match cpu', async () => {
  const rng = createRng(107);
  const cases: { x: number[]; dw: number[]; out: number; strides: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 9, 11, 3], dw: [3, 3, 3, 2], out: 4, strides: 1, pad: 'same' },
    { x: [2, 9, 11, 3], dw: [3, 3, 3, 2], out: 5, strides: 2, pad: 'same' },
    { x: [1, 10, 7, 2], dw: [3, 3, 2, 3], out: 3, strides: 2, pad: 'valid' },
  ];
  for (const c of cases) {
    const x = randArr(rng, c.x);
    const dw = randArr(rng, c.dw);
    const pw = randArr(rng, [1, 1, c.dw[2]! * c.dw[3]!, c.out]);
    const [b, ho, wo] = outShape(c.x, c.dw, c.strides, c.pad, 1, true) as [number, number, number, number];
    const w = randArr(rng, [b, ho, wo, c.out]);
    await compareEngines(`grad separableConv2d x [${c.x}] dw [${c.dw}] strides ${c.strides} pad ${c.pad}`, () =>
      tf.grads((a, d, p) =>
        tf.sum(
          tf.mul(tf.separableConv2d(a as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, c.strides, c.pad), T(w)),
        ),
      )([T(x), T(dw), T(pw)]),
    );
  }
});
