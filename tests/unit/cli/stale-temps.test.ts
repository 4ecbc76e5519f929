/**
 * A write killed between its temp file and the rename leaves `.<name>.<pid>.<ms>.<n>.tmp` behind (issue 13, item 11):
 * the next run writing the same target removes the temp files of writers that are gone, says so, and keeps those of
 * live processes and of other targets.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../../../src/cli/fs-io.js';
import { trainCommand } from '../../../src/cli/train.js';
import { runCli } from '../../helpers/cli.js';
import { tinyFolderFiles, tinyTrainArgs } from '../../helpers/tiny-folder.js';
import { tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('stale-tmp');

/** The pid of a process that has exited (a child run to completion). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('train removes stale temp files of its model and checkpoint, and only those', async () => {
  const root = await tree(tinyFolderFiles(2));
  const dir = await tree({});
  const dead = deadPid();
  const stale = [`.m.gmmseg.${dead}.1700000000000.1.tmp`, `.m.checkpoint.gmmseg.${dead}.1700000000000.2.tmp`];
  const kept = [
    `.m.gmmseg.${process.ppid}.1700000000000.3.tmp`, // a live writer
    `.other.gmmseg.${dead}.1700000000000.4.tmp`, // another target
  ];
  for (const f of [...stale, ...kept]) await writeFile(path.join(dir, f), new Uint8Array(1024));
  const r = await runCli(trainCommand, tinyTrainArgs(root, path.join(dir, 'm.gmmseg')));
  assert.equal(r.code, 0, r.err);
  for (const f of stale)
    assert.match(
      r.err,
      new RegExp(`removed '.*${f.replace(/\./g, '\\.')}' \\(0\\.0 MiB\\), left by an interrupted write`),
    );
  assert.deepEqual((await readdir(dir)).sort(), [...kept, 'm.checkpoint.gmmseg', 'm.gmmseg'].sort());
});

test('removeStaleTemps leaves a finished atomic write alone and ignores a missing folder', async () => {
  const dir = await tree({});
  const target = path.join(dir, 'x.bin');
  await writeFileAtomic(target, new Uint8Array([1, 2, 3]));
  assert.deepEqual(await removeStaleTemps([target, path.join(dir, 'missing', 'y.bin')]), []);
  assert.deepEqual(await readdir(dir), ['x.bin']);
});
