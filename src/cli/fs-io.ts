/**
 * Node file handlers around the pure `.gmmseg` codec: atomic writes and model reads whose errors name the file.
 * Every expected failure (missing file, folder given, no permission, bad or corrupt file) is a `FormatError`
 * whose message starts with the quoted path, so the CLI can print it as one line.
 */
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FormatError } from '../errors.js';
import { crc32 } from '../model/crc32.js';
import {
  PREAMBLE_BYTE_LENGTH,
  checkFileByteLength,
  decodeHeader,
  decodeModel,
  decodePreamble,
  encodeModel,
} from '../model/format.js';
import type { EncodeOptions } from '../model/format.js';
import type { ModelFile, ModelHeader } from '../model/model-types.js';

let tempCounter = 0;
/** Temp files this process is writing now (never removed as stale). */
const inFlight = new Set<string>();

/** The temp file of one write of `path`: `.<name>.<pid>.<ms>.<n>.tmp` in the same folder. */
function tempPath(path: string): string {
  tempCounter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${tempCounter}.tmp`);
}

/**
 * Writes `bytes` to `path` atomically: a temp file in the same folder, fsync, rename over `path`, then a
 * best-effort fsync of the folder. Readers see the old file or the new one, never a partial one; on failure
 * the temp file is removed and `path` is untouched (a killed process leaves it: see {@link removeStaleTemps}).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = tempPath(path);
  inFlight.add(tmp);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw fileError(e, path, 'write');
  } finally {
    inFlight.delete(tmp);
  }
  await syncFolder(dir);
}

/** A temp file removed by {@link removeStaleTemps}. */
export interface RemovedTemp {
  file: string;
  bytes: number;
}

/**
 * Removes the temp files that interrupted atomic writes of `targets` left behind (a process killed between the
 * temp file's creation and the rename): `.<name>.<pid>.<ms>.<n>.tmp` beside each target whose writer process is
 * gone. Temp files of a live process (another run writing the same target, or this one) are kept; a missing
 * folder has none. Returns what was removed.
 */
export async function removeStaleTemps(targets: readonly string[]): Promise<RemovedTemp[]> {
  const removed: RemovedTemp[] = [];
  const byDir = new Map<string, Set<string>>();
  for (const t of targets) byDir.set(dirname(t), (byDir.get(dirname(t)) ?? new Set()).add(basename(t)));
  for (const [dir, names] of byDir) {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const m = /^\.(.+)\.(\d+)\.\d+\.\d+\.tmp$/.exec(entry);
      if (!m || !names.has(m[1] as string)) continue;
      const file = join(dir, entry);
      if (inFlight.has(file) || processAlive(Number(m[2]))) continue;
      try {
        const { size } = await stat(file);
        await unlink(file);
        removed.push({ file, bytes: size });
      } catch (e) {
        throw fileError(e, file, 'remove');
      }
    }
  }
  return removed;
}

/** True when process `pid` exists (EPERM: it exists but belongs to someone else). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Encodes `model` and writes it atomically to `path`. */
export async function writeModelFile(path: string, model: ModelFile, options: EncodeOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeModel(model, options));
}

/** Reads and fully validates a model file (see `decodeModel`). */
export async function readModelFile(path: string): Promise<ModelFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw fileError(e, path, 'read');
  }
  try {
    return decodeModel(bytes);
  } catch (e) {
    throw namingFile(e, path);
  }
}

/**
 * Reads only the preamble and JSON header of a model file (for `inspect`), and checks the file's length
 * against the header. The tensor data and its CRC are not read.
 */
export async function readModelHeader(path: string): Promise<ModelHeader> {
  return withOpenFile(path, async (handle) => {
    const st = await handle.stat();
    if (st.isDirectory()) throw fileError(Object.assign(new Error('is a directory'), { code: 'EISDIR' }), path, 'read');
    const preamble = decodePreamble(await readPrefix(handle, Math.min(st.size, PREAMBLE_BYTE_LENGTH)));
    const headerEnd = PREAMBLE_BYTE_LENGTH + preamble.headerByteLength;
    const header = decodeHeader(await readPrefix(handle, Math.min(st.size, headerEnd)));
    checkFileByteLength(preamble, header, st.size);
    return header;
  });
}

/** Bytes read at a time when the data CRC is verified. */
const CRC_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Verifies a model file's data CRC32 against its header without holding the data in memory (read in chunks).
 * Returns the CRC; a mismatch is a FormatError naming the file (as `readModelFile` reports it).
 */
export async function verifyModelData(path: string, header: ModelHeader): Promise<number> {
  return withOpenFile(path, async (handle) => {
    const preamble = decodePreamble(await readPrefix(handle, PREAMBLE_BYTE_LENGTH));
    const buf = new Uint8Array(CRC_CHUNK_BYTES);
    let crc = 0;
    for (let done = 0; done < header.dataByteLength;) {
      const want = Math.min(buf.length, header.dataByteLength - done);
      const { bytesRead } = await handle.read(buf, 0, want, preamble.dataOffset + done);
      if (bytesRead === 0) throw new FormatError(`truncated: the data ends after ${done} bytes`);
      crc = crc32(buf.subarray(0, bytesRead), crc);
      done += bytesRead;
    }
    if (crc !== header.dataCrc32) {
      const hex = (v: number): string => v.toString(16).padStart(8, '0');
      throw new FormatError(`corrupt: data CRC mismatch (stored 0x${hex(header.dataCrc32)}, computed 0x${hex(crc)})`);
    }
    return crc;
  });
}

/** Opens `path` for reading, runs `fn`, closes it; errors name the file. */
async function withOpenFile<T>(path: string, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw fileError(e, path, 'read');
  }
  try {
    return await fn(handle);
  } catch (e) {
    throw namingFile(e, path);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readPrefix(handle: FileHandle, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let done = 0;
  while (done < n) {
    const { bytesRead } = await handle.read(out, done, n - done, done);
    if (bytesRead === 0) return out.subarray(0, done);
    done += bytesRead;
  }
  return out;
}

async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported on every platform (e.g. Windows); the rename itself is already atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Prefixes a codec FormatError with the file name; other errors pass through unchanged. */
function namingFile(e: unknown, path: string): unknown {
  if (!(e instanceof FormatError) || e.message.startsWith(`'${path}'`)) return e;
  return new FormatError(`'${path}': ${e.message}`);
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EEXIST: 'it already exists',
};

/** The reason of a Node errno error in words (`no such file or folder`), else its message. */
export function errnoReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return e instanceof Error ? e.message : String(e);
  return `${REASONS[code] ?? (e as Error).message} (${code})`;
}

/** Turns a Node errno error into a FormatError naming the file; anything else passes through. */
export function fileError(e: unknown, path: string, action: 'read' | 'write' | 'remove' | 'create'): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (!(e instanceof Error) || typeof code !== 'string') return e;
  return new FormatError(`'${path}': cannot ${action}: ${errnoReason(e)}`);
}
