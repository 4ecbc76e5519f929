/**
 * Differential tests of the native torch engine's elementwise kernels (native/src/ops_unary.cc, ops_binary.cc)
 * against the tfjs cpu backend: every unary and binary kernel on seeded random inputs of odd shapes, special values
 * (NaN, ±Inf, ±0, negatives for sqrt/log, halves for round), int32 and bool inputs, broadcasting (scalar, [3,1]×[1,4],
 * rank mismatch), Cast, Select, AddN, and gradients through tf.grad/tf.grads of the ops built on these kernels.
 *
 * Tolerances (|torch − cpu| ≤ atol + rtol·|cpu|; int32 and bool results must be equal):
 *  - EXACT {rtol 1e-5, atol 1e-6}: float32 ops rounded once (add, mul, sqrt, relu, …); the cpu backend computes in
 *    float64 and rounds, libtorch computes in float32;
 *  - TRANS {rtol 2e-5, atol 1e-6}: transcendental functions (exp, log, trig, erf: tfjs's erf is a polynomial
 *    approximation with absolute error ≤ 1.5e-7), a few float32 ulp apart;
 *  - GRAD {rtol 1e-4, atol 1e-5}: gradients, chains of several float32 ops.
 */
import test from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createRng, randInt, type Rng } from '../../../src/random.js';
import {
  boolArr,
  compareEngines,
  floatArr,
  intArr,
  sizeOf,
  torchSkip,
  typedTensor,
  type TypedArr as Data,
} from '../../helpers/backends.js';
import type { Tolerance } from '../../helpers/close.js';

const ON = ['torch'] as const;
const EXACT: Tolerance = { rtol: 1e-5, atol: 1e-6 };
const TRANS: Tolerance = { rtol: 2e-5, atol: 1e-6 };
const GRAD: Tolerance = { rtol: 1e-4, atol: 1e-5 };
const skip = torchSkip();

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 100, -100, 1e-30, 3e9, -3e9];

/** Normal values times `scale`; with `specials`, the first elements are {@link SPECIAL}. */
const floats = (rng: Rng, shape: number[], scale = 3, specials = false): Data =>
  floatArr(rng, shape, scale, specials ? SPECIAL : []);

/** Values on a half-integer grid (many exact ties and halves). */
function grid(rng: Rng, shape: number[]): Data {
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = randInt(rng, 13) / 2 - 3;
  return { values, shape, dtype: 'float32' };
}

const ints = (rng: Rng, shape: number[], lo: number, hi: number): Data => intArr(rng, shape, lo, hi);
const bools = (rng: Rng, shape: number[]): Data => boolArr(rng, shape);
const T = typedTensor;

type Unary = (x: tf.Tensor) => tf.Tensor;
type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const UNARY: [string, Unary, Tolerance][] = [
  ['abs', tf.abs, EXACT],
  ['neg', tf.neg, EXACT],
  ['exp', tf.exp, TRANS],
  ['expm1', tf.expm1, TRANS],
  ['log', tf.log, TRANS],
  ['log1p', tf.log1p, TRANS],
  ['sqrt', tf.sqrt, EXACT],
  ['rsqrt', tf.rsqrt, EXACT],
  ['square', tf.square, EXACT],
  ['reciprocal', tf.reciprocal, EXACT],
  ['sign', tf.sign, EXACT],
  ['floor', tf.floor, EXACT],
  ['ceil', tf.ceil, EXACT],
  ['round', tf.round, EXACT],
  ['sin', tf.sin, TRANS],
  ['cos', tf.cos, TRANS],
  ['tan', tf.tan, TRANS],
  ['asin', tf.asin, TRANS],
  ['acos', tf.acos, TRANS],
  ['atan', tf.atan, TRANS],
  ['sinh', tf.sinh, TRANS],
  ['cosh', tf.cosh, TRANS],
  ['tanh', tf.tanh, TRANS],
  ['asinh', tf.asinh, TRANS],
  ['acosh', tf.acosh, TRANS],
  ['atanh', tf.atanh, TRANS],
  ['erf', tf.erf, TRANS],
  ['sigmoid', tf.sigmoid, TRANS],
  ['softplus', tf.softplus, TRANS],
  ['relu', tf.relu, EXACT],
  ['relu6', tf.relu6, EXACT],
  ['elu', tf.elu, TRANS],
  ['selu', tf.selu, TRANS],
  ['leakyRelu', (x) => tf.leakyRelu(x, 0.15), EXACT],
  ['step', (x) => tf.step(x), EXACT],
  ['step alpha', (x) => tf.step(x, 0.25), EXACT],
  ['clipByValue', (x) => tf.clipByValue(x, -0.7, 1.3), EXACT],
  ['isFinite', tf.isFinite, EXACT],
  ['isNaN', tf.isNaN, EXACT],
  ['isInf', tf.isInf, EXACT],
  ['zerosLike', tf.zerosLike, EXACT],
  ['onesLike', tf.onesLike, EXACT],
];

