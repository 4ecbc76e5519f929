import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { demoBudget, demoCommand } from '../../../src/cli/demo.js';
import { EXTRACTOR_LOADERS } from '../../../src/model/extractors.js';
import { decodeModel } from '../../../src/model/format.js';
import { segModelFromFile } from '../../../src/model/seg-model-file.js';

test('gmmseg demo --quick (tiny budget) trains both heads and writes models, report, curves and pictures', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-demo-'));
  let out = '';
  let err = '';
  const program = new Command('gmmseg')
    .exitOverride()
    .addCommand(demoCommand({ out: (t) => void (out += t), err: (t) => void (err += t) }));
  await program.parseAsync([
    'node',
    'gmmseg',
    'demo',
    '--quick',
    '--out',
    dir,
    '--steps',
    '2',
    '--train-images',
    '4',
    '--test-images',
    '4',
    '--no-progress',
  ]);
  assert.equal(err, '');
  assert.match(out, /engine (torch|wasm)/);
  assert.match(out, /\| gmm \| .* \| gmm \(primary\) \|/);
  assert.match(out, /\| softmax \| .* \| msp \(primary\) \|/);
  const files = (await readdir(dir)).sort();
  for (const f of [
    'gmm.gmmseg',
    'softmax.gmmseg',
    'report.json',
    'report.md',
    'roc.svg',
    'pr.svg',
    'roc.png',
    'pr.png',
    'example-gmm-0.png',
    'example-softmax-0.png',
  ])
    assert.ok(files.includes(f), `missing ${f}`);
  const report = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as Record<
    string,
    { miou: number; anomaly: { ap: number; fpr95: number; auroc: number } }
  >;
  for (const head of ['gmm', 'softmax']) {
    const r = report[head]!;
    assert.ok(r.miou >= 0 && r.miou <= 1, `${head} miou`);
    for (const k of ['ap', 'fpr95', 'auroc'] as const)
      assert.ok(r.anomaly[k] >= 0 && r.anomaly[k] <= 1, `${head} ${k}`);
  }
  // which head × score is best on each metric: the extreme over every head's scores
  const full = report as unknown as Record<string, { anomalyScores: Record<string, Record<string, number>> }> & {
    bestAnomalyScore: Record<string, { value: number; leaders: { model: string; score: string }[] }>;
  };
  for (const [k, best] of [
    ['ap', Math.max],
    ['fpr95', Math.min],
    ['auroc', Math.max],
  ] as const) {
    const all = ['gmm', 'softmax'].flatMap((h) => Object.values(full[h]!.anomalyScores).map((m) => m[k] as number));
    assert.equal(full.bestAnomalyScore[k]?.value, best(...all), k);
    for (const r of full.bestAnomalyScore[k]?.leaders ?? [])
      assert.equal(full[r.model]?.anomalyScores[r.score]?.[k], best(...all), `${k} leader ${r.model} ${r.score}`);
    assert.ok((full.bestAnomalyScore[k]?.leaders.length ?? 0) >= 1, k);
  }
  assert.match(await readFile(path.join(dir, 'report.md'), 'utf8'), /^Best anomaly score: AP .+\.$/m);
  assert.match(out, /^Best anomaly score: AP .+\.$/m);
  const gmm = await segModelFromFile(decodeModel(await readFile(path.join(dir, 'gmm.gmmseg'))), EXTRACTOR_LOADERS);
  assert.equal(gmm.model.head.kind, 'gmm');
  assert.equal(gmm.model.extractor.kind, 'unet');
  assert.equal(gmm.model.classes.length, 11);
  assert.deepEqual(gmm.sections.preprocessing?.views, { scales: [1, 1.25], flip: false }, 'stored test-time views');
  assert.match(out, /softmax head 2 steps, then the GMM head 1 steps from its U-Net; 4 DigitScenes training images/);
  await rm(dir, { recursive: true });
});

test('gmmseg demo: a bad engine name is one clear error line and exit code 1', async () => {
  let err = '';
  const program = new Command('gmmseg')
    .exitOverride()
    .addCommand(demoCommand({ out: () => undefined, err: (t) => void (err += t) }));
  const before = process.exitCode;
  await program.parseAsync(['node', 'gmmseg', 'demo', '--engine', 'gpu', '--out', path.join(tmpdir(), 'never')]);
  assert.equal(err, "gmmseg demo: unknown engine 'gpu' (from --engine); valid: torch, wasm, cpu\n");
  assert.equal(process.exitCode, 1);
  process.exitCode = before;
});

test('gmmseg demo: --seed and --steps must be positive integers (one line, before the engine starts)', async () => {
  for (const [flag, value] of [
    ['--seed', '0'],
    ['--steps', '1.5'],
  ] as const) {
    let out = '';
    let err = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
    const program = new Command('gmmseg').exitOverride().addCommand(demoCommand(io));
    const before = process.exitCode;
    await program.parseAsync(['node', 'gmmseg', 'demo', flag, value, '--out', path.join(tmpdir(), 'never')]);
    assert.equal(err, `gmmseg demo: ${flag} must be a positive integer, got '${value}'\n`);
    assert.equal(out, '');
    assert.equal(process.exitCode, 1);
    process.exitCode = before;
  }
});

test('demoBudget: the softmax head first, then the GMM head from its U-Net for a sixth of the steps, refitted', () => {
  const full = demoBudget({ quick: false, seed: 1, steps: undefined, trainImages: undefined, testImages: undefined });
  assert.deepEqual([full.softmax.steps, full.gmm.steps, full.trainImages, full.testImages], [2400, 400, 19200, 100]);
  assert.deepEqual([full.softmax.learningRate, full.gmm.learningRate, full.gmm.warmupSteps], [2e-3, 3e-3, 50]);
  assert.deepEqual(
    [full.softmax.refitPixelsPerClass, full.gmm.refitPixelsPerClass, full.gmm.refitImages],
    [0, 20000, 500],
  );
  assert.deepEqual([full.gmm.classWeighting, full.softmax.classWeightImages], ['enet', 2400]);
  assert.deepEqual(
    [full.softmax.predictScales, full.gmm.predictScales],
    [
      [1, 1.25],
      [1, 1.25],
    ],
  );
  const quick = demoBudget({ quick: true, seed: 1, steps: undefined, trainImages: undefined, testImages: undefined });
  assert.deepEqual([quick.softmax.steps, quick.gmm.steps, quick.trainImages, quick.testImages], [120, 20, 960, 30]);
  assert.equal(quick.gmm.refitImages, 100);
  const given = demoBudget({ quick: false, seed: 3, steps: 5, trainImages: 7, testImages: 2 });
  assert.deepEqual([given.softmax.steps, given.gmm.steps, given.trainImages, given.gmm.seed], [5, 1, 7, 3]);
});
