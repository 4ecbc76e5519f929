/**
 * The frozen pretrained backbone: the COCO-trained MobileNetV3 (CenterNet detector) graph model shipped in
 * `@vladmandic/human@3.3.6` as `models/centernet.{json,bin}` (data.md §3, probe-camvid.md).
 *
 * - Input: raw RGB 0..255, [B, H, W, 3], H and W multiples of 32 (the model's own normalisation is inside the graph).
 * - The Placeholder `tower_0/images` is declared [1, 512, 512, 3]; it is relaxed to [-1, -1, -1, 3] before loading
 *   (the backbone part is fully convolutional and batches; outputs match per-image runs exactly).
 * - Maps are read at the hard-swish outputs (`.../hard_swish/mul_1`; `.../add` is only the pre-activation + 3):
 *   stride 8 `expanded_conv_6/expand` (192 ch; the expand runs before that block's stride-2 depthwise), stride 16
 *   `expanded_conv_12/expand` (528 ch), stride 32 `extern1` (480 ch).
 * - Weights are fp16-quantised in the .bin; tfjs dequantises them on load.
 *
 * {@link readMbv3Artifacts} is the one function here that reads files (read-only); everything else is pure.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FormatError, ValueError } from '../errors.js';
import { assertShape } from '../shape.js';
import { noGrad } from './layers.js';

/** The scales the backbone exposes. */
export const MBV3_SCALES = ['s4', 's8', 's16', 's32'] as const;
export type Mbv3Scale = (typeof MBV3_SCALES)[number];

/** Graph node, stride and channels of each scale. */
export const MBV3_NODES: Record<Mbv3Scale, { node: string; stride: number; channels: number }> = {
  s4: { node: 'tower_0/MobilenetV3/expanded_conv_3/expand/Relu', stride: 4, channels: 72 },
  s8: { node: 'tower_0/MobilenetV3/expanded_conv_6/expand/hard_swish/mul_1', stride: 8, channels: 192 },
  s16: { node: 'tower_0/MobilenetV3/expanded_conv_12/expand/hard_swish/mul_1', stride: 16, channels: 528 },
  s32: { node: 'tower_0/extern1/hard_swish/mul_1', stride: 32, channels: 480 },
};

/** Input sizes must be multiples of this. */
export const MBV3_SIZE_MULTIPLE = 32;

/** Name of the model files (without extension) inside the package's `models/` folder. */
export const MBV3_MODEL_NAME = 'centernet';

/** The model JSON and its weight bytes (all shards concatenated in manifest order). */
export interface Mbv3Artifacts {
  modelJson: unknown;
  weightData: ArrayBuffer;
}

/** A loaded backbone. */
export interface Mbv3Backbone {
  model: tf.GraphModel;
  /** Scales returned by {@link mbv3FrozenMaps}, in this order (finest first). */
  scales: Mbv3Scale[];
}

/** `node_modules/@vladmandic/human/models` as resolved from this module. */
export function defaultMbv3ModelDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@vladmandic/human'); // <pkg>/dist/human.node.js
  return path.join(path.dirname(path.dirname(entry)), 'models');
}

/** Reads `<modelDir>/centernet.json` and concatenates its weight shards. */
export async function readMbv3Artifacts(modelDir: string = defaultMbv3ModelDir()): Promise<Mbv3Artifacts> {
  const jsonPath = path.join(modelDir, `${MBV3_MODEL_NAME}.json`);
  let modelJson: { weightsManifest?: { paths?: string[] }[] };
  try {
    modelJson = JSON.parse(await readFile(jsonPath, 'utf8')) as typeof modelJson;
  } catch (err) {
    throw new FormatError(
      `readMbv3Artifacts: cannot read model file '${jsonPath}' (${(err as Error).message}); is @vladmandic/human@3.3.6 installed?`,
    );
  }
  const shardPaths = (modelJson.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  if (shardPaths.length === 0) throw new FormatError(`readMbv3Artifacts: '${jsonPath}' lists no weight files`);
  const shards = await Promise.all(shardPaths.map((p) => readFile(path.join(modelDir, p))));
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelJson, weightData };
}

