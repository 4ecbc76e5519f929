/**
 * Issue 13 item 2: the queue limit is counted from each request's arrival (a request still sending its body holds
 * its place), refused requests are answered 503 at once, and the time a request waited is reported.
 */
import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import type { SegmentResponse } from '../../../src/server/segment.js';
import { freshModel, listen, rawRequest, serverFor } from './fixture.js';

let loaded: Awaited<ReturnType<typeof freshModel>>;
let image: Buffer;

before(async () => {
  loaded = await freshModel();
  image = Buffer.from(encodeRgbPng({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(90) }));
});

/** Occupies the one running slot until `release()`. */
function block(app: FastifyInstance): { release: () => void; done: Promise<void> } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { release, done: app.workQueue.run(() => gate) };
}

async function until(ok: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('queue 8, one job running, 50 concurrent requests: 8 admitted, 42 answered 503 at once; queue time reported', async () => {
  const app = await serverFor(loaded, { queueSize: 8 });
  const { url } = await listen(app);
  try {
    const blocker = block(app);
    const answers: { status: number; queueHeader: string | null; body: string }[] = [];
    const requests = Array.from({ length: 50 }, async () => {
      const res = await fetch(`${url}/v1/segment`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: image,
      });
      const answer = { status: res.status, queueHeader: res.headers.get('x-queue-ms'), body: await res.text() };
      answers.push(answer);
      return answer;
    });
    // while the one slot is held nothing can finish: every answer before the release is a refusal
    await until(() => answers.length === 42, '42 answers while the slot is held');
    assert.deepEqual(app.workQueue.stats(), { running: 1, waiting: 8 });
    for (const a of answers) {
      assert.equal(a.status, 503, a.body);
      assert.equal((JSON.parse(a.body) as { error: { code: string } }).error.code, 'busy');
    }
    const heldMs = 300;
    await new Promise((r) => setTimeout(r, heldMs));
    blocker.release();
    const all = await Promise.all(requests);
    const served = all.filter((a) => a.status === 200);
    assert.equal(served.length, 8);
    for (const a of served) {
      const timing = (JSON.parse(a.body) as SegmentResponse).timingMs;
      assert.ok(timing.queue >= heldMs, `queue time ${timing.queue} ms, held ${heldMs} ms`);
      assert.equal(Number(a.queueHeader), timing.queue);
      assert.ok(timing.total >= timing.receive + timing.queue + timing.predict);
    }
    assert.deepEqual(app.workQueue.stats(), { running: 0, waiting: 0 });
  } finally {
    await app.close();
  }
});

test('a request still sending its body holds its place: the next one is refused with 503', async () => {
  const app = await serverFor(loaded, { queueSize: 1, bodyTimeoutMs: 3000 });
  const { url, port } = await listen(app);
  try {
    const blocker = block(app);
    const slow = rawRequest(
      port,
      `POST /v1/segment HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nContent-Length: ${image.length}`,
      image,
      { chunkBytes: 1, intervalMs: 200, waitMs: 10_000 },
    );
    await until(() => app.workQueue.stats().waiting === 1, 'the slow upload to be counted');
    const refused = await fetch(`${url}/v1/segment`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: image,
    });
    assert.equal(refused.status, 503);
    assert.match(String(refused.headers.get('retry-after')), /^[1-9]\d*$/);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'busy');
    blocker.release();
    assert.equal((await slow).status, 408);
    await until(() => app.workQueue.stats().waiting === 0, 'the place to be given back');
  } finally {
    await app.close();
  }
});
