/**
 * The shapes of the per-slot feature memories (slot = c·K + k, C·K slots in all), in a leaf module so that the queue
 * (memory.ts) and the running statistics (running-stats.ts) can both use them without importing each other.
 */

/** Which memory a head keeps: the reference's FIFO 'queue' or queue-free 'running' moments. */
export type MemoryKind = 'queue' | 'running';

/** A memory's initial content: the reference's 'random' unit vectors (counted as entries) or 'empty'. */
export type MemoryInit = 'random' | 'empty';

/** FIFO ring buffers per slot. */
export interface QueueMemory {
  kind: 'queue';
  /** Number of slots (C·K). */
  slots: number;
  /** M: entries per slot. */
  capacity: number;
  /** D */
  dim: number;
  /** [C·K] buffers, each [M, D] row-major. */
  buffers: Float32Array[];
  /** [C·K] next write position. */
  pointer: Int32Array;
  /**
   * [C·K] entries that count in the slot's moments (≤ M): M from the start for the reference's random initial rows,
   * or the number of real rows written so far when the memory starts empty (`memoryInit: 'empty'`).
   */
  filled: Int32Array;
  /** [C·K, D] Σ over each buffer of x (float64). */
  sum1: Float64Array;
  /** [C·K, D] Σ over each buffer of x² (float64). */
  sum2: Float64Array;
  version: number;
}

/** Running first and second moments per slot. */
export interface RunningMemory {
  kind: 'running';
  /** Number of slots (C·K). */
  slots: number;
  /** M: averaging window (insertions). */
  capacity: number;
  /** D */
  dim: number;
  /** [C·K, D] running E[x] */
  mean1: Float64Array;
  /** [C·K, D] running E[x²] */
  mean2: Float64Array;
  /**
   * [C·K] insertions so far, capped at M (M from the start for the neutral initial moments); the rate of the next
   * insertion is 1/min(filled + 1, M), so an empty start averages its first M rows exactly.
   */
  filled: Int32Array;
  version: number;
}

/** Either memory; every consumer goes through `pushRows` and `slotMoments` (memory.ts). */
export type ComponentMemory = QueueMemory | RunningMemory;

/** First and second moments of one slot: E[x] and E[x²] per dimension, over M entries. */
export interface SlotMoments {
  /** [D] */
  mean1: Float64Array;
  /** [D] */
  mean2: Float64Array;
}
