/**
 * Differential tests of the native torch engine's image kernels (native/src/ops_image.cc) against the tfjs cpu
 * backend: ResizeBilinear and ResizeNearestNeighbor (every alignCorners/halfPixelCenters combination, up- and
 * down-sampling, odd sizes, size 1) and their gradients, MaxPool/AvgPool ('same'/'valid'/numeric/explicit pads,
 * 'ceil' rounding, strides 1/2/3, rectangular windows) and their gradients.
 *
 * References: the cpu kernels, except where tfjs's cpu gradient is not the adjoint of its forward kernel — there the
 * reference is the cpu gradient of an equivalent formulation (see each test):
 * - ResizeBilinearGrad: the project's fixed cpu kernel (registered by initEngine; tfjs's ignores halfPixelCenters).
 * - ResizeNearestNeighborGrad: tfjs's cpu kernel ignores halfPixelCenters and indexes dy with the images' batch
 *   stride (wrong for batch > 1) and loops forever for a 1-pixel input with alignCorners; the reference is the
 *   gradient of two gathers (the cpu kernel itself for batch 1 without half-pixel centres and inputs > 1 pixel).
 * - AvgPoolGrad: tfjs's cpu kernel divides by the full window size even where the forward divided by the number of
 *   pixels inside the input; the reference is the gradient of depthwiseConv2d(x, ones) / depthwiseConv2d(1, ones).
 * - Pool gradients with 'ceil' rounding: tfjs's gradient drops dimRoundingMode; the reference calls the cpu gradient
 *   kernel with it.
 *
 * Tolerance: rtol 1e-4, atol 1e-4.
 */
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/random.js';
import { compareEngines, randArr, toTensor as T, torchSkip } from '../../helpers/backends.js';
import type { Tolerance } from '../../helpers/close.js';

const TOL: Tolerance = { rtol: 1e-4, atol: 1e-4 };
const TORCH = ['torch'] as const;

/** [alignCorners, halfPixelCenters]: the three combinations tfjs ops allow (both true is rejected by the ops). */
const MODES: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
];

const RESIZES: { x: number[]; size: [number, number] }[] = [
  { x: [2, 5, 7, 3], size: [11, 13] },
  { x: [1, 9, 8, 2], size: [4, 3] },
  { x: [2, 4, 5, 2], size: [16, 20] },
  { x: [1, 6, 5, 2], size: [6, 9] },
  { x: [1, 1, 1, 3], size: [3, 4] },
  { x: [2, 5, 6, 2], size: [1, 1] },
  { x: [1, 7, 3, 2], size: [2, 8] },
];

test(
  'ResizeBilinear matches cpu (every alignCorners/halfPixelCenters mode, up/down, odd sizes, size 1)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(401);
    for (const r of RESIZES) {
      const x = randArr(rng, r.x);
      for (const [ac, hp] of MODES) {
        await compareEngines(
          `resizeBilinear [${r.x}] → ${r.size} ac ${ac} hp ${hp}`,
          () => tf.image.resizeBilinear(T(x) as tf.Tensor4D, r.size, ac, hp),
          TOL,
          TORCH,
        );
      }
    }
  },
);

test('gradient of resizeBilinear matches the fixed cpu kernel (every mode)', { skip: torchSkip() }, async () => {
  const rng = createRng(402);
  for (const r of RESIZES) {
    const x = randArr(rng, r.x);
    const w = randArr(rng, [r.x[0]!, ...r.size, r.x[3]!]);
    for (const [ac, hp] of MODES) {
      await compareEngines(
        `grad resizeBilinear [${r.x}] → ${r.size} ac ${ac} hp ${hp}`,
        () => tf.grad((a) => tf.sum(tf.mul(tf.image.resizeBilinear(a as tf.Tensor4D, r.size, ac, hp), T(w))))(T(x)),
        TOL,
        TORCH,
      );
    }
  }
});

test('ResizeNearestNeighbor matches cpu (every mode)', { skip: torchSkip() }, async () => {
  const rng = createRng(403);
  for (const r of RESIZES) {
    const x = randArr(rng, r.x);
    for (const [ac, hp] of MODES) {
      await compareEngines(
        `resizeNearestNeighbor [${r.x}] → ${r.size} ac ${ac} hp ${hp}`,
        () => tf.image.resizeNearestNeighbor(T(x) as tf.Tensor4D, r.size, ac, hp),
        TOL,
        TORCH,
      );
    }
  }
});

/** Source index per output index of tfjs's cpu ResizeNearestNeighbor along one axis. */
function nearestIndex(inSize: number, outSize: number, ac: boolean, hp: boolean): number[] {
  const ratio = (ac && outSize > 1 ? inSize - 1 : inSize) / (ac && outSize > 1 ? outSize - 1 : outSize);
  return Array.from({ length: outSize }, (_, o) => {
    const src = hp ? ratio * (o + 0.5) : ratio * o;
    const n = Math.min(inSize - 1, ac ? Math.round(src) : Math.floor(src));
    return hp ? Math.max(0, n) : n;
  });
}

