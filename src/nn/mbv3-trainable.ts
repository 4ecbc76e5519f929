/**
 * The COCO MobileNetV3 of `@vladmandic/human` as the project's own trainable layers: the graph JSON is parsed into a
 * program ({@link ./mbv3-graph.ts}) and run with tfjs ops on named `tf.Variable`s, so the backbone can be fine-tuned
 * end to end, saved with a model and rebuilt from the saved tensors.
 *
 * - Same maps as the frozen backbone ({@link ./mbv3-backbone.ts}, `MBV3_NODES`): images [B, H, W, 3] float32 RGB
 *   0..255 (H, W multiples of 32) → s8 [B, H/8, W/8, 192], s16 [B, H/16, W/16, 528], s32 [B, H/32, W/32, 480], and
 *   the stride-4 map s4 [B, H/4, W/4, 72] (`expanded_conv_3/expand`, before that block's stride-2 depthwise).
 * - Batch norm is folded into the convolutions in this graph, so there are no running statistics: fine-tuning trains
 *   the folded conv weights and biases (frozen-BN fine-tuning). The forward is the same in training and eval.
 * - Parameters: `backbone.<weight folder>.weight` / `.bias` (see `paramBaseName`), initial values decoded from the
 *   package's fp16 weights exactly as tfjs's GraphModel decodes them.
 * - Intermediate activations are freed as soon as they are no longer needed when no gradient is being recorded, and
 *   then a large image runs its local prefix in bands of rows ({@link mbv3TrainableScales}).
 */
import * as tf from '@tensorflow/tfjs';
import { FormatError, ValueError } from '../errors.js';
import {
  checkMbv3Input,
  MBV3_BAND_PIXELS,
  MBV3_NODES,
  MBV3_PREFIX_NODE,
  MBV3_SCALES,
  PREFIX_HALO,
  PREFIX_STRIDE,
  prefixBandPlan,
  type Mbv3Artifacts,
  type Mbv3Scale,
} from './mbv3-backbone.js';
import { opReads, runGraphOps } from './graph-run.js';
import { fuseHardSwish } from './graph-fuse.js';
import { graphParts, parseGraphProgram, type GraphProgram } from './mbv3-graph.js';
import { buildLoaded, disposeAll } from './params.js';
import type { Params } from './types.js';

/** Prefix of every backbone parameter name. */
export const MBV3_PARAM_PREFIX = 'backbone.';

/**
 * Which graph nodes are the s4/s8/s16/s32 maps, the factor applied to 0..255 images before the graph, and where a
 * large image may be cut into bands of rows at inference ({@link mbv3TrainableScales}): every op up to and including
 * `band.node` is local (no global pooling) with a receptive field under 2·`band.halo` input rows, and no later op
 * reads a node before it.
 */
export interface GraphBackboneSpec {
  nodes: Record<Mbv3Scale, { node: string; channels: number; stride: number }>;
  inputScale: number;
  band?: { node: string; stride: number; halo: number };
}

/** The COCO MobileNetV3 (its own normalisation is inside the graph); bands end where the frozen path's do. */
export const MBV3_SPEC: GraphBackboneSpec = {
  nodes: MBV3_NODES,
  inputScale: 1,
  band: { node: MBV3_PREFIX_NODE, stride: PREFIX_STRIDE, halo: PREFIX_HALO },
};

/** A trainable backbone: its program, its parameters (`backbone.*`) and the spec it was built for. */
export interface Mbv3Trainable {
  program: GraphProgram;
  params: Params;
  spec: GraphBackboneSpec;
}

/** The four maps of the backbone. */
export type Mbv3Maps = Record<Mbv3Scale, tf.Tensor4D>;

/**
 * Decodes every graph constant (fp16 dequantised to float32, as tfjs's loader does) and parses the program, its
 * hard-swish activations fused into one op each (`graph-fuse.ts`; same values).
 */
