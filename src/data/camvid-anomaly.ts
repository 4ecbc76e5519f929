/**
 * A CamVid anomaly protocol in the style of Fishyscapes Static: out-of-distribution objects (the vendored
 * Fashion-MNIST items, scaled up and recoloured) are pasted onto CamVid test images, standing on the road with
 * a size that grows towards the bottom of the frame (a crude perspective). Deterministic from a seed.
 *
 * Anomaly mask `[H, W]`: 1 on the object (alpha > 0.5), 255 on its void band (a `bandWidth` ring around it
 * plus any pixel its soft edge tints) and wherever the CamVid label is void, 0 elsewhere; inlier pixels keep
 * their original bytes. The semantic label is 255 on the object and its band. The closed-set test is the
 * untouched split.
 */
import { ValueError } from '../errors.js';
import { createRng, randInt, uniform, type Rng } from '../random.js';
import { CAMVID_ROAD, openCamVid } from './camvid.js';
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
import { deriveSeed } from './digit-scenes.js';
import type { FileSource, ReaderOptions } from './files.js';
import { mappedDataset } from './subset.js';
import { glyph, loadFashionSubset, type GlyphSet } from './glyphs.js';
import { IGNORE_INDEX, type Dataset, type LabelMap, type RgbImage, type Sample } from './sample.js';

export interface CamVidAnomalyOptions {
  seed?: number;
  /** Inclusive range of objects per image. Default [1, 2]. */
  objectsPerImage?: readonly [number, number];
  /** Object height in pixels at the horizon and at the bottom row, for a 360 px tall image (scaled with H/360). Default [28, 110]. */
  objectHeight?: readonly [number, number];
  /** Width of the void ring around each object, in pixels. Default 3. */
  bandWidth?: number;
  /** Class id of the road, where objects are placed (default CamVid's Road = 3). */
  roadClass?: number;
  files?: Partial<FileSource>;
  /** Override the Fashion-MNIST subset folder (default: the vendored assets/fashion-mnist). */
  fashionDir?: string;
}

/** The two test sets of the protocol. */
export interface AnomalyProtocol {
  /** The untouched images (closed-set mIoU). */
  closedSet: Dataset;
  /** The same images with pasted objects and anomaly masks. */
  anomaly: Dataset;
}

const ANOMALY_STREAM = 101;

/** Builds the protocol over any CamVid-labelled dataset (normally the test split). */
export async function buildCamVidAnomaly(base: Dataset, options: CamVidAnomalyOptions = {}): Promise<AnomalyProtocol> {
  const cfg = {
    seed: options.seed ?? 0,
    objectsPerImage: options.objectsPerImage ?? ([1, 2] as const),
    objectHeight: options.objectHeight ?? ([28, 110] as const),
    bandWidth: options.bandWidth ?? 3,
    roadClass: options.roadClass ?? CAMVID_ROAD,
  };
  checkConfig(cfg);
  const fashion = await loadFashionSubset(options.files, ...(options.fashionDir ? [options.fashionDir] : []));
  const name = `${base.name}+anomaly`;
  const anomaly = mappedDataset(base, { name, hasAnomaly: true }, (sample, i) =>
    pasteObjects(sample, fashion, createRng(deriveSeed(cfg.seed, ANOMALY_STREAM, i)), cfg),
  );
  return { closedSet: base, anomaly };
}

/** Opens the CamVid test split under `root` and builds the protocol on it. */
export async function openCamVidAnomaly(
  root: string,
  options: CamVidAnomalyOptions & ReaderOptions = {},
): Promise<AnomalyProtocol> {
  return buildCamVidAnomaly(await openCamVid(root, 'test', options), options);
}

/** Resolved protocol settings. */
export interface PasteConfig {
  seed: number;
  objectsPerImage: readonly [number, number];
  objectHeight: readonly [number, number];
  bandWidth: number;
  roadClass: number;
}

/** Pastes objects onto a copy of `sample`; exported for tests and for other road datasets. */
export function pasteObjects(sample: Sample, objects: GlyphSet, rng: Rng, cfg: PasteConfig): Sample {
  const { width: W, height: H } = sample.image;
  const image = { width: W, height: H, data: Uint8Array.from(sample.image.data) };
  const label = Uint8Array.from(sample.label.data);
  const mask = new Uint8Array(W * H);
  for (let p = 0; p < W * H; p++) mask[p] = label[p] === IGNORE_INDEX ? IGNORE_INDEX : 0;
  const road = roadPixels(sample.label, cfg.roadClass);
  const cov = newCoverage(W, H);
  const placed: [number, number, number, number][] = [];
  const n = cfg.objectsPerImage[0] + randInt(rng, cfg.objectsPerImage[1] - cfg.objectsPerImage[0] + 1);
  for (let k = 0; k < n; k++) {
    const pool = objects.byClass[randInt(rng, objects.byClass.length)] as number[];
    const g = glyph(objects, pool[randInt(rng, pool.length)] as number);
    const box = contentBox(g, objects.cols, objects.rows, 12) ?? [0, 0, objects.cols, objects.rows];
    const cw = box[2] - box[0];
    const ch = box[3] - box[1];
    const spot = chooseSpot(rng, road, W, H, cfg, cw / ch, placed);
    const tex = resizeBilinear(crop(g, objects.cols, box), cw, ch, spot.w, spot.h);
    const alpha = tex.map(fashionAlpha);
    const [r, g2, b] = hsv(uniform(rng), 0.55 + 0.45 * uniform(rng), 0.55 + 0.45 * uniform(rng));
    const light = sceneLight(sample.image, spot);
    const rgb: [number, number, number] = [r * light, g2 * light, b * light];
    const layer = shadedLayer(spot.x0, spot.y0, spot.w, spot.h, alpha, rgb, (j) => 0.3 + 0.7 * (tex[j] as number));
    blendLayer(image, layer, cov, k + 1, (p) => (mask[p] = 1), 0.5, 0);
    placed.push([spot.x0, spot.y0, spot.x0 + spot.w, spot.y0 + spot.h]);
  }
  const band = voidBand(cov, cfg.bandWidth);
  for (let p = 0; p < W * H; p++) {
    if (band[p]) mask[p] = IGNORE_INDEX;
    if (cov.top[p] || band[p]) label[p] = IGNORE_INDEX;
  }
  return {
    id: sample.id,
    image,
    label: { width: W, height: H, data: label },
    anomaly: { width: W, height: H, data: mask },
  };
}

