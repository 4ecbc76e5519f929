/**
 * Evaluation runner: a model over a closed-set and/or an anomaly data set → closed-set metrics (dataset-level
 * confusion, mIoU) and, where a set has anomaly masks, exact pixel-level AUROC / AP / FPR95 for every anomaly score
 * the head provides. No I/O; progress through a callback.
 *
 * It streams: samples are decoded through a prefetch queue (`prefetch.ts`, depth 2) while the model predicts the
 * current one, and each prediction is folded into counts (`eval-accumulator.ts`) — on machines with ≥ 4 cores on a
 * worker thread (`accumulate-worker.ts`) while the next image is predicted — so memory does not grow with per-pixel arrays of the
 * set and the three stages overlap. When both sets are given, have the same length and sample i of both holds the
 * same image bytes (e.g. `camvid-heldout` test and anomaly views), one forward serves both; otherwise the two images
 * of a pair go through the network together (one batch of 2 where their sizes agree, `predictImages`).
 *
 * Data parallel (`group`): each rank predicts images r, r + W, … of each set and the counts are reduced exactly
 * (`eval-reduce.ts`), so every rank returns the single-process metrics; accumulation then stays on the calling
 * thread (the counts must be reduced before the metrics are read).
 */
import { availableParallelism } from 'node:os';
import type { Dataset, RgbImage, Sample } from '../data/sample.js';
import { predictImages, type PredictOptions, type Prediction } from '../infer/predict.js';
import type { SegModel } from '../model/seg-model.js';
import { AccumulatorThread, accumulated, type AccumulatedSets } from './accumulate-worker.js';
import type { Collective } from './data-parallel.js';
import { shardByRank } from './eval-reduce.js';
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
  /** Where the time went, seconds: waiting for decoded samples, predicting, folding predictions into counts. */
  seconds: { wait: number; predict: number; accumulate: number };
  /** Bytes of the tie streams once every sample was added (the memory that grows with the sets). */
  tieBytes: number;
  /** Whether the metrics were accumulated on a worker thread. */
  worker: boolean;
}

/** Evaluation knobs beyond prediction. */
export interface EvalRunOptions {
  /** Samples decoded ahead of the model (default 2). */
  prefetch?: number;
  /**
   * Accumulate metrics on a worker thread while the next image is predicted. Default: with ≥ 4 cores; on 2 cores
   * the worker takes a core from the engine's threads and measured slower (bench:eval, README).
   */
  worker?: boolean;
  onProgress?: EvalProgress;
  /** Data-parallel process group: shard the sets by rank and reduce the counts (module comment). */
  group?: Collective;
}

/** Runs the model over every sample of `dataset`. */
export async function evaluateModel(
  model: SegModel,
  dataset: Dataset,
  opts: PredictOptions,
  onProgress: EvalProgress = () => undefined,
  group?: Collective,
): Promise<EvalResult> {
  const run: EvalRunOptions = group ? { onProgress, group } : { onProgress };
  return (await evaluateSets(model, { closedSet: dataset }, opts, run)).closedSet as EvalResult;
}

/** Runs the model over both sets (see the module comment); the results are those of {@link evaluateModel} on each. */
export async function evaluateSets(
  model: SegModel,
  sets: EvalSets,
  opts: PredictOptions,
  run: EvalRunOptions = {},
): Promise<EvalSetsResult> {
  const { group } = run;
  const shard = (ds: Dataset | undefined): Dataset | undefined => (ds && group ? shardByRank(ds, group) : ds);
  const closedSet = shard(sets.closedSet);
  const anomaly = shard(sets.anomaly);
  const C = model.classes.length;
  const keyed = [
    ...(closedSet ? [{ key: 'closed', name: closedSet.name }] : []),
    ...(anomaly ? [{ key: 'anomaly', name: anomaly.name }] : []),
  ];
  const worker = !group && (run.worker ?? availableParallelism() >= 4);
  const sink = worker ? new AccumulatorThread(keyed, C) : new LocalSink(keyed, C, group);
  const mine: EvalSets = { ...(closedSet ? { closedSet } : {}), ...(anomaly ? { anomaly } : {}) };
  try {
    return { ...(await runSets(model, mine, opts, run, sink)), worker };
  } finally {
    await sink.close();
  }
}

