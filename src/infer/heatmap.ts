/**
 * Anomaly heat maps on a FIXED scale, the threshold mask, and the legend that goes with them.
 *
 * Mapping (identical for every image of a model, so colours compare across images):
 *   t = (clamp(score, min, max) − min) / (max − min),  index = min(255, ⌊256·t⌋),  colour = table[index].
 * Scores below `min` get the first colour, above `max` the last; +∞ / −∞ clamp like any other score;
 * NaN is rejected (a NaN anomaly score is a bug upstream).
 *
 * Colormaps (256-entry tables):
 * - 'inferno' (default): matplotlib's perceptually uniform `inferno` (CC0, Smith & van der Walt), the
 *   matplotlib float table rounded to bytes (as d3-scale-chromatic ships it). Endpoints: min → (0, 0, 4)
 *   near-black, max → (252, 255, 164) pale yellow; the middle (index 128) is (188, 55, 84) crimson.
 *   Lightness increases monotonically, so brighter = more anomalous, also in greyscale print.
 * - 'gray': index i → (i, i, i), for debugging and print.
 *
 * Default scale ({@link scaleFromCalibration}): centred on the calibrated threshold.
 *   min = m (the median of the inlier validation scores), max = 2·thr − m (i.e. [thr − Δ, thr + Δ] with
 *   Δ = thr − m). So the colour bar reads: left end = a typical inlier pixel, exact middle (index 128,
 *   crimson) = the decision threshold (95% of inlier validation pixels lie at or below it), right end = as far
 *   above the threshold as the threshold is above the typical inlier; everything further saturates to pale
 *   yellow. Pixels brighter than the middle colour are the ones {@link thresholdMask} flags. If Δ ≤ 0 (more than
 *   half the inliers tie at the threshold) Δ = 10⁻³·max(1, |thr|) instead. The legend is therefore derivable
 *   from the two numbers stored with the model (threshold and inlier median): {@link heatLegend}.
 *
 * Threshold rule (everywhere in the project's anomaly outputs): a pixel is anomalous when its score is
 * strictly greater than the threshold (`inclusive: true` gives ≥, the rule of sklearn's curve thresholds).
 */
import { ShapeError, ValueError } from '../errors.js';
import type { RgbImage } from '../data/sample.js';
import { assertLength } from '../shape.js';
import type { Rgb } from './palette.js';

/** The colormaps available for heat maps. */
export type Colormap = 'inferno' | 'gray';

/** The fixed score range of a heat map: scores are clamped to [min, max]. */
export interface HeatScale {
  min: number;
  max: number;
}

/** A score map `data [H, W]`; higher = more anomalous. */
export interface ScoreMap {
  width: number;
  height: number;
  data: Float32Array | Float64Array;
}