interface Road {
  /** Flat indices of road pixels. */
  pixels: Int32Array;
  /** Topmost road row (the horizon estimate), or -1 without road. */
  top: number;
}

function roadPixels(label: LabelMap, roadClass: number): Road {
  const idx: number[] = [];
  for (let p = 0; p < label.data.length; p++) if (label.data[p] === roadClass) idx.push(p);
  return { pixels: Int32Array.from(idx), top: idx.length ? Math.floor((idx[0] as number) / label.width) : -1 };
}

/** Bottom-centre of the object on a random road pixel (lower half of the frame without road); avoids overlaps. */
function chooseSpot(
  rng: Rng,
  road: Road,
  W: number,
  H: number,
  cfg: PasteConfig,
  aspect: number,
  placed: readonly number[][],
) {
  const top = road.top >= 0 ? road.top : Math.floor(H / 2);
  const unit = H / 360;
  let best = { x0: 0, y0: 0, w: 1, h: 1 };
  for (let attempt = 0; attempt < 20; attempt++) {
    let ax: number;
    let ay: number;
    if (road.pixels.length > 0) {
      const p = road.pixels[randInt(rng, road.pixels.length)] as number;
      ax = p % W;
      ay = Math.floor(p / W);
    } else {
      ax = randInt(rng, W);
      ay = top + randInt(rng, Math.max(1, H - top));
    }
    const depth = H - 1 > top ? (ay - top) / (H - 1 - top) : 1;
    const [lo, hi] = cfg.objectHeight;
    const h = Math.max(8, Math.round(unit * (lo + (hi - lo) * depth) * (0.85 + 0.3 * uniform(rng))));
    const w = Math.max(6, Math.round(h * aspect));
    best = { x0: Math.round(ax - w / 2), y0: ay - h + 1, w, h };
    if (!placed.some((b) => overlaps(b, best))) return best;
  }
  return best;
}

/** A brightness factor in [0.45, 1.15] from the mean luma of the scene under the object's box, so objects match dark scenes. */
function sceneLight(image: RgbImage, s: { x0: number; y0: number; w: number; h: number }): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.max(0, s.y0); y < Math.min(image.height, s.y0 + s.h); y += 2) {
    for (let x = Math.max(0, s.x0); x < Math.min(image.width, s.x0 + s.w); x += 2) {
      const p = (y * image.width + x) * 3;
      sum += luma(image.data[p] as number, image.data[p + 1] as number, image.data[p + 2] as number);
      n++;
    }
  }
  return n ? Math.min(1.15, Math.max(0.45, sum / n / 120)) : 1;
}

function overlaps(b: readonly number[], s: { x0: number; y0: number; w: number; h: number }): boolean {
  return (
    s.x0 < (b[2] as number) && s.x0 + s.w > (b[0] as number) && s.y0 < (b[3] as number) && s.y0 + s.h > (b[1] as number)
  );
}

function checkConfig(cfg: PasteConfig): void {
  const [lo, hi] = cfg.objectsPerImage;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo || hi > 16) {
    throw new ValueError(
      `buildCamVidAnomaly: objectsPerImage must be integers 1 <= lo <= hi <= 16, got [${lo}, ${hi}]`,
    );
  }
  const [a, b] = cfg.objectHeight;
  if (!(a >= 4 && b >= a && b <= 4096))
    throw new ValueError(`buildCamVidAnomaly: objectHeight must be 4 <= lo <= hi, got [${a}, ${b}]`);
  if (!Number.isInteger(cfg.bandWidth) || cfg.bandWidth < 0 || cfg.bandWidth > 64) {
    throw new ValueError(`buildCamVidAnomaly: bandWidth must be an integer in [0, 64], got ${cfg.bandWidth}`);
  }
  if (!Number.isInteger(cfg.roadClass) || cfg.roadClass < 0 || cfg.roadClass > 254) {
    throw new ValueError(`buildCamVidAnomaly: roadClass must be an integer in [0, 254], got ${cfg.roadClass}`);
  }
  if (!Number.isInteger(cfg.seed)) throw new ValueError(`buildCamVidAnomaly: seed must be an integer, got ${cfg.seed}`);
}
