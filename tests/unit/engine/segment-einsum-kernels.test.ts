/**
 * Differential tests of the wasm UnsortedSegmentSum and Einsum kernels against the tfjs cpu backend, and of the
 * gradient of gather (which needs UnsortedSegmentSum) with repeated indices, several axes and batchDims.
 *
 * Tolerance: |wasm − cpu| ≤ 1e-4 + 1e-4·|cpu| elementwise (rtol 1e-4, atol 1e-4); int32 results must be equal.
 */
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/random.js';
import { compareEngines, randArr, toTensor as T } from '../../helpers/backends.js';

test('UnsortedSegmentSum kernel matches cpu (repeated, negative and out-of-range ids, 2-D ids, int32)', async () => {
  const rng = createRng(201);
  const x1 = randArr(rng, [7, 3, 2]);
  const x2 = randArr(rng, [4, 3, 2]);
  const x3 = randArr(rng, [5]);
  const cases: { what: string; x: () => tf.Tensor; ids: number[]; idsShape: number[]; numSegments: number }[] = [
    { what: 'x [7,3,2]', x: () => T(x1), ids: [0, 4, 4, -1, 2, 9, 0], idsShape: [7], numSegments: 5 },
    {
      what: 'x [4,3,2] ids [4,3]',
      x: () => T(x2),
      ids: [5, 0, 5, 1, 1, 2, 3, 3, 3, 0, 4, 5],
      idsShape: [4, 3],
      numSegments: 6,
    },
    { what: 'x [5]', x: () => T(x3), ids: [0, 0, 1, 1, 2], idsShape: [5], numSegments: 3 },
    {
      what: 'int32 x [6,2]',
      x: () => tf.tensor2d([1, -2, 3, 4, 5, 6, 7, 8, 9, 10, -11, 12], [6, 2], 'int32'),
      ids: [1, 1, 0, 3, 3, 3],
      idsShape: [6],
      numSegments: 4,
    },
  ];
  for (const c of cases) {
    await compareEngines(`UnsortedSegmentSum ${c.what}`, (engine) => {
      // The cpu kernel mishandles ids of rank > 1; its reference flattens the id dims (same sum by definition).
      const flat = engine === 'cpu' && c.idsShape.length > 1;
      const x = c.x();
      const rank = c.idsShape.length;
      const xIn = flat ? tf.reshape(x, [c.ids.length, ...x.shape.slice(rank)]) : x;
      const ids = tf.tensor(c.ids, flat ? [c.ids.length] : c.idsShape, 'int32');
      return tf.engine().runKernel('UnsortedSegmentSum', { x: xIn, segmentIds: ids }, { numSegments: c.numSegments });
    });
  }
});

test('gradient of gather matches cpu (repeated indices, axis 0/1/2, 2-D indices, batchDims 1)', async () => {
  const rng = createRng(202);
  const cases: { x: number[]; indices: number[]; indicesShape: number[]; axis: number; batchDims: number }[] = [
    { x: [5, 4, 3], indices: [0, 2, 2, 4, 0], indicesShape: [5], axis: 0, batchDims: 0 },
    { x: [5, 4, 3], indices: [3, 3, 0, 1, 3], indicesShape: [5], axis: 1, batchDims: 0 },
    { x: [2, 3, 6], indices: [1, 1, 5, 0], indicesShape: [2, 2], axis: 2, batchDims: 0 },
    { x: [3, 4, 2], indices: [0, 3, 3, 1, 1, 2, 2, 0, 0], indicesShape: [3, 3], axis: 1, batchDims: 1 },
  ];
  for (const c of cases) {
    const x = randArr(rng, c.x);
    const outShape = c.x.slice(0, c.axis).concat(c.indicesShape.slice(c.batchDims), c.x.slice(c.axis + 1));
    const w = randArr(rng, outShape);
    await compareEngines(`grad gather x [${c.x}] axis ${c.axis} batchDims ${c.batchDims}`, () =>
      tf.grad((a) =>
        tf.sum(tf.mul(tf.gather(a, tf.tensor(c.indices, c.indicesShape, 'int32'), c.axis, c.batchDims), T(w))),
      )(T(x)),
    );
  }
});

test('Einsum kernel matches cpu (matmul, batched, transpose, outer, reductions, identity, int32)', async () => {
  const rng = createRng(203);
  const cases: { eq: string; shapes: number[][] }[] = [
    {
      eq: 'ij,jk->ik',
      shapes: [
        [3, 4],
        [4, 5],
      ],
    },
    {
      eq: 'bij,bjk->bik',
      shapes: [
        [2, 3, 4],
        [2, 4, 5],
      ],
    },
    {
      eq: 'bhqd,bhkd->bhqk',
      shapes: [
        [2, 2, 3, 4],
        [2, 2, 5, 4],
      ],
    },
    { eq: 'ij->ji', shapes: [[3, 5]] },
    { eq: 'i,j->ij', shapes: [[4], [3]] },
    { eq: 'ij,j->i', shapes: [[3, 4], [4]] },
    { eq: 'ij->i', shapes: [[3, 4]] },
    {
      eq: 'ij,ij->',
      shapes: [
        [3, 4],
        [3, 4],
      ],
    },
    { eq: 'ij->ij', shapes: [[2, 3]] },
  ];
  for (const c of cases) {
    const arrs = c.shapes.map((s) => randArr(rng, s));
    await compareEngines(`Einsum '${c.eq}'`, () => tf.einsum(c.eq, ...arrs.map(T)));
  }
  await compareEngines(`Einsum int32 'ij,jk->ik'`, () =>
    tf.einsum(
      'ij,jk->ik',
      tf.tensor2d([1, 2, -3, 4, 5, 6], [2, 3], 'int32'),
      tf.tensor2d([7, -8, 9, 10, 11, 12], [3, 2], 'int32'),
    ),
  );
});
