/**
 * A second pretrained backbone: the TF-Hub MobileNetV2 (depth multiplier 1.4, ImageNet-pretrained, used by `nsfwjs`
 * as the feature extractor of its `mobilenet_v2_mid` classifier) shipped in `nsfwjs@4.4.0` as
 * `dist/models/mobilenet_v2_mid/` (backbones.md #3). The weights are uint8-quantised per tensor and batch norm is
 * folded into the convolutions; the graph uses only ops the project's interpreter knows ({@link ./mbv3-graph.ts}).
 *
 * - Files: `model.min.js` (a CommonJS module exporting the tfjs graph-model JSON) and `group1-shard{1,2}of2.min.js`
 *   (each exporting its weight bytes as a base64 string). The package's `exports` map hides them from
 *   `require('nsfwjs/…')`, so they are required by absolute path inside the resolved package.
 * - Input: the graph's Placeholder `input` expects RGB in [0, 1] (its own `x·2 − 1` follows); the extractor divides the
 *   project's 0..255 images by 255 first ({@link MBV2_INPUT_SCALE}).
 * - Maps, read at ReLU6 outputs: stride 4 `expanded_conv_3/expand` (192 ch), stride 8 `expanded_conv_6/expand`
 *   (288 ch; each before its block's stride-2 depthwise), stride 16 `expanded_conv_13/expand` (816 ch), stride 32
 *   `Conv_1` (1792 ch).
 *
 * {@link readMbv2Artifacts} is the one function here that reads files (read-only).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { FormatError } from '../errors.js';
import { PREFIX_HALO, PREFIX_STRIDE, type Mbv3Artifacts, type Mbv3Scale } from './mbv3-backbone.js';
import type { GraphBackboneSpec } from './mbv3-trainable.js';

/** Identifies the pretrained weights (stored in model files). */
export const MBV2_BACKBONE_ID = 'nsfwjs@4.4.0/models/mobilenet_v2_mid';

/** Images in 0..255 are multiplied by this before the graph (which expects [0, 1]). */
export const MBV2_INPUT_SCALE = 1 / 255;

const SCOPE =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2';

/** Graph node, stride and channels of each scale. */
export const MBV2_NODES: Record<Mbv3Scale, { node: string; stride: number; channels: number }> = {
  s4: { node: `${SCOPE}/expanded_conv_3/expand/Relu6`, stride: 4, channels: 192 },
  s8: { node: `${SCOPE}/expanded_conv_6/expand/Relu6`, stride: 8, channels: 288 },
  s16: { node: `${SCOPE}/expanded_conv_13/expand/Relu6`, stride: 16, channels: 816 },
  s32: { node: `${SCOPE}/Conv_1/Relu6`, stride: 32, channels: 1792 },
};

/**
 * The spec the trainable interpreter runs ({@link ./mbv3-trainable.ts}). MobileNetV2 has no global pooling before its
 * head: at inference, large-image bands end at the stride-8 depthwise of block 3 (receptive field
 * 27 px: 3×3 s2, 3×3, 3×3 s2, 3×3, 3×3 s2), as the MobileNetV3's do.
 */
export const MBV2_SPEC: GraphBackboneSpec = {
  nodes: MBV2_NODES,
  inputScale: MBV2_INPUT_SCALE,
  band: { node: `${SCOPE}/expanded_conv_3/depthwise/depthwise`, stride: PREFIX_STRIDE, halo: PREFIX_HALO },
};

/** `<nsfwjs>/dist/models/mobilenet_v2_mid` as resolved from this module. */
export function defaultMbv2ModelDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('nsfwjs'); // <pkg>/dist/cjs/index.js
  return path.join(path.dirname(path.dirname(entry)), 'models', 'mobilenet_v2_mid');
}

function requireFile(file: string, what: string): unknown {
  const require = createRequire(import.meta.url);
  try {
    return require(file) as unknown;
  } catch (err) {
    throw new FormatError(
      `readMbv2Artifacts: cannot read ${what} '${file}' (${(err as Error).message}); is nsfwjs@4.4.0 installed?`,
    );
  }
}

/** Reads the model JSON and concatenates its base64 weight shards. */
export async function readMbv2Artifacts(modelDir: string = defaultMbv2ModelDir()): Promise<Mbv3Artifacts> {
  const jsonPath = path.join(modelDir, 'model.min.js');
  const modelJson = requireFile(jsonPath, 'model file') as { weightsManifest?: { paths?: string[] }[] };
  const shardPaths = (modelJson?.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  if (shardPaths.length === 0) throw new FormatError(`readMbv2Artifacts: '${jsonPath}' lists no weight files`);
  const shards = shardPaths.map((p) => {
    const file = path.join(modelDir, `${p}.min.js`);
    const b64 = requireFile(file, 'weight shard');
    if (typeof b64 !== 'string') throw new FormatError(`readMbv2Artifacts: '${file}' does not export a base64 string`);
    return Buffer.from(b64, 'base64');
  });
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelJson, weightData };
}
