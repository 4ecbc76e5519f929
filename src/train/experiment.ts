/**
 * A GMM-vs-softmax experiment on one frozen-or-trainable extractor: train each head (same extractor architecture and
 * decoder initialisation), evaluate closed-set and anomaly metrics, calibrate the anomaly threshold on inlier
 * validation pixels. Used by `gmmseg demo` and `npm run bench:camvid`. No I/O: events go to a callback.
 */
import type { Dataset } from '../data/sample.js';
import { makeGmmConfig } from '../gmm/config.js';
import { createHeadState } from '../gmm/head.js';
import { calibrateOnInliers, type InlierCalibration } from '../infer/calibrate.js';
import { predictImage, type AnomalyScoreName, type PredictOptions } from '../infer/predict.js';
import type { SegModel } from '../model/seg-model.js';
import { createSoftmaxHead } from '../nn/softmax-head.js';
import type { Extractor } from '../nn/types.js';
import { createRng, type Rng } from '../random.js';
import { createAdamWState } from './adamw.js';
import type { FrozenEntry } from './batch.js';
import { evaluateModel, type EvalResult } from './evaluate.js';
import { buildFrozenCache } from './frozen-cache.js';
import type { TrainConfig } from './train-config.js';
import { trainStep, type StepLosses, type TrainState } from './trainer.js';

export type HeadKind = 'gmm' | 'softmax';

/** Progress events. */
export type ExperimentEvent =
  | { kind: 'cache'; done: number; total: number }
  | { kind: 'step'; head: HeadKind; step: number; total: number; losses: StepLosses }
  | { kind: 'eval'; head: HeadKind; dataset: string; done: number; total: number };

/** Inputs of an experiment. */
export interface ExperimentOptions {
  classes: string[];
  train: Dataset;
  closedTest: Dataset;
  anomalyTest: Dataset;
  /** Inlier validation images for the threshold (their valid pixels are inliers). */
  calibration: Dataset;
  /** Builds the extractor; called once per head with the same seed so both start identical. */
  createExtractor: (rng: Rng) => Promise<Extractor>;
  train_: TrainConfig;
  /** GMM config overrides (classes and embedDim are set from the data and the extractor). */
  gmm: Record<string, unknown>;
  heads: readonly HeadKind[];
  predict: PredictOptions;
  /** Frozen-map scale for the cache (e.g. to bring images to a working size). */
  cacheScale?: number;
  onEvent?: (e: ExperimentEvent) => void;
}

/** One head's outcome. */
export interface HeadOutcome {
  head: HeadKind;
  model: SegModel;
  closedSet: EvalResult;
  anomaly: EvalResult;
  /** Threshold of the head's primary anomaly score (GMM: 'gmm', softmax: 'msp'). */
  calibration: InlierCalibration & { score: AnomalyScoreName };
  trainSeconds: number;
  finalLoss: number;
}

/** The primary anomaly score of a head. */
export function primaryScore(head: HeadKind): AnomalyScoreName {
  return head === 'gmm' ? 'gmm' : 'msp';
}

/** Runs the experiment for every requested head, in order. */
export async function runExperiment(opts: ExperimentOptions): Promise<HeadOutcome[]> {
  const emit = opts.onEvent ?? (() => undefined);
  const out: HeadOutcome[] = [];
  let cache: FrozenEntry[] | undefined;
  for (const head of opts.heads) {
    const rng = createRng(opts.train_.seed);
    const extractor = await opts.createExtractor(rng);
    if (opts.train_.cacheFrozen && !cache) cache = await buildFrozenCache(extractor, opts.train, opts.cacheScale ?? 1, (done, total) => emit({ kind: 'cache', done, total }));
    const model: SegModel = { classes: opts.classes, extractor, head: makeHead(head, opts, extractor.embedDim, rng) };
    const t0 = performance.now();
    let state: TrainState = { step: 0, model, optimizer: createAdamWState() };
    let finalLoss = NaN;
    while (state.step < opts.train_.steps) {
      const r = await trainStep(state, cache ? { dataset: opts.train, frozen: cache } : { dataset: opts.train }, opts.train_);
      state = r.state;
      finalLoss = r.losses.loss;
      emit({ kind: 'step', head, step: state.step, total: opts.train_.steps, losses: r.losses });
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const ev = (ds: Dataset): Promise<EvalResult> => evaluateModel(state.model, ds, opts.predict, (done, total) => emit({ kind: 'eval', head, dataset: ds.name, done, total }));
    const closedSet = await ev(opts.closedTest);
    const anomaly = await ev(opts.anomalyTest);
    const score = primaryScore(head);
    const calibration = { ...(await calibrate(state.model, opts.calibration, score, opts.predict)), score };
    out.push({ head, model: state.model, closedSet, anomaly, calibration, trainSeconds, finalLoss });
  }
  return out;
}

function makeHead(head: HeadKind, opts: ExperimentOptions, embedDim: number, rng: Rng): SegModel['head'] {
  if (head === 'softmax') return { kind: 'softmax', head: createSoftmaxHead({ embedDim, classes: opts.classes.length, rng }) };
  const config = makeGmmConfig({ ...opts.gmm, classes: opts.classes.length, embedDim });
  return { kind: 'gmm', state: createHeadState(config, rng, true) };
}

/** Threshold at 95% TPR on the inlier (labelled) pixels of a validation set. */
export async function calibrate(model: SegModel, ds: Dataset, score: AnomalyScoreName, predict: PredictOptions): Promise<InlierCalibration> {
  const inliers: number[] = [];
  for (let i = 0; i < ds.length; i++) {
    const s = await ds.get(i);
    const scores = predictImage(model, s.image, predict).scores[score];
    if (!scores) continue;
    s.label.data.forEach((v, p) => {
      if (v !== 255) inliers.push(scores[p] as number);
    });
  }
  return calibrateOnInliers(Float64Array.from(inliers), 0.95);
}
