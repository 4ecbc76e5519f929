/**
 * Component-level anomaly metrics as SegmentMeIfYouCan defines them (anchors.md §1.4;
 * `road_anomaly_benchmark/metrics/instance_segmentation.py` at 1c7804e, `default_instancer` + `segment_metrics`).
 *
 * Per frame [H, W], from a binary prediction and the label map (0 inlier, 1 anomaly, anything else void):
 * 1. predicted pixels in void are cleared; connected components (8-connectivity, the 3×3 all-ones structure,
 *    by default) of the GT anomaly mask and of the prediction, separately;
 * 2. predicted components smaller than `minPredSize` are deleted; GT components smaller than `minGtSize` become
 *    void (as in their loop, the background "component 0" is also voided when it has fewer than `minGtSize`
 *    pixels — a quirk that only matters for tiny images);
 * 3. everything is restricted to the updated non-void region (component sizes are then counted inside it);
 * 4. for every GT component k, with Ŝ the union of predicted components that intersect k:
 *    sIoU(k) = |k ∩ Ŝ| / (|k| + |Ŝ| − |k ∩ Ŝ| − |Ŝ ∩ other GT components|);
 *    for every predicted component j: PPV(j) = |j ∩ GT anomaly| / |j|;
 * 5. for τ ∈ linspace(0.25, 0.75, 11): TP = #GT with sIoU ≥ τ, FN = #GT with sIoU < τ, FP = #pred with PPV < τ.
 * Dataset aggregation ({@link componentMetrics}): counts summed over frames, F1(τ) = 2TP/(2TP+FN+FP),
 * mean F1 = average over the 11 τ; sIoU = mean over all GT components, PPV = mean over all predicted components.
 */
import { ShapeError, ValueError } from '../errors.js';
import { assertInt } from '../shape.js';
import { linspace, pairwiseSum } from './numpy-compat.js';

/** Size filters and connectivity of one SMIYC track. */
export interface ComponentOptions {
  /** Predicted components with fewer pixels are deleted. */
  minPredSize: number;
  /** GT components with fewer pixels become void. */
  minGtSize: number;
  /** 8 (SMIYC: 3×3 all-ones structure) or 4. */
  connectivity: 4 | 8;
}

/** `SegEval-AnomalyTrack`: predicted blobs < 500 px dropped, GT blobs < 100 px voided. */
export const SMIYC_ANOMALY_TRACK: ComponentOptions = { minPredSize: 500, minGtSize: 100, connectivity: 8 };
/** `SegEval-ObstacleTrack`: 50 / 10 px. */
export const SMIYC_OBSTACLE_TRACK: ComponentOptions = { minPredSize: 50, minGtSize: 10, connectivity: 8 };

/** The τ grid 0.25, 0.30, …, 0.75 (NumPy `linspace(0.25, 0.75, 11)`). */
export const SIOU_THRESHOLDS: Float64Array = linspace(0.25, 0.75, 11);

/** Connected components of the non-zero pixels of `mask` [H, W]; ids 1..count in raster order of first pixel. */
export function labelComponents(
  mask: ArrayLike<number>,
  height: number,
  width: number,
  connectivity: 4 | 8 = 8,
): { labels: Int32Array; count: number; sizes: number[] } {
  checkFrame(mask.length, height, width, 'mask', 'labelComponents');
  if (connectivity !== 4 && connectivity !== 8)
    throw new ValueError(`labelComponents: connectivity must be 4 or 8, got ${String(connectivity)}`);
  const n = height * width;
  const labels = new Int32Array(n);
  const queue = new Int32Array(n);
  const sizes = [0];
  let count = 0;
  for (let start = 0; start < n; start++) {
    if ((mask[start] as number) === 0 || (labels[start] as number) !== 0) continue;
    count++;
    labels[start] = count;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    while (head < tail) {
      const p = queue[head++] as number;
      const y = (p / width) | 0;
      const x = p - y * width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          if (connectivity === 4 && dx !== 0 && dy !== 0) continue;
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if ((mask[q] as number) !== 0 && (labels[q] as number) === 0) {
            labels[q] = count;
            queue[tail++] = q;
          }
        }
      }
    }
    sizes.push(tail);
  }
  return { labels, count, sizes };
}

/** Per-frame component statistics; concatenate across frames to aggregate. */
export interface ComponentFrameStats {
  /** sIoU of every GT component (ascending id). */
  sIoUGt: Float64Array;
  /** sIoU of every predicted component (the pre-2021 FP rule; reported, not used for F1). */
  sIoUPred: Float64Array;
  /** PPV (precision) of every predicted component. */
  precPred: Float64Array;
  /** TP / FN / FP per τ of {@link SIOU_THRESHOLDS}. [11] */
  tp: Float64Array;
  fn: Float64Array;
  fp: Float64Array;
}

