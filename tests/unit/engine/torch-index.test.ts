/**
 * Differential tests of the native torch engine's indexing and creation kernels (GatherV2, GatherNd, ScatterNd,
 * TensorScatterUpdate, UnsortedSegmentSum, OneHot, Fill, Range, LinSpace) against the tfjs cpu backend, on seeded
 * random data (float32, int32, bool; repeated, negative and out-of-range indices; empty tensors), and of the gradients
 * of gather and unsortedSegmentSum.
 *
 * Tolerance: gathers, one-hot and the creation kernels must match exactly (rtol 0, atol 0: Range and LinSpace
 * accumulate in float32 like the cpu backend); scatter/segment sums and gradients add values in another order,
 * compared with rtol 1e-5, atol 1e-6. int32 and bool results are always compared exactly.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineName } from '../../../src/engine/engine.js';
import { createRng, randInt, type Rng } from '../../../src/random.js';
import {
  allDtypes,
  compareEngines,
  intArr,
  randArr,
  toTensor as T,
  torchSkip,
  typedTensor,
} from '../../helpers/backends.js';
import type { Tolerance } from '../../helpers/close.js';

const EXACT: Tolerance = { rtol: 0, atol: 0 };
const SUM_TOL: Tolerance = { rtol: 1e-5, atol: 1e-6 };
const TORCH = ['torch'] as const;
const skip = torchSkip();

function ints(rng: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + randInt(rng, hi - lo));
}

async function exact(what: string, compute: (engine: EngineName) => tf.Tensor | tf.Tensor[]): Promise<void> {
  await compareEngines(what, compute, EXACT, TORCH);
}

/** Runs `f` on the torch engine and checks it throws with a message matching `re` (like cpu, which throws too). */
async function throwsOnBoth(what: string, f: () => tf.Tensor, re: RegExp): Promise<void> {
  for (const engine of ['cpu', 'torch'] as const) {
    await initEngine(engine);
    assert.throws(() => tf.tidy(f), re, `${what} (${engine}) should throw`);
  }
}

test(
  'GatherV2 matches cpu (axes incl. negative, batchDims, repeated and 2-D indices, empty, int32, bool)',
  { skip },
  async () => {
    const rng = createRng(401);
    const shape = [4, 5, 3, 2];
    const cases: { axis: number; batchDims: number; idx: number[]; idxShape: number[] }[] = [
      { axis: 0, batchDims: 0, idx: [3, 0, 0, 2, 1, 3], idxShape: [6] },
      { axis: 1, batchDims: 0, idx: ints(rng, 12, 0, 5), idxShape: [3, 4] },
      { axis: -1, batchDims: 0, idx: [1, 1, 0], idxShape: [3] },
      { axis: 2, batchDims: 0, idx: [2], idxShape: [] },
      { axis: 1, batchDims: 0, idx: [], idxShape: [0] },
      { axis: 1, batchDims: 1, idx: ints(rng, 12, 0, 5), idxShape: [4, 3] },
      { axis: 2, batchDims: 2, idx: ints(rng, 40, 0, 3), idxShape: [4, 5, 2] },
      { axis: 3, batchDims: -1, idx: ints(rng, 20, 0, 2), idxShape: [4, 5] },
    ];
    for (const [dt, x] of allDtypes(rng, shape)) {
      for (const c of cases) {
        await exact(`gather ${dt} axis ${c.axis} batchDims ${c.batchDims} indices [${c.idxShape}]`, () =>
          tf.gather(x(), tf.tensor(c.idx, c.idxShape, 'int32'), c.axis, c.batchDims),
        );
      }
    }
    const big = randArr(rng, [300, 7]);
    const rows = ints(rng, 1000, 0, 300);
    await exact('gather 1000 rows of [300,7]', () => tf.gather(T(big), tf.tensor1d(rows, 'int32')));
    await throwsOnBoth(
      'gather index out of range',
      () => tf.gather(tf.ones([3, 4]), tf.tensor1d([0, 4], 'int32'), 1),
      /GatherV2: the index value 4 is not in \[0, 3\]/,
    );
    await throwsOnBoth(
      'gather negative index',
      () => tf.gather(tf.ones([3, 4]), tf.tensor1d([-1], 'int32')),
      /GatherV2: the index value -1 is not in \[0, 2\]/,
    );
  },
);

