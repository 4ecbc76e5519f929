/**
 * A file for the frozen-backbone cache of a benchmark (e.g. `bench:heldout --frozen-cache F`), so that repeated runs on
 * the same training set skip the backbone pass: a JSON header line (one {shapes, labelSize} per entry) followed by
 * each entry's maps (float32, little-endian) and label bytes, in order. Written atomically (temp + rename).
 */
import { open, readFile, rename } from 'node:fs/promises';
import type { FrozenEntry } from '../src/train/batch.js';

interface Header {
  entries: { shapes: [number, number, number][]; labelSize: [number, number] }[];
}

/** Writes `cache` to `file`. */
export async function saveFrozenCache(file: string, cache: readonly FrozenEntry[]): Promise<void> {
  const header: Header = {
    entries: cache.map((e) => ({ shapes: e.maps.map((m) => m.shape), labelSize: e.labelSize })),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(`${JSON.stringify(header)}\n`);
    for (const e of cache) {
      for (const m of e.maps) await fh.write(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      await fh.write(e.label);
    }
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** Reads a cache written by {@link saveFrozenCache}; throws naming the file when it is truncated. */
export async function loadFrozenCache(file: string): Promise<FrozenEntry[]> {
  const buf = await readFile(file);
  const nl = buf.indexOf(10);
  const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as Header;
  let at = nl + 1;
  const take = (bytes: number): Buffer => {
    if (at + bytes > buf.length) throw new Error(`${file}: truncated frozen cache`);
    const part = buf.subarray(at, at + bytes);
    at += bytes;
    return part;
  };
  return header.entries.map((e) => {
    const maps = e.shapes.map((shape) => {
      const bytes = take(4 * shape[0] * shape[1] * shape[2]);
      const data = new Float32Array(bytes.length / 4);
      new Uint8Array(data.buffer).set(bytes);
      return { shape, data };
    });
    return { maps, label: Uint8Array.from(take(e.labelSize[0] * e.labelSize[1])), labelSize: e.labelSize };
  });
}