/**
 * Component statistics of one frame. `predMask` [H·W]: non-zero = predicted anomaly (already binarised;
 * SMIYC uses score > best-F1 threshold, see `smiyc.ts`). `labels` [H·W]: 0 inlier, 1 anomaly, else void.
 */
export function componentFrameStats(
  predMask: ArrayLike<number>,
  labels: ArrayLike<number>,
  height: number,
  width: number,
  opts: ComponentOptions = SMIYC_ANOMALY_TRACK,
): ComponentFrameStats {
  const n = checkFrame(labels.length, height, width, 'labels', 'componentFrameStats');
  checkFrame(predMask.length, height, width, 'predMask', 'componentFrameStats');
  assertInt(opts.minPredSize, 0, Number.MAX_SAFE_INTEGER, 'minPredSize', 'componentFrameStats');
  assertInt(opts.minGtSize, 0, Number.MAX_SAFE_INTEGER, 'minGtSize', 'componentFrameStats');
  const isVoid = new Uint8Array(n);
  const gtMask = new Uint8Array(n);
  const prMask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i] as number;
    isVoid[i] = l !== 0 && l !== 1 ? 1 : 0;
    gtMask[i] = l === 1 ? 1 : 0;
    prMask[i] = (predMask[i] as number) !== 0 && isVoid[i] === 0 ? 1 : 0;
  }
  const gt = labelComponents(gtMask, height, width, opts.connectivity);
  const pr = labelComponents(prMask, height, width, opts.connectivity);
  const predKept = pr.sizes.map((s, id) => id > 0 && s >= opts.minPredSize);
  const gtVoided = gt.sizes.map((s, id) => (id === 0 ? n - gt.sizes.reduce((a, b) => a + b, 0) : s) < opts.minGtSize);
  const inRoi = (i: number): boolean => isVoid[i] === 0 && gtVoided[gt.labels[i] as number] !== true;
  return segmentMetrics(gt.labels, gt.count, pr.labels, pr.count, inRoi, predKept);
}

/** `segment_metrics` over the region where `inRoi(i)`; predicted ids not in `predKept` count as background. */
function segmentMetrics(
  gtIds: Int32Array,
  nGt: number,
  prIds: Int32Array,
  nPr: number,
  inRoi: (i: number) => boolean,
  predKept: boolean[],
): ComponentFrameStats {
  const gtArea = new Float64Array(nGt + 1);
  const prArea = new Float64Array(nPr + 1);
  const gtHit = new Float64Array(nGt + 1); // |k ∩ any prediction|
  const prHit = new Float64Array(nPr + 1); // |j ∩ any GT|
  const overlap = new Map<number, number>(); // key g·(nPr+1)+p
  for (let i = 0; i < gtIds.length; i++) {
    if (!inRoi(i)) continue;
    const g = gtIds[i] as number;
    const rawP = prIds[i] as number;
    const p = predKept[rawP] === true ? rawP : 0;
    if (g > 0) gtArea[g] = (gtArea[g] as number) + 1;
    if (p > 0) prArea[p] = (prArea[p] as number) + 1;
    if (g > 0 && p > 0) {
      gtHit[g] = (gtHit[g] as number) + 1;
      prHit[p] = (prHit[p] as number) + 1;
      const key = g * (nPr + 1) + p;
      overlap.set(key, (overlap.get(key) ?? 0) + 1);
    }
  }
  const touchingPred: number[][] = Array.from({ length: nGt + 1 }, () => []);
  const touchingGt: number[][] = Array.from({ length: nPr + 1 }, () => []);
  for (const key of [...overlap.keys()].sort((a, b) => a - b)) {
    const g = Math.floor(key / (nPr + 1));
    const p = key - g * (nPr + 1);
    touchingPred[g]?.push(p);
    touchingGt[p]?.push(g);
  }
  const ov = (g: number, p: number): number => overlap.get(g * (nPr + 1) + p) ?? 0;
  const gtSide = { area: gtArea, hit: gtHit, touching: touchingPred };
  const prSide = { area: prArea, hit: prHit, touching: touchingGt };
  const sIoUGt = sideSIoU(gtSide, prSide, ov);
  const sIoUPred = sideSIoU(prSide, gtSide, (p, g) => ov(g, p));
  const precPred: number[] = [];
  for (let p = 1; p <= nPr; p++) {
    if ((prArea[p] as number) !== 0) precPred.push((prHit[p] as number) / (prArea[p] as number));
  }
  const T = SIOU_THRESHOLDS.length;
  const tp = new Float64Array(T);
  const fn = new Float64Array(T);
  const fp = new Float64Array(T);
  SIOU_THRESHOLDS.forEach((t, k) => {
    tp[k] = sIoUGt.filter((s) => s >= t).length;
    fn[k] = sIoUGt.filter((s) => s < t).length;
    fp[k] = precPred.filter((s) => s < t).length;
  });
  return {
    sIoUGt: Float64Array.from(sIoUGt),
    sIoUPred: Float64Array.from(sIoUPred),
    precPred: Float64Array.from(precPred),
    tp,
    fn,
    fp,
  };
}

