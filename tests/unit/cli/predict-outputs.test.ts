/**
 * `gmmseg predict` over several images (issue 13, items 10 and 12): inputs sharing a base name get unique output names
 * (said on stderr) instead of overwriting each other; a bad image is reported and the others are still written, with
 * exit code 1 at the end; a non-numeric --threshold is named as given.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { uniqueStems } from '../../../src/cli/output-names.js';
import { predictCommand } from '../../../src/cli/predict.js';
import { runCli } from '../../helpers/cli.js';
import { put, tinyFolderFiles, tinyPhoto, trainTinyModel, truncatedPhoto } from '../../helpers/tiny-folder.js';
import { tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('predict-out');

test('uniqueStems: first keeps its base name, later ones get -1, -2 (skipping names other inputs own)', () => {
  assert.deepEqual(
    uniqueStems(['d1/x.png', 'd2/x.png', 'd1/x.jpg']).map((s) => s.stem),
    ['x', 'x-1', 'x-2'],
  );
  assert.deepEqual(
    uniqueStems(['a/x.png', 'b/x.png', 'x-1.png']).map((s) => s.stem),
    ['x', 'x-2', 'x-1'],
  );
  assert.deepEqual(
    uniqueStems(['X.png', 'x.png', 'y.tar.gz', '.png']).map((s) => s.stem),
    ['X', 'x-1', 'y.tar', 'image'],
  );
  const s = uniqueStems(['p/a.png', 'q/a.png']);
  assert.equal(s[0]?.renamed, undefined);
  assert.equal(s[1]?.renamed, "'p/a.png' has the same base name");
});

test('predict d1/x.png d2/x.png d1/x.jpg bad.png: three distinct outputs, the bad image reported, exit 1 at the end', async () => {
  const root = await tree(tinyFolderFiles(2));
  const dir = await tree({});
  const model = await trainTinyModel(root, path.join(dir, 'm.gmmseg'));
  await mkdir(path.join(dir, 'd1'));
  await mkdir(path.join(dir, 'd2'));
  const inputs = [
    await put(dir, 'd1/x.png', tinyPhoto(1)),
    await put(dir, 'bad.png', truncatedPhoto()),
    await put(dir, 'd2/x.png', tinyPhoto(2)),
    await put(dir, 'd1/x.jpg', tinyPhoto(3)),
  ];
  const out = path.join(dir, 'po');
  const r = await runCli(predictCommand, ['predict', ...inputs, '--model', model, '--threshold', '0', '--out', out]);
  assert.equal(r.code, 1, 'a failed image makes the run fail, at the end');
  assert.match(r.err, /d2\/x\.png → .*po\/x-1\.\* \('.*d1\/x\.png' has the same base name\)/);
  assert.match(r.err, /d1\/x\.jpg → .*po\/x-2\.\*/);
  assert.match(r.err, /^gmmseg predict: .*bad\.png: decodeImage: .* is not a readable image/m);
  assert.match(r.err, /gmmseg predict: 1 of 4 image\(s\) failed \(.*bad\.png\); the others were written\n$/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  const files = (await readdir(out)).sort();
  for (const stem of ['x', 'x-1', 'x-2'])
    for (const suffix of ['.classes.png', '.labels.png', '.anomaly.png', '.overlay.png', '.json'])
      assert.ok(files.includes(`${stem}${suffix}`), `missing ${stem}${suffix} in ${files.join(', ')}`);
  assert.equal(files.length, 15, 'nothing written for the bad image');
  const images = await Promise.all(
    ['x', 'x-1', 'x-2'].map(
      async (s) => (JSON.parse(await readFile(path.join(out, `${s}.json`), 'utf8')) as { image: string }).image,
    ),
  );
  assert.deepEqual(images, [inputs[0], inputs[2], inputs[3]], 'each summary belongs to its own input');
});

test('predict --threshold abc names abc', async () => {
  const r = await runCli(predictCommand, ['predict', 'a.png', '--model', 'm.gmmseg', '--threshold', 'abc']);
  assert.equal(r.code, 1);
  assert.equal(r.err, "gmmseg predict: --threshold must be a number, got 'abc'\n");
});