test(
  'gradient of resizeNearestNeighbor is the exact adjoint (cpu kernel for batch 1 without half-pixel centres, else gathers)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(404);
    for (const r of RESIZES) {
      const x = randArr(rng, r.x);
      const w = randArr(rng, [r.x[0]!, ...r.size, r.x[3]!]);
      for (const [ac, hp] of MODES) {
        const rows = nearestIndex(r.x[1]!, r.size[0], ac, hp);
        const cols = nearestIndex(r.x[2]!, r.size[1], ac, hp);
        await compareEngines(
          `grad resizeNearestNeighbor [${r.x}] → ${r.size} ac ${ac} hp ${hp}`,
          (engine) => {
            const resize = (a: tf.Tensor): tf.Tensor =>
              engine === 'cpu' && (hp || r.x[0]! > 1 || r.x[1] === 1 || r.x[2] === 1)
                ? tf.gather(tf.gather(a, tf.tensor1d(rows, 'int32'), 1), tf.tensor1d(cols, 'int32'), 2)
                : tf.image.resizeNearestNeighbor(a as tf.Tensor4D, r.size, ac, hp);
            return tf.grad((a) => tf.sum(tf.mul(resize(a), T(w))))(T(x));
          },
          TOL,
          TORCH,
        );
      }
    }
  },
);

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface PoolCase {
  x: number[];
  k: number | [number, number];
  s: number | [number, number];
  pad: Pad;
  rounding?: 'floor' | 'ceil' | 'round';
}

const POOLS: PoolCase[] = [
  { x: [2, 9, 11, 3], k: 3, s: 2, pad: 'same' },
  { x: [2, 8, 10, 2], k: 2, s: 2, pad: 'valid' },
  { x: [1, 7, 9, 2], k: 3, s: 1, pad: 'same' },
  { x: [2, 10, 9, 2], k: 3, s: 3, pad: 1 },
  { x: [1, 9, 10, 3], k: 3, s: 2, pad: 1, rounding: 'ceil' },
  { x: [2, 8, 9, 2], k: [2, 3], s: [1, 2], pad: 'same' },
  { x: [1, 7, 8, 2], k: [3, 2], s: [2, 3], pad: 'valid' },
  {
    x: [1, 7, 8, 2],
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [2, 6, 6, 2], k: 4, s: 2, pad: 'same' },
];

function describePool(c: PoolCase): string {
  return `x [${c.x}] k ${JSON.stringify(c.k)} s ${JSON.stringify(c.s)} pad ${JSON.stringify(c.pad)}${c.rounding ? ` ${c.rounding}` : ''}`;
}

function rounding(c: PoolCase): 'floor' | 'ceil' | 'round' | undefined {
  return typeof c.pad === 'number' ? (c.rounding ?? 'floor') : undefined;
}

function poolOut(c: PoolCase): number[] {
  return tf.backend_util.computePool2DInfo(c.x as [number, number, number, number], c.k, c.s, 1, c.pad, rounding(c))
    .outShape as number[];
}

/** Explicit pads are typed only on some pool ops; tfjs accepts them at run time. */
function padOf(c: PoolCase): 'same' {
  return c.pad as 'same';
}

test(
  'MaxPool and AvgPool match cpu (same/valid/numeric/explicit pads, ceil, strides 1/2/3, rectangular windows)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(405);
    for (const c of POOLS) {
      const x = randArr(rng, c.x);
      await compareEngines(
        `maxPool ${describePool(c)}`,
        () => tf.maxPool(T(x) as tf.Tensor4D, c.k, c.s, padOf(c), rounding(c)),
        TOL,
        TORCH,
      );
      await compareEngines(
        `avgPool ${describePool(c)}`,
        () => tf.avgPool(T(x) as tf.Tensor4D, c.k, c.s, padOf(c), rounding(c)),
        TOL,
        TORCH,
      );
    }
  },
);

test('gradient of maxPool matches cpu (the first maximum of each window gets dy)', { skip: torchSkip() }, async () => {
  const rng = createRng(406);
  for (const c of POOLS) {
    const x = randArr(rng, c.x);
    const w = randArr(rng, poolOut(c));
    const attrs = { filterSize: c.k, strides: c.s, pad: c.pad, dimRoundingMode: rounding(c) };
    await compareEngines(
      `grad maxPool ${describePool(c)}`,
      (engine) => {
        if (engine === 'cpu' && c.rounding === 'ceil') {
          const y = tf.maxPool(T(x) as tf.Tensor4D, c.k, c.s, padOf(c), rounding(c));
          return tf.engine().runKernel('MaxPoolGrad', { dy: T(w), input: T(x), output: y }, attrs as never);
        }
        return tf.grad((a) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.k, c.s, padOf(c), rounding(c)), T(w))))(
          T(x),
        );
      },
      TOL,
      TORCH,
    );
  }
});

test(
  'gradient of avgPool is the exact adjoint (cpu kernel where no window is padded, else depthwise-conv reference)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(407);
    for (const c of POOLS) {
      const x = randArr(rng, c.x);
      const w = randArr(rng, poolOut(c));
      const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
      const unpadded = c.pad === 'valid';
      await compareEngines(
        `grad avgPool ${describePool(c)}`,
        (engine) => {
          if (engine === 'cpu' && !unpadded) {
            const ones = tf.ones([kh, kw, c.x[3]!, 1]) as tf.Tensor4D;
            const count = tf.depthwiseConv2d(
              tf.ones<tf.Rank.R4>(c.x as [number, number, number, number]),
              ones,
              c.s,
              padOf(c),
              'NHWC',
              1,
              rounding(c),
            );
            return tf.grad((a) =>
              tf.sum(
                tf.mul(
                  tf.div(tf.depthwiseConv2d(a as tf.Tensor4D, ones, c.s, padOf(c), 'NHWC', 1, rounding(c)), count),
                  T(w),
                ),
              ),
            )(T(x));
          }
          return tf.grad((a) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, c.k, c.s, padOf(c), rounding(c)), T(w))))(
            T(x),
          );
        },
        TOL,
        TORCH,
      );
    }
  },
);
