/**
 * Datasets are checked before training or evaluating (issue 13, items 7, 8 and 12): a corrupt image, a wrong-size
 * label or an out-of-range class fails at once with a message naming the file (no step, no checkpoint); with
 * `--skip-bad` the sample is left out and listed — by eval in the console, report.json and report.md. A model
 * evaluated on a dataset whose class names differ gets a warning.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { evalCommand } from '../../../src/cli/eval.js';
import { trainCommand } from '../../../src/cli/train.js';
import { runCli } from '../../helpers/cli.js';
import {
  tinyFolderFiles,
  tinyTrainArgs,
  trainTinyModel,
  truncatedPhoto,
  TINY_SIZE,
} from '../../helpers/tiny-folder.js';
import { label, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('ds-check');

test('train without --skip-bad: a corrupt image, a wrong-size label or an out-of-range class fails before step 1', async () => {
  const good = tinyFolderFiles(3);
  const cases: [string, Record<string, Uint8Array>, RegExp][] = [
    [
      'corrupt image',
      { 'images/bad.png': truncatedPhoto(), 'labels/bad.png': label(TINY_SIZE, TINY_SIZE, [0]) },
      /images\/bad\.png' is not a readable image/,
    ],
    [
      'wrong-size label',
      { 'images/bad.png': good['images/s0.png'] as Uint8Array, 'labels/bad.png': label(8, 8, [0]) },
      /label '.*labels\/bad\.png' is 8x8 but its image/,
    ],
    [
      'out-of-range class',
      { 'images/bad.png': good['images/s0.png'] as Uint8Array, 'labels/bad.png': label(TINY_SIZE, TINY_SIZE, [7]) },
      /label '.*labels\/bad\.png' has values outside the class range: \{7\}/,
    ],
  ];
  for (const [what, extra, re] of cases) {
    const root = await tree(tinyFolderFiles(3, extra));
    const out = path.join(await tree({}), 'm.gmmseg');
    const r = await runCli(trainCommand, tinyTrainArgs(root, out));
    assert.equal(r.code, 1, what);
    assert.match(r.err, re, what);
    assert.equal(r.err.split('\n').filter(Boolean).length, 1, `${what}: one line: ${r.err}`);
    assert.doesNotMatch(r.out, /step \d/, `${what}: no training step ran`);
    assert.deepEqual(await readdir(path.dirname(out)), [], `${what}: no checkpoint or model written`);
  }
});

test('train --skip-bad leaves out a corrupt image and says so; the run completes', async () => {
  const root = await tree(
    tinyFolderFiles(3, { 'images/bad.png': truncatedPhoto(), 'labels/bad.png': label(TINY_SIZE, TINY_SIZE, [0]) }),
  );
  const out = path.join(await tree({}), 'm.gmmseg');
  const r = await runCli(trainCommand, [...tinyTrainArgs(root, out), '--skip-bad']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^gmmseg train: skipped .*images\/bad\.png: decodeImage: .* is not a readable image/m);
  assert.match(r.out, /checked folder:.*: 3 good samples, 1 skipped/);
  assert.match(r.out, /folder:.* \(3 images\)/);
});

test('eval --skip-bad reports the skipped samples in the console, report.json and report.md', async () => {
  const root = await tree(tinyFolderFiles(2));
  const dir = await tree({});
  const model = await trainTinyModel(root, path.join(dir, 'm.gmmseg'));
  const evalRoot = await tree(
    tinyFolderFiles(2, {
      'images/bad.png': truncatedPhoto(),
      'labels/bad.png': label(TINY_SIZE, TINY_SIZE, [0]),
      'images/range.png': tinyFolderFiles(1)['images/s0.png'] as Uint8Array,
      'labels/range.png': label(TINY_SIZE, TINY_SIZE, [9]),
    }),
  );
  const outDir = path.join(dir, 'ev');
  const args = ['eval', '--model', model, '--dataset', 'folder', '--root', evalRoot, '--out', outDir];
  const strict = await runCli(evalCommand, args);
  assert.equal(strict.code, 1, 'without --skip-bad a bad sample is an error');
  assert.match(strict.err, /images\/bad\.png' is not a readable image/);
  const r = await runCli(evalCommand, [...args, '--skip-bad']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /skipped .*images\/bad\.png: /);
  assert.match(r.err, /skipped .*labels\/range\.png: /);
  assert.match(r.err, /gmmseg eval: 2 sample\(s\) left out of the metrics/);
  const json = JSON.parse(await readFile(path.join(outDir, 'report.json'), 'utf8')) as {
    skipped: { count: number; samples: { dataset: string; file: string; reason: string }[] };
  };
  assert.equal(json.skipped.count, 2);
  assert.deepEqual(json.skipped.samples.map((s) => path.relative(evalRoot, s.file)).sort(), [
    'images/bad.png',
    'labels/range.png',
  ]);
  const md = await readFile(path.join(outDir, 'report.md'), 'utf8');
  assert.match(md, /## Skipped samples\n\n2 sample\(s\) were left out/);
  assert.match(md, /images\/bad\.png/);
  assert.match(r.out, /## Skipped samples/, 'the printed report lists them too');
});

test('eval warns when the dataset names its classes differently from the model', async () => {
  const root = await tree(tinyFolderFiles(2));
  const dir = await tree({});
  const model = await trainTinyModel(root, path.join(dir, 'm.gmmseg'));
  const same = await runCli(evalCommand, ['eval', '--model', model, '--dataset', 'folder', '--root', root]);
  assert.equal(same.code, 0, same.err);
  assert.doesNotMatch(same.err, /warning/);
  const other = await tree(tinyFolderFiles(2, {}, 'a\nroad\ncar\n'));
  const r = await runCli(evalCommand, ['eval', '--model', model, '--dataset', 'folder', '--root', other]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /gmmseg eval: warning: .*m\.gmmseg and folder:.* name their classes differently \(model vs dataset\) at 1: 'b' vs 'road', 2: 'c' vs 'car'; metrics compare class indices/,
  );
});
