/**
 * Issue 13 item 1: inference runs in worker processes, so the service stays responsive while a large image is
 * segmented; a request over its timeout is answered 504 and its work is killed; memory returns to its baseline
 * after a large request (the worker is recycled); a crashed worker is replaced.
 */
import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import type { HealthBody } from '../../../src/server/info.js';
import type { SegmentResponse } from '../../../src/server/segment.js';
import { expectError, freshModel, postImage, serverFor } from './fixture.js';

let loaded: Awaited<ReturnType<typeof freshModel>>;

before(async () => {
  loaded = await freshModel();
});

/** An all-zero PNG of `size`×`size` (a few KB: it compresses to nothing). */
function zeroPng(size: number): Buffer {
  return Buffer.from(encodeRgbPng({ width: size, height: size, data: new Uint8Array(size * size * 3) }));
}

async function health(app: FastifyInstance): Promise<HealthBody> {
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res.statusCode, 200);
  return res.json() as HealthBody;
}

/** Polls until `ok()` (every 20 ms); fails after `limitMs` naming `what`. */
async function until(ok: () => boolean | Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when the one worker is ready and is not `oldPid`. */
async function newIdleWorker(app: FastifyInstance, oldPid: number | null): Promise<number> {
  let pid: number | null = null;
  await until(() => {
    const w = app.workerPool.stats()[0];
    pid = w?.pid ?? null;
    return w?.state === 'idle' && pid !== oldPid;
  }, 'a replacement worker');
  return pid as unknown as number;
}

test('/healthz answers while a 4000×4000 image is segmented; over the timeout it is 504 and the worker is replaced', async () => {
  // (that the replacement serves the next request is shown by the crash test below, without a tight timeout)
  const app = await serverFor(loaded, { requestTimeoutMs: 1500, maxImagePixels: 16_000_000 });
  try {
    const before = app.workerPool.stats()[0]?.pid ?? null;
    let settled = false;
    const pending = postImage(app, zeroPng(4000)).finally(() => void (settled = true));
    await until(() => app.workQueue.stats().running === 1, 'the job to start');
    const h = await health(app);
    assert.equal(settled, false, 'the health answer came only after the segmentation');
    assert.deepEqual(h.queue, { running: 1, waiting: 0 });
    assert.equal(h.workers[0]?.state, 'busy');
    expectError(await pending, 504, 'timeout', /1500 ms/);
    const after = await newIdleWorker(app, before);
    assert.notEqual(after, before);
    assert.deepEqual((await health(app)).queue, { running: 0, waiting: 0 });
  } finally {
    await app.close();
  }
});

test('after a large request the worker is recycled and the service memory returns to its baseline', async () => {
  const recycle = 64 * 1024 * 1024;
  const app = await serverFor(loaded, { workerRecycleBytes: recycle });
  try {
    const base = await health(app);
    const pid = base.workers[0]?.pid ?? null;
    const res = await postImage(app, zeroPng(700));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((res.json() as SegmentResponse).width, 700);
    await newIdleWorker(app, pid);
    const after = await health(app);
    assert.ok(
      after.rssBytes < base.rssBytes + recycle,
      `service RSS ${after.rssBytes} after, ${base.rssBytes} before the large request`,
    );
    assert.ok((after.workers[0]?.rssBytes ?? Infinity) < (base.workers[0]?.rssBytes ?? 0) + recycle);
    // a small request does not recycle
    const small = await postImage(app, zeroPng(32));
    assert.equal(small.statusCode, 200);
    assert.equal((await health(app)).workers[0]?.pid, after.workers[0]?.pid);
  } finally {
    await app.close();
  }
});

test('a worker that dies during a request: that request is a logged 500, the worker is replaced, the next is served', async () => {
  const app = await serverFor(loaded);
  try {
    const pid = app.workerPool.stats()[0]?.pid ?? null;
    const pending = postImage(app, zeroPng(2000));
    await until(() => app.workQueue.stats().running === 1, 'the job to start');
    process.kill(pid as number, 'SIGKILL');
    expectError(await pending, 500, 'internal', /worker stopped/);
    await newIdleWorker(app, pid);
    assert.equal((await postImage(app, zeroPng(32))).statusCode, 200);
    assert.deepEqual((await health(app)).queue, { running: 0, waiting: 0 });
  } finally {
    await app.close();
  }
});