interface GraphJson {
  modelTopology?: {
    node?: { name: string; op: string; attr?: Record<string, { shape?: { dim?: { size: string }[] } }> }[];
  };
  weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Builds the backbone from the artifacts: relaxes the input Placeholder to [-1, -1, -1, 3] (on a copy of the
 * topology), checks that the needed nodes exist, and loads the graph model.
 */
export async function buildMbv3Backbone(
  artifacts: Mbv3Artifacts,
  scales: Mbv3Scale[] = ['s8', 's32'],
): Promise<Mbv3Backbone> {
  const fn = 'buildMbv3Backbone';
  checkScales(scales, fn);
  // the banded path feeds the stride-8 prefix node, past the stride-4 map: s4 is read by the trainable layers only
  if (scales.includes('s4')) throw new ValueError(`${fn}: scale 's4' is available with the trainable backbone only`);
  const json = artifacts.modelJson as GraphJson;
  const nodes = json.modelTopology?.node;
  if (!Array.isArray(nodes) || !Array.isArray(json.weightsManifest))
    throw new FormatError(`${fn}: model JSON has no modelTopology.node or weightsManifest (not a tfjs graph model)`);
  const names = new Set(nodes.map((n) => n.name));
  for (const s of scales)
    if (!names.has(MBV3_NODES[s].node))
      throw new FormatError(
        `${fn}: model has no node '${MBV3_NODES[s].node}' (scale ${s}); expected the centernet model of @vladmandic/human@3.3.6`,
      );
  const topology = structuredClone(json.modelTopology) as NonNullable<GraphJson['modelTopology']>;
  const placeholders = (topology.node ?? []).filter((n) => n.op === 'Placeholder');
  if (placeholders.length !== 1)
    throw new FormatError(`${fn}: expected one input Placeholder, found ${placeholders.length}`);
  const shape = (placeholders[0] as (typeof placeholders)[number]).attr?.shape?.shape;
  if (shape !== undefined) shape.dim = [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }];
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: artifacts.weightData }),
  );
  return { model, scales: [...scales] };
}

/** Reads the package files and builds the backbone. */
export async function loadMbv3Backbone(opts: { modelDir?: string; scales?: Mbv3Scale[] } = {}): Promise<Mbv3Backbone> {
  return buildMbv3Backbone(await readMbv3Artifacts(opts.modelDir), opts.scales);
}

/** Throws unless H and W are positive multiples of 32 and there are 3 channels. */
export function checkMbv3Input(shape: readonly number[], fn: string): void {
  assertShape(shape, ['B', 'H', 'W', null], 'images', fn);
  const [b, h, w, c] = shape as [number, number, number, number];
  if (c !== 3)
    throw new ValueError(`${fn}: argument 'images' must have 3 channels (RGB 0..255), got shape [${shape.join(', ')}]`);
  if (b < 1) throw new ValueError(`${fn}: argument 'images' has an empty batch`);
  if (
    h < MBV3_SIZE_MULTIPLE ||
    w < MBV3_SIZE_MULTIPLE ||
    h % MBV3_SIZE_MULTIPLE !== 0 ||
    w % MBV3_SIZE_MULTIPLE !== 0
  ) {
    throw new ValueError(
      `${fn}: image size ${h}x${w} is not a positive multiple of ${MBV3_SIZE_MULTIPLE} in both height and width; resize or pad the images first`,
    );
  }
}

/**
 * The backbone's local prefix ends at this node: stride 8, 72 channels, the output of `expanded_conv_3`'s depthwise
 * conv, just before the first squeeze-excite (a global mean over the whole image). Everything before it is
 * convolutions and pointwise ops (receptive field 35 input px), everything after needs the whole image.
 */
export const MBV3_PREFIX_NODE = 'tower_0/MobilenetV3/expanded_conv_3/depthwise/depthwise';
export const PREFIX_STRIDE = 8;
/**
 * Input rows added on each side of a band of the prefix: more than half its receptive field (35 px: 3×3 s2, 3×3,
 * 3×3 s2, 3×3, 5×5 s2) plus the 'same' padding's offset, a multiple of its stride.
 */
export const PREFIX_HALO = 32;
/**
 * Largest input band the prefix runs on at once, pixels (B·rows·W): its stride-2 maps are the backbone's largest
 * (64 channels at a quarter of the input pixels: 1 GiB per map at 4000×4000, 64 MiB per band); default 2^20 px.
 */
export const MBV3_BAND_PIXELS = 1 << 20;

/**
 * images [B, H, W, 3] float32 RGB 0..255 → one map per backbone scale, finest first: s8 [B, H/8, W/8, 192],
 * (s16 [B, H/16, W/16, 528],) s32 [B, H/32, W/32, 480]. Runs with the gradient tape paused: the maps are constants.
 * Inputs of more than `bandPixels` pixels (B·H·W) run the backbone's local prefix in bands of rows with a halo
 * wider than its receptive field ({@link mbv3PrefixBands}), then the rest on the whole stride-8 map: equal to the
 * one-pass forward up to float rounding, with the memory of the large early maps bounded by the band size.
 */