test(
  'GatherNd matches cpu (full and partial index depth, batch of index dims, int32, bool; bad indices throw)',
  { skip },
  async () => {
    const rng = createRng(402);
    for (const [dt, x] of allDtypes(rng, [4, 3, 5])) {
      await exact(`gatherND ${dt} K=3`, () =>
        tf.gatherND(x(), tf.tensor2d([0, 0, 0, 3, 2, 4, 1, 1, 1, 3, 2, 4], [4, 3], 'int32')),
      );
      await exact(`gatherND ${dt} K=2 indices [2,2,2]`, () =>
        tf.gatherND(x(), tf.tensor3d([0, 1, 3, 2, 2, 0, 0, 1], [2, 2, 2], 'int32')),
      );
      await exact(`gatherND ${dt} K=1`, () => tf.gatherND(x(), tf.tensor2d([3, 0, 3], [3, 1], 'int32')));
      await exact(`gatherND ${dt} K=1 1-D indices`, () => tf.gatherND(x(), tf.tensor1d([2], 'int32')));
    }
    await throwsOnBoth(
      'gatherND out of range',
      () => tf.gatherND(tf.ones([2, 3]), tf.tensor2d([0, 0, 2, 0], [2, 2], 'int32')),
      /Invalid indices: 2,0 does not index into 2,3/,
    );
  },
);

test(
  'ScatterNd and TensorScatterUpdate match cpu (duplicates summed, K=1 and K=2, int32; bad indices throw)',
  { skip },
  async () => {
    const rng = createRng(403);
    const upd = randArr(rng, [6, 4]);
    const idx2 = [0, 1, 2, 2, 0, 1, 1, 0, 2, 2, 0, 0];
    await compareEngines(
      'scatterND float K=2 with duplicates',
      () => tf.scatterND(tf.tensor2d(idx2, [6, 2], 'int32'), T(upd), [3, 3, 4]),
      SUM_TOL,
      TORCH,
    );
    await compareEngines(
      'scatterND float K=1 1-D indices',
      () => tf.scatterND(tf.tensor1d([4, 0, 4, 1, 2, 0], 'int32'), T(upd), [5, 4]),
      SUM_TOL,
      TORCH,
    );
    await exact('scatterND int32 K=2 elementwise', () =>
      tf.scatterND(tf.tensor2d([0, 0, 1, 2, 0, 0, 2, 1], [4, 2], 'int32'), tf.tensor1d([5, -3, 2, 9], 'int32'), [3, 3]),
    );
    const idx3 = ints(rng, 12, 0, 3);
    await compareEngines(
      'scatterND float [2,3,2] indices',
      () => tf.scatterND(tf.tensor3d(idx3, [2, 3, 2], 'int32'), tf.ones([2, 3, 5]), [3, 3, 5]),
      SUM_TOL,
      TORCH,
    );
    await throwsOnBoth(
      'scatterND out of range',
      () => tf.scatterND(tf.tensor2d([3, 0], [1, 2], 'int32'), tf.ones([1]), [3, 3]),
      /Invalid indices: 3,0 does not index into 3,3/,
    );

    for (const [dt, x] of allDtypes(rng, [5, 3, 2])) {
      const upd3 = allDtypes(rng, [3, 3, 2]).find((c) => c[0] === dt)?.[1] as () => tf.Tensor;
      await exact(`tensorScatterUpdate ${dt} K=1`, () =>
        tf.tensorScatterUpdate(x(), tf.tensor2d([4, 0, 2], [3, 1], 'int32'), upd3()),
      );
      const upd1 = allDtypes(rng, [4]).find((c) => c[0] === dt)?.[1] as () => tf.Tensor;
      await exact(`tensorScatterUpdate ${dt} K=3`, () =>
        tf.tensorScatterUpdate(x(), tf.tensor2d([0, 0, 0, 4, 2, 1, 1, 1, 0, 3, 2, 1], [4, 3], 'int32'), upd1()),
      );
    }
  },
);

test(
  'UnsortedSegmentSum matches cpu (float32, int32, repeated, negative and out-of-range ids, 2-D ids)',
  { skip },
  async () => {
    const rng = createRng(404);
    const x = randArr(rng, [9, 4, 3]);
    const ids = [0, 5, 2, 2, -1, 7, 0, 5, 5];
    await compareEngines(
      'unsortedSegmentSum float [9,4,3]',
      () => tf.unsortedSegmentSum(T(x), tf.tensor1d(ids, 'int32'), 6),
      SUM_TOL,
      TORCH,
    );
    await compareEngines(
      'unsortedSegmentSum float 1-D',
      () => tf.unsortedSegmentSum(T(randArr(createRng(4041), [9])), tf.tensor1d(ids, 'int32'), 3),
      SUM_TOL,
      TORCH,
    );
    const xiArr = intArr(rng, [9, 2], -50, 49);
    const xi = (): tf.Tensor => typedTensor(xiArr);
    await exact('unsortedSegmentSum int32', () => tf.unsortedSegmentSum(xi(), tf.tensor1d(ids, 'int32'), 8));
    const big = randArr(rng, [500, 16]);
    const bigIds = ints(rng, 500, 0, 40);
    await compareEngines(
      'unsortedSegmentSum [500,16] 40 segments',
      () => tf.unsortedSegmentSum(T(big), tf.tensor1d(bigIds, 'int32'), 40),
      SUM_TOL,
      TORCH,
    );
    // 2-D ids: the cpu kernel only sums over the first id dimension, so its reference flattens the id dimensions.
    const x2 = randArr(rng, [3, 4, 2]);
    const ids2 = ints(rng, 12, -1, 5);
    await compareEngines(
      'unsortedSegmentSum ids [3,4]',
      (engine) => {
        const flat = engine === 'cpu';
        const ids: tf.Tensor = tf.tensor(ids2, flat ? [12] : [3, 4], 'int32');
        return tf.unsortedSegmentSum(flat ? tf.reshape(T(x2), [12, 2]) : T(x2), ids as tf.Tensor1D, 4);
      },
      SUM_TOL,
      TORCH,
    );
  },
);

