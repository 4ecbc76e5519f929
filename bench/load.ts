/**
 * `npm run bench:load [-- --seconds 20 --normal 3 --bombs 1 --slow 2 --garbage 1 --workers 1 --model FILE --json]`:
 * the service under hostile load.
 *
 * 1. Model: `--model`, or a fresh untrained model (mbv3 + GMM head, seed 0) written here; the service is started as
 *    `gmmseg serve --port 0` (engine from GMMSEG_ENGINE) with `--timeout-ms` (default 5000) and `--body-timeout-ms`
 *    (default 3000) and the default pixel limit (16 M).
 * 2. Reference answers of the normal images (DigitScenes scenes, PNG and JPEG), one at a time; RSS before.
 * 3. For `--seconds`: the clients of load-clients.ts (normal images, bombs at the default pixel limit = an all-zero
 *    ⌊√limit⌋² PNG, slow bodies at 1 byte / 0.5 s, garbage), and GET /healthz every 50 ms.
 * 4. When the service is idle again: RSS after; SIGTERM (the service must exit 0).
 *
 * Reports answers by code per client kind, /healthz latency p50/p99/max during the load (target p99 < 100 ms), RSS
 * before/after, and lost or wrong answers for the normal images. Exit code 1 when a normal image's answer was lost
 * or wrong, a health probe got no answer, or the service did not exit 0.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDigitScenes } from '../src/data/digit-scenes.js';
import { encodeImage, encodeRgbPng } from '../src/data/image-io.js';
import { initEngine } from '../src/engine/engine.js';
import { createSegModel } from '../src/model/create-seg-model.js';
import { encodeModel } from '../src/model/format.js';
import { segModelToFile } from '../src/model/seg-model-file.js';
import { createRng, randInt } from '../src/random.js';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../src/server/options.js';
import {
  healthProbe,
  newKindResult,
  normalClient,
  repeatClient,
  slowClient,
  type KindResult,
  type LoadImage,
} from './load-clients.js';
import { comparable, percentile, sortedAscending } from './serve-load.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const count = (name: string, def: number): number => {
  const v = Number(flag(name) ?? def);
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`bench load: ${name} must be a non-negative integer, got '${flag(name)}'`);
  return v;
};
const settings = {
  seconds: count('--seconds', 20),
  normal: count('--normal', 3),
  bombs: count('--bombs', 1),
  slow: count('--slow', 2),
  garbage: count('--garbage', 1),
  workers: count('--workers', 1),
  timeoutMs: count('--timeout-ms', 5000),
  bodyTimeoutMs: count('--body-timeout-ms', 3000),
};
const json = args.includes('--json');
const log = (t: string): void => void (json ? process.stderr : process.stdout).write(t);
/** Bombs at the default pixel limit: an all-zero square PNG of side ⌊√limit⌋. */
const BOMB_SIDE = Math.floor(Math.sqrt(DEFAULT_MAX_IMAGE_PIXELS));

async function freshModelFile(file: string): Promise<void> {
  await initEngine();
  const model = await createSegModel(
    { classes: ['background', 'object'], extractor: { kind: 'mbv3' }, head: { kind: 'gmm' } },
    createRng(0),
  );
  const calibration = { score: 'gmm' as const, threshold: 1, inlierMedian: 0, targetTpr: 0.95 };
  await writeFile(file, encodeModel(segModelToFile(model, { calibration })));
}

function startServer(model: string): Promise<{ child: ChildProcessWithoutNullStreams; base: string; port: number }> {
  const child = spawn(process.execPath, [
    MAIN,
    'serve',
    '--model',
    model,
    '--port',
    '0',
    '--log-level',
    'warn',
    '--timeout-ms',
    String(settings.timeoutMs),
    '--body-timeout-ms',
    String(settings.bodyTimeoutMs),
    '--workers',
    String(Math.max(1, settings.workers)),
  ]);
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-20_000)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+) /.exec(out);
      if (m) resolve({ child, base: `http://127.0.0.1:${m[1]}`, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`gmmseg serve exited ${code} before listening: ${err}`)));
  });
}

async function normalImages(): Promise<LoadImage[]> {
  const scenes = await buildDigitScenes({ trainCount: 1, testCount: 1, anomalyCount: 4 });
  return Promise.all(
    [0, 1, 2, 3].map(async (i) => {
      const image = (await scenes.anomaly.get(i)).image;
      return i % 2 === 0
        ? { bytes: encodeRgbPng(image), type: 'image/png' }
        : { bytes: await encodeImage(image, 'jpeg'), type: 'image/jpeg' };
    }),
  );
}

