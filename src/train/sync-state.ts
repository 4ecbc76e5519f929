/**
 * The start of a data-parallel run: rank 0's training state (parameters, batch-norm buffers, optimizer moments, GMM
 * means/stds and memory) broadcast to every rank, then verified: each rank hashes its state and the hashes (with the
 * step counters) are all-gathered and compared, so no rank trains from a different state.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { DistError } from '../parallel/process-group.js';
import type { ComponentMemory } from '../gmm/memory-types.js';
import type { Collective } from './data-parallel.js';
import { trainableVariables, type TrainState } from './trainer.js';

/** Where one piece of state lives: a tensor slot (replaced or assigned) or a host array (set in place). */
type Piece =
  | { kind: 'tensor'; get: () => tf.Tensor; set: (t: tf.Tensor) => void }
  | { kind: 'host'; array: Float32Array | Float64Array | Int32Array };

function slot(record: Record<string, tf.Tensor>, key: string): Piece {
  return {
    kind: 'tensor',
    get: () => record[key] as tf.Tensor,
    set: (t) => {
      const old = record[key] as tf.Tensor;
      if (old instanceof tf.Variable) {
        old.assign(t);
        t.dispose();
      } else {
        record[key] = t;
        old.dispose();
      }
    },
  };
}

function memoryArrays(m: ComponentMemory): (Float32Array | Float64Array | Int32Array)[] {
  return m.kind === 'queue' ? [...m.buffers, m.pointer, m.filled, m.sum1, m.sum2] : [m.mean1, m.mean2, m.filled];
}

/** Every piece of the state, in the same order on every rank. */
function pieces(s: TrainState): Piece[] {
  const vars = trainableVariables(s.model);
  const out: Piece[] = Object.keys(vars)
    .sort()
    .map((k) => slot(vars as Record<string, tf.Tensor>, k));
  const st = s.model.extractor.state;
  for (const k of Object.keys(st).sort()) out.push(slot(st, k));
  for (const rec of [s.optimizer.m, s.optimizer.v]) for (const k of Object.keys(rec).sort()) out.push(slot(rec, k));
  if (s.model.head.kind === 'gmm') {
    const h = s.model.head.state;
    for (const a of [h.gmm.means, h.gmm.stds, ...memoryArrays(h.memory)]) out.push({ kind: 'host', array: a });
  }
  return out;
}

function values(p: Piece): Float32Array | Float64Array | Int32Array {
  if (p.kind === 'host') return p.array;
  const t = p.get();
  return t.dtype === 'int32' ? (t.dataSync() as Int32Array) : (t.dataSync() as Float32Array);
}

/** A 32-bit hash of the whole state (bytes of every piece in order) and the counters. */
export function stateChecksum(s: TrainState): number {
  const h = createHash('sha256');
  for (const p of pieces(s)) {
    const v = values(p);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  h.update(Int32Array.from([s.step, s.optimizer.step]));
  return h.digest().readInt32LE(0);
}

/** Broadcasts rank 0's state into `s` (in place) and verifies that every rank now holds the same. */
export function syncInitialState(group: Collective, s: TrainState): void {
  const ps = pieces(s);
  const counters = Int32Array.from([s.step, s.optimizer.step, ps.length]);
  const all = group.allGather(counters);
  for (let r = 0; r < group.worldSize; r++) {
    const row = all.subarray(3 * r, 3 * r + 3);
    if (row[0] !== counters[0] || row[1] !== counters[1] || row[2] !== counters[2])
      throw new DistError(
        `rank ${r} starts at step ${row[0]} with ${row[2]} state pieces, rank ${group.rank} at step ${s.step} with ${ps.length}: every rank must start from the same model and checkpoint`,
      );
  }
  for (const p of ps) {
    const v = values(p);
    const lengths = group.allGather(Int32Array.from([v.length]));
    if (lengths.some((n) => n !== v.length))
      throw new DistError(`state piece sizes differ between ranks (${Array.from(lengths).join(' vs ')})`);
    const got = group.broadcast(v.slice(), 0);
    if (p.kind === 'host') p.array.set(got);
    else p.set(tf.tensor(got, p.get().shape, p.get().dtype));
  }
  const sums = group.allGather(Int32Array.from([stateChecksum(s)]));
  const bad = Array.from(sums).flatMap((c, r) => (c !== sums[0] ? [r] : []));
  if (bad.length) throw new DistError(`state checksum of rank ${bad.join(', ')} differs from rank 0's after broadcast`);
}
