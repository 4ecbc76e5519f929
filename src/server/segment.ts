/**
 * One segmentation: image bytes → header check → decode → {@link predictImage} → the JSON answer (class histogram,
 * anomaly fraction and regions above the threshold, optional maps). The header check runs first and alone reads
 * the declared size, so an oversized image (a decompression bomb) is refused before any pixel is decompressed.
 */
import { decodeImage } from '../data/image-io.js';
import type { RgbImage } from '../data/sample.js';
import { FormatError } from '../errors.js';
import type { AnomalySettings } from '../infer/anomaly-settings.js';
import { thresholdMask, type HeatScale } from '../infer/heatmap.js';
import type { Palette, Rgb } from '../infer/palette.js';
import { predictImage } from '../infer/predict.js';
import type { ViewsRecord } from '../model/sections.js';
import type { SegModel } from '../model/seg-model.js';
import { HttpError } from './errors.js';
import { ImageHeaderError, readImageHeader, type ImageHeader } from './image-header.js';
import { encodeMaps, type EncodedMaps, type MapName } from './maps.js';
import { anomalyRegions, countFlagged, type AnomalyRegion } from './regions.js';
import type { WaitTimes } from './worker-protocol.js';

/** What every segmentation of one server shares. */
export interface SegmentContext {
  model: SegModel;
  palette: Palette;
  settings: AnomalySettings;
  engine: string;
  minRegionArea: number;
  maxRegions: number;
  /** The model's stored test-time views (absent: one view at scale 1). */
  views?: ViewsRecord;
}

/** Per-request choices. */
export interface SegmentRequest {
  maps: ReadonlySet<MapName>;
  /** Overrides the model's threshold for flagging (the heat scale stays the model's). */
  threshold?: number;
}

/** One class's share of the image. */
export interface ClassShare {
  index: number;
  name: string;
  color: Rgb;
  pixels: number;
  fraction: number;
}

/** The anomaly part of an answer. */
export interface AnomalySummary {
  score: string;
  threshold: number;
  heatScale: HeatScale;
  /** Fraction of pixels with score > threshold. */
  fraction: number;
  regions: AnomalyRegion[];
  regionsTruncated: boolean;
}

/** The 200 answer of POST /v1/segment. */
export interface SegmentResponse {
  width: number;
  height: number;
  engine: string;
  /**
   * Milliseconds: `receive` (arrival to the whole body), `queue` (body to the work's start), `decode`, `predict`,
   * and `total` (arrival to the end of the work).
   */
  timingMs: { receive: number; queue: number; decode: number; predict: number; total: number };
  classes: ClassShare[];
  anomaly: AnomalySummary;
  maps: EncodedMaps;
}

/**
 * Reads and checks the header: an accepted format and at most `maxPixels` pixels.
 *
 * @throws HttpError 422 'invalid_image' (not a PNG/JPEG/WebP, truncated header) or 'too_many_pixels'.
 */
export function checkImageHeader(bytes: Uint8Array, maxPixels: number): ImageHeader {
  let header: ImageHeader;
  try {
    header = readImageHeader(bytes);
  } catch (e) {
    if (e instanceof ImageHeaderError) throw new HttpError(422, 'invalid_image', e.message);
    throw e;
  }
  const pixels = header.width * header.height;
  if (pixels > maxPixels) {
    throw new HttpError(
      422,
      'too_many_pixels',
      `the image is ${header.width}×${header.height} = ${pixels} pixels; the limit is ${maxPixels} pixels`,
    );
  }
  return header;
}

/**
 * Decodes and segments an image whose header passed {@link checkImageHeader}; `waits` are the request's times
 * before this work started (reported in `timingMs`).
 *
 * @throws HttpError 422 'invalid_image' when the data cannot be decoded (truncated or corrupt).
 */
export async function segmentImage(
  ctx: SegmentContext,
  bytes: Uint8Array,
  header: ImageHeader,
  req: SegmentRequest,
  waits: WaitTimes,
): Promise<SegmentResponse> {
  const t0 = performance.now();
  const image = await decode(bytes, header);
  const t1 = performance.now();
  const p = predictImage(ctx.model, image, { mode: 'whole', ...(ctx.views ?? {}) });
  const t2 = performance.now();
  const scores = p.scores[ctx.settings.score];
  if (scores === undefined) throw new Error(`segmentImage: the prediction has no '${ctx.settings.score}' score`);
  const threshold = req.threshold ?? ctx.settings.threshold;
  const flagged = thresholdMask(scores, threshold);
  const n = image.width * image.height;
  const { regions, truncated } = anomalyRegions(flagged, scores, image.width, image.height, {
    minArea: ctx.minRegionArea,
    maxRegions: ctx.maxRegions,
  });
  const maps = encodeMaps(
    { image, classMap: p.classMap, scores, flagged, palette: ctx.palette, heatScale: ctx.settings.heatScale },
    req.maps,
  );
  return {
    width: image.width,
    height: image.height,
    engine: ctx.engine,
    timingMs: {
      receive: round(waits.receive),
      queue: round(waits.queue),
      decode: round(t1 - t0),
      predict: round(t2 - t1),
      total: round(waits.receive + waits.queue + performance.now() - t0),
    },
    classes: classShares(p.classMap, ctx),
    anomaly: {
      score: ctx.settings.score,
      threshold,
      heatScale: ctx.settings.heatScale,
      fraction: countFlagged(flagged) / n,
      regions,
      regionsTruncated: truncated,
    },
    maps,
  };
}

/** Decodes to RGB; decoder failures become 422 with the decoder's reason. */
async function decode(bytes: Uint8Array, header: ImageHeader): Promise<RgbImage> {
  try {
    return await decodeImage(bytes, `uploaded ${header.format}`);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    throw new HttpError(
      422,
      'invalid_image',
      `the ${header.format.toUpperCase()} image (${header.width}×${header.height}) cannot be decoded; it is truncated or corrupt: ${e.message}`,
    );
  }
}

/** Pixel count and fraction of every class, in class order. */
function classShares(classMap: Uint8Array, ctx: SegmentContext): ClassShare[] {
  const counts = new Array<number>(ctx.model.classes.length).fill(0);
  for (let i = 0; i < classMap.length; i++) {
    const c = classMap[i] as number;
    if (c < counts.length) counts[c] = (counts[c] as number) + 1;
  }
  return ctx.model.classes.map((name, index) => ({
    index,
    name,
    color: ctx.palette[index] as Rgb,
    pixels: counts[index] as number,
    fraction: (counts[index] as number) / classMap.length,
  }));
}

/** Milliseconds to 0.1 ms. */
function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