function decodeAndParse(
  artifacts: Mbv3Artifacts,
  spec: GraphBackboneSpec,
  fn: string,
): { program: GraphProgram; constants: tf.NamedTensorMap } {
  const { specs } = graphParts(artifacts.modelJson, fn);
  let constants: tf.NamedTensorMap;
  try {
    constants = tf.io.decodeWeights(artifacts.weightData, specs);
  } catch (err) {
    throw new FormatError(`${fn}: cannot decode the model weights (${(err as Error).message})`);
  }
  try {
    const program = parseGraphProgram(
      artifacts.modelJson,
      constants,
      MBV3_SCALES.map((s) => spec.nodes[s].node),
    );
    return { program: fuseHardSwish(program, spec.band ? [spec.band.node] : []), constants };
  } catch (err) {
    tf.dispose(constants);
    throw err;
  }
}

/** Builds the backbone with the package's pretrained weights as initial values. */
export function createMbv3Trainable(artifacts: Mbv3Artifacts, spec: GraphBackboneSpec = MBV3_SPEC): Mbv3Trainable {
  const { program, constants } = decodeAndParse(artifacts, spec, 'createMbv3Trainable');
  const params: Params = {};
  for (const [name, source] of Object.entries(program.paramSources)) {
    params[name] = tf.variable(tf.cast(constants[source] as tf.Tensor, 'float32'), true);
  }
  tf.dispose(constants);
  return { program, params, spec };
}

/**
 * Rebuilds the backbone from saved tensors (`backbone.*`, e.g. read from a model file): the graph JSON supplies the
 * program (and its few scalar constants: the hard-swish 3 and 1/6, the Mean axes); every parameter value comes from
 * `tensors` (copied). FormatError on a missing, extra or mis-shaped tensor.
 */
export function loadMbv3Trainable(
  artifacts: Mbv3Artifacts,
  tensors: Record<string, tf.Tensor>,
  spec: GraphBackboneSpec = MBV3_SPEC,
): Mbv3Trainable {
  const fn = 'loadMbv3Trainable';
  const { program, constants } = decodeAndParse(artifacts, spec, fn);
  try {
    const b = buildLoaded(tensors, fn, (pb) => {
      for (const [name, source] of Object.entries(program.paramSources)) {
        pb.param(name, [...(constants[source] as tf.Tensor).shape], { kind: 'const', value: 0 });
      }
    });
    return { program, params: b.params, spec };
  } finally {
    tf.dispose(constants);
  }
}

/** Shapes of the backbone's parameters. */
export function mbv3TrainableShapes(tb: Mbv3Trainable): Record<string, number[]> {
  return Object.fromEntries(Object.entries(tb.params).map(([k, v]) => [k, [...v.shape]]));
}

/** Frees the backbone's variables. */
export function disposeMbv3Trainable(tb: Mbv3Trainable): void {
  disposeAll(tb.params);
}

/**
 * images [B, H, W, 3] float32 RGB 0..255 → { s4 [B, H/4, W/4, C4], s8 [B, H/8, W/8, C8], s16 [B, H/16, W/16, C16],
 * s32 [B, H/32, W/32, C32] } (MobileNetV3: 72 / 192 / 528 / 480 channels; the spec's nodes), differentiable w.r.t.
 * `tb.params`.
 */
export function mbv3TrainableMaps(tb: Mbv3Trainable, images: tf.Tensor4D): Mbv3Maps {
  const maps = mbv3TrainableScales(tb, images, MBV3_SCALES, Infinity);
  return Object.fromEntries(MBV3_SCALES.map((s, i) => [s, maps[i]])) as Mbv3Maps;
}

/**
 * The maps of `scales` (in that order; shapes as {@link mbv3TrainableMaps}). With no gradient being recorded,
 * intermediate maps are freed after their last use, and an input of more than `bandPixels` pixels (B·H·W) runs the
 * local prefix (up to the spec's `band.node`) in bands of rows with a halo wider than its receptive field (the
 * frozen path's plan, {@link prefixBandPlan}), then the rest on the whole stride-8 map: equal to the one-pass forward
 * up to float rounding, with the memory of the large early maps bounded by the band size.
 */
