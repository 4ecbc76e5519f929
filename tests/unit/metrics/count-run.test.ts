import test from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_RUN, RunReader, mergeRuns, runFromSorted, type CountRun } from '../../../src/metrics/count-run.js';
import { createRng, randInt, uniform } from '../../../src/random.js';

/** Every (key, count) of a run, decoded. */
function entries(run: CountRun): [number, number][] {
  const out: [number, number][] = [];
  const r = new RunReader(run);
  while (r.next()) out.push([r.key, r.count]);
  return out;
}

/** Brute-force (key, count) list of a multiset of keys. */
function counted(keys: number[]): [number, number][] {
  const m = new Map<number, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

test('runFromSorted round-trips keys across the whole uint32 range, with ties and large counts', () => {
  const keys = [0, 0, 1, 127, 128, 0x7fffffff, 0x80000000, 0x80000000, 0xfffffffe, 0xffffffff];
  const many = Array.from({ length: 70000 }, () => 5);
  const all = [...keys, ...many].sort((a, b) => a - b);
  const run = runFromSorted(Uint32Array.from(all), all.length);
  assert.deepEqual(entries(run), counted(all));
  assert.equal(run.total, all.length);
  assert.equal(run.entries, counted(all).length);
  // the jump 1 → 0xffffffff alone (≥ 2³¹) and the count 70000 survive coding
  assert.deepEqual(entries(runFromSorted(Uint32Array.of(1, 0xffffffff), 2)), [
    [1, 1],
    [0xffffffff, 1],
  ]);
});

test('runFromSorted uses only the first n keys', () => {
  assert.deepEqual(entries(runFromSorted(Uint32Array.of(3, 3, 9, 1), 2)), [[3, 2]]);
  assert.equal(runFromSorted(new Uint32Array(4), 0).entries, 0);
});

test('mergeRuns equals the run of the pooled keys (random keys with ties, empty runs)', () => {
  const rng = createRng(11);
  for (let trial = 0; trial < 50; trial++) {
    const draw = (): number[] => {
      const n = randInt(rng, 300);
      const range = uniform(rng) < 0.5 ? 20 : 0xffffffff;
      return Array.from({ length: n }, () => Math.floor(uniform(rng) * range)).sort((a, b) => a - b);
    };
    const a = draw();
    const b = draw();
    const merged = mergeRuns(
      runFromSorted(Uint32Array.from(a), a.length),
      runFromSorted(Uint32Array.from(b), b.length),
    );
    assert.deepEqual(entries(merged), counted([...a, ...b]), `trial ${trial}`);
    assert.equal(merged.total, a.length + b.length);
  }
  assert.equal(mergeRuns(EMPTY_RUN, EMPTY_RUN).entries, 0);
});
