/**
 * Online hybrid training (reference §1–5), one optimizer step at a time: state → state.
 *
 * Per step: for each micro-batch (deterministic indices and augmentation from (seed, step, micro)), forward the
 * extractor in training mode and the head, compute the losses (GMM: segmentation CE + weight · contrast CE with
 * Sinkhorn targets; softmax: segmentation CE), accumulate gradients; one AdamW update with the poly/warm-up
 * learning rate (decoder and head ×headLrMultiplier, backbone/encoder ×1, no decay on backbone norms); then, without
 * gradient, the GMM memory enqueue and the M-step every N steps. Everything depends only on (config, state), so
 * a run resumed from a checkpoint continues exactly as an uninterrupted one.
 *
 * Data parallel (a process group of N ranks, `data-parallel.ts`): a step has A·N micro-batches (A = accumulateSteps
 * per rank) and rank r runs global micro-batches r·A … r·A + A − 1 of the same seeded order; gradients, losses, the
 * batch-norm statistics and the GMM captures are combined over ranks so that every rank takes the same step as one
 * process accumulating A·N micro-batches. With several micro-batches per step, every micro-batch starts from the
 * step's batch-norm running statistics and the step adds the mean of their updates (one update per optimizer step,
 * independent of how the micro-batches are spread over ranks).
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/sample.js';
import { GmmsegError } from '../errors.js';
import { segmentationLoss } from '../gmm/losses.js';
import { advanceHead, headTrainForward, type HeadCapture } from '../gmm/train-step.js';
import { headVariables, type SegModel } from '../model/seg-model.js';
import { softmaxHeadLogits } from '../nn/softmax-head.js';
import { createRng } from '../random.js';
import { clipGradNorm } from './grad-clip.js';
import { adamwStep, type AdamWState, type ParamGroup } from './adamw.js';
import type { AugmentOptions } from '../data/augment.js';
import { frozenBatch, loadImageBatch, type FrozenEntry } from './batch.js';
import type { BatchSource, MicroKey, MicroPlan } from './batch-pipeline.js';
import { batchIndices, mixSeed } from './data-order.js';
import { polyLr } from './schedule.js';
import { ohemOf, type TrainConfig } from './train-config.js';
import { IGNORE_INDEX } from '../constants.js';
import { allReduceGradients, allReduceLosses, gatherCaptures, type Collective } from './data-parallel.js';
import { BnAverager } from './bn-average.js';
import type { WeightAverage } from './weight-average.js';

/** Everything that changes during training. */
export interface TrainState {
  /** Optimizer steps done. */
  step: number;
  model: SegModel;
  optimizer: AdamWState;
  /** The running weight average when the run averages its tail (`weightAverageFromStep` > 0, `weight-average.ts`). */
  average?: WeightAverage;
}

/** Training data: a dataset, and with `cacheFrozen` the frozen-backbone maps of each sample. */
export interface TrainData {
  dataset: Dataset;
  frozen?: readonly FrozenEntry[];
  /** [C] class weights of the segmentation CE (`class-weights.ts`); omitted: every class 1. */
  classWeights?: readonly number[];
  /** Image batches prepared ahead (`batch-pipeline.ts`, same bytes); omitted: each is built when its step needs it. */
  batches?: BatchSource;
}

/** Losses of one step (means over micro-batches). */
export interface StepLosses {
  loss: number;
  segLoss: number;
  contrastLoss: number;
  learningRate: number;
  /** Global L2 norm of the step's gradients before clipping (computed only when `gradClipNorm` > 0). */
  gradNorm?: number;
}

/** Raised when the loss becomes NaN or infinite; the CLI reports the last good checkpoint. */
export class TrainingDivergedError extends GmmsegError {
  constructor(
    readonly step: number,
    readonly value: number,
  ) {
    super(`training diverged at step ${step}: the loss is ${value}`);
  }
}

/** All trainable variables by name ('extractor.<param>', 'head.<param>' and the auxiliary classifier's 'aux.<param>'). */
export function trainableVariables(model: SegModel): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [k, v] of Object.entries(model.extractor.params)) out[`extractor.${k}`] = v;
  for (const [k, v] of Object.entries(model.aux?.params ?? {})) out[`aux.${k}`] = v;
  return { ...out, ...headVariables(model.head) };
}

/** Learning-rate and decay multipliers: backbone/encoder ×1 (norms without decay), everything else ×headLrMultiplier. */
export function paramGroups(cfg: TrainConfig): (name: string) => ParamGroup {
  return (name) => {
    const backbone = name.startsWith('extractor.backbone.') || name.startsWith('extractor.encoder.');
    const norm = /(^|\.)(norm|bn|ln)\d*(\.|$)|norm\./.test(name);
    return { lrMultiplier: backbone ? 1 : cfg.headLrMultiplier, decayMultiplier: backbone && norm ? 0 : 1 };
  };
}

