/**
 * Differential tests of the native torch engine's StridedSlice kernel against the tfjs cpu backend: every mask
 * (begin, end, ellipsis, newAxis, shrinkAxis), negative strides and indices, clamping, empty results, float32, int32
 * and bool data, and 60 seeded random specifications.
 *
 * Tolerance: a pure data movement, so the results must match exactly (rtol 0, atol 0).
 */
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { EngineName } from '../../../src/engine/engine.js';
import { createRng, randInt, type Rng } from '../../../src/random.js';
import { compareEngines, randArr, toTensor as T, torchSkip } from '../../helpers/backends.js';

const skip = torchSkip();

/** float32, int32 (in [-50, 50)) and bool versions of one shape. */
function allTypes(rng: Rng, shape: number[]): [string, () => tf.Tensor][] {
  const n = shape.reduce((p, d) => p * d, 1);
  const f = randArr(rng, shape);
  const i = Int32Array.from({ length: n }, () => randInt(rng, 100) - 50);
  const b = Uint8Array.from({ length: n }, () => randInt(rng, 2));
  return [
    ['float32', () => T(f)],
    ['int32', () => tf.tensor(i, shape, 'int32')],
    ['bool', () => tf.tensor(b, shape, 'bool')],
  ];
}

async function exact(what: string, compute: (engine: EngineName) => tf.Tensor): Promise<void> {
  await compareEngines(what, compute, { rtol: 0, atol: 0 }, ['torch']);
}

