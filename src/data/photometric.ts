/**
 * Photometric distortion as MMSeg's `PhotoMetricDistortion` applies it to a training crop, each step with probability
 * 0.5 and the result clipped to 0..255 and truncated to a byte after every step:
 *
 *   brightness: add U(−32, 32)
 *   mode = randint(2); mode 1: contrast (multiply by U(0.5, 1.5)) here
 *   saturation: S ×= U(0.5, 1.5) in HSV
 *   hue: H += randint(−18, 18) in OpenCV units (2° each), modulo 360°
 *   mode 0: contrast here
 *
 * HSV is computed in float (not OpenCV's byte-quantised HSV). Only the `validHeight × validWidth` top-left region
 * is changed: the crop's padding (image 0) stays 0, as MMSeg pads after the distortion.
 */
import { randInt, uniform, type Rng } from '../random.js';
import type { RgbImage } from './sample.js';

/** MMSeg's default ranges. */
export const PHOTOMETRIC = {
  brightnessDelta: 32,
  contrastRange: [0.5, 1.5],
  saturationRange: [0.5, 1.5],
  hueDelta: 18,
} as const;

const toByte = (v: number): number => Math.trunc(Math.min(255, Math.max(0, v)));

/** A new image: `img` with the random photometric distortion applied to its valid region. */
export function photometricDistortion(img: RgbImage, rng: Rng, validHeight: number, validWidth: number): RgbImage {
  const data = new Uint8Array(img.data);
  const out: RgbImage = { width: img.width, height: img.height, data };
  /** Applies `f` to every valid pixel; linear steps truncate to a byte (numpy astype), HSV round trips round (cv2). */
  const region = (f: (rgb: number[]) => void, rounding = 0): void => {
    const rgb = [0, 0, 0];
    for (let y = 0; y < Math.min(validHeight, img.height); y++) {
      for (let x = 0; x < Math.min(validWidth, img.width); x++) {
        const o = (y * img.width + x) * 3;
        for (let c = 0; c < 3; c++) rgb[c] = data[o + c] as number;
        f(rgb);
        for (let c = 0; c < 3; c++) data[o + c] = toByte((rgb[c] as number) + rounding);
      }
    }
  };
  const linear = (alpha: number, beta: number): void =>
    region((rgb) => {
      for (let c = 0; c < 3; c++) rgb[c] = (rgb[c] as number) * alpha + beta;
    });
  const contrast = (): void => {
    if (randInt(rng, 2) === 1) linear(between(rng, PHOTOMETRIC.contrastRange), 0);
  };
  if (randInt(rng, 2) === 1) linear(1, between(rng, [-PHOTOMETRIC.brightnessDelta, PHOTOMETRIC.brightnessDelta]));
  const mode = randInt(rng, 2);
  if (mode === 1) contrast();
  if (randInt(rng, 2) === 1) {
    const alpha = between(rng, PHOTOMETRIC.saturationRange);
    region((rgb) => adjustHsv(rgb, 0, alpha), 0.5);
  }
  if (randInt(rng, 2) === 1) {
    const shift = (randInt(rng, 2 * PHOTOMETRIC.hueDelta + 1) - PHOTOMETRIC.hueDelta) * 2;
    region((rgb) => adjustHsv(rgb, shift, 1), 0.5);
  }
  if (mode === 0) contrast();
  return out;
}

function between(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + (hi - lo) * uniform(rng);
}

/** In place: rgb (0..255) → HSV, hue + `hueShiftDeg` (mod 360), saturation × `satScale` (clipped to 1) → rgb. */
export function adjustHsv(rgb: number[], hueShiftDeg: number, satScale: number): void {
  const [r, g, b] = rgb as [number, number, number];
  const v = Math.max(r, g, b);
  const delta = v - Math.min(r, g, b);
  let s = v === 0 ? 0 : delta / v;
  let h = 0;
  if (delta > 0) {
    if (v === r) h = 60 * (((g - b) / delta + 6) % 6);
    else if (v === g) h = 60 * ((b - r) / delta + 2);
    else h = 60 * ((r - g) / delta + 4);
  }
  h = (((h + hueShiftDeg) % 360) + 360) % 360;
  s = Math.min(1, s * satScale);
  const c = v * s;
  const hp = h / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const m = v - c;
  // the six hue sectors' (r, g, b) before + m: (c,x,0) (x,c,0) (0,c,x) (0,x,c) (x,0,c) (c,0,x); no array per pixel
  switch (Math.floor(hp) % 6) {
    case 0:
      return set(rgb, c + m, x + m, m);
    case 1:
      return set(rgb, x + m, c + m, m);
    case 2:
      return set(rgb, m, c + m, x + m);
    case 3:
      return set(rgb, m, x + m, c + m);
    case 4:
      return set(rgb, x + m, m, c + m);
    default:
      return set(rgb, c + m, m, x + m);
  }
}

function set(rgb: number[], r: number, g: number, b: number): void {
  rgb[0] = r;
  rgb[1] = g;
  rgb[2] = b;
}
