/**
 * Raster helpers for compositing objects into scenes (DigitScenes, the CamVid anomaly protocol): bilinear
 * glyph resizing, alpha blending of a coloured layer, per-pixel z-order bookkeeping, and the void band that
 * surrounds every pasted object.
 */
import type { RgbImage } from './sample.js';

/** A pasted object: `alpha [h, w]` in [0, 1] and `colour [h, w, 3]` in 0..255, placed with its top-left at (x0, y0). */
export interface Layer {
  x0: number;
  y0: number;
  width: number;
  height: number;
  alpha: Float32Array;
  colour: Float32Array;
}

/** Pixel-centre-aligned bilinear resize of a single-channel uint8 map `[sh, sw]` to `[dh, dw]`, scaled to [0, 1]. */
export function resizeBilinear(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh);
  const sx = sw / dw;
  const sy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const top = (src[y0 * sw + x0] as number) * (1 - wx) + (src[y0 * sw + x1] as number) * wx;
      const bot = (src[y1 * sw + x0] as number) * (1 - wx) + (src[y1 * sw + x1] as number) * wx;
      out[y * dw + x] = (top * (1 - wy) + bot * wy) / 255;
    }
  }
  return out;
}

/** Tight bounding box `[x0, y0, x1, y1)` of the pixels above `threshold` in a `[h, w]` map, or null if none. */
export function contentBox(
  map: Uint8Array,
  w: number,
  h: number,
  threshold: number,
): [number, number, number, number] | null {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if ((map[y * w + x] as number) <= threshold) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : [x0, y0, x1 + 1, y1 + 1];
}

/** Crops a `[h, w]` uint8 map to `[y1-y0, x1-x0]`. */
export function crop(map: Uint8Array, w: number, box: readonly [number, number, number, number]): Uint8Array {
  const [x0, y0, x1, y1] = box;
  const cw = x1 - x0;
  const out = new Uint8Array(cw * (y1 - y0));
  for (let y = y0; y < y1; y++) out.set(map.subarray(y * w + x0, y * w + x1), (y - y0) * cw);
  return out;
}

/** A layer of one flat colour modulated per pixel by `shade [h, w]` (1 = full colour). */
export function shadedLayer(
  x0: number,
  y0: number,
  width: number,
  height: number,
  alpha: Float32Array,
  rgb: readonly [number, number, number],
  shade: (i: number) => number,
): Layer {
  const colour = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const s = shade(i);
    for (let c = 0; c < 3; c++) colour[i * 3 + c] = Math.min(255, Math.max(0, (rgb[c] as number) * s));
  }
  return { x0, y0, width, height, alpha, colour };
}

/**
 * Which pasted object covers each pixel: `top [H, W]` = z-index of the topmost object whose alpha exceeds the
 * object threshold (0 = none), `soft [H, W]` = z-index of the topmost object that only tints the pixel
 * (alpha in (touch, threshold]).
 */
export interface Coverage {
  width: number;
  height: number;
  top: Uint8Array;
  soft: Uint8Array;
}

/** An empty coverage map. */
export function newCoverage(width: number, height: number): Coverage {
  return { width, height, top: new Uint8Array(width * height), soft: new Uint8Array(width * height) };
}

/**
 * Alpha-blends `layer` over `image` (clipped to the canvas). Pixels where the layer's alpha exceeds
 * `threshold` become object `zIndex` in `cov.top` (and `onObject(p)` is called); pixels it only tints
 * (alpha in (touch, threshold]) are recorded in `cov.soft`.
 */
export function blendLayer(
  image: RgbImage,
  layer: Layer,
  cov: Coverage,
  zIndex: number,
  onObject: (p: number) => void,
  threshold = 0.5,
  touch = 0.05,
): void {
  const { width: W, height: H, data } = image;
  for (let ly = 0; ly < layer.height; ly++) {
    const y = layer.y0 + ly;
    if (y < 0 || y >= H) continue;
    for (let lx = 0; lx < layer.width; lx++) {
      const x = layer.x0 + lx;
      if (x < 0 || x >= W) continue;
      const li = ly * layer.width + lx;
      const a = layer.alpha[li] as number;
      if (a <= 0) continue;
      const p = y * W + x;
      for (let c = 0; c < 3; c++) {
        const v = (data[p * 3 + c] as number) * (1 - a) + (layer.colour[li * 3 + c] as number) * a;
        data[p * 3 + c] = Math.round(v);
      }
      if (a > threshold) {
        cov.top[p] = zIndex;
        onObject(p);
      } else if (a > touch) {
        cov.soft[p] = zIndex;
      }
    }
  }
}

/**
 * The void region around pasted objects: pixels within Chebyshev distance `radius` of a pixel of an object
 * lying on top of them (a ring outside every object, honouring occlusion), plus pixels tinted by an object's
 * soft edge above their own. Returns `[H, W]` 0/1.
 */
export function voidBand(cov: Coverage, radius: number): Uint8Array {
  const band = bandAround(cov.top, cov.width, cov.height, radius);
  for (let p = 0; p < band.length; p++) if ((cov.soft[p] as number) > (cov.top[p] as number)) band[p] = 1;
  return band;
}

/**
 * The ring: pixels within Chebyshev distance `radius` of a pixel that lies on top of them (z larger than
 * their own). Returns `[H, W]` 0/1.
 */
export function bandAround(z: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const band = new Uint8Array(width * height);
  if (radius <= 0) return band;
  const rowMax = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let dx = Math.max(0, x - radius); dx <= Math.min(width - 1, x + radius); dx++)
        m = Math.max(m, z[y * width + dx] as number);
      rowMax[y * width + x] = m;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let dy = Math.max(0, y - radius); dy <= Math.min(height - 1, y + radius); dy++)
        m = Math.max(m, rowMax[dy * width + x] as number);
      if (m > (z[y * width + x] as number)) band[y * width + x] = 1;
    }
  }
  return band;
}

/** Rec. 601 luma of an RGB triple (0..255). */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** RGB (0..255) from hue in [0, 1), saturation and value in [0, 1]. */
export function hsv(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const rgb = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i] as number[];
  return [(rgb[0] as number) * 255, (rgb[1] as number) * 255, (rgb[2] as number) * 255];
}

/**
 * Alpha of a Fashion-MNIST-style item from its intensity in [0, 1]: 0 up to 0.05 (the faint background noise
 * of the 28x28 scans stays invisible), 1 from 0.15, linear between; the object mask (alpha > 0.5) is v > 0.1.
 */
export function fashionAlpha(v: number): number {
  return Math.min(1, Math.max(0, (v - 0.05) / 0.1));
}
