/**
 * The one sample type every reader and generator returns, and the dataset interface around it.
 *
 * Conventions (identical for every format):
 * - `image.data` is `[H, W, 3]` RGB uint8, row-major, no alpha.
 * - `label.data` is `[H, W]` uint8 class indices `0..C-1`; `IGNORE_INDEX` (255) = ignore/void.
 *   Anomaly-only benchmarks (Road Anomaly, Fishyscapes, SegmentMeIfYouCan) carry no semantic ground
 *   truth: their `label` is all 255.
 * - `anomaly.data`, when present, is `[H, W]` uint8: 0 = inlier, 1 = anomaly, 255 = void.
 */
import { IGNORE_INDEX } from '../constants.js';
import { ValueError } from '../errors.js';

/** The ignore / void value of every label map and anomaly mask (re-exported from `src/constants.ts`). */
export { IGNORE_INDEX };

/** An RGB image `data [H, W, 3]` uint8. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A single-channel map `data [H, W]` uint8 (class indices or 0/1/255 anomaly values). */
export interface LabelMap {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One image with its per-pixel ground truth. */
export interface Sample {
  /** Stable identifier, unique within its dataset (usually the file stem, relative to the split folder). */
  id: string;
  /** `[H, W, 3]` RGB. */
  image: RgbImage;
  /** `[H, W]` class indices, 255 = ignore. */
  label: LabelMap;
  /** `[H, W]` 0 inlier / 1 anomaly / 255 void; present on anomaly test sets only. */
  anomaly?: LabelMap;
}

/** The files behind one sample: the image and its annotation (semantic label or anomaly mask). */
export interface FilePair {
  id: string;
  image: string;
  /** Semantic label PNG, or for anomaly-only datasets the anomaly mask PNG. */
  label: string;
}

/** A file left out of a dataset because the caller asked for `skipBad: true`. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** A random-access collection of samples. */
export interface Dataset {
  /** For messages and reports, e.g. `camvid/test` or `digit-scenes/anomaly`. */
  readonly name: string;
  /** Class names; `classes.length` = C and label values lie in `0..C-1` or 255. */
  readonly classes: readonly string[];
  /** Number of samples. */
  readonly length: number;
  /** True when every sample carries an `anomaly` mask. */
  readonly hasAnomaly: boolean;
  /** One entry per sample for file-backed datasets (same order as `get`); empty for generated ones. */
  readonly pairs: readonly FilePair[];
  /** What was left out under `skipBad: true` (always empty otherwise). */
  readonly skipped: readonly SkippedFile[];
  /** Decodes (or generates) sample `i`, `0 <= i < length`. */
  get(i: number): Promise<Sample>;
}

/** Checks a sample index and returns it; throws a ValueError naming the dataset. */
export function checkIndex(i: number, length: number, datasetName: string): number {
  if (!Number.isInteger(i) || i < 0 || i >= length) {
    throw new ValueError(`${datasetName}.get: index ${i} is out of range [0, ${length})`);
  }
  return i;
}

/** Iterates over every sample of a dataset in order. */
export async function* samples(dataset: Dataset): AsyncGenerator<Sample> {
  for (let i = 0; i < dataset.length; i++) yield await dataset.get(i);
}

/** A map filled with one value, e.g. an all-ignore label for anomaly-only datasets. */
export function filledMap(width: number, height: number, value: number): LabelMap {
  return { width, height, data: new Uint8Array(width * height).fill(value) };
}
