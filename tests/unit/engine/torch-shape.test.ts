/**
 * Differential tests of the native torch engine's shape and data-movement kernels (Reshape, ExpandDims, Transpose,
 * Slice, Concat, Pack, Unpack, SplitV, Tile, Reverse, PadV2, MirrorPad, SpaceToBatchND, BatchToSpaceND,
 * DepthToSpace, Diag) against the tfjs cpu backend, on seeded random float32, int32 and bool data of odd shapes,
 * negative axes and empty tensors, and of the gradients of the ops built on them (StridedSlice:
 * torch-strided-slice.test.ts).
 *
 * Tolerance: forward kernels move data only, so they must match exactly (rtol 0, atol 0; int32 and bool are always
 * compared exactly). Gradients add up contributions (tile, pad, concat…), compared with rtol 1e-5, atol 1e-6.
 */
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { EngineName } from '../../../src/engine/engine.js';
import { createRng } from '../../../src/random.js';
import { allDtypes, compareEngines, randArr, toTensor as T, torchSkip } from '../../helpers/backends.js';
import type { Tolerance } from '../../helpers/close.js';

const EXACT: Tolerance = { rtol: 0, atol: 0 };
const GRAD_TOL: Tolerance = { rtol: 1e-5, atol: 1e-6 };
const TORCH = ['torch'] as const;
const skip = torchSkip();

async function exact(what: string, compute: (engine: EngineName) => tf.Tensor | tf.Tensor[]): Promise<void> {
  await compareEngines(what, compute, EXACT, TORCH);
}

test('Reshape, ExpandDims and squeeze match cpu (-1, rank changes, empty, views, int32, bool)', { skip }, async () => {
  const rng = createRng(301);
  for (const [dt, x] of allDtypes(rng, [3, 5, 7])) {
    await exact(`reshape ${dt} [3,5,7]→[-1,7]`, () => tf.reshape(x(), [-1, 7]));
    await exact(`reshape ${dt} [3,5,7]→[105]`, () => tf.reshape(x(), [105]));
    await exact(`reshape ${dt} [3,5,7]→[7,1,-1,3]`, () => tf.reshape(x(), [7, 1, -1, 3]));
    await exact(`reshape ${dt} of a transposed view`, () => tf.reshape(tf.transpose(x(), [2, 0, 1]), [7, 15]));
    await exact(`reshape ${dt} of a sliced view`, () => tf.reshape(tf.slice(x(), [1, 1, 2], [2, 3, 4]), [-1]));
    await exact(`expandDims ${dt} axis -1`, () => tf.expandDims(x(), -1));
    await exact(`expandDims ${dt} axis 1`, () => tf.expandDims(x(), 1));
    await exact(`expandDims ${dt} axis -4`, () => tf.expandDims(x(), -4));
    await exact(`squeeze ${dt}`, () => tf.squeeze(tf.reshape(x(), [3, 1, 5, 1, 7]), [1, 3]));
  }
  await exact('reshape empty [0,3]→[3,0,1]', () => tf.reshape(tf.zeros([0, 3]), [3, 0, 1]));
  await exact('reshape scalar→[1,1]', () => tf.reshape(tf.scalar(2.5), [1, 1]));
});

test(
  'Transpose matches cpu (ranks 2–5, all kinds of perms, views fed to other kernels, empty, int32, bool)',
  { skip },
  async () => {
    const rng = createRng(302);
    const cases: [number[], number[]][] = [
      [
        [3, 5],
        [1, 0],
      ],
      [
        [2, 3, 5],
        [2, 0, 1],
      ],
      [
        [2, 3, 5],
        [1, 2, 0],
      ],
      [
        [2, 3, 5, 7],
        [0, 3, 1, 2],
      ],
      [
        [2, 3, 5, 7],
        [3, 2, 1, 0],
      ],
      [
        [2, 1, 3, 5, 2],
        [4, 1, 0, 3, 2],
      ],
      [
        [4, 0, 3],
        [2, 1, 0],
      ],
    ];
    for (const [shape, perm] of cases) {
      for (const [dt, x] of allDtypes(rng, shape)) {
        await exact(`transpose ${dt} [${shape}] perm [${perm}]`, () => tf.transpose(x(), perm));
      }
    }
    const a = randArr(rng, [3, 4, 5]);
    const b = randArr(rng, [5, 3, 4]);
    await exact('transpose view + contiguous tensor', () => tf.add(tf.transpose(T(a), [2, 0, 1]), T(b)));
    await exact('transpose of a transpose', () => tf.transpose(tf.transpose(T(a), [2, 0, 1]), [0, 2, 1]));
  },
);

