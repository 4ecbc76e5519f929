/**
 * A generic folder the user lays out: `<root>/images/**` photos (png/jpg/jpeg/webp/tif), `<root>/labels/**`
 * single-channel PNGs with the same relative path and stem, and `<root>/classes.txt` with one class name per
 * line (line k = class k; blank lines and lines starting with '#' are skipped). Label values must lie in
 * 0..C-1 or be 255 (ignore).
 */
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { openFileDataset, pairStems } from './file-dataset.js';
import { readText, resolveFiles, type ReaderOptions } from './files.js';
import { classIndexCodec } from './label-codec.js';
import { IGNORE_INDEX, type Dataset } from './sample.js';

/** Opens an `images/` + `labels/` + `classes.txt` folder. */
export async function openFolder(root: string, options: ReaderOptions = {}): Promise<Dataset> {
  const fn = 'openFolder';
  const files = resolveFiles(options.files);
  const classFile = join(root, 'classes.txt');
  const classes = parseClassList(await readText(files, classFile, 'class list', fn), classFile);
  const name = `folder:${root}`;
  const { pairs, skipped } = await pairStems(
    {
      files,
      fn,
      name,
      imageDir: join(root, 'images'),
      labelDir: join(root, 'labels'),
      imageRole: 'images',
      labelRole: 'labels',
    },
    options.skipBad,
  );
  return openFileDataset({ name, classes, pairs, skipped, codec: classIndexCodec(classes.length) }, options);
}

/** Parses a class list: one name per line, at most 255 classes (255 is the ignore value). */
export function parseClassList(text: string, file: string): string[] {
  const classes = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (classes.length === 0) throw new FormatError(`openFolder: class list '${file}' names no classes`);
  if (classes.length > IGNORE_INDEX) {
    throw new FormatError(
      `openFolder: class list '${file}' names ${classes.length} classes; at most ${IGNORE_INDEX} fit (${IGNORE_INDEX} = ignore)`,
    );
  }
  const seen = new Set<string>();
  for (const c of classes) {
    if (seen.has(c)) throw new FormatError(`openFolder: class list '${file}' names '${c}' twice`);
    seen.add(c);
  }
  return classes;
}
