/**
 * Tiny on-disk dataset trees for the reader tests: temporary folders filled from a `{ relPath: content }`
 * map and removed when the test file's tests end, plus deterministic photos and 8-bit label PNGs to put in them.
 */
import { after } from 'node:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encodeLabelPng } from '../../src/data/image-io.js';
import type { RgbImage } from '../../src/data/sample.js';

/** Relative path (folders are created as needed) → file content. */
export type TreeFiles = Record<string, Uint8Array | string>;

/**
 * Returns `tree(files)`, which writes `files` under a fresh temporary folder named `gmmseg-<prefix>-…` and
 * resolves to its path. Call once at the top level of a test file: every folder it makes is removed after
 * that file's tests.
 */
export function tempTrees(prefix: string): (files: TreeFiles) => Promise<string> {
  const roots: string[] = [];
  after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));
  return async (files) => {
    const root = await mkdtemp(join(tmpdir(), `gmmseg-${prefix}-`));
    roots.push(root);
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), content);
    }
    return root;
  };
}

/**
 * Returns `photo(w, h, k)`: an RGB image [h, w, 3] whose byte i is `(i·step + k·kStep) mod 256`, so that
 * photos with different `k` (and test files with different steps) differ.
 */
export function photoMaker(step: number, kStep: number): (w: number, h: number, k: number) => RgbImage {
  return (w, h, k) => ({
    width: w,
    height: h,
    data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * step + k * kStep) % 256),
  });
}

/** A single-channel label PNG [h, w] repeating `values` in row-major order. */
export function label(w: number, h: number, values: number[]): Uint8Array {
  return encodeLabelPng({
    width: w,
    height: h,
    data: Uint8Array.from({ length: w * h }, (_, i) => values[i % values.length] as number),
  });
}
