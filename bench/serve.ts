/**
 * `node dist/bench/serve.js [--model FILE] [--clients 4] [--requests 200] [--images 4] [--maps LIST] [--json]`:
 * a bounded load test of `gmmseg serve` on loopback.
 *
 * 1. Model: `--model`, or a tiny GMM model trained here (`gmmseg train`, 2 steps on DigitScenes, calibrated on its
 *    test split) in a temp folder.
 * 2. Starts `node dist/src/cli/main.js serve --model M --port 0` as a child process (engine from `GMMSEG_ENGINE`, as
 *    every command) and reads the port from the line it prints.
 * 3. Reference answers: each of `--images` DigitScenes anomaly images (PNG; every second one JPEG) is segmented once,
 *    alone, with `?maps=` `--maps` (default all: classes, heat, overlay, raw).
 * 4. Load: `--clients` concurrent clients send `--requests` POST /v1/segment in all (image i mod K). An answer is
 *    right when its status is 200 and its JSON equals the reference answer of its image apart from `timingMs`;
 *    a 503 (busy) is counted as an error, any other status or a different answer as wrong, a request without an
 *    answer (connection error, unreadable body) as lost. /healthz is sampled every 250 ms for the child's RSS.
 * 5. SIGTERM; the child must exit 0.
 *
 * Prints throughput (requests/s over the load phase), p50/p99 latency (ms), errors, wrong answers, lost requests,
 * RSS first/last/max; `--json` prints one JSON object. Exit code 1 if a request was lost or answered wrongly, or the
 * child did not exit 0.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDigitScenes } from '../src/data/digit-scenes.js';
import { encodeImage, encodeRgbPng } from '../src/data/image-io.js';
import { sortedAscending, percentile, runClients, type LoadResult } from './serve-load.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const intFlag = (name: string, def: number): number => {
  const v = Number(flag(name) ?? def);
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`bench serve: ${name} must be a positive integer, got '${flag(name)}'`);
  return v;
};
const json = args.includes('--json');
const clients = intFlag('--clients', 4);
const requests = intFlag('--requests', 200);
const imageCount = intFlag('--images', 4);
const maps = flag('--maps') ?? 'classes,heat,overlay,raw';
const log = (t: string): void => void (json ? process.stderr : process.stdout).write(t);

/** Runs a gmmseg command to completion; throws with its stderr on a non-zero exit. */
function runCommand(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`gmmseg ${argv[0]} exited ${code}: ${err}`)),
    );
  });
}

/** Starts the service; resolves with the child and its base URL once it prints its listening line. */
function startServer(
  model: string,
): Promise<{ child: ChildProcessWithoutNullStreams; base: string; stderr: () => string }> {
  const child = spawn(process.execPath, [
    MAIN,
    'serve',
    '--model',
    model,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--log-level',
    'warn',
  ]);
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-20_000)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+) /.exec(out);
      if (m) resolve({ child, base: `http://127.0.0.1:${m[1]}`, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`gmmseg serve exited ${code} before listening: ${err}`)));
  });
}

/** The benchmark images: DigitScenes anomaly scenes, PNG and JPEG alternating. */
async function benchImages(count: number): Promise<{ bytes: Uint8Array; type: string }[]> {
  const scenes = await buildDigitScenes({ trainCount: 1, testCount: 1, anomalyCount: count });
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const image = (await scenes.anomaly.get(i)).image;
      return i % 2 === 0
        ? { bytes: encodeRgbPng(image), type: 'image/png' }
        : { bytes: await encodeImage(image, 'jpeg'), type: 'image/jpeg' };
    }),
  );
}

async function main(): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-bench-serve-'));
  try {
    let model = flag('--model');
    if (model === undefined) {
      model = path.join(dir, 'tiny.gmmseg');
      log('training a tiny model (2 steps, calibrated on digit-scenes/test)…\n');
      await runCommand([
        'train',
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
        '--out',
        model,
      ]);
    }
    const images = await benchImages(imageCount);
    const server = await startServer(model);
    const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)));
    const url = `${server.base}/v1/segment?maps=${encodeURIComponent(maps)}`;
    let result: LoadResult;
    try {
      result = await runClients({ url, healthUrl: `${server.base}/healthz`, images, clients, requests });
    } finally {
      server.child.kill('SIGTERM');
    }
    const exitCode = await exited;
    report(result, exitCode, model);
    if (exitCode !== 0) log(`server stderr (tail):\n${server.stderr()}\n`);
    return result.lost === 0 && result.wrong === 0 && exitCode === 0 ? 0 : 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(r: LoadResult, exitCode: number | null, model: string): void {
  const lat = sortedAscending(r.latenciesMs);
  const summary = {
    clients,
    requests,
    images: imageCount,
    maps,
    engine: r.engine,
    model,
    wallSeconds: r.wallMs / 1000,
    throughputPerSecond: requests / (r.wallMs / 1000),
    latencyMs: { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), max: lat[lat.length - 1] ?? NaN },
    ok: r.ok,
    errors: r.errors,
    errorStatuses: r.errorStatuses,
    wrong: r.wrong,
    lost: r.lost,
    rssBytes: r.rss,
    serverExitCode: exitCode,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
  log(
    `gmmseg serve load test: ${clients} clients, ${requests} requests, ${imageCount} images, maps=${maps}, engine ${r.engine}\n`,
  );
  log(
    `throughput ${summary.throughputPerSecond.toFixed(2)} req/s over ${summary.wallSeconds.toFixed(1)} s; latency p50 ${summary.latencyMs.p50.toFixed(0)} ms, p99 ${summary.latencyMs.p99.toFixed(0)} ms\n`,
  );
  log(`ok ${r.ok}, errors ${r.errors} ${JSON.stringify(r.errorStatuses)}, wrong ${r.wrong}, lost ${r.lost}\n`);
  log(
    `server RSS MiB: first ${mb(r.rss.first)}, last ${mb(r.rss.last)}, max ${mb(r.rss.max)} (${r.rss.samples} samples); server exit code ${exitCode}\n`,
  );
}

process.exitCode = await main();
