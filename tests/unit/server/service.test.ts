import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { DATASET_PALETTES } from '../../../src/data/palettes.js';
import type { RgbImage } from '../../../src/data/sample.js';
import { paletteFor } from '../../../src/infer/palette.js';
import type { HealthBody, ModelInfo } from '../../../src/server/info.js';
import { expectError, loadTinyModel, png, postImage, sceneImages, serverFor } from './fixture.js';

let loaded: Awaited<ReturnType<typeof loadTinyModel>>;
let image: Buffer;

before(async () => {
  loaded = await loadTinyModel();
  image = png((await sceneImages(1, 64))[0] as RgbImage);
});

after(async () => {
  await rm(loaded.dir, { recursive: true, force: true });
});

/** Occupies the queue's running slot until `release()`. */
function block(app: FastifyInstance): { release: () => void; done: Promise<void> } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { release, done: app.workQueue.run(() => gate) };
}

/** Resolves when the queue has `waiting` requests in line. */
async function untilWaiting(app: FastifyInstance, waiting: number): Promise<void> {
  while (app.workQueue.stats().waiting < waiting) await new Promise((r) => setTimeout(r, 5));
}

test('GET /healthz and GET /v1/model', async () => {
  const app = await serverFor(loaded);
  try {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    const h = health.json() as HealthBody;
    const worker = h.workers[0];
    assert.ok(worker !== undefined && h.workers.length === 1);
    assert.deepEqual(
      { ...h, rssBytes: 0, workers: [] },
      { status: 'ok', engine: loaded.engine, queue: { running: 0, waiting: 0 }, rssBytes: 0, workers: [] },
    );
    assert.ok(Number.isInteger(worker.pid) && worker.state === 'idle' && worker.rssBytes > 1e6, JSON.stringify(worker));
    // the service's memory: this process and its worker
    assert.ok(Number.isInteger(h.rssBytes) && h.rssBytes > worker.rssBytes);
    const info = (await app.inject({ method: 'GET', url: '/v1/model' })).json() as ModelInfo;
    const palette = paletteFor(loaded.model.classes, DATASET_PALETTES);
    assert.deepEqual(
      info.classes,
      loaded.model.classes.map((name, index) => ({ index, name, color: [...(palette[index] ?? [])] })),
    );
    const cal = loaded.file.calibration as { score: string; threshold: number; inlierMedian: number };
    assert.deepEqual(
      [info.head, info.extractor, info.score, info.threshold, info.engine],
      ['gmm', 'mbv3', cal.score, cal.threshold, loaded.engine],
    );
    assert.deepEqual(info.heatScale, { min: cal.inlierMedian, max: 2 * cal.threshold - cal.inlierMedian });
    assert.deepEqual(info.calibration, loaded.file.calibration);
    assert.deepEqual(info.views, { scales: [1], flip: false });
    assert.deepEqual(info.metrics, loaded.file.metrics);
    assert.deepEqual(info.limits, { maxBodyBytes: 20 * 1024 * 1024, maxImagePixels: 16_000_000 });
    const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    assert.equal(res.headers['x-request-id'], 'abc-123');
  } finally {
    await app.close();
  }
});

