/**
 * One online-hybrid training step of the GMM head (reference §1.2 steps 1–15, Appendix A), state → state:
 *   normalise means → forward (embed, log-densities, class scores, class LayerNorm) → Sinkhorn component targets per
 *   class present → losses (segmentation CE + weight · contrast CE) → backprop into whatever produced the features and
 *   into the LayerNorms (when an optimizer is given) → enqueue correctly classified features → M-step every N steps.
 * Means, stds and memory never receive gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { assertLength, assertShape } from '../shape.js';
import { maxOverComponents, mixtureLogLikelihood } from './class-scores.js';
import { embedFeatures, normalizeRowsArray } from './embed.js';
import type { HeadState } from './head.js';
import { checkLabels, nearestResizeLabels, presentClasses } from './labels.js';
import { layerNorm } from './layer-norm.js';
import { componentLogDensity, densityMatrix, densityTensors, disposeDensityTensors } from './log-density.js';
import { contrastLoss, segmentationLoss } from './losses.js';
import { linspaceIndices, pushRows } from './memory.js';
import { mStep } from './m-step.js';
import { componentTargets, enqueueRows, type ComponentTargets } from './targets.js';

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

/** What one training forward leaves for the no-gradient part of the step (memory and M-step). */
export interface HeadCapture {
  /** [N, D] embedded features (after LayerNorm + L2). */
  embedded: Float32Array;
  /** [N] labels at feature resolution. */
  labelsSmall: Int32Array;
  /** [N, C] class logits. */
  logits: Float32Array;
  targets: ComponentTargets;
  segLoss: number;
  contrastLoss: number;
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
 * The differentiable part of a step for one (micro-)batch: forward, Sinkhorn targets, total loss. Call it inside a
 * gradient tape (tf.variableGrads / optimizer.minimize); the capture feeds {@link advanceHead}.
 * @param feats [B, h, w, D]
 * @param labels [B, H, W]
 */
export function headTrainForward(state: HeadState, feats: tf.Tensor4D, labels: ArrayLike<number>, labelShape: readonly [number, number, number]): { loss: tf.Scalar; capture: HeadCapture } {
  const cfg = state.config;
  const { classes: C, componentsPerClass: K, embedDim: D } = cfg;
  const [B, H, W] = labelShape;
  assertLength(labels.length, [B, H, W], 'labels', 'headTrainForward');
  checkLabels(labels, C, cfg.ignoreIndex, 'headTrainForward');
  const dt = densityTensors(densityMatrix(normalizeRowsArray(state.gmm.means, D), state.gmm.stds, C * K, D));
  const labelsFull = tf.tensor3d(Int32Array.from(labels), [B, H, W], 'int32');
  try {
    const out = forwardLosses(state, feats, labelsFull, dt, B, H, W);
    return { loss: out.total, capture: out.captured };
  } finally {
    disposeDensityTensors(dt);
    labelsFull.dispose();
  }
}

/**
 * The no-gradient part of a step: enqueue the captured features of each micro-batch (in order), run the M-step for
 * the classes present when `step % gmmUpdateEvery === 0`, increment the counter. Advances the memory in place.
 */
export function advanceHead(state: HeadState, captures: readonly HeadCapture[]): { state: HeadState; gmmUpdated: boolean } {
  assertFresh(state, 'advanceHead');
  const cfg = state.config;
  const means = normalizeRowsArray(state.gmm.means, cfg.embedDim);
  const memory = state.memory;
  const present = new Set<number>();
  for (const cap of captures) {
    const rows = enqueueRows(cap.labelsSmall, cap.targets, cfg.componentsPerClass, cfg.maxSamplesPerStep, cfg.ignoreIndex, linspaceIndices);
    for (const [slot, r] of rows) pushRows(memory, slot, cap.embedded, r);
    presentClasses(cap.labelsSmall, cfg.ignoreIndex).forEach((c) => present.add(c));
  }
  memory.version++;
  const gmmUpdated = state.step % cfg.gmmUpdateEvery === 0;
  const gmm = gmmUpdated ? mStep(means, state.gmm.stds, memory, [...present].sort((a, b) => a - b), cfg) : { means, stds: state.gmm.stds };
  return { state: { ...state, gmm, memory, memoryVersion: memory.version, step: state.step + 1 }, gmmUpdated };
}

function assertFresh(state: HeadState, fnName: string): void {
  if (state.memory.version !== state.memoryVersion) throw new ValueError(`${fnName}: this head state was already advanced (its memory moved on); use the state returned by the last step`);
}

function forwardLosses(state: HeadState, feats: tf.Tensor4D, labelsFull: tf.Tensor3D, dt: ReturnType<typeof densityTensors>, B: number, H: number, W: number): { total: tf.Scalar; captured: HeadCapture } {
  const cfg = state.config;
  const { classes: C, componentsPerClass: K, embedDim: D } = cfg;
  assertShape(feats.shape, [B, null, null, D], 'features', 'headTrainStep');
  const [, h, w] = feats.shape;
  const x = embedFeatures(tf.reshape(feats, [-1, D]), state.norms.featNormWeight, state.norms.featNormBias, cfg.layerNormEps);
  const embedded = x.dataSync() as Float32Array;
  for (let i = 0; i < embedded.length; i++) {
    if (!Number.isFinite(embedded[i] as number)) throw new ValueError(`headTrainStep: features produce a non-finite embedding at pixel ${Math.floor(i / D)}; NaN/Inf features are not fed into the GMM`);
  }
  const logDensity = componentLogDensity(x, dt);
  const scores = cfg.classScore === 'max' ? maxOverComponents(logDensity, C, K) : mixtureLogLikelihood(logDensity, C, K);
  const logits = layerNorm(scores, state.norms.classNormWeight, state.norms.classNormBias, cfg.layerNormEps);
  const logitValues = logits.dataSync() as Float32Array;
  const labelsSmall = nearestResizeLabels(labelsFull.dataSync(), B, H, W, h, w);
  const targets = componentTargets(logDensity.dataSync() as Float32Array, labelsSmall, argmaxRows(logitValues, C), {
    classes: C,
    componentsPerClass: K,
    ignoreIndex: cfg.ignoreIndex,
    contrastTargetCollision: cfg.contrastTargetCollision,
    iterations: cfg.sinkhornIterations,
    epsilon: cfg.sinkhornEpsilon,
  });
  const seg = segmentationLoss(tf.reshape(logits, [B, h, w, C]), labelsFull, cfg.ignoreIndex, cfg.segLossReduction);
  const con = contrastLoss(logDensity, targets.targets);
  const total = tf.add(seg, tf.mul(con, cfg.contrastLossWeight)) as tf.Scalar;
  const captured: HeadCapture = { embedded: Float32Array.from(embedded), labelsSmall, logits: Float32Array.from(logitValues), targets, segLoss: seg.dataSync()[0] as number, contrastLoss: con.dataSync()[0] as number };
  return { total, captured };
}

function argmaxRows(values: Float32Array, C: number): Int32Array {
  const N = values.length / C;
  const out = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let best = 0;
    for (let c = 1; c < C; c++) if ((values[n * C + c] as number) > (values[n * C + best] as number)) best = c;
    out[n] = best;
  }
  return out;
}