/**
 * One optimizer step. The input state is consumed (variables and the GMM memory advance in place). With `group`
 * (data parallel), every rank of the group calls it with the same state and takes the same step.
 */
export async function trainStep(
  state: TrainState,
  data: TrainData,
  cfg: TrainConfig,
  group?: Collective,
): Promise<{ state: TrainState; losses: StepLosses }> {
  const lr = polyLr(
    {
      baseLr: cfg.learningRate,
      minLr: cfg.minLearningRate,
      power: cfg.polyPower,
      maxIters: cfg.steps,
      warmupIters: cfg.warmupSteps,
      warmupRatio: cfg.warmupRatio,
    },
    state.step,
  );
  const ranks = group?.worldSize ?? 1;
  const rank = group?.rank ?? 0;
  const micros = cfg.accumulateSteps * ranks;
  const vars = trainableVariables(state.model);
  const byTfName = new Map(Object.entries(vars).map(([k, v]) => [v.name, k]));
  const sums: Record<string, tf.Tensor> = {};
  let captures: HeadCapture[] = [];
  const bn = micros > 1 ? new BnAverager(state.model.extractor.state) : undefined;
  const local = { seg: 0, con: 0, total: 0 };
  for (let m = 0; m < cfg.accumulateSteps; m++) {
    bn?.restore();
    const out = await microStep(state, data, cfg, rank * cfg.accumulateSteps + m, micros, Object.values(vars));
    bn?.record();
    if (out.capture) captures.push(out.capture);
    local.seg += out.segLoss / micros;
    local.con += out.contrastLoss / micros;
    local.total += out.loss / micros;
    for (const [tfName, g] of Object.entries(out.grads)) {
      const name = byTfName.get(tfName) as string;
      const prev = sums[name];
      sums[name] = prev ? tf.tidy(() => tf.add(prev, g)) : tf.clone(g);
      prev?.dispose();
      g.dispose();
    }
  }
  const { seg, con, total } = group ? allReduceLosses(group, local) : local;
  if (!Number.isFinite(total)) {
    Object.values(sums).forEach((t) => t.dispose());
    bn?.dispose();
    throw new TrainingDivergedError(state.step, total);
  }
  if (group) allReduceGradients(group, sums);
  bn?.finish(micros, group);
  const averaged = Object.fromEntries(
    Object.entries(sums).map(([k, g]) => [k, micros === 1 ? g : tf.tidy(() => tf.div(g, micros))]),
  );
  if (micros !== 1) Object.values(sums).forEach((t) => t.dispose());
  const clip = cfg.gradClipNorm > 0 ? clipGradNorm(averaged, cfg.gradClipNorm) : undefined;
  const grads = clip?.grads ?? averaged;
  const optimizer = adamwStep(
    vars,
    grads,
    state.optimizer,
    lr,
    { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: cfg.weightDecay },
    paramGroups(cfg),
  );
  Object.values(grads).forEach((t) => t.dispose());
  let model = state.model;
  if (model.head.kind === 'gmm') {
    if (group) captures = gatherCaptures(group, captures);
    model = { ...model, head: { kind: 'gmm', state: advanceHead(model.head.state, captures).state } };
  }
  return {
    state: { ...state, step: state.step + 1, model, optimizer },
    losses: {
      loss: total,
      segLoss: seg,
      contrastLoss: con,
      learningRate: lr,
      ...(clip ? { gradNorm: clip.norm } : {}),
    },
  };
}

/** Dataset indices and augmentation seed of micro-batch `key.micro` of `micros` at step `key.step` (`n` samples). */
export function microPlan(cfg: TrainConfig, key: MicroKey, micros: number, n: number): MicroPlan {
  return {
    indices: batchIndices(cfg.seed, key.step, key.micro, cfg.batchSize, micros, n),
    seed: mixSeed(cfg.seed, key.step, key.micro, 1),
  };
}

/**
 * The micro-batch this process runs after `key` (rank `rank` runs micro-batches rank·A … rank·A + A − 1 of each
 * step, A = accumulateSteps); undefined after the last step.
 */
export function nextMicro(cfg: TrainConfig, key: MicroKey, rank: number): MicroKey | undefined {
  const first = rank * cfg.accumulateSteps;
  if (key.micro + 1 < first + cfg.accumulateSteps) return { step: key.step, micro: key.micro + 1 };
  return key.step + 1 < cfg.steps ? { step: key.step + 1, micro: first } : undefined;
}

