/**
 * Fishyscapes (evaluation only) in the common preprocessed layout: `<root>/{LostAndFound,Static}/original/<name>.png`
 * (2048x1024 images) and `<root>/{LostAndFound,Static}/labels/<name>.png` with 0 = in-distribution,
 * 1 = anomaly, 255 = void (the `bdlb` mask encoding). `root` may also be the split folder itself. No semantic
 * labels: `label` is all 255.
 */
import { join } from 'node:path';
import { ValueError } from '../errors.js';
import { openFileDataset, pairStems } from './file-dataset.js';
import { isDir, resolveFiles, type ReaderOptions } from './files.js';
import { anomalyMaskCodec } from './label-codec.js';
import { CITYSCAPES_CLASSES } from './cityscapes.js';
import type { Dataset } from './sample.js';

export type FishyscapesSplit = 'LostAndFound' | 'Static';

/** Opens Fishyscapes Lost & Found or Static. */
export async function openFishyscapes(
  root: string,
  split: FishyscapesSplit,
  options: ReaderOptions = {},
): Promise<Dataset> {
  const fn = 'openFishyscapes';
  if (split !== 'LostAndFound' && split !== 'Static')
    throw new ValueError(`${fn}: split must be LostAndFound or Static, got '${split}'`);
  const files = resolveFiles(options.files);
  const base = (await isDir(files, join(root, split))) ? join(root, split) : root;
  const name = `fishyscapes/${split}`;
  const { pairs, skipped } = await pairStems(
    {
      files,
      fn,
      name,
      imageDir: join(base, 'original'),
      labelDir: join(base, 'labels'),
      imageRole: `Fishyscapes ${split} images`,
      labelRole: `Fishyscapes ${split} labels`,
    },
    options.skipBad,
  );
  return openFileDataset({ name, classes: CITYSCAPES_CLASSES, pairs, skipped, codec: anomalyMaskCodec() }, options);
}