test(
  'unary float32 kernels: random odd shapes and special values (NaN, ±Inf, ±0, negatives, halves)',
  { skip },
  async () => {
    const rng = createRng(501);
    const special = floats(rng, [2, 5, 13], 3, true);
    const plain = floats(rng, [7, 3], 1);
    const scalar = floats(rng, [], 2);
    for (const [name, f, tol] of UNARY) {
      await compareEngines(`${name} (specials [2,5,13])`, () => f(T(special)), tol, ON);
      await compareEngines(`${name} ([7,3])`, () => f(T(plain)), tol, ON);
      await compareEngines(`${name} (scalar)`, () => f(T(scalar)), tol, ON);
    }
  },
);

test('round is half to even; floor/ceil/sign on halves and ±0', { skip }, async () => {
  const rng = createRng(502);
  const halves = grid(rng, [5, 9]);
  for (const [name, f] of [
    ['round', tf.round],
    ['floor', tf.floor],
    ['ceil', tf.ceil],
    ['sign', tf.sign],
  ] as const) {
    await compareEngines(`${name} (halves)`, () => f(T(halves)), EXACT, ON);
  }
});

test(
  'unary kernels on int32 inputs (run as kernels: many tfjs ops accept float32 only) keep the cpu dtypes',
  { skip },
  async () => {
    const rng = createRng(503);
    const x = ints(rng, [3, 11], -9, 9);
    const kernels: [string, object][] = [
      ['Abs', {}],
      ['Neg', {}],
      ['Square', {}],
      ['Sign', {}],
      ['Relu', {}],
      ['Relu6', {}],
      ['Step', { alpha: 0.5 }],
      ['Floor', {}],
      ['Ceil', {}],
      ['Round', {}],
      ['ClipByValue', { clipValueMin: -2.5, clipValueMax: 3.5 }],
      ['Exp', {}],
      ['Log', {}],
      ['Sqrt', {}],
      ['Rsqrt', {}],
      ['Reciprocal', {}],
      ['Sigmoid', {}],
      ['Tanh', {}],
      ['Erf', {}],
      ['Softplus', {}],
      ['Elu', {}],
      ['LeakyRelu', { alpha: 0.3 }],
      ['ZerosLike', {}],
      ['OnesLike', {}],
      ['IsFinite', {}],
      ['IsNan', {}],
    ];
    for (const [name, attrs] of kernels) {
      await compareEngines(
        `${name} (int32)`,
        () => tf.engine().runKernel(name, { x: T(x) }, attrs as tf.NamedAttrMap) as tf.Tensor,
        EXACT,
        ON,
      );
    }
  },
);

test('prelu broadcasts alpha; logicalNot on bool', { skip }, async () => {
  const rng = createRng(504);
  const x = floats(rng, [2, 5, 7], 2, true);
  const alpha = floats(rng, [7], 0.5);
  await compareEngines('prelu [2,5,7] alpha [7]', () => tf.prelu(T(x), T(alpha)), EXACT, ON);
  await compareEngines('prelu scalar alpha', () => tf.prelu(T(x), tf.scalar(0.2)), EXACT, ON);
  const b = bools(rng, [4, 9]);
  await compareEngines('logicalNot', () => tf.logicalNot(T(b)), EXACT, ON);
});

