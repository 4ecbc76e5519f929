import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { formatBytes, formatHeader, inspectCommand } from '../../../src/cli/inspect.js';
import type { CommandIo } from '../../../src/cli/inspect.js';
import { writeModelFile } from '../../../src/cli/fs-io.js';
import { decodeHeader, encodeModel } from '../../../src/model/format.js';
import type { ModelFile } from '../../../src/model/model-types.js';

const model: ModelFile = {
  config: { componentsPerClass: 2, embeddingDim: 3, ignoreIndex: 255 },
  classes: ['background', 'road', 'car'],
  preprocessing: { mean: [0.5, 0.25, 0.125], inputSize: [32, 32] },
  metrics: { synthetic: { mIoU: 0.875, command: 'gmmseg train --seed 1' } },
  calibration: {},
  tensors: {
    'gmm.means': { dtype: 'float32', shape: [3, 2, 3], data: new Float32Array(18) },
    'gmm.counts': { dtype: 'int32', shape: [3, 2], data: new Int32Array(6) },
    bias: { dtype: 'float32', shape: [], data: new Float32Array(1) },
  },
};

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gmmseg-inspect-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `inspect ARGS` in-process through a parent program (as main.ts wires it) and captures its output. */
async function runInspect(args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  let out = '';
  let err = '';
  const io: CommandIo = { out: (s) => (out += s), err: (s) => (err += s) };
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await new Command('gmmseg')
      .exitOverride()
      .addCommand(inspectCommand(io))
      .parseAsync(['inspect', ...args], { from: 'user' });
    return { out, err, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = before ?? 0;
  }
}

test('inspect prints version, classes, config, preprocessing, metrics, calibration and the tensor table', async () => {
  const path = join(dir, 'small.gmmseg');
  await writeModelFile(path, model, { createdBy: 'gmmseg 0.1.0' });
  const { out, err, exitCode } = await runInspect([path]);
  assert.equal(err, '');
  assert.equal(exitCode, 0);
  const lines = out.split('\n');
  assert.equal(lines[0], 'gmmseg model file, format version 1, created by gmmseg 0.1.0');
  assert.equal(lines[1], 'classes (3): 0 background, 1 road, 2 car');
  for (const line of [
    'config',
    '  componentsPerClass = 2',
    '  embeddingDim = 3',
    '  ignoreIndex = 255',
    'preprocessing',
    '  mean = [0.5,0.25,0.125]',
    '  inputSize = [32,32]',
    'metrics',
    '  synthetic.mIoU = 0.875',
    '  synthetic.command = gmmseg train --seed 1',
    'calibration',
    '  (none)',
    'tensors (3, 100 B in total)',
  ]) {
    assert.ok(lines.includes(line), `missing line '${line}' in:\n${out}`);
  }
  const table = lines.slice(lines.indexOf('tensors (3, 100 B in total)') + 1).filter((l) => l.startsWith('  '));
  assert.equal(table.length, 4);
  assert.match(table[0]!, /^ {2}name\s+dtype\s+shape\s+elements\s+size$/);
  assert.match(table[1]!, /^ {2}gmm\.means\s+float32\s+\[3, 2, 3\]\s+18\s+72 B$/);
  assert.match(table[2]!, /^ {2}gmm\.counts\s+int32\s+\[3, 2\]\s+6\s+24 B$/);
  assert.match(table[3]!, /^ {2}bias\s+float32\s+\[\]\s+1\s+4 B$/);
  assert.equal(out.endsWith('\n'), true);
});

test('inspect --json prints the stored header as JSON', async () => {
  const path = join(dir, 'json.gmmseg');
  await writeModelFile(path, model);
  const { out, exitCode } = await runInspect([path, '--json']);
  assert.equal(exitCode, 0);
  assert.deepStrictEqual(JSON.parse(out), decodeHeader(encodeModel(model)));
});

test('a missing file prints one line to stderr and sets exit code 1', async () => {
  const path = join(dir, 'missing.gmmseg');
  const { out, err, exitCode } = await runInspect([path]);
  assert.equal(out, '');
  assert.equal(err, `gmmseg inspect: '${path}': cannot read: no such file or folder (ENOENT)\n`);
  assert.equal(exitCode, 1);
});

test('a corrupt or foreign file prints one line without a stack trace', async () => {
  const bytes = encodeModel(model);
  bytes[30]! ^= 0xff;
  const cases: [string, Uint8Array | string, RegExp][] = [
    ['corrupt.gmmseg', bytes, /header CRC mismatch/],
    ['image.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), /looks like a PNG image/],
  ];
  for (const [name, contents, re] of cases) {
    const path = join(dir, name);
    await writeFile(path, contents);
    const { out, err, exitCode } = await runInspect([path]);
    assert.equal(out, '');
    assert.equal(exitCode, 1);
    assert.match(err, /^gmmseg inspect: [^\n]+\n$/);
    assert.match(err, re);
    assert.doesNotMatch(err, /\n\s+at /);
  }
});

test('formatHeader escapes control characters and shows empty sections', () => {
  const header = decodeHeader(
    encodeModel({
      config: { 'evil\u001b[2Jkey': 'line1\nline2', blank: '', nested: { a: { b: 1 } } },
      classes: ['\u001b[31mred', 'ok'],
      preprocessing: {},
      metrics: {},
      calibration: {},
      tensors: {},
    }),
  );
  const text = formatHeader(header);
  assert.doesNotMatch(text, /\u001b/);
  assert.match(text, /classes \(2\): 0 "\\u001b\[31mred", 1 ok/);
  assert.match(text, /"evil\\u001b\[2Jkey" = "line1\\nline2"/);
  assert.match(text, /blank = ""/);
  assert.match(text, /nested\.a\.b = 1/);
  assert.match(text, /preprocessing\n {2}\(none\)\nmetrics\n {2}\(none\)/);
  assert.match(text, /tensors \(0, 0 B in total\)\n {2}\(none\)\n$/);
});

test('formatBytes uses binary units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MiB');
});

test('inspect verifies the data CRC: a flipped data byte is an error; --no-verify says the data was not checked', async () => {
  const bytes = encodeModel(model);
  const good = join(dir, 'crc-good.gmmseg');
  await writeFile(good, bytes);
  const ok = await runInspect([good]);
  assert.equal(ok.exitCode, 0);
  const crc = decodeHeader(bytes).dataCrc32.toString(16).padStart(8, '0');
  const size = formatBytes(decodeHeader(bytes).dataByteLength);
  assert.match(ok.out, new RegExp(`\\ndata: ${size}, CRC32 0x${crc} verified\\n$`));
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length - 1]! ^= 0x01; // last tensor byte: the header stays valid
  const bad = join(dir, 'crc-bad.gmmseg');
  await writeFile(bad, flipped);
  for (const args of [[bad], [bad, '--json']]) {
    const r = await runInspect(args);
    assert.equal(r.exitCode, 1);
    assert.equal(r.out, '');
    assert.match(
      r.err,
      /^gmmseg inspect: '.*crc-bad\.gmmseg': corrupt: data CRC mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)\n$/,
    );
  }
  const unchecked = await runInspect([bad, '--no-verify']);
  assert.equal(unchecked.exitCode, 0);
  assert.match(unchecked.out, new RegExp(`\\ndata: ${size}, CRC32 0x${crc} not verified \\(--no-verify\\)\\n$`));
});
