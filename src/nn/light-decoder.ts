/**
 * The trainable light decoder on frozen multi-scale maps: the reference's SegFormer-head shape
 * (gmmseg-reference.md §1.1) at the resolution of the finest input map.
 *
 *   for each map i:  1×1 conv (no bias) → BN → ReLU to `channels`, bilinear resize (half-pixel) to the size of map 0
 *   concat (map order) → fusion 1×1 conv (no bias) → BN → ReLU
 *   [→ context blocks: 3×3 conv → BN → ReLU per `contextDilations` entry ({@link ./decoder-context.ts})]
 *   → Dropout2d(p) in training
 *   → projection 1×1 conv (no bias) → BN → ReLU to `embedDim` (skipped when channels == embedDim, as the reference)
 *
 * `projectionActivation: 'none'` drops the projection's final ReLU (a deliberate, measured deviation: see the README —
 * with the ReLU about half the embedding's outputs are exactly 0 and the GMM likelihood loses the information the
 * fusion map had). 'relu' is the reference and the default.
 *
 * `contextDilations` (absent or empty: the reference-shaped light decoder, every conv 1×1) adds the context blocks: a
 * measured departure for inputs whose classes need spatial context (the DigitScenes demo: a digit's identity is spread
 * over several stride-8 cells).
 *
 * Convs feeding a BN carry no bias (MMCV ConvModule `bias='auto'`), He-normal initialised (fan-out, as mmseg). Names:
 * `decoder.lateral{i}.conv.weight`, `decoder.lateral{i}.bn.{weight,bias}`, `decoder.fuse.*`, `decoder.proj.*`;
 * running statistics `decoder.*.bn.{running_mean,running_var}` in `state`.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import type { Rng } from '../random.js';
import { assertShape } from '../shape.js';
import {
  contextForward,
  contextTensorShapes,
  createContextBlocks,
  validateContextDilations,
} from './decoder-context.js';
import { convBnInference, foldBatchNorm } from './conv-bn-inference.js';
import { batchNorm, conv2d, dropout2d, resizeBilinear } from './layers.js';
import { createBatchNorm, createConv2d, type LayerState } from './params.js';
import type { ForwardContext, Params } from './types.js';

/** Decoder shape. */
export interface LightDecoderConfig {
  /** Channels of each input map, finest first (map 0 sets the output resolution). */
  inChannels: number[];
  /** Width of the lateral and fusion convs (default 128). */
  channels: number;
  /** D: output channels (default 64). */
  embedDim: number;
  /** Dropout2d probability after the fusion, training only (default 0.1). */
  dropout: number;
  /** BN momentum, PyTorch convention (default 0.1). */
  bnMomentum: number;
  /** Activation at the end of the projection block: 'relu' (reference) or 'none' (linear embedding). */
  projectionActivation?: 'relu' | 'none';
  /** Dilations of the 3×3 context blocks after the fusion (absent or empty: none, the light decoder). */
  contextDilations?: number[];
}

export const DEFAULT_DECODER = { channels: 128, embedDim: 64, dropout: 0.1, bnMomentum: 0.1 } as const;

/** A decoder: config + trainable params + BN running statistics (non-trainable tf.Variables). */
export interface LightDecoder {
  config: LightDecoderConfig;
  params: Params;
  state: LayerState;
}

/** Whether the projection block exists (the reference skips it when channels == embedDim). */
export function hasProjection(config: LightDecoderConfig): boolean {
  return config.channels !== config.embedDim;
}

/** Checks the config values; throws ValueError naming the bad field. */
export function validateDecoderConfig(config: LightDecoderConfig, fn: string): void {
  const posInt = (v: number, name: string): void => {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`${fn}: '${name}' must be a positive integer, got ${v}`);
  };
  if (!Array.isArray(config.inChannels) || config.inChannels.length < 1)
    throw new ValueError(`${fn}: 'inChannels' must list at least one map`);
  config.inChannels.forEach((c, i) => posInt(c, `inChannels[${i}]`));
  posInt(config.channels, 'channels');
  posInt(config.embedDim, 'embedDim');
  if (!(config.dropout >= 0 && config.dropout < 1))
    throw new ValueError(`${fn}: 'dropout' must be in [0, 1), got ${config.dropout}`);
  if (!(config.bnMomentum > 0 && config.bnMomentum <= 1))
    throw new ValueError(`${fn}: 'bnMomentum' must be in (0, 1], got ${config.bnMomentum}`);
  const act = config.projectionActivation;
  if (act !== undefined && act !== 'relu' && act !== 'none') {
    throw new ValueError(`${fn}: 'projectionActivation' must be 'relu' or 'none', got ${JSON.stringify(act)}`);
  }
  validateContextDilations(contextDilations(config), fn);
}

