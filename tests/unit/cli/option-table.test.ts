/** Option tables: commander options and help generated from the declarations; typed values read in the body. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addConfigOptions, configOptions, configOverrides, kebab } from '../../../src/cli/config-flags.js';
import { demoCommand } from '../../../src/cli/demo.js';
import { integer, numberList, oneOf, path, positive } from '../../../src/cli/option-kinds.js';
import { addOptions, describeOption, option, readOptions, toggle } from '../../../src/cli/option-table.js';
import {
  DEMO_OPTIONS,
  ENGINE_OPTIONS,
  EVAL_OPTIONS,
  PREDICT_OPTIONS,
  SERVE_OPTIONS,
  TRAIN_CONFIG_OPTIONS,
  TRAIN_OPTIONS,
} from '../../../src/cli/options.js';
import { trainCommand } from '../../../src/cli/train.js';
import { ValueError } from '../../../src/errors.js';

const TABLE = {
  model: option(path(), 'model file', { required: true }),
  port: option(integer({ min: 0, max: 65535 }), 'TCP port', { default: 8080 }),
  maxBodyMb: option(positive(), 'largest body, MiB', { defaultHelp: '20' }),
  window: option(numberList(2, 'positive integer', '<h,w>'), 'slide window'),
  mode: option(oneOf(['whole', 'slide'] as const), 'prediction mode', { default: 'whole' }),
  json: toggle('print JSON'),
  progress: toggle('no progress bar', { negate: true }),
};

/** Parses `argv` with commander (text only) and returns what the action received. */
async function rawOf(argv: string[]): Promise<Record<string, unknown>> {
  let raw: Record<string, unknown> = {};
  const cmd = addOptions(new Command('x').exitOverride().configureOutput({ writeErr: () => undefined }), TABLE).action(
    (o: Record<string, unknown>) => void (raw = o),
  );
  await cmd.parseAsync(argv, { from: 'user' });
  return raw;
}

test('readOptions: typed values, defaults filled in, switches false and negated switches true unless given', async () => {
  const v = readOptions(TABLE, await rawOf(['--model', 'm.gmmseg']));
  assert.deepEqual(v, {
    model: 'm.gmmseg',
    port: 8080,
    maxBodyMb: undefined,
    window: undefined,
    mode: 'whole',
    json: false,
    progress: true,
  });
  const w = readOptions(
    TABLE,
    await rawOf([
      '--model',
      'm',
      '--port',
      '0',
      '--max-body-mb',
      '1.5',
      '--window',
      '352,480',
      '--mode',
      'slide',
      '--json',
      '--no-progress',
    ]),
  );
  assert.deepEqual(w, {
    model: 'm',
    port: 0,
    maxBodyMb: 1.5,
    window: [352, 480],
    mode: 'slide',
    json: true,
    progress: false,
  });
  // compile-time types: the defaulted port is a number, the optional window may be undefined
  const port: number = w.port;
  const window: number[] | undefined = w.window;
  assert.deepEqual([port, window], [0, [352, 480]]);
});

test('readOptions: a bad value names the flag and the text; a required flag missing outside commander is named', async () => {
  const bad = await rawOf(['--model', 'm', '--port', '99999']);
  assert.throws(
    () => readOptions(TABLE, bad),
    (e: unknown) => e instanceof ValueError && e.message === "--port must be an integer in 0..65535, got '99999'",
  );
  assert.throws(
    () => readOptions(TABLE, { ...bad, port: undefined, mode: 'fast' }),
    /^ValueError: --mode must be one of whole, slide, got 'fast'$/,
  );
  assert.throws(() => readOptions(TABLE, {}), /--model is required/);
  assert.equal(readOptions(TABLE, { model: 'm', port: 7 }).port, 7, 'values that are already typed pass through');
});

