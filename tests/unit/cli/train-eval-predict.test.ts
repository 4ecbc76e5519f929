import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evalCommand } from '../../../src/cli/eval.js';
import { predictCommand } from '../../../src/cli/predict.js';
import { trainCommand } from '../../../src/cli/train.js';
import { buildDigitScenes } from '../../../src/data/digit-scenes.js';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import { decodeModel } from '../../../src/model/format.js';
import { runCli as run } from '../../helpers/cli.js';

test('tiny end to end: train (with checkpoint + resume) → eval (closed set + anomaly) → predict', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-e2e-'));
  const model = path.join(dir, 'm.gmmseg');
  const common = [
    '--dataset',
    'digit-scenes',
    '--crop-size',
    '128,128',
    '--batch-size',
    '2',
    '--memory-per-component',
    '64',
  ];
  const views = ['--predict-scales', '1,1.5', '--predict-flip', 'true'];
  const t1 = await run(trainCommand, [
    'train',
    ...common,
    ...views,
    '--out',
    model,
    '--steps',
    '2',
    '--val-split',
    'test',
  ]);
  assert.equal(t1.code, 0, t1.err);
  // the test-time views are stored in the model and are eval's default
  assert.deepEqual(decodeModel(await readFile(model)).preprocessing['views'], { scales: [1, 1.5], flip: true });
  assert.match(t1.out, /step 2\/2 loss/);
  // resume with only --steps: crop size, batch size and the rest come from the checkpoint's stored training config
  const t2 = await run(trainCommand, [
    'train',
    '--dataset',
    'digit-scenes',
    '--out',
    path.join(dir, 'm3.gmmseg'),
    '--steps',
    '3',
    '--resume',
    path.join(dir, 'm.checkpoint.gmmseg'),
  ]);
  assert.equal(t2.code, 0, t2.err);
  assert.equal(t2.err, '');
  assert.match(t2.out, /resuming from .* at step 2/);
  assert.match(t2.out, /step 3\/3 loss/);
  const resumedTrain = decodeModel(await readFile(path.join(dir, 'm3.gmmseg'))).config['train'] as Record<
    string,
    unknown
  >;
  assert.deepEqual([resumedTrain['batchSize'], resumedTrain['cropSize'], resumedTrain['steps']], [2, [128, 128], 3]);
  const e = await run(evalCommand, [
    'eval',
    '--model',
    model,
    '--dataset',
    'digit-scenes',
    '--split',
    'test',
    '--anomaly-dataset',
    'digit-scenes',
    '--out',
    path.join(dir, 'ev'),
  ]);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /gmmseg eval: whole images, scales 1, 1\.5, mirrored views averaged/);
  assert.match(e.out, /## Anomaly segmentation/);
  const report = JSON.parse(await readFile(path.join(dir, 'ev', 'report.json'), 'utf8')) as {
    closedSet: { miou: number };
    anomaly: Record<string, { ap: number; fpr95: number; auroc: number }>;
    bestAnomalyScore: Record<'ap' | 'fpr95' | 'auroc', { value: number; leaders: { score: string }[] }>;
  };
  assert.ok(report.closedSet.miou >= 0 && report.closedSet.miou <= 1);
  assert.deepEqual(Object.keys(report.anomaly).sort(), ['energy', 'gmm', 'maxLogit', 'msp']);
  // the best score per metric: the extreme over the scores, and the scores that reach it
  const scores = Object.values(report.anomaly);
  for (const [k, best] of [
    ['ap', Math.max],
    ['fpr95', Math.min],
    ['auroc', Math.max],
  ] as const) {
    const value = best(...scores.map((m) => m[k]));
    assert.equal(report.bestAnomalyScore[k].value, value, k);
    const leaders = Object.keys(report.anomaly).filter((n) => report.anomaly[n]![k] === value);
    assert.deepEqual(
      report.bestAnomalyScore[k].leaders.map((r) => r.score),
      leaders,
      k,
    );
  }
  assert.match(e.out, /^Best anomaly score: AP .+; FPR95 .+; AUROC .+\.$/m);
  const scenes = await buildDigitScenes({ trainCount: 1, testCount: 1, anomalyCount: 1 });
  const img = path.join(dir, 'scene.png');
  await writeFile(img, encodeRgbPng((await scenes.anomaly.get(0)).image));
  const p = await run(predictCommand, ['predict', img, '--model', model, '--out', path.join(dir, 'pred')]);
  assert.equal(p.code, 0, p.err);
  assert.deepEqual((await readdir(path.join(dir, 'pred'))).sort(), [
    'scene.anomaly.png',
    'scene.classes.png',
    'scene.json',
    'scene.labels.png',
    'scene.overlay.png',
  ]);
  const summary = JSON.parse(await readFile(path.join(dir, 'pred', 'scene.json'), 'utf8')) as {
    anomalyFraction: number;
    score: string;
  };
  assert.equal(summary.score, 'gmm');
  assert.ok(summary.anomalyFraction >= 0 && summary.anomalyFraction <= 1);
  await rm(dir, { recursive: true });
});

test('user errors are one line and exit code 1: unknown dataset, missing model, bad config value', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-err-'));
  const a = await run(trainCommand, ['train', '--dataset', 'mnist', '--out', path.join(dir, 'x.gmmseg')]);
  assert.equal(a.code, 1);
  assert.match(a.err, /^gmmseg train: unknown dataset 'mnist'; valid: digit-scenes, camvid/);
  const b = await run(evalCommand, ['eval', '--model', path.join(dir, 'missing.gmmseg'), '--dataset', 'digit-scenes']);
  assert.equal(b.code, 1);
  assert.match(b.err, /^gmmseg eval: '.*missing.gmmseg': cannot read: no such file/);
  const c = await run(trainCommand, [
    'train',
    '--dataset',
    'digit-scenes',
    '--out',
    path.join(dir, 'x.gmmseg'),
    '--mean-momentum',
    '1.5',
    '--steps',
    '1',
  ]);
  assert.equal(c.code, 1);
  assert.match(c.err, /invalid GMM config: 'meanMomentum'/);
  assert.equal(c.err.split('\n').filter(Boolean).length, 1);
  await rm(dir, { recursive: true });
});
