/**
 * Component targets and memory eligibility from one forward pass (reference `online_contrast`, §3): for each class
 * present (ascending), its pixels' own-class component log-densities go through Sinkhorn; the assigned component a
 * gives the contrast target K·c + a; the pixel may enter the memory only if the class prediction was correct (the
 * reference; `memoryAdmission: 'labelled'` admits every labelled pixel).
 * Then the enqueue rule: which of those pixels enter which slot c·K + a of the memory.
 *
 * Names: `componentsPerClass` is K; a slot (one of C·K) is c·K + k.
 */
import { assertLength } from '../shape.js';
import { linspaceIndices } from './memory.js';
import { sinkhornAssign, type SinkhornOptions } from './sinkhorn.js';

/** Per-pixel outputs of the E-step. */
export interface ComponentTargets {
  /** [N] K·c + a, or −1 for ignored pixels (and, in 'reference' collision mode, for targets equal to 255). */
  targets: Int32Array;
  /** [N] assigned component a of the pixel's own class, or −1 for ignored pixels. */
  assignment: Int32Array;
  /** [N] 1 where the pixel is labelled and (reference admission) correctly classified, and so may enter the memory. */
  eligible: Uint8Array;
}

/** Settings (fields of GmmConfig). */
export interface TargetOptions extends SinkhornOptions {
  classes: number;
  componentsPerClass: number;
  ignoreIndex: number;
  contrastTargetCollision: 'fixed' | 'reference';
  /** Which labelled pixels may enter the memory: 'correct' (reference, the default) or every 'labelled' one. */
  memoryAdmission?: 'correct' | 'labelled';
}

/**
 * @param logDensity [N, C·K] component log-densities (float32, row-major)
 * @param labels [N] labels at feature resolution
 * @param predicted [N] argmax class of the logits at feature resolution
 */
export function componentTargets(
  logDensity: Float32Array,
  labels: Int32Array,
  predicted: Int32Array,
  opts: TargetOptions,
): ComponentTargets {
  const N = labels.length;
  const K = opts.componentsPerClass;
  const slots = opts.classes * K;
  assertLength(logDensity.length, [N, slots], 'logDensity', 'componentTargets');
  assertLength(predicted.length, [N], 'predicted', 'componentTargets');
  const own = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    const y = labels[n] as number;
    if (y !== opts.ignoreIndex) own.set(logDensity.subarray(n * slots + y * K, n * slots + (y + 1) * K), n * K);
  }
  return ownClassTargets(own, labels, predicted, opts);
}

/**
 * The same E-step from the own-class columns only (what the training step reads from the device).
 * @param ownLogDensity [N, K]: row n holds ℓ[n, y_n·K + k] for k < K (any values where y_n is the ignore index)
 * @param labels [N] labels at feature resolution
 * @param predicted [N] argmax class of the logits at feature resolution
 */
export function ownClassTargets(
  ownLogDensity: Float32Array,
  labels: Int32Array,
  predicted: Int32Array,
  opts: TargetOptions,
): ComponentTargets {
  const N = labels.length;
  const K = opts.componentsPerClass;
  assertLength(ownLogDensity.length, [N, K], 'ownLogDensity', 'ownClassTargets');
  assertLength(predicted.length, [N], 'predicted', 'ownClassTargets');
  const targets = new Int32Array(N).fill(-1);
  const assignment = new Int32Array(N).fill(-1);
  const eligible = new Uint8Array(N);
  const byClass = pixelsByClass(labels, opts.ignoreIndex);
  const admitAll = opts.memoryAdmission === 'labelled';
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const pixels = byClass.get(c) as number[];
    const block = new Float64Array(pixels.length * K);
    pixels.forEach((n, i) => {
      for (let k = 0; k < K; k++) block[i * K + k] = ownLogDensity[n * K + k] as number;
    });
    const a = sinkhornAssign(block, pixels.length, K, opts);
    pixels.forEach((n, i) => {
      const t = c * K + (a[i] as number);
      assignment[n] = a[i] as number;
      targets[n] = opts.contrastTargetCollision === 'reference' && t === opts.ignoreIndex ? -1 : t;
      eligible[n] = admitAll || predicted[n] === c ? 1 : 0;
    });
  }
  return { targets, assignment, eligible };
}

/** Labelled pixels per class, each list in (b, y, x) order. */
function pixelsByClass(labels: Int32Array, ignoreIndex: number): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  for (let n = 0; n < labels.length; n++) {
    const y = labels[n] as number;
    if (y === ignoreIndex) continue;
    let list = byClass.get(y);
    if (!list) byClass.set(y, (list = []));
    list.push(n);
  }
  return byClass;
}

/** Settings of {@link enqueueRows} (fields of GmmConfig). */
export interface EnqueueOptions {
  /** K */
  componentsPerClass: number;
  /** S: most rows per slot and step (evenly spaced subsample); −1 keeps all. */
  maxSamplesPerStep: number;
  ignoreIndex: number;
}

/**
 * Reference enqueue order and subsampling: for each class present and each component, the eligible pixels assigned to
 * it (in (b, y, x) order), at most `maxSamplesPerStep` of them at evenly spaced positions (`linspaceIndices`).
 * @param labels [N] labels at feature resolution
 * @returns per slot c·K + k, the pixel rows to enqueue (only slots with rows appear, ascending)
 */
export function enqueueRows(labels: Int32Array, t: ComponentTargets, opts: EnqueueOptions): Map<number, Int32Array> {
  const K = opts.componentsPerClass;
  const bySlot = new Map<number, number[]>();
  for (let n = 0; n < labels.length; n++) {
    const y = labels[n] as number;
    if (y === opts.ignoreIndex || !t.eligible[n]) continue;
    const slot = y * K + (t.assignment[n] as number);
    let list = bySlot.get(slot);
    if (!list) bySlot.set(slot, (list = []));
    list.push(n);
  }
  const out = new Map<number, Int32Array>();
  const S = opts.maxSamplesPerStep;
  for (const slot of [...bySlot.keys()].sort((a, b) => a - b)) {
    const rows = bySlot.get(slot) as number[];
    const subsample = S !== -1 && rows.length > S;
    const picked = subsample ? Array.from(linspaceIndices(rows.length, S), (i) => rows[i] as number) : rows;
    out.set(slot, Int32Array.from(picked));
  }
  return out;
}
