/**
 * Bad flag values are one line `gmmseg <command>: --flag must be …, got '…'` with exit code 1, checked before the engine
 * starts or a file is read (so these tests need no model).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evalCommand } from '../../../src/cli/eval.js';
import { inspectCommand } from '../../../src/cli/inspect.js';
import { metricsCommand } from '../../../src/cli/metrics.js';
import { predictCommand } from '../../../src/cli/predict.js';
import { serveCommand } from '../../../src/cli/serve.js';
import { webBuildCommand } from '../../../src/cli/web-build.js';
import { runCli, type CommandFactory } from '../../helpers/cli.js';

const NO_MODEL = path.join(tmpdir(), 'gmmseg-no-such-model.gmmseg');

async function expectFlagError(cmd: CommandFactory, argv: string[], line: string): Promise<void> {
  const r = await runCli(cmd, argv);
  assert.equal(r.code, 1, `exit code of ${argv.join(' ')}`);
  assert.equal(r.err, `${line}\n`);
  assert.equal(r.out, '', 'nothing printed before the check (no engine line)');
}

test("predict --threshold '' is an error like serve's (it used to pass silently as threshold 0)", async () => {
  await expectFlagError(
    predictCommand,
    ['predict', 'a.png', '--model', NO_MODEL, '--threshold', ''],
    "gmmseg predict: --threshold must be a number, got ''",
  );
  await expectFlagError(
    serveCommand,
    ['serve', '--model', NO_MODEL, '--threshold', ''],
    "gmmseg serve: --threshold must be a number, got ''",
  );
  await expectFlagError(
    predictCommand,
    ['predict', 'a.png', '--model', NO_MODEL, '--threshold', 'high'],
    "gmmseg predict: --threshold must be a number, got 'high'",
  );
});

test('predict and serve refuse an unknown --score with the same line', async () => {
  const what = "--score must be one of gmm, msp, maxLogit, energy, got 'entropy'";
  await expectFlagError(
    predictCommand,
    ['predict', 'a.png', '--model', NO_MODEL, '--score', 'entropy'],
    `gmmseg predict: ${what}`,
  );
  await expectFlagError(serveCommand, ['serve', '--model', NO_MODEL, '--score', 'entropy'], `gmmseg serve: ${what}`);
});

test('serve: port, sizes, queue, log level and CORS flags are checked by the table', async () => {
  const m = ['serve', '--model', NO_MODEL];
  await expectFlagError(
    serveCommand,
    [...m, '--port', '99999'],
    "gmmseg serve: --port must be an integer in 0..65535, got '99999'",
  );
  await expectFlagError(
    serveCommand,
    [...m, '--max-body-mb', '0'],
    "gmmseg serve: --max-body-mb must be a positive number, got '0'",
  );
  await expectFlagError(
    serveCommand,
    [...m, '--max-pixels', '1.5'],
    "gmmseg serve: --max-pixels must be a positive integer, got '1.5'",
  );
  await expectFlagError(
    serveCommand,
    [...m, '--queue', '-2'],
    "gmmseg serve: --queue must be a non-negative integer, got '-2'",
  );
  await expectFlagError(
    serveCommand,
    [...m, '--timeout-ms', 'soon'],
    "gmmseg serve: --timeout-ms must be a positive integer, got 'soon'",
  );
  await expectFlagError(
    serveCommand,
    [...m, '--log-level', 'loud'],
    "gmmseg serve: --log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'",
  );
  await expectFlagError(
    serveCommand,
    [...m, '--engine', 'gpu'],
    "gmmseg serve: unknown engine 'gpu' (from --engine); valid: torch, wasm, cpu",
  );
});

test('eval and predict: mode, window, stride and seed', async () => {
  const e = ['eval', '--model', NO_MODEL, '--dataset', 'digit-scenes'];
  await expectFlagError(
    evalCommand,
    [...e, '--mode', 'tiles'],
    "gmmseg eval: --mode must be one of whole, slide, got 'tiles'",
  );
  await expectFlagError(
    evalCommand,
    [...e, '--mode', 'slide', '--window', '352'],
    "gmmseg eval: --window must be 2 positive integers separated by commas, got '352'",
  );
  await expectFlagError(
    evalCommand,
    [...e, '--mode', 'slide', '--window', '64,64'],
    'gmmseg eval: --mode slide needs --window h,w and --stride h,w',
  );
  await expectFlagError(evalCommand, [...e, '--seed', 'x'], "gmmseg eval: --seed must be an integer, got 'x'");
  await expectFlagError(
    predictCommand,
    ['predict', 'a.png', '--model', NO_MODEL, '--stride', '0,8'],
    "gmmseg predict: --stride must be 2 positive integers separated by commas, got '0,8'",
  );
});

test('metrics, inspect and web-build report flag errors in the same style', async () => {
  const s = ['metrics', 'anomaly', '--scores', 's.npy', '--labels', 'l.npy'];
  await expectFlagError(
    metricsCommand,
    [...s, '--mode', 'fast'],
    "gmmseg metrics: --mode must be one of exact, binned, smiyc, got 'fast'",
  );
  await expectFlagError(
    metricsCommand,
    ['metrics', 'miou', '--pred', 'p.npy', '--labels', 'l.npy', '--classes', '0'],
    "gmmseg metrics: --classes must be a positive integer, got '0'",
  );
  await expectFlagError(
    webBuildCommand,
    ['web-build', '--out', path.join(tmpdir(), 'never'), '--service', 'ftp://x'],
    "gmmseg web-build: --service must use http or https, got 'ftp:' in 'ftp://x'",
  );
  const i = await runCli(inspectCommand, ['inspect', NO_MODEL]);
  assert.equal(i.code, 1);
  assert.match(
    i.err,
    /^gmmseg inspect: '.*gmmseg-no-such-model\.gmmseg': cannot read: no such file or folder \(ENOENT\)\n$/,
  );
});
