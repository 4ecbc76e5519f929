/**
 * Batch-norm running statistics of a step with several micro-batches (accumulation and/or data-parallel ranks):
 * every micro-batch starts from the step's statistics r, its forward moves them to r_k, and the step ends at
 * r + (Σ_k (r_k − r)) / K — the mean update, once per optimizer step. The sum of the deltas is all-reduced over
 * ranks, so K micro-batches give the same statistics whether one process runs them or K ranks do (exactly, for two:
 * a float sum of two terms does not depend on their order). Buffers that no forward changes (a frozen backbone's)
 * stay bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import type { Collective } from './data-parallel.js';
import { allReduceNamed } from './data-parallel.js';

/** Replaces `record[key]` by `value` (assigning a Variable in place), disposing the old tensor. */
function put(record: Record<string, tf.Tensor>, key: string, value: tf.Tensor): void {
  const old = record[key] as tf.Tensor;
  if (old instanceof tf.Variable) {
    old.assign(value);
    value.dispose();
    return;
  }
  record[key] = value;
  old.dispose();
}

/** Tracks one step's batch-norm statistics (`state`: the extractor's running statistics, updated in place). */
export class BnAverager {
  private readonly start: Record<string, tf.Tensor> = {};
  private readonly deltas: Record<string, tf.Tensor> = {};
  private recorded = 0;

  constructor(private readonly state: Record<string, tf.Tensor>) {
    for (const [k, v] of Object.entries(state)) this.start[k] = tf.clone(v);
  }

  /** Before a micro-batch: back to the step's statistics (nothing to do before the first). */
  restore(): void {
    if (this.recorded === 0) return;
    for (const k of Object.keys(this.start)) put(this.state, k, tf.clone(this.start[k] as tf.Tensor));
  }

  /** After a micro-batch: adds its update r_k − r. */
  record(): void {
    for (const k of Object.keys(this.start)) {
      const d = tf.sub(this.state[k] as tf.Tensor, this.start[k] as tf.Tensor);
      const prev = this.deltas[k];
      this.deltas[k] = prev ? tf.add(prev, d) : d;
      if (prev) {
        prev.dispose();
        d.dispose();
      }
    }
    this.recorded++;
  }

  /** Ends the step: statistics ← r + Σ deltas / `micros` (deltas summed over `group`'s ranks first). */
  finish(micros: number, group?: Collective): void {
    if (group) allReduceNamed(group, this.deltas);
    for (const k of Object.keys(this.start)) {
      const r = this.start[k] as tf.Tensor;
      const d = this.deltas[k] as tf.Tensor;
      put(
        this.state,
        k,
        tf.tidy(() => tf.add(r, tf.div(d, micros))),
      );
    }
    this.dispose();
  }

  /** Frees the snapshots (after finish, or when the step is abandoned). */
  dispose(): void {
    for (const k of Object.keys(this.start)) {
      this.start[k]?.dispose();
      delete this.start[k];
    }
    for (const k of Object.keys(this.deltas)) {
      this.deltas[k]?.dispose();
      delete this.deltas[k];
    }
  }
}
