/**
 * Reads a tfjs graph-model JSON (the COCO MobileNetV3 of `@vladmandic/human`, {@link ./mbv3-backbone.ts}) into a small
 * typed program that the project's own ops can run ({@link ./mbv3-trainable.ts}): the nodes from the input Placeholder
 * to the requested output nodes, in topological order, with every convolution's weight and bias as a named parameter.
 *
 * Supported ops: Placeholder, Const, Conv2D, DepthwiseConv2dNative, _FusedConv2D and FusedDepthwiseConv2dNative (NHWC,
 * SAME/VALID padding, dilation 1, fused BiasAdd with optional Relu/Relu6), Add/AddV2/Sub/Mul (tensor or constant
 * operands), Relu, Relu6, Sigmoid, Identity, Mean. Anything else raises a FormatError naming the node and its op.
 *
 * In the centernet graph batch norm is already folded into the convolutions (`Conv2D_bn_offset` biases, no
 * FusedBatchNorm op left), hard-swish is `x/6 · relu6(x + 3)` as Mul/Add/Relu6/Mul, squeeze-excite is
 * Mean → 1×1 conv + Relu → 1×1 conv → hard-sigmoid (Add/Relu6/Mul) → Mul, and there is no input normalisation node
 * (the first convolution reads 0..255 RGB directly).
 *
 * Parameter names: `backbone.` + the folder of the weight constant without the leading `tower_0/`, '/' → '.', then
 * `.weight` / `.bias`, e.g. `backbone.MobilenetV3.expanded_conv_3.expand.weight`, `backbone.extern1.bias`.
 */
import * as tf from '@tensorflow/tfjs';
import { FormatError } from '../errors.js';

/** A binary operand: another node's output or a constant (values taken from the weights at parse time). */
export type Operand = { node: string } | { constant: { values: number[]; shape: number[] } };

/** One step of the program; `node` names its output. */
export type GraphOp =
  | {
      kind: 'conv';
      node: string;
      input: string;
      depthwise: boolean;
      /** Parameter base name: `${param}.weight` [kh, kw, Cin, Cout] (depthwise: [kh, kw, C, 1]), `${param}.bias`. */
      param: string;
      hasBias: boolean;
      stride: [number, number];
      pad: 'same' | 'valid';
      activation: 'linear' | 'relu' | 'relu6';
    }
  | { kind: 'binary'; node: string; fn: 'add' | 'sub' | 'mul'; a: Operand; b: Operand }
  | { kind: 'unary'; node: string; fn: 'relu' | 'relu6' | 'sigmoid' | 'identity'; input: string }
  | { kind: 'mean'; node: string; input: string; axes: number[]; keepDims: boolean }
  /** (scale·x) · relu6(x + 3): the graph's four hard-swish nodes as one op (`graph-fuse.ts`, `hard-swish.ts`). */
  | { kind: 'hardswish'; node: string; input: string; scale: number };

/** The parsed program and the initial values of its parameters. */
export interface GraphProgram {
  /** Name of the input Placeholder. */
  input: string;
  ops: GraphOp[];
  /** Requested output nodes. */
  outputs: string[];
  /** Parameter name (`….weight` / `….bias`) → graph constant it was read from. */
  paramSources: Record<string, string>;
}

interface AttrValue {
  s?: string;
  i?: string;
  b?: boolean;
  f?: number;
  list?: { i?: string[]; s?: string[] };
}
interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}
interface GraphJson {
  modelTopology?: { node?: GraphNode[] };
  weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[];
}

const BINARY: Record<string, 'add' | 'sub' | 'mul'> = { Add: 'add', AddV2: 'add', Sub: 'sub', Mul: 'mul' };
const UNARY: Record<string, 'relu' | 'relu6' | 'sigmoid' | 'identity'> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Sigmoid: 'sigmoid',
  Identity: 'identity',
};
const CONVS = ['Conv2D', 'DepthwiseConv2dNative', '_FusedConv2D', 'FusedDepthwiseConv2dNative'];
const SUPPORTED = new Set(['Placeholder', 'Const', 'Mean', ...CONVS, ...Object.keys(BINARY), ...Object.keys(UNARY)]);