function garbageBodies(png: Uint8Array): LoadImage[] {
  const rng = createRng(7);
  const random = Uint8Array.from({ length: 4096 }, () => randInt(rng, 256));
  const boundary = 'loadBoundary';
  const form = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`,
    ),
    png,
  ]);
  return [
    { bytes: random, type: 'image/png' },
    { bytes: png.subarray(0, png.length >> 1), type: 'image/png' },
    { bytes: form.subarray(0, form.length - 10), type: `multipart/form-data; boundary=${boundary}` },
    { bytes: random, type: 'multipart/form-data' },
  ];
}

interface Health {
  rssBytes: number;
  queue: { running: number; waiting: number };
  workers: { state: string }[];
}

async function health(base: string): Promise<Health> {
  return (await (await fetch(`${base}/healthz`)).json()) as Health;
}

/** Waits until nothing runs or waits and every worker is idle, then a second more; returns the health then. */
async function settled(base: string): Promise<Health> {
  for (;;) {
    const h = await health(base);
    if (h.queue.running + h.queue.waiting === 0 && h.workers.every((w) => w.state === 'idle')) {
      await new Promise((r) => setTimeout(r, 1000));
      return health(base);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-bench-load-'));
  try {
    let model = flag('--model');
    if (model === undefined) await freshModelFile((model = path.join(dir, 'fresh.gmmseg')));
    const images = await normalImages();
    const server = await startServer(model);
    const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)));
    const url = `${server.base}/v1/segment`;
    let report: Record<string, unknown>;
    try {
      const references: string[] = [];
      for (const image of images) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': image.type }, body: image.bytes });
        if (res.status !== 200)
          throw new Error(`bench load: the reference request got ${res.status}: ${await res.text()}`);
        references.push(comparable(await res.text()));
      }
      const before = await settled(server.base);
      const bomb = encodeRgbPng({
        width: BOMB_SIDE,
        height: BOMB_SIDE,
        data: new Uint8Array(BOMB_SIDE * BOMB_SIDE * 3),
      });
      const results = {
        normal: newKindResult(),
        bomb: newKindResult(),
        slow: newKindResult(),
        garbage: newKindResult(),
      };
      const until = performance.now() + settings.seconds * 1000;
      let done = false;
      const probe = healthProbe(`${server.base}/healthz`, 50, () => done);
      const clients = [
        ...Array.from({ length: settings.normal }, () => normalClient(url, images, references, until, results.normal)),
        ...Array.from({ length: settings.bombs }, () =>
          repeatClient(url, [{ bytes: bomb, type: 'image/png' }], until, results.bomb),
        ),
        ...Array.from({ length: settings.slow }, () =>
          slowClient(server.port, images[0]?.bytes ?? bomb, 500, until, results.slow),
        ),
        ...Array.from({ length: settings.garbage }, () =>
          repeatClient(url, garbageBodies(images[0]?.bytes ?? bomb), until, results.garbage),
        ),
      ];
      await Promise.all(clients);
      done = true;
      const probed = await probe;
      const after = await settled(server.base);
      report = summary(results, probed, before.rssBytes, after.rssBytes);
    } finally {
      server.child.kill('SIGTERM');
    }
    const exitCode = await exited;
    print({ ...report, serverExitCode: exitCode });
    const normal = report.normal as KindResult;
    return normal.lost === 0 && normal.wrong === 0 && report.healthLost === 0 && exitCode === 0 ? 0 : 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function summary(
  results: Record<string, KindResult>,
  probed: { latenciesMs: number[]; lost: number },
  rssBefore: number,
  rssAfter: number,
): Record<string, unknown> {
  const lat = sortedAscending(probed.latenciesMs);
  return {
    settings,
    engine: process.env.GMMSEG_ENGINE ?? 'default',
    ...results,
    healthLatencyMs: {
      p50: percentile(lat, 0.5),
      p99: percentile(lat, 0.99),
      max: lat[lat.length - 1] ?? NaN,
      samples: lat.length,
    },
    healthLost: probed.lost,
    rssMiB: { before: rssBefore / 2 ** 20, after: rssAfter / 2 ** 20 },
  };
}

function print(r: Record<string, unknown>): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const h = r.healthLatencyMs as { p50: number; p99: number; max: number; samples: number };
  const rss = r.rssMiB as { before: number; after: number };
  log(`gmmseg serve under hostile load: ${JSON.stringify(r.settings)}, engine ${String(r.engine)}\n`);
  for (const kind of ['normal', 'bomb', 'slow', 'garbage']) {
    const k = r[kind] as KindResult;
    log(`  ${kind.padEnd(8)} answers by code ${JSON.stringify(k.byStatus)}, wrong ${k.wrong}, lost ${k.lost}\n`);
  }
  const met = h.p99 < 100 ? 'met' : 'NOT met';
  log(
    `  /healthz during the load: p50 ${h.p50.toFixed(1)} ms, p99 ${h.p99.toFixed(1)} ms, max ${h.max.toFixed(1)} ms (${h.samples} probes, ${String(r.healthLost)} unanswered; target p99 < 100 ms ${met})\n`,
  );
  log(
    `  service RSS: before ${rss.before.toFixed(0)} MiB, after ${rss.after.toFixed(0)} MiB; exit code ${String(r.serverExitCode)}\n`,
  );
}

process.exitCode = await main();
