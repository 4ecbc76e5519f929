/**
 * AdamW exactly as PyTorch's `torch.optim.AdamW` (decoupled weight decay), with per-parameter learning-rate and
 * weight-decay multipliers (the reference's `head` lr ×10 and `norm` decay ×0 rules are expressed through them).
 * The state (step, first and second moments) is plain named tensors so checkpoints resume bit for bit. The native
 * engine updates each parameter with one kernel (native/src/ops_adamw.cc) that repeats the ops' float32 arithmetic
 * (bit-identical; tests/unit/train/adamw.test.ts); other engines run the ops.
 *
 *   p ← p · (1 − lr·wd)
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';

/** Name of the native engine's fused update (one parameter, one step); other engines run the ops. */
export const ADAMW_UPDATE = 'AdamWUpdate';

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
  const update = tf.getKernel(ADAMW_UPDATE, tf.getBackend()) !== undefined ? updateKernel : updateOps;
  const m: Record<string, tf.Tensor> = { ...state.m };
  const v: Record<string, tf.Tensor> = { ...state.v };
  for (const [name, g] of Object.entries(grads)) {
    const p = vars[name];
    if (!p) throw new ValueError(`adamwStep: gradient for unknown parameter '${name}'`);
    const { lrMultiplier, decayMultiplier } = groups(name);
    const plr = lr * lrMultiplier;
    const k: UpdateScalars = {
      beta1: opts.beta1,
      oneMinusBeta1: 1 - opts.beta1,
      beta2: opts.beta2,
      oneMinusBeta2: 1 - opts.beta2,
      decay: 1 - plr * opts.weightDecay * decayMultiplier,
      sqrtBc2: Math.sqrt(bc2),
      epsilon: opts.epsilon,
      stepSize: plr / bc1,
    };
    const [nm, nv, np] = update(p, g, state.m[name], state.v[name], k);
    p.assign(np as tf.Tensor);
    (np as tf.Tensor).dispose();
    state.m[name]?.dispose();
    state.v[name]?.dispose();
    m[name] = nm as tf.Tensor;
    v[name] = nv as tf.Tensor;
  }
  return { step: t, m, v };
}

/** The float32 scalars of one parameter's update (each rounded to float32 where it meets a tensor). */
export interface UpdateScalars {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** 1 − lr·wd·decayMultiplier */
  decay: number;
  /** sqrt(1 − β2^t) */
  sqrtBc2: number;
  epsilon: number;
  /** lr / (1 − β1^t) */
  stepSize: number;
}

/** One parameter's update: p, g, moments m and v (absent: zeros), scalars → [m1, v1, p1]. */
export type ParamUpdate = (
  p: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor | undefined,
  v: tf.Tensor | undefined,
  k: UpdateScalars,
) => tf.Tensor[];

/** The update as tfjs ops. */
export const updateOps: ParamUpdate = (p, g, m, v, k) =>
  tf.tidy(() => {
    const m0 = m ?? tf.zerosLike(p);
    const v0 = v ?? tf.zerosLike(p);
    const m1 = tf.add(tf.mul(m0, k.beta1), tf.mul(g, k.oneMinusBeta1));
    const v1 = tf.add(tf.mul(v0, k.beta2), tf.mul(tf.square(g), k.oneMinusBeta2));
    const decayed = tf.mul(p, k.decay);
    const denom = tf.add(tf.div(tf.sqrt(v1), k.sqrtBc2), k.epsilon);
    return [m1, v1, tf.sub(decayed, tf.mul(tf.div(m1, denom), k.stepSize))];
  });

/** The same update as one kernel (native/src/ops_adamw.cc: the ops' float32 arithmetic in their order). */
export const updateKernel: ParamUpdate = (p, g, m, v, k) => {
  const inputs = m && v ? { p, g, m, v } : { p, g };
  return tf.engine().runKernel(ADAMW_UPDATE, inputs, { ...k }) as tf.Tensor[];
};

/** Frees the moment tensors. */
export function disposeAdamWState(s: AdamWState): void {
  Object.values(s.m).forEach((t) => t.dispose());
  Object.values(s.v).forEach((t) => t.dispose());
}
