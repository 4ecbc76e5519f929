/**
 * Building training batches: dataset samples → augmentation → tensors, or cached frozen-backbone maps (+ flip).
 */
import * as tf from '@tensorflow/tfjs';
import { augmentBatch, type AugmentOptions, type PackedBatch } from '../data/augment.js';
import type { Dataset, Sample } from '../data/sample.js';
import { ValueError } from '../errors.js';
import { uniform, type Rng } from '../random.js';

/** A batch of images [B, H, W, 3] (float32 0..255) with labels [B, H, W]. */
export interface ImageBatch {
  images: tf.Tensor4D;
  labels: Int32Array;
  labelShape: [number, number, number];
}

/** Loads and augments `indices` into one batch (on this thread; `batch-pipeline.ts` does it ahead on a worker). */
export async function loadImageBatch(
  dataset: Dataset,
  indices: readonly number[],
  rng: Rng,
  augment: AugmentOptions,
): Promise<ImageBatch> {
  const samples: Sample[] = [];
  for (const i of indices) samples.push(await dataset.get(i));
  return imageBatchOf(augmentBatch(samples, rng, augment));
}

/** The tensors of a packed batch. */
export function imageBatchOf(b: PackedBatch): ImageBatch {
  const [B, H, W] = b.shape;
  return { images: tf.tensor4d(b.pixels, [B, H, W, 3]), labels: b.labels, labelShape: b.shape };
}

/** Frozen-backbone maps of one image, cached as plain arrays, with its label at network-input size. */
export interface FrozenEntry {
  maps: { shape: [number, number, number]; data: Float32Array }[];
  label: Uint8Array;
  labelSize: [number, number];
}

/**
 * A batch from cached frozen maps, each sample flipped horizontally with probability 0.5 when `flip` (maps and labels
 * together — the only augmentation that commutes with a convolutional backbone up to border effects).
 * @returns one tensor per map level [B, h_l, w_l, C_l] and labels [B, H, W]
 */
export function frozenBatch(
  cache: readonly FrozenEntry[],
  indices: readonly number[],
  rng: Rng,
  flip: boolean,
): { maps: tf.Tensor4D[]; labels: Int32Array; labelShape: [number, number, number] } {
  const first = cache[indices[0] as number];
  if (!first) throw new ValueError('frozenBatch: empty batch');
  const [H, W] = first.labelSize;
  const flips = indices.map(() => flip && uniform(rng) < 0.5);
  const labels = new Int32Array(indices.length * H * W);
  indices.forEach((i, b) => {
    const e = cache[i] as FrozenEntry;
    if (e.labelSize[0] !== H || e.labelSize[1] !== W)
      throw new ValueError(
        `frozenBatch: cached sample ${i} has size ${e.labelSize.join('×')}, expected ${H}×${W} (all images in a batch must share one size)`,
      );
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) labels[(b * H + y) * W + x] = e.label[y * W + (flips[b] ? W - 1 - x : x)] as number;
  });
  const maps = first.maps.map((m0, level) => {
    const [h, w, c] = m0.shape;
    const data = new Float32Array(indices.length * h * w * c);
    indices.forEach((i, b) => {
      const src = ((cache[i] as FrozenEntry).maps[level] as FrozenEntry['maps'][number]).data;
      if (!flips[b]) data.set(src, b * h * w * c);
      else
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            data.set(src.subarray((y * w + (w - 1 - x)) * c, (y * w + (w - 1 - x)) * c + c), ((b * h + y) * w + x) * c);
    });
    return tf.tensor4d(data, [indices.length, h, w, c]);
  });
  return { maps, labels, labelShape: [indices.length, H, W] };
}
