/**
 * Pascal VOC 2012 segmentation: `JPEGImages/<id>.jpg`, `SegmentationClass/<id>.png` (palette PNG whose raw
 * indices are the classes 0..20, 255 = boundary/void) and split lists `ImageSets/Segmentation/<split>.txt`.
 * `root` may be the VOC2012 folder, its parent, or the parent of `VOCdevkit/` (labelme's export uses the same
 * layout).
 */
import { join } from 'node:path';
import { FormatError, ValueError } from '../errors.js';
import { listingProblem, listStems, openFileDataset } from './file-dataset.js';
import { isDir, readText, resolveFiles, type FileSource, type ReaderOptions } from './files.js';
import { classIndexCodec } from './label-codec.js';
import type { Dataset, FilePair, SkippedFile } from './sample.js';

/** The 21 VOC classes (index 0 = background). */
export const VOC_CLASSES: readonly string[] = [
  'background',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
];

/** Opens the ids listed in `ImageSets/Segmentation/<split>.txt` (e.g. 'train', 'val', 'trainval'). */
export async function openVoc(root: string, split: string, options: ReaderOptions = {}): Promise<Dataset> {
  const fn = 'openVoc';
  if (!/^[\w.-]+$/.test(split))
    throw new ValueError(`${fn}: split must be a list name such as train/val/trainval, got '${split}'`);
  const files = resolveFiles(options.files);
  const base = await findBase(files, root);
  const name = `voc/${split}`;
  const listFile = join(base, 'ImageSets', 'Segmentation', `${split}.txt`);
  const ids = parseIdList(await readText(files, listFile, 'VOC split list', fn), listFile);
  const imageDir = join(base, 'JPEGImages');
  const labelDir = join(base, 'SegmentationClass');
  const { images, labels } = await listStems({
    files,
    fn,
    name,
    imageDir,
    labelDir,
    imageRole: 'VOC images',
    labelRole: 'VOC class labels',
  });
  const pairs: FilePair[] = [];
  const skipped: SkippedFile[] = [];
  for (const id of ids) {
    const image = images.get(id);
    const label = labels.get(id);
    if (image === undefined) {
      listingProblem(
        options.skipBad,
        skipped,
        listFile,
        `${name}: id '${id}' is listed in '${listFile}' but '${join(imageDir, `${id}.jpg`)}' is missing`,
      );
    } else if (label === undefined) {
      listingProblem(
        options.skipBad,
        skipped,
        image,
        `${name}: image '${image}' has no label (expected '${join(labelDir, `${id}.png`)}')`,
      );
    } else {
      pairs.push({ id, image, label });
    }
  }
  return openFileDataset(
    { name, classes: VOC_CLASSES, pairs, skipped, codec: classIndexCodec(VOC_CLASSES.length) },
    options,
  );
}

async function findBase(files: FileSource, root: string): Promise<string> {
  for (const cand of [join(root, 'VOCdevkit', 'VOC2012'), join(root, 'VOC2012'), root]) {
    if (await isDir(files, join(cand, 'ImageSets', 'Segmentation'))) return cand;
  }
  throw new FormatError(
    `openVoc: missing folder '${join(root, 'ImageSets', 'Segmentation')}' (VOC split lists; also looked under VOCdevkit/VOC2012 and VOC2012)`,
  );
}

/** One id per line (the first whitespace-separated token); blank lines ignored; duplicates rejected. */
function parseIdList(text: string, file: string): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, n) => {
    const id = line.trim().split(/\s+/)[0] ?? '';
    if (id === '') return;
    if (seen.has(id)) throw new FormatError(`openVoc: '${file}' line ${n + 1} repeats id '${id}'`);
    seen.add(id);
    ids.push(id);
  });
  if (ids.length === 0) throw new FormatError(`openVoc: split list '${file}' is empty`);
  return ids;
}
