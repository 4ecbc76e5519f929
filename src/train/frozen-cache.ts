/**
 * Frozen-backbone maps of every training image, computed once (the backbone never changes), kept as plain arrays.
 * Images are resized to the nearest multiple of the extractor's size multiple (× `scale`); labels follow by nearest.
 */
import * as tf from '@tensorflow/tfjs';
import { rescaleSample, resizeImageBilinear, resizeLabelNearest } from '../data/augment.js';
import type { Dataset } from '../data/sample.js';
import { GmmsegError } from '../errors.js';
import type { Extractor } from '../nn/types.js';
import type { FrozenEntry } from './batch.js';

/** Builds the cache; `onProgress(done, total)` after each image. */
export async function buildFrozenCache(
  extractor: Extractor,
  dataset: Dataset,
  scale = 1,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<FrozenEntry[]> {
  const frozen = extractor.frozenForward?.bind(extractor);
  if (!frozen) throw new GmmsegError(`extractor '${extractor.kind}' has no frozen backbone to cache`);
  const m = extractor.sizeMultiple;
  const out: FrozenEntry[] = [];
  for (let i = 0; i < dataset.length; i++) {
    let s = await dataset.get(i);
    if (scale !== 1) s = rescaleSample(s, scale);
    const H = Math.max(m, Math.round(s.image.height / m) * m);
    const W = Math.max(m, Math.round(s.image.width / m) * m);
    const image = H === s.image.height && W === s.image.width ? s.image : resizeImageBilinear(s.image, W, H);
    const label = H === s.label.height && W === s.label.width ? s.label : resizeLabelNearest(s.label, W, H);
    const maps = tf.tidy(() => frozen(tf.tensor4d(Float32Array.from(image.data), [1, H, W, 3])));
    out.push({
      maps: maps.map((t) => ({ shape: [t.shape[1], t.shape[2], t.shape[3]], data: Float32Array.from(t.dataSync()) })),
      label: label.data,
      labelSize: [H, W],
    });
    maps.forEach((t) => t.dispose());
    onProgress(i + 1, dataset.length);
  }
  return out;
}
