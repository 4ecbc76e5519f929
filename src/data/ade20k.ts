/**
 * ADE20K in the SceneParsing form: `<root>/ADEChallengeData2016/images/{training,validation}/ADE_*.jpg` and
 * `annotations/{training,validation}/ADE_*.png` with 0 = other/unlabelled and 1..150 = classes. Labels are
 * read with reduce-zero-label: v → v-1, 0 → 255, giving classes 0..149. `root` may also be the
 * `ADEChallengeData2016` folder itself.
 */
import { join } from 'node:path';
import { ValueError } from '../errors.js';
import { openFileDataset, pairStems } from './file-dataset.js';
import { isDir, resolveFiles, type ReaderOptions } from './files.js';
import { INVALID, lutCodec } from './label-codec.js';
import { IGNORE_INDEX, type Dataset } from './sample.js';

/** The 150 SceneParsing classes in trainId order (objectInfo150 order, as mmsegmentation names them). */
export const ADE20K_CLASSES: readonly string[] = [
  'wall',
  'building',
  'sky',
  'floor',
  'tree',
  'ceiling',
  'road',
  'bed',
  'windowpane',
  'grass',
  'cabinet',
  'sidewalk',
  'person',
  'earth',
  'door',
  'table',
  'mountain',
  'plant',
  'curtain',
  'chair',
  'car',
  'water',
  'painting',
  'sofa',
  'shelf',
  'house',
  'sea',
  'mirror',
  'rug',
  'field',
  'armchair',
  'seat',
  'fence',
  'desk',
  'rock',
  'wardrobe',
  'lamp',
  'bathtub',
  'railing',
  'cushion',
  'base',
  'box',
  'column',
  'signboard',
  'chest of drawers',
  'counter',
  'sand',
  'sink',
  'skyscraper',
  'fireplace',
  'refrigerator',
  'grandstand',
  'path',
  'stairs',
  'runway',
  'case',
  'pool table',
  'pillow',
  'screen door',
  'stairway',
  'river',
  'bridge',
  'bookcase',
  'blind',
  'coffee table',
  'toilet',
  'flower',
  'book',
  'hill',
  'bench',
  'countertop',
  'stove',
  'palm',
  'kitchen island',
  'computer',
  'swivel chair',
  'boat',
  'bar',
  'arcade machine',
  'hovel',
  'bus',
  'towel',
  'light',
  'truck',
  'tower',
  'chandelier',
  'awning',
  'streetlight',
  'booth',
  'television receiver',
  'airplane',
  'dirt track',
  'apparel',
  'pole',
  'land',
  'bannister',
  'escalator',
  'ottoman',
  'bottle',
  'buffet',
  'poster',
  'stage',
  'van',
  'ship',
  'fountain',
  'conveyer belt',
  'canopy',
  'washer',
  'plaything',
  'swimming pool',
  'stool',
  'barrel',
  'basket',
  'waterfall',
  'tent',
  'bag',
  'minibike',
  'cradle',
  'oven',
  'ball',
  'food',
  'step',
  'tank',
  'trade name',
  'microwave',
  'pot',
  'animal',
  'bicycle',
  'lake',
  'dishwasher',
  'screen',
  'blanket',
  'sculpture',
  'hood',
  'sconce',
  'vase',
  'traffic light',
  'tray',
  'ashcan',
  'fan',
  'pier',
  'crt screen',
  'plate',
  'monitor',
  'bulletin board',
  'shower',
  'radiator',
  'glass',
  'clock',
  'flag',
];

export type Ade20kSplit = 'training' | 'validation';

/** Opens one ADE20K split ('training' or 'validation'; 'train' and 'val' are accepted too). */
export async function openAde20k(
  root: string,
  split: Ade20kSplit | 'train' | 'val',
  options: ReaderOptions = {},
): Promise<Dataset> {
  const fn = 'openAde20k';
  const folder = split === 'train' ? 'training' : split === 'val' ? 'validation' : split;
  if (folder !== 'training' && folder !== 'validation')
    throw new ValueError(`${fn}: split must be training or validation, got '${split}'`);
  const files = resolveFiles(options.files);
  const base = (await isDir(files, join(root, 'ADEChallengeData2016'))) ? join(root, 'ADEChallengeData2016') : root;
  const name = `ade20k/${folder}`;
  const { pairs, skipped } = await pairStems(
    {
      files,
      fn,
      name,
      imageDir: join(base, 'images', folder),
      labelDir: join(base, 'annotations', folder),
      imageRole: 'ADE20K images',
      labelRole: 'ADE20K annotations',
    },
    options.skipBad,
  );
  return openFileDataset(
    { name, classes: ADE20K_CLASSES, pairs, skipped, codec: reduceZeroLabelCodec(ADE20K_CLASSES.length) },
    options,
  );
}

/** reduce_zero_label: 0 → 255, v → v-1 for 1..numClasses, 255 stays 255; anything else is out of range. */
export function reduceZeroLabelCodec(numClasses: number) {
  const lut = new Int16Array(256).fill(INVALID);
  lut[0] = IGNORE_INDEX;
  for (let v = 1; v <= numClasses; v++) lut[v] = v - 1;
  lut[IGNORE_INDEX] = IGNORE_INDEX;
  return lutCodec('semantic', lut, `0 (unlabelled), 1..${numClasses} or ${IGNORE_INDEX}`);
}
