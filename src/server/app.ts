/**
 * The HTTP service as a Fastify instance (not listening: the caller listens, or tests use `inject`).
 *
 * Routes: `GET /healthz`, `GET /v1/model`, `POST /v1/segment` (segment-route.ts), the web page (static.ts); every
 * error is a JSON `{"error":{"code","message"}}` (errors.ts). Logs are pino JSON lines with the request id
 * (`reqId`; a client's `X-Request-Id` is used when sent and echoed back). Segmentation runs in worker processes
 * (worker-pool.ts), never on this event loop, so the service answers `/healthz` while images are segmented.
 */
import type { Writable } from 'node:stream';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { DATASET_PALETTES } from '../data/palettes.js';
import { currentEngine, parseEngineName } from '../engine/engine.js';
import { anomalySettings } from '../infer/anomaly-settings.js';
import { paletteFor } from '../infer/palette.js';
import type { ModelFile } from '../model/model-types.js';
import type { SegModel } from '../model/seg-model.js';
import { HttpError, installErrorHandlers, sendError, toHttpError } from './errors.js';
import { healthBody, modelInfo } from './info.js';
import { refuseOtherMethods } from './methods.js';
import { parseServeOptions, type ServeOptions, type ServeOptionsInput } from './options.js';
import { IMAGE_CONTENT_TYPES } from './request-image.js';
import { registerSegmentRoute } from './segment-route.js';
import { defaultWebRoot, registerStatic } from './static.js';
import { WorkerPool } from './worker-pool.js';
import { WorkQueue } from './work-queue.js';

/** A loaded model, as `loadSegModel` returns it. */
export interface LoadedModel {
  model: SegModel;
  file: ModelFile;
}

/** Arguments of {@link buildServer}. */
export interface BuildServerOptions extends LoadedModel {
  /** Service settings (validated; defaults filled in). */
  options?: ServeOptionsInput;
  /** Names the model in error messages and logs (e.g. its file). */
  modelName?: string;
  /** Where the JSON log lines go (default: stderr). */
  logStream?: Writable;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The segmentation work queue (for health reports, shutdown and tests). */
    workQueue: WorkQueue;
    /** The segmentation worker processes (for health reports, shutdown and tests). */
    workerPool: WorkerPool;
    /** The validated settings. */
    serveOptions: ServeOptions;
  }
}

/** Multipart parts besides the file (small text fields), and their size. */
const MULTIPART_FIELDS = 8;
const MULTIPART_FIELD_BYTES = 64 * 1024;

/** Retry-After of the answers sent while shutting down, seconds. */
const SHUTDOWN_RETRY_AFTER_SECONDS = 5;

/**
 * Builds the service for an already-loaded model and starts its worker processes (each loads the model on the
 * same engine). The engine must be initialised (`initEngine`) before.
 *
 * @throws ValueError for invalid options or when the model has no usable anomaly threshold; WorkerStartError when
 *   a worker cannot start.
 */
export async function buildServer(args: BuildServerOptions): Promise<FastifyInstance> {
  const options = parseServeOptions(args.options ?? {});
  const modelName = args.modelName ?? 'the model';
  const settings = anomalySettings(
    args.model.head.kind,
    args.file.calibration,
    {
      ...(options.score !== undefined ? { score: options.score } : {}),
      ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    },
    modelName,
  );
  const engine = currentEngine();
  const palette = paletteFor(args.model.classes, DATASET_PALETTES);
  const queue = new WorkQueue(options.queueSize, options.workers);
  const app = Fastify({
    logger: { level: options.logLevel, stream: args.logStream ?? process.stderr },
    bodyLimit: options.maxBodyBytes,
    requestIdHeader: 'x-request-id',
    return503OnClosing: false, // answered by the onRequest hook below, in the API's error format
    // Node's own limit on receiving a whole request, a backstop behind the route's body deadline (also for bodies
    // sent to other URLs)
    requestTimeout: 2 * options.bodyTimeoutMs,
    // errors before routing (e.g. a URL with an invalid percent-encoding) in the API's error format too
    frameworkErrors: (error, request, reply) =>
      void sendError(reply, toHttpError(error, options, request.headers['content-type'])),
  });
  app.server.headersTimeout = Math.min(app.server.headersTimeout, 2 * options.bodyTimeoutMs);
  const pool = await WorkerPool.start({
    size: options.workers,
    init: {
      engine: parseEngineName(engine, 'the running engine'),
      file: args.file,
      settings,
      palette,
      minRegionArea: options.minRegionArea,
      maxRegions: options.maxRegions,
    },
    recycleRssGrowthBytes: options.workerRecycleBytes,
    log: app.log,
  });
  app.decorate('workQueue', queue);
  app.decorate('workerPool', pool);
  app.decorate('serveOptions', options);
  installErrorHandlers(app, options);
  installBodyParsers(app);
  await app.register(multipart, {
    limits: {
      fileSize: options.maxBodyBytes,
      files: 1,
      fields: MULTIPART_FIELDS,
      fieldSize: MULTIPART_FIELD_BYTES,
      parts: MULTIPART_FIELDS + 1,
    },
  });
  installLifecycleHooks(app, queue, pool);
  if (options.corsOrigins.length > 0) {
    const origin = options.corsOrigins.includes('*') ? '*' : options.corsOrigins;
    await app.register(cors, {
      origin,
      methods: ['GET', 'POST'],
      exposedHeaders: ['retry-after', 'x-request-id'],
      maxAge: 600,
    });
  }
  app.get('/healthz', async () => healthBody(engine, queue, pool));
  const info = modelInfo(args.model, args.file, settings, engine, options);
  app.get('/v1/model', async () => info);
  for (const url of ['/healthz', '/v1/model']) refuseOtherMethods(app, url, ['GET']);
  registerSegmentRoute(app, { queue, pool, options });
  const webFiles = await registerStatic(app, options.webRoot ?? defaultWebRoot());
  app.log.debug({ webFiles }, 'web page files');
  return app;
}

/**
 * Request ids echoed in `X-Request-Id`; once `close()` has begun, requests still arriving on open keep-alive
 * connections get 503 'shutting_down', and close waits until the work queue is empty, then ends the workers.
 */
function installLifecycleHooks(app: FastifyInstance, queue: WorkQueue, pool: WorkerPool): void {
  let closing = false;
  app.addHook('preClose', async () => void (closing = true));
  app.addHook('onClose', async () => {
    await queue.onIdle();
    await pool.close();
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing)
      throw new HttpError(503, 'shutting_down', 'the service is shutting down; retry in a moment', {
        'retry-after': String(SHUTDOWN_RETRY_AFTER_SECONDS),
      });
  });
}

/** Only image bodies are parsed (as raw bytes); multipart is added by its plugin; anything else is 415. */
function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([...IMAGE_CONTENT_TYPES], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}