test('OneHot matches cpu (2-D indices, out-of-range rows, on/off values, float32 and int32)', { skip }, async () => {
  const rng = createRng(405);
  const idx = ints(rng, 24, -2, 9);
  await exact('oneHot int32 depth 7', () => tf.oneHot(tf.tensor2d(idx, [4, 6], 'int32'), 7));
  await exact('oneHot float32 on 0.5 off -1', () => tf.oneHot(tf.tensor1d(idx, 'int32'), 9, 0.5, -1, 'float32'));
  await exact('oneHot empty', () => tf.oneHot(tf.tensor1d([], 'int32'), 3));
});

test('Fill, Range and LinSpace match cpu exactly', { skip }, async () => {
  await exact('fill float', () => tf.fill([2, 3, 1], -1.25));
  await exact('fill int32 (truncates)', () => tf.fill([4], 3.7, 'int32'));
  await exact('fill bool', () => tf.fill([2, 2], 1, 'bool'));
  await exact('fill empty', () => tf.fill([0, 3], 2));
  await exact('fill int32 NaN and beyond 2^31 (ToInt32 like Int32Array)', () => [
    tf.fill([2], NaN, 'int32'),
    tf.fill([2], 2 ** 31 + 5, 'int32'),
    tf.fill([2], -7.9, 'int32'),
  ]);
  await exact('zeros/ones', () => [tf.zeros([3, 2]), tf.ones([2], 'int32')]);
  const ranges: [number, number, number, 'float32' | 'int32'][] = [
    [0, 10, 1, 'float32'],
    [0, 1, 0.1, 'float32'],
    [-3.5, 7.25, 0.37, 'float32'],
    [5, -5, -0.7, 'float32'],
    [10, 0, 1, 'float32'],
    [3, 3, 1, 'float32'],
    [0, 5, -1, 'float32'],
    [0, 20, 3, 'int32'],
    [7, -9, -2, 'int32'],
    [0, 4, 1.5, 'int32'],
  ];
  for (const [start, stop, step, dtype] of ranges)
    await exact(`range(${start}, ${stop}, ${step}, ${dtype})`, () => tf.range(start, stop, step, dtype));
  await exact('linspace(0, 1, 7)', () => tf.linspace(0, 1, 7));
  await exact('linspace(-2.3, 9.1, 100)', () => tf.linspace(-2.3, 9.1, 100));
  await exact('linspace(4, 4, 1)', () => tf.linspace(4, 4, 1));
});

test('gradients of gather (UnsortedSegmentSum) and unsortedSegmentSum (GatherV2) match cpu', { skip }, async () => {
  const rng = createRng(406);
  const cases: { x: number[]; idx: number[]; idxShape: number[]; axis: number; batchDims: number }[] = [
    { x: [6, 4, 3], idx: [0, 2, 2, 5, 0, 0, 1], idxShape: [7], axis: 0, batchDims: 0 },
    { x: [6, 4, 3], idx: [3, 3, 0, 1], idxShape: [2, 2], axis: 1, batchDims: 0 },
    { x: [6, 4, 3], idx: [2, 1, 2], idxShape: [3], axis: -1, batchDims: 0 },
    { x: [3, 4, 2], idx: [0, 3, 3, 1, 1, 2, 2, 0, 0], idxShape: [3, 3], axis: 1, batchDims: 1 },
  ];
  for (const c of cases) {
    const x = randArr(rng, c.x);
    const outShape = tf.tidy(
      () => tf.gather(tf.zeros(c.x), tf.tensor(c.idx, c.idxShape, 'int32'), c.axis, c.batchDims).shape,
    );
    const w = randArr(rng, outShape);
    await compareEngines(
      `grad gather x [${c.x}] axis ${c.axis} batchDims ${c.batchDims}`,
      () =>
        tf.grad((t: tf.Tensor) =>
          tf.sum(tf.mul(tf.gather(t, tf.tensor(c.idx, c.idxShape, 'int32'), c.axis, c.batchDims), T(w))),
        )(T(x)),
      SUM_TOL,
      TORCH,
    );
  }
  const x = randArr(rng, [7, 3]);
  const w = randArr(rng, [4, 3]);
  await compareEngines(
    'grad unsortedSegmentSum',
    () =>
      tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(tf.unsortedSegmentSum(t, tf.tensor1d([0, 3, 3, 1, 0, 2, 1], 'int32'), 4), T(w))),
      )(T(x)),
    SUM_TOL,
    TORCH,
  );
});