/** matplotlib inferno, 256 colours as 6-digit hex, index 0 first. */
const INFERNO_HEX =
  '00000401000501010601010802010a02020c02020e03021004031204031405041706041907051b08051d09061f0a0722' +
  '0b07240c08260d08290e092b10092d110a30120a32140b34150b37160b39180c3c190c3e1b0c411c0c431e0c451f0c48' +
  '210c4a230c4c240c4f260c51280b53290b552b0b572d0b592f0a5b310a5c320a5e340a5f3609613809623909633b0964' +
  '3d09653e0966400a67420a68440a68450a69470b6a490b6a4a0c6b4c0c6b4d0d6c4f0d6c510e6c520e6d540f6d550f6d' +
  '57106e59106e5a116e5c126e5d126e5f136e61136e62146e64156e65156e67166e69166e6a176e6c186e6d186e6f196e' +
  '71196e721a6e741a6e751b6e771c6d781c6d7a1d6d7c1d6d7d1e6d7f1e6c801f6c82206c84206b85216b87216b88226a' +
  '8a226a8c23698d23698f24699025689225689326679526679727669827669a28659b29649d29649f2a63a02a63a22b62' +
  'a32c61a52c60a62d60a82e5fa92e5eab2f5ead305dae305cb0315bb1325ab3325ab43359b63458b73557b93556ba3655' +
  'bc3754bd3853bf3952c03a51c13a50c33b4fc43c4ec63d4dc73e4cc83f4bca404acb4149cc4248ce4347cf4446d04545' +
  'd24644d34743d44842d54a41d74b3fd84c3ed94d3dda4e3cdb503bdd513ade5238df5337e05536e15635e25734e35933' +
  'e45a31e55c30e65d2fe75e2ee8602de9612bea632aeb6429eb6628ec6726ed6925ee6a24ef6c23ef6e21f06f20f1711f' +
  'f1731df2741cf3761bf37819f47918f57b17f57d15f67e14f68013f78212f78410f8850ff8870ef8890cf98b0bf98c0a' +
  'f98e09fa9008fa9207fa9407fb9606fb9706fb9906fb9b06fb9d07fc9f07fca108fca309fca50afca60cfca80dfcaa0f' +
  'fcac11fcae12fcb014fcb216fcb418fbb61afbb81dfbba1ffbbc21fbbe23fac026fac228fac42afac62df9c72ff9c932' +
  'f9cb35f8cd37f8cf3af7d13df7d340f6d543f6d746f5d949f5db4cf4dd4ff4df53f4e156f3e35af3e55df2e661f2e865' +
  'f2ea69f1ec6df1ed71f1ef75f1f179f2f27df2f482f3f586f3f68af4f88ef5f992f6fa96f8fb9af9fc9dfafda1fcffa4';

function parseHexTable(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The inferno table `[256, 3]` uint8. */
export const INFERNO_TABLE: Uint8Array = parseHexTable(INFERNO_HEX);

/** The gray table `[256, 3]` uint8. */
export const GRAY_TABLE: Uint8Array = (() => {
  const t = new Uint8Array(768);
  for (let i = 0; i < 256; i++) t.fill(i, 3 * i, 3 * i + 3);
  return t;
})();

/** The `[256, 3]` table of a colormap. */
export function colormapTable(colormap: Colormap): Uint8Array {
  if (colormap === 'inferno') return INFERNO_TABLE;
  if (colormap === 'gray') return GRAY_TABLE;
  throw new ValueError(`colormapTable: unknown colormap '${String(colormap)}'; expected 'inferno' or 'gray'`);
}

/** Throws unless min < max, both finite. */
export function checkScale(scale: HeatScale, fnName: string): void {
  if (!Number.isFinite(scale.min) || !Number.isFinite(scale.max) || !(scale.min < scale.max)) {
    throw new ValueError(`${fnName}: 'scale' must have finite min < max, got [${scale.min}, ${scale.max}]`);
  }
}

/** Colour-table index 0..255 of one score on a scale (the module comment's mapping). */
export function colormapIndex(score: number, scale: HeatScale): number {
  const t = (Math.min(Math.max(score, scale.min), scale.max) - scale.min) / (scale.max - scale.min);
  return Math.min(255, Math.floor(t * 256));
}

/** The colour of one score. */
export function colorOf(score: number, scale: HeatScale, colormap: Colormap = 'inferno'): Rgb {
  const table = colormapTable(colormap);
  const k = colormapIndex(score, scale) * 3;
  return [table[k] as number, table[k + 1] as number, table[k + 2] as number];
}

/** Heat map `[H, W, 3]` of a score map `[H, W]` on a fixed scale. */
export function heatmap(scores: ScoreMap, scale: HeatScale, colormap: Colormap = 'inferno'): RgbImage {
  const fn = 'heatmap';
  assertLength(scores.data.length, [scores.height, scores.width], 'scores', fn);
  checkScale(scale, fn);
  const table = colormapTable(colormap);
  const n = scores.width * scores.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = scores.data[i] as number;
    if (Number.isNaN(s)) {
      throw new ValueError(
        `${fn}: 'scores' is NaN at pixel (${i % scores.width}, ${Math.floor(i / scores.width)}); anomaly scores must not be NaN`,
      );
    }
    const k = colormapIndex(s, scale) * 3;
    out[3 * i] = table[k] as number;
    out[3 * i + 1] = table[k + 1] as number;
    out[3 * i + 2] = table[k + 2] as number;
  }
  return { width: scores.width, height: scores.height, data: out };
}

