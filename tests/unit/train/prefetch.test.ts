import test from 'node:test';
import assert from 'node:assert/strict';
import { prefetch } from '../../../src/train/prefetch.js';

test('prefetch yields every item in order with at most `depth` requests ahead of the consumer', async () => {
  let requested = 0;
  let consumed = 0;
  let maxAhead = 0;
  const get = async (i: number): Promise<number> => {
    requested++;
    maxAhead = Math.max(maxAhead, requested - consumed);
    await new Promise((r) => setTimeout(r, (7 - i) % 3));
    return i * 10;
  };
  const out: number[] = [];
  for await (const v of prefetch(7, get, 2)) {
    consumed++;
    out.push(v);
  }
  assert.deepEqual(out, [0, 10, 20, 30, 40, 50, 60]);
  assert.equal(maxAhead, 3); // the item being handed over plus two queued
  assert.deepEqual(await collect(prefetch(0, get)), []);
});

test('a failed item throws when reached; a consumer that stops early leaves no unhandled rejection', async () => {
  const get = async (i: number): Promise<number> => {
    if (i === 2) throw new Error(`item ${i} is broken`);
    return i;
  };
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const v of prefetch(5, get, 2)) seen.push(v);
  }, /item 2 is broken/);
  assert.deepEqual(seen, [0, 1]);
  let unhandled = 0;
  const onUnhandled = (): void => void unhandled++;
  process.on('unhandledRejection', onUnhandled);
  for await (const v of prefetch(5, get, 3)) if (v === 0) break; // item 2 fails while queued
  await new Promise((r) => setTimeout(r, 20));
  process.off('unhandledRejection', onUnhandled);
  assert.equal(unhandled, 0);
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}
