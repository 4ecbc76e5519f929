import test from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../../src/errors.js';
import { DEFAULT_SERVE_OPTIONS, formatBytes, parseServeOptions } from '../../../src/server/options.js';
import { toHttpError } from '../../../src/server/errors.js';

test('defaults: 20 MiB body, 16 Mpx, 8 waiting, 60 s, 20 s body, 1 worker recycled past 512 MiB, regions ≥ 1 px, 200 regions, no CORS, info logs', () => {
  assert.deepEqual(DEFAULT_SERVE_OPTIONS, {
    maxBodyBytes: 20 * 1024 * 1024,
    maxImagePixels: 16_000_000,
    queueSize: 8,
    requestTimeoutMs: 60_000,
    bodyTimeoutMs: 20_000,
    workers: 1,
    workerRecycleBytes: 512 * 1024 * 1024,
    minRegionArea: 1,
    maxRegions: 200,
    corsOrigins: [],
    logLevel: 'info',
  });
  assert.deepEqual(parseServeOptions({ queueSize: 0, threshold: -3.5, score: 'msp' }), {
    ...DEFAULT_SERVE_OPTIONS,
    queueSize: 0,
    threshold: -3.5,
    score: 'msp',
  });
});

test('bad options are ValueErrors naming every key', () => {
  assert.throws(
    () => parseServeOptions({ maxBodyBytes: 0 }),
    (e: unknown) => e instanceof ValueError && /'maxBodyBytes'/.test(e.message),
  );
  assert.throws(() => parseServeOptions({ queueSize: -1, requestTimeoutMs: 1.5 }), /'queueSize'.*'requestTimeoutMs'/);
  assert.throws(() => parseServeOptions({ threshold: Infinity }), /'threshold'/);
  assert.throws(() => parseServeOptions({ logLevel: 'loud' }), /'logLevel'/);
  assert.throws(() => parseServeOptions({ maxBodyMb: 3 }), /maxBodyMb/);
});

test('byte counts in messages; unexpected errors become a generic 500 without details', () => {
  assert.equal(formatBytes(20 * 1024 * 1024), '20 MiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(12), '12 bytes');
  const e = toHttpError(new TypeError('secret internal detail at /home/x.js:3'), { maxBodyBytes: 1 });
  assert.deepEqual([e.status, e.code], [500, 'internal']);
  assert.doesNotMatch(e.message, /secret|\.js/);
});
