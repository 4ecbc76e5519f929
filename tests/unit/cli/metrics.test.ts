import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsCommand } from '../../../src/cli/metrics.js';
import { encodeNpy, type NpyArray } from '../../../src/data/npy.js';
import { anomalyMetricsExact } from '../../../src/metrics/ranking.js';
import { smiycAnomalyMetrics } from '../../../src/metrics/smiyc.js';
import { createRng, normal, uniform } from '../../../src/random.js';
import { expectClose } from '../../helpers/close.js';

/** Bit-exact comparison through the project's tolerance helper. */
const EXACT = { rtol: 0, atol: 0 };

const dir = mkdtempSync(join(tmpdir(), 'gmmseg-metrics-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function npy(name: string, arr: NpyArray): string {
  const path = join(dir, name);
  writeFileSync(path, encodeNpy(arr));
  return path;
}

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const before = process.exitCode;
  process.exitCode = 0;
  await metricsCommand({ out: (t) => (out += t), err: (t) => (err += t) }).parseAsync(args, { from: 'user' });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { out, err, code };
}

async function expectUserError(args: string[], re: RegExp): Promise<void> {
  const r = await run(args);
  assert.equal(r.code, 1, `exit code for ${args.join(' ')}`);
  assert.equal(r.out, '');
  assert.match(r.err, /^gmmseg metrics: [^\n]+\n$/, 'exactly one line');
  assert.match(r.err, re);
}

// sklearn's documented example as a 2×2 map
const S = npy('s.npy', { dtype: 'float32', shape: [2, 2], data: Float32Array.of(0.1, 0.4, 0.35, 0.8) });
const L = npy('l.npy', { dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(0, 0, 1, 1) });

test('anomaly --json prints exactly {"auroc","ap","fpr95"} (sklearn example)', async () => {
  const r = await run(['anomaly', '--scores', S, '--labels', L, '--json']);
  assert.equal(r.code, 0);
  assert.equal(r.err, '');
  assert.equal(r.out.trim().split('\n').length, 1);
  const j = JSON.parse(r.out) as Record<string, number>;
  assert.deepEqual(Object.keys(j), ['auroc', 'ap', 'fpr95']);
  expectClose(j.auroc as number, 0.75, { rtol: 0, atol: 1e-12 }, 'auroc');
  expectClose(j.ap as number, 5 / 6, { rtol: 0, atol: 1e-12 }, 'ap');
  expectClose(j.fpr95 as number, 0.5, { rtol: 0, atol: 1e-12 }, 'fpr95');
});

test('anomaly modes on a [3, 8, 10] map with void: exact, binned (within its bound), smiyc (per frame)', async () => {
  const rng = createRng(8);
  const n = 3 * 8 * 10;
  const labels = new Int32Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = uniform(rng);
    labels[i] = u < 0.1 ? 255 : u < 0.4 ? 1 : 0;
    scores[i] = normal(rng) + (labels[i] === 1 ? 1 : 0);
  }
  const s = npy('s3.npy', { dtype: 'float64', shape: [3, 8, 10], data: scores });
  const l = npy('l3.npy', { dtype: 'int64', shape: [3, 8, 10], data: BigInt64Array.from(labels, (v) => BigInt(v)) });
  const exact = anomalyMetricsExact(scores, labels);
  const e = JSON.parse((await run(['anomaly', '--scores', s, '--labels', l, '--json'])).out) as Record<string, number>;
  assert.deepEqual(Object.keys(e), ['auroc', 'ap', 'fpr95']);
  expectClose(Object.values(e), [exact.auroc, exact.ap, exact.fpr95], EXACT, 'exact mode');
  const b = JSON.parse(
    (await run(['anomaly', '--scores', s, '--labels', l, '--json', '--mode', 'binned', '--bins', '1000'])).out,
  ) as Record<string, number>;
  expectClose(b.auroc as number, exact.auroc, { rtol: 0, atol: 1e-2 }, 'binned auroc');
  assert.ok((b.fpr95 as number) >= exact.fpr95, 'binned FPR95 is never below exact');
  const frames = [0, 1, 2].map((f) => ({
    scores: scores.subarray(f * 80, f * 80 + 80),
    labels: labels.subarray(f * 80, f * 80 + 80),
  }));
  const sm = smiycAnomalyMetrics(frames);
  const m = JSON.parse(
    (await run(['anomaly', '--scores', s, '--labels', l, '--json', '--mode', 'smiyc'])).out,
  ) as Record<string, number>;
  expectClose(Object.values(m), [sm.auroc, sm.ap, sm.fpr95], EXACT, 'smiyc mode');
  for (const v of [...Object.values(e), ...Object.values(b), ...Object.values(m)]) assert.ok(v >= 0 && v <= 1);
});

test('anomaly without --json prints a readable table', async () => {
  const r = await run(['anomaly', '--scores', S, '--labels', L]);
  assert.equal(r.code, 0);
  assert.match(r.out, /^AUROC\s+0\.750000$/m);
  assert.match(r.out, /^AP\s+0\.833333$/m);
  assert.match(r.out, /^FPR95\s+0\.500000$/m);
  assert.match(r.out, /2 anomaly, 2 inlier, 0 void/);
  const rb = await run(['anomaly', '--scores', S, '--labels', L, '--mode', 'binned']);
  assert.match(rb.out, /worst-case error vs exact/);
});

