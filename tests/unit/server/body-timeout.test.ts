/**
 * Issue 13 item 3: a client that trickles its body (here 1 byte every 100 ms) gets 408 'body_timeout' at the body
 * deadline, the connection is closed by the service, and its queue place is given back — raw bodies and forms.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import { freshModel, listen, multipartBody, rawRequest, serverFor } from './fixture.js';

let app: FastifyInstance;
let port: number;
let image: Buffer;
const BODY_TIMEOUT_MS = 800;

before(async () => {
  app = await serverFor(await freshModel(), { bodyTimeoutMs: BODY_TIMEOUT_MS });
  port = (await listen(app)).port;
  image = Buffer.from(encodeRgbPng({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) }));
});

after(async () => {
  await app.close();
});

/** Sends `body` 1 byte every 100 ms after the headers; the answer must come (and the socket close) within 10 s. */
async function trickle(contentType: string, body: Buffer): Promise<void> {
  const started = Date.now();
  const answer = await rawRequest(
    port,
    `POST /v1/segment HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}`,
    body,
    { chunkBytes: 1, intervalMs: 100, waitMs: 10_000 },
  );
  assert.equal(answer.status, 408, answer.head);
  assert.match(answer.head, /content-type: application\/json/i);
  assert.match(answer.head, /connection: close/i);
  const error = (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
  assert.equal(error.code, 'body_timeout');
  assert.match(error.message, new RegExp(`${BODY_TIMEOUT_MS} ms`));
  assert.equal(answer.closedByServer, true);
  assert.ok(Date.now() - started < 10_000);
  assert.deepEqual(app.workQueue.stats(), { running: 0, waiting: 0 });
}

test('a raw image body trickled byte by byte gets 408 and the connection is closed', async () => {
  await trickle('image/png', image);
});

test('a multipart form trickled byte by byte gets 408 and the connection is closed', async () => {
  const form = multipartBody([{ field: 'image', filename: 'x.png', type: 'image/png', data: image }]);
  await trickle(form.contentType, form.body);
});

test('a complete body sent at once is served', async () => {
  const res = await fetch(`http://127.0.0.1:${port}/v1/segment`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: image,
  });
  assert.equal(res.status, 200, await res.text());
});
