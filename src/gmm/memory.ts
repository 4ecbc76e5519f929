/**
 * Per-(class, component) feature memories that feed the M-step, and the enqueue rule of the reference.
 *
 * Two kinds share one interface ({@link slotMoments}):
 * - 'queue': the reference's FIFO ring buffers, one [M, D] Float32Array per slot c·K + k, initially random unit
 *   vectors, with running float64 sums Σx and Σx² kept up to date on every write (so the M-step is O(D) per slot);
 * - 'running': no buffers (see running-stats.ts).
 *
 * Initial content ({@link MemoryInit}): 'random' is the reference's (random unit vectors that count as entries until
 * they are overwritten: a slot's moments are mostly noise until M real rows have arrived, which for a rare class
 * may be never); 'empty' counts only real rows (`filled`), so a slot's moments are those of its data from the first
 * row on, and a slot with no row yet is left alone by the M-step.
 *
 * The buffers are large (C·K·M·D floats), so a memory is advanced in place; `version` increases with every write and
 * the head state records the version it expects, so a stale state can never be used by mistake.
 */
import { ValueError } from '../errors.js';
import { normal, type Rng } from '../random.js';
import { assertLength } from '../shape.js';
import type { ComponentMemory, MemoryInit, MemoryKind, QueueMemory, SlotMoments } from './memory-types.js';
import { createRunningMemory, pushRunning, runningMoments } from './running-stats.js';

export type {
  ComponentMemory,
  MemoryInit,
  MemoryKind,
  QueueMemory,
  RunningMemory,
  SlotMoments,
} from './memory-types.js';

/**
 * Creates ring buffers filled with random unit vectors (the reference's initial content), or zeros with no entry
 * counted (`init` 'empty'; the rng is then not used).
 */
export function createQueueMemory(
  slots: number,
  capacity: number,
  dim: number,
  rng: Rng,
  init: MemoryInit = 'random',
): QueueMemory {
  const buffers: Float32Array[] = [];
  for (let s = 0; s < slots; s++) {
    const buf = new Float32Array(capacity * dim);
    if (init === 'random') fillRandomUnit(buf, capacity, dim, rng);
    buffers.push(buf);
  }
  const filled = new Int32Array(slots).fill(init === 'random' ? capacity : 0);
  return queueFromBuffers(buffers, new Int32Array(slots), capacity, dim, filled);
}

function fillRandomUnit(buf: Float32Array, capacity: number, dim: number, rng: Rng): void {
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
}

/**
 * Wraps existing buffers (e.g. from a model file or fixture) into a queue memory.
 * @param flat [C·K, M, D] or an array of C·K [M, D] buffers
 * @param filled [C·K] entries that count per slot (default: all M, the reference's random start)
 */
export function queueFromBuffers(
  flat: Float32Array | Float32Array[],
  pointer: Int32Array,
  capacity: number,
  dim: number,
  filled?: Int32Array,
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
  if (filled) {
    assertLength(filled.length, [slots], 'filled', 'queueFromBuffers');
    for (const f of filled)
      if (!(f >= 0 && f <= capacity)) throw new ValueError(`queueFromBuffers: filled ${f} outside [0, ${capacity}]`);
  }
  const mem: QueueMemory = {
    kind: 'queue',
    slots,
    capacity,
    dim,
    buffers,
    pointer: new Int32Array(pointer),
    filled: filled ? new Int32Array(filled) : new Int32Array(slots).fill(capacity),
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
  init: MemoryInit = 'random',
): ComponentMemory {
  return kind === 'queue'
    ? createQueueMemory(slots, capacity, dim, rng, init)
    : createRunningMemory(slots, capacity, dim, init);
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
  mem.filled[slot] = Math.min((mem.filled[slot] as number) + rows.length, capacity);
}

/** Entries that count in a slot's moments (M for the reference's random start; 0 for an empty slot). */
export function slotFilled(mem: ComponentMemory, slot: number): number {
  return mem.filled[slot] as number;
}

/** E[x] and E[x²] of one slot over its counted entries (zeros for an empty slot). */
export function slotMoments(mem: ComponentMemory, slot: number): SlotMoments {
  if (mem.kind === 'running') return runningMoments(mem, slot);
  const { dim } = mem;
  const n = Math.max(mem.filled[slot] as number, 1);
  const mean1 = new Float64Array(dim);
  const mean2 = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    mean1[d] = (mem.sum1[slot * dim + d] as number) / n;
    mean2[d] = (mem.sum2[slot * dim + d] as number) / n;
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
