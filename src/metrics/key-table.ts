/**
 * Exact counts of uint32 keys, the storage of the streaming tie table (`tie-stream.ts`): how many pixels carry each
 * key, for a whole data set, without a per-pixel array of the set and without sorting on the way in.
 *
 * A key is split into its high 16 bits (the bucket) and its low 16 bits. Each bucket holds either
 * - a list of the low halves of its keys, in arrival order (2 bytes per pixel: a Uint16Array that doubles), or,
 *   once the list would exceed {@link DENSE_AT} entries,
 * - a dense count table of all 65 536 low halves (a Uint32Array, 256 KiB — the size of a full list), incremented
 *   in place.
 * Adding a pixel is therefore O(1) (an append or an increment) and memory per bucket never exceeds 256 KiB: the
 * table holds min(2 bytes per pixel, 256 KiB per occupied bucket). For float32 scores a bucket is 1/128 of an
 * octave, so a data set whose scores span s octaves occupies at most 128·s buckets per class whatever its size.
 * Reading walks the buckets in increasing order and sorts (or counts) each list once: entries come out in
 * increasing key order, each distinct key once with its total count — exactly what sorting every key would give.
 */

const BUCKETS = 0x10000;
/** A bucket's list turns into a dense count table when it would hold more entries than this (same bytes). */
export const DENSE_AT = 0x20000;
/** Lists at least this long are read by counting into a scratch table rather than by sorting. */
const COUNT_SORT_AT = 0x2000;

/** The (low half, count) entries of one bucket in increasing order; `n` entries are valid. */
export interface BucketEntries {
  lows: Uint16Array;
  counts: Float64Array;
  n: number;
}

/** Exact key → count table (see the module comment). */
export class KeyTable {
  private readonly lists: (Uint16Array | undefined)[] = new Array(BUCKETS);
  private readonly lens = new Uint32Array(BUCKETS);
  private readonly dense: (Float64Array | Uint32Array | undefined)[] = new Array(BUCKETS);
  private readonly arriving = new Uint32Array(BUCKETS);
  private scratch: Uint32Array | undefined;
  private pixels = 0;
  /** Set once the table could hold 2³² pixels: dense tables are float64 from then on (no count can wrap). */
  private wide = false;

  /** Adds one pixel per key of `keys [n]` (first `n` values). */
  addKeys(keys: Uint32Array, n: number): void {
    if (!this.wide && this.pixels + n > 0xffffffff) this.widenAll();
    const arriving = this.arriving;
    for (let i = 0; i < n; i++) arriving[(keys[i] as number) >>> 16]++;
    for (let b = 0; b < BUCKETS; b++) if ((arriving[b] as number) > 0) this.reserve(b, arriving[b] as number);
    arriving.fill(0);
    const { lists, lens, dense } = this;
    for (let i = 0; i < n; i++) {
      const k = keys[i] as number;
      const b = k >>> 16;
      const d = dense[b];
      if (d !== undefined) d[k & 0xffff]++;
      else (lists[b] as Uint16Array)[lens[b]++] = k & 0xffff;
    }
    this.pixels += n;
  }

  /** Adds `count` (a positive integer) pixels at `key`. */
  addCount(key: number, count: number): void {
    const b = key >>> 16;
    if (!this.wide && this.pixels + count > 0xffffffff) this.widenAll();
    if (this.dense[b] === undefined && count > 1) this.densify(b);
    const d = this.dense[b];
    if (d !== undefined) d[key & 0xffff] += count;
    else {
      this.reserve(b, 1);
      (this.lists[b] as Uint16Array)[this.lens[b]++] = key & 0xffff;
    }
    this.pixels += count;
  }

  /** Pixels added so far. */
  get total(): number {
    return this.pixels;
  }

  /** Bytes held by the lists and dense tables (the fixed per-table index, 512 KiB, not counted). */
  get bytes(): number {
    let s = 0;
    for (let b = 0; b < BUCKETS; b++) s += (this.lists[b]?.byteLength ?? 0) + (this.dense[b]?.byteLength ?? 0);
    return s;
  }

  /** Whether bucket `b` holds any pixel. */
  occupied(b: number): boolean {
    return this.dense[b] !== undefined || (this.lens[b] as number) > 0;
  }

  /** The entries of bucket `b` in increasing order, written into `out` (grown as needed). */
  entries(b: number, out: BucketEntries): BucketEntries {
    const d = this.dense[b];
    const len = this.lens[b] as number;
    if (d === undefined && len < COUNT_SORT_AT) return sortedEntries((this.lists[b] as Uint16Array).slice(0, len), out);
    let counts: Float64Array | Uint32Array;
    if (d !== undefined) counts = d;
    else {
      counts = this.scratch ??= new Uint32Array(BUCKETS);
      const list = this.lists[b] as Uint16Array;
      for (let i = 0; i < len; i++) counts[list[i] as number]++;
    }
    const res = fit(out, BUCKETS);
    let n = 0;
    for (let low = 0; low < BUCKETS; low++) {
      const c = counts[low] as number;
      if (c === 0) continue;
      res.lows[n] = low;
      res.counts[n++] = c;
    }
    if (d === undefined) counts.fill(0);
    res.n = n;
    return res;
  }

  private reserve(b: number, more: number): void {
    if (this.dense[b] !== undefined) return;
    const len = this.lens[b] as number;
    const list = this.lists[b];
    if (len + more > DENSE_AT) return this.densify(b);
    if (list !== undefined && len + more <= list.length) return;
    const next = new Uint16Array(Math.min(DENSE_AT, Math.max(16, 2 * (list?.length ?? 0), len + more)));
    if (list !== undefined) next.set(list.subarray(0, len));
    this.lists[b] = next;
  }

  private densify(b: number): void {
    const d = this.wide ? new Float64Array(BUCKETS) : new Uint32Array(BUCKETS);
    const list = this.lists[b];
    const len = this.lens[b] as number;
    for (let i = 0; i < len; i++) d[(list as Uint16Array)[i] as number]++;
    this.dense[b] = d;
    this.lists[b] = undefined;
    this.lens[b] = 0;
  }

  /** Before the total can pass 2³² − 1: every dense table becomes float64, so no count can wrap. */
  private widenAll(): void {
    this.wide = true;
    for (let b = 0; b < BUCKETS; b++) {
      const d = this.dense[b];
      if (d instanceof Uint32Array) this.dense[b] = Float64Array.from(d);
    }
  }
}

/** A fresh entries buffer. */
export function bucketEntries(): BucketEntries {
  return { lows: new Uint16Array(0), counts: new Float64Array(0), n: 0 };
}

function fit(out: BucketEntries, capacity: number): BucketEntries {
  if (out.lows.length >= capacity) return out;
  out.lows = new Uint16Array(capacity);
  out.counts = new Float64Array(capacity);
  return out;
}

function sortedEntries(lows: Uint16Array, out: BucketEntries): BucketEntries {
  lows.sort();
  const res = fit(out, lows.length);
  let n = 0;
  let i = 0;
  while (i < lows.length) {
    const v = lows[i] as number;
    let j = i + 1;
    while (j < lows.length && lows[j] === v) j++;
    res.lows[n] = v;
    res.counts[n++] = j - i;
    i = j;
  }
  res.n = n;
  return res;
}
