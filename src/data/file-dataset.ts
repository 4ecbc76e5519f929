/**
 * The part every file-backed reader shares: pairing images with labels, decoding a pair into a Sample with
 * the size and value checks, optional up-front validation, and `skipBad` bookkeeping. Readers only list
 * their layout's files and pick a label codec.
 */
import { join } from 'node:path';
import { FormatError, GmmsegError } from '../errors.js';
import { decodeImage, decodeLabelPng } from './image-io.js';
import {
  IMAGE_EXTS,
  extOf,
  readBytes,
  resolveFiles,
  stripExt,
  walkFiles,
  type FileSource,
  type ReaderOptions,
} from './files.js';
import type { LabelCodec } from './label-codec.js';
import {
  checkIndex,
  filledMap,
  IGNORE_INDEX,
  type Dataset,
  type FilePair,
  type Sample,
  type SkippedFile,
} from './sample.js';

/** What a reader found on disk. */
export interface FileDatasetSpec {
  name: string;
  classes: readonly string[];
  pairs: FilePair[];
  /** Problems found while listing (only when `skipBad`; otherwise the reader has already thrown). */
  skipped: SkippedFile[];
  codec: LabelCodec;
}

/** Wraps a listed layout into a Dataset; with `validate`/`skipBad` every pair is checked first. */
export async function openFileDataset(spec: FileDatasetSpec, options: ReaderOptions = {}): Promise<Dataset> {
  const files = resolveFiles(options.files);
  if (spec.pairs.length === 0 && spec.skipped.length === 0) {
    throw new FormatError(`${spec.name}: no image/label pairs found`);
  }
  let pairs = spec.pairs;
  const skipped = [...spec.skipped];
  if (options.validate || options.skipBad) {
    const problems = await checkPairs(files, spec, options);
    const kept: FilePair[] = [];
    pairs.forEach((pair, i) => {
      const err = problems[i];
      if (err === undefined) kept.push(pair);
      else skipped.push({ file: fileOf(err.message, pair), reason: err.message });
    });
    pairs = kept;
  }
  const hasAnomaly = spec.codec.kind === 'anomaly';
  return {
    name: spec.name,
    classes: spec.classes,
    length: pairs.length,
    hasAnomaly,
    pairs,
    skipped,
    get: async (i: number) => loadPair(files, pairs[checkIndex(i, pairs.length, spec.name)] as FilePair, spec),
  };
}

/** Reads and decodes one pair into a Sample. */
export async function loadPair(
  files: FileSource,
  pair: FilePair,
  spec: Pick<FileDatasetSpec, 'name' | 'codec'>,
): Promise<Sample> {
  const [imageBytes, labelBytes] = await Promise.all([
    readBytes(files, pair.image, 'image', spec.name),
    readBytes(files, pair.label, labelRole(spec.codec), spec.name),
  ]);
  const raw = decodeLabelPng(labelBytes, pair.label);
  const image = await decodeImage(imageBytes, pair.image);
  checkSameSize(image, raw, pair, spec.name);
  const mapped = { width: raw.width, height: raw.height, data: spec.codec.map(raw.data, raw.width, pair.label) };
  if (spec.codec.kind === 'anomaly') {
    return { id: pair.id, image, label: filledMap(raw.width, raw.height, IGNORE_INDEX), anomaly: mapped };
  }
  return { id: pair.id, image, label: mapped };
}

/** Pairs checked at once (image decoding runs on sharp's thread pool). */
const CHECK_CONCURRENCY = 4;

/**
 * Checks every pair of `spec` ({@link checkPair}), a few at a time; returns the problem of each pair (undefined when
 * good), in pair order. Without `skipBad` the first problem (in pair order) is thrown.
 */
async function checkPairs(
  files: FileSource,
  spec: FileDatasetSpec,
  options: ReaderOptions,
): Promise<(GmmsegError | undefined)[]> {
  const total = spec.pairs.length;
  const problems: (GmmsegError | undefined)[] = new Array(total);
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < total && !failed) {
      const i = next++;
      try {
        await checkPair(files, spec.pairs[i] as FilePair, spec);
      } catch (err) {
        if (!(err instanceof GmmsegError)) throw err;
        problems[i] = err;
        if (!options.skipBad) failed = true;
      }
      done += 1;
      options.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, total) }, worker));
  const first = problems.find((p) => p !== undefined);
  if (first && !options.skipBad) throw first;
  return problems;
}

/** The full check of one pair: label decoded and mapped, image decoded, sizes compared. */
async function checkPair(files: FileSource, pair: FilePair, spec: FileDatasetSpec): Promise<void> {
  const labelBytes = await readBytes(files, pair.label, labelRole(spec.codec), spec.name);
  const raw = decodeLabelPng(labelBytes, pair.label);
  spec.codec.map(raw.data, raw.width, pair.label);
  const image = await decodeImage(await readBytes(files, pair.image, 'image', spec.name), pair.image);
  checkSameSize(image, raw, pair, spec.name);
}

