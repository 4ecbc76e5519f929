/**
 * One online-hybrid training step of the GMM head (reference §1.2 steps 1–15, Appendix A), state → state:
 *   engine: the shared forward (embed, log-densities, class scores, class LayerNorm) and the losses (segmentation CE +
 *   weight · contrast CE), backprop into whatever produced the features and into the LayerNorms (when an optimizer is
 *   given) — see train-forward.ts, which also runs the Sinkhorn E-step on the one device→host read;
 *   host: enqueue correctly classified features into the memory → M-step every N steps ({@link advanceHead}).
 * Means, stds and memory never receive gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { normalizeRowsArray } from './embed.js';
import type { HeadState } from './head-types.js';
import { presentClasses } from './labels.js';
import { pushRows } from './memory.js';
import { mStep } from './m-step.js';
import { enqueueRows } from './targets.js';
import { headTrainForward, type HeadCapture } from './train-forward.js';

export { headTrainForward, type HeadCapture } from './train-forward.js';

/** One batch for the head. */
export interface HeadBatch {
  /** [B, h, w, D] extractor output, or a function producing it inside the gradient tape (to train the extractor). */
  features: tf.Tensor4D | (() => tf.Tensor4D);
  /** [B, H, W] labels at input resolution; `ignoreIndex` = ignore. */
  labels: ArrayLike<number>;
  /** [B, H, W] */
  labelShape: readonly [number, number, number];
}

/**
 * Optimisation of one step: `optimizer` (a tfjs optimizer over `varList`, default all trainable variables), or
 * `minimize`, any function that takes the loss closure, computes gradients and applies them (e.g. AdamW).
 */
export interface HeadStepOptions {
  optimizer?: tf.Optimizer;
  varList?: tf.Variable[];
  minimize?: (loss: () => tf.Scalar) => void;
}

/** What a step produced besides the new state. */
export interface HeadStepResult {
  state: HeadState;
  segLoss: number;
  contrastLoss: number;
  /** segLoss + contrastLossWeight · contrastLoss */
  loss: number;
  /** [B, h, w, C] class logits of this step's forward. */
  classLogits: Float32Array;
  /** [B·h·w] component targets K·c + k, −1 where ignored. */
  componentTargets: Int32Array;
  /** Whether this step ran the M-step. */
  gmmUpdated: boolean;
}

/**
 * Advances the head by one step. The input state's memory is advanced in place and the input state must not be
 * used again (a stale state is detected and refused); means, stds and the counter are new values in the result.
 */
export function headTrainStep(state: HeadState, batch: HeadBatch, options: HeadStepOptions = {}): HeadStepResult {
  assertFresh(state, 'headTrainStep');
  let capture: HeadCapture | undefined;
  const lossFn = (): tf.Scalar => {
    const feats = typeof batch.features === 'function' ? batch.features() : batch.features;
    const out = headTrainForward(state, feats, batch.labels, batch.labelShape);
    capture = out.capture;
    return out.loss;
  };
  if (options.minimize) options.minimize(lossFn);
  else if (options.optimizer) options.optimizer.minimize(lossFn, false, options.varList);
  else tf.tidy(lossFn);
  const cap = capture as HeadCapture;
  const { state: next, gmmUpdated } = advanceHead(state, [cap]);
  return {
    state: next,
    segLoss: cap.segLoss,
    contrastLoss: cap.contrastLoss,
    loss: cap.segLoss + state.config.contrastLossWeight * cap.contrastLoss,
    classLogits: cap.logits,
    componentTargets: cap.targets.targets,
    gmmUpdated,
  };
}

/**
 * The no-gradient part of a step: enqueue the captured features of each micro-batch (in order), run the M-step for
 * the classes present when `step % gmmUpdateEvery === 0`, increment the counter. Advances the memory in place.
 */
export function advanceHead(
  state: HeadState,
  captures: readonly HeadCapture[],
): { state: HeadState; gmmUpdated: boolean } {
  assertFresh(state, 'advanceHead');
  const cfg = state.config;
  const means = normalizeRowsArray(state.gmm.means, cfg.embedDim);
  const memory = state.memory;
  const present = new Set<number>();
  for (const cap of captures) {
    const bySlot = enqueueRows(cap.labelsSmall, cap.targets, cfg);
    for (const [slot, rows] of bySlot) pushRows(memory, slot, cap.embedded, rows);
    presentClasses(cap.labelsSmall, cfg.ignoreIndex).forEach((c) => present.add(c));
  }
  memory.version++;
  const gmmUpdated = state.step % cfg.gmmUpdateEvery === 0;
  const gmm = gmmUpdated
    ? mStep(
        means,
        state.gmm.stds,
        memory,
        [...present].sort((a, b) => a - b),
        cfg,
      )
    : { means, stds: state.gmm.stds };
  return { state: { ...state, gmm, memory, memoryVersion: memory.version, step: state.step + 1 }, gmmUpdated };
}

function assertFresh(state: HeadState, fnName: string): void {
  if (state.memory.version !== state.memoryVersion)
    throw new ValueError(
      `${fnName}: this head state was already advanced (its memory moved on); use the state returned by the last step`,
    );
}