test(
  'cast: float32 → int32 truncates toward zero (NaN/±Inf → 0, wraps mod 2^32), → bool is x ≠ 0',
  { skip },
  async () => {
    const rng = createRng(505);
    const x = floats(rng, [3, 7], 4, true);
    const wide: Data = {
      values: new Float32Array([
        2147483647,
        2147483648,
        -2147483649,
        4294967296 + 4096,
        1e20,
        -1e20,
        3.4e38,
        -7.9,
        7.9,
      ]),
      shape: [9],
      dtype: 'float32',
    };
    const i = ints(rng, [4, 5], -3, 3);
    const b = bools(rng, [6]);
    await compareEngines('cast float32 → int32', () => tf.cast(T(x), 'int32'), EXACT, ON);
    await compareEngines('cast float32 → int32 (out of range)', () => tf.cast(T(wide), 'int32'), EXACT, ON);
    await compareEngines('cast float32 → bool', () => tf.cast(T(x), 'bool'), EXACT, ON);
    await compareEngines('cast int32 → float32', () => tf.cast(T(i), 'float32'), EXACT, ON);
    await compareEngines('cast int32 → bool', () => tf.cast(T(i), 'bool'), EXACT, ON);
    await compareEngines('cast bool → float32', () => tf.cast(T(b), 'float32'), EXACT, ON);
    await compareEngines('cast bool → int32', () => tf.cast(T(b), 'int32'), EXACT, ON);
    await compareEngines('cast float32 → float32 (shared)', () => tf.cast(T(x), 'float32'), EXACT, ON);
  },
);

const BINARY: [string, Binary][] = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
  ['floorDiv', tf.floorDiv],
  ['mod', tf.mod],
  ['maximum', tf.maximum],
  ['minimum', tf.minimum],
  ['squaredDifference', tf.squaredDifference],
  ['atan2', tf.atan2],
  ['equal', tf.equal],
  ['notEqual', tf.notEqual],
  ['less', tf.less],
  ['lessEqual', tf.lessEqual],
  ['greater', tf.greater],
  ['greaterEqual', tf.greaterEqual],
];

/** Pairs of broadcast shapes: equal, [3,1]×[1,4], scalar on either side, rank mismatch. */
const SHAPES: [number[], number[]][] = [
  [
    [2, 3, 5],
    [2, 3, 5],
  ],
  [
    [3, 1],
    [1, 4],
  ],
  [[], [2, 3]],
  [[2, 3], []],
  [[2, 3, 4], [4]],
  [[5], [2, 1, 5]],
  [[1], [3, 2]],
];

test('binary float32 kernels with broadcasting (ties on a half-integer grid for comparisons)', { skip }, async () => {
  const rng = createRng(506);
  for (const [sa, sb] of SHAPES) {
    const a = grid(rng, sa);
    const b = grid(rng, sb);
    const an = floats(rng, sa, 2);
    const bn = floats(rng, sb, 2);
    for (const [name, f] of BINARY) {
      await compareEngines(`${name} grid ${JSON.stringify(sa)}×${JSON.stringify(sb)}`, () => f(T(a), T(b)), TRANS, ON);
      await compareEngines(
        `${name} normal ${JSON.stringify(sa)}×${JSON.stringify(sb)}`,
        () => f(T(an), T(bn)),
        TRANS,
        ON,
      );
    }
  }
});

test(
  'binary kernels on special values (NaN, ±Inf, ±0): max/min propagate NaN, mod by 0, div by 0',
  { skip },
  async () => {
    const vals = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2.5, -7];
    const n = vals.length;
    const av = new Float32Array(n * n);
    const bv = new Float32Array(n * n);
    vals.forEach((p, i) =>
      vals.forEach((q, j) => {
        av[i * n + j] = p;
        bv[i * n + j] = q;
      }),
    );
    const a: Data = { values: av, shape: [n, n], dtype: 'float32' };
    const b: Data = { values: bv, shape: [n, n], dtype: 'float32' };
    for (const [name, f] of [...BINARY, ['pow', tf.pow] as [string, Binary]])
      await compareEngines(`${name} (specials)`, () => f(T(a), T(b)), TRANS, ON);
  },
);