export function mbv3FrozenMaps(
  bb: Mbv3Backbone,
  images: tf.Tensor4D,
  bandPixels: number = MBV3_BAND_PIXELS,
): tf.Tensor4D[] {
  const fn = 'mbv3FrozenMaps';
  checkMbv3Input(images.shape, fn);
  if (images.dtype !== 'float32') throw new ValueError(`${fn}: argument 'images' must be float32, got ${images.dtype}`);
  const nodes = bb.scales.map((s) => MBV3_NODES[s].node);
  const [b, h, w] = images.shape;
  if (b * h * w <= bandPixels) return noGrad(() => tf.tidy(() => bb.model.execute(images, nodes) as tf.Tensor4D[]));
  return noGrad(() =>
    tf.tidy(() => {
      const prefix = mbv3PrefixBands(bb, images, bandPixels);
      return bb.model.execute({ [MBV3_PREFIX_NODE]: prefix }, nodes) as tf.Tensor4D[];
    }),
  );
}

/**
 * The prefix map [B, H/8, W/8, 72] computed in bands of output rows: each band's input rows plus
 * {@link PREFIX_HALO} rows on each side (clamped to the image), its valid rows kept. Band edges are multiples of 8
 * input rows, so every stride-2 layer sees the same sampling grid and 'same' padding as on the whole image.
 */
export function mbv3PrefixBands(bb: Mbv3Backbone, images: tf.Tensor4D, bandPixels: number): tf.Tensor4D {
  const [b, h, w] = images.shape;
  const parts = prefixBandPlan(b, h, w, bandPixels, PREFIX_STRIDE, PREFIX_HALO).map(({ o0, o1, i0, i1 }) =>
    tf.tidy(() => {
      const band = tf.slice(images, [0, i0, 0, 0], [b, i1 - i0, w, 3]);
      const out = bb.model.execute(band, MBV3_PREFIX_NODE) as tf.Tensor4D;
      return tf.slice(out, [0, o0 - i0 / PREFIX_STRIDE, 0, 0], [b, o1 - o0, -1, -1]);
    }),
  );
  if (parts.length === 1) return parts[0] as tf.Tensor4D;
  const all = tf.concat(parts, 1);
  tf.dispose(parts);
  return all;
}

/** One band of a banded prefix: output rows [o0, o1) of the stride-`stride` map, computed from input rows [i0, i1). */
export interface PrefixBand {
  o0: number;
  o1: number;
  i0: number;
  i1: number;
}

/**
 * The bands of rows of a banded prefix: about `bandPixels` input pixels (B·rows·W, halo included) each, at least one
 * output row; `halo` input rows on each side (clamped to the image; a multiple of `stride`), so band edges are multiples
 * of `stride` input rows and every strided layer sees the whole image's sampling grid.
 */
export function prefixBandPlan(
  b: number,
  h: number,
  w: number,
  bandPixels: number,
  stride: number = PREFIX_STRIDE,
  halo: number = PREFIX_HALO,
): PrefixBand[] {
  const rowsOut = h / stride;
  const bandRows = Math.max(1, Math.floor(bandPixels / (b * w * stride)) - (2 * halo) / stride);
  const bands: PrefixBand[] = [];
  for (let o0 = 0; o0 < rowsOut; o0 += bandRows) {
    const o1 = Math.min(rowsOut, o0 + bandRows);
    bands.push({ o0, o1, i0: Math.max(0, o0 * stride - halo), i1: Math.min(h, o1 * stride + halo) });
  }
  return bands;
}

/** Channels of each map returned for these scales. */
export function mbv3Channels(scales: readonly Mbv3Scale[]): number[] {
  return scales.map((s) => MBV3_NODES[s].channels);
}

/**
 * Checks a scale list: known names, no repeats, finest first, starting with 's8' or 's4' (the decoder works at the
 * first map's stride: 8, or 4 for thin structures).
 */
export function checkScales(scales: readonly string[], fn: string): asserts scales is Mbv3Scale[] {
  const known = MBV3_SCALES as readonly string[];
  const bad = scales.find((s) => !known.includes(s));
  if (bad !== undefined)
    throw new ValueError(`${fn}: unknown backbone scale '${bad}'; valid: ${MBV3_SCALES.join(', ')}`);
  const idx = scales.map((s) => known.indexOf(s));
  const first = scales[0];
  if (
    (first !== 's8' && first !== 's4') ||
    idx.some((v, i) => i > 0 && v <= (idx[i - 1] as number)) ||
    (first === 's4' && scales.length < 2)
  ) {
    throw new ValueError(
      `${fn}: scales must start with 's8' or 's4' and be strictly coarser after it ('s4' needs a coarser map too), got [${scales.join(', ')}]`,
    );
  }
}

/** Frees the graph model's weights. */
export function disposeMbv3Backbone(bb: Mbv3Backbone): void {
  bb.model.dispose();
}