/** The augmentation of training crops that `cfg` asks for. */
export function augmentOptionsOf(cfg: TrainConfig): AugmentOptions {
  return {
    cropSize: cfg.cropSize,
    scaleRange: cfg.scaleRange,
    baseScale: cfg.baseScale,
    flip: cfg.flip,
    catMaxRatio: cfg.catMaxRatio,
    photometric: cfg.photometric,
  };
}

async function microStep(
  state: TrainState,
  data: TrainData,
  cfg: TrainConfig,
  micro: number,
  micros: number,
  varList: tf.Variable[],
): Promise<{ grads: tf.NamedTensorMap; loss: number; segLoss: number; contrastLoss: number; capture?: HeadCapture }> {
  // the micro-batch's samples and augmentation draws, when this step builds its batch itself
  const plan = () => microPlan(cfg, { step: state.step, micro }, micros, data.frozen?.length ?? data.dataset.length);
  const ctx = { training: true, seed: mixSeed(cfg.seed, state.step, micro, 2) };
  const { extractor, head, aux } = state.model;
  if (cfg.auxLossWeight > 0 && !aux)
    throw new GmmsegError('auxLossWeight > 0 needs a model created with the auxiliary classifier (deep supervision)');
  const forwardAux = aux ? extractor.forwardAux?.bind(extractor) : undefined;
  if (aux && !forwardAux)
    throw new GmmsegError(`extractor '${extractor.kind}' has no auxiliary map for deep supervision`);
  if (aux && data.frozen) throw new GmmsegError('deep supervision (auxLossWeight) cannot train on cached frozen maps');
  let input: {
    forward: () => { feats: tf.Tensor4D; aux?: tf.Tensor4D };
    labels: Int32Array;
    labelShape: [number, number, number];
    inputs: tf.Tensor[];
  };
  if (data.frozen) {
    const { indices, seed } = plan();
    const fb = frozenBatch(data.frozen, indices, createRng(seed), cfg.flip);
    const from = extractor.forwardFromFrozen?.bind(extractor);
    if (!from)
      throw new GmmsegError(`extractor '${extractor.kind}' has no frozen part; cacheFrozen needs a frozen backbone`);
    const forward = (): { feats: tf.Tensor4D } => ({ feats: from(fb.maps, ctx) });
    input = { forward, labels: fb.labels, labelShape: fb.labelShape, inputs: fb.maps };
  } else {
    const own = async () => {
      const { indices, seed } = plan();
      return loadImageBatch(data.dataset, indices, createRng(seed), augmentOptionsOf(cfg));
    };
    const b = data.batches ? await data.batches.batch({ step: state.step, micro }) : await own();
    const forward = (): { feats: tf.Tensor4D; aux?: tf.Tensor4D } =>
      forwardAux ? forwardAux(b.images, ctx) : { feats: extractor.forward(b.images, ctx) };
    input = { forward, labels: b.labels, labelShape: b.labelShape, inputs: [b.images] };
  }
  const ohem = ohemOf(cfg);
  const weighting = { ...(ohem ? { ohem } : {}), ...(data.classWeights ? { classWeights: data.classWeights } : {}) };
  let capture: HeadCapture | undefined;
  const labelsT = tf.tensor3d(input.labels, input.labelShape, 'int32');
  const parts: tf.Scalar[] = [];
  try {
    const { value, grads } = tf.variableGrads(() => {
      const out = input.forward();
      let loss: tf.Scalar;
      if (head.kind === 'gmm') {
        const h = headTrainForward(head.state, out.feats, input.labels, input.labelShape, weighting);
        capture = h.capture;
        loss = h.loss;
      } else {
        const logits = softmaxHeadLogits(head.head, out.feats);
        loss = segmentationLoss(logits, labelsT, IGNORE_INDEX, 'all-pixels', {
          ...weighting,
          hostLabels: input.labels,
        });
      }
      if (!aux || !out.aux) return loss;
      parts.push(tf.keep(loss));
      const auxLoss = segmentationLoss(softmaxHeadLogits(aux, out.aux), labelsT, IGNORE_INDEX, 'all-pixels');
      parts.push(tf.keep(auxLoss));
      return tf.add(loss, tf.mul(auxLoss, cfg.auxLossWeight)) as tf.Scalar;
    }, varList);
    const loss = value.dataSync()[0] as number;
    value.dispose();
    const headLoss = parts[0] ? (parts[0].dataSync()[0] as number) : loss;
    const segLoss = capture ? capture.segLoss : headLoss;
    const contrastLoss = capture ? capture.contrastLoss : 0;
    return capture ? { grads, loss, segLoss, contrastLoss, capture } : { grads, loss, segLoss, contrastLoss };
  } finally {
    labelsT.dispose();
    parts.forEach((t) => t.dispose());
    input.inputs.forEach((t) => t.dispose());
  }
}
