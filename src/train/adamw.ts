/**
 * AdamW exactly as PyTorch's `torch.optim.AdamW` (decoupled weight decay), with per-parameter learning-rate and
 * weight-decay multipliers (the reference's `head` lr ×10 and `norm` decay ×0 rules are expressed through them).
 * The state (step, first and second moments) is plain named tensors so checkpoints resume bit for bit.
 *
 *   p ← p · (1 − lr·wd)
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';

/** Hyper-parameters. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };

/** Per-parameter multipliers (default 1). */
export interface ParamGroup {
  lrMultiplier: number;
  decayMultiplier: number;
}

/** Optimizer state: step count and moments per parameter name. */
export interface AdamWState {
  step: number;
  m: Record<string, tf.Tensor>;
  v: Record<string, tf.Tensor>;
}

/** Fresh state (moments are created lazily on the first update). */
export function createAdamWState(): AdamWState {
  return { step: 0, m: {}, v: {} };
}

/**
 * Applies one update to every variable that has a gradient. Mutates the variables (tfjs semantics) and returns the
 * new optimizer state (old moment tensors are disposed).
 * @param vars name → variable
 * @param grads name → gradient (same shapes); names without a gradient are skipped
 * @param lr base learning rate for this step
 */
export function adamwStep(
  vars: Record<string, tf.Variable>,
  grads: Record<string, tf.Tensor>,
  state: AdamWState,
  lr: number,
  opts: AdamWOptions,
  groups: (name: string) => ParamGroup = () => ({ lrMultiplier: 1, decayMultiplier: 1 }),
): AdamWState {
  if (!(lr >= 0) || !Number.isFinite(lr))
    throw new ValueError(`adamwStep: learning rate must be finite and ≥ 0, got ${lr}`);
  const t = state.step + 1;
  const bc1 = 1 - opts.beta1 ** t;
  const bc2 = 1 - opts.beta2 ** t;
  const m: Record<string, tf.Tensor> = { ...state.m };
  const v: Record<string, tf.Tensor> = { ...state.v };
  for (const [name, g] of Object.entries(grads)) {
    const p = vars[name];
    if (!p) throw new ValueError(`adamwStep: gradient for unknown parameter '${name}'`);
    const { lrMultiplier, decayMultiplier } = groups(name);
    const plr = lr * lrMultiplier;
    const [nm, nv, np] = tf.tidy(() => {
      const m0 = state.m[name] ?? tf.zerosLike(p);
      const v0 = state.v[name] ?? tf.zerosLike(p);
      const m1 = tf.add(tf.mul(m0, opts.beta1), tf.mul(g, 1 - opts.beta1));
      const v1 = tf.add(tf.mul(v0, opts.beta2), tf.mul(tf.square(g), 1 - opts.beta2));
      const decayed = tf.mul(p, 1 - plr * opts.weightDecay * decayMultiplier);
      const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(bc2)), opts.epsilon);
      return [m1, v1, tf.sub(decayed, tf.mul(tf.div(m1, denom), plr / bc1))];
    });
    p.assign(np as tf.Tensor);
    (np as tf.Tensor).dispose();
    state.m[name]?.dispose();
    state.v[name]?.dispose();
    m[name] = nm as tf.Tensor;
    v[name] = nv as tf.Tensor;
  }
  return { step: t, m, v };
}

/** Frees the moment tensors. */
export function disposeAdamWState(s: AdamWState): void {
  Object.values(s.m).forEach((t) => t.dispose());
  Object.values(s.v).forEach((t) => t.dispose());
}
