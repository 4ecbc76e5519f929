/**
 * `gmmseg serve --model FILE [--port 8080] [--host 127.0.0.1] …`: the HTTP service and web page for one model.
 * Prints one line when listening (`gmmseg serve: http://HOST:PORT (engine E, model FILE)`; `--port 0` picks a free
 * port and prints the real one); JSON log lines go to stderr. SIGINT / SIGTERM stop accepting connections, finish
 * the requests in flight and queued, then the command returns (exit code 0); a second signal ends at once.
 */
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { ValueError } from '../errors.js';
import { buildServer } from '../server/app.js';
import { MIB, type ServeOptionsInput } from '../server/options.js';
import { processIo, runUserCommand, startEngine, type CommandIo } from './command-io.js';
import { loadSegModel } from './load-model.js';
import { addOptions, readOptions, type OptionValues } from './option-table.js';
import { SERVE_OPTIONS } from './options.js';

type ServeFlags = OptionValues<typeof SERVE_OPTIONS>;

export function serveCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('serve').description(
    'HTTP service and web page: POST /v1/segment, GET /v1/model, GET /healthz, the page at /',
  );
  return addOptions(cmd, SERVE_OPTIONS).action(async (raw: Record<string, unknown>) =>
    runUserCommand('serve', io, () => runServe(readOptions(SERVE_OPTIONS, raw), io)),
  );
}

async function runServe(flags: ServeFlags, io: CommandIo): Promise<void> {
  const engine = await startEngine(flags.engine);
  const loaded = await loadSegModel(flags.model);
  const app = await buildServer({ ...loaded, options: serveOptions(flags), modelName: flags.model });
  try {
    await app.listen({ port: flags.port, host: flags.host });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValueError(`cannot listen on ${flags.host}:${flags.port}: ${code ?? (e as Error).message}`);
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.out(`gmmseg serve: http://${host}:${address.port} (engine ${engine}, model ${flags.model})\n`);
  await untilSignal(app);
}

/** The service options the user gave (already checked by the option table; defaults in `parseServeOptions`). */
function serveOptions(flags: ServeFlags): ServeOptionsInput {
  const opts: ServeOptionsInput = { logLevel: flags.logLevel };
  if (flags.maxBodyMb !== undefined) opts.maxBodyBytes = Math.round(flags.maxBodyMb * MIB);
  if (flags.maxPixels !== undefined) opts.maxImagePixels = flags.maxPixels;
  if (flags.queue !== undefined) opts.queueSize = flags.queue;
  if (flags.timeoutMs !== undefined) opts.requestTimeoutMs = flags.timeoutMs;
  if (flags.bodyTimeoutMs !== undefined) opts.bodyTimeoutMs = flags.bodyTimeoutMs;
  if (flags.workers !== undefined) opts.workers = flags.workers;
  if (flags.workerRecycleMb !== undefined)
    opts.workerRecycleBytes = Math.max(1, Math.round(flags.workerRecycleMb * MIB));
  if (flags.threshold !== undefined) opts.threshold = flags.threshold;
  if (flags.score !== undefined) opts.score = flags.score;
  if (flags.webRoot !== undefined) opts.webRoot = flags.webRoot;
  if (flags.corsOrigin !== undefined) opts.corsOrigins = flags.corsOrigin;
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
