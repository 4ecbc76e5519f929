/**
 * Picture composition for predictions (pure; the CLI encodes and writes the result):
 * - {@link overlay}: alpha blending of a colour picture (label colours, heat map) over the photo,
 *   out = round((1 − α)·image + α·colour) per channel (round half up), optionally only where a mask is set;
 * - {@link outlineMask}: the contour of flagged regions drawn in one colour — a flagged pixel is on the
 *   contour when one of its 4-neighbours is unflagged or outside the image (so regions touching the border are
 *   closed); `thickness` t repeats this t times inwards (4-neighbour erosion);
 * - {@link sideBySide} / {@link grid}: panels placed left to right (rows top to bottom), top-left aligned,
 *   separated by `gap` pixels of `background`.
 */
import { ShapeError, ValueError } from '../errors.js';
import type { RgbImage } from '../data/sample.js';
import { assertLength } from '../shape.js';
import type { Rgb } from './palette.js';

function checkImage(image: RgbImage, argName: string, fnName: string): void {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 0 || image.height < 0) {
    throw new ShapeError(`${fnName}: '${argName}' has invalid size ${image.width}×${image.height}`);
  }
  assertLength(image.data.length, [image.height, image.width, 3], argName, fnName);
}

function checkSameSize(
  a: { width: number; height: number },
  b: { width: number; height: number },
  bName: string,
  fnName: string,
): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new ShapeError(
      `${fnName}: '${bName}' is ${b.width}×${b.height} but 'image' is ${a.width}×${a.height}; they must match`,
    );
  }
}

/** Blends `colour` over `image` with opacity `alpha` ∈ [0, 1]; with `mask [H·W]`, only where mask ≠ 0. */
export function overlay(image: RgbImage, colour: RgbImage, alpha: number, mask?: Uint8Array): RgbImage {
  const fn = 'overlay';
  checkImage(image, 'image', fn);
  checkImage(colour, 'colour', fn);
  checkSameSize(image, colour, 'colour', fn);
  if (!(alpha >= 0 && alpha <= 1)) throw new ValueError(`${fn}: 'alpha' must be in [0, 1], got ${alpha}`);
  const n = image.width * image.height;
  if (mask !== undefined) assertLength(mask.length, [image.height, image.width], 'mask', fn);
  const out = new Uint8Array(image.data);
  for (let p = 0; p < n; p++) {
    if (mask !== undefined && mask[p] === 0) continue;
    for (let c = 0; c < 3; c++) {
      const i = 3 * p + c;
      out[i] = Math.floor((1 - alpha) * (image.data[i] as number) + alpha * (colour.data[i] as number) + 0.5);
    }
  }
  return { width: image.width, height: image.height, data: out };
}

/** The contour pixels of a mask `[H·W]` (1 on the contour, see the module comment). */
export function maskContour(mask: Uint8Array, width: number, height: number, thickness = 1): Uint8Array {
  const fn = 'maskContour';
  assertLength(mask.length, [height, width], 'mask', fn);
  if (!Number.isInteger(thickness) || thickness < 1)
    throw new ValueError(`${fn}: 'thickness' must be a positive integer, got ${thickness}`);
  let inner = Uint8Array.from(mask, (v) => (v !== 0 ? 1 : 0));
  const original = inner;
  for (let t = 0; t < thickness; t++) {
    const next = new Uint8Array(inner.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        next[i] =
          inner[i] === 1 &&
          x > 0 &&
          inner[i - 1] === 1 &&
          x < width - 1 &&
          inner[i + 1] === 1 &&
          y > 0 &&
          inner[i - width] === 1 &&
          y < height - 1 &&
          inner[i + width] === 1
            ? 1
            : 0;
      }
    }
    inner = next;
  }
  return original.map((v, i) => (v === 1 && inner[i] === 0 ? 1 : 0));
}

/** Draws the contour of the flagged regions of `mask [H·W]` onto a copy of `image` in `colour`. */
export function outlineMask(image: RgbImage, mask: Uint8Array, colour: Rgb, thickness = 1): RgbImage {
  const fn = 'outlineMask';
  checkImage(image, 'image', fn);
  assertLength(mask.length, [image.height, image.width], 'mask', fn);
  const contour = maskContour(mask, image.width, image.height, thickness);
  const out = new Uint8Array(image.data);
  for (let p = 0; p < contour.length; p++) {
    if (contour[p] === 1) out.set(colour, 3 * p);
  }
  return { width: image.width, height: image.height, data: out };
}

/** Options of {@link sideBySide} and {@link grid}. */
export interface ComposeOptions {
  /** Pixels between panels (default 4). */
  gap?: number;
  /** Colour of the gaps and of the space under shorter panels (default white). */
  background?: Rgb;
}

/** Rows of panels into one picture: row height = tallest panel, width = widest row. */
export function grid(rows: readonly (readonly RgbImage[])[], options: ComposeOptions = {}): RgbImage {
  const fn = 'grid';
  const gap = options.gap ?? 4;
  const bg = options.background ?? [255, 255, 255];
  if (!Number.isInteger(gap) || gap < 0)
    throw new ValueError(`${fn}: 'gap' must be a non-negative integer, got ${gap}`);
  const panels = rows.flat();
  if (panels.length === 0) throw new ValueError(`${fn}: no panels to compose`);
  panels.forEach((p, i) => checkImage(p, `panels[${i}]`, fn));
  const rowHeights = rows.map((r) => Math.max(0, ...r.map((p) => p.height)));
  const rowWidths = rows.map((r) => r.reduce((s, p) => s + p.width, 0) + gap * Math.max(0, r.length - 1));
  const width = Math.max(...rowWidths);
  const height = rowHeights.reduce((s, h) => s + h, 0) + gap * Math.max(0, rows.length - 1);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(bg, 3 * p);
  let y0 = 0;
  rows.forEach((row, r) => {
    let x0 = 0;
    for (const panel of row) {
      for (let y = 0; y < panel.height; y++) {
        const src = panel.data.subarray(y * panel.width * 3, (y + 1) * panel.width * 3);
        data.set(src, ((y0 + y) * width + x0) * 3);
      }
      x0 += panel.width + gap;
    }
    y0 += (rowHeights[r] as number) + gap;
  });
  return { width, height, data };
}

/** Panels left to right (e.g. photo | colour labels | heat map | overlay). */
export function sideBySide(panels: readonly RgbImage[], options: ComposeOptions = {}): RgbImage {
  return grid([panels], options);
}
