/**
 * Property-based fuzzing of the HTTP routes (fast-check, fixed seed, bounded runs): any method, path, query, content
 * type and body — random bytes, a valid PNG with one byte changed or cut short, multipart forms with random parts,
 * boundaries and cuts — is answered with a status below 500 (an error as the API's JSON body without a stack trace),
 * within a bounded time, and the service and its worker stay up.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import type { HealthBody } from '../../../src/server/info.js';
import { freshModel, serverFor } from './fixture.js';

const SEED = 13_2026;
const RUNS = 150;
/** Longest accepted time for one answer: a hang fails the property. */
const ANSWER_LIMIT_MS = 30_000;

let app: FastifyInstance;
const validPng = Buffer.from(
  encodeRgbPng({ width: 24, height: 16, data: new Uint8Array(24 * 16 * 3).map((_, i) => (i * 37) % 256) }),
);

before(async () => {
  app = await serverFor(await freshModel(), { maxBodyBytes: 64 * 1024, bodyTimeoutMs: 5000 });
});

after(async () => {
  await app.close();
});

const printable = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));

const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') as fc.Arbitrary<
  'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS'
>;

const paths = fc.oneof(
  { weight: 4, arbitrary: fc.constant('/v1/segment') },
  fc.constantFrom('/healthz', '/v1/model', '/', '/index.html', '/config.json', '/v1/segment/', '/v1//segment'),
  fc.constantFrom('/%2e%2e/etc/passwd', '/..%2f..%2fetc', '/v1/segment%00', '/%ff%fe'),
  fc.webPath(),
);

const queries = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?maps=classes,heat,overlay,raw', '?maps=raw', '?threshold=0.5', '?threshold=abc', '?maps=zz'),
  fc.constantFrom('?threshold=1&threshold=2', '?maps=', '?x=1', '?maps=%ZZ', '?threshold=1e400'),
  fc.webQueryParameters().map((q) => `?${q}`),
);

const contentTypes = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('image/png', 'image/jpeg', 'image/webp', 'image/png; charset=x') },
  fc.constantFrom('multipart/form-data', 'multipart/form-data; boundary=', 'text/plain', 'application/json', ''),
  printable(60),
);

/** A valid PNG with one byte replaced and/or cut short. */
const mutatedPng = fc
  .record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.option(fc.nat()) })
  .map(({ at, byte, cut }) => {
    const b = Buffer.from(validPng);
    b[at % b.length] = byte;
    return cut === null ? b : b.subarray(0, cut % b.length);
  });

/** A multipart form with random parts, boundary and cut; its content type says the boundary (or another). */
const forms = fc
  .record({
    boundary: fc.stringMatching(/^[A-Za-z0-9'()+_,.:=?-]{1,70}$/),
    parts: fc.array(
      fc.record({
        name: fc.constantFrom('image', 'file', 'x', ''),
        file: fc.boolean(),
        type: fc.constantFrom('image/png', 'application/octet-stream', 'text/plain'),
        data: fc.oneof(
          fc.constant(validPng),
          mutatedPng,
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        ),
      }),
      { maxLength: 3 },
    ),
    cut: fc.option(fc.nat()),
    headerBoundary: fc.option(printable(20)),
  })
  .map(({ boundary, parts, cut, headerBoundary }) => {
    const chunks: Buffer[] = [];
    for (const p of parts) {
      const filename = p.file ? `; filename="f.png"` : '';
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${filename}\r\n`));
      chunks.push(Buffer.from(`Content-Type: ${p.type}\r\n\r\n`), p.data, Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    const body = Buffer.concat(chunks);
    return {
      contentType: `multipart/form-data; boundary=${headerBoundary ?? boundary}`,
      body: cut === null ? body : body.subarray(0, cut % (body.length + 1)),
    };
  });

const requests = fc.oneof(
  fc.record({
    method: methods,
    path: paths,
    query: queries,
    contentType: contentTypes,
    body: fc.oneof(
      fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
      mutatedPng,
      fc.constant(validPng),
      fc.constant(Buffer.alloc(0)),
    ),
  }),
  fc
    .record({ method: fc.constant('POST' as const), path: fc.constant('/v1/segment'), query: queries, form: forms })
    .map((r) => ({
      method: r.method,
      path: r.path,
      query: r.query,
      contentType: r.form.contentType,
      body: r.form.body,
    })),
);

function withLimit(p: Promise<LightMyRequestResponse>, what: string): Promise<LightMyRequestResponse> {
  let timer!: NodeJS.Timeout;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_LIMIT_MS} ms: ${what}`)), ANSWER_LIMIT_MS);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

test('fuzzed requests: never a 500, a crash or a hang; errors are the JSON error body without a stack', async () => {
  const workerPid = app.workerPool.stats()[0]?.pid;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requests, async (r) => {
      const what = `${r.method} ${r.path}${r.query} (${r.contentType}, ${r.body.length} bytes)`;
      const res = await withLimit(
        app.inject({
          method: r.method,
          url: `${r.path}${r.query}`,
          headers: r.contentType === '' ? {} : { 'content-type': r.contentType },
          ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { payload: r.body }),
        }),
        what,
      );
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      assert.ok(res.statusCode < 500, `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`);
      if (res.statusCode >= 400 && r.method !== 'HEAD') {
        const body = res.json() as { error: { code: string; message: string } };
        assert.deepEqual(Object.keys(body), ['error'], what);
        assert.ok(body.error.code.length > 0 && body.error.message.length > 0, what);
        assert.doesNotMatch(res.body, /\n\s+at |node:internal|\.js:\d+/, what);
      }
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  const health = (await app.inject({ method: 'GET', url: '/healthz' })).json() as HealthBody;
  assert.deepEqual(health.queue, { running: 0, waiting: 0 });
  assert.equal(health.workers[0]?.pid, workerPid, 'the worker was replaced: it crashed');
  assert.ok((statuses.get(200) ?? 0) > 0 && [...statuses.keys()].some((s) => s >= 400), [...statuses].join(' '));
});
