/**
 * Evaluation runner: a model over a closed-set and/or an anomaly data set → closed-set metrics (dataset-level
 * confusion, mIoU) and, where a set has anomaly masks, exact pixel-level AUROC / AP / FPR95 for every anomaly score
 * the head provides. No I/O; progress through a callback.
 *
 * It streams: samples are decoded through a prefetch queue (`prefetch.ts`, depth 2) while the model predicts the
 * current one, and each prediction is folded into counts at once (`eval-accumulator.ts`), so memory does not grow
 * with per-pixel arrays of the set. When both sets are given, have the same length and sample i of both holds the
 * same image bytes (e.g. `camvid-heldout` test and anomaly views), one forward serves both.
 */
import type { Dataset, RgbImage, Sample } from '../data/sample.js';
import { predictImage, type PredictOptions, type Prediction } from '../infer/predict.js';
import type { SegModel } from '../model/seg-model.js';
import { EvalAccumulator, type EvalResult } from './eval-accumulator.js';
import { prefetch } from './prefetch.js';

export type { EvalResult } from './eval-accumulator.js';

/** Progress callback: samples done, total (over both sets). */
export type EvalProgress = (done: number, total: number) => void;

/** The data sets of one evaluation. */
export interface EvalSets {
  /** Closed-set test data (its labels give mIoU). */
  closedSet?: Dataset;
  /** Anomaly test data (its masks give AP / FPR95 / AUROC; its labels, if any, mIoU too). */
  anomaly?: Dataset;
}

/** What {@link evaluateSets} measured. */
export interface EvalSetsResult {
  closedSet?: EvalResult;
  anomaly?: EvalResult;
  /** Model forwards run (fewer than the samples when the two sets share images). */
  forwards: number;
}

/** Evaluation knobs beyond prediction. */
export interface EvalRunOptions {
  /** Samples decoded ahead of the model (default 2). */
  prefetch?: number;
  onProgress?: EvalProgress;
}

/** Runs the model over every sample of `dataset`. */
export async function evaluateModel(
  model: SegModel,
  dataset: Dataset,
  opts: PredictOptions,
  onProgress: EvalProgress = () => undefined,
): Promise<EvalResult> {
  return (await evaluateSets(model, { closedSet: dataset }, opts, { onProgress })).closedSet as EvalResult;
}

/** Runs the model over both sets (see the module comment); the results are those of {@link evaluateModel} on each. */
export async function evaluateSets(
  model: SegModel,
  sets: EvalSets,
  opts: PredictOptions,
  run: EvalRunOptions = {},
): Promise<EvalSetsResult> {
  const { closedSet, anomaly } = sets;
  const C = model.classes.length;
  const acc = {
    closed: closedSet ? new EvalAccumulator(closedSet.name, C) : undefined,
    anomaly: anomaly ? new EvalAccumulator(anomaly.name, C) : undefined,
  };
  const total = (closedSet?.length ?? 0) + (anomaly?.length ?? 0);
  const depth = run.prefetch ?? 2;
  const progress = run.onProgress ?? (() => undefined);
  let done = 0;
  let forwards = 0;
  const predict = (image: RgbImage): Prediction => {
    forwards++;
    return predictImage(model, image, opts);
  };
  if (closedSet && anomaly && acc.closed && acc.anomaly && closedSet.length === anomaly.length) {
    const get = async (i: number): Promise<[Sample, Sample]> => Promise.all([closedSet.get(i), anomaly.get(i)]);
    for await (const [a, b] of prefetch(closedSet.length, get, depth)) {
      const p = predict(a.image);
      acc.closed.add(a, p);
      acc.anomaly.add(b, sameImage(a.image, b.image) ? p : predict(b.image));
      progress((done += 2), total);
    }
  } else {
    for (const [ds, a] of [
      [closedSet, acc.closed],
      [anomaly, acc.anomaly],
    ] as const) {
      if (!ds || !a) continue;
      for await (const s of prefetch(ds.length, (i) => ds.get(i), depth)) {
        a.add(s, predict(s.image));
        progress(++done, total);
      }
    }
  }
  const out: EvalSetsResult = { forwards };
  if (acc.closed) out.closedSet = acc.closed.result();
  if (acc.anomaly) out.anomaly = acc.anomaly.result();
  return out;
}

/** Same size and the same RGB bytes. */
function sameImage(a: RgbImage, b: RgbImage): boolean {
  if (a === b) return true;
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) return false;
  return Buffer.compare(a.data, b.data) === 0;
}
