import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { createRng, normal } from '../../../src/random.js';
import { fuseHardSwish } from '../../../src/nn/graph-fuse.js';
import { runGraphOps } from '../../../src/nn/graph-run.js';
import { hardSwish, hardSwishOps } from '../../../src/nn/hard-swish.js';
import type { GraphOp, GraphProgram } from '../../../src/nn/mbv3-graph.js';
import { expectClose } from '../../helpers/close.js';

await initEngine();

/** The graph's fp16 1/6. */
const C = 0.1666259765625;

/** Values around both kinks (x = −3, x = 3), zero, and a spread of normal values. */
function inputs(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const edges = [-3, 3, 0, -3.0000002, -2.9999998, 2.9999998, 3.0000002, -1e-30, 1e-30, -7, 7, 1e6, -1e6];
  return Float32Array.from({ length: n }, (_, i) => edges[i] ?? 3 * normal(rng));
}

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array(Float32Array.from(t.dataSync()).buffer);
}

test('hardSwish: equals the graph ops bit for bit, forward and gradient (on every engine)', () => {
  const x = tf.tensor4d(inputs(2 * 7 * 9 * 16, 1), [2, 7, 9, 16]);
  const dy = tf.tensor4d(
    inputs(2 * 7 * 9 * 16, 2).map((v) => v / 3),
    [2, 7, 9, 16],
  );
  const loss = (f: typeof hardSwish) => (v: tf.Tensor) => tf.sum(tf.mul(f(v, C), dy));
  const [a, b] = [hardSwish(x, C), hardSwishOps(x, C)];
  assert.deepEqual(bits(a), bits(b), 'forward');
  const [ga, gb] = [tf.grad(loss(hardSwish))(x), tf.grad(loss(hardSwishOps))(x)];
  assert.deepEqual(bits(ga), bits(gb), 'gradient');
  tf.dispose([x, dy, a, b, ga, gb]);
});

test('hardSwish: the float64 formula (scale·x)·clamp(x + 3, 0, 6) and its derivative', () => {
  const xs = inputs(500, 3);
  const x = tf.tensor1d(xs);
  const y = hardSwish(x, C).dataSync();
  const g = tf
    .grad((v: tf.Tensor) => tf.sum(hardSwish(v, C)))(x)
    .dataSync();
  const want = Array.from(xs, (v) => C * v * Math.min(Math.max(v + 3, 0), 6));
  // d/dx: scale·clamp(x + 3, 0, 6) + scale·x where relu6's gradient mask holds, 0 < x + 3 ≤ 6 (on the float32 sum, as
  // the ops compute it: 3.0000002 + 3 rounds to 6)
  const inMask = (v: number) => Math.fround(v + 3) > 0 && Math.fround(v + 3) <= 6;
  const wantGrad = Array.from(xs, (v) => C * Math.min(Math.max(v + 3, 0), 6) + (inMask(v) ? C * v : 0));
  expectClose(Array.from(y), want, { rtol: 1e-6, atol: 1e-6 }, 'value');
  expectClose(Array.from(g), wantGrad, { rtol: 1e-6, atol: 1e-6 }, 'gradient');
  assert.equal(Math.abs(hardSwish(tf.tensor1d([-3]), C).dataSync()[0] as number), 0, 'zero at x = −3');
  x.dispose();
});

const node = (name: string) => ({ node: name });
const scalar = (v: number) => ({ constant: { values: [v], shape: [] } });

/** conv-free program: x → hard-swish → y, plus a second hard-swish whose `add` node is also read elsewhere. */
function program(): GraphProgram {
  const ops: GraphOp[] = [
    { kind: 'binary', node: 'hs/add', fn: 'add', a: node('in'), b: scalar(3) },
    { kind: 'unary', node: 'hs/relu6', fn: 'relu6', input: 'hs/add' },
    { kind: 'binary', node: 'hs/mul', fn: 'mul', a: scalar(C), b: node('in') },
    { kind: 'binary', node: 'hs/out', fn: 'mul', a: node('hs/relu6'), b: node('hs/mul') },
    { kind: 'binary', node: 'b/add', fn: 'add', a: node('hs/out'), b: scalar(3) },
    { kind: 'unary', node: 'b/relu6', fn: 'relu6', input: 'b/add' },
    { kind: 'binary', node: 'b/mul', fn: 'mul', a: node('hs/out'), b: scalar(C) },
    { kind: 'binary', node: 'b/out', fn: 'mul', a: node('b/mul'), b: node('b/relu6') },
    { kind: 'binary', node: 'sum', fn: 'add', a: node('b/out'), b: node('b/add') },
  ];
  return { input: 'in', ops, outputs: ['sum'], paramSources: {} };
}

test('fuseHardSwish: fuses the pattern in either operand order, keeps one whose inner node is read elsewhere', () => {
  const p = program();
  const fused = fuseHardSwish(p);
  assert.deepEqual(
    fused.ops.map((op) => `${op.kind}:${op.node}`),
    ['hardswish:hs/out', 'binary:b/add', 'unary:b/relu6', 'binary:b/mul', 'binary:b/out', 'binary:sum'],
  );
  assert.deepEqual(fused.ops[0], { kind: 'hardswish', node: 'hs/out', input: 'in', scale: C });
  // a protected inner node (e.g. a band cut) keeps its pattern unfused
  assert.equal(fuseHardSwish(p, ['hs/relu6']).ops.length, p.ops.length);
  // a different shift is not hard-swish
  const shifted = { ...p, ops: p.ops.map((op) => (op.node === 'hs/add' ? { ...op, b: scalar(2) } : op)) as GraphOp[] };
  assert.equal(fuseHardSwish(shifted).ops.length, p.ops.length);
});

test('fuseHardSwish: the fused program gives the same output and input gradient bit for bit', () => {
  const p = program();
  const fused = fuseHardSwish(p);
  const x = tf.tensor4d(inputs(3 * 5 * 4 * 8, 4), [3, 5, 4, 8]);
  const run = (prog: GraphProgram) => (v: tf.Tensor) => {
    const env = new Map<string, tf.Tensor>([['in', v]]);
    runGraphOps({}, prog.ops, env, new Set(['in', 'sum']), false);
    return tf.sum(tf.square(env.get('sum') as tf.Tensor));
  };
  const [va, vb] = [run(p)(x), run(fused)(x)];
  assert.deepEqual(bits(va), bits(vb));
  const [ga, gb] = [tf.grad(run(p))(x), tf.grad(run(fused))(x)];
  assert.deepEqual(bits(ga), bits(gb));
  tf.dispose([x, va, vb, ga, gb]);
});
