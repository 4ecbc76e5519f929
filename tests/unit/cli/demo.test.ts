import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { demoCommand } from '../../../src/cli/demo.js';
import { decodeModel } from '../../../src/model/format.js';
import { headFromModel } from '../../../src/model/head-model.js';

test('gmmseg demo trains, evaluates and writes a loadable model and a report', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-demo-'));
  let out = '';
  let err = '';
  const program = new Command('gmmseg').exitOverride().addCommand(demoCommand({ out: (t) => void (out += t), err: (t) => void (err += t) }));
  await program.parseAsync(['node', 'gmmseg', 'demo', '--out', dir, '--steps', '20', '--engine', 'wasm']);
  assert.equal(err, '');
  assert.match(out, /engine wasm/);
  assert.match(out, /\| GMM −max log p\(x\|c\) \|/);
  assert.deepEqual((await readdir(dir)).sort(), ['gmm-head.gmmseg', 'report.json']);
  const report = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as Record<string, { ap: number }> & { miou: number; steps: number };
  assert.equal(report.steps, 20);
  assert.ok(report.miou > 0 && report.miou <= 1);
  assert.ok(report['anomalyGmm']!.ap > 0 && report['anomalyGmm']!.ap <= 1);
  const head = headFromModel(decodeModel(await readFile(path.join(dir, 'gmm-head.gmmseg'))));
  assert.equal(head.config.classes, 5);
  await rm(dir, { recursive: true });
});

test('gmmseg demo: a bad engine name is one clear error line and exit code 1', async () => {
  let err = '';
  const program = new Command('gmmseg').exitOverride().addCommand(demoCommand({ out: () => undefined, err: (t) => void (err += t) }));
  const before = process.exitCode;
  await program.parseAsync(['node', 'gmmseg', 'demo', '--engine', 'gpu', '--out', path.join(tmpdir(), 'never')]);
  assert.equal(err, "gmmseg demo: unknown engine 'gpu' (from --engine); valid: wasm, cpu\n");
  assert.equal(process.exitCode, 1);
  process.exitCode = before;
});
