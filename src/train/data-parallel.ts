/**
 * The data-parallel parts of a training step over a process group (`src/parallel/process-group.ts`): gradients all-reduced
 * in one flat float32 bucket, the step's losses and finite flag all-reduced, and the GMM captures of every rank
 * all-gathered into the global micro-batch order (the memory's FIFO updates depend on insertion order, so summing
 * statistics would not be exact; the reference all-gathers too, `concat_all_gather`).
 */
import * as tf from '@tensorflow/tfjs';
import { DistError, type DistArray, type ReduceOp } from '../parallel/process-group.js';
import type { HeadCapture } from '../gmm/train-step.js';

/** What training needs of a process group (ProcessGroup implements it). */
export interface Collective {
  readonly rank: number;
  readonly worldSize: number;
  allReduce<T extends DistArray>(a: T, op?: ReduceOp): T;
  broadcast<T extends DistArray>(a: T, root?: number): T;
  allGather<T extends DistArray>(a: T): T;
  barrier(): void;
}

/** Sums float32 tensors by name over ranks in one flat bucket (sorted names); replaces them in `named`. */
export function allReduceNamed(group: Collective, named: Record<string, tf.Tensor>): void {
  const names = Object.keys(named).sort();
  const sizes = names.map((k) => (named[k] as tf.Tensor).size);
  const bucket = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let off = 0;
  names.forEach((k, i) => {
    bucket.set((named[k] as tf.Tensor).dataSync() as Float32Array, off);
    off += sizes[i] as number;
  });
  const sum = group.allReduce(bucket, 'sum');
  off = 0;
  names.forEach((k, i) => {
    const old = named[k] as tf.Tensor;
    named[k] = tf.tensor(sum.subarray(off, off + (sizes[i] as number)), old.shape, 'float32');
    off += sizes[i] as number;
    old.dispose();
  });
}

/** Gradient sums [per parameter] of this rank's micro-batches → the sums over all ranks (in place). */
export function allReduceGradients(group: Collective, sums: Record<string, tf.Tensor>): void {
  allReduceNamed(group, sums);
}

/**
 * The step's losses (each rank's share already divided by the number of micro-batches) summed over ranks, in float64.
 * A NaN or infinity on any rank makes the total non-finite on every rank, so all ranks stop together.
 */
export function allReduceLosses(
  group: Collective,
  l: { seg: number; con: number; total: number },
): { seg: number; con: number; total: number } {
  const finite = Number.isFinite(l.total) ? 0 : 1;
  const r = group.allReduce(new Float64Array([l.seg, l.con, l.total, finite]), 'sum');
  const total = (r[3] as number) > 0 ? NaN : (r[2] as number);
  return { seg: r[0] as number, con: r[1] as number, total };
}

/**
 * Every rank's captures in the global micro-batch order (rank 0's first): fixed-size buckets, so each rank's are
 * padded to the largest; only what the memory and M-step read travels (embedded rows, labels, targets).
 */
export function gatherCaptures(group: Collective, mine: readonly HeadCapture[]): HeadCapture[] {
  const A = mine.length;
  const header = group.allGather(Int32Array.from([A, ...mine.map((c) => c.labelsSmall.length)]));
  const counts = Array.from({ length: group.worldSize }, (_, r) => {
    const row = header.subarray(r * (A + 1), (r + 1) * (A + 1));
    if (row[0] !== A)
      throw new DistError(`data-parallel step: rank ${r} has ${row[0]} micro-batches, rank ${group.rank} has ${A}`);
    return Array.from(row.subarray(1));
  });
  const D =
    A > 0 ? (mine[0] as HeadCapture).embedded.length / Math.max(1, (mine[0] as HeadCapture).labelsSmall.length) : 0;
  const pixels = counts.map((ns) => ns.reduce((a, b) => a + b, 0));
  const maxPixels = Math.max(...pixels);
  const floats = new Float32Array(maxPixels * D);
  const ints = new Int32Array(maxPixels * 4);
  let p = 0;
  for (const c of mine) {
    const n = c.labelsSmall.length;
    floats.set(c.embedded, p * D);
    ints.set(c.labelsSmall, p * 4);
    ints.set(c.targets.targets, p * 4 + n);
    ints.set(c.targets.assignment, p * 4 + 2 * n);
    ints.set(c.targets.eligible, p * 4 + 3 * n);
    p += n;
  }
  const allF = group.allGather(floats);
  const allI = group.allGather(ints);
  const out: HeadCapture[] = [];
  counts.forEach((ns, r) => {
    let q = 0;
    for (const n of ns) {
      const f0 = r * maxPixels * D + q * D;
      const i0 = r * maxPixels * 4 + q * 4;
      out.push({
        embedded: allF.slice(f0, f0 + n * D),
        labelsSmall: allI.slice(i0, i0 + n),
        logits: new Float32Array(0),
        targets: {
          targets: allI.slice(i0 + n, i0 + 2 * n),
          assignment: allI.slice(i0 + 2 * n, i0 + 3 * n),
          eligible: Uint8Array.from(allI.subarray(i0 + 3 * n, i0 + 4 * n)),
        },
        segLoss: 0,
        contrastLoss: 0,
      });
      q += n;
    }
  });
  return out;
}
