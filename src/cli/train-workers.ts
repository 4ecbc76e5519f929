/**
 * `gmmseg train --nproc N`: starts N local data-parallel workers — this same command in child processes, each with
 * the torchrun variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, a free MASTER_PORT)
 * and its share of the threads — and waits for them. Rank 0's output passes through; the other ranks print only
 * errors, prefixed with their rank. When a worker fails, the others stop (they fail on their next collective, or
 * are terminated after a grace period) and the command exits 1 with a line naming the failed rank.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { freePort } from '../parallel/free-port.js';
import { localWorkerEnv } from '../parallel/launch-env.js';
import { GmmsegError } from '../errors.js';
import type { CommandIo } from './command-io.js';

/** How long the other workers get to stop by themselves after one failed. */
const GRACE_MS = 15_000;

/** Threads per worker: the engine's thread count (GMMSEG_THREADS or the machine's) split evenly, at least 1. */
export function threadsPerWorker(nproc: number, env: Record<string, string | undefined> = process.env): number {
  const total = Number(env['GMMSEG_THREADS']) || os.availableParallelism();
  return Math.max(1, Math.floor(total / nproc));
}

interface Exit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function describe(e: Exit): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

function prefixLines(rank: number, write: (s: string) => void): (d: Buffer) => void {
  let rest = '';
  return (d) => {
    const lines = (rest + String(d)).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) write(`[rank ${rank}] ${l}\n`);
  };
}

/** Runs `args` (this command's own arguments) as `nproc` workers; throws GmmsegError naming a failed rank. */
export async function runLocalWorkers(nproc: number, args: readonly string[], io: CommandIo): Promise<void> {
  const port = await freePort();
  const threads = threadsPerWorker(nproc);
  io.out(`gmmseg train: starting ${nproc} workers on 127.0.0.1:${port}, ${threads} thread(s) each\n`);
  const children: ChildProcess[] = [];
  const exits = await new Promise<Exit[]>((resolve) => {
    const done: Exit[] = [];
    let grace: NodeJS.Timeout | undefined;
    for (let rank = 0; rank < nproc; rank++) {
      const child = spawn(process.execPath, [...process.execArgv, ...args], {
        env: { ...process.env, ...localWorkerEnv(rank, nproc, port, threads) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      if (rank === 0) child.stdout?.on('data', (d: Buffer) => io.out(String(d)));
      child.stderr?.on('data', rank === 0 ? (d: Buffer) => io.err(String(d)) : prefixLines(rank, io.err));
      child.on('close', (code, signal) => {
        const e = { rank, code, signal };
        done.push(e);
        const failed = code !== 0;
        if (failed && !grace)
          grace = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM')), GRACE_MS);
        if (done.length === nproc) {
          if (grace) clearTimeout(grace);
          resolve(done);
        }
      });
    }
  });
  const failed = exits.filter((e) => e.code !== 0);
  if (failed.length === 0) return;
  // the first to fail is the cause; the others stopped because of it
  const first = failed[0] as Exit;
  const others = failed.slice(1).map((e) => `rank ${e.rank} ${describe(e)}`);
  throw new GmmsegError(
    `worker rank ${first.rank} ${describe(first)}${others.length ? `; then ${others.join(', ')}` : ''}`,
  );
}