export function mbv3TrainableScales(
  tb: Mbv3Trainable,
  images: tf.Tensor4D,
  scales: readonly Mbv3Scale[],
  bandPixels: number = MBV3_BAND_PIXELS,
): tf.Tensor4D[] {
  const fn = 'mbv3TrainableMaps';
  checkMbv3Input(images.shape, fn);
  if (images.dtype !== 'float32') throw new ValueError(`${fn}: argument 'images' must be float32, got ${images.dtype}`);
  const { program, spec } = tb;
  const free = tf.engine().state.gradientDepth === 0;
  const [b, h, w] = images.shape;
  const wanted = scales.map((s) => spec.nodes[s].node);
  return tf.tidy(() => {
    const scaled = (x: tf.Tensor4D): tf.Tensor4D => (spec.inputScale === 1 ? x : tf.mul(x, spec.inputScale));
    let env: Map<string, tf.Tensor>;
    if (!free || !spec.band || b * h * w <= bandPixels) {
      env = new Map([[program.input, scaled(images)]]);
      runGraphOps(tb.params, program.ops, env, new Set([program.input, ...wanted]), free);
    } else {
      const cut = cutIndex(program, spec.band.node, fn);
      env = bandedPrefix(tb, images, scales, cut, bandPixels, scaled);
      runGraphOps(tb.params, program.ops.slice(cut + 1), env, new Set(wanted), true);
    }
    return wanted.map((node) => {
      const t = env.get(node);
      if (t === undefined) throw new ValueError(`${fn}: node '${node}' was not computed`);
      return t as tf.Tensor4D;
    });
  });
}

/**
 * The prefix (ops 0…cut) run band by band: the cut node's map and the maps of `scales` produced inside the prefix,
 * each concatenated over the bands' valid rows.
 */
function bandedPrefix(
  tb: Mbv3Trainable,
  images: tf.Tensor4D,
  scales: readonly Mbv3Scale[],
  cut: number,
  bandPixels: number,
  scaled: (x: tf.Tensor4D) => tf.Tensor4D,
): Map<string, tf.Tensor> {
  const { program, spec } = tb;
  const band = spec.band as NonNullable<GraphBackboneSpec['band']>;
  const prefix = program.ops.slice(0, cut + 1);
  const inPrefix = new Set(prefix.map((op) => op.node));
  const outs = [{ node: band.node, stride: band.stride }];
  for (const s of scales)
    if (inPrefix.has(spec.nodes[s].node) && spec.nodes[s].node !== band.node) outs.push(spec.nodes[s]);
  const [b, h, w] = images.shape;
  const parts = outs.map((): tf.Tensor4D[] => []);
  for (const { o0, o1, i0, i1 } of prefixBandPlan(b, h, w, bandPixels, band.stride, band.halo)) {
    const got = tf.tidy(() => {
      const env = new Map([[program.input, scaled(tf.slice(images, [0, i0, 0, 0], [b, i1 - i0, w, 3]))]]);
      runGraphOps(tb.params, prefix, env, new Set(outs.map((o) => o.node)), true);
      return outs.map(({ node, stride }) => {
        const rows = ((o1 - o0) * band.stride) / stride;
        return tf.slice(env.get(node) as tf.Tensor4D, [0, (o0 * band.stride - i0) / stride, 0, 0], [b, rows, -1, -1]);
      });
    });
    got.forEach((t, i) => (parts[i] as tf.Tensor4D[]).push(t));
  }
  return new Map(
    outs.map(({ node }, i) => {
      const all = tf.concat(parts[i] as tf.Tensor4D[], 1);
      tf.dispose(parts[i]);
      return [node, all];
    }),
  );
}

/** Index of the band's cut op; ValueError unless no later op reads a node computed before it. */
function cutIndex(program: GraphProgram, node: string, fn: string): number {
  const cut = program.ops.findIndex((op) => op.node === node);
  if (cut < 0) throw new ValueError(`${fn}: band node '${node}' is not in the program`);
  const before = new Set([program.input, ...program.ops.slice(0, cut).map((op) => op.node)]);
  for (const op of program.ops.slice(cut + 1)) {
    const early = opReads(op).find((r) => before.has(r));
    if (early !== undefined)
      throw new ValueError(`${fn}: band node '${node}' is no cut: '${op.node}' reads '${early}' computed before it`);
  }
  return cut;
}
