/**
 * SegmentMeIfYouCan: RoadAnomaly21 (`dataset_AnomalyTrack/`, .jpg) and RoadObstacle21
 * (`dataset_ObstacleTrack/`, .webp). Images `images/<frame>.<ext>`, labels
 * `labels_masks/<frame>_labels_semantic.png` with 0 = not anomaly (obstacle track: road), 1 = anomaly /
 * obstacle, 255 = void (obstacle track: everything off the road). Only the validation frames have public
 * labels, so by default only frames whose name starts with `validation` are read; `split: 'all'` reads every
 * image and then each one needs its label. `root` may be the folder holding the track folders or the track
 * folder itself. No semantic labels: `label` is all 255.
 */
import { join } from 'node:path';
import { ValueError } from '../errors.js';
import { imageKey, keyedFiles, openFileDataset, pairByKey, suffixKey } from './file-dataset.js';
import { isDir, resolveFiles, walkFiles, type ReaderOptions } from './files.js';
import { anomalyMaskCodec } from './label-codec.js';
import { CITYSCAPES_CLASSES } from './cityscapes.js';
import type { Dataset } from './sample.js';

export type SmiycTrack = 'RoadAnomaly21' | 'RoadObstacle21';

/** The folder name of each track in the official download. */
export const SMIYC_TRACK_FOLDERS: Readonly<Record<SmiycTrack, string>> = {
  RoadAnomaly21: 'dataset_AnomalyTrack',
  RoadObstacle21: 'dataset_ObstacleTrack',
};

const LABEL_SUFFIX = '_labels_semantic.png';

export interface SmiycOptions extends ReaderOptions {
  /** 'validation' (default): frames named `validation*`, the ones with public labels; 'all': every image. */
  split?: 'validation' | 'all';
}

/** Opens one SegmentMeIfYouCan track. */
export async function openSmiyc(root: string, track: SmiycTrack, options: SmiycOptions = {}): Promise<Dataset> {
  const fn = 'openSmiyc';
  const folder = SMIYC_TRACK_FOLDERS[track];
  if (folder === undefined)
    throw new ValueError(`${fn}: track must be RoadAnomaly21 or RoadObstacle21, got '${track}'`);
  const split = options.split ?? 'validation';
  if (split !== 'validation' && split !== 'all')
    throw new ValueError(`${fn}: split must be validation or all, got '${split}'`);
  const files = resolveFiles(options.files);
  const base = (await isDir(files, join(root, folder))) ? join(root, folder) : root;
  const imageDir = join(base, 'images');
  const labelDir = join(base, 'labels_masks');
  const name = `smiyc/${track}/${split}`;
  const inSplit = (key: string | null): string | null =>
    key !== null && (split === 'all' || key.startsWith('validation')) ? key : null;
  const images = keyedFiles(
    imageDir,
    await walkFiles(files, imageDir, `${track} images`, fn),
    (rel) => inSplit(imageKey(rel)),
    name,
  );
  const labelKey = suffixKey(LABEL_SUFFIX);
  const labels = keyedFiles(
    labelDir,
    await walkFiles(files, labelDir, `${track} label masks`, fn),
    (rel) => inSplit(labelKey(rel)),
    name,
  );
  const { pairs, skipped } = pairByKey({
    name,
    images,
    labels,
    expectedLabel: (key) => join(labelDir, `${key}${LABEL_SUFFIX}`),
    skipBad: options.skipBad,
  });
  return openFileDataset({ name, classes: CITYSCAPES_CLASSES, pairs, skipped, codec: anomalyMaskCodec() }, options);
}