/** One side (GT or prediction) of a frame, indexed by component id (0 = background). */
interface ComponentSide {
  /** Pixels of each component [n+1]. */
  area: Float64Array;
  /** Pixels of each component that lie in any component of the other side [n+1]. */
  hit: Float64Array;
  /** Ids of the other side's components touching each component, ascending [n+1][]. */
  touching: number[][];
}

/**
 * sIoU of every non-empty component k of `side`, in id order, with Ŝ the union of the `other` components
 * touching k: |k ∩ Ŝ| / (|k| + |Ŝ| − |k ∩ Ŝ| − |Ŝ ∩ other components of `side`|). `overlap(k, j)` is |k ∩ j|.
 */
function sideSIoU(side: ComponentSide, other: ComponentSide, overlap: (k: number, j: number) => number): number[] {
  const out: number[] = [];
  for (let k = 1; k < side.area.length; k++) {
    const area = side.area[k] as number;
    if (area === 0) continue;
    const inter = side.hit[k] as number;
    let segArea = 0;
    let adjustment = 0;
    for (const j of side.touching[k] ?? []) {
      segArea += other.area[j] as number;
      adjustment += (other.hit[j] as number) - overlap(k, j);
    }
    out.push(inter / (segArea + area - inter - adjustment));
  }
  return out;
}

/** Dataset-level component metrics. */
export interface ComponentMetrics {
  /** Mean sIoU over all GT components of all frames (NaN if there is none). */
  sIoU: number;
  /** Mean PPV over all predicted components (NaN if there is none). */
  ppv: number;
  /** Mean sIoU of predicted components (reported by SMIYC as sIoU_pred). */
  sIoUPred: number;
  /** Mean of F1(τ) over the 11 τ. */
  meanF1: number;
  /** F1, TP, FN, FP per τ of {@link SIOU_THRESHOLDS}. [11] */
  f1: Float64Array;
  tp: Float64Array;
  fn: Float64Array;
  fp: Float64Array;
}

/** Aggregates frames the SMIYC way (sums of counts, pooled means). Throws if no frame has any component. */
export function componentMetrics(frames: readonly ComponentFrameStats[]): ComponentMetrics {
  const T = SIOU_THRESHOLDS.length;
  const tp = new Float64Array(T);
  const fn = new Float64Array(T);
  const fp = new Float64Array(T);
  for (const f of frames) {
    for (let k = 0; k < T; k++) {
      tp[k] = (tp[k] as number) + (f.tp[k] as number);
      fn[k] = (fn[k] as number) + (f.fn[k] as number);
      fp[k] = (fp[k] as number) + (f.fp[k] as number);
    }
  }
  if ((tp[0] as number) + (fn[0] as number) + (fp[0] as number) === 0) {
    throw new ValueError(
      `componentMetrics: no ground-truth anomaly component and no predicted component in ${frames.length} frames; F1 is undefined (the official evaluator raises ZeroDivisionError here)`,
    );
  }
  const f1 = new Float64Array(T);
  let f1Sum = 0;
  for (let k = 0; k < T; k++) {
    f1[k] = (2 * (tp[k] as number)) / (2 * (tp[k] as number) + (fn[k] as number) + (fp[k] as number));
    f1Sum += f1[k] as number;
  }
  return {
    sIoU: pooledMean(frames.map((f) => f.sIoUGt)),
    ppv: pooledMean(frames.map((f) => f.precPred)),
    sIoUPred: pooledMean(frames.map((f) => f.sIoUPred)),
    meanF1: f1Sum / T,
    f1,
    tp,
    fn,
    fp,
  };
}

/** Σ_frames np.sum(values) / Σ_frames len(values), NaN when empty (as NumPy's 0/0). */
function pooledMean(parts: readonly Float64Array[]): number {
  let s = 0;
  let n = 0;
  for (const p of parts) {
    s += pairwiseSum(p);
    n += p.length;
  }
  return n === 0 ? NaN : s / n;
}

function checkFrame(length: number, height: number, width: number, arg: string, fnName: string): number {
  assertInt(height, 1, 1 << 20, 'height', fnName);
  assertInt(width, 1, 1 << 20, 'width', fnName);
  if (length !== height * width) {
    throw new ShapeError(
      `${fnName}: argument '${arg}' has ${length} values, expected ${height * width} for shape [${height}, ${width}]`,
    );
  }
  return length;
}
