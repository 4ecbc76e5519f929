/**
 * Differential tests of the native torch engine's matrix-product kernels (native/src/ops_matmul.cc) against the tfjs
 * cpu backend: BatchMatMul (all four transpose combinations, 2-D/3-D/4-D, batch broadcasting on either side, M or
 * N = 1), _FusedMatMul (bias shapes, every activation, prelu weights), Einsum, and the gradients of matMul and of the
 * fused matMul w.r.t. every input.
 *
 * Tolerance: rtol 1e-4, atol 1e-4 (libtorch sums in float32 through BLAS, the cpu backend in float64).
 */
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/random.js';
import { compareEngines, randArr, toTensor as T, torchSkip } from '../../helpers/backends.js';
import type { Tolerance } from '../../helpers/close.js';

const TOL: Tolerance = { rtol: 1e-4, atol: 1e-4 };
const TORCH = ['torch'] as const;

interface MatCase {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

/** Shapes of a [.., M, K] and b [.., K, N] (before the transposes) for M, K, N and the two batch shapes. */
function mat(batchA: number[], batchB: number[], m: number, k: number, n: number, ta: boolean, tb: boolean): MatCase {
  return { a: [...batchA, ...(ta ? [k, m] : [m, k])], b: [...batchB, ...(tb ? [n, k] : [k, n])], ta, tb };
}

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

const CASES: MatCase[] = FLAGS.flatMap(([ta, tb]) => [
  mat([], [], 7, 5, 9, ta, tb),
  mat([3], [3], 4, 6, 5, ta, tb),
  mat([3], [1], 4, 6, 5, ta, tb),
  mat([1], [3], 4, 6, 5, ta, tb),
  mat([2, 3], [2, 3], 3, 4, 2, ta, tb),
  mat([2, 3], [1], 5, 3, 4, ta, tb),
  mat([], [3], 4, 5, 3, ta, tb),
  mat([3], [], 4, 5, 3, ta, tb),
  mat([2], [2], 1, 7, 1, ta, tb),
  mat([], [], 1, 9, 6, ta, tb),
]);

function describe(c: MatCase): string {
  return `a [${c.a}] b [${c.b}] ${c.ta ? 'T' : 'N'}${c.tb ? 'T' : 'N'}`;
}

test(
  'BatchMatMul matches cpu (transposes, 2-D/3-D/4-D, batch broadcasting both ways, M/N = 1)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(301);
    for (const c of CASES) {
      const a = randArr(rng, c.a);
      const b = randArr(rng, c.b);
      await compareEngines(`matMul ${describe(c)}`, () => tf.matMul(T(a), T(b), c.ta, c.tb), TOL, TORCH);
    }
  },
);

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'prelu', 'leakyrelu', 'sigmoid'] as const;

test(
  '_FusedMatMul matches cpu (bias [N], [M, N], [1], batched bias, every activation, prelu weights)',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(302);
    const cases = [
      mat([], [], 6, 5, 4, false, false),
      mat([], [], 6, 5, 4, true, true),
      mat([3], [3], 4, 5, 3, false, true),
      mat([2], [1], 3, 4, 5, true, false),
    ];
    for (const c of cases) {
      const m = c.ta ? c.a[c.a.length - 1]! : c.a[c.a.length - 2]!;
      const n = c.tb ? c.b[c.b.length - 2]! : c.b[c.b.length - 1]!;
      const batch = c.a.length > 2 ? [c.a[0]!] : [];
      const a = randArr(rng, c.a);
      const b = randArr(rng, c.b);
      const biases = [randArr(rng, [n]), randArr(rng, [m, n]), randArr(rng, [1]), randArr(rng, [...batch, 1, n])];
      const alpha = randArr(rng, [n]);
      for (const act of ACTIVATIONS) {
        for (const [i, bias] of biases.entries()) {
          if (i > 0 && act !== 'linear' && act !== 'relu') continue;
          await compareEngines(
            `fused matMul ${describe(c)} bias [${bias.shape}] ${act}`,
            () =>
              tf.fused.matMul({
                a: T(a),
                b: T(b),
                transposeA: c.ta,
                transposeB: c.tb,
                bias: T(bias),
                activation: act,
                ...(act === 'prelu' ? { preluActivationWeights: T(alpha) } : {}),
                leakyreluAlpha: 0.25,
              }),
            TOL,
            TORCH,
          );
        }
      }
      await compareEngines(
        `fused matMul ${describe(c)} no bias, relu`,
        () => tf.fused.matMul({ a: T(a), b: T(b), transposeA: c.ta, transposeB: c.tb, activation: 'relu' }),
        TOL,
        TORCH,
      );
    }
  },
);

test(
  'gradients of matMul (all transposes, batched) and fused matMul (a, b, bias) match cpu',
  { skip: torchSkip() },
  async () => {
    const rng = createRng(303);
    // tfjs's matMul gradient does not sum over broadcast batch dims: only equal batch shapes have gradients.
    for (const c of CASES.filter(
      (k) => k.a.length === k.b.length && k.a.slice(0, -2).join() === k.b.slice(0, -2).join(),
    )) {
      const a = randArr(rng, c.a);
      const b = randArr(rng, c.b);
      const out = tf.tidy(() => tf.matMul(tf.zeros(c.a), tf.zeros(c.b), c.ta, c.tb).shape);
      const w = randArr(rng, out);
      await compareEngines(
        `grad matMul ${describe(c)}`,
        () => tf.grads((x, y) => tf.sum(tf.mul(tf.matMul(x, y, c.ta, c.tb), T(w))))([T(a), T(b)]),
        TOL,
        TORCH,
      );
      const bias = randArr(rng, [out[out.length - 1]!]);
      for (const act of ['linear', 'relu'] as const) {
        await compareEngines(
          `grad fused matMul ${describe(c)} ${act}`,
          () =>
            tf.grads((x, y, z) =>
              tf.sum(
                tf.mul(
                  tf.fused.matMul({ a: x, b: y, transposeA: c.ta, transposeB: c.tb, bias: z, activation: act }),
                  T(w),
                ),
              ),
            )([T(a), T(b), T(bias)]),
          TOL,
          TORCH,
        );
      }
    }
  },
);

test('Einsum matches cpu (matmul, batched, transposes, outer product, reductions)', { skip: torchSkip() }, async () => {
  const rng = createRng(304);
  const cases: { eq: string; shapes: number[][] }[] = [
    {
      eq: 'ij,jk->ik',
      shapes: [
        [4, 5],
        [5, 3],
      ],
    },
    {
      eq: 'bij,bjk->bik',
      shapes: [
        [2, 3, 4],
        [2, 4, 5],
      ],
    },
    { eq: 'ij->ji', shapes: [[3, 5]] },
    { eq: 'i,j->ij', shapes: [[4], [3]] },
    { eq: 'ij->', shapes: [[3, 4]] },
    { eq: 'ij->j', shapes: [[3, 4]] },
    {
      eq: 'bhwc,ck->bhwk',
      shapes: [
        [2, 3, 4, 5],
        [5, 6],
      ],
    },
    {
      eq: 'nd,md->nm',
      shapes: [
        [5, 3],
        [4, 3],
      ],
    },
  ];
  for (const c of cases) {
    const arrs = c.shapes.map((s) => randArr(rng, s));
    await compareEngines(`einsum ${c.eq}`, () => tf.einsum(c.eq, ...arrs.map((x) => T(x))), TOL, TORCH);
  }
});