interface StridedSpec {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

/**
 * Reference strided slice built from gathers along each dimension (with tfjs's own sliceInfo normalisation): the cpu
 * StridedSlice kernel is wrong when a shrink axis is combined with a non-unit stride (its general path indexes the
 * input with the shrunk output rank), so those cases are checked against this on the cpu engine.
 */
function stridedRef(x: tf.Tensor, s: StridedSpec): tf.Tensor {
  const info = tf.slice_util.sliceInfo(
    x.shape,
    s.begin,
    s.end,
    s.strides,
    s.beginMask,
    s.endMask,
    s.ellipsisMask,
    s.newAxisMask,
    s.shrinkAxisMask,
  );
  let t = x;
  x.shape.forEach((_, d) => {
    const b = info.begin[d] as number;
    const st = info.strides[d] as number;
    const len = (info.end[d] as number) - b;
    const n = len === 0 || len < 0 !== st < 0 ? 0 : Math.trunc(len / st) + (len % st !== 0 ? 1 : 0);
    t = tf.gather(
      t,
      tf.tensor1d(
        Array.from({ length: n }, (_, k) => b + k * st),
        'int32',
      ),
      d,
    );
  });
  return tf.reshape(t, info.finalShape);
}

/**
 * Whether the cpu kernel gets this slice wrong: a shrink axis with a non-unit stride (general path), or an empty
 * interval on its fast path (it then asks Slice for a negative size and throws).
 */
function cpuStridedSliceIsWrong(shape: number[], s: StridedSpec): boolean {
  const info = tf.slice_util.sliceInfo(
    shape,
    s.begin,
    s.end,
    s.strides,
    s.beginMask,
    s.endMask,
    s.ellipsisMask,
    s.newAxisMask,
    s.shrinkAxisMask,
  );
  if (info.isIdentity) return false;
  if (!info.sliceDim0 && !info.isSimpleSlice) return s.shrinkAxisMask !== 0;
  return tf.slice_util.computeOutShape(info.begin, info.end, info.strides).some((d) => d < 0);
}

async function compareStrided(what: string, shape: number[], x: () => tf.Tensor, s: StridedSpec): Promise<void> {
  const viaRef = cpuStridedSliceIsWrong(shape, s);
  await exact(what, (engine) =>
    engine === 'cpu' && viaRef
      ? stridedRef(x(), s)
      : tf.stridedSlice(
          x(),
          s.begin,
          s.end,
          s.strides,
          s.beginMask,
          s.endMask,
          s.ellipsisMask,
          s.newAxisMask,
          s.shrinkAxisMask,
        ),
  );
}

function spec(begin: number[], end: number[], strides: number[], masks: Partial<StridedSpec> = {}): StridedSpec {
  return {
    begin,
    end,
    strides,
    beginMask: 0,
    endMask: 0,
    ellipsisMask: 0,
    newAxisMask: 0,
    shrinkAxisMask: 0,
    ...masks,
  };
}

test(
  'StridedSlice matches cpu (every mask, negative strides and indices, clamping, empty, int32, bool)',
  { skip },
  async () => {
    const rng = createRng(304);
    const shape = [5, 4, 7];
    const cases: [string, StridedSpec][] = [
      ['plain', spec([1, 0, 2], [4, 3, 7], [1, 1, 1])],
      ['strides 2,1,3', spec([0, 1, 1], [5, 4, 7], [2, 1, 3])],
      ['negative strides', spec([4, 3, 6], [0, 0, 0], [-1, -2, -3])],
      ['negative stride to the start (endMask)', spec([3, 2, 5], [0, 0, 0], [-1, -1, -2], { endMask: 7 })],
      ['negative begin/end', spec([-4, -3, -6], [-1, -1, -2], [1, 1, 2])],
      ['out-of-range clamped', spec([-20, 1, 3], [20, 99, 100], [1, 2, 1])],
      ['beginMask', spec([3, 3, 3], [5, 4, 6], [1, 1, 1], { beginMask: 5 })],
      ['endMask', spec([1, 1, 1], [2, 2, 2], [1, 1, 2], { endMask: 6 })],
      ['ellipsis first', spec([0, 1], [0, 5], [1, 2], { ellipsisMask: 1 })],
      ['ellipsis middle', spec([1, 0, 2], [3, 0, 6], [1, 1, 1], { ellipsisMask: 2 })],
      ['newAxis', spec([0, 1, 0, 2], [0, 4, 0, 5], [1, 1, 1, 1], { newAxisMask: 5 })],
      ['newAxis + ellipsis', spec([0, 0, 1], [0, 0, 3], [1, 1, 1], { newAxisMask: 1, ellipsisMask: 2 })],
      ['shrink axis 0', spec([2, 0, 0], [3, 4, 7], [1, 1, 1], { shrinkAxisMask: 1 })],
      ['shrink negative index', spec([-1, 0, -2], [0, 4, -1], [1, 1, 1], { shrinkAxisMask: 5 })],
      ['shrink middle with stride', spec([0, 1, 0], [5, 2, 7], [1, 1, 2], { shrinkAxisMask: 2 })],
      [
        'shrink with negative stride elsewhere',
        spec([4, 2, 6], [0, 3, 0], [-2, 1, -3], { shrinkAxisMask: 2, endMask: 1 }),
      ],
      [
        'all masks',
        spec([0, 1, 0, 3], [0, 2, 0, 0], [1, 1, 1, -1], {
          newAxisMask: 1,
          shrinkAxisMask: 2,
          ellipsisMask: 4,
          endMask: 8,
        }),
      ],
      ['empty: begin ≥ end', spec([3, 0, 0], [1, 4, 7], [1, 1, 1])],
      ['empty: wrong stride sign', spec([1, 0, 0], [4, 4, 7], [-1, 1, 1])],
    ];
    for (const [what, s] of cases) {
      for (const [dt, x] of allTypes(rng, shape)) await compareStrided(`stridedSlice ${dt} ${what}`, shape, x, s);
    }
    // Random specifications (begin/end in [-9, 9), strides ±1…3, random masks) on a 4-D tensor.
    const shape4 = [3, 5, 4, 6];
    const x4 = randArr(rng, shape4);
    for (let k = 0; k < 60; k++) {
      const n = 1 + randInt(rng, 4);
      const ellipsis = randInt(rng, 3) === 0 ? 1 << randInt(rng, n) : 0;
      const newAxis = randInt(rng, 3) === 0 ? randInt(rng, 1 << n) & ~ellipsis : 0;
      const strides = Array.from({ length: n }, () => (1 + randInt(rng, 3)) * (randInt(rng, 3) === 0 ? -1 : 1));
      const shrink =
        randInt(rng, 3) === 0
          ? randInt(rng, 1 << n) & ~ellipsis & ~newAxis & strides.reduce((m, st, i) => (st > 0 ? m | (1 << i) : m), 0)
          : 0;
      // A shrunk axis needs an in-range begin.
      const begin = Array.from({ length: n }, (_, i) =>
        (shrink >> i) & 1 ? randInt(rng, 3) - 3 + (randInt(rng, 2) ? 3 : 0) : randInt(rng, 18) - 9,
      );
      const s = spec(
        begin,
        Array.from({ length: n }, () => randInt(rng, 18) - 9),
        strides,
        {
          beginMask: randInt(rng, 1 << n),
          endMask: randInt(rng, 1 << n),
          ellipsisMask: ellipsis,
          newAxisMask: newAxis,
          shrinkAxisMask: shrink,
        },
      );
      await compareStrided(`stridedSlice random #${k} ${JSON.stringify(s)}`, shape4, () => T(x4), s);
    }
  },
);
