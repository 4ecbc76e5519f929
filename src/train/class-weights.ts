/**
 * Class weights of the segmentation CE from the training set's label histogram (a departure from the reference, which
 * weighs every class 1; see README "Class-weighted CE").
 *
 * 'enet' (ENet, Paszke et al. 2016; ESPNet's and CGNet's CamVid recipes with offset 1.10): w_c = 1 / ln(offset + p_c),
 * p_c = class c's share of the labelled pixels. It bounds the weights (a class with no pixel gets 1 / ln(offset)) and
 * raises thin classes (CamVid: Pole, SignSymbol, Bicyclist) against the large ones (Road, Sky, Building). The weights
 * are then scaled so that Σ_c p_c · w_c = 1: the mean weight of a labelled pixel is 1, so the CE keeps its scale
 * against the contrast loss and the learning rate.
 */
import type { Dataset } from '../data/sample.js';
import { IGNORE_INDEX } from '../constants.js';
import { ValueError } from '../errors.js';

/** The class-weighting schemes of `TrainConfig.classWeighting`. */
export type ClassWeighting = 'none' | 'enet';

/**
 * Labelled pixels per class over a dataset (ignore pixels left out).
 * @param indices the images counted (default: every image)
 * @returns [C] counts, C = dataset.classes.length
 * @throws ValueError for a label value outside 0…C−1 that is not the ignore value
 */
export async function classPixelCounts(dataset: Dataset, indices?: readonly number[]): Promise<Float64Array> {
  const C = dataset.classes.length;
  const counts = new Float64Array(C);
  for (const i of indices ?? Array.from({ length: dataset.length }, (_, k) => k)) {
    const { id, label } = await dataset.get(i);
    const perValue = new Float64Array(256);
    for (const v of label.data) perValue[v]++;
    for (let v = 0; v < 256; v++) {
      if (perValue[v] === 0 || v === IGNORE_INDEX) continue;
      if (v >= C) throw new ValueError(`${dataset.name} sample '${id}': label value ${v} is not a class (0…${C - 1})`);
      counts[v] += perValue[v] as number;
    }
  }
  return counts;
}

/**
 * ENet class weights from per-class pixel counts, scaled to a mean of 1 per labelled pixel.
 * @param counts [C] labelled pixels per class (at least one > 0)
 * @param offset > 1
 * @returns [C] weights
 */
export function enetClassWeights(counts: ArrayLike<number>, offset: number): number[] {
  if (!(offset > 1)) throw new ValueError(`class weight offset must be > 1, got ${offset}`);
  let total = 0;
  for (let c = 0; c < counts.length; c++) {
    const n = counts[c] as number;
    if (!(n >= 0)) throw new ValueError(`class pixel count ${c} is ${n}, must be ≥ 0`);
    total += n;
  }
  if (total === 0) throw new ValueError('class weights need at least one labelled pixel; the training set has none');
  const share = Array.from(counts, (n) => n / total);
  const raw = share.map((p) => 1 / Math.log(offset + p));
  const mean = share.reduce((s, p, c) => s + p * (raw[c] as number), 0);
  return raw.map((w) => w / mean);
}

/**
 * The CE class weights a config asks for, from the training set's class pixel counts ({@link classPixelCounts}).
 * @param counts [C] labelled pixels per class
 * @returns [C] weights, or undefined for 'none'
 */
export function classWeightsFor(
  weighting: ClassWeighting,
  offset: number,
  counts: ArrayLike<number>,
): number[] | undefined {
  if (weighting === 'none') return undefined;
  return enetClassWeights(counts, offset);
}
