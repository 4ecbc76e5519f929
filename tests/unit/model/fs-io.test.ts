// Tests of src/cli/fs-io.ts (the Node file handlers of the model codec).
import test from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../../src/errors.js';
import { readModelFile, readModelHeader, writeFileAtomic, writeModelFile } from '../../../src/cli/fs-io.js';
import { decodeHeader, encodeModel } from '../../../src/model/format.js';
import type { ModelFile } from '../../../src/model/model-types.js';

const model: ModelFile = {
  config: { componentsPerClass: 1 },
  classes: ['a', 'b'],
  preprocessing: {},
  metrics: {},
  calibration: { anomalyThreshold: 0.5 },
  tensors: { 'gmm.means': { dtype: 'float32', shape: [2, 1, 2], data: new Float32Array([1, 2, 3, 4]) } },
};

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gmmseg-fsio-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejectsFormat(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

test('writeFileAtomic creates, then replaces, the file and leaves no temp file', async () => {
  const sub = await mkdtemp(join(dir, 'w-'));
  const path = join(sub, 'm.gmmseg');
  await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  assert.deepStrictEqual([...(await readFile(path))], [1, 2, 3]);
  await writeFile(path, 'old contents that are longer than the new ones');
  await writeFileAtomic(path, new Uint8Array([9]));
  assert.deepStrictEqual([...(await readFile(path))], [9]);
  assert.deepStrictEqual(await readdir(sub), ['m.gmmseg']);
});

test('writeFileAtomic failures are FormatErrors naming the file, and remove the temp file', async () => {
  const sub = await mkdtemp(join(dir, 'f-'));
  await rejectsFormat(
    writeFileAtomic(join(sub, 'missing', 'm.gmmseg'), new Uint8Array(1)),
    /'.*m\.gmmseg': cannot write: no such file or folder \(ENOENT\)/,
  );
  const target = join(sub, 'taken');
  await mkdir(target);
  await writeFile(join(target, 'keep'), 'x');
  await rejectsFormat(writeFileAtomic(target, new Uint8Array([1])), /'.*taken': cannot write: /);
  assert.deepStrictEqual(await readdir(sub), ['taken']);
  assert.deepStrictEqual(await readdir(target), ['keep']);
});

test('writeModelFile then readModelFile / readModelHeader round-trip', async () => {
  const path = join(dir, 'rt.gmmseg');
  await writeModelFile(path, model, { createdBy: 'gmmseg test' });
  const back = await readModelFile(path);
  assert.deepStrictEqual(back.tensors['gmm.means']?.data, new Float32Array([1, 2, 3, 4]));
  assert.deepStrictEqual(back.classes, model.classes);
  const header = await readModelHeader(path);
  assert.deepStrictEqual(header, decodeHeader(encodeModel(model, { createdBy: 'gmmseg test' })));
});

test('missing file, folder, empty, JSON and truncated files give FormatErrors that name the file', async () => {
  const missing = join(dir, 'nope.gmmseg');
  for (const read of [readModelFile, readModelHeader]) {
    await rejectsFormat(read(missing), /^'.*nope\.gmmseg': cannot read: no such file or folder \(ENOENT\)$/);
    await rejectsFormat(read(dir), /^'.*': cannot read: it is a folder, not a file \(EISDIR\)$/);
  }
  const cases: [string, Uint8Array | string, RegExp][] = [
    ['empty.gmmseg', new Uint8Array(0), /not a gmmseg model file: it is empty \(0 bytes\)/],
    ['short.gmmseg', 'GMM', /truncated: expected at least 24 bytes \(to hold the preamble\), got 3/],
    ['model.json', '{"classes": []}', /not a gmmseg model file: it looks like JSON/],
    ['trunc.gmmseg', encodeModel(model).subarray(0, 100), /truncated: expected at least \d+ bytes .*got 100/],
    [
      'tail.gmmseg',
      new Uint8Array([...encodeModel(model), 0, 0]),
      /corrupt: 2 unexpected bytes after the end of the data/,
    ],
  ];
  for (const [name, contents, re] of cases) {
    const path = join(dir, name);
    await writeFile(path, contents);
    const named = new RegExp(`^'${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': ${re.source}`);
    await rejectsFormat(readModelFile(path), named);
    await rejectsFormat(readModelHeader(path), named);
  }
});

test('readModelHeader reads only the header: damaged tensor data is caught by readModelFile', async () => {
  const bytes = encodeModel(model);
  bytes[bytes.length - 1]! ^= 1;
  const path = join(dir, 'data-damage.gmmseg');
  await writeFile(path, bytes);
  assert.deepStrictEqual((await readModelHeader(path)).classes, ['a', 'b']);
  await rejectsFormat(readModelFile(path), /data CRC mismatch/);
});

test('an unreadable file gives a FormatError (EACCES)', async (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: file permissions are not enforced');
    return;
  }
  const path = join(dir, 'locked.gmmseg');
  await writeFile(path, encodeModel(model));
  await chmod(path, 0o000);
  await rejectsFormat(readModelFile(path), /cannot read: permission denied \(EACCES\)/);
  await rejectsFormat(readModelHeader(path), /cannot read: permission denied \(EACCES\)/);
});
