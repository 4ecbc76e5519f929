/**
 * Entry point of a segmentation worker: a child process forked by the worker pool (worker-pool.ts), so inference
 * never blocks the service's event loop, a request over its timeout can be killed at once (even inside a native
 * engine call), and all memory of a large request goes back to the system when the worker is replaced.
 *
 * Protocol (worker-protocol.ts): an `init` message (engine, model file, answer settings) → `ready` or `failed`;
 * then one `job` at a time → `result` (the JSON answer as UTF-8 bytes) or `error` (an HTTP status and code). The
 * worker exits when the service disconnects (the service ended, or replaced it).
 */
import { initEngine } from '../engine/engine.js';
import { GmmsegError } from '../errors.js';
import { EXTRACTOR_LOADERS } from '../model/extractors.js';
import { segModelFromFile } from '../model/seg-model-file.js';
import { HttpError } from './errors.js';
import { segmentImage, type SegmentContext } from './segment.js';
import type { WorkerInit, WorkerJob, WorkerReply, WorkerRequest } from './worker-protocol.js';

let context: Promise<SegmentContext> | undefined;

function send(message: WorkerReply): void {
  process.send?.(message);
}

const rss = (): number => process.memoryUsage.rss();

/** Starts the engine and builds the model; the promise every job waits on. */
async function start(init: WorkerInit): Promise<SegmentContext> {
  const engine = await initEngine(init.engine);
  const { model, sections } = await segModelFromFile(init.file, EXTRACTOR_LOADERS);
  const views = sections.preprocessing?.views;
  return {
    model,
    ...(views ? { views } : {}),
    palette: init.palette,
    settings: init.settings,
    engine,
    minRegionArea: init.minRegionArea,
    maxRegions: init.maxRegions,
  };
}

/** Runs one job and sends its answer; every failure becomes an `error` message (the stack only as `detail`). */
async function runJob(job: WorkerJob): Promise<void> {
  try {
    if (!context) throw new Error('segment worker: a job arrived before init');
    const ctx = await context;
    const req =
      job.threshold === undefined ? { maps: new Set(job.maps) } : { maps: new Set(job.maps), threshold: job.threshold };
    const answer = await segmentImage(ctx, job.bytes, job.header, req, job.waits);
    send({ type: 'result', id: job.id, body: Buffer.from(JSON.stringify(answer)), rssBytes: rss() });
  } catch (e) {
    if (e instanceof HttpError) {
      send({ type: 'error', id: job.id, status: e.status, code: e.code, message: e.message, rssBytes: rss() });
      return;
    }
    const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
    send({
      type: 'error',
      id: job.id,
      status: 500,
      code: 'internal',
      message: 'internal error',
      detail,
      rssBytes: rss(),
    });
  }
}

function onMessage(message: WorkerRequest): void {
  if (message.type === 'init') {
    context = start(message);
    context.then(
      () => send({ type: 'ready', rssBytes: rss() }),
      (e: unknown) =>
        send({
          type: 'failed',
          message: e instanceof Error ? e.message : String(e),
          ...(e instanceof GmmsegError ? {} : { detail: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
        }),
    );
    return;
  }
  void runJob(message);
}

process.on('message', onMessage);
process.on('disconnect', () => process.exit(0));