test('Slice matches cpu (number and partial begin/size, -1 sizes, empty, views, int32, bool)', { skip }, async () => {
  const rng = createRng(303);
  for (const [dt, x] of allDtypes(rng, [5, 6, 7])) {
    await exact(`slice ${dt} full spec`, () => tf.slice(x(), [1, 2, 3], [3, 2, 4]));
    await exact(`slice ${dt} size -1`, () => tf.slice(x(), [2, 0, 5], [-1, 4, -1]));
    await exact(`slice ${dt} begin number`, () => tf.slice(x(), 3));
    await exact(`slice ${dt} partial begin/size`, () => tf.slice(x(), [1, 1], [2]));
    await exact(`slice ${dt} empty result`, () => tf.slice(x(), [1, 6, 0], [2, 0, 7]));
    await exact(`slice ${dt} of a transposed view`, () => tf.slice(tf.transpose(x(), [2, 1, 0]), [1, 1, 1], [5, 4, 3]));
  }
  await exact('slice 1-D', () => tf.slice(tf.tensor1d([1, 2, 3, 4, 5]), 1, 3));
  await exact('slice of an empty tensor', () => tf.slice(tf.zeros([0, 4]), [0, 1], [0, 2]));
});

test('Concat matches cpu (2–5 inputs, negative axes, empty inputs, views, int32, bool)', { skip }, async () => {
  const rng = createRng(305);
  for (const dt of ['float32', 'int32', 'bool']) {
    const pick = (shape: number[]): (() => tf.Tensor) =>
      (allDtypes(rng, shape).find((c) => c[0] === dt) as [string, () => tf.Tensor])[1];
    const a = pick([2, 3, 5]);
    const b = pick([2, 4, 5]);
    const c = pick([2, 1, 5]);
    const e = pick([2, 0, 5]);
    await exact(`concat ${dt} axis 1`, () => tf.concat([a(), b(), c()], 1));
    await exact(`concat ${dt} axis -2 with empties`, () => tf.concat([e(), a(), e(), b(), e()], -2));
    await exact(`concat ${dt} one non-empty`, () => tf.concat([e(), c(), e()], 1));
    await exact(`concat ${dt} only empties`, () => tf.concat([e(), e()], 1));
    await exact(`concat ${dt} axis 0`, () => tf.concat([a(), a(), a(), a(), a()], 0));
    await exact(`concat ${dt} axis -1 of views`, () =>
      tf.concat([tf.transpose(a(), [0, 2, 1]), tf.slice(tf.transpose(b(), [0, 2, 1]), [0, 0, 1], [2, 5, 2])], -1),
    );
  }
  await exact('concat 1-D', () => tf.concat([tf.tensor1d([1, 2]), tf.tensor1d([]), tf.tensor1d([3])]));
  await exact('concat with zero-size other dim', () => tf.concat([tf.zeros([0, 3]), tf.zeros([0, 2])], 1));
});

test('Pack, Unpack and SplitV match cpu (negative axes, -1 sizes, single input, int32, bool)', { skip }, async () => {
  const rng = createRng(306);
  for (const [dt, x] of allDtypes(rng, [3, 4, 5])) {
    const parts = (): tf.Tensor[] => [x(), tf.reverse(x(), 0), tf.reverse(x(), 2)];
    for (const axis of [0, 1, 3, -1, -2, -4]) await exact(`stack ${dt} axis ${axis}`, () => tf.stack(parts(), axis));
    await exact(`stack ${dt} single`, () => tf.stack([x()], 1));
    for (const axis of [0, 1, 2, -1, -3]) await exact(`unstack ${dt} axis ${axis}`, () => tf.unstack(x(), axis));
    await exact(`split ${dt} 2 ways axis 1`, () => tf.split(x(), 2, 1));
    await exact(`split ${dt} sizes axis -1`, () => tf.split(x(), [1, 3, 1], -1));
    await exact(`split ${dt} sizes with -1`, () => tf.split(x(), [1, -1], 2));
    await exact(`split ${dt} with empty part`, () => tf.split(x(), [0, 3], 0));
  }
});

