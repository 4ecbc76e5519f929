/**
 * Batch augmentation on a worker thread, so that the next training batch is rescaled, cropped, flipped and
 * photometrically distorted while the main thread runs the current step's (synchronous) engine calls.
 *
 * {@link AugmentThread} is the main side: `augment(samples, seed, options)` posts the decoded samples and resolves
 * with the packed batch ({@link augmentBatch} with `createRng(seed)`: the same bytes as on the main thread). An error
 * raised on the worker comes back as the same error class with the same message; a crashed worker fails every
 * request still waiting. This file is also the worker's entry point.
 */
import { setPriority } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { augmentBatch, type AugmentOptions, type PackedBatch } from '../data/augment.js';
import type { Sample } from '../data/sample.js';
import { errorFromPosted, GmmsegError, postedError, type PostedError } from '../errors.js';
import { createRng } from '../random.js';

/** What the main thread sends. */
interface Request {
  id: number;
  samples: Sample[];
  seed: number;
  options: AugmentOptions;
}

/** What the worker answers, one per request. */
type Reply = { id: number; batch: PackedBatch } | { id: number; error: PostedError };

/** The `workerData` marking this module's own worker. */
const MARK = 'gmmseg-augment';

/** Main side of the augmentation worker. */
export class AugmentThread {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (b: PackedBatch) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(new URL(import.meta.url), { workerData: MARK });
    this.worker.unref(); // an idle worker never keeps the process alive
    this.worker.on('message', (r: Reply) => this.onReply(r));
    this.worker.on('error', (e: Error) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new GmmsegError(`augmentation worker exited (code ${code})`)));
  }

  /** The packed batch of `samples` augmented in order with `createRng(seed)`. */
  augment(samples: readonly Sample[], seed: number, options: AugmentOptions): Promise<PackedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const p = new Promise<PackedBatch>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.worker.postMessage({ id, samples: [...samples], seed, options } satisfies Request);
    return p;
  }

  /** Stops the worker; requests still waiting are rejected. */
  async close(): Promise<void> {
    this.fail(new GmmsegError('augmentation worker closed'));
    await this.worker.terminate();
  }

  private onReply(r: Reply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if ('error' in r) w.reject(errorFromPosted(r.error));
    else w.resolve(r.batch);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}

/**
 * Worker side: augments each request and sends the arrays back without copying. The thread lowers its own priority
 * (nice 19; on Linux a thread's own value): on a machine whose cores the engine's threads keep busy it works in their
 * gaps instead of taking turns with them (measured in the README).
 */
function serve(port: NonNullable<typeof parentPort>): void {
  try {
    setPriority(19);
  } catch {
    // not permitted or not supported: the worker runs at normal priority
  }
  port.on('message', (m: Request) => {
    try {
      const batch = augmentBatch(m.samples, createRng(m.seed), m.options);
      port.postMessage({ id: m.id, batch } satisfies Reply, [
        batch.pixels.buffer as ArrayBuffer,
        batch.labels.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      port.postMessage({ id: m.id, error: postedError(e) } satisfies Reply);
    }
  });
}

if (!isMainThread && parentPort && workerData === MARK) serve(parentPort);
