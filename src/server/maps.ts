/**
 * The optional pictures and raw arrays of a segmentation answer, each a string in the JSON reply:
 * - `classes`: colour class map PNG (the model's palette), as a `data:image/png;base64,…` URL;
 * - `heat`: anomaly heat map PNG (inferno, the model's fixed heat scale), data URL;
 * - `overlay`: the heat map blended at 50 % over the photo where flagged, flagged regions outlined in cyan
 *   (`OUTLINE_RGB`) — the picture `gmmseg predict` writes as `*.overlay.png` — data URL;
 * - `raw` adds `labels` (base64 of the `[H·W]` uint8 class indices) and `scores` (base64 of the `[H·W]`
 *   little-endian float32 anomaly scores).
 */
import { OUTLINE_RGB } from '../constants.js';
import { encodeRgbPng } from '../data/image-io.js';
import type { RgbImage } from '../data/sample.js';
import { heatmap, type HeatScale } from '../infer/heatmap.js';
import { outlineMask, overlay } from '../infer/overlay.js';
import { colorizeLabels, type Palette } from '../infer/palette.js';

/** Map names a client may ask for in `?maps=`. */
export const MAP_NAMES = ['classes', 'heat', 'overlay', 'raw'] as const;
export type MapName = (typeof MAP_NAMES)[number];

/** The `maps` object of a reply; only the requested entries are present. */
export interface EncodedMaps {
  classes?: string;
  heat?: string;
  overlay?: string;
  labels?: string;
  scores?: string;
}

/** Everything the maps are drawn from. */
export interface MapSources {
  image: RgbImage;
  /** [H·W] class indices. */
  classMap: Uint8Array;
  /** [H·W] anomaly scores. */
  scores: Float32Array;
  /** [H·W] 1 where score > threshold. */
  flagged: Uint8Array;
  palette: Palette;
  heatScale: HeatScale;
}

/** Opacity of the heat map over the photo in the overlay. */
export const OVERLAY_ALPHA = 0.5;

/** Encodes the requested maps. */
export function encodeMaps(src: MapSources, names: ReadonlySet<MapName>): EncodedMaps {
  const { width, height } = src.image;
  const out: EncodedMaps = {};
  if (names.has('classes'))
    out.classes = pngDataUrl(colorizeLabels({ width, height, data: src.classMap }, src.palette));
  if (names.has('heat') || names.has('overlay')) {
    const heat = heatmap({ width, height, data: src.scores }, src.heatScale);
    if (names.has('heat')) out.heat = pngDataUrl(heat);
    if (names.has('overlay'))
      out.overlay = pngDataUrl(
        outlineMask(overlay(src.image, heat, OVERLAY_ALPHA, src.flagged), src.flagged, OUTLINE_RGB),
      );
  }
  if (names.has('raw')) {
    out.labels = base64(src.classMap);
    out.scores = base64(float32LittleEndian(src.scores));
  }
  return out;
}

/** `data:image/png;base64,…` of an RGB picture. */
export function pngDataUrl(image: RgbImage): string {
  return `data:image/png;base64,${base64(encodeRgbPng(image))}`;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of `values` in little-endian order (a view when the host is little-endian). */
export function float32LittleEndian(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}
