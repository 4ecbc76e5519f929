/**
 * The parts of sharded evaluation that need no process group: the shards of a data set cover every image exactly
 * once in the stride order (images r, r + W, …), and a bad index is the dataset's own error. The collectives
 * themselves are exercised with real Gloo workers in data-parallel-eval.test.ts.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import type { Dataset, Sample } from '../../../src/data/sample.js';
import { ALL_SCORE_NAMES, shardByRank } from '../../../src/train/eval-reduce.js';

function numbered(length: number): Dataset {
  return {
    name: 'numbered',
    classes: ['a'],
    length,
    hasAnomaly: false,
    pairs: [],
    skipped: [],
    get: async (i: number) => ({ id: String(i) }) as unknown as Sample,
  };
}

test('shards of W ranks hold images r, r + W, … and together every image once', async () => {
  for (const n of [0, 1, 2, 5, 7, 8]) {
    for (const W of [1, 2, 3, 4, 9]) {
      const seen: string[] = [];
      for (let r = 0; r < W; r++) {
        const s = shardByRank(numbered(n), { rank: r, worldSize: W });
        const ids = await Promise.all(Array.from({ length: s.length }, async (_, i) => (await s.get(i)).id));
        assert.deepEqual(
          ids,
          Array.from({ length: n }, (_, i) => String(i)).filter((_, i) => i % W === r),
          `n ${n}, W ${W}, rank ${r}`,
        );
        seen.push(...ids);
      }
      assert.equal(seen.length, n);
      assert.equal(new Set(seen).size, n);
    }
  }
});

test('a shard rejects an index outside its own length, naming the dataset', async () => {
  const s = shardByRank(numbered(5), { rank: 1, worldSize: 2 });
  assert.equal(s.length, 2);
  await assert.rejects(async () => s.get(2), /numbered/);
});

test('every anomaly score name is listed once, sorted', () => {
  assert.deepEqual(ALL_SCORE_NAMES, [...new Set(ALL_SCORE_NAMES)].sort());
  assert.ok(ALL_SCORE_NAMES.includes('gmm') && ALL_SCORE_NAMES.includes('msp'));
});
