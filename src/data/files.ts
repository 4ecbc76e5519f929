/**
 * The small file-access surface the readers use, injectable so tests (or a browser, or an archive) can
 * supply their own. The default reads the local disk with `fs.promises`; library code touches the file system
 * only through this object.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';

/** One directory entry. */
export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

/** Reading files and listing folders. Errors should carry Node's `code` ('ENOENT', 'ENOTDIR') when possible. */
export interface FileSource {
  readFile(path: string): Promise<Uint8Array>;
  readDir(path: string): Promise<DirEntry[]>;
}

/** The local disk through `fs.promises`. */
export const nodeFiles: FileSource = {
  readFile: async (path) => {
    const buf = await fsp.readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  },
  readDir: async (path) =>
    (await fsp.readdir(path, { withFileTypes: true })).map((d) => ({ name: d.name, isDirectory: d.isDirectory() })),
};

/** Options every reader accepts. */
export interface ReaderOptions {
  /** File access; any function left out falls back to the local disk (`readFile` defaults to `fs.promises.readFile`). */
  files?: Partial<FileSource>;
  /**
   * Leave out bad samples instead of throwing, and list them in `dataset.skipped`. Implies `validate`:
   * every label is decoded and checked and every image header read when the dataset is opened.
   */
  skipBad?: boolean;
  /**
   * Check every pair when the dataset is opened: the label decoded and range-checked, the image decoded in full
   * (a corrupt image body fails here, not when the sample is drawn) and the sizes compared.
   */
  validate?: boolean;
  /** Called after each pair checked under `validate`/`skipBad`: `done` of `total` (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/** The caller's file functions completed with the local-disk defaults. */
export function resolveFiles(files?: Partial<FileSource>): FileSource {
  return { readFile: files?.readFile ?? nodeFiles.readFile, readDir: files?.readDir ?? nodeFiles.readDir };
}

/** Lists a folder; a missing folder (or a file in its place) is a FormatError naming the folder and its role. */
export async function listDir(files: FileSource, dir: string, role: string, fn: string): Promise<DirEntry[]> {
  try {
    const entries = await files.readDir(dir);
    return entries.sort((a, b) => compareNames(a.name, b.name));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new FormatError(`${fn}: missing folder '${dir}' (${role})`);
    if (code === 'ENOTDIR') throw new FormatError(`${fn}: '${dir}' is a file, expected a folder (${role})`);
    throw new FormatError(
      `${fn}: cannot list folder '${dir}' (${role}): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** True when `dir` can be listed. */
export async function isDir(files: FileSource, dir: string): Promise<boolean> {
  try {
    await files.readDir(dir);
    return true;
  } catch {
    return false;
  }
}

/** Every file below `dir`, as paths relative to it with '/' separators, sorted. */
export async function walkFiles(files: FileSource, dir: string, role: string, fn: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const e of await listDir(files, rel ? join(dir, rel) : dir, role, fn)) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await visit(child);
      else out.push(child);
    }
  };
  await visit('');
  return out.sort(compareNames);
}

/** Reads a whole file; a missing file is a FormatError naming it and its role. */
export async function readBytes(files: FileSource, path: string, role: string, fn: string): Promise<Uint8Array> {
  try {
    return await files.readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new FormatError(`${fn}: missing file '${path}' (${role})`);
    throw new FormatError(
      `${fn}: cannot read '${path}' (${role}): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Reads a UTF-8 text file (class lists, split lists, JSON). */
export async function readText(files: FileSource, path: string, role: string, fn: string): Promise<string> {
  return new TextDecoder('utf-8').decode(await readBytes(files, path, role, fn));
}

/** Byte-order comparison of names (locale-independent, so listings are the same on every machine). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The name without its last extension: `a/b.png` → `a/b`. */
export function stripExt(name: string): string {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  return dot > slash + 1 ? name.slice(0, dot) : name;
}

/** The lower-case extension without the dot: `x.JPG` → `jpg`; '' if none. */
export function extOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** Extensions accepted as photos. */
export const IMAGE_EXTS: ReadonlySet<string> = new Set(['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff']);
