/**
 * Class palettes and label-map colourisation (pure; the CLI writes the PNG bytes).
 *
 * - {@link paletteFor}: the colours of a model's classes: the palette of the first known class list (`known`,
 *   e.g. `DATASET_PALETTES` of `data/palettes.ts`: Cityscapes, CamVid) whose names match `classes` (same order,
 *   case-insensitive), else the generic one. This module knows no dataset; the caller passes the list.
 * - {@link genericPalette}: a deterministic palette for any number of classes C: colour c has hue
 *   frac(c · φ⁻¹) (golden-ratio steps, so neighbouring indices are far apart on the colour wheel),
 *   saturation 0.65/0.9/0.5 and value 0.95/0.75/0.85 cycling with c mod 3, converted HSV → RGB and rounded.
 *   Only IEEE basic arithmetic is used, so the colours are identical on every platform.
 *
 * Colourisation: label values 0..C−1 take `palette[value]`; the ignore value 255 and negative values
 * (int32 maps) take `ignoreColor` (black by default); any other value is a bug and throws a ValueError.
 */
import { IGNORE_INDEX } from '../constants.js';
import type { RgbImage } from '../data/sample.js';
import { ShapeError, ValueError } from '../errors.js';
import { assertLength } from '../shape.js';

/** One colour, `[r, g, b]` in 0..255. */
export type Rgb = readonly [number, number, number];

/** One colour per class index. [C] */
export type Palette = readonly Rgb[];

/** A class-index map `data [H, W]` (uint8 with 255 = ignore, or int32 with negatives = ignore). */
export interface IndexMap {
  width: number;
  height: number;
  data: Uint8Array | Int32Array;
}

/** A class list `[C]` with its colours `[C]` (e.g. a dataset's, see `data/palettes.ts`). */
export interface KnownPalette {
  classes: readonly string[];
  palette: Palette;
}

/** Default colour of ignore / void pixels. */
export const IGNORE_COLOR: Rgb = [0, 0, 0];

const INV_PHI = 0.6180339887498949;
const SATURATION = [0.65, 0.9, 0.5] as const;
const VALUE = [0.95, 0.75, 0.85] as const;

/** HSV (each in [0, 1]) → rounded RGB. */
export function hsvToRgb(h: number, s: number, v: number): Rgb {
  const h6 = (h - Math.floor(h)) * 6;
  const sector = Math.floor(h6) % 6;
  const f = h6 - Math.floor(h6);
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  const rgb =
    sector === 0
      ? [v, t, p]
      : sector === 1
        ? [q, v, p]
        : sector === 2
          ? [p, v, t]
          : sector === 3
            ? [p, q, v]
            : sector === 4
              ? [t, p, v]
              : [v, p, q];
  return [
    Math.round((rgb[0] as number) * 255),
    Math.round((rgb[1] as number) * 255),
    Math.round((rgb[2] as number) * 255),
  ];
}

/** A deterministic palette of `numClasses` well-separated colours (see the module comment). */
export function genericPalette(numClasses: number): Palette {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ValueError(`genericPalette: argument 'numClasses' must be a positive integer, got ${numClasses}`);
  }
  const out: Rgb[] = [];
  for (let c = 0; c < numClasses; c++) {
    out.push(hsvToRgb(c * INV_PHI, SATURATION[c % 3] as number, VALUE[c % 3] as number));
  }
  return out;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n.toLowerCase() === (b[i] as string).toLowerCase());
}

/** The palette of the first `known` class list equal to `classes` (case-insensitive), else the generic one. */
export function paletteFor(classes: readonly string[], known: readonly KnownPalette[] = []): Palette {
  const match = known.find((k) => sameNames(classes, k.classes));
  return match !== undefined ? match.palette : genericPalette(Math.max(1, classes.length));
}

function checkColor(c: Rgb, argName: string, fnName: string): void {
  if (c.length !== 3 || !c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new ValueError(`${fnName}: '${argName}' must be [r, g, b] integers in 0..255, got [${c.join(', ')}]`);
  }
}

/** Colours a class-index map `[H, W]` → RGB `[H, W, 3]` (see the module comment for ignore values). */
export function colorizeLabels(map: IndexMap, palette: Palette, ignoreColor: Rgb = IGNORE_COLOR): RgbImage {
  const fn = 'colorizeLabels';
  assertLength(map.data.length, [map.height, map.width], 'map', fn);
  if (palette.length === 0) throw new ShapeError(`${fn}: argument 'palette' is empty; it needs one colour per class`);
  palette.forEach((c, i) => checkColor(c, `palette[${i}]`, fn));
  checkColor(ignoreColor, 'ignoreColor', fn);
  const C = palette.length;
  const n = map.width * map.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = map.data[i] as number;
    let c: Rgb;
    if (v >= 0 && v < C) c = palette[v] as Rgb;
    else if (v === IGNORE_INDEX || v < 0) c = ignoreColor;
    else {
      throw new ValueError(
        `${fn}: 'map' has value ${v} at pixel (${i % map.width}, ${Math.floor(i / map.width)}); expected a class in 0..${C - 1}, ${IGNORE_INDEX} or a negative ignore value`,
      );
    }
    out[i * 3] = c[0];
    out[i * 3 + 1] = c[1];
    out[i * 3 + 2] = c[2];
  }
  return { width: map.width, height: map.height, data: out };
}