/** The context blocks' dilations ([] for the light decoder). */
export function contextDilations(config: LightDecoderConfig): number[] {
  return config.contextDilations ?? [];
}

/** Creates a decoder with He-initialised convs drawn from `rng` in a fixed order (laterals, fuse, proj). */
export function createLightDecoder(config: LightDecoderConfig, rng: Rng): LightDecoder {
  validateDecoderConfig(config, 'createLightDecoder');
  const params: Params = {};
  const state: LayerState = {};
  const { inChannels, channels, embedDim } = config;
  inChannels.forEach((cin, i) => {
    createConv2d(params, `decoder.lateral${i}.conv`, rng, 1, 1, cin, channels);
    createBatchNorm(params, state, `decoder.lateral${i}.bn`, channels);
  });
  createConv2d(params, 'decoder.fuse.conv', rng, 1, 1, channels * inChannels.length, channels);
  createBatchNorm(params, state, 'decoder.fuse.bn', channels);
  createContextBlocks(params, state, contextDilations(config), channels, rng);
  if (hasProjection(config)) {
    createConv2d(params, 'decoder.proj.conv', rng, 1, 1, channels, embedDim);
    createBatchNorm(params, state, 'decoder.proj.bn', embedDim);
  }
  return { config, params, state };
}

/** Every tensor name a decoder of this config owns: [params, state]. */
export function decoderTensorNames(config: LightDecoderConfig): { params: string[]; state: string[] } {
  const blocks = config.inChannels
    .map((_, i) => `decoder.lateral${i}`)
    .concat(
      'decoder.fuse',
      contextDilations(config).map((_, i) => `decoder.context${i}`),
    )
    .concat(hasProjection(config) ? ['decoder.proj'] : []);
  return {
    params: blocks.flatMap((b) => [`${b}.conv.weight`, `${b}.bn.weight`, `${b}.bn.bias`]),
    state: blocks.flatMap((b) => [`${b}.bn.running_mean`, `${b}.bn.running_var`]),
  };
}

/** Expected shape of each named tensor of a decoder of this config. */
export function decoderTensorShapes(config: LightDecoderConfig): Record<string, number[]> {
  const { inChannels, channels, embedDim } = config;
  const shapes: Record<string, number[]> = {};
  const block = (name: string, cin: number, cout: number): void => {
    shapes[`${name}.conv.weight`] = [1, 1, cin, cout];
    for (const s of ['weight', 'bias', 'running_mean', 'running_var']) shapes[`${name}.bn.${s}`] = [cout];
  };
  inChannels.forEach((cin, i) => block(`decoder.lateral${i}`, cin, channels));
  block('decoder.fuse', channels * inChannels.length, channels);
  Object.assign(shapes, contextTensorShapes(contextDilations(config), channels));
  if (hasProjection(config)) block('decoder.proj', channels, embedDim);
  return shapes;
}

/**
 * maps[i] [B, h_i, w_i, inChannels[i]] (finest first) → feats [B, h_0, w_0, embedDim].
 * Training: BN uses batch statistics and updates the running statistics; Dropout2d draws its mask from `ctx.seed`
 * (required when training with dropout > 0). Inference: the same function with running statistics, computed in the
 * memory-bounded form of {@link inferenceForward}.
 */
