/**
 * A tiny `folder` dataset on disk (3 classes, 64×64 photos with labels) and a model trained on it for one step, for
 * command-line tests that need real files; plus a truncated image that has a readable header but no readable body.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { trainCommand } from '../../src/cli/train.js';
import { encodeRgbPng } from '../../src/data/image-io.js';
import { runCli } from './cli.js';
import { label, photoMaker, type TreeFiles } from './tree.js';

const photo = photoMaker(7, 31);

/** Side of the square photos. */
export const TINY_SIZE = 64;

/** The files of a tiny folder dataset (`classes.txt` = a, b, c; samples s0..s{n-1}) plus `extra`. */
export function tinyFolderFiles(n = 3, extra: TreeFiles = {}, classes = 'a\nb\nc\n'): TreeFiles {
  const files: TreeFiles = { 'classes.txt': classes };
  for (let k = 0; k < n; k++) {
    files[`images/s${k}.png`] = encodeRgbPng(photo(TINY_SIZE, TINY_SIZE, k));
    files[`labels/s${k}.png`] = label(TINY_SIZE, TINY_SIZE, [0, 1, 2, 255]);
  }
  return { ...files, ...extra };
}

/** A PNG photo whose header is fine (sizes readable) but whose pixel data is cut off. */
export function truncatedPhoto(k = 9): Uint8Array {
  const png = encodeRgbPng(photo(TINY_SIZE, TINY_SIZE, k));
  return png.subarray(0, png.length - 40);
}

/** A photo of the tiny size (PNG bytes). */
export function tinyPhoto(k: number): Uint8Array {
  return encodeRgbPng(photo(TINY_SIZE, TINY_SIZE, k));
}

/** The flags of a one-step training run on a tiny folder dataset at `root`. */
export function tinyTrainArgs(root: string, out: string): string[] {
  return [
    'train',
    '--dataset',
    'folder',
    '--root',
    root,
    '--crop-size',
    `${TINY_SIZE},${TINY_SIZE}`,
    '--batch-size',
    '1',
    '--memory-per-component',
    '16',
    '--steps',
    '1',
    '--out',
    out,
  ];
}

/** Trains a one-step model on the tiny folder dataset at `root` into `out` (asserting success) and returns `out`. */
export async function trainTinyModel(root: string, out: string): Promise<string> {
  const r = await runCli(trainCommand, tinyTrainArgs(root, out));
  if (r.code !== 0) throw new Error(`tiny training failed: ${r.err}`);
  return out;
}

/** Writes `bytes` to `dir/name` and returns the path. */
export async function put(dir: string, name: string, bytes: Uint8Array | string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, bytes);
  return p;
}
