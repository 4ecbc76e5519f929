/**
 * A small prefetch queue: items `0..count-1` are requested (`get(i)`, e.g. a dataset's decode) up to `depth` ahead
 * of the consumer, so that asynchronous work (file reads, sharp decoding on libuv's threads) runs while the consumer
 * computes. Items come out in order; an item's failure is thrown when the consumer reaches it (never reported as an
 * unhandled rejection, even when the consumer stops early).
 */

/** Yields `get(0)`, …, `get(count − 1)` in order with at most `depth` (≥ 1) requests outstanding ahead. */
export async function* prefetch<T>(count: number, get: (i: number) => Promise<T>, depth = 2): AsyncGenerator<T> {
  const queue: Promise<T>[] = [];
  let next = 0;
  const request = (): void => {
    const p = get(next++);
    p.catch(() => undefined); // handled when awaited below; avoids an unhandled rejection if the consumer stops first
    queue.push(p);
  };
  while (queue.length < Math.max(1, depth) && next < count) request();
  while (queue.length > 0) {
    const item = await (queue.shift() as Promise<T>);
    if (next < count) request();
    yield item;
  }
}