test('a full queue answers 503 busy with Retry-After; the waiting request is then served', async () => {
  const app = await serverFor(loaded, { queueSize: 1 });
  try {
    const blocker = block(app);
    const waiting = postImage(app, image);
    await untilWaiting(app, 1);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/healthz' })).json().queue, { running: 1, waiting: 1 });
    const refused = await postImage(app, image);
    expectError(refused, 503, 'busy', /busy/);
    assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);
    blocker.release();
    assert.equal((await waiting).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('concurrent requests with no waiting room: at least one 503 with Retry-After, the others 200', async () => {
  const app = await serverFor(loaded, { queueSize: 0 });
  try {
    const replies = await Promise.all(Array.from({ length: 4 }, () => postImage(app, image)));
    const busy = replies.filter((r) => r.statusCode === 503);
    assert.ok(busy.length >= 1, `statuses: ${replies.map((r) => r.statusCode).join(', ')}`);
    for (const r of busy) {
      expectError(r, 503, 'busy');
      assert.match(String(r.headers['retry-after']), /^[1-9]\d*$/);
    }
    for (const r of replies.filter((x) => x.statusCode !== 503)) assert.equal(r.statusCode, 200, r.body);
    assert.equal((await postImage(app, image)).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('a request not answered within the timeout gets 504 and leaves the queue', async () => {
  const app = await serverFor(loaded, { requestTimeoutMs: 50 });
  try {
    const blocker = block(app);
    const res = await postImage(app, image);
    expectError(res, 504, 'timeout', /50 ms/);
    assert.deepEqual(app.workQueue.stats(), { running: 1, waiting: 0 });
    blocker.release();
    await blocker.done;
    assert.deepEqual(app.workQueue.stats(), { running: 0, waiting: 0 });
  } finally {
    await app.close();
  }
});

test('close() finishes the running and queued requests before resolving', async () => {
  const app = await serverFor(loaded);
  const blocker = block(app);
  const queued = [postImage(app, image), postImage(app, image)];
  await untilWaiting(app, 2);
  let closed = false;
  const closing = app.close().then(() => void (closed = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(closed, false);
  blocker.release();
  const replies = await Promise.all(queued);
  assert.deepEqual(
    replies.map((r) => r.statusCode),
    [200, 200],
  );
  await closing;
  assert.equal(closed, true);
});

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'cli', 'main.js');

test('gmmseg serve: prints its URL for --port 0, logs JSON lines with request ids, SIGTERM finishes in-flight work and exits 0', async () => {
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--model', loaded.modelPath, '--port', '0', '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (cond: () => boolean, what: string): Promise<void> => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > 120_000 || child.exitCode !== null)
        throw new Error(`gave up waiting for ${what}; stdout: ${out}; stderr: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitFor(() => /\n/.test(out), 'the listening line');
  const m = /^gmmseg serve: http:\/\/127\.0\.0\.1:(\d+) \(engine (\S+), model (.+)\)\n$/.exec(out);
  assert.ok(m, out);
  assert.equal(m[2], loaded.engine);
  assert.equal(m[3], loaded.modelPath);
  const base = `http://127.0.0.1:${m[1]}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const inflight = fetch(`${base}/v1/segment`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: image,
  });
  await waitFor(() => /"url":"\/v1\/segment"/.test(err), 'the segment request to arrive');
  child.kill('SIGTERM');
  const res = await inflight;
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { width: number }).width, 64);
  assert.equal(await exited, 0);
  const lines = err.split('\n').filter((l) => l.startsWith('{'));
  const requestLines = lines
    .map((l) => JSON.parse(l) as { reqId?: string; msg: string })
    .filter((l) => l.msg === 'request completed');
  assert.ok(requestLines.length >= 2 && requestLines.every((l) => typeof l.reqId === 'string'), err);
});

test('gmmseg serve: user errors are one line and exit code 1', async () => {
  const run = (args: string[]): Promise<{ code: number | null; err: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [MAIN, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
      child.on('exit', (code) => resolve({ code, err }));
    });
  const missing = await run(['--model', path.join(loaded.dir, 'missing.gmmseg'), '--port', '0']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^gmmseg serve: '.*missing\.gmmseg': cannot read/);
  const badPort = await run(['--model', loaded.modelPath, '--port', '99999']);
  assert.equal(badPort.code, 1);
  assert.equal(badPort.err, "gmmseg serve: --port must be an integer in 0..65535, got '99999'\n");
  const badQueue = await run(['--model', loaded.modelPath, '--queue', '-2']);
  assert.equal(badQueue.code, 1);
  assert.match(badQueue.err, /^gmmseg serve: --queue must be a non-negative integer, got '-2'\n$/);
});
