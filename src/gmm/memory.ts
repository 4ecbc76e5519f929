/**
 * Per-(class, component) feature memories that feed the M-step, and the enqueue rule of the reference.
 *
 * Two kinds share one interface ({@link slotMoments}):
 * - 'queue': the reference's FIFO ring buffers, one [M, D] Float32Array per slot c·K + k, initially random unit
 *   vectors, with running float64 sums Σx and Σx² kept up to date on every write (so the M-step is O(D) per slot);
 * - 'running': no buffers (see running-stats.ts).
 *
 * The buffers are large (C·K·M·D floats), so a memory is advanced in place; `version` increases with every write and
 * the head state records the version it expects, so a stale state can never be used by mistake.
 */
import { ValueError } from '../errors.js';
import { normal, type Rng } from '../random.js';
import { assertLength } from '../shape.js';
import type { ComponentMemory, MemoryKind, QueueMemory, SlotMoments } from './memory-types.js';
import { createRunningMemory, pushRunning, runningMoments } from './running-stats.js';

export type { ComponentMemory, MemoryKind, QueueMemory, RunningMemory, SlotMoments } from './memory-types.js';

/** Creates ring buffers filled with random unit vectors (the reference's initial content). */
export function createQueueMemory(slots: number, capacity: number, dim: number, rng: Rng): QueueMemory {
  const buffers: Float32Array[] = [];
  for (let s = 0; s < slots; s++) {
    const buf = new Float32Array(capacity * dim);
    for (let m = 0; m < capacity; m++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        const v = normal(rng);
        buf[m * dim + d] = v;
        norm += v * v;
      }
      const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
      for (let d = 0; d < dim; d++) buf[m * dim + d] = (buf[m * dim + d] as number) * inv;
    }
    buffers.push(buf);
  }
  return queueFromBuffers(buffers, new Int32Array(slots), capacity, dim);
}

/**
 * Wraps existing buffers (e.g. from a model file or fixture) into a queue memory.
 * @param flat [C·K, M, D] or an array of C·K [M, D] buffers
 */
export function queueFromBuffers(
  flat: Float32Array | Float32Array[],
  pointer: Int32Array,
  capacity: number,
  dim: number,
): QueueMemory {
  const slots = pointer.length;
  const buffers = Array.isArray(flat)
    ? flat
    : Array.from({ length: slots }, (_, s) => flat.slice(s * capacity * dim, (s + 1) * capacity * dim));
  if (Array.isArray(flat))
    buffers.forEach((b, s) => assertLength(b.length, [capacity, dim], `buffers[${s}]`, 'queueFromBuffers'));
  else assertLength(flat.length, [slots, capacity, dim], 'memory', 'queueFromBuffers');
  for (const p of pointer)
    if (!(p >= 0 && p < capacity)) throw new ValueError(`queueFromBuffers: pointer ${p} outside [0, ${capacity})`);
  const mem: QueueMemory = {
    kind: 'queue',
    slots,
    capacity,
    dim,
    buffers,
    pointer: new Int32Array(pointer),
    sum1: new Float64Array(slots * dim),
    sum2: new Float64Array(slots * dim),
    version: 0,
  };
  for (let s = 0; s < slots; s++) recomputeSums(mem, s);
  return mem;
}

/** Creates the memory the config asks for. */
export function createMemory(
  kind: MemoryKind,
  slots: number,
  capacity: number,
  dim: number,
  rng: Rng,
): ComponentMemory {
  return kind === 'queue' ? createQueueMemory(slots, capacity, dim, rng) : createRunningMemory(slots, capacity, dim);
}

/** All queue buffers as one [C·K, M, D] array (for saving and comparison). */
export function flattenQueue(mem: QueueMemory): Float32Array {
  const out = new Float32Array(mem.slots * mem.capacity * mem.dim);
  mem.buffers.forEach((b, s) => out.set(b, s * mem.capacity * mem.dim));
  return out;
}

/**
 * `torch.linspace(0, n − 1, m, dtype=int64)`: evenly spaced positions computed in double precision, the first half
 * from the start and the second half from the end, truncated toward zero.
 */
export function linspaceIndices(n: number, m: number): Int32Array {
  const out = new Int32Array(m);
  if (m === 1) return out;
  const end = n - 1;
  const step = end / (m - 1);
  const half = Math.floor(m / 2);
  for (let i = 0; i < m; i++) out[i] = Math.trunc(i < half ? step * i : end - step * (m - i - 1));
  return out;
}

/**
 * Appends rows to one slot (ring write with wrap-around). Mutates `mem`.
 * @param feats [N, D] source rows; `rows` lists which of them to write, in order.
 */
export function pushRows(mem: ComponentMemory, slot: number, feats: Float32Array, rows: ArrayLike<number>): void {
  if (mem.kind === 'running') {
    pushRunning(mem, slot, feats, rows);
    return;
  }
  const { dim, capacity } = mem;
  const buf = mem.buffers[slot] as Float32Array;
  let ptr = mem.pointer[slot] as number;
  const base = slot * dim;
  for (let r = 0; r < rows.length; r++) {
    const src = (rows[r] as number) * dim;
    const dst = ptr * dim;
    for (let d = 0; d < dim; d++) {
      const old = buf[dst + d] as number;
      const v = feats[src + d] as number;
      buf[dst + d] = v;
      const nv = buf[dst + d] as number;
      mem.sum1[base + d] = (mem.sum1[base + d] as number) + nv - old;
      mem.sum2[base + d] = (mem.sum2[base + d] as number) + nv * nv - old * old;
    }
    ptr = (ptr + 1) % capacity;
    if (ptr === 0) recomputeSums(mem, slot);
  }
  mem.pointer[slot] = ptr;
}

/** E[x] and E[x²] of one slot. */
export function slotMoments(mem: ComponentMemory, slot: number): SlotMoments {
  if (mem.kind === 'running') return runningMoments(mem, slot);
  const { dim, capacity } = mem;
  const mean1 = new Float64Array(dim);
  const mean2 = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    mean1[d] = (mem.sum1[slot * dim + d] as number) / capacity;
    mean2[d] = (mem.sum2[slot * dim + d] as number) / capacity;
  }
  return { mean1, mean2 };
}

/** Recomputes a slot's sums from its buffer (bounds float64 drift; done whenever the ring wraps). */
function recomputeSums(mem: QueueMemory, slot: number): void {
  const { dim, capacity } = mem;
  const buf = mem.buffers[slot] as Float32Array;
  for (let d = 0; d < dim; d++) {
    let s1 = 0;
    let s2 = 0;
    for (let m = 0; m < capacity; m++) {
      const v = buf[m * dim + d] as number;
      s1 += v;
      s2 += v * v;
    }
    mem.sum1[slot * dim + d] = s1;
    mem.sum2[slot * dim + d] = s2;
  }
}
