/**
 * Output paths are checked before any work (issue 13, items 6 and 9): an unwritable `--out`, one naming an existing
 * folder, or one through a file is one line and exit code 1 before training or evaluating starts — never a Node stack
 * trace, never after a long run.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { evalCommand } from '../../../src/cli/eval.js';
import { prepareOutputFile, prepareOutputFolder } from '../../../src/cli/output-paths.js';
import { predictCommand } from '../../../src/cli/predict.js';
import { trainCommand } from '../../../src/cli/train.js';
import { ValueError } from '../../../src/errors.js';
import { runCli, type CommandFactory } from '../../helpers/cli.js';
import { put, tinyFolderFiles, tinyPhoto, trainTinyModel } from '../../helpers/tiny-folder.js';
import { tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('out-paths');

/**
 * A folder this process cannot create files in: a fresh folder made read-only (chmod 555), or — when the tests run as
 * root, for whom permission bits do not apply — Linux's `/sys`, where nobody can create files.
 */
async function readOnlyFolder(): Promise<string> {
  if (process.getuid?.() === 0) return '/sys';
  const dir = path.join(await tree({}), 'ro');
  await mkdir(dir);
  await chmod(dir, 0o555);
  return dir;
}

/** Runs a command expecting one error line (no stack trace) and exit code 1; returns that line. */
async function oneLineError(cmd: CommandFactory, argv: string[]): Promise<{ line: string; out: string }> {
  const r = await runCli(cmd, argv);
  assert.equal(r.code, 1, `exit code of ${argv.join(' ')}: ${r.err}`);
  assert.match(r.err, /^gmmseg \w+: [^\n]+\n$/, `one line: ${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at |node:internal/);
  return { line: r.err.trimEnd(), out: r.out };
}

test('train --out naming an existing folder, a path through a file, or a read-only folder fails before training', async () => {
  const dir = await tree({ afile: 'x', 'existing/keep.txt': 'k' });
  const readOnly = await readOnlyFolder();
  const base = ['train', '--dataset', 'digit-scenes', '--steps', '1'];
  const folder = path.join(dir, 'existing');
  const a = await oneLineError(trainCommand, [...base, '--out', folder]);
  assert.equal(a.line, `gmmseg train: --out '${folder}' is a folder; give a file name`);
  const throughFile = path.join(dir, 'afile', 'm.gmmseg');
  const b = await oneLineError(trainCommand, [...base, '--out', throughFile]);
  assert.equal(
    b.line,
    `gmmseg train: --out '${throughFile}': its folder '${path.join(dir, 'afile')}' is a file, not a folder`,
  );
  const c = await oneLineError(trainCommand, [...base, '--out', path.join(readOnly, 'm.gmmseg')]);
  assert.match(
    c.line,
    /^gmmseg train: --out '.*m\.gmmseg': cannot write into its folder '.*': (permission denied|operation not permitted|read-only)/,
  );
  for (const r of [a, b, c]) assert.equal(r.out, '', 'nothing ran before the check (no dataset, engine or step line)');
  assert.deepEqual((await readdir(dir)).sort(), ['afile', 'existing'], 'no checkpoint written beside --out');
  assert.deepEqual(await readdir(folder), ['keep.txt']);
});

test('train: a --checkpoint-dir that is a file fails before training', async () => {
  const dir = await tree({ afile: 'x' });
  const { line } = await oneLineError(trainCommand, [
    'train',
    '--dataset',
    'digit-scenes',
    '--out',
    path.join(dir, 'm.gmmseg'),
    '--checkpoint-dir',
    path.join(dir, 'afile'),
  ]);
  assert.match(
    line,
    /--checkpoint-dir: the checkpoint '.*afile\/m\.checkpoint\.gmmseg': its folder '.*afile' is a file/,
  );
});

test('eval --out and predict --out that cannot be created are one line, before any image is processed', async () => {
  const root = await tree(tinyFolderFiles(2));
  const dir = await tree({ afile: 'x' });
  const model = await trainTinyModel(root, path.join(dir, 'm.gmmseg'));
  const readOnly = await readOnlyFolder();
  const evalArgs = ['eval', '--model', model, '--dataset', 'folder', '--root', root, '--split', 'x'];
  const e1 = await oneLineError(evalCommand, [...evalArgs, '--out', path.join(readOnly, 'x')]);
  assert.match(e1.line, /^gmmseg eval: --out '.*x': cannot create '.*x': (permission denied|operation not permitted)/);
  const e2 = await oneLineError(evalCommand, [...evalArgs, '--out', path.join(dir, 'afile', 'x')]);
  assert.match(e2.line, /cannot create '.*afile\/x': '.*afile' is a file, not a folder$/);
  for (const e of [e1, e2]) assert.doesNotMatch(e.out, /Closed-set|checked/, 'nothing evaluated');
  const img = await put(dir, 'img.png', tinyPhoto(1));
  const p = await oneLineError(predictCommand, [
    'predict',
    img,
    '--model',
    model,
    '--threshold',
    '0',
    '--out',
    path.join(dir, 'afile'),
  ]);
  assert.equal(p.line, `gmmseg predict: --out '${path.join(dir, 'afile')}' is a file, not a folder`);
  assert.doesNotMatch(p.out, /anomaly fraction/);
});

test('prepareOutputFile / prepareOutputFolder create missing folders and accept writable paths', async () => {
  const dir = await tree({ 'old.gmmseg': 'old' });
  await prepareOutputFile(path.join(dir, 'old.gmmseg'), '--out');
  await prepareOutputFile(path.join(dir, 'a', 'b', 'm.gmmseg'), '--out');
  await prepareOutputFolder(path.join(dir, 'c', 'd'), '--out');
  assert.deepEqual((await readdir(dir)).sort(), ['a', 'c', 'old.gmmseg'], 'folders created, no probe file left');
  assert.deepEqual(await readdir(path.join(dir, 'a', 'b')), []);
  await writeFile(path.join(dir, 'f'), 'x');
  await assert.rejects(prepareOutputFolder(path.join(dir, 'f'), '--out'), ValueError);
  await assert.rejects(prepareOutputFile(dir, '--out'), /is a folder; give a file name/);
});