/** The graph's nodes and weight specs; FormatError when the JSON is not a tfjs graph model. */
export function graphParts(
  modelJson: unknown,
  fn: string,
): { nodes: GraphNode[]; specs: tf.io.WeightsManifestEntry[] } {
  const json = modelJson as GraphJson;
  const nodes = json?.modelTopology?.node;
  if (!Array.isArray(nodes) || !Array.isArray(json.weightsManifest)) {
    throw new FormatError(`${fn}: model JSON has no modelTopology.node or weightsManifest (not a tfjs graph model)`);
  }
  return { nodes, specs: json.weightsManifest.flatMap((g) => g.weights) };
}

/** Input name without a `^` control prefix or `:k` output suffix (the supported ops have one output). */
function cleanInput(name: string): string {
  return name.replace(/^\^/, '').replace(/:\d+$/, '');
}

/** The nodes the outputs depend on, inputs before users (depth-first, iterative). */
function topoOrder(byName: Map<string, GraphNode>, outputs: string[], fn: string): GraphNode[] {
  const order: GraphNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const out of outputs) {
    const stack: { name: string; from: string }[] = [{ name: out, from: '(outputs)' }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { name: string; from: string };
      const node = byName.get(top.name);
      if (node === undefined)
        throw new FormatError(`${fn}: node '${top.name}' (input of '${top.from}') is not in the graph`);
      if (state.get(top.name) === 'done') {
        stack.pop();
        continue;
      }
      const pending = (node.input ?? [])
        .filter((i) => !i.startsWith('^'))
        .map(cleanInput)
        .filter((i) => state.get(i) !== 'done');
      if (state.get(top.name) === 'open' || pending.length === 0) {
        state.set(top.name, 'done');
        order.push(node);
        stack.pop();
        continue;
      }
      state.set(top.name, 'open');
      for (const i of pending) {
        if (state.get(i) === 'open') throw new FormatError(`${fn}: the graph has a cycle through '${i}'`);
        stack.push({ name: i, from: top.name });
      }
    }
  }
  return order;
}

const decodeStr = (v: AttrValue | undefined): string | undefined => (v?.s === undefined ? undefined : atob(v.s));

/**
 * Parameter base name for a weight constant, e.g. `tower_0/MobilenetV3/Conv/Conv2D_weights` →
 * `backbone.MobilenetV3.Conv`; a TF-Hub module's scope (`…/predict/`) is dropped the same way as `tower_0/`.
 */
