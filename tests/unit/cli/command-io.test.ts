/** runUserCommand: user errors become one line and exit code 1; an engine fallback also names the CLI flag. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { runUserCommand } from '../../../src/cli/command-io.js';
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
