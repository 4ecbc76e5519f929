import test from 'node:test';
import assert from 'node:assert/strict';
import { QueueCancelledError, QueueFullError, WorkQueue } from '../../../src/server/work-queue.js';

/** A job that finishes when `release()` is called. */
function gate(): { job: () => Promise<string>; release: (v: string) => void; started: () => boolean } {
  let resolve!: (v: string) => void;
  let started = false;
  const done = new Promise<string>((r) => (resolve = r));
  return {
    job: () => {
      started = true;
      return done;
    },
    release: (v) => resolve(v),
    started: () => started,
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('one job runs at a time, waiting jobs start in FIFO order', async () => {
  const q = new WorkQueue(3);
  const order: string[] = [];
  const gates = [gate(), gate(), gate()];
  const runs = gates.map((g, i) =>
    q.run(async () => {
      order.push(`start ${i}`);
      const v = await g.job();
      order.push(`end ${i}`);
      return v;
    }),
  );
  await tick();
  assert.deepEqual(q.stats(), { running: 1, waiting: 2 });
  assert.deepEqual([gates[1]?.started(), gates[2]?.started()], [false, false]);
  gates[0]?.release('a');
  await tick();
  assert.deepEqual(q.stats(), { running: 1, waiting: 1 });
  gates[1]?.release('b');
  gates[2]?.release('c');
  assert.deepEqual(await Promise.all(runs), ['a', 'b', 'c']);
  assert.deepEqual(order, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  assert.deepEqual(q.stats(), { running: 0, waiting: 0 });
});

test('a full queue refuses at once with a Retry-After estimate of at least 1 s', async () => {
  const q = new WorkQueue(1);
  const g = gate();
  const first = q.run(g.job);
  const second = q.run(async () => 'second');
  await assert.rejects(
    q.run(async () => 'third'),
    (e: unknown) => e instanceof QueueFullError && e.retryAfterSeconds >= 1 && e.waiting === 1,
  );
  g.release('first');
  assert.deepEqual(await Promise.all([first, second]), ['first', 'second']);
  const zero = new WorkQueue(0);
  const g2 = gate();
  const only = zero.run(g2.job);
  await assert.rejects(
    zero.run(async () => 1),
    QueueFullError,
  );
  g2.release('only');
  assert.equal(await only, 'only');
});

test('a failing job frees its slot and the next one runs', async () => {
  const q = new WorkQueue(2);
  const failing = q.run(async () => {
    throw new Error('boom');
  });
  const next = q.run(async () => 'next');
  await assert.rejects(failing, /boom/);
  assert.equal(await next, 'next');
  assert.deepEqual(q.stats(), { running: 0, waiting: 0 });
});

test('an aborted signal takes a waiting job out of the line; a running job is not interrupted', async () => {
  const q = new WorkQueue(2);
  const g = gate();
  const controller = new AbortController();
  const running = q.run(g.job, controller.signal);
  const waitingController = new AbortController();
  let ran = false;
  const waiting = q.run(async () => void (ran = true), waitingController.signal);
  await tick();
  waitingController.abort();
  await assert.rejects(waiting, QueueCancelledError);
  assert.deepEqual(q.stats(), { running: 1, waiting: 0 });
  controller.abort();
  g.release('done');
  assert.equal(await running, 'done');
  assert.equal(ran, false);
  await assert.rejects(
    q.run(async () => 1, AbortSignal.abort()),
    QueueCancelledError,
  );
});

test('onIdle resolves when the last job ends', async () => {
  const q = new WorkQueue(1);
  await q.onIdle();
  const g = gate();
  const run = q.run(g.job);
  let idle = false;
  const waiter = q.onIdle().then(() => void (idle = true));
  await tick();
  assert.equal(idle, false);
  g.release('x');
  await run;
  await waiter;
  assert.equal(idle, true);
  assert.throws(() => new WorkQueue(-1), RangeError);
});