test(
  'Tile and Reverse match cpu (ranks 1–4, reps 0/1/n, several and negative axes, scalars, int32, bool)',
  { skip },
  async () => {
    const rng = createRng(307);
    const tiles: [number[], number[]][] = [
      [[3], [4]],
      [
        [2, 3],
        [3, 1],
      ],
      [
        [2, 3, 1],
        [1, 2, 5],
      ],
      [
        [1, 3, 2, 2],
        [2, 1, 1, 3],
      ],
      [
        [2, 3],
        [0, 2],
      ],
    ];
    for (const [shape, reps] of tiles) {
      for (const [dt, x] of allDtypes(rng, shape))
        await exact(`tile ${dt} [${shape}] reps [${reps}]`, () => tf.tile(x(), reps));
    }
    for (const [dt, x] of allDtypes(rng, [3, 4, 5, 2])) {
      for (const dims of [[0], [1, 2], [-1], [0, 1, 2, 3], [3, -1], []] as number[][]) {
        await exact(`reverse ${dt} dims [${dims}]`, () => tf.reverse(x(), dims));
      }
    }
    await exact('reverse scalar', () => tf.reverse(tf.scalar(3)));
    await exact('reverse empty', () => tf.reverse(tf.zeros([0, 3]), 1));
  },
);

test(
  'PadV2 and MirrorPad match cpu (asymmetric, constant values, both modes at their limits, int32, bool)',
  { skip },
  async () => {
    const rng = createRng(308);
    for (const [dt, x] of allDtypes(rng, [3, 4, 5])) {
      await exact(`pad ${dt} zeros`, () =>
        tf.pad(x(), [
          [1, 0],
          [0, 2],
          [3, 1],
        ]),
      );
      await exact(`pad ${dt} value 1`, () =>
        tf.pad(
          x(),
          [
            [0, 0],
            [2, 2],
            [0, 0],
          ],
          1,
        ),
      );
      await exact(`pad ${dt} no padding`, () =>
        tf.pad(x(), [
          [0, 0],
          [0, 0],
          [0, 0],
        ]),
      );
      await exact(`mirrorPad ${dt} reflect max`, () =>
        tf.mirrorPad(
          x(),
          [
            [2, 1],
            [3, 3],
            [0, 4],
          ],
          'reflect',
        ),
      );
      await exact(`mirrorPad ${dt} symmetric max`, () =>
        tf.mirrorPad(
          x(),
          [
            [3, 1],
            [4, 0],
            [5, 5],
          ],
          'symmetric',
        ),
      );
    }
    await exact('pad float value -2.5', () =>
      tf.pad(
        tf.tensor2d([1, 2, 3, 4], [2, 2]),
        [
          [1, 1],
          [2, 0],
        ],
        -2.5,
      ),
    );
    await exact('pad 1-D empty', () => tf.pad(tf.tensor1d([]), [[2, 1]], 4));
    await exact('pad int32 with 2.7 and NaN (stored as an Int32Array would)', () => [
      tf.pad(tf.tensor1d([1, 2], 'int32'), [[1, 1]], 2.7),
      tf.pad(tf.tensor1d([1, 2], 'int32'), [[1, 0]], NaN),
    ]);
    const img = randArr(rng, [2, 5, 6, 3]);
    await exact('mirrorPad 4-D NHWC spatial', () =>
      tf.mirrorPad(
        T(img),
        [
          [0, 0],
          [2, 2],
          [1, 3],
          [0, 0],
        ],
        'reflect',
      ),
    );
  },
);

