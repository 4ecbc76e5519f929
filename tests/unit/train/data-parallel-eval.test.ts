/**
 * Sharded evaluation over c10d Gloo, with real worker processes (tests/helpers/dp-eval-worker.ts) on the torch
 * engine: 2 workers (each evaluating images r, r + 2, … and reducing the counts) give exactly the evaluation of
 * 1 worker — validation mIoU and per-class metrics, the confusion matrix, AUROC / AP / FPR95 and the curve tables of
 * every anomaly score, and the calibrated threshold. Tolerance: none (bit equality; counts are integers and the merged
 * tie table is the single-process one). The two ranks agree with each other, and each ran only its share of forwards.
 *
 * Needs the native engine built with Gloo (libgloo-dev); without it the test is skipped with that reason, printed
 * by node:test and listed by `npm test`. On the wasm engine run it is skipped (it runs in the torch run).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distAvailability } from '../../../src/parallel/process-group.js';
import { freePort } from '../../../src/parallel/free-port.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../helpers/dp-eval-worker.js');

function skipReason(): string | false {
  const engine = process.env['GMMSEG_ENGINE'];
  if (engine && engine !== 'torch') return `runs in the torch engine's run only (GMMSEG_ENGINE=${engine})`;
  const { reason } = distAvailability();
  return reason ? `DATA-PARALLEL EVALUATION TEST NOT RUN: ${reason}` : false;
}
const skip = skipReason();
if (skip && skip.startsWith('DATA-PARALLEL')) process.stderr.write(`${'!'.repeat(80)}\n${skip}\n${'!'.repeat(80)}\n`);

function worker(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [WORKER, ...args], {
    env: { ...process.env, GMMSEG_THREADS: '1', OMP_NUM_THREADS: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

function rankEnv(rank: number, port: number): Record<string, string> {
  return { RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
}

interface Out {
  rank: number;
  validation: {
    images: number;
    segmentation: { miou: number; iou: number[] };
    anomaly: Record<string, { auroc: number; ap: number; fpr95: number; numPos: number; table: { pos: number[] } }>;
  };
  calibration: { threshold: number; numInliers: number };
  confusion: number[];
  direct: unknown;
  forwards: number;
}

test('2 workers evaluate exactly as 1: mIoU, confusion, AUROC / AP / FPR95, calibration', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gmmseg-dp-eval-'));
  try {
    const port = await freePort();
    const out = (n: string): string => path.join(dir, `${n}.json`);
    const results = await Promise.all([
      worker([out('ref'), '2'], {}),
      worker([out('r0'), '1'], rankEnv(0, port)),
      worker([out('r1'), '1'], rankEnv(1, port)),
    ]);
    results.forEach((r, i) => assert.equal(r.code, 0, `process ${i} failed: ${r.stderr}`));
    const [ref, r0, r1] = ['ref', 'r0', 'r1'].map((n) => JSON.parse(readFileSync(out(n), 'utf8')) as Out) as [
      Out,
      Out,
      Out,
    ];
    // the evaluation is not trivial: labels, both anomaly classes, several operating points
    assert.equal(ref.validation.images, 5);
    assert.ok(ref.confusion.reduce((a, b) => a + b, 0) > 0);
    const gmm = ref.validation.anomaly['gmm'];
    assert.ok(gmm && gmm.numPos > 0 && gmm.table.pos.length > 2, 'gmm score has anomaly pixels and a curve');
    assert.ok(ref.calibration.numInliers > 0);
    // each rank ran its share only (images 0, 2, 4 and 1, 3)
    assert.deepEqual([ref.forwards, r0.forwards, r1.forwards], [5, 3, 2]);
    for (const [name, r] of [
      ['rank 0', r0],
      ['rank 1', r1],
    ] as const) {
      assert.deepEqual(r.confusion, ref.confusion, `${name}: confusion matrix`);
      assert.deepEqual(r.validation, ref.validation, `${name}: validation (mIoU, AUROC, AP, FPR95, tables)`);
      assert.deepEqual(r.calibration, ref.calibration, `${name}: calibration`);
      assert.deepEqual(r.direct, ref.direct, `${name}: evaluateSets`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
