/**
 * Metric accumulation on a worker thread, so that folding one image's prediction into counts (`EvalAccumulator`:
 * sorting and coding its scores) runs while the main thread predicts the next image.
 *
 * {@link AccumulatorThread} is the main side: `add(set, sample, prediction)` posts a copy of the sample's maps and
 * of the prediction (copies, so the caller may reuse its buffers) and waits only when more than `depth` images are
 * still queued; `results()` returns each set's {@link EvalResult}. An error raised on the worker (e.g. a NaN score)
 * comes back as the same error class with the same message. This file is also the worker's entry point.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { errorFromPosted, postedError, type PostedError } from '../errors.js';
import type { LabelMap, Sample } from '../data/sample.js';
import type { Prediction } from '../infer/predict.js';
import { EvalAccumulator, type EvalResult } from './eval-accumulator.js';

/** What the main thread sends. */
type Request =
  | { kind: 'open'; sets: { key: string; name: string }[]; numClasses: number }
  | { kind: 'add'; key: string; sample: Sample; prediction: Prediction }
  | { kind: 'results' };

/** What the worker answers: one per 'add' (`ok`) and one for 'results'. */
type Reply = { kind: 'ok' } | { kind: 'results'; results: AccumulatedSets } | ({ kind: 'error' } & PostedError);

/** Each set's result (by key) and the bytes its tie streams held before the final merge. */
export interface AccumulatedSets {
  results: Record<string, EvalResult>;
  tieBytes: number;
}

/** The `workerData` marking this module's own worker. */
const MARK = 'gmmseg-eval-accumulator';

/** Main side of the accumulation worker. */
export class AccumulatorThread {
  private readonly worker: Worker;
  private pending = 0;
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];
  private resultsWaiter: ((r: AccumulatedSets) => void) | undefined;

  /** Starts the worker with one accumulator per set (`key` → dataset name). */
  constructor(
    sets: { key: string; name: string }[],
    numClasses: number,
    private readonly depth = 2,
  ) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: MARK });
    this.worker.on('message', (r: Reply) => this.onReply(r));
    this.worker.on('error', (e: Error) => this.fail(e));
    this.post({ kind: 'open', sets, numClasses });
  }

  /** Queues one sample with its prediction; resolves once at most `depth` images are still being accumulated. */
  async add(key: string, sample: Sample, prediction: Prediction): Promise<void> {
    this.check();
    this.pending++;
    this.post({ kind: 'add', key, sample: plainSample(sample), prediction });
    while (this.pending > this.depth && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    this.check();
  }

  /** Every set's result once all queued samples are in; the worker then exits. */
  async results(): Promise<AccumulatedSets> {
    this.check();
    const r = new Promise<AccumulatedSets>((resolve) => (this.resultsWaiter = resolve));
    this.post({ kind: 'results' });
    const out = await Promise.race([r, this.failed()]);
    await this.close();
    return out;
  }

  /** Stops the worker (also after a failure). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private post(m: Request): void {
    this.worker.postMessage(m);
  }

  private onReply(r: Reply): void {
    if (r.kind === 'error') return this.fail(errorFromPosted(r));
    if (r.kind === 'results') return this.resultsWaiter?.(r.results);
    this.pending--;
    this.waiters.splice(0).forEach((w) => w());
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.waiters.splice(0).forEach((w) => w());
    this.failWaiter?.(e);
  }

  private failWaiter: ((e: Error) => void) | undefined;

  private failed(): Promise<never> {
    return new Promise<never>((_, reject) => {
      if (this.failure) reject(this.failure);
      this.failWaiter = reject;
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

/** The sample's maps only (the image is not needed for metrics). */
function plainSample(s: Sample): Sample {
  const empty: LabelMap = { width: 0, height: 0, data: new Uint8Array(0) };
  return s.anomaly
    ? { id: s.id, image: empty, label: s.label, anomaly: s.anomaly }
    : { id: s.id, image: empty, label: s.label };
}

/** Every accumulator's result, with the tie streams' bytes taken before the results merge them. */
export function accumulated(acc: ReadonlyMap<string, EvalAccumulator>): AccumulatedSets {
  const tieBytes = [...acc.values()].reduce((s, a) => s + a.bytes, 0);
  return { results: Object.fromEntries([...acc].map(([k, a]) => [k, a.result()])), tieBytes };
}

/** Worker side: one accumulator per set, fed in order. */
function serve(port: NonNullable<typeof parentPort>): void {
  const acc = new Map<string, EvalAccumulator>();
  port.on('message', (m: Request) => {
    try {
      if (m.kind === 'open') for (const s of m.sets) acc.set(s.key, new EvalAccumulator(s.name, m.numClasses));
      else if (m.kind === 'add') {
        (acc.get(m.key) as EvalAccumulator).add(m.sample, m.prediction);
        port.postMessage({ kind: 'ok' } satisfies Reply);
      } else {
        port.postMessage({ kind: 'results', results: accumulated(acc) } satisfies Reply);
      }
    } catch (e) {
      port.postMessage({ kind: 'error', ...postedError(e) } satisfies Reply);
    }
  });
}

if (!isMainThread && parentPort && workerData === MARK) serve(parentPort);
