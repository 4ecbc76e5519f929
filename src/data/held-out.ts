/**
 * A real-object anomaly protocol from any semantic dataset: some classes are held out. Training and closed-set
 * evaluation see them as ignore; at anomaly evaluation their pixels are the anomalies and every other labelled
 * pixel an inlier (the objects are real photographed things in their real context, unlike pasted ones).
 *
 * Two views of the same images, both lazy wrappers (no I/O beyond what the wrapped dataset does):
 * - closed set: `classes` without the held-out ones, labels remapped to `0..C'-1` (order kept), held-out
 *   pixels → `IGNORE_INDEX`; no anomaly mask.
 * - anomaly: the same closed-set label, plus `anomaly [H, W]` = 1 on held-out pixels, 0 on other labelled pixels,
 *   `IGNORE_INDEX` on void. This follows the pasted protocol (`camvid-anomaly.ts`): anomalous pixels carry the
 *   ignore label, inliers their class. Images without any held-out pixel stay in the view: they contribute
 *   inliers only (so AP reflects false alarms on whole scenes too); `heldOutStats` counts the images with any.
 */
import { IGNORE_INDEX } from '../constants.js';
import { ValueError } from '../errors.js';
import { CAMVID_CLASSES, openCamVid, type CamVidSplit } from './camvid.js';
import type { ReaderOptions } from './files.js';
import { INVALID, lutCodec, type LabelCodec } from './label-codec.js';
import { type Dataset, type Sample } from './sample.js';
import { mappedDataset } from './subset.js';

/** The held-out classes of the `camvid-heldout` protocol unless the caller names others. */
export const CAMVID_HELD_OUT_DEFAULT: readonly string[] = ['Pedestrian', 'Bicyclist'];

/** The two views of a held-out-class protocol. */
export interface HeldOutViews {
  /** Labels remapped to the kept classes, held-out pixels ignored (training, closed-set mIoU). */
  closedSet: Dataset;
  /** Same images and labels as `closedSet`, with anomaly masks (held-out = 1). */
  anomaly: Dataset;
  /** The held-out class names, in the order given. */
  heldOut: readonly string[];
  /** Class id in the base dataset → id in the closed set (`IGNORE_INDEX` for held-out classes), length C. */
  remap: readonly number[];
}

/**
 * Checks the held-out names against `classes` and returns their ids (in the order given). Unknown or repeated
 * names, an empty list, or a list holding out every class are ValueErrors.
 */
export function heldOutIds(classes: readonly string[], heldOut: readonly string[], fn = 'heldOutIds'): number[] {
  if (heldOut.length === 0) throw new ValueError(`${fn}: no class to hold out; known classes: ${classes.join(', ')}`);
  const ids: number[] = [];
  for (const name of heldOut) {
    const id = classes.indexOf(name);
    if (id < 0) throw new ValueError(`${fn}: unknown class '${name}'; known classes: ${classes.join(', ')}`);
    if (ids.includes(id)) throw new ValueError(`${fn}: class '${name}' is held out twice`);
    ids.push(id);
  }
  if (ids.length >= classes.length) {
    throw new ValueError(`${fn}: holding out every class (${classes.join(', ')}) leaves nothing to train on`);
  }
  return ids;
}

/** Wraps `base` (a semantic dataset without anomaly masks) into the closed-set and anomaly views. */
export function holdOutClasses(base: Dataset, heldOut: readonly string[]): HeldOutViews {
  const fn = 'holdOutClasses';
  if (base.hasAnomaly) throw new ValueError(`${fn}: ${base.name} already has anomaly masks; give a semantic dataset`);
  const ids = heldOutIds(base.classes, heldOut, fn);
  const remap = closedSetRemap(base.classes.length, ids);
  const classes = base.classes.filter((_, c) => !ids.includes(c));
  const allowed = `0..${base.classes.length - 1} or ${IGNORE_INDEX}`;
  const labelCodec = lutCodec('semantic', lut(remap), allowed);
  const maskCodec = lutCodec('anomaly', lut(remap.map((_, c) => (ids.includes(c) ? 1 : 0))), allowed);
  const tag = `${base.name}-heldout[${heldOut.join('+')}]`;
  const view = (name: string, withMask: boolean): Dataset =>
    mappedDataset(base, { name, classes, hasAnomaly: withMask }, (s) =>
      remapSample(s, `${name}/${s.id}`, labelCodec, withMask ? maskCodec : undefined),
    );
  const anomaly = view(`${tag}/anomaly`, true);
  return { closedSet: view(`${tag}/closed`, false), anomaly, heldOut: [...heldOut], remap };
}

