/**
 * Training batches prepared ahead of the step that uses them. The engine's calls are synchronous, so work on the main
 * thread between them adds to every step; here, while step t computes, the samples of the micro-batch after next are
 * decoding (the dataset's own asynchronous reads and decodes) and the next micro-batch is being augmented on a worker
 * thread (`augment-worker.ts`). Batches are the same bytes as {@link loadImageBatch} builds on the main thread: the
 * indices and the augmentation seed of a micro-batch come from the same plan, and the order of micro-batches
 * (`next`) is the trainer's.
 */
import type { AugmentOptions, PackedBatch } from '../data/augment.js';
import type { Dataset, Sample } from '../data/sample.js';
import { AugmentThread } from './augment-worker.js';
import { imageBatchOf, type ImageBatch } from './batch.js';

/** One micro-batch of one optimizer step. */
export interface MicroKey {
  step: number;
  micro: number;
}

/** Where a micro-batch's samples come from: dataset indices and the augmentation RNG's seed. */
export interface MicroPlan {
  indices: readonly number[];
  seed: number;
}

/** What `trainStep` asks for: the batch of (step, micro). */
export interface BatchSource {
  batch(key: MicroKey): Promise<ImageBatch>;
}

/** How the pipeline finds a micro-batch's contents and the one that follows it (undefined: none). */
export interface PipelineSchedule {
  plan: (key: MicroKey) => MicroPlan;
  next: (key: MicroKey) => MicroKey | undefined;
  augment: AugmentOptions;
}

/** Decodes two micro-batches ahead and augments one ahead on a worker thread. Call `close()` when done. */
export class BatchPipeline implements BatchSource {
  private readonly thread = new AugmentThread();
  private readonly decoded = new Map<string, Promise<Sample[]>>();
  private readonly augmented = new Map<string, Promise<PackedBatch>>();

  constructor(
    private readonly dataset: Dataset,
    private readonly schedule: PipelineSchedule,
  ) {}

  /**
   * The batch of `key`; before waiting for it, hands the next micro-batch to the worker and starts decoding the one
   * after that.
   */
  async batch(key: MicroKey): Promise<ImageBatch> {
    const k1 = this.schedule.next(key);
    const k2 = k1 && this.schedule.next(k1);
    const current = this.augmentedOf(key);
    this.keepOnly([key, k1, k2]);
    if (k2) this.decodedOf(k2);
    if (k1 && !this.augmented.has(id(k1))) {
      // decoding began a step ago: usually resolved already; a failure is reported by the step that needs it
      const samples = await this.decodedOf(k1).catch(() => undefined);
      this.augmentedOf(k1, samples);
    }
    const packed = await current;
    this.augmented.delete(id(key));
    return imageBatchOf(packed);
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.thread.close();
  }

  private decodedOf(key: MicroKey): Promise<Sample[]> {
    let p = this.decoded.get(id(key));
    if (!p) {
      p = Promise.all(this.schedule.plan(key).indices.map((i) => this.dataset.get(i)));
      p.catch(() => undefined); // reported when the batch is awaited; a batch never asked for fails silently
      this.decoded.set(id(key), p);
    }
    return p;
  }

  private augmentedOf(key: MicroKey, samples?: Sample[]): Promise<PackedBatch> {
    let p = this.augmented.get(id(key));
    if (!p) {
      const { seed } = this.schedule.plan(key);
      const post = (s: Sample[]): Promise<PackedBatch> => this.thread.augment(s, seed, this.schedule.augment);
      p = samples ? post(samples) : this.decodedOf(key).then(post);
      p.catch(() => undefined);
      this.augmented.set(id(key), p);
      this.decoded.delete(id(key));
    }
    return p;
  }

  /** Drops work for micro-batches that are no longer ahead (e.g. after a step was asked for out of order). */
  private keepOnly(keys: (MicroKey | undefined)[]): void {
    const keep = new Set(keys.filter((k): k is MicroKey => k !== undefined).map(id));
    for (const m of [this.decoded, this.augmented]) for (const k of [...m.keys()]) if (!keep.has(k)) m.delete(k);
  }
}

function id(k: MicroKey): string {
  return `${k.step}:${k.micro}`;
}