test('miou --json: {"miou","iou","accuracy"}, NaN IoU as null, ignore index honoured', async () => {
  const pred = npy('p.npy', { dtype: 'int32', shape: [2, 3], data: Int32Array.of(0, 0, 1, 1, 0, 2) });
  const lab = npy('g.npy', { dtype: 'uint8', shape: [2, 3], data: Uint8Array.of(0, 0, 1, 1, 255, 255) });
  const r = await run(['miou', '--pred', pred, '--labels', lab, '--classes', '4', '--json']);
  assert.equal(r.code, 0);
  const j = JSON.parse(r.out) as { miou: number; iou: Array<number | null>; accuracy: number };
  assert.deepEqual(Object.keys(j), ['miou', 'iou', 'accuracy']);
  assert.deepEqual(j.iou, [1, 1, null, null]);
  expectClose(j.miou, 1, EXACT, 'j.miou');
  expectClose(j.accuracy, 1, EXACT, 'j.accuracy');
  const ig = await run(['miou', '--pred', pred, '--labels', lab, '--classes', '4', '--ignore-index', '1', '--json']);
  assert.equal(ig.code, 1, 'with ignore index 1, label 255 is out of range');
  const t = await run(['miou', '--pred', pred, '--labels', lab, '--classes', '4']);
  assert.match(t.out, /^mIoU 1\.000000/m);
  assert.match(t.out, /^2\s+NaN/m);
});

test('user errors: one line naming the file and the problem, exit code 1', async () => {
  const s23 = npy('s23.npy', { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
  const sInt = npy('sint.npy', { dtype: 'int32', shape: [2, 2], data: new Int32Array(4) });
  const lFloat = npy('lf.npy', { dtype: 'float32', shape: [2, 2], data: new Float32Array(4) });
  const lOne = npy('l1.npy', { dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(0, 0, 0, 255) });
  const lVoid = npy('lv.npy', { dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(255, 255, 7, 255) });
  const sNaN = npy('snan.npy', { dtype: 'float32', shape: [2, 2], data: Float32Array.of(NaN, 0, NaN, 1) });
  const corrupt = join(dir, 'corrupt.npy');
  writeFileSync(corrupt, encodeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(4) }).subarray(0, 130));
  const folder = join(dir, 'folder.npy');
  mkdirSync(folder);
  const missing = join(dir, 'missing.npy');
  await expectUserError(
    ['anomaly', '--scores', s23, '--labels', L],
    new RegExp(`${s23} has shape \\(2, 3\\) but ${L} has shape \\(2, 2\\)`),
  );
  await expectUserError(
    ['anomaly', '--scores', sInt, '--labels', L],
    /sint\.npy: scores have dtype int32, expected one of float16, float32, float64/,
  );
  await expectUserError(['anomaly', '--scores', S, '--labels', lFloat], /lf\.npy: labels have dtype float32/);
  await expectUserError(
    ['anomaly', '--scores', missing, '--labels', L],
    /cannot read scores file .*missing\.npy: no such file/,
  );
  await expectUserError(['anomaly', '--scores', folder, '--labels', L], /folder\.npy: is a folder/);
  await expectUserError(['anomaly', '--scores', corrupt, '--labels', L], /corrupt\.npy: truncated data/);
  await expectUserError(
    ['anomaly', '--scores', S, '--labels', lOne],
    /s\.npy with .*l1\.npy: no anomaly pixels \(label 1\)/,
  );
  await expectUserError(['anomaly', '--scores', S, '--labels', lVoid], /no valid pixels/);
  await expectUserError(['anomaly', '--scores', sNaN, '--labels', L], /2 NaN/);
  await expectUserError(['anomaly', '--scores', sNaN, '--labels', L, '--mode', 'smiyc'], /frame 0: .*2 NaN/);
  await expectUserError(
    ['anomaly', '--scores', S, '--labels', L, '--mode', 'fast'],
    /--mode must be one of exact, binned, smiyc, got 'fast'/,
  );
  await expectUserError(
    ['anomaly', '--scores', S, '--labels', L, '--bins', '10'],
    /--bins applies only to --mode binned/,
  );
  await expectUserError(
    ['anomaly', '--scores', S, '--labels', L, '--mode', 'binned', '--bins', '0'],
    /--bins must be a positive integer, got '0'/,
  );
  const pred = npy('p2.npy', { dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(0, 1, 5, 0) });
  const lab = npy('g2.npy', { dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(3, 1, 1, 0) });
  await expectUserError(
    ['miou', '--pred', pred, '--labels', lab, '--classes', '3'],
    /g2\.npy: label value 3 at flat index 0 is outside \[0, 3\)/,
  );
  await expectUserError(
    ['miou', '--pred', pred, '--labels', lab, '--classes', '4'],
    /p2\.npy: predicted class 5 at flat index 2 is outside \[0, 4\)/,
  );
  await expectUserError(
    ['miou', '--pred', pred, '--labels', lab, '--classes', 'x'],
    /--classes must be a positive integer, got 'x'/,
  );
  await expectUserError(
    ['miou', '--pred', pred, '--labels', lab, '--classes', '6', '--ignore-index', 'z'],
    /--ignore-index must be an integer/,
  );
  await expectUserError(
    ['miou', '--pred', pred, '--labels', s23, '--classes', '6'],
    /s23\.npy: labels have dtype float32/,
  );
  const allIgnored = npy('gi.npy', { dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(255, 255, 255, 255) });
  await expectUserError(
    ['miou', '--pred', pred, '--labels', allIgnored, '--classes', '6'],
    /gi\.npy: .*no pixel had a label other than the ignore index/,
  );
});
