/**
 * The context stage of the 'context' decoder: 3×3 conv (no bias) → BN → ReLU blocks at the fusion map's resolution,
 * one per dilation, each keeping `channels` channels. The light decoder's convs are all 1×1, so a pixel's embedding
 * sees only its own backbone column; these blocks let it see its neighbours (dilations [1, 2]: a 7×7-cell window,
 * 56 px at stride 8), as MobileNetV3's own segmentation head gives its coarse map context.
 *
 * Names: `decoder.context{i}.conv.weight` [3, 3, channels, channels], `decoder.context{i}.bn.{weight,bias}`; running
 * statistics `decoder.context{i}.bn.{running_mean,running_var}`.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import type { Rng } from '../random.js';
import { batchNorm, conv2d } from './layers.js';
import { createBatchNorm, createConv2d, type LayerState } from './params.js';
import type { Params } from './types.js';

/** The dilations of the context blocks of the 'context' decoder. */
export const CONTEXT_DILATIONS: readonly number[] = [1, 2];

/** Kernel size of every context block. */
export const CONTEXT_KERNEL = 3;

/** Name prefix of context block i. */
export function contextBlockName(i: number): string {
  return `decoder.context${i}`;
}

/** Checks the dilations (positive integers); throws ValueError naming the function. */
export function validateContextDilations(dilations: readonly number[], fn: string): void {
  dilations.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1)
      throw new ValueError(`${fn}: 'contextDilations[${i}]' must be a positive integer, got ${d}`);
  });
}

/** Creates the blocks' convs and BNs (He-normal, drawn from `rng` in block order). */
export function createContextBlocks(
  params: Params,
  state: LayerState,
  dilations: readonly number[],
  channels: number,
  rng: Rng,
): void {
  dilations.forEach((_, i) => {
    createConv2d(params, `${contextBlockName(i)}.conv`, rng, CONTEXT_KERNEL, CONTEXT_KERNEL, channels, channels);
    createBatchNorm(params, state, `${contextBlockName(i)}.bn`, channels);
  });
}

/** Expected shape of every tensor of the blocks. */
export function contextTensorShapes(dilations: readonly number[], channels: number): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  dilations.forEach((_, i) => {
    const b = contextBlockName(i);
    shapes[`${b}.conv.weight`] = [CONTEXT_KERNEL, CONTEXT_KERNEL, channels, channels];
    for (const s of ['weight', 'bias', 'running_mean', 'running_var']) shapes[`${b}.bn.${s}`] = [channels];
  });
  return shapes;
}

/**
 * x [B, h, w, channels] → [B, h, w, channels] through every block in order ('same' padding: zeros outside the map).
 * Training: BN uses batch statistics and updates the running statistics.
 */
export function contextForward(
  x: tf.Tensor4D,
  dilations: readonly number[],
  params: Params,
  state: LayerState,
  training: boolean,
  bnMomentum: number,
): tf.Tensor4D {
  return tf.tidy(() =>
    dilations.reduce((y, dilation, i) => {
      const b = contextBlockName(i);
      const z = conv2d(y, params, `${b}.conv`, { dilation });
      return batchNorm(z, params, state, `${b}.bn`, training, { momentum: bnMomentum, relu: true });
    }, x),
  );
}