export function lightDecoderForward(dec: LightDecoder, maps: tf.Tensor4D[], ctx: ForwardContext): tf.Tensor4D {
  const fn = 'lightDecoderForward';
  const { config, params, state } = dec;
  if (maps.length !== config.inChannels.length)
    throw new ValueError(`${fn}: expected ${config.inChannels.length} maps, got ${maps.length}`);
  const first = maps[0] as tf.Tensor4D;
  const bound = assertShape(first.shape, ['B', 'h', 'w', config.inChannels[0] as number], 'maps[0]', fn);
  maps.forEach((m, i) =>
    assertShape(m.shape, [bound.B as number, null, null, config.inChannels[i] as number], `maps[${i}]`, fn),
  );
  if (ctx.training && config.dropout > 0 && ctx.seed === undefined) {
    throw new ValueError(`${fn}: training with dropout ${config.dropout} needs ctx.seed (the dropout mask seed)`);
  }
  const size: [number, number] = [first.shape[1], first.shape[2]];
  if (!ctx.training) return tf.tidy(() => inferenceForward(dec, maps, size));
  return tf.tidy(() => {
    const block = (x: tf.Tensor4D, name: string, relu = true): tf.Tensor4D =>
      batchNorm(conv2d(x, params, `${name}.conv`), params, state, `${name}.bn`, true, {
        momentum: config.bnMomentum,
        relu,
      });
    const laterals = maps.map((m, i) => resizeBilinear(block(m, `decoder.lateral${i}`), size));
    let y = block(laterals.length === 1 ? (laterals[0] as tf.Tensor4D) : tf.concat(laterals, 3), 'decoder.fuse');
    const dilations = contextDilations(config);
    if (dilations.length > 0) y = contextForward(y, dilations, params, state, true, config.bnMomentum);
    if (config.dropout > 0) y = dropout2d(y, config.dropout, ctx.seed as number);
    return hasProjection(config) ? block(y, 'decoder.proj', config.projectionActivation !== 'none') : y;
  });
}

/**
 * Inference (batch norms with their running statistics, no dropout), written for memory: every conv → BN [→ ReLU] is
 * one fused conv (conv-bn-inference.ts), and the fusion conv runs without the concatenation —
 * conv(concat_i l_i, W) = Σ_i conv(l_i, W_i) with W_i the weight's input-channel slice of map i (1×1, no bias), and a
 * 1×1 conv commutes with the bilinear resize, so each coarse lateral is multiplied at its own resolution and then
 * resized, and the sum accumulates map by map, the fusion BN's scale folded into the slices and its shift added once.
 * Equal to the training form's composition with running statistics up to float rounding; a large image's stride-8
 * maps are alive two or three at a time instead of every lateral, their concatenation and each BN step's output.
 */
function inferenceForward(dec: LightDecoder, maps: tf.Tensor4D[], size: [number, number]): tf.Tensor4D {
  const { config, params, state } = dec;
  const C = config.channels;
  const w = params['decoder.fuse.conv.weight'] as unknown as tf.Tensor4D;
  const fuse = foldBatchNorm(params, state, 'decoder.fuse');
  let sum: tf.Tensor4D | undefined;
  maps.forEach((m, i) => {
    const lateral = convBnInference(m, params, state, `decoder.lateral${i}`, true);
    const atOwnSize = tf.tidy(() =>
      tf.conv2d(lateral, tf.mul(tf.slice(w, [0, 0, i * C, 0], [1, 1, C, C]), fuse.scale) as tf.Tensor4D, 1, 'same'),
    );
    lateral.dispose();
    const part = resizeBilinear(atOwnSize, size);
    if (part !== atOwnSize) atOwnSize.dispose();
    sum = sum === undefined ? part : addFreeing(sum, part, true);
  });
  let y = addFreeing(sum as tf.Tensor4D, fuse.shift, false);
  y = freeing(y, tf.relu(y));
  tf.dispose([fuse.scale, fuse.shift]);
  const dilations = contextDilations(config);
  if (dilations.length > 0) {
    const z = y;
    y = freeing(
      z,
      tf.tidy(() => contextForward(z, dilations, params, state, false, config.bnMomentum)),
    );
  }
  if (!hasProjection(config)) return y;
  return freeing(y, convBnInference(y, params, state, 'decoder.proj', config.projectionActivation !== 'none'));
}

/** a + b, freeing a (and b when `freeB`). */
function addFreeing(a: tf.Tensor4D, b: tf.Tensor, freeB: boolean): tf.Tensor4D {
  const s: tf.Tensor4D = tf.add(a, b);
  tf.dispose(freeB ? [a, b] : [a]);
  return s;
}

/** `next`, after freeing `used` (the input it was computed from). */
function freeing(used: tf.Tensor4D, next: tf.Tensor4D): tf.Tensor4D {
  used.dispose();
  return next;
}

/** Frees the decoder's variables. */
export function disposeLightDecoder(dec: LightDecoder): void {
  Object.values(dec.params).forEach((t) => t.dispose());
  Object.values(dec.state).forEach((t) => t.dispose());
}
