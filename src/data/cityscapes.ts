/**
 * Cityscapes: `<root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png` with labels
 * `<root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelTrainIds.png` (19 trainIds, 255 = ignore), or
 * the raw `_gtFine_labelIds.png` (ids 0..33) mapped to trainIds with the official table. `gtCoarse` works
 * the same way.
 */
import { join } from 'node:path';
import { ValueError } from '../errors.js';
import { keyedFiles, openFileDataset, pairByKey, suffixKey } from './file-dataset.js';
import { resolveFiles, walkFiles, type ReaderOptions } from './files.js';
import { INVALID, lutCodec, lutFrom, type LabelCodec } from './label-codec.js';
import { IGNORE_INDEX, type Dataset } from './sample.js';

/** The 19 Cityscapes evaluation classes in trainId order. */
export const CITYSCAPES_CLASSES: readonly string[] = [
  'road',
  'sidewalk',
  'building',
  'wall',
  'fence',
  'pole',
  'traffic light',
  'traffic sign',
  'vegetation',
  'terrain',
  'sky',
  'person',
  'rider',
  'car',
  'truck',
  'bus',
  'train',
  'motorcycle',
  'bicycle',
];

/**
 * The colours `[r, g, b]` of the 19 classes, in {@link CITYSCAPES_CLASSES} order, as in cityscapesScripts `labels.py`
 * (road = (128, 64, 128), …, bicycle = (119, 11, 32)).
 */
export const CITYSCAPES_PALETTE: readonly (readonly [number, number, number])[] = [
  [128, 64, 128],
  [244, 35, 232],
  [70, 70, 70],
  [102, 102, 156],
  [190, 153, 153],
  [153, 153, 153],
  [250, 170, 30],
  [220, 220, 0],
  [107, 142, 35],
  [152, 251, 152],
  [70, 130, 180],
  [220, 20, 60],
  [255, 0, 0],
  [0, 0, 142],
  [0, 0, 70],
  [0, 60, 100],
  [0, 80, 100],
  [0, 0, 230],
  [119, 11, 32],
];

/** labelId → trainId for the 19 evaluated classes; every other id (0..33) maps to 255. */
export const LABEL_ID_TO_TRAIN_ID: readonly (readonly [number, number])[] = [
  [7, 0],
  [8, 1],
  [11, 2],
  [12, 3],
  [13, 4],
  [17, 5],
  [19, 6],
  [20, 7],
  [21, 8],
  [22, 9],
  [23, 10],
  [24, 11],
  [25, 12],
  [26, 13],
  [27, 14],
  [28, 15],
  [31, 16],
  [32, 17],
  [33, 18],
];

export interface CityscapesOptions extends ReaderOptions {
  /** Which label files to read: 'trainIds', 'labelIds', or 'auto' (trainIds where present, else labelIds). Default 'auto'. */
  labels?: 'trainIds' | 'labelIds' | 'auto';
  /** 'gtFine' (default) or 'gtCoarse'. */
  annotation?: 'gtFine' | 'gtCoarse';
}

/** Opens one Cityscapes split ('train', 'val', 'test', or 'train_extra' for gtCoarse). */
export async function openCityscapes(root: string, split: string, options: CityscapesOptions = {}): Promise<Dataset> {
  const fn = 'openCityscapes';
  const ann = options.annotation ?? 'gtFine';
  const which = options.labels ?? 'auto';
  if (!['trainIds', 'labelIds', 'auto'].includes(which))
    throw new ValueError(`${fn}: labels must be trainIds, labelIds or auto, got '${which}'`);
  if (!/^[A-Za-z_]+$/.test(split))
    throw new ValueError(`${fn}: split must be a folder name such as train/val/test, got '${split}'`);
  const files = resolveFiles(options.files);
  const name = `cityscapes/${split}`;
  const imageDir = join(root, 'leftImg8bit', split);
  const labelDir = join(root, ann, split);
  const images = keyedFiles(
    imageDir,
    await walkFiles(files, imageDir, 'Cityscapes images', fn),
    suffixKey('_leftImg8bit.png'),
    name,
  );
  const labelRels = await walkFiles(files, labelDir, `Cityscapes ${ann} labels`, fn);
  const trainIds = keyedFiles(labelDir, labelRels, suffixKey(`_${ann}_labelTrainIds.png`), name);
  const labelIds = keyedFiles(labelDir, labelRels, suffixKey(`_${ann}_labelIds.png`), name);
  const labels =
    which === 'trainIds' ? trainIds : which === 'labelIds' ? labelIds : new Map([...labelIds, ...trainIds]);
  const wanted = which === 'labelIds' ? 'labelIds' : 'labelTrainIds';
  const { pairs, skipped } = pairByKey({
    name,
    images,
    labels,
    expectedLabel: (key) => join(labelDir, `${key}_${ann}_${wanted}.png`),
    skipBad: options.skipBad,
  });
  return openFileDataset({ name, classes: CITYSCAPES_CLASSES, pairs, skipped, codec: cityscapesCodec() }, options);
}

/** Chooses the table by file name: `_labelIds.png` files are mapped to trainIds, trainId files are checked. */
function cityscapesCodec(): LabelCodec {
  const trainLut = new Int16Array(256).fill(INVALID);
  for (let c = 0; c < CITYSCAPES_CLASSES.length; c++) trainLut[c] = c;
  trainLut[IGNORE_INDEX] = IGNORE_INDEX;
  const idLut = lutFrom(LABEL_ID_TO_TRAIN_ID, INVALID);
  for (let id = 0; id <= 33; id++) if (idLut[id] === INVALID) idLut[id] = IGNORE_INDEX;
  idLut[IGNORE_INDEX] = IGNORE_INDEX;
  const fromTrainIds = lutCodec('semantic', trainLut, `0..18 or ${IGNORE_INDEX} (ignore)`);
  const fromLabelIds = lutCodec('semantic', idLut, `labelIds 0..33 (or ${IGNORE_INDEX})`);
  return {
    kind: 'semantic',
    map: (raw, width, file) => (file.endsWith('_labelIds.png') ? fromLabelIds : fromTrainIds).map(raw, width, file),
  };
}
