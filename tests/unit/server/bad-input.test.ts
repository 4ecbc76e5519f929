import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { RgbImage } from '../../../src/data/sample.js';
import { createRng, randInt } from '../../../src/random.js';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../../../src/server/options.js';
import type { SegmentResponse } from '../../../src/server/segment.js';
import {
  expectError,
  loadTinyModel,
  multipartBody,
  png,
  pngHeaderOnly,
  postImage,
  sceneImages,
  serverFor,
} from './fixture.js';

let loaded: Awaited<ReturnType<typeof loadTinyModel>>;
let app: FastifyInstance;
let good: Buffer;
const LIMIT_BYTES = 256 * 1024;

before(async () => {
  loaded = await loadTinyModel();
  app = await serverFor(loaded, { maxBodyBytes: LIMIT_BYTES });
  good = png((await sceneImages(1, 64))[0] as RgbImage);
});

after(async () => {
  await app.close();
  await rm(loaded.dir, { recursive: true, force: true });
});

/** After every bad input the service still segments a good image and reports itself healthy. */
async function stillServes(): Promise<void> {
  const res = await postImage(app, good);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal((res.json() as SegmentResponse).width, 64);
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  assert.deepEqual((health.json() as { queue: unknown }).queue, { running: 0, waiting: 0 });
}

test('a truncated PNG is 422 invalid_image naming the problem', async () => {
  expectError(
    await postImage(app, good.subarray(0, Math.floor(good.length / 2))),
    422,
    'invalid_image',
    /PNG.*truncated or corrupt/,
  );
  await stillServes();
  expectError(await postImage(app, good.subarray(0, 20)), 422, 'invalid_image', /PNG file is truncated or corrupt/);
  await stillServes();
});

test('random bytes are 422 invalid_image: not a PNG, JPEG or WebP', async () => {
  const rng = createRng(6);
  const bytes = Buffer.from(Array.from({ length: 4096 }, () => randInt(rng, 256)));
  bytes[0] = 0x00; // never a valid signature by chance
  expectError(await postImage(app, bytes), 422, 'invalid_image', /not a PNG, JPEG or WebP image/);
  await stillServes();
  expectError(await postImage(app, bytes, 'image/jpeg'), 422, 'invalid_image', /not a PNG, JPEG or WebP image/);
  await stillServes();
});

test('a zero-byte body is 400 bad_request, raw or as an empty multipart file', async () => {
  expectError(await postImage(app, Buffer.alloc(0)), 400, 'bad_request', /zero-byte body/);
  await stillServes();
  const form = multipartBody([{ field: 'image', filename: 'empty.png', type: 'image/png', data: new Uint8Array(0) }]);
  expectError(
    await app.inject({
      method: 'POST',
      url: '/v1/segment',
      headers: { 'content-type': form.contentType },
      payload: form.body,
    }),
    400,
    'bad_request',
    /zero-byte body/,
  );
  await stillServes();
});

test('a 20000×20000 PNG header (decompression bomb) is 422 too_many_pixels, refused from the header', async () => {
  const bomb = pngHeaderOnly(20000, 20000);
  expectError(
    await postImage(app, bomb),
    422,
    'too_many_pixels',
    new RegExp(`20000×20000 = 400000000 pixels; the limit is ${DEFAULT_MAX_IMAGE_PIXELS} pixels`),
  );
  await stillServes();
  const form = multipartBody([{ field: 'image', filename: 'bomb.png', type: 'image/png', data: bomb }]);
  expectError(
    await app.inject({
      method: 'POST',
      url: '/v1/segment',
      headers: { 'content-type': form.contentType },
      payload: form.body,
    }),
    422,
    'too_many_pixels',
  );
  await stillServes();
});

test('wrong content types are 415 naming what is accepted', async () => {
  for (const type of ['text/plain', 'application/json', 'application/octet-stream', 'image/gif']) {
    const res = await postImage(app, good, type);
    expectError(res, 415, 'unsupported_media_type', /image\/png, image\/jpeg, image\/webp, multipart\/form-data/);
    assert.match(
      (res.json() as { error: { message: string } }).error.message,
      new RegExp(`'${type.replace('/', '\\/')}'`),
    );
    await stillServes();
  }
  expectError(
    await app.inject({ method: 'POST', url: '/v1/segment', payload: good }),
    415,
    'unsupported_media_type',
    /image\/png/,
  );
  await stillServes();
});

