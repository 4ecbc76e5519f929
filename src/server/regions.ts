/**
 * Flagged regions of an anomaly map: the connected components (8-connectivity, as SMIYC counts them) of the
 * pixels whose score is above the threshold, each with its area, bounding box and the max / mean score inside it.
 * Regions smaller than `minArea` pixels are left out; the rest are listed largest first (ties: smaller id first)
 * and cut at `maxRegions`, with `truncated` saying when regions were cut. Ids are the component numbers in
 * raster order of their first pixel (1, 2, …), so they stay the same whatever is filtered.
 */
import { labelComponents } from '../metrics/components.js';

/** Pixel rectangle, x/y of the top-left pixel. */
export interface BoundingBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One connected anomalous region. */
export interface AnomalyRegion {
  id: number;
  /** Pixels in the region. */
  area: number;
  bbox: BoundingBox;
  maxScore: number;
  meanScore: number;
}

/** The listed regions and whether any were cut by `maxRegions`. */
export interface RegionList {
  regions: AnomalyRegion[];
  truncated: boolean;
}

/** Filters of {@link anomalyRegions}. */
export interface RegionOptions {
  /** Smallest listed region, pixels (≥ 1). */
  minArea: number;
  /** Most regions listed (≥ 0). */
  maxRegions: number;
}

/** Running per-component statistics. */
interface Accumulator {
  area: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  max: number;
  sum: number;
}

/**
 * Regions of the flagged pixels `flagged [H·W]` (non-zero = anomalous) with their `scores [H·W]`.
 */
export function anomalyRegions(
  flagged: Uint8Array,
  scores: Float32Array,
  width: number,
  height: number,
  opts: RegionOptions,
): RegionList {
  if (flagged.length !== width * height || scores.length !== width * height) {
    throw new RangeError(
      `anomalyRegions: 'flagged' (${flagged.length}) and 'scores' (${scores.length}) must have ${width}×${height} = ${width * height} values`,
    );
  }
  const { labels, count } = labelComponents(flagged, height, width, 8);
  const acc = accumulate(labels, count, scores, width);
  const kept: AnomalyRegion[] = [];
  for (let id = 1; id <= count; id++) {
    const a = acc[id] as Accumulator;
    if (a.area < opts.minArea) continue;
    kept.push({
      id,
      area: a.area,
      bbox: { x: a.x0, y: a.y0, width: a.x1 - a.x0 + 1, height: a.y1 - a.y0 + 1 },
      maxScore: a.max,
      meanScore: a.sum / a.area,
    });
  }
  kept.sort((p, q) => q.area - p.area || p.id - q.id);
  return { regions: kept.slice(0, opts.maxRegions), truncated: kept.length > opts.maxRegions };
}

/** Area, bounds and score sums of components 1..count (index 0 unused). */
function accumulate(labels: Int32Array, count: number, scores: Float32Array, width: number): Accumulator[] {
  const acc: Accumulator[] = Array.from({ length: count + 1 }, () => ({
    area: 0,
    x0: Infinity,
    y0: Infinity,
    x1: -1,
    y1: -1,
    max: -Infinity,
    sum: 0,
  }));
  for (let i = 0; i < labels.length; i++) {
    const id = labels[i] as number;
    if (id === 0) continue;
    const a = acc[id] as Accumulator;
    const x = i % width;
    const y = (i - x) / width;
    const s = scores[i] as number;
    a.area++;
    if (x < a.x0) a.x0 = x;
    if (x > a.x1) a.x1 = x;
    if (y < a.y0) a.y0 = y;
    if (y > a.y1) a.y1 = y;
    if (s > a.max) a.max = s;
    a.sum += s;
  }
  return acc;
}

/** Number of non-zero entries of a mask. */
export function countFlagged(flagged: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < flagged.length; i++) if (flagged[i] !== 0) n++;
  return n;
}
