/**
 * Training augmentation as the reference's MMSeg pipeline does it: random rescale (ratio range), random crop with a
 * category-max-ratio rule, horizontal flip, optional photometric distortion, padding to the crop size (image 0, label 255). Deterministic from an Rng.
 * Images are resized bilinearly (half-pixel centres), labels and anomaly masks by nearest neighbour.
 */
import { ValueError } from '../errors.js';
import { randInt, uniform, type Rng } from '../random.js';
import { photometricDistortion } from './photometric.js';
import { IGNORE_INDEX, type LabelMap, type RgbImage, type Sample } from './sample.js';

/** Augmentation settings. */
export interface AugmentOptions {
  /** [height, width] of the output crop. */
  cropSize: readonly [number, number];
  /** Random rescale factor range relative to `baseScale` (reference: [0.5, 2.0]). */
  scaleRange: readonly [number, number];
  /** Scale applied before the random factor (e.g. to bring images to a working resolution). */
  baseScale: number;
  /** Flip horizontally with probability 0.5. */
  flip: boolean;
  /** Reject crops where one class covers more than this fraction of labelled pixels (up to 10 tries); 1 disables. */
  catMaxRatio: number;
  /** MMSeg's photometric distortion on the crop ({@link ./photometric.ts}); absent or false: none. */
  photometric?: boolean;
}

/** A rectangle of a resized image: rows `top … top + height − 1`, columns `left … left + width − 1`. */
export interface ResizeWindow {
  top: number;
  left: number;
  width: number;
  height: number;
}

/**
 * Resizes an RGB image bilinearly with half-pixel centres (cv2 INTER_LINEAR / align_corners = false) to `width` ×
 * `height`; with `window`, only that rectangle of the resized image is computed and returned (the same bytes as
 * cropping the whole resize: a training crop of an image scaled ×2 costs a quarter of it).
 */
export function resizeImageBilinear(img: RgbImage, width: number, height: number, window?: ResizeWindow): RgbImage {
  const win = window ?? { top: 0, left: 0, width, height };
  if (win.top < 0 || win.left < 0 || win.top + win.height > height || win.left + win.width > width)
    throw new ValueError(`resizeImageBilinear: window outside the ${width}×${height} output`);
  const out = new Uint8Array(win.width * win.height * 3);
  const src = img.data;
  const sx = img.width / width;
  const sy = img.height / height;
  // Column sources and weights once per call (the per-pixel arithmetic below is unchanged, so bytes are identical).
  const cx0 = new Int32Array(win.width);
  const cx1 = new Int32Array(win.width);
  const cwx = new Float64Array(win.width);
  for (let i = 0; i < win.width; i++) {
    const fx = Math.max((win.left + i + 0.5) * sx - 0.5, 0);
    const x0 = Math.min(Math.floor(fx), img.width - 1);
    cx0[i] = x0 * 3;
    cx1[i] = Math.min(x0 + 1, img.width - 1) * 3;
    cwx[i] = fx - x0;
  }
  for (let j = 0; j < win.height; j++) {
    const fy = Math.max((win.top + j + 0.5) * sy - 0.5, 0);
    const y0 = Math.min(Math.floor(fy), img.height - 1);
    const r0 = y0 * img.width * 3;
    const r1 = Math.min(y0 + 1, img.height - 1) * img.width * 3;
    const wy = fy - y0;
    let o = j * win.width * 3;
    if (width === img.width) {
      // column weights are all 0 (x maps to x): the same arithmetic with the zero terms left out, the same bytes
      const c0 = win.left * 3;
      for (let k = c0; k < c0 + win.width * 3; k++)
        out[o++] = Math.round((src[r0 + k] as number) * (1 - wy) + (src[r1 + k] as number) * wy);
      continue;
    }
    for (let x = 0; x < win.width; x++) {
      const wx = cwx[x] as number;
      const i0 = cx0[x] as number;
      const i1 = cx1[x] as number;
      for (let c = 0; c < 3; c++) {
        const a = src[r0 + i0 + c] as number;
        const b = src[r0 + i1 + c] as number;
        const d = src[r1 + i0 + c] as number;
        const e = src[r1 + i1 + c] as number;
        out[o++] = Math.round((a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy);
      }
    }
  }
  return { width: win.width, height: win.height, data: out };
}

/** Nearest-neighbour resize of a label map (source index floor(i · in / out)). */
export function resizeLabelNearest(map: LabelMap, width: number, height: number): LabelMap {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.floor((y * map.height) / height), map.height - 1);
    for (let x = 0; x < width; x++)
      out[y * width + x] = map.data[
        sy * map.width + Math.min(Math.floor((x * map.width) / width), map.width - 1)
      ] as number;
  }
  return { width, height, data: out };
}

