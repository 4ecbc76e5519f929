/**
 * A sorted run of (key, count) pairs, varint-coded: the compressed storage of the streaming tie table
 * (`tie-stream.ts`). Keys are uint32 in strictly increasing order, counts positive integers. Each entry is
 * `varint(2·Δkey + (count > 1))`, followed by `varint(count − 1)` when the flag is set (Δkey from the previous key,
 * from 0 for the first), so a score seen once costs one to three bytes, and a score seen many times costs the same
 * plus its count. Runs merge in one forward pass (equal keys add their counts); nothing is ever decoded whole.
 */

/** An immutable run. `bytes` holds exactly the coded entries. */
export interface CountRun {
  bytes: Uint8Array;
  /** Number of distinct keys. */
  entries: number;
  /** Sum of the counts. */
  total: number;
}

/** An empty run. */
export const EMPTY_RUN: CountRun = { bytes: new Uint8Array(0), entries: 0, total: 0 };

/** Appends entries in increasing key order to a growing buffer. */
export class RunWriter {
  private buf: Uint8Array;
  private p = 0;
  private last = 0;
  private entries = 0;
  private total = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  /** Adds `count` (> 0) pixels at `key` (greater than the previous key). */
  push(key: number, count: number): void {
    if (this.p + 20 > this.buf.length) this.grow();
    const flag = count > 1 ? 1 : 0;
    this.varint((key - this.last) * 2 + flag);
    if (flag) this.varint(count - 1);
    this.last = key;
    this.entries++;
    this.total += count;
  }

  /** The run written so far (the buffer trimmed to its length). */
  finish(): CountRun {
    return { bytes: this.buf.slice(0, this.p), entries: this.entries, total: this.total };
  }

  private varint(v: number): void {
    const b = this.buf;
    let p = this.p;
    if (v < 0x80000000) {
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v >= 0x80) {
        b[p++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
    }
    b[p++] = v;
    this.p = p;
  }

  private grow(): void {
    const next = new Uint8Array(this.buf.length * 2);
    next.set(this.buf.subarray(0, this.p));
    this.buf = next;
  }
}

/** Walks a run's entries in order: `next()` loads `key` and `count`, false at the end. */
export class RunReader {
  key = 0;
  count = 0;
  private p = 0;

  constructor(private readonly run: CountRun) {}

  next(): boolean {
    const b = this.run.bytes;
    if (this.p >= b.length) return false;
    const v = this.varint(b);
    const small = v < 0x80000000;
    this.key += small ? v >>> 1 : Math.floor(v / 2);
    this.count = (small ? v & 1 : v % 2) === 1 ? this.varint(b) + 1 : 1;
    return true;
  }

  private varint(b: Uint8Array): number {
    let p = this.p;
    let byte = b[p++] as number;
    let v = byte & 0x7f;
    let scale = 0x80;
    while (byte >= 0x80) {
      byte = b[p++] as number;
      v += (byte & 0x7f) * scale;
      scale *= 0x80;
    }
    this.p = p;
    return v;
  }
}

/** The run of `keys [n]` sorted ascending (first `n` values used): equal keys become one entry with their count. */
export function runFromSorted(keys: Uint32Array, n: number): CountRun {
  const w = new RunWriter(n * 2 + 16);
  let i = 0;
  while (i < n) {
    const k = keys[i] as number;
    let j = i + 1;
    while (j < n && keys[j] === k) j++;
    w.push(k, j - i);
    i = j;
  }
  return w.finish();
}

/** One run holding both runs' pixels (equal keys add their counts). */
export function mergeRuns(a: CountRun, b: CountRun): CountRun {
  if (a.entries === 0) return b;
  if (b.entries === 0) return a;
  const w = new RunWriter(a.bytes.length + b.bytes.length);
  const ra = new RunReader(a);
  const rb = new RunReader(b);
  let ha = ra.next();
  let hb = rb.next();
  while (ha && hb) {
    if (ra.key < rb.key) {
      w.push(ra.key, ra.count);
      ha = ra.next();
    } else if (rb.key < ra.key) {
      w.push(rb.key, rb.count);
      hb = rb.next();
    } else {
      w.push(ra.key, ra.count + rb.count);
      ha = ra.next();
      hb = rb.next();
    }
  }
  for (; ha; ha = ra.next()) w.push(ra.key, ra.count);
  for (; hb; hb = rb.next()) w.push(rb.key, rb.count);
  return w.finish();
}
