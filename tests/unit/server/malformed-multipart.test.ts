/**
 * Issue 13 item 4: malformed multipart forms are the client's error — 400 JSON with a code (never a 500), and the
 * service goes on serving.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import type { RgbImage } from '../../../src/data/sample.js';
import { expectError, freshModel, listen, multipartBody, png, postImage, sceneImages, serverFor } from './fixture.js';

let loaded: Awaited<ReturnType<typeof freshModel>>;
let app: FastifyInstance;
let image: Buffer;
let form: { body: Buffer; contentType: string };

before(async () => {
  loaded = await freshModel();
  app = await serverFor(loaded);
  image = Buffer.from(encodeRgbPng({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 3).fill(7) }));
  form = multipartBody([{ field: 'image', filename: 'x.png', type: 'image/png', data: image }]);
});

after(async () => {
  await app.close();
});

function send(contentType: string, body: Buffer): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/v1/segment', headers: { 'content-type': contentType }, payload: body });
}

async function stillServes(): Promise<void> {
  assert.equal((await postImage(app, image)).statusCode, 200);
}

test('a form without a boundary parameter is 400 malformed_multipart', async () => {
  expectError(await send('multipart/form-data', form.body), 400, 'malformed_multipart', /boundary/i);
  await stillServes();
});

test('a form cut inside its file part, or before its closing boundary, is 400 with a code', async () => {
  const fileStart = form.body.indexOf(image.subarray(0, 8));
  for (const cut of [fileStart + 5, fileStart + image.length + 2, form.body.length - 8, 60]) {
    const res = await send(form.contentType, form.body.subarray(0, cut));
    assert.equal(res.statusCode, 400, `cut at ${cut}: ${res.body}`);
    const code = (res.json() as { error: { code: string } }).error.code;
    assert.ok(['malformed_multipart', 'bad_request'].includes(code), `cut at ${cut}: ${res.body}`);
    expectError(res, 400, code);
  }
  await stillServes();
});

test('a form whose boundary differs from the header, or with garbled part headers, is 400', async () => {
  const other = form.contentType.replace(/boundary=.*/, 'boundary=not-the-one-used');
  expectError(await send(other, form.body), 400, 'bad_request', /no file in field 'image'/);
  const garbled = Buffer.from(
    form.body.toString('latin1').replace('Content-Disposition: form-data;', 'Content-Disp\x00\x01'),
    'latin1',
  );
  const res = await send(form.contentType, garbled);
  assert.equal(res.statusCode, 400, res.body);
  await stillServes();
});

test('over HTTP, complete bodies whose file part has no end are 400 at once, not held until the body deadline', async () => {
  const server = await serverFor(loaded, { bodyTimeoutMs: 20_000 });
  const { url } = await listen(server);
  try {
    const scene = png((await sceneImages(1))[0] as RgbImage);
    const side = 200;
    const noisy = png({
      width: side,
      height: side,
      data: new Uint8Array(side * side * 3).map((_, i) => (i * 131) % 251),
    });
    for (const file of [scene, noisy]) {
      const head = Buffer.from(
        `--B\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`,
      );
      for (const cut of [
        Buffer.concat([head, file]).subarray(0, head.length + file.length - 10),
        Buffer.concat([head, file]),
      ]) {
        const started = Date.now();
        const res = await fetch(`${url}/v1/segment`, {
          method: 'POST',
          headers: { 'content-type': 'multipart/form-data; boundary=B' },
          body: cut,
        });
        const body = await res.text();
        assert.equal(res.status, 400, body);
        assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'malformed_multipart', body);
        assert.ok(Date.now() - started < 20_000, 'answered by the body deadline instead');
      }
    }
  } finally {
    await server.close();
  }
});