test('bodies over the limit are 413 saying the limit: raw and multipart, declared or streamed without a length', async () => {
  const big = Buffer.alloc(LIMIT_BYTES + 1, 7);
  expectError(await postImage(app, big), 413, 'payload_too_large', /limit of 256 KiB \(262144 bytes\)/);
  await stillServes();
  expectError(
    await app.inject({
      method: 'POST',
      url: '/v1/segment',
      headers: { 'content-type': 'image/png' },
      payload: Readable.from([big]),
    }),
    413,
    'payload_too_large',
    /262144 bytes/,
  );
  await stillServes();
  const form = multipartBody([{ field: 'image', filename: 'big.png', type: 'image/png', data: big }]);
  expectError(
    await app.inject({
      method: 'POST',
      url: '/v1/segment',
      headers: { 'content-type': form.contentType },
      payload: form.body,
    }),
    413,
    'payload_too_large',
    /262144 bytes/,
  );
  await stillServes();
  expectError(
    await app.inject({
      method: 'POST',
      url: '/v1/segment',
      headers: { 'content-type': form.contentType },
      payload: Readable.from([form.body]),
    }),
    413,
    'payload_too_large',
    /262144 bytes/,
  );
  await stillServes();
});

test('multipart forms without the image field, or with two files (a duplicate image field), are 400', async () => {
  const other = multipartBody([{ field: 'file', filename: 'x.png', type: 'image/png', data: good }]);
  expectError(
    await app.inject({
      method: 'POST',
      url: '/v1/segment',
      headers: { 'content-type': other.contentType },
      payload: other.body,
    }),
    400,
    'bad_request',
    /no file in field 'image'/,
  );
  await stillServes();
  const two = multipartBody([
    { field: 'image', filename: 'a.png', type: 'image/png', data: good },
    { field: 'image', filename: 'b.png', type: 'image/png', data: good },
  ]);
  expectError(
    await app.inject({
      method: 'POST',
      url: '/v1/segment',
      headers: { 'content-type': two.contentType },
      payload: two.body,
    }),
    400,
    'bad_request',
    /more than one file; send exactly one image, in the field 'image'/,
  );
  await stillServes();
});

test('bad query parameters are 400: threshold not a finite number, unknown map, unknown parameter', async () => {
  for (const q of [
    '?threshold=abc',
    '?threshold=',
    '?threshold=Infinity',
    '?threshold=NaN',
    '?threshold=1&threshold=2',
    '?threshold=1e999',
  ]) {
    expectError(await postImage(app, good, 'image/png', q), 400, 'bad_request', /threshold/);
    await stillServes();
  }
  expectError(
    await postImage(app, good, 'image/png', '?maps=classes,depth'),
    400,
    'bad_request',
    /unknown map 'depth'.*classes, heat, overlay, raw/,
  );
  expectError(
    await postImage(app, good, 'image/png', '?treshold=3'),
    400,
    'bad_request',
    /unknown query parameter 'treshold'/,
  );
  await stillServes();
});

test('unknown routes are JSON 404s', async () => {
  for (const [method, url] of [
    ['GET', '/v2/segment'],
    ['PUT', '/v2/segment'],
    ['GET', '/nope.js'],
  ] as const) {
    expectError(await app.inject({ method, url }), 404, 'not_found');
  }
  await stillServes();
});

test('other methods on the API routes are 405 with Allow, whatever their body', async () => {
  for (const method of ['PUT', 'DELETE', 'PATCH', 'GET', 'HEAD'] as const) {
    const res = await app.inject({
      method,
      url: '/v1/segment',
      headers: { 'content-type': 'text/plain' },
      ...(method === 'GET' || method === 'HEAD' ? {} : { payload: 'x' }),
    });
    assert.equal(res.statusCode, 405, `${method}: ${res.body}`);
    assert.equal(res.headers.allow, 'POST');
    if (method !== 'HEAD')
      expectError(res, 405, 'method_not_allowed', new RegExp(`${method} is not allowed on /v1/segment; allowed: POST`));
  }
  for (const url of ['/healthz', '/v1/model']) {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
      const res = await app.inject({ method, url });
      expectError(res, 405, 'method_not_allowed', /allowed: GET, HEAD/);
      assert.equal(res.headers.allow, 'GET, HEAD');
    }
  }
  await stillServes();
});