/** Rescales a whole sample by `factor` (output sizes rounded, at least 1). */
export function rescaleSample(s: Sample, factor: number): Sample {
  const width = Math.max(1, Math.round(s.image.width * factor));
  const height = Math.max(1, Math.round(s.image.height * factor));
  const out: Sample = {
    id: s.id,
    image: resizeImageBilinear(s.image, width, height),
    label: resizeLabelNearest(s.label, width, height),
  };
  if (s.anomaly) out.anomaly = resizeLabelNearest(s.anomaly, width, height);
  return out;
}

/** One augmented training sample of exactly `cropSize`. */
export function augmentSample(s: Sample, rng: Rng, opts: AugmentOptions): Sample {
  const [lo, hi] = opts.scaleRange;
  const factor = opts.baseScale * (lo + (hi - lo) * uniform(rng));
  // as rescaleSample, but the image is resized only inside the chosen crop (same bytes, less work)
  const width = Math.max(1, Math.round(s.image.width * factor));
  const height = Math.max(1, Math.round(s.image.height * factor));
  const label = resizeLabelNearest(s.label, width, height);
  const [ch, cw] = opts.cropSize;
  let y0 = 0;
  let x0 = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    y0 = randInt(rng, Math.max(height - ch, 0) + 1);
    x0 = randInt(rng, Math.max(width - cw, 0) + 1);
    if (opts.catMaxRatio >= 1 || cropAcceptable(label, y0, x0, ch, cw, opts.catMaxRatio)) break;
  }
  const flip = opts.flip && uniform(rng) < 0.5;
  const validHeight = Math.min(ch, height - y0);
  const validWidth = Math.min(cw, width - x0);
  const window = { top: y0, left: x0, width: validWidth, height: validHeight };
  const image = cropRgb(resizeImageBilinear(s.image, width, height, window), 0, 0, ch, cw, flip);
  const out: Sample = {
    id: s.id,
    image: opts.photometric ? photometricDistortion(image, rng, validHeight, validWidth) : image,
    label: cropMap(label, y0, x0, ch, cw, flip, IGNORE_INDEX),
  };
  if (s.anomaly)
    out.anomaly = cropMap(resizeLabelNearest(s.anomaly, width, height), y0, x0, ch, cw, flip, IGNORE_INDEX);
  return out;
}

function cropAcceptable(label: LabelMap, y0: number, x0: number, h: number, w: number, maxRatio: number): boolean {
  const counts = new Map<number, number>();
  let total = 0;
  for (let y = y0; y < Math.min(y0 + h, label.height); y++) {
    for (let x = x0; x < Math.min(x0 + w, label.width); x++) {
      const v = label.data[y * label.width + x] as number;
      if (v === IGNORE_INDEX) continue;
      counts.set(v, (counts.get(v) ?? 0) + 1);
      total++;
    }
  }
  return counts.size > 1 && Math.max(...counts.values()) / total < maxRatio;
}

function cropRgb(img: RgbImage, y0: number, x0: number, h: number, w: number, flip: boolean): RgbImage {
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < Math.min(h, img.height - y0); y++) {
    for (let x = 0; x < Math.min(w, img.width - x0); x++) {
      const dx = flip ? Math.min(w, img.width - x0) - 1 - x : x;
      for (let c = 0; c < 3; c++)
        out[(y * w + dx) * 3 + c] = img.data[((y0 + y) * img.width + x0 + x) * 3 + c] as number;
    }
  }
  return { width: w, height: h, data: out };
}

function cropMap(map: LabelMap, y0: number, x0: number, h: number, w: number, flip: boolean, pad: number): LabelMap {
  const out = new Uint8Array(h * w).fill(pad);
  for (let y = 0; y < Math.min(h, map.height - y0); y++) {
    for (let x = 0; x < Math.min(w, map.width - x0); x++) {
      const dx = flip ? Math.min(w, map.width - x0) - 1 - x : x;
      out[y * w + dx] = map.data[(y0 + y) * map.width + x0 + x] as number;
    }
  }
  return { width: w, height: h, data: out };
}

/** An augmented batch as plain arrays: `pixels [B, H, W, 3]` float32 0..255, `labels [B, H, W]`. */
export interface PackedBatch {
  pixels: Float32Array;
  labels: Int32Array;
  /** [B, H, W] */
  shape: [number, number, number];
}

/** Augments `samples` in order with one `rng` ({@link augmentSample}) and packs them into one batch. */
export function augmentBatch(samples: readonly Sample[], rng: Rng, opts: AugmentOptions): PackedBatch {
  const [H, W] = opts.cropSize;
  const pixels = new Float32Array(samples.length * H * W * 3);
  const labels = new Int32Array(samples.length * H * W);
  samples.forEach((raw, b) => {
    const s = augmentSample(raw, rng, opts);
    pixels.set(s.image.data, b * H * W * 3);
    labels.set(s.label.data, b * H * W);
  });
  return { pixels, labels, shape: [samples.length, H, W] };
}
