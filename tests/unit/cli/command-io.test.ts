/** runUserCommand: user errors become one line and exit code 1; an engine fallback also names the CLI flag. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { describeViews, predictSettings, runUserCommand } from '../../../src/cli/command-io.js';
import { EngineFallbackError } from '../../../src/engine/fallback-error.js';
import { ValueError } from '../../../src/errors.js';

/** Runs `body` under runUserCommand('x') and returns what it printed and the exit code (process.exitCode restored). */
async function run(body: () => void): Promise<{ err: string; code: number }> {
  let err = '';
  const before = process.exitCode;
  process.exitCode = 0;
  await runUserCommand('x', { out: () => undefined, err: (t) => void (err += t) }, body);
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { err, code };
}

test('runUserCommand: a GmmsegError is one line and exit code 1; other errors propagate', async () => {
  assert.deepEqual(
    await run(() => {
      throw new ValueError('bad\nvalue');
    }),
    { err: 'gmmseg x: bad value\n', code: 1 },
  );
  await assert.rejects(
    run(() => {
      throw new TypeError('bug');
    }),
    /bug/,
  );
});

test('runUserCommand: an EngineFallbackError also names --engine <fallback> (engine/ names the variable)', async () => {
  const e = new EngineFallbackError("kernel 'Dilation2D' is not implemented on the native torch engine", 'torch');
  assert.doesNotMatch(e.message, /--engine/);
  const r = await run(() => {
    throw e;
  });
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    "gmmseg x: kernel 'Dilation2D' is not implemented on the native torch engine; use the wasm engine instead " +
      '(GMMSEG_ENGINE=wasm) (or run with --engine wasm)\n',
  );
});

test("predictSettings: --scales/--flip default to the model's stored views, flags override, slide refuses them", () => {
  const flags = { mode: 'whole' as const, window: undefined, stride: undefined, scales: undefined, flip: undefined };
  assert.deepEqual(predictSettings(flags), { mode: 'whole', scales: [1], flip: false });
  const stored = { scales: [1.5], flip: true };
  assert.deepEqual(predictSettings(flags, stored), { mode: 'whole', scales: [1.5], flip: true });
  assert.deepEqual(predictSettings({ ...flags, scales: [1] }, stored), { mode: 'whole', scales: [1], flip: true });
  assert.equal(describeViews(predictSettings(flags, stored)), 'whole images, scale 1.5, mirrored views averaged');
  const slide = {
    ...flags,
    mode: 'slide' as const,
    window: [32, 32] as [number, number],
    stride: [16, 16] as [number, number],
  };
  assert.deepEqual(predictSettings(slide, stored), { mode: 'slide', window: [32, 32], stride: [16, 16] });
  assert.throws(() => predictSettings({ ...slide, flip: true }), /--scales and --flip apply to --mode whole only/);
});
