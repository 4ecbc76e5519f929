/**
 * A small DeepLabV3+-style encoder-decoder, trainable from scratch (NHWC, ImageNet mean/std normalisation inside).
 *
 *   encoder: 4 stages, each conv3×3 s2 → BN → ReLU → conv3×3 → BN → ReLU, widths `width` (default 32/64/128/256);
 *            strides 2/4/8/16, the last stage's second conv dilated ×2 (output stride 16)
 *   ASPP on stride 16: 1×1, three 3×3 atrous (`rates`, default 2/4/6) and image pooling (global mean → 1×1 conv with
 *            bias → ReLU → broadcast; no BN, which a 1×1 map per image would break), each to `asppChannels`;
 *            concat → 1×1 bottleneck (BN, ReLU)
 *   decoder: stride-4 features → 1×1 to 48 (BN, ReLU); ASPP output bilinearly upsampled to stride 4; concat →
 *            two 3×3 convs to `decoderChannels` (BN, ReLU) → Dropout2d(`dropout`) → projection 1×1 → BN → ReLU to
 *            `embedDim` (the reference's projection block, gmmseg-reference.md §1.1 step 4)
 *
 * Output stride 4; input sizes must be multiples of 16. Convs feeding a BN have no bias.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ValueError } from '../errors.js';
import type { Rng } from '../random.js';
import { assertSizeMultiple, conv2d, convBnRelu, dropout2d, normalizeImageNet, resizeBilinear } from './layers.js';
import { addConv, addConvBn, createScratch, loadScratch, type ParamBuilder, type ScratchNetwork } from './params.js';
import type { Extractor, ForwardContext } from './types.js';

const posInt = z.number().int().positive();

/** Config schema (all keys have defaults; unknown keys are rejected). */
export const deeplabConfigSchema = z
  .object({
    embedDim: posInt.default(64),
    width: z.array(posInt).length(4).default([32, 64, 128, 256]),
    asppChannels: posInt.default(128),
    rates: z.array(posInt).length(3).default([2, 4, 6]),
    lowLevelChannels: posInt.default(48),
    decoderChannels: posInt.default(128),
    dropout: z.number().min(0).lt(1).default(0.1),
  })
  .strict();

export type DeeplabConfig = z.infer<typeof deeplabConfigSchema>;

export const DEEPLAB_STRIDE = 4;
export const DEEPLAB_SIZE_MULTIPLE = 16;

/** Declares every parameter in a fixed order (so a seed fixes the network). */
function build(b: ParamBuilder, c: DeeplabConfig): void {
  let cin = 3;
  c.width.forEach((w, i) => {
    addConvBn(b, `encoder.stage${i}.conv0`, 3, cin, w);
    addConvBn(b, `encoder.stage${i}.conv1`, 3, w, w);
    cin = w;
  });
  const A = c.asppChannels;
  addConvBn(b, 'aspp.b0', 1, cin, A);
  c.rates.forEach((_, i) => addConvBn(b, `aspp.b${i + 1}`, 3, cin, A));
  addConv(b, 'aspp.pool.conv', 1, cin, A, true);
  addConvBn(b, 'aspp.bottleneck', 1, 5 * A, A);
  addConvBn(b, 'decoder.low', 1, c.width[1] as number, c.lowLevelChannels);
  addConvBn(b, 'decoder.fuse0', 3, A + c.lowLevelChannels, c.decoderChannels);
  addConvBn(b, 'decoder.fuse1', 3, c.decoderChannels, c.decoderChannels);
  addConvBn(b, 'decoder.proj', 1, c.decoderChannels, c.embedDim);
}

/** images [B, H, W, 3] (normalised) → [stride-4 map [B, H/4, W/4, width1], stride-16 map [B, H/16, W/16, width3]]. */
function encode(x: tf.Tensor4D, ex: Extractor, training: boolean): [tf.Tensor4D, tf.Tensor4D] {
  const { params: p, state: s } = ex;
  let low = x;
  for (let i = 0; i < 4; i++) {
    x = convBnRelu(x, p, s, `encoder.stage${i}.conv0`, training, { stride: 2 });
    x = convBnRelu(x, p, s, `encoder.stage${i}.conv1`, training, { dilation: i === 3 ? 2 : 1 });
    if (i === 1) low = x;
  }
  return [low, x];
}

/** ASPP: x [B, h, w, Cin] → [B, h, w, asppChannels]. */
function aspp(x: tf.Tensor4D, ex: Extractor, c: DeeplabConfig, training: boolean): tf.Tensor4D {
  const { params: p, state: s } = ex;
  const [B, h, w] = x.shape;
  const branches = [convBnRelu(x, p, s, 'aspp.b0', training)];
  c.rates.forEach((r, i) => branches.push(convBnRelu(x, p, s, `aspp.b${i + 1}`, training, { dilation: r })));
  const pooled = tf.relu(conv2d(tf.mean(x, [1, 2], true) as tf.Tensor4D, p, 'aspp.pool.conv'));
  branches.push(tf.broadcastTo(pooled, [B, h, w, c.asppChannels]) as tf.Tensor4D);
  return convBnRelu(tf.concat(branches, 3), p, s, 'aspp.bottleneck', training);
}

function forward(ex: Extractor, c: DeeplabConfig, images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
  assertSizeMultiple(images, DEEPLAB_SIZE_MULTIPLE, 'deeplab.forward');
  if (ctx.training && c.dropout > 0 && ctx.seed === undefined) {
    throw new ValueError(`deeplab.forward: training with dropout ${c.dropout} needs ctx.seed (the dropout mask seed)`);
  }
  return tf.tidy(() => {
    const { params: p, state: s } = ex;
    const [low, deep] = encode(normalizeImageNet(images), ex, ctx.training);
    const lowR = convBnRelu(low, p, s, 'decoder.low', ctx.training);
    const up = resizeBilinear(aspp(deep, ex, c, ctx.training), [low.shape[1], low.shape[2]]);
    let y = convBnRelu(tf.concat([up, lowR], 3), p, s, 'decoder.fuse0', ctx.training);
    y = convBnRelu(y, p, s, 'decoder.fuse1', ctx.training);
    if (ctx.training && c.dropout > 0) y = dropout2d(y, c.dropout, ctx.seed as number);
    return convBnRelu(y, p, s, 'decoder.proj', ctx.training);
  });
}

const NET: ScratchNetwork<DeeplabConfig> = {
  kind: 'deeplab',
  schema: deeplabConfigSchema,
  stride: DEEPLAB_STRIDE,
  sizeMultiple: DEEPLAB_SIZE_MULTIPLE,
  build,
  forward,
};

/** Options of {@link createDeeplabExtractor}: any config key plus the init generator. */
export type DeeplabOptions = Partial<DeeplabConfig> & { rng: Rng };

/**
 * A freshly initialised DeepLabV3+-style extractor (He-normal convs drawn from `rng`, BN γ = 1, β = 0).
 * forward: images [B, H, W, 3] 0..255 (H, W multiples of 16) → feats [B, H/4, W/4, embedDim].
 */
export function createDeeplabExtractor(opts: DeeplabOptions): Extractor {
  const { rng, ...rest } = opts;
  return createScratch(NET, rest, rng, 'createDeeplabExtractor');
}

/** Rebuilds an extractor from its `config` and saved named tensors (params and state); FormatError on a mismatch. */
export function loadDeeplabExtractor(config: Record<string, unknown>, tensors: Record<string, tf.Tensor>): Extractor {
  return loadScratch(NET, config, tensors, 'loadDeeplabExtractor');
}
