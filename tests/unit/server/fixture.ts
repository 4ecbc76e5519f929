/**
 * Shared setup of the server tests: a tiny GMM model trained with the real `train` command (2 steps on DigitScenes,
 * calibrated on the test split, so the model file holds a threshold and an inlier median), scene images from the
 * embedded dataset, multipart bodies, and reply helpers.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadSegModel } from '../../../src/cli/load-model.js';
import { trainCommand } from '../../../src/cli/train.js';
import { buildDigitScenes } from '../../../src/data/digit-scenes.js';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import type { RgbImage } from '../../../src/data/sample.js';
import { initEngine } from '../../../src/engine/engine.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import { segModelToFile } from '../../../src/model/seg-model-file.js';
import { createRng } from '../../../src/random.js';
import { buildServer, type LoadedModel } from '../../../src/server/app.js';
import type { ServeOptionsInput } from '../../../src/server/options.js';

/** The model file of a 2-step training run in a fresh temp folder (seconds). */
export async function trainTinyModel(): Promise<{ dir: string; modelPath: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-server-'));
  const modelPath = path.join(dir, 'tiny.gmmseg');
  let err = '';
  const before = process.exitCode;
  process.exitCode = 0;
  const program = new Command('gmmseg')
    .exitOverride()
    .addCommand(trainCommand({ out: () => undefined, err: (t) => void (err += t) }));
  const flags = [
    '--dataset',
    'digit-scenes',
    '--crop-size',
    '128,128',
    '--batch-size',
    '2',
    '--memory-per-component',
    '64',
    '--steps',
    '2',
    '--val-split',
    'test',
  ];
  await program.parseAsync(['node', 'gmmseg', 'train', ...flags, '--out', modelPath]);
  assert.equal(Number(process.exitCode ?? 0), 0, `training the test model failed: ${err}`);
  process.exitCode = before;
  return { dir, modelPath };
}

/** Engine, trained model and the loaded model, once per test file. */
export async function loadTinyModel(): Promise<LoadedModel & { dir: string; modelPath: string; engine: string }> {
  const engine = await initEngine();
  const trained = await trainTinyModel();
  return { ...trained, ...(await loadSegModel(trained.modelPath)), engine };
}

/**
 * An untrained model (mbv3 extractor, GMM head, two classes) with a stated calibration, built in seconds: for the
 * tests of the HTTP behaviour, where what the model answers does not matter.
 */
export async function freshModel(): Promise<LoadedModel & { engine: string }> {
  const engine = await initEngine();
  const model = await createSegModel(
    { classes: ['background', 'object'], extractor: { kind: 'mbv3' }, head: { kind: 'gmm' } },
    createRng(0),
  );
  const calibration = { score: 'gmm' as const, threshold: 1, inlierMedian: 0, targetTpr: 0.95 };
  return { model, file: segModelToFile(model, { calibration }), engine };
}

/** A server on the loaded model, logging nothing. */
export function serverFor(loaded: LoadedModel, options: ServeOptionsInput = {}): Promise<FastifyInstance> {
  return buildServer({ model: loaded.model, file: loaded.file, options: { logLevel: 'silent', ...options } });
}

/** `count` anomaly-split DigitScenes images (digits and pasted Fashion-MNIST items). */
export async function sceneImages(count: number, size = 128): Promise<RgbImage[]> {
  const scenes = await buildDigitScenes({
    trainCount: 1,
    testCount: 1,
    anomalyCount: count,
    width: size,
    height: size,
  });
  return Promise.all(Array.from({ length: count }, async (_, i) => (await scenes.anomaly.get(i)).image));
}

/** PNG bytes of an image. */
export function png(image: RgbImage): Buffer {
  return Buffer.from(encodeRgbPng(image));
}

/** A multipart/form-data body with one file part per entry. */
export function multipartBody(files: { field: string; filename: string; type: string; data: Uint8Array }[]): {
  body: Buffer;
  contentType: string;
} {
  const boundary = '----gmmsegTestBoundary7MA4YWxkTrZu0gW';
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`,
      ),
    );
    chunks.push(Buffer.from(f.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs raw bytes to /v1/segment. */
export function postImage(
  app: FastifyInstance,
  body: Buffer,
  contentType = 'image/png',
  query = '',
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: `/v1/segment${query}`,
    headers: { 'content-type': contentType },
    payload: body,
  });
}

/** Asserts a JSON error reply with `status` and `code`, a message matching `message`, and no stack trace. */
export function expectError(res: LightMyRequestResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json() as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0);
  if (message) assert.match(body.error.message, message);
  assert.doesNotMatch(res.body, /\n\s+at |node:internal|\.js:\d+/);
}

/** A valid PNG header (signature + IHDR with a correct CRC, 8-bit RGB) declaring `width`×`height`, and no data. */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const typeAndData = Buffer.concat([Buffer.from('IHDR', 'ascii'), ihdr]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(ihdr.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), length, typeAndData, crc]);
}

/** CRC-32 (IEEE), bit by bit: independent of the code under test. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Listens on a free loopback port; returns the base URL and port. */
export async function listen(app: FastifyInstance): Promise<{ url: string; port: number }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port };
}

/** What a raw socket received: the status, headers and body text, and whether the server closed the connection. */
export interface RawAnswer {
  status: number;
  head: string;
  body: string;
  closedByServer: boolean;
}

/**
 * Sends `head` (request line and headers, without the blank line) on a plain socket, then `body` one chunk every
 * `intervalMs` (slow clients); resolves with the answer once the server closes the connection, or after `waitMs`.
 */
export function rawRequest(
  port: number,
  head: string,
  body: Buffer,
  opts: { chunkBytes: number; intervalMs: number; waitMs: number },
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let closedByServer = false;
    let offset = 0;
    const ticker = setInterval(() => {
      if (offset >= body.length || socket.destroyed) return;
      socket.write(body.subarray(offset, offset + opts.chunkBytes));
      offset += opts.chunkBytes;
    }, opts.intervalMs);
    const finish = (): void => {
      clearInterval(ticker);
      clearTimeout(limit);
      socket.destroy();
      const [headText = '', bodyText = ''] = received.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(headText)?.[1] ?? 0),
        head: headText,
        body: bodyText,
        closedByServer,
      });
    };
    const limit = setTimeout(finish, opts.waitMs);
    socket.on('data', (d: Buffer) => void (received += d.toString('latin1')));
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', finish);
    socket.write(`${head}\r\n\r\n`);
  });
}