export function paramBaseName(constName: string): string {
  const dir = constName
    .replace(/^tower_0\//, '')
    .replace(/^.*\/predict\//, '')
    .split('/')
    .slice(0, -1)
    .join('.');
  return `backbone.${dir === '' ? constName : dir}`;
}

function convOp(node: GraphNode, inputs: string[], fn: string): Extract<GraphOp, { kind: 'conv' }> {
  const where = `${fn}: node '${node.name}' (op ${node.op})`;
  const a = node.attr ?? {};
  const fused = node.op.startsWith('_Fused') || node.op.startsWith('Fused');
  const ops = (a.fused_ops?.list?.s ?? []).map((s) => atob(s));
  const fmt = decodeStr(a.data_format) ?? 'NHWC';
  const pad = decodeStr(a.padding);
  const strides = (a.strides?.list?.i ?? ['1', '1', '1', '1']).map(Number);
  const dil = (a.dilations?.list?.i ?? ['1', '1', '1', '1']).map(Number);
  if (fmt !== 'NHWC') throw new FormatError(`${where}: data_format '${fmt}' is not supported (NHWC only)`);
  if (pad !== 'SAME' && pad !== 'VALID')
    throw new FormatError(`${where}: padding '${String(pad)}' is not supported (SAME or VALID)`);
  if (dil.some((d) => d !== 1))
    throw new FormatError(`${where}: dilations [${dil.join(', ')}] are not supported (1 only)`);
  if (strides.length !== 4 || strides[0] !== 1 || strides[3] !== 1)
    throw new FormatError(`${where}: strides [${strides.join(', ')}] are not NHWC [1, sh, sw, 1]`);
  const okFused =
    ops.length >= 1 &&
    ops[0] === 'BiasAdd' &&
    ops.length <= 2 &&
    (ops.length === 1 || ops[1] === 'Relu' || ops[1] === 'Relu6');
  if (fused && !okFused)
    throw new FormatError(
      `${where}: fused_ops [${ops.join(', ')}] are not supported (BiasAdd, then optionally Relu or Relu6)`,
    );
  if (inputs.length !== (fused ? 3 : 2))
    throw new FormatError(`${where}: expected ${fused ? 3 : 2} inputs, got ${inputs.length}`);
  const act = ops[1] === 'Relu' ? 'relu' : ops[1] === 'Relu6' ? 'relu6' : 'linear';
  return {
    kind: 'conv',
    node: node.name,
    input: inputs[0] as string,
    depthwise: node.op.includes('Depthwise'),
    param: paramBaseName(inputs[1] as string),
    hasBias: fused,
    stride: [strides[1] as number, strides[2] as number],
    pad: pad === 'SAME' ? 'same' : 'valid',
    activation: act,
  };
}

/**
 * Parses the nodes needed for `outputs` into a program. `constants` holds the decoded graph constants (e.g. from
 * `tf.io.decodeWeights`); scalar/small constants used by Add/Mul/Mean are copied into the program.
 */
export function parseGraphProgram(modelJson: unknown, constants: tf.NamedTensorMap, outputs: string[]): GraphProgram {
  const fn = 'parseGraphProgram';
  const { nodes } = graphParts(modelJson, fn);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const ops: GraphOp[] = [];
  const paramSources: Record<string, string> = {};
  const paramOwner = new Map<string, string>();
  let input: string | undefined;
  const isConst = (name: string): boolean => byName.get(name)?.op === 'Const';
  const constValue = (name: string, user: string): tf.Tensor => {
    const t = constants[name];
    if (t === undefined) throw new FormatError(`${fn}: constant '${name}' (input of '${user}') has no weights`);
    return t;
  };
  const operand = (name: string, user: string): Operand => {
    if (!isConst(name)) return { node: name };
    const t = constValue(name, user);
    return { constant: { values: Array.from(t.dataSync()), shape: [...t.shape] } };
  };
  const order = topoOrder(byName, outputs, fn);
  const unsupported = order.find((n) => !SUPPORTED.has(n.op));
  if (unsupported !== undefined) {
    throw new FormatError(
      `${fn}: node '${unsupported.name}' has op '${unsupported.op}', which the graph interpreter does not support`,
    );
  }
  for (const node of order) {
    const inputs = (node.input ?? []).filter((i) => !i.startsWith('^')).map(cleanInput);
    if (node.op === 'Const') continue;
    if (node.op === 'Placeholder') {
      if (input !== undefined)
        throw new FormatError(`${fn}: more than one input Placeholder ('${input}', '${node.name}')`);
      input = node.name;
    } else if (CONVS.includes(node.op)) {
      const op = convOp(node, inputs, fn);
      const names = [
        [`${op.param}.weight`, inputs[1] as string],
        ...(op.hasBias ? [[`${op.param}.bias`, inputs[2] as string]] : []),
      ];
      for (const [pname, cname] of names as [string, string][]) {
        constValue(cname, node.name);
        const owner = paramOwner.get(pname);
        if (owner !== undefined && owner !== cname)
          throw new FormatError(`${fn}: constants '${owner}' and '${cname}' both map to parameter '${pname}'`);
        paramOwner.set(pname, cname);
        paramSources[pname] = cname;
      }
      ops.push(op);
    } else if (BINARY[node.op] !== undefined) {
      if (inputs.length !== 2)
        throw new FormatError(`${fn}: node '${node.name}' (op ${node.op}) has ${inputs.length} inputs, expected 2`);
      ops.push({
        kind: 'binary',
        node: node.name,
        fn: BINARY[node.op],
        a: operand(inputs[0] as string, node.name),
        b: operand(inputs[1] as string, node.name),
      });
    } else if (UNARY[node.op] !== undefined) {
      ops.push({ kind: 'unary', node: node.name, fn: UNARY[node.op], input: inputs[0] as string });
    } else if (node.op === 'Mean') {
      const axes = Array.from(constValue(inputs[1] as string, node.name).dataSync());
      ops.push({
        kind: 'mean',
        node: node.name,
        input: inputs[0] as string,
        axes,
        keepDims: node.attr?.keep_dims?.b === true,
      });
    } else {
      throw new FormatError(
        `${fn}: node '${node.name}' has op '${node.op}', which the graph interpreter does not support`,
      );
    }
  }
  if (input === undefined)
    throw new FormatError(`${fn}: the outputs [${outputs.join(', ')}] do not depend on an input Placeholder`);
  return { input, ops, outputs: [...outputs], paramSources };
}
