/**
 * `gmmseg serve --model FILE [--port 8080] [--host 127.0.0.1] …`: the HTTP service and web page for one model.
 * Prints one line when listening (`gmmseg serve: http://HOST:PORT (engine E, model FILE)`; `--port 0` picks a free
 * port and prints the real one); JSON log lines go to stderr. SIGINT / SIGTERM stop accepting connections, finish
 * the requests in flight and queued, then the command returns (exit code 0); a second signal ends at once.
 */
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { initEngine, parseEngineName } from '../engine/engine.js';
import { ValueError } from '../errors.js';
import { buildServer } from '../server/app.js';
import { LOG_LEVELS, MIB, type ServeOptionsInput } from '../server/options.js';
import { addEngineOption, processIo, runUserCommand } from './command-io.js';
import type { CommandIo } from './inspect.js';
import { loadSegModel } from './load-model.js';

interface ServeFlags {
  model: string;
  port: string;
  host: string;
  maxBodyMb?: string;
  maxPixels?: string;
  queue?: string;
  timeoutMs?: string;
  threshold?: string;
  score?: string;
  webRoot?: string;
  corsOrigin?: string;
  logLevel: string;
  engine?: string;
}

export function serveCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('serve')
    .description('HTTP service and web page: POST /v1/segment, GET /v1/model, GET /healthz, the page at /')
    .requiredOption('--model <file>', 'model file (.gmmseg)')
    .option('--port <n>', 'TCP port (0: any free port)', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--max-body-mb <n>', 'largest request body, MiB (default 20)')
    .option('--max-pixels <n>', 'largest image, width × height pixels (default 16000000)')
    .option('--queue <n>', 'requests that may wait while one is segmented; more get 503 (default 8)')
    .option('--timeout-ms <n>', 'request timeout including the queue wait, ms (default 60000)')
    .option('--threshold <t>', 'anomaly threshold (default: the calibrated one stored in the model)')
    .option('--score <name>', 'anomaly score: gmm (GMM head default), msp (softmax default), maxLogit, energy')
    .option('--web-root <dir>', 'folder of the web page (default: the package\'s src/web)')
    .option('--cors-origin <origins>', "origins allowed to call the service from a browser (comma list, or '*'), e.g. a web-build copy's host")
    .option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')}`, 'info');
  return addEngineOption(cmd).action(async (flags: ServeFlags) => runUserCommand('serve', io, () => runServe(flags, io)));
}

async function runServe(flags: ServeFlags, io: CommandIo): Promise<void> {
  const port = parseNumber(flags.port, '--port');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValueError(`--port must be an integer in 0..65535, got '${flags.port}'`);
  const options = serveOptions(flags);
  const engine = await initEngine(flags.engine !== undefined ? parseEngineName(flags.engine, '--engine') : undefined);
  const loaded = await loadSegModel(flags.model);
  const app = await buildServer({ ...loaded, options, modelName: flags.model });
  try {
    await app.listen({ port, host: flags.host });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValueError(`cannot listen on ${flags.host}:${port}: ${code ?? (e as Error).message}`);
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.out(`gmmseg serve: http://${host}:${address.port} (engine ${engine}, model ${flags.model})\n`);
  await untilSignal(app);
}

/** The service options from the flags (validation and defaults in `parseServeOptions`). */
function serveOptions(flags: ServeFlags): ServeOptionsInput {
  const opts: ServeOptionsInput = { logLevel: flags.logLevel as ServeOptionsInput['logLevel'] };
  if (!(LOG_LEVELS as readonly string[]).includes(flags.logLevel)) throw new ValueError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${flags.logLevel}'`);
  if (flags.maxBodyMb !== undefined) opts.maxBodyBytes = Math.round(positive(flags.maxBodyMb, '--max-body-mb') * MIB);
  if (flags.maxPixels !== undefined) opts.maxImagePixels = positiveInt(flags.maxPixels, '--max-pixels');
  if (flags.queue !== undefined) opts.queueSize = nonNegativeInt(flags.queue, '--queue');
  if (flags.timeoutMs !== undefined) opts.requestTimeoutMs = positiveInt(flags.timeoutMs, '--timeout-ms');
  if (flags.threshold !== undefined) opts.threshold = parseNumber(flags.threshold, '--threshold');
  if (flags.score !== undefined) opts.score = flags.score;
  if (flags.webRoot !== undefined) opts.webRoot = flags.webRoot;
  if (flags.corsOrigin !== undefined) opts.corsOrigins = flags.corsOrigin.split(',').map((o) => o.trim()).filter((o) => o !== '');
  return opts;
}

/**
 * Resolves once the service has shut down after SIGINT or SIGTERM (`app.close()` waits for in-flight and queued
 * requests). A second signal during the shutdown re-raises it with the default handler, ending the process.
 */
function untilSignal(app: FastifyInstance): Promise<void> {
  return new Promise((resolve, reject) => {
    const signals = ['SIGINT', 'SIGTERM'] as const;
    const reRaise = (signal: NodeJS.Signals): void => {
      for (const s of signals) process.removeListener(s, reRaise);
      process.kill(process.pid, signal);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const s of signals) process.removeListener(s, onSignal);
      for (const s of signals) process.on(s, reRaise);
      app.log.info({ signal }, 'shutting down: finishing the requests in flight');
      app.close().then(() => {
        for (const s of signals) process.removeListener(s, reRaise);
        resolve();
      }, reject);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}

function parseNumber(text: string, flag: string): number {
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new ValueError(`${flag} must be a number, got '${text}'`);
  return v;
}

function positive(text: string, flag: string): number {
  const v = parseNumber(text, flag);
  if (!(v > 0)) throw new ValueError(`${flag} must be positive, got '${text}'`);
  return v;
}

function positiveInt(text: string, flag: string): number {
  const v = parseNumber(text, flag);
  if (!Number.isInteger(v) || v < 1) throw new ValueError(`${flag} must be a positive integer, got '${text}'`);
  return v;
}

function nonNegativeInt(text: string, flag: string): number {
  const v = parseNumber(text, flag);
  if (!Number.isInteger(v) || v < 0) throw new ValueError(`${flag} must be a non-negative integer, got '${text}'`);
  return v;
}
