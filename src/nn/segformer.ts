/**
 * A small SegFormer: MiT-style transformer encoder + the reference's all-MLP decoder (gmmseg-reference.md §1.1),
 * trainable from scratch (NHWC, ImageNet mean/std normalisation inside).
 *
 * Encoder stage i (widths `dims`, default 32/64/160/256; strides 4/8/16/32):
 *   overlapping patch embedding: conv 7×7 s4 (stage 0) or 3×3 s2 (with bias) → LayerNorm
 *   `depths[i]` blocks:  x += Attn(LN(x));  x += MixFFN(LN(x))
 *     Attn: efficient self-attention, `heads[i]` heads; keys/values from a spatially reduced map
 *           (conv k = s = `srRatios[i]` → LayerNorm) when the ratio is > 1
 *     MixFFN: linear C → mlpRatio·C → 3×3 depthwise conv → GELU (erf) → linear back to C
 *   LayerNorm → map [B, h_i, w_i, C_i]
 * Decoder: the shared light decoder (`light-decoder.ts`): per stage 1×1 conv → BN → ReLU to `channels`, bilinear
 *   upsampling to stride 4, concat, fuse 1×1 → BN → ReLU, Dropout2d, projection 1×1 → BN → ReLU to `embedDim`.
 * Init as mmseg's MiT: linears trunc-normal std 0.02, convs normal std sqrt(2 / fan-out), LayerNorms 1/0.
 * LayerNorm eps 1e-6. Output stride 4; input sizes must be multiples of 32.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ValueError } from '../errors.js';
import type { Rng } from '../random.js';
import {
  assertSizeMultiple,
  conv2d,
  depthwiseConv2d,
  gelu,
  layerNormChannels,
  linear,
  normalizeImageNet,
} from './layers.js';
import {
  addConv,
  addDepthwise,
  addLayerNorm,
  addLinear,
  createScratch,
  loadScratch,
  type ParamBuilder,
  type ScratchNetwork,
} from './params.js';
import { decoderTensorShapes, lightDecoderForward, type LightDecoderConfig } from './light-decoder.js';
import type { Extractor, ForwardContext, Params } from './types.js';

const posInt = z.number().int().positive();
const four = z.array(posInt).length(4);

/** Config schema (all keys have defaults; unknown keys are rejected). */
export const segformerConfigSchema = z
  .object({
    embedDim: posInt.default(64),
    dims: four.default([32, 64, 160, 256]),
    depths: four.default([1, 1, 1, 1]),
    heads: four.default([1, 2, 5, 8]),
    srRatios: four.default([8, 4, 2, 1]),
    mlpRatio: posInt.default(4),
    /** Decoder width (the reference's `channels`, 768 there). */
    channels: posInt.default(128),
    dropout: z.number().min(0).lt(1).default(0.1),
    bnMomentum: z.number().gt(0).max(1).default(0.1),
  })
  .strict()
  .refine((c) => c.dims.every((d, i) => d % (c.heads[i] as number) === 0), {
    message: 'every dims[i] must be a multiple of heads[i]',
    path: ['heads'],
  });

export type SegformerConfig = z.infer<typeof segformerConfigSchema>;

export const SEGFORMER_STRIDE = 4;
export const SEGFORMER_SIZE_MULTIPLE = 32;

const LN_EPS = 1e-6;

/** Declares a light decoder's tensors on a builder (He fan-out convs, BN 1/0, running stats 0/1). */
export function declareLightDecoder(b: ParamBuilder, cfg: LightDecoderConfig): void {
  for (const [name, shape] of Object.entries(decoderTensorShapes(cfg))) {
    if (name.endsWith('.running_mean') || name.endsWith('.running_var'))
      b.stateVar(name, shape, name.endsWith('_var') ? 1 : 0);
    else if (name.endsWith('.conv.weight')) b.param(name, shape, { kind: 'he', fan: shape[3] as number });
    else b.param(name, shape, { kind: 'const', value: name.endsWith('.bn.weight') ? 1 : 0 });
  }
}

function decoderConfig(c: SegformerConfig): LightDecoderConfig {
  return {
    inChannels: c.dims,
    channels: c.channels,
    embedDim: c.embedDim,
    dropout: c.dropout,
    bnMomentum: c.bnMomentum,
  };
}

function build(b: ParamBuilder, c: SegformerConfig): void {
  let cin = 3;
  c.dims.forEach((C, i) => {
    const s = `encoder.stage${i}`;
    addConv(b, `${s}.patch.proj`, i === 0 ? 7 : 3, cin, C, true);
    addLayerNorm(b, `${s}.patch.norm`, C);
    for (let j = 0; j < (c.depths[i] as number); j++) {
      const k = `${s}.block${j}`;
      addLayerNorm(b, `${k}.norm1`, C);
      addLinear(b, `${k}.attn.q`, C, C);
      addLinear(b, `${k}.attn.kv`, C, 2 * C);
      addLinear(b, `${k}.attn.proj`, C, C);
      const sr = c.srRatios[i] as number;
      if (sr > 1) {
        addConv(b, `${k}.attn.sr`, sr, C, C, true);
        addLayerNorm(b, `${k}.attn.norm`, C);
      }
      addLayerNorm(b, `${k}.norm2`, C);
      addLinear(b, `${k}.ffn.fc1`, C, c.mlpRatio * C);
      addDepthwise(b, `${k}.ffn.dw`, 3, c.mlpRatio * C);
      addLinear(b, `${k}.ffn.fc2`, c.mlpRatio * C, C);
    }
    addLayerNorm(b, `${s}.norm`, C);
    cin = C;
  });
  declareLightDecoder(b, decoderConfig(c));
}

