/**
 * A small U-Net, trainable from scratch (NHWC, ImageNet mean/std normalisation inside): the extractor for inputs whose
 * classes are thin shapes identified by their whole outline (the DigitScenes demo: a digit's strokes are 3–10 px wide,
 * its identity spans 50–100 px), where a stride-8 map blurs the strokes and a pretrained scene backbone does not carry
 * the identity.
 *
 *   encoder: 4 stages at strides 2/4/8/16, each conv3×3 s2 → BN → ReLU → conv3×3 → BN → ReLU, widths `width`
 *   context: one conv3×3 → BN → ReLU per `contextDilations` entry on the stride-16 map (receptive field for identity)
 *   decoder: for strides 8, 4, 2: bilinear ×2 of the coarser map, concat the encoder's map of that stride,
 *            conv3×3 → BN → ReLU to `decoderWidth[i]`
 *   projection: 1×1 conv → BN (→ ReLU when `projectionActivation` is 'relu') to `embedDim`
 *
 * Output stride 2; input sizes must be multiples of 16. Convs feeding a BN have no bias. He-normal init, BN γ = 1.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Rng } from '../random.js';
import { assertSizeMultiple, batchNorm, conv2d, convBnRelu, normalizeImageNet, resizeBilinear } from './layers.js';
import {
  addConvBn,
  createScratch,
  loadScratch,
  type AuxForward,
  type ParamBuilder,
  type ScratchNetwork,
} from './params.js';
import type { Extractor, ForwardContext } from './types.js';

const posInt = z.number().int().positive();

/** Config schema (all keys have defaults; unknown keys are rejected). */
export const unetConfigSchema = z
  .object({
    embedDim: posInt.default(32),
    /** Encoder widths at strides 2, 4, 8, 16. */
    width: z.array(posInt).length(4).default([16, 32, 64, 128]),
    /** Dilations of the context convs on the stride-16 map (empty: none). */
    contextDilations: z.array(posInt).max(8).default([2, 4]),
    /** Decoder widths at strides 8, 4, 2. */
    decoderWidth: z.array(posInt).length(3).default([64, 48, 24]),
    /** End of the projection: 'relu' (the reference's projection block) or 'none' (linear embedding). */
    projectionActivation: z.enum(['relu', 'none']).default('none'),
  })
  .strict();

export type UnetConfig = z.infer<typeof unetConfigSchema>;

export const UNET_STRIDE = 2;
export const UNET_SIZE_MULTIPLE = 16;

/** Declares every parameter in a fixed order (so a seed fixes the network). */
function build(b: ParamBuilder, c: UnetConfig): void {
  let cin = 3;
  c.width.forEach((w, i) => {
    addConvBn(b, `encoder.stage${i}.conv0`, 3, cin, w);
    addConvBn(b, `encoder.stage${i}.conv1`, 3, w, w);
    cin = w;
  });
  c.contextDilations.forEach((_, i) => addConvBn(b, `context.${i}`, 3, cin, cin));
  c.decoderWidth.forEach((w, i) => {
    addConvBn(b, `decoder.up${i}`, 3, cin + (c.width[2 - i] as number), w);
    cin = w;
  });
  addConvBn(b, 'decoder.proj', 1, cin, c.embedDim);
}

/**
 * Features and the stride-16 context map (the deep-supervision point: digit identity is decided there).
 * images [B, H, W, 3] → feats [B, H/2, W/2, embedDim], aux [B, H/16, W/16, width[3]]
 */
function forwardAux(ex: Extractor, c: UnetConfig, images: tf.Tensor4D, ctx: ForwardContext): AuxForward {
  assertSizeMultiple(images, UNET_SIZE_MULTIPLE, 'unet.forward');
  return tf.tidy(() => {
    const { params: p, state: s } = ex;
    const t = ctx.training;
    let x = normalizeImageNet(images);
    const skips: tf.Tensor4D[] = [];
    for (let i = 0; i < 4; i++) {
      x = convBnRelu(x, p, s, `encoder.stage${i}.conv0`, t, { stride: 2 });
      x = convBnRelu(x, p, s, `encoder.stage${i}.conv1`, t);
      skips.push(x);
    }
    c.contextDilations.forEach((d, i) => {
      x = convBnRelu(x, p, s, `context.${i}`, t, { dilation: d });
    });
    const aux = x;
    for (let i = 0; i < 3; i++) {
      const skip = skips[2 - i] as tf.Tensor4D;
      const up = resizeBilinear(x, [skip.shape[1], skip.shape[2]]);
      x = convBnRelu(tf.concat([up, skip], 3), p, s, `decoder.up${i}`, t);
    }
    const y = batchNorm(conv2d(x, p, 'decoder.proj.conv'), p, s, 'decoder.proj.bn', t);
    return { feats: c.projectionActivation === 'relu' ? tf.relu(y) : y, aux };
  });
}

function forward(ex: Extractor, c: UnetConfig, images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
  const { feats, aux } = forwardAux(ex, c, images, ctx);
  aux.dispose();
  return feats;
}

const NET: ScratchNetwork<UnetConfig> = {
  kind: 'unet',
  schema: unetConfigSchema,
  stride: UNET_STRIDE,
  sizeMultiple: UNET_SIZE_MULTIPLE,
  build,
  forward,
  aux: { dim: (c) => c.width[3] as number, forward: forwardAux },
};

/** Options of {@link createUnetExtractor}: any config key plus the init generator. */
export type UnetOptions = Partial<UnetConfig> & { rng: Rng };

/**
 * A freshly initialised U-Net extractor (He-normal convs drawn from `rng`, BN γ = 1, β = 0).
 * forward: images [B, H, W, 3] 0..255 (H, W multiples of 16) → feats [B, H/2, W/2, embedDim].
 */
export function createUnetExtractor(opts: UnetOptions): Extractor {
  const { rng, ...rest } = opts;
  return createScratch(NET, rest, rng, 'createUnetExtractor');
}

/** Rebuilds an extractor from its `config` and saved named tensors (params and state); FormatError on a mismatch. */
export function loadUnetExtractor(config: Record<string, unknown>, tensors: Record<string, tf.Tensor>): Extractor {
  return loadScratch(NET, config, tensors, 'loadUnetExtractor');
}
