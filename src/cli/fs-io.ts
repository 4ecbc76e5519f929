/**
 * Node file handlers around the pure `.gmmseg` codec: atomic writes and model reads whose errors name the file.
 * Every expected failure (missing file, folder given, no permission, bad or corrupt file) is a `FormatError`
 * whose message starts with the quoted path, so the CLI can print it as one line.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FormatError } from '../errors.js';
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

/**
 * Writes `bytes` to `path` atomically: a temp file in the same folder, fsync, rename over `path`, then a
 * best-effort fsync of the folder. Readers see the old file or the new one, never a partial one; on failure
 * the temp file is removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  tempCounter += 1;
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${tempCounter}.tmp`);
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
  }
  await syncFolder(dir);
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
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw fileError(e, path, 'read');
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw fileError(Object.assign(new Error('is a directory'), { code: 'EISDIR' }), path, 'read');
    const preamble = decodePreamble(await readPrefix(handle, Math.min(st.size, PREAMBLE_BYTE_LENGTH)));
    const headerEnd = PREAMBLE_BYTE_LENGTH + preamble.headerByteLength;
    const header = decodeHeader(await readPrefix(handle, Math.min(st.size, headerEnd)));
    checkFileByteLength(preamble, header, st.size);
    return header;
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
};

/** Turns a Node errno error into a FormatError naming the file; anything else passes through. */
function fileError(e: unknown, path: string, action: 'read' | 'write'): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (!(e instanceof Error) || typeof code !== 'string') return e;
  return new FormatError(`'${path}': cannot ${action}: ${REASONS[code] ?? e.message} (${code})`);
}