test('SpaceToBatchND, BatchToSpaceND, DepthToSpace and Diag match cpu', { skip }, async () => {
  const rng = createRng(309);
  const s2b: [number[], number[], number[][]][] = [
    [
      [2, 4, 6, 3],
      [2, 3],
      [
        [0, 0],
        [0, 0],
      ],
    ],
    [
      [1, 5, 7, 2],
      [2, 3],
      [
        [1, 0],
        [0, 2],
      ],
    ],
    [[3, 5, 2], [2], [[0, 1]]],
    [
      [2, 3, 4, 2, 3],
      [3, 2],
      [
        [2, 1],
        [1, 1],
      ],
    ],
  ];
  for (const [shape, block, pads] of s2b) {
    for (const [dt, x] of allDtypes(rng, shape)) {
      await exact(`spaceToBatchND ${dt} [${shape}] block [${block}] pads ${JSON.stringify(pads)}`, () =>
        tf.spaceToBatchND(x(), block, pads),
      );
    }
  }
  const b2s: [number[], number[], number[][]][] = [
    [
      [8, 2, 3, 3],
      [2, 4],
      [
        [0, 0],
        [0, 0],
      ],
    ],
    [
      [12, 2, 3, 2],
      [2, 3],
      [
        [1, 0],
        [2, 3],
      ],
    ],
    [[6, 4, 2], [3], [[1, 2]]],
  ];
  for (const [shape, block, crops] of b2s) {
    for (const [dt, x] of allDtypes(rng, shape)) {
      await exact(`batchToSpaceND ${dt} [${shape}] block [${block}] crops ${JSON.stringify(crops)}`, () =>
        tf.batchToSpaceND(x(), block, crops),
      );
    }
  }
  const d2 = randArr(rng, [2, 3, 5, 8]);
  const d3 = randArr(rng, [1, 2, 2, 18]);
  await exact('depthToSpace block 2', () => tf.depthToSpace(T(d2) as tf.Tensor4D, 2));
  await exact('depthToSpace block 3', () => tf.depthToSpace(T(d3) as tf.Tensor4D, 3));
  for (const [dt, x] of allDtypes(rng, [2, 3])) await exact(`diag ${dt} [2,3]`, () => tf.diag(x()));
  await exact('diag 1-D', () => tf.diag(tf.tensor1d([1, -2, 3])));
});

// tfjs has no gradient for StridedSlice, so it has none here either.
test('gradients of ops built on the data-movement kernels match cpu', { skip }, async () => {
  const rng = createRng(310);
  const x = randArr(rng, [3, 4, 5]);
  const grads: [string, (t: tf.Tensor) => tf.Tensor][] = [
    ['slice', (t) => tf.slice(t, [1, 0, 2], [2, 3, -1])],
    ['concat', (t) => tf.concat([t, tf.mul(t, 2), tf.slice(t, [0, 0, 0], [3, 4, 2])], -1)],
    [
      'pad',
      (t) =>
        tf.pad(
          t,
          [
            [1, 0],
            [0, 2],
            [2, 2],
          ],
          3,
        ),
    ],
    [
      'mirrorPad',
      (t) =>
        tf.mirrorPad(
          t,
          [
            [1, 1],
            [2, 0],
            [0, 3],
          ],
          'reflect',
        ),
    ],
    ['tile', (t) => tf.tile(t, [2, 1, 3])],
    ['transpose', (t) => tf.transpose(t, [2, 0, 1])],
    ['reverse', (t) => tf.reverse(t, [0, -1])],
    ['stack', (t) => tf.stack([t, tf.square(t)], 1)],
    ['unstack', (t) => tf.addN(tf.unstack(t, 1).map((u, i) => tf.mul(u, i + 1)))],
    ['split', (t) => tf.concat(tf.split(t, [2, -1, 1], 2).reverse(), 2)],
    ['reshape + expandDims', (t) => tf.expandDims(tf.reshape(t, [12, 5]), 1)],
    [
      'spaceToBatchND',
      (t) =>
        tf.spaceToBatchND(
          tf.reshape(t, [1, 3, 4, 5]),
          [2, 2],
          [
            [1, 0],
            [0, 0],
          ],
        ),
    ],
    [
      'batchToSpaceND',
      (t) =>
        tf.batchToSpaceND(
          tf.reshape(t, [4, 3, 5, 1]),
          [2, 2],
          [
            [1, 0],
            [0, 2],
          ],
        ),
    ],
  ];
  for (const [what, f] of grads) {
    const outShape = tf.tidy(() => f(T(x)).shape);
    const weight = randArr(rng, outShape);
    await compareEngines(
      `grad ${what}`,
      () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), T(weight))))(T(x)),
      GRAD_TOL,
      TORCH,
    );
  }
});