/** [B, N, heads·d] → [B, heads, N, d]. */
function splitHeads(t: tf.Tensor3D, heads: number): tf.Tensor4D {
  const [B, N, C] = t.shape;
  return tf.transpose(tf.reshape(t, [B, N, heads, C / heads]), [0, 2, 1, 3]);
}

/** Efficient self-attention: tokens [B, h·w, C] → [B, h·w, C]. */
function attention(
  x: tf.Tensor3D,
  h: number,
  w: number,
  p: Params,
  name: string,
  heads: number,
  sr: number,
): tf.Tensor3D {
  const [B, N, C] = x.shape;
  let src = x;
  if (sr > 1) {
    const red = conv2d(tf.reshape(x, [B, h, w, C]), p, `${name}.sr`, { stride: sr });
    src = layerNormChannels(tf.reshape(red, [B, -1, C]) as tf.Tensor3D, p, `${name}.norm`, LN_EPS);
  }
  const q = splitHeads(linear(x, p, `${name}.q`), heads);
  const kv = linear(src, p, `${name}.kv`);
  const k = splitHeads(tf.slice(kv, [0, 0, 0], [-1, -1, C]), heads);
  const v = splitHeads(tf.slice(kv, [0, 0, C], [-1, -1, C]), heads);
  const attn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(C / heads)));
  const out = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [B, N, C]) as tf.Tensor3D;
  return linear(out, p, `${name}.proj`);
}

/** Mix-FFN: tokens [B, h·w, C] → [B, h·w, C]. */
function mixFfn(x: tf.Tensor3D, h: number, w: number, p: Params, name: string): tf.Tensor3D {
  const [B, N] = x.shape;
  const hidden = linear(x, p, `${name}.fc1`);
  const hid = hidden.shape[2];
  const mixed = gelu(depthwiseConv2d(tf.reshape(hidden, [B, h, w, hid]), p, `${name}.dw`));
  return linear(tf.reshape(mixed, [B, N, hid]) as tf.Tensor3D, p, `${name}.fc2`);
}

/** images (normalised) [B, H, W, 3] → 4 maps [B, H/4·2^-i, W/4·2^-i, dims[i]]. */
function encode(x: tf.Tensor4D, p: Params, c: SegformerConfig): tf.Tensor4D[] {
  const maps: tf.Tensor4D[] = [];
  c.dims.forEach((C, i) => {
    const s = `encoder.stage${i}`;
    const m = conv2d(x, p, `${s}.patch.proj`, { stride: i === 0 ? 4 : 2 });
    const [B, h, w] = m.shape;
    let t = layerNormChannels(tf.reshape(m, [B, h * w, C]) as tf.Tensor3D, p, `${s}.patch.norm`, LN_EPS);
    for (let j = 0; j < (c.depths[i] as number); j++) {
      const k = `${s}.block${j}`;
      t = tf.add(
        t,
        attention(
          layerNormChannels(t, p, `${k}.norm1`, LN_EPS),
          h,
          w,
          p,
          `${k}.attn`,
          c.heads[i] as number,
          c.srRatios[i] as number,
        ),
      );
      t = tf.add(t, mixFfn(layerNormChannels(t, p, `${k}.norm2`, LN_EPS), h, w, p, `${k}.ffn`));
    }
    x = tf.reshape(layerNormChannels(t, p, `${s}.norm`, LN_EPS), [B, h, w, C]);
    maps.push(x);
  });
  return maps;
}

function forward(ex: Extractor, c: SegformerConfig, images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
  assertSizeMultiple(images, SEGFORMER_SIZE_MULTIPLE, 'segformer.forward');
  if (ctx.training && c.dropout > 0 && ctx.seed === undefined) {
    throw new ValueError(
      `segformer.forward: training with dropout ${c.dropout} needs ctx.seed (the dropout mask seed)`,
    );
  }
  return tf.tidy(() => {
    const maps = encode(normalizeImageNet(images), ex.params, c);
    return lightDecoderForward({ config: decoderConfig(c), params: ex.params, state: ex.state }, maps, ctx);
  });
}

const NET: ScratchNetwork<SegformerConfig> = {
  kind: 'segformer',
  schema: segformerConfigSchema,
  stride: SEGFORMER_STRIDE,
  sizeMultiple: SEGFORMER_SIZE_MULTIPLE,
  build,
  forward,
};

/** Options of {@link createSegformerExtractor}: any config key plus the init generator. */
export type SegformerOptions = Partial<SegformerConfig> & { rng: Rng };

/**
 * A freshly initialised SegFormer-style extractor (parameters drawn from `rng` in a fixed order).
 * forward: images [B, H, W, 3] 0..255 (H, W multiples of 32) → feats [B, H/4, W/4, embedDim].
 */
export function createSegformerExtractor(opts: SegformerOptions): Extractor {
  const { rng, ...rest } = opts;
  return createScratch(NET, rest, rng, 'createSegformerExtractor');
}

/** Rebuilds an extractor from its `config` and saved named tensors (params and state); FormatError on a mismatch. */
export function loadSegformerExtractor(config: Record<string, unknown>, tensors: Record<string, tf.Tensor>): Extractor {
  return loadScratch(NET, config, tensors, 'loadSegformerExtractor');
}