test('pow: random bases and exponents, negative bases, broadcast scalar exponent', { skip }, async () => {
  const rng = createRng(507);
  const base = floats(rng, [4, 7], 1.5);
  const exp = floats(rng, [4, 7], 1.5);
  const pos = floats(rng, [4, 7], 1);
  await compareEngines('pow (mixed signs)', () => tf.pow(T(base), T(exp)), TRANS, ON);
  await compareEngines('pow (positive base)', () => tf.pow(tf.add(tf.abs(T(pos)), 0.1), T(exp)), TRANS, ON);
  await compareEngines('pow scalar exponent 2', () => tf.pow(T(base), tf.scalar(2)), TRANS, ON);
  await compareEngines('pow scalar exponent 0.5', () => tf.pow(T(base), tf.scalar(0.5)), TRANS, ON);
  const col = floats(rng, [3, 1]);
  const row = floats(rng, [1, 4]);
  await compareEngines('pow [3,1]×[1,4]', () => tf.pow(tf.abs(T(col)), T(row)), TRANS, ON);
});

test('binary kernels on int32 stay int32 (division by zero, negative operands, int pow)', { skip }, async () => {
  const rng = createRng(508);
  for (const [sa, sb] of SHAPES) {
    const a = ints(rng, sa, -20, 20);
    const b = ints(rng, sb, -4, 4);
    for (const [name, f] of [...BINARY.filter(([n]) => n !== 'atan2'), ['pow', tf.pow] as [string, Binary]]) {
      await compareEngines(`${name} int32 ${JSON.stringify(sa)}×${JSON.stringify(sb)}`, () => f(T(a), T(b)), EXACT, ON);
    }
    await compareEngines(
      `RealDiv kernel int32 ${JSON.stringify(sa)}`,
      () => tf.engine().runKernel('RealDiv', { a: T(a), b: T(b) }) as tf.Tensor,
      EXACT,
      ON,
    );
  }
  const x = ints(rng, [5, 6], -1000, 1000);
  const y = ints(rng, [5, 6], -1000, 1000);
  await compareEngines('mul int32 large', () => tf.mul(T(x), T(y)), EXACT, ON);
  const f = floats(rng, [5, 6]);
  await compareEngines('add int32 + float32 (upcast)', () => tf.add(T(x), T(f)), EXACT, ON);
});

test('logicalAnd/logicalOr on bool with broadcasting; comparisons on bool', { skip }, async () => {
  const rng = createRng(509);
  for (const [sa, sb] of SHAPES) {
    const a = bools(rng, sa);
    const b = bools(rng, sb);
    await compareEngines(`logicalAnd ${JSON.stringify(sa)}`, () => tf.logicalAnd(T(a), T(b)), EXACT, ON);
    await compareEngines(`logicalOr ${JSON.stringify(sa)}`, () => tf.logicalOr(T(a), T(b)), EXACT, ON);
    await compareEngines(`equal bool ${JSON.stringify(sa)}`, () => tf.equal(T(a), T(b)), EXACT, ON);
  }
});

test(
  'select (where): same shapes, broadcasting, int32 branches, rank-1 condition of the kernel',
  { skip },
  async () => {
    const rng = createRng(510);
    const c = bools(rng, [4, 6]);
    const [p, q] = [floats(rng, [4, 6]), floats(rng, [4, 6])];
    const [pi, qi] = [ints(rng, [4, 6], -5, 5), ints(rng, [4, 6], -5, 5)];
    await compareEngines('where [4,6]', () => tf.where(T(c), T(p), T(q)), EXACT, ON);
    await compareEngines('where int32', () => tf.where(T(c), T(pi), T(qi)), EXACT, ON);
    const c1 = bools(rng, [4]);
    const t = floats(rng, [4, 3, 2]);
    const e = floats(rng, [4, 3, 2]);
    // A rank-1 condition picks whole rows (TensorFlow's semantics). The cpu kernel repeats t[i]/e[i] instead of
    // copying row i (a tfjs cpu bug; tf.where always broadcasts the condition first), so its reference is tf.where.
    const rows = (engine: string): tf.Tensor =>
      engine === 'cpu'
        ? tf.where(tf.broadcastTo(tf.reshape(T(c1), [4, 1, 1]), [4, 3, 2]), T(t), T(e))
        : (tf.engine().runKernel('Select', { condition: T(c1), t: T(t), e: T(e) }) as tf.Tensor);
    await compareEngines('Select kernel rank-1 condition', rows, EXACT, ON);
    const [cb, tb] = [bools(rng, [3, 1]), floats(rng, [1, 4])];
    await compareEngines('where broadcast [3,1]/[1,4]/scalar', () => tf.where(T(cb), T(tb), tf.scalar(7)), EXACT, ON);
  },
);