function checkSameSize(
  image: { width: number; height: number },
  label: { width: number; height: number },
  pair: FilePair,
  name: string,
): void {
  if (image.width !== label.width || image.height !== label.height) {
    throw new FormatError(
      `${name}: label '${pair.label}' is ${label.width}x${label.height} but its image '${pair.image}' is ${image.width}x${image.height}`,
    );
  }
}

/** Which file an error is about: the label when the message names it first, else the image. */
function fileOf(message: string, pair: FilePair): string {
  const li = message.indexOf(pair.label);
  const ii = message.indexOf(pair.image);
  if (li < 0) return pair.image;
  if (ii < 0) return pair.label;
  return li <= ii ? pair.label : pair.image;
}

/** How a reader handles one listing problem: record it under skipBad, else throw. */
export function listingProblem(
  skipBad: boolean | undefined,
  skipped: SkippedFile[],
  file: string,
  message: string,
): void {
  if (!skipBad) throw new FormatError(message);
  skipped.push({ file, reason: message });
}

/**
 * Pairs image files with label files by key. Images without a label and labels without an image are
 * listing problems (thrown, or recorded under skipBad).
 */
export function pairByKey(args: {
  name: string;
  images: ReadonlyMap<string, string>;
  labels: ReadonlyMap<string, string>;
  expectedLabel: (key: string, image: string) => string;
  skipBad?: boolean | undefined;
  orphanLabels?: boolean;
}): { pairs: FilePair[]; skipped: SkippedFile[] } {
  const pairs: FilePair[] = [];
  const skipped: SkippedFile[] = [];
  for (const [key, image] of args.images) {
    const label = args.labels.get(key);
    if (label === undefined) {
      const want = args.expectedLabel(key, image);
      listingProblem(args.skipBad, skipped, image, `${args.name}: image '${image}' has no label (expected '${want}')`);
    } else {
      pairs.push({ id: key, image, label });
    }
  }
  if (args.orphanLabels !== false) {
    for (const [key, label] of args.labels) {
      if (!args.images.has(key))
        listingProblem(args.skipBad, skipped, label, `${args.name}: label '${label}' has no image`);
    }
  }
  return { pairs, skipped };
}

/**
 * Files of one folder keyed by sample id: `keyOf(rel)` gives the id of a path relative to `dir`, or null to
 * leave a file out of the layout (e.g. `_color.png` next to `_labelIds.png`). Two files with one id are a
 * FormatError.
 */
export function keyedFiles(
  dir: string,
  rels: readonly string[],
  keyOf: (rel: string) => string | null,
  name: string,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of rels) {
    const key = keyOf(rel);
    if (key === null) continue;
    const path = join(dir, rel);
    const prev = out.get(key);
    if (prev !== undefined) throw new FormatError(`${name}: '${prev}' and '${path}' both give sample id '${key}'`);
    out.set(key, path);
  }
  return out;
}

/** The common layout: photos under `imageDir`, PNG labels with the same relative path and stem under `labelDir`. */
export interface StemLayout {
  files: FileSource;
  /** The reader's function name, for "missing folder" errors. */
  fn: string;
  /** The dataset name, for listing errors. */
  name: string;
  imageDir: string;
  labelDir: string;
  /** What the two folders hold, for "missing folder" errors (e.g. 'CamVid val images'). */
  imageRole: string;
  labelRole: string;
}

/** Lists a StemLayout: photos and PNG labels, each keyed by its relative path without extension. */
export async function listStems(
  layout: StemLayout,
): Promise<{ images: Map<string, string>; labels: Map<string, string> }> {
  const { files, fn, name, imageDir, labelDir } = layout;
  const images = keyedFiles(imageDir, await walkFiles(files, imageDir, layout.imageRole, fn), imageKey, name);
  const labels = keyedFiles(labelDir, await walkFiles(files, labelDir, layout.labelRole, fn), pngKey, name);
  return { images, labels };
}

/**
 * Lists a StemLayout and pairs photos with labels by stem (see pairByKey); a photo without a label names
 * `<labelDir>/<stem>.png` as the file expected.
 */
export async function pairStems(
  layout: StemLayout,
  skipBad: boolean | undefined,
): Promise<{ pairs: FilePair[]; skipped: SkippedFile[] }> {
  const { images, labels } = await listStems(layout);
  return pairByKey({
    name: layout.name,
    images,
    labels,
    expectedLabel: (key) => join(layout.labelDir, `${key}.png`),
    skipBad,
  });
}

/** Sample id of a photo file (its path without extension), or null for non-image files. */
export function imageKey(rel: string): string | null {
  return IMAGE_EXTS.has(extOf(rel)) ? stripExt(rel) : null;
}

/** Sample id of a PNG label file (its path without extension), or null for other files. */
export function pngKey(rel: string): string | null {
  return extOf(rel) === 'png' ? stripExt(rel) : null;
}

/** Sample id from a file name with a fixed suffix (`_gtFine_labelIds.png`), or null when it lacks it. */
export function suffixKey(suffix: string): (rel: string) => string | null {
  return (rel) => (rel.endsWith(suffix) && rel.length > suffix.length ? rel.slice(0, -suffix.length) : null);
}

function labelRole(codec: LabelCodec): string {
  return codec.kind === 'anomaly' ? 'anomaly mask' : 'label';
}
