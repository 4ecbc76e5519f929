/**
 * A segmentation model: a feature extractor and one classifier head on its features — the GMM head or the softmax
 * (linear 1×1) baseline — plus class names. Forward functions are pure (except batch-norm statistics in training).
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadState } from '../gmm/head.js';
import { headForward } from '../gmm/head.js';
import type { Extractor, ForwardContext } from '../nn/types.js';
import { softmaxHeadLogits, type SoftmaxHead } from '../nn/softmax-head.js';

/** The classifier head. */
export type SegHead = { kind: 'gmm'; state: HeadState } | { kind: 'softmax'; head: SoftmaxHead };

/** Extractor + head + class names. */
export interface SegModel {
  classes: string[];
  extractor: Extractor;
  head: SegHead;
  /**
   * Training only (deep supervision, MMSeg's `auxiliary_head`): a linear classifier on the extractor's auxiliary map
   * (`extractor.forwardAux`), trained with cross-entropy beside the head. Inference never uses it; checkpoints keep it.
   */
  aux?: SoftmaxHead;
}

/** Outputs at feature resolution. */
export interface SegOutputs {
  /** [B, h, w, C] segmentation logits. */
  logits: tf.Tensor4D;
  /** [B, h, w, C] class log-likelihoods before the class LayerNorm (GMM head only). */
  classScores?: tf.Tensor4D;
}

/** Inference forward from images [B, H, W, 3] (0..255). */
export function segForward(
  model: SegModel,
  images: tf.Tensor4D,
  ctx: ForwardContext = { training: false },
): SegOutputs {
  return tf.tidy(() => {
    const out = headOutputs(model.head, model.extractor.forward(images, ctx));
    return { ...out } as unknown as tf.TensorContainer;
  }) as unknown as SegOutputs;
}

/** Head outputs on features [B, h, w, D]. */
export function headOutputs(head: SegHead, feats: tf.Tensor4D): SegOutputs {
  if (head.kind === 'gmm') {
    const { logits, classScores } = headForward(head.state, feats);
    return { logits, classScores };
  }
  return { logits: softmaxHeadLogits(head.head, feats) };
}

/** The trainable variables of a head, by name (the GMM's LayerNorms; the softmax head's conv). */
export function headVariables(head: SegHead): Record<string, tf.Variable> {
  if (head.kind === 'softmax')
    return Object.fromEntries(Object.entries(head.head.params).map(([k, v]) => [`head.${k}`, v]));
  const n = head.state.norms;
  const out: Record<string, tf.Variable> = {};
  for (const [k, v] of Object.entries({
    'head.featNorm.weight': n.featNormWeight,
    'head.featNorm.bias': n.featNormBias,
    'head.classNorm.weight': n.classNormWeight,
    'head.classNorm.bias': n.classNormBias,
  })) {
    if (v instanceof tf.Variable) out[k] = v;
  }
  return out;
}

/**
 * The default anomaly score of a head: the GMM likelihood score for a GMM head, the maximum softmax probability for
 * a softmax head. Training calibrates it; prediction reads it when the user names no other.
 */
export function primaryScore(kind: SegHead['kind']): 'gmm' | 'msp' {
  return kind === 'gmm' ? 'gmm' : 'msp';
}
