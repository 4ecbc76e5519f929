/**
 * Gradient clipping by global norm, as PyTorch's `torch.nn.utils.clip_grad_norm_` (MMSeg's `grad_clip`): the L2 norm
 * of all gradients together, ‖g‖ = sqrt(Σ_p ‖g_p‖²); when it exceeds `maxNorm`, every gradient is multiplied by
 * maxNorm / (‖g‖ + 1e-6). The reference trains without it; the CamVid recipe uses it against the rare loss blow-ups
 * of the softmax head (README, "Training").
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';

/** What {@link clipGradNorm} returns. */
export interface ClippedGradients {
  /** name → gradient (the inputs themselves when not clipped; new tensors, inputs disposed, when clipped). */
  grads: Record<string, tf.Tensor>;
  /** The global norm before clipping. */
  norm: number;
  /** Whether the gradients were scaled. */
  clipped: boolean;
}

/** PyTorch's guard against division by a zero norm. */
const NORM_EPS = 1e-6;

/** The global L2 norm of `grads` (float32 squares summed per tensor, then over tensors). */
export function globalGradNorm(grads: Record<string, tf.Tensor>): number {
  const list = Object.values(grads);
  if (list.length === 0) return 0;
  const norm = tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))));
  const value = norm.dataSync()[0] as number;
  norm.dispose();
  return value;
}

/**
 * Clips `grads` to global norm `maxNorm` (> 0). Takes ownership of the gradient tensors: returns them as they are,
 * or scaled copies with the originals disposed.
 */
export function clipGradNorm(grads: Record<string, tf.Tensor>, maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm))
    throw new ValueError(`clipGradNorm: maxNorm must be finite and > 0, got ${maxNorm}`);
  const norm = globalGradNorm(grads);
  const coef = maxNorm / (norm + NORM_EPS);
  if (!(coef < 1)) return { grads, norm, clipped: false };
  const out: Record<string, tf.Tensor> = {};
  for (const [name, g] of Object.entries(grads)) {
    out[name] = tf.mul(g, coef);
    g.dispose();
  }
  return { grads: out, norm, clipped: true };
}
