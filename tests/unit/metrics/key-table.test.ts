import test from 'node:test';
import assert from 'node:assert/strict';
import { DENSE_AT, KeyTable, bucketEntries } from '../../../src/metrics/key-table.js';
import { createRng, randInt, uniform } from '../../../src/random.js';

/** Every (key, count) of a table, in increasing key order. */
function entriesOf(t: KeyTable): [number, number][] {
  const out: [number, number][] = [];
  const e = bucketEntries();
  for (let b = 0; b < 0x10000; b++) {
    if (!t.occupied(b)) continue;
    t.entries(b, e);
    for (let i = 0; i < e.n; i++) out.push([b * 0x10000 + (e.lows[i] as number), e.counts[i] as number]);
  }
  return out;
}

/** The naive oracle: a Map of counts, sorted by key. */
function naive(keys: number[], extra: [number, number][] = []): [number, number][] {
  const m = new Map<number, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  for (const [k, c] of extra) m.set(k, (m.get(k) ?? 0) + c);
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

test('hand-computed: keys in two buckets come out sorted with their counts', () => {
  const t = new KeyTable();
  t.addKeys(Uint32Array.of(0x00010005, 7, 0x00010005, 0xffffffff, 3, 7, 9), 6);
  assert.deepEqual(entriesOf(t), [
    [3, 1],
    [7, 2],
    [0x00010005, 2],
    [0xffffffff, 1],
  ]);
  assert.equal(t.total, 6);
});

test('differential: list, counted and dense buckets and addCount equal a naive count (random keys)', () => {
  const rng = createRng(11);
  for (let trial = 0; trial < 6; trial++) {
    const t = new KeyTable();
    const all: number[] = [];
    const extra: [number, number][] = [];
    // A few hot buckets (some past DENSE_AT, some past the count-sort size), the rest spread over all keys.
    const hot = Array.from({ length: 3 }, () => randInt(rng, 0x10000));
    for (let batch = 0; batch < 4; batch++) {
      const n = trial < 2 ? 50_000 : 1 + randInt(rng, 3000);
      const keys = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const u = uniform(rng);
        const b = u < 0.8 ? (hot[randInt(rng, 3)] as number) : randInt(rng, 0x10000);
        keys[i] = b * 0x10000 + (u < 0.4 ? randInt(rng, 40) : randInt(rng, 0x10000));
        all.push(keys[i] as number);
      }
      t.addKeys(keys, n);
      const k = (hot[0] as number) * 0x10000 + randInt(rng, 0x10000);
      const c = 1 + randInt(rng, 3);
      t.addCount(k, c);
      extra.push([k, c]);
    }
    assert.deepEqual(entriesOf(t), naive(all, extra), `trial ${trial}`);
    assert.equal(t.total, all.length + extra.reduce((s, [, c]) => s + c, 0));
  }
});

test('a bucket past DENSE_AT turns dense: its bytes stop growing and its counts stay exact', () => {
  const t = new KeyTable();
  const keys = new Uint32Array(DENSE_AT).fill(0x12340000);
  t.addKeys(keys, DENSE_AT);
  t.addKeys(keys, DENSE_AT);
  const bytes = t.bytes;
  assert.ok(bytes <= 4 * 0x10000, `${bytes}`);
  for (let i = 0; i < 5; i++) t.addKeys(keys, DENSE_AT);
  assert.equal(t.bytes, bytes);
  assert.deepEqual(entriesOf(t), [[0x12340000, 7 * DENSE_AT]]);
});
