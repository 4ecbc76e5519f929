/**
 * Data-parallel training over c10d Gloo, with real worker processes (tests/helpers/dp-worker.ts) on the torch engine:
 *
 * - parity: 2 workers × batch 2 for 3 steps end with the same parameters, batch-norm buffers, GMM means/stds and
 *   queue memory as 1 worker × batch 2 with 2 accumulation steps. Tolerance: none — the values are compared for
 *   bit equality (a float sum of two terms is order-free, and every other operation is the same on both sides); the
 *   two ranks are bit-identical to each other. Rank 1 starts from other weights: the start broadcast must fix them.
 * - fault: a worker killed mid-run makes the other exit non-zero within the timeout, naming the lost rank.
 * - a missing peer at the rendezvous is a DistError within the timeout.
 *
 * They need the native engine built with Gloo (libgloo-dev); without it they are skipped with that reason, printed
 * by node:test and listed by `npm test`. On the wasm engine run they are skipped (they run in the torch run).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distAvailability, DistError, ProcessGroup } from '../../../src/parallel/process-group.js';
import { freePort } from '../../../src/parallel/free-port.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../helpers/dp-worker.js');

function skipReason(): string | false {
  const engine = process.env['GMMSEG_ENGINE'];
  if (engine && engine !== 'torch') return `runs in the torch engine's run only (GMMSEG_ENGINE=${engine})`;
  const { reason } = distAvailability();
  return reason ? `DATA-PARALLEL TESTS NOT RUN: ${reason}` : false;
}
const skip = skipReason();
if (skip && skip.startsWith('DATA-PARALLEL')) process.stderr.write(`${'!'.repeat(80)}\n${skip}\n${'!'.repeat(80)}\n`);

interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function worker(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [WORKER, ...args], {
    env: { ...process.env, GMMSEG_THREADS: '1', OMP_NUM_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += String(d)));
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

function rankEnv(rank: number, world: number, port: number): Record<string, string> {
  return { RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
}

type Snapshot = { rank: number; state: Record<string, number[]> };

test('2 workers × batch 2 equal 1 worker × batch 2 with 2 accumulation steps, bit for bit', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gmmseg-dp-'));
  try {
    const port = await freePort();
    const out = (n: string): string => path.join(dir, n);
    const runs = [
      worker([out('ref.json'), '3', '2'], {}),
      worker([out('r0.json'), '3', '1'], rankEnv(0, 2, port)),
      worker([out('r1.json'), '3', '1'], rankEnv(1, 2, port)),
    ];
    const results = await Promise.all(runs.map((r) => r.done));
    results.forEach((r, i) => assert.equal(r.code, 0, `process ${i} failed: ${r.stderr}`));
    const [ref, r0, r1] = ['ref', 'r0', 'r1'].map(
      (n) => JSON.parse(readFileSync(out(`${n}.json`), 'utf8')) as Snapshot,
    );
    const keys = Object.keys((ref as Snapshot).state);
    for (const k of ['gmm.means', 'gmm.stds', 'gmm.memory', 'gmm.pointer']) assert.ok(keys.includes(k), k);
    const bn = keys.filter((k) => k.startsWith('bn.') && k.endsWith('running_mean'));
    assert.ok(bn.length > 0, 'the model has batch-norm buffers');
    // the buffers and the memory moved during the 3 steps (so their parity is not trivial)
    assert.ok(bn.some((k) => (ref as Snapshot).state[k]?.some((v) => v !== 0)));
    assert.ok((ref as Snapshot).state['gmm.pointer']?.some((v) => v !== 0));
    assert.deepEqual((r1 as Snapshot).state, (r0 as Snapshot).state, 'ranks bit-identical');
    for (const k of keys) assert.deepEqual((r0 as Snapshot).state[k], (ref as Snapshot).state[k], `${k} differs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker killed mid-run makes the other exit non-zero, naming the lost rank', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gmmseg-dp-'));
  try {
    const port = await freePort();
    const r0 = worker([path.join(dir, 'r0.json'), '500', '1'], rankEnv(0, 2, port));
    const r1 = worker([path.join(dir, 'r1.json'), '500', '1'], rankEnv(1, 2, port));
    await new Promise<void>((resolve) => {
      const check = (d: unknown): void => {
        if (String(d).includes('step 1')) {
          r1.child.stdout?.off('data', check);
          resolve();
        }
      };
      r1.child.stdout?.on('data', check);
    });
    r1.child.kill('SIGKILL');
    const t0 = Date.now();
    const res = await r0.done;
    assert.equal((await r1.done).signal, 'SIGKILL');
    assert.equal(res.code, 3, `rank 0 exit code (stderr: ${res.stderr})`);
    assert.match(res.stderr, /lost rank 1/);
    assert.ok(Date.now() - t0 < 20_000, 'within the 20 s collective timeout');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a peer that never arrives: init fails with a DistError within the timeout', { skip }, async () => {
  const port = await freePort();
  assert.throws(
    () => ProcessGroup.init({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 1500 }),
    (e: unknown) => e instanceof DistError && /did all 2 ranks start/.test(e.message),
  );
});
