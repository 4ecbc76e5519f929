/**
 * The baseline the paper compares against: a linear 1×1 conv classifier on the extractor's features (mmseg's
 * `conv_seg`, weight init normal std 0.01, bias 0), trained with cross-entropy, and the usual anomaly scores computed
 * from its logits, all "higher = more anomalous":
 *   max-softmax probability (MSP)  −max_c softmax(l)_c
 *   max logit                      −max_c l_c
 *   energy                         −logsumexp_c l_c
 * Parameter names: `conv_seg.weight` [1, 1, D, C], `conv_seg.bias` [C].
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Rng } from '../random.js';
import { assertShape } from '../shape.js';
import { conv2d } from './layers.js';
import { buildLoaded, disposeAll, parseNetConfig, randomBuilder, type ParamBuilder } from './params.js';
import type { Params } from './types.js';

/** Config schema (unknown keys rejected). */
export const softmaxHeadConfigSchema = z
  .object({
    /** D: input feature channels. */
    embedDim: z.number().int().positive(),
    /** C: classes. */
    classes: z.number().int().min(2),
  })
  .strict();

export type SoftmaxHeadConfig = z.infer<typeof softmaxHeadConfigSchema>;

/** A softmax head: config and its two trainable variables. */
export interface SoftmaxHead {
  kind: 'softmax';
  config: SoftmaxHeadConfig;
  params: Params;
}

function build(b: ParamBuilder, c: SoftmaxHeadConfig): void {
  b.param('conv_seg.weight', [1, 1, c.embedDim, c.classes], { kind: 'trunc', std: 0.01 });
  b.param('conv_seg.bias', [c.classes], { kind: 'const', value: 0 });
}

/** A fresh head: weight ~ N(0, 0.01²) (truncated at ±2σ) from `rng`, bias 0. */
export function createSoftmaxHead(opts: SoftmaxHeadConfig & { rng: Rng }): SoftmaxHead {
  const { rng, ...rest } = opts;
  const config = parseNetConfig(softmaxHeadConfigSchema, rest, 'createSoftmaxHead');
  const b = randomBuilder(rng);
  build(b, config);
  return { kind: 'softmax', config, params: b.params };
}

/** Rebuilds a head from its config and saved tensors; FormatError on missing, extra or mis-shaped tensors. */
export function loadSoftmaxHead(config: Record<string, unknown>, tensors: Record<string, tf.Tensor>): SoftmaxHead {
  const fn = 'loadSoftmaxHead';
  const c = parseNetConfig(softmaxHeadConfigSchema, config, fn);
  return { kind: 'softmax', config: c, params: buildLoaded(tensors, fn, (b) => build(b, c)).params };
}

/** Frees the head's variables. */
export function disposeSoftmaxHead(head: SoftmaxHead): void {
  disposeAll(head.params);
}

/** feats [B, h, w, D] → logits [B, h, w, C]. Differentiable in the features and the head's params. */
export function softmaxHeadLogits(head: SoftmaxHead, feats: tf.Tensor4D): tf.Tensor4D {
  assertShape(feats.shape, [null, null, null, head.config.embedDim], 'feats', 'softmaxHeadLogits');
  return conv2d(feats, head.params, 'conv_seg');
}

/** Predicted class per pixel: logits [..., C] → int32 [...]. */
export function softmaxPredict(logits: tf.Tensor): tf.Tensor {
  return tf.argMax(logits, -1);
}

/** Max-softmax-probability anomaly score: logits [..., C] → −max_c softmax(logits)_c [...] (in [−1, −1/C]). */
export function mspScore(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.max(tf.softmax(logits), -1)));
}

/** Max-logit anomaly score: logits [..., C] → −max_c logits_c [...]. */
export function maxLogitScore(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.max(logits, -1)));
}

/** Energy anomaly score (temperature 1): logits [..., C] → −logsumexp_c logits_c [...]. */
export function energyScore(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.logSumExp(logits, -1)));
}

/** The softmax-head anomaly scores by name (CLI/report edge). */
export const SOFTMAX_SCORES = { msp: mspScore, maxLogit: maxLogitScore, energy: energyScore } as const;
export type SoftmaxScoreName = keyof typeof SOFTMAX_SCORES;