/** Class id → closed-set id (kept classes renumbered in order, held-out ones → `IGNORE_INDEX`), length C. */
export function closedSetRemap(numClasses: number, heldOutClassIds: readonly number[]): number[] {
  let next = 0;
  return Array.from({ length: numClasses }, (_, c) => (heldOutClassIds.includes(c) ? IGNORE_INDEX : next++));
}

/** A 256-entry lookup table: `byClass[c]` for class ids, `IGNORE_INDEX` → itself, anything else invalid. */
function lut(byClass: readonly number[]): Int16Array {
  const table = new Int16Array(256).fill(INVALID);
  byClass.forEach((v, c) => (table[c] = v));
  table[IGNORE_INDEX] = IGNORE_INDEX;
  return table;
}

function remapSample(s: Sample, what: string, labelCodec: LabelCodec, maskCodec: LabelCodec | undefined): Sample {
  const { width, height, data } = s.label;
  const out: Sample = { id: s.id, image: s.image, label: { width, height, data: labelCodec.map(data, width, what) } };
  if (maskCodec) out.anomaly = { width, height, data: maskCodec.map(data, width, what) };
  return out;
}

/** Pixel and image counts of a held-out protocol over one dataset (for reports). */
export interface HeldOutStats {
  images: number;
  /** Images with at least one held-out pixel. */
  imagesWithHeldOut: number;
  /** Pixels with a class label (not void). */
  labelledPixels: number;
  heldOutPixels: number;
}

/** Counts, over every sample of `base`, its labelled and held-out pixels (decodes every sample once). */
export async function heldOutStats(base: Dataset, heldOut: readonly string[]): Promise<HeldOutStats> {
  const isHeld = new Uint8Array(256);
  for (const id of heldOutIds(base.classes, heldOut, 'heldOutStats')) isHeld[id] = 1;
  const stats: HeldOutStats = { images: base.length, imagesWithHeldOut: 0, labelledPixels: 0, heldOutPixels: 0 };
  for (let i = 0; i < base.length; i++) {
    const data = (await base.get(i)).label.data;
    let held = 0;
    for (let p = 0; p < data.length; p++) {
      const v = data[p] as number;
      if (v !== IGNORE_INDEX) stats.labelledPixels++;
      held += isHeld[v] as number;
    }
    stats.heldOutPixels += held;
    if (held > 0) stats.imagesWithHeldOut++;
  }
  return stats;
}

/** The `camvid-heldout` views' split names: a CamVid split (closed set) or `anomaly` (anomaly view of test). */
export type CamVidHeldOutSplit = CamVidSplit | 'anomaly';

/**
 * Opens CamVid with `heldOut` classes (default Pedestrian, Bicyclist) held out: split train/val/test/trainval → its
 * closed-set view; `anomaly` → the anomaly view of the test split.
 */
export async function openCamVidHeldOut(
  root: string,
  split: string,
  options: ReaderOptions & { heldOut?: readonly string[] | undefined } = {},
): Promise<Dataset> {
  if (!['train', 'val', 'test', 'trainval', 'anomaly'].includes(split)) {
    throw new ValueError(
      `camvid-heldout has splits train, val, test, trainval (closed set) and anomaly (test); got '${split}'`,
    );
  }
  const heldOut = options.heldOut ?? CAMVID_HELD_OUT_DEFAULT;
  heldOutIds(CAMVID_CLASSES, heldOut, 'openCamVidHeldOut');
  const base = await openCamVid(root, split === 'anomaly' ? 'test' : (split as CamVidSplit), options);
  const views = holdOutClasses(base, heldOut);
  return split === 'anomaly' ? views.anomaly : views.closedSet;
}
