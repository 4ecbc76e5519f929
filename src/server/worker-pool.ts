/**
 * The service's segmentation workers: `size` child processes (pool-worker.ts), each with its own engine and model.
 * The work queue lets at most `size` jobs run, so a job always finds a worker (perhaps one still starting).
 *
 * - Abandoning a job (its request timed out) kills its worker; a replacement starts at once.
 * - A worker that ended by itself (crashed) is replaced too, and its job fails with {@link WorkerGoneError}.
 * - Recycling: after a job, a worker whose resident memory grew by more than `recycleRssGrowthBytes` since it was
 *   ready (a large image leaves freed memory in the allocator's arenas) is retired and replaced, so the service's
 *   memory goes back to its baseline.
 */
import os from 'node:os';
import { THREADS_ENV_VAR } from '../engine/torch/init.js';
import { PoolWorker, WorkerGoneError, type WorkerLog, type WorkerState } from './pool-worker.js';
import type { WorkerError, WorkerInit, WorkerJob, WorkerResult } from './worker-protocol.js';

/** Settings of {@link WorkerPool.start}. */
export interface WorkerPoolOptions {
  size: number;
  init: Omit<WorkerInit, 'type'>;
  recycleRssGrowthBytes: number;
  log: WorkerLog & { info(obj: object, msg: string): void };
  /** The environment of the workers (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** One worker in a health report. */
export interface WorkerStats {
  pid: number | null;
  state: WorkerState;
  rssBytes: number;
}

/** The job was abandoned (its signal aborted) before or while it ran. */
export class JobAbortedError extends Error {
  constructor() {
    super('the segmentation was abandoned');
    this.name = 'JobAbortedError';
  }
}

/** Pause before starting a replacement after a replacement failed to start, ms. */
const RESTART_DELAY_MS = 1000;

export { WorkerGoneError };

/** A fixed-size pool of segmentation workers. */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private closing = false;

  private constructor(private readonly options: WorkerPoolOptions) {}

  /**
   * Starts `size` workers and waits until all are ready.
   *
   * @throws WorkerStartError (a GmmsegError) when a worker cannot start its engine or model.
   */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    for (let i = 0; i < options.size; i++) pool.workers.push(pool.spawn());
    try {
      await Promise.all(pool.workers.map((w) => w.ready));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Every worker's pid, state and memory. */
  stats(): WorkerStats[] {
    return this.workers.map((w) => ({ pid: w.pid ?? null, state: w.state, rssBytes: w.rssBytes() }));
  }

  /**
   * Runs a job on an idle worker (waiting for one that is starting).
   *
   * @throws JobAbortedError when `signal` aborts (a running job's worker is killed and replaced); WorkerGoneError
   *   when the worker crashed.
   */
  async run(job: Omit<WorkerJob, 'type' | 'id'>, signal: AbortSignal): Promise<WorkerResult | WorkerError> {
    const worker = await this.idleWorker(signal);
    const onAbort = (): void => worker.kill();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const reply = await worker.run(job);
      this.afterJob(worker);
      return reply;
    } catch (e) {
      if (signal.aborted && e instanceof WorkerGoneError) throw new JobAbortedError();
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.notifyIdle();
    }
  }

  /** Ends every worker. */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.workers) w.kill();
    await Promise.all(this.workers.map((w) => w.exited));
  }

  private spawn(): PoolWorker {
    const worker = new PoolWorker(this.options.init, this.workerEnv(), this.options.log);
    worker.ready.then(
      () => this.notifyIdle(),
      (e: Error) => this.options.log.error({ err: e, worker: worker.pid }, 'a segmentation worker failed to start'),
    );
    void worker.exited.then(() => this.replace(worker));
    return worker;
  }

  /** Puts a new worker in the place of one that ended (after a failed start, with a pause). */
  private replace(gone: PoolWorker): void {
    if (this.closing) return;
    const i = this.workers.indexOf(gone);
    if (i < 0) return;
    const failedStart = gone.readyRssBytes === 0;
    const start = (): void => {
      if (this.closing || this.workers[i] !== gone) return;
      this.workers[i] = this.spawn();
    };
    if (failedStart) setTimeout(start, RESTART_DELAY_MS).unref();
    else start();
  }

  /** Retires a worker whose memory grew too much (it exits; {@link replace} starts its successor). */
  private afterJob(worker: PoolWorker): void {
    const growth = worker.lastRssBytes - worker.readyRssBytes;
    if (growth <= this.options.recycleRssGrowthBytes || this.closing) return;
    this.options.log.info(
      { worker: worker.pid, rssBytes: worker.lastRssBytes, readyRssBytes: worker.readyRssBytes },
      'recycling a segmentation worker after a large request',
    );
    worker.retire();
  }

  /** An idle worker, taken for the caller's job. */
  private async idleWorker(signal: AbortSignal): Promise<PoolWorker> {
    for (;;) {
      if (signal.aborted) throw new JobAbortedError();
      const idle = this.workers.find((w) => w.take());
      if (idle) return idle;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.idleWaiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  private notifyIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** The workers share the machine's cores: each gets its share of engine threads unless the user set them. */
  private workerEnv(): NodeJS.ProcessEnv {
    const env = { ...(this.options.env ?? process.env) };
    if (this.options.size > 1 && (env[THREADS_ENV_VAR] ?? '') === '')
      env[THREADS_ENV_VAR] = String(Math.max(1, Math.floor(os.availableParallelism() / this.options.size)));
    return env;
  }
}
