import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { initEngine } from '../../../src/engine/engine.js';
import type { LoadedModel } from '../../../src/server/app.js';
import { loadTinyModel, serverFor } from './fixture.js';

let loaded: LoadedModel & { dir: string };

before(async () => {
  await initEngine();
  loaded = await loadTinyModel();
});

after(async () => {
  await rm(loaded.dir, { recursive: true, force: true });
});

test('CORS: off by default; with corsOrigins a listed origin gets the headers and the preflight for image POSTs', async () => {
  const plain = await serverFor(loaded);
  const r0 = await plain.inject({ method: 'GET', url: '/v1/model', headers: { origin: 'https://viewer.example' } });
  assert.equal(r0.statusCode, 200);
  assert.equal(r0.headers['access-control-allow-origin'], undefined);
  await plain.close();

  const app = await serverFor(loaded, { corsOrigins: ['https://viewer.example'] });
  const r1 = await app.inject({ method: 'GET', url: '/v1/model', headers: { origin: 'https://viewer.example' } });
  assert.equal(r1.headers['access-control-allow-origin'], 'https://viewer.example');
  assert.match(String(r1.headers['access-control-expose-headers']), /retry-after/);
  const pre = await app.inject({
    method: 'OPTIONS',
    url: '/v1/segment',
    headers: {
      origin: 'https://viewer.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
  assert.equal(pre.statusCode, 204);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://viewer.example');
  assert.match(String(pre.headers['access-control-allow-methods']), /POST/);
  const other = await app.inject({ method: 'GET', url: '/v1/model', headers: { origin: 'https://elsewhere.example' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  await app.close();
});