test('generated help lists every flag with its placeholder, help, choices and default', () => {
  const help = addOptions(new Command('x'), TABLE).helpInformation();
  for (const line of [
    '--model <file>',
    '--port <n>',
    '--max-body-mb <n>',
    '--window <h,w>',
    '--mode <name>',
    '--json',
    '--no-progress',
  ]) {
    assert.ok(help.includes(line), `help lists ${line}:\n${help}`);
  }
  assert.match(help, /TCP port \(default: 8080\)/);
  assert.match(help, /largest body, MiB \(default: 20\)/);
  assert.match(help, /prediction mode \(one of: whole, slide; default: "whole"\)/);
  assert.equal(describeOption(TABLE.json), 'print JSON');
});

test('commander still refuses a missing required flag and unknown flags', async () => {
  await assert.rejects(rawOf([]), /required option '--model <file>' not specified/);
  await assert.rejects(rawOf(['--model', 'm', '--prot', '1']), /unknown option '--prot'/);
});

test('config flags are table entries: one per key, default in the help, only given flags become overrides', async () => {
  const defaults = { meanMomentum: 0.999, flip: true, cropSize: [128, 128], memoryKind: 'queue', classes: 19 };
  assert.equal(kebab('meanMomentum'), 'mean-momentum');
  assert.deepEqual(Object.keys(configOptions(defaults, 'GMM', ['classes'])), [
    'meanMomentum',
    'flip',
    'cropSize',
    'memoryKind',
  ]);
  const cmd = addConfigOptions(new Command('t').exitOverride(), defaults, 'GMM', ['classes']);
  assert.match(cmd.helpInformation(), /--crop-size <value>\s+GMM config 'cropSize' \(default: \[128,128\]\)/);
  let raw: Record<string, unknown> = {};
  cmd.action((o: Record<string, unknown>) => void (raw = o));
  await cmd.parseAsync(['--crop-size', '256x320', '--flip', 'false', '--memory-kind', 'running'], { from: 'user' });
  assert.deepEqual(configOverrides(raw, defaults), { flip: false, cropSize: [256, 320], memoryKind: 'running' });
  assert.throws(
    () => configOverrides({ meanMomentum: 'fast' }, defaults),
    /^ValueError: --mean-momentum must be a number, got 'fast'$/,
  );
  assert.throws(
    () => configOverrides({ cropSize: '1' }, defaults),
    /--crop-size must be 2 numbers separated by commas, got '1'/,
  );
  assert.throws(() => configOverrides({ flip: 'yes' }, defaults), /--flip must be true or false, got 'yes'/);
  assert.deepEqual(
    configOverrides({ meanMomentum: 0.5 }, defaults),
    { meanMomentum: 0.5 },
    'typed values pass through',
  );
});

/** The long flags of a commander command. */
function flags(cmd: Command): string[] {
  return cmd.options.map((o) => o.long ?? '').sort();
}

test('the train and demo tables declare exactly the flags those commands have today (ready to adopt)', () => {
  const table = addOptions(new Command('train'), { ...TRAIN_OPTIONS, ...TRAIN_CONFIG_OPTIONS, ...ENGINE_OPTIONS });
  assert.deepEqual(flags(table), flags(trainCommand()));
  assert.deepEqual(
    flags(addOptions(new Command('demo'), { ...DEMO_OPTIONS, ...ENGINE_OPTIONS })),
    flags(demoCommand()),
  );
});

test('shared groups: predict and serve read --threshold/--score from one declaration; every command has --engine', () => {
  assert.equal(PREDICT_OPTIONS.threshold, SERVE_OPTIONS.threshold);
  assert.equal(PREDICT_OPTIONS.score, SERVE_OPTIONS.score);
  for (const t of [PREDICT_OPTIONS, EVAL_OPTIONS, SERVE_OPTIONS]) assert.equal(t.engine, ENGINE_OPTIONS.engine);
  assert.throws(
    () => readOptions(ENGINE_OPTIONS, { engine: 'gpu' }),
    /^EngineError: unknown engine 'gpu' \(from --engine\); valid: torch, wasm, cpu$/,
  );
});