/** Where predictions go: this thread or the worker. */
interface Sink {
  add(key: string, sample: Sample, p: Prediction): Promise<void>;
  results(): Promise<AccumulatedSets>;
  close(): Promise<void>;
}

/** Accumulation on the calling thread (reduced over `group`'s ranks before the metrics are read). */
class LocalSink implements Sink {
  private readonly acc = new Map<string, EvalAccumulator>();
  constructor(
    sets: { key: string; name: string }[],
    numClasses: number,
    private readonly group?: Collective,
  ) {
    for (const s of sets) this.acc.set(s.key, new EvalAccumulator(s.name, numClasses));
  }
  async add(key: string, sample: Sample, p: Prediction): Promise<void> {
    (this.acc.get(key) as EvalAccumulator).add(sample, p);
  }
  async results(): Promise<AccumulatedSets> {
    if (this.group) for (const a of this.acc.values()) a.reduceOver(this.group);
    return accumulated(this.acc);
  }
  async close(): Promise<void> {}
}

async function runSets(
  model: SegModel,
  sets: EvalSets,
  opts: PredictOptions,
  run: EvalRunOptions,
  sink: Sink,
): Promise<Omit<EvalSetsResult, 'worker'>> {
  const { closedSet, anomaly } = sets;
  const total = (closedSet?.length ?? 0) + (anomaly?.length ?? 0);
  const depth = run.prefetch ?? 2;
  const progress = run.onProgress ?? (() => undefined);
  let done = 0;
  let forwards = 0;
  const seconds = { wait: 0, predict: 0, accumulate: 0 };
  let mark = performance.now();
  const lap = (key: keyof typeof seconds): void => {
    const now = performance.now();
    seconds[key] += (now - mark) / 1000;
    mark = now;
  };
  const predict = (...images: RgbImage[]): Prediction[] => {
    forwards += images.length;
    lap('wait');
    const p = predictImages(model, images, opts);
    lap('predict');
    return p;
  };
  const add = async (key: string, s: Sample, p: Prediction): Promise<void> => {
    await sink.add(key, s, p);
    lap('accumulate');
  };
  if (closedSet && anomaly && closedSet.length === anomaly.length) {
    const get = async (i: number): Promise<[Sample, Sample]> => Promise.all([closedSet.get(i), anomaly.get(i)]);
    for await (const [a, b] of prefetch(closedSet.length, get, depth)) {
      const [pa, pb] = sameImage(a.image, b.image) ? predict(a.image) : predict(a.image, b.image);
      await add('closed', a, pa as Prediction);
      await add('anomaly', b, (pb ?? pa) as Prediction);
      progress((done += 2), total);
    }
  } else {
    for (const [key, ds] of [
      ['closed', closedSet],
      ['anomaly', anomaly],
    ] as const) {
      if (!ds) continue;
      for await (const s of prefetch(ds.length, (i) => ds.get(i), depth)) {
        await add(key, s, predict(s.image)[0] as Prediction);
        progress(++done, total);
      }
    }
  }
  lap('wait');
  const { results, tieBytes } = await sink.results();
  const out: Omit<EvalSetsResult, 'worker'> = { forwards, seconds, tieBytes };
  if (results['closed']) out.closedSet = results['closed'];
  if (results['anomaly']) out.anomaly = results['anomaly'];
  lap('accumulate');
  return out;
}

/** Same size and the same RGB bytes. */
function sameImage(a: RgbImage, b: RgbImage): boolean {
  if (a === b) return true;
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) return false;
  return Buffer.compare(a.data, b.data) === 0;
}