/**
 * The default heat-map scale of a calibrated model: [m, 2·thr − m] with m the inlier median, so the
 * threshold sits at the exact middle of the colour bar (see the module comment, including the Δ ≤ 0 case).
 */
export function scaleFromCalibration(threshold: number, inlierMedian: number): HeatScale {
  if (!Number.isFinite(threshold) || !Number.isFinite(inlierMedian)) {
    throw new ValueError(
      `scaleFromCalibration: 'threshold' (${threshold}) and 'inlierMedian' (${inlierMedian}) must be finite`,
    );
  }
  let delta = threshold - inlierMedian;
  if (!(delta > 0)) delta = 1e-3 * Math.max(1, Math.abs(threshold));
  return { min: threshold - delta, max: threshold + delta };
}

/** One labelled tick of the colour bar. */
export interface LegendTick {
  value: number;
  /** Position along the bar, 0 = min end, 1 = max end. */
  fraction: number;
  color: Rgb;
  label: string;
}

/** Everything needed to draw the colour bar of a heat map. */
export interface HeatLegend {
  scale: HeatScale;
  colormap: Colormap;
  ticks: LegendTick[];
}

/**
 * The legend of a scale: `numTicks` evenly spaced ticks from min to max (labelled with 4 significant digits,
 * the ends marked '≤' / '≥' because scores beyond them are clamped) plus, when `threshold` is given, a tick
 * labelled 'threshold'.
 */
export function heatLegend(
  scale: HeatScale,
  colormap: Colormap = 'inferno',
  threshold?: number,
  numTicks = 5,
): HeatLegend {
  checkScale(scale, 'heatLegend');
  if (!Number.isInteger(numTicks) || numTicks < 2)
    throw new ValueError(`heatLegend: 'numTicks' must be an integer ≥ 2, got ${numTicks}`);
  const ticks: LegendTick[] = [];
  for (let i = 0; i < numTicks; i++) {
    const fraction = i / (numTicks - 1);
    const value = scale.min + fraction * (scale.max - scale.min);
    const prefix = i === 0 ? '≤ ' : i === numTicks - 1 ? '≥ ' : '';
    ticks.push({ value, fraction, color: colorOf(value, scale, colormap), label: prefix + value.toPrecision(4) });
  }
  if (threshold !== undefined) {
    const fraction = (Math.min(Math.max(threshold, scale.min), scale.max) - scale.min) / (scale.max - scale.min);
    ticks.push({
      value: threshold,
      fraction,
      color: colorOf(threshold, scale, colormap),
      label: `threshold ${threshold.toPrecision(4)}`,
    });
  }
  return { scale, colormap, ticks };
}

/** A horizontal colour bar `[height, width, 3]`: column x shows the colour of index ⌊256·x / width⌋ (min at the left). */
export function legendBar(colormap: Colormap, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ShapeError(`legendBar: 'width' and 'height' must be positive integers, got ${width}×${height}`);
  }
  const table = colormapTable(colormap);
  const data = new Uint8Array(width * height * 3);
  for (let x = 0; x < width; x++) {
    const k = Math.min(255, Math.floor((256 * x) / width)) * 3;
    for (let y = 0; y < height; y++) data.set(table.subarray(k, k + 3), (y * width + x) * 3);
  }
  return { width, height, data };
}

/**
 * Binary anomaly mask of a flat score map `[H·W]`: 1 where score > threshold (score ≥ threshold when
 * `inclusive`), else 0. NaN scores are never flagged.
 */
export function thresholdMask(scores: ArrayLike<number>, threshold: number, inclusive = false): Uint8Array {
  if (Number.isNaN(threshold)) throw new ValueError(`thresholdMask: 'threshold' is NaN`);
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    out[i] = (inclusive ? s >= threshold : s > threshold) ? 1 : 0;
  }
  return out;
}
