/**
 * The interpreter of a parsed graph program ({@link ./mbv3-graph.ts}): each op run with tfjs ops on named parameters
 * (`${param}.weight` / `.bias`), outputs kept in an environment keyed by node name, intermediate maps freed after their
 * last reader when no gradient is being recorded. Used by the trainable backbones ({@link ./mbv3-trainable.ts}).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { hardSwish } from './hard-swish.js';
import type { GraphOp, Operand } from './mbv3-graph.js';
import type { Params } from './types.js';

function param(params: Params, name: string, node: string): tf.Tensor {
  const v = params[name];
  if (v === undefined) throw new ValueError(`mbv3TrainableMaps: parameter '${name}' (node '${node}') not found`);
  return v;
}

function runOp(params: Params, op: GraphOp, get: (name: string) => tf.Tensor): tf.Tensor {
  const operand = (o: Operand): tf.Tensor | number => {
    if ('node' in o) return get(o.node);
    return o.constant.shape.length === 0
      ? (o.constant.values[0] as number)
      : tf.tensor(o.constant.values, o.constant.shape);
  };
  switch (op.kind) {
    case 'conv': {
      const args = {
        x: get(op.input) as tf.Tensor4D,
        filter: param(params, `${op.param}.weight`, op.node) as unknown as tf.Tensor4D,
        strides: op.stride,
        pad: op.pad,
        ...(op.hasBias ? { bias: param(params, `${op.param}.bias`, op.node) } : {}),
        activation: op.activation,
      };
      return op.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
    }
    case 'binary': {
      const a = operand(op.a);
      const b = operand(op.b);
      if (typeof a === 'number' && typeof b === 'number')
        throw new ValueError(`mbv3TrainableMaps: node '${op.node}' has two constant operands`);
      const f = op.fn === 'add' ? tf.add : op.fn === 'sub' ? tf.sub : tf.mul;
      return f(a as tf.Tensor, b as tf.Tensor);
    }
    case 'unary': {
      const x = get(op.input);
      if (op.fn === 'relu') return tf.relu(x);
      if (op.fn === 'relu6') return tf.relu6(x);
      if (op.fn === 'sigmoid') return tf.sigmoid(x);
      return tf.clone(x);
    }
    case 'mean':
      return tf.mean(get(op.input), op.axes, op.keepDims);
    case 'hardswish':
      return hardSwish(get(op.input), op.scale);
  }
}

/** The nodes an op reads. */
export function opReads(op: GraphOp): string[] {
  return op.kind === 'binary' ? [op.a, op.b].flatMap((o) => ('node' in o ? [o.node] : [])) : [op.input];
}

/**
 * Runs `ops` in order, each output stored in `env`. With `free` (no gradient being recorded), a node is disposed
 * after its last reader in `ops` unless it is in `keep`.
 */
export function runGraphOps(
  params: Params,
  ops: readonly GraphOp[],
  env: Map<string, tf.Tensor>,
  keep: ReadonlySet<string>,
  free: boolean,
): void {
  const fn = 'mbv3TrainableMaps';
  const get = (name: string): tf.Tensor => {
    const t = env.get(name);
    if (t === undefined) throw new ValueError(`${fn}: node '${name}' is read before it is computed`);
    return t;
  };
  const last = new Map<string, number>();
  ops.forEach((op, i) => opReads(op).forEach((r) => last.set(r, i)));
  ops.forEach((op, i) => {
    env.set(op.node, runOp(params, op, get));
    if (!free) return;
    for (const r of new Set(opReads(op))) {
      if (last.get(r) !== i || keep.has(r)) continue;
      env.get(r)?.dispose();
      env.delete(r);
    }
  });
}
