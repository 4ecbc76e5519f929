/**
 * One segmentation worker as the service sees it: a forked child process (segment-worker.ts) that starts its engine
 * and model, then runs one job at a time. Its stdout/stderr lines go to the service log; `kill()` ends it at once
 * (SIGKILL: also inside a native engine call), and its memory goes back to the system with it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GmmsegError } from '../errors.js';
import type { WorkerError, WorkerInit, WorkerJob, WorkerReply, WorkerResult } from './worker-protocol.js';

/** The worker could not start (engine or model); the message says why. */
export class WorkerStartError extends GmmsegError {}

/** The worker ended while it had a job (killed for a timeout, or crashed); the message says how. */
export class WorkerGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerGoneError';
  }
}

/** Where a worker's log lines go (a pino logger fits). */
export interface WorkerLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Lifecycle: starting → idle ⇄ busy → gone. */
export type WorkerState = 'starting' | 'idle' | 'busy' | 'gone';

const ENTRY = fileURLToPath(new URL('./segment-worker.js', import.meta.url));

/**
 * Scheduling niceness of the workers: below the service's own process, so that on a busy machine the HTTP side
 * (health checks, refusals, timeouts) gets the CPU first and inference takes the rest.
 */
const WORKER_NICENESS = 10;

interface Pending {
  id: number;
  resolve: (reply: WorkerResult | WorkerError) => void;
  reject: (e: Error) => void;
}

/** A forked segmentation worker. */
export class PoolWorker {
  state: WorkerState = 'starting';
  /** Resident set size when it became ready, and after its last job, bytes. */
  readyRssBytes = 0;
  lastRssBytes = 0;
  /** Resolves when the worker is ready; rejects with {@link WorkerStartError}. */
  readonly ready: Promise<void>;
  /** Resolves when the process has ended. */
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private pending: Pending | undefined;
  private nextId = 1;

  constructor(init: Omit<WorkerInit, 'type'>, env: NodeJS.ProcessEnv, log: WorkerLog) {
    this.child = fork(ENTRY, [], {
      serialization: 'advanced',
      execArgv: [],
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const pid = this.child.pid;
    try {
      if (pid !== undefined) os.setPriority(pid, Math.min(19, os.getPriority() + WORKER_NICENESS));
    } catch {
      // not permitted here: the worker runs at the service's priority
    }
    for (const stream of [this.child.stdout, this.child.stderr])
      if (stream) createInterface({ input: stream }).on('line', (line) => log.warn({ worker: pid }, line));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.ready = new Promise<void>((resolve, reject) => {
      this.child.on('message', (m: WorkerReply) => this.onMessage(m, resolve, reject, log));
      this.child.once('exit', (code, signal) => {
        const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
        if (this.state === 'starting') reject(new WorkerStartError(`the segmentation worker ended at start (${how})`));
        this.state = 'gone';
        this.pending?.reject(new WorkerGoneError(`the segmentation worker ended during the work (${how})`));
        this.pending = undefined;
      });
    });
    this.ready.catch(() => undefined);
    this.child.on('error', (e) => log.error({ worker: pid, err: e }, 'segmentation worker process error'));
    this.child.send({ type: 'init', ...init });
  }

  /** The process id (undefined if the fork failed). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Takes an idle worker for one job (it becomes busy); false when it is not idle. */
  take(): boolean {
    if (this.state !== 'idle') return false;
    this.state = 'busy';
    return true;
  }

  /** Sends a job to a worker taken with {@link take}; resolves with the worker's answer. */
  run(job: Omit<WorkerJob, 'type' | 'id'>): Promise<WorkerResult | WorkerError> {
    if (this.state !== 'busy' || this.pending) throw new Error(`PoolWorker.run: the worker is ${this.state}`);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      this.child.send({ type: 'job', id, ...job });
    });
  }

  /** Ends the process at once (a running job rejects with {@link WorkerGoneError}). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Lets the process end by itself (it exits when disconnected); for an idle worker. */
  retire(): void {
    this.state = 'gone';
    if (this.child.connected) this.child.disconnect();
  }

  /** Resident set size now: read from /proc on Linux, else the last one the worker reported. Bytes. */
  rssBytes(): number {
    if (this.state === 'gone') return 0;
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
      if (kib !== undefined) return Number(kib) * 1024;
    } catch {
      // not Linux, or the process just ended
    }
    return this.lastRssBytes;
  }

  private onMessage(m: WorkerReply, ready: () => void, failed: (e: Error) => void, log: WorkerLog): void {
    switch (m.type) {
      case 'ready':
        this.readyRssBytes = this.lastRssBytes = m.rssBytes;
        this.state = 'idle';
        ready();
        return;
      case 'failed':
        if (m.detail !== undefined) log.error({ worker: this.pid, detail: m.detail }, 'segmentation worker failed');
        failed(new WorkerStartError(`the segmentation worker could not start: ${m.message}`));
        this.kill();
        return;
      default: {
        const pending = this.pending;
        if (pending === undefined || pending.id !== m.id) return;
        this.pending = undefined;
        this.lastRssBytes = m.rssBytes;
        if (this.state === 'busy') this.state = 'idle';
        pending.resolve(m);
      }
    }
  }
}