test('addN of 1, 2, 3 and 5 tensors (float32 and int32)', { skip }, async () => {
  const rng = createRng(511);
  for (const n of [1, 2, 3, 5]) {
    const xs = Array.from({ length: n }, () => floats(rng, [3, 5, 2]));
    const is = Array.from({ length: n }, () => ints(rng, [7], -50, 50));
    await compareEngines(`addN ×${n}`, () => tf.addN(xs.map(T)), EXACT, ON);
    await compareEngines(`addN int32 ×${n}`, () => tf.addN(is.map(T)), EXACT, ON);
  }
});

const GRAD_UNARY: [string, Unary][] = [
  ['exp', tf.exp],
  ['log', (x) => tf.log(tf.add(tf.abs(x), 0.5))],
  ['sqrt', (x) => tf.sqrt(tf.add(tf.abs(x), 0.5))],
  ['rsqrt', (x) => tf.rsqrt(tf.add(tf.abs(x), 0.5))],
  ['square', tf.square],
  ['reciprocal', (x) => tf.reciprocal(tf.add(tf.abs(x), 0.5))],
  ['relu', tf.relu],
  ['relu6', (x) => tf.relu6(tf.mul(x, 4))],
  ['elu', tf.elu],
  ['selu', tf.selu],
  ['sigmoid', tf.sigmoid],
  ['tanh', tf.tanh],
  ['softplus', tf.softplus],
  ['erf', tf.erf],
  ['leakyRelu', (x) => tf.leakyRelu(x, 0.2)],
  ['abs', tf.abs],
  ['clipByValue', (x) => tf.clipByValue(x, -0.5, 0.8)],
  ['sin', tf.sin],
  ['cos', tf.cos],
  ['atan', tf.atan],
  ['expm1', tf.expm1],
  ['log1p', (x) => tf.log1p(tf.abs(x))],
  ['neg', tf.neg],
  ['prelu', (x) => tf.prelu(x, tf.fill([7], 0.3))],
  ['asinh', tf.asinh],
  ['sinh', tf.sinh],
  ['cosh', tf.cosh],
];

test('gradients of unary ops (tf.grad of sum(f(x)·w))', { skip }, async () => {
  const rng = createRng(512);
  const x = floats(rng, [3, 5, 7], 1.5);
  const w = floats(rng, [3, 5, 7], 1);
  for (const [name, f] of GRAD_UNARY) {
    await compareEngines(`grad ${name}`, () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), T(w))))(T(x)), GRAD, ON);
  }
});

test('gradients of binary ops, same shape and broadcast [3,1]×[1,4]', { skip }, async () => {
  const rng = createRng(513);
  const ops: [string, Binary][] = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', tf.div],
    ['maximum', tf.maximum],
    ['minimum', tf.minimum],
    ['squaredDifference', tf.squaredDifference],
    ['atan2', tf.atan2],
    ['pow', (a, b) => tf.pow(tf.add(tf.abs(a), 0.2), b)],
  ];
  for (const [sa, sb] of [
    [
      [4, 6],
      [4, 6],
    ],
    [
      [3, 1],
      [1, 4],
    ],
  ] as [number[], number[]][]) {
    const a = floats(rng, sa, 1.5);
    const b = floats(rng, sb, 1.5);
    const w = floats(rng, tf.backend_util.assertAndGetBroadcastShape(sa, sb), 1);
    const cond = bools(rng, tf.backend_util.assertAndGetBroadcastShape(sa, sb));
    // tfjs's maximum/minimum/squaredDifference gradients do not reduce over broadcast axes (they fail on every backend).
    const same = sa.join() === sb.join();
    const noBroadcastGrad = ['maximum', 'minimum', 'squaredDifference'];
    for (const [name, f] of [
      ...ops.filter(([n]) => same || !noBroadcastGrad.includes(n)),
      ['where', (p: tf.Tensor, q: tf.Tensor) => tf.where(T(cond), p, q)] as [string, Binary],
    ]) {
      await compareEngines(
        `grads ${name} ${JSON.stringify(sa)}×${JSON.stringify(sb)}`,
        () => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(f(p, q), T(w))))([T(a), T(b)]),
        GRAD,
        ON,
      );
    }
  }
});
