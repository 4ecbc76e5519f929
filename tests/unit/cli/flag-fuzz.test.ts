/**
 * Fuzzing the command line's parsers (issue 13, "keep them fixed"): every value kind, whole `train` flag sets through
 * the option table into the training, GMM and extractor configs, the config makers with arbitrary JSON overrides,
 * class lists and service URLs. Each gives a value that meets its contract or a ValueError/FormatError naming the flag
 * or key — never another exception. Commands that do little work (`metrics`, `inspect`) run on random argument lists
 * and answer with exit code 0 or 1 and at most one error line.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CommanderError, type Command } from 'commander';
import { extractorOverrides } from '../../../src/cli/extractor-flags.js';
import { inspectCommand } from '../../../src/cli/inspect.js';
import { metricsCommand } from '../../../src/cli/metrics.js';
import {
  boolean,
  integer,
  number,
  numberList,
  oneOf,
  path,
  positive,
  textList,
  type OptionKind,
} from '../../../src/cli/option-kinds.js';
import { flagOf, readOptions } from '../../../src/cli/option-table.js';
import {
  ENGINE_OPTIONS,
  GMM_CONFIG_OPTIONS,
  TRAIN_CONFIG_OPTIONS,
  TRAIN_OPTIONS,
  TRAINING_CONFIG_OPTIONS,
} from '../../../src/cli/options.js';
import { parseServiceUrl } from '../../../src/cli/service-url.js';
import { parseClassList } from '../../../src/data/folder.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { makeGmmConfig, DEFAULT_GMM_CONFIG } from '../../../src/gmm/config.js';
import { extractorSettings, EXTRACTOR_FAMILIES } from '../../../src/nn/registry.js';
import { makeTrainConfig, DEFAULT_TRAIN_CONFIG } from '../../../src/train/train-config.js';
import { runCli, type CommandFactory } from '../../helpers/cli.js';
import { assertTyped, fuzzParams } from '../../helpers/fuzz.js';

/** Flag text: numbers in many spellings, lists, words, unicode and control characters. */
const flagText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-0',
    '1e309',
    'NaN',
    'Infinity',
    '0x10',
    '1_000',
    '1,2',
    '2x3',
    '352,480',
    '1,,2',
    'true',
    'false',
    'abc',
    '\u0000',
    '\n1',
  ),
  fc
    .array(fc.oneof(fc.integer({ min: -5, max: 600 }).map(String), fc.constantFrom('', 'a', '1.5')), { maxLength: 4 })
    .map((a) => a.join(',')),
);

/** Calls `kind.parse`; a refusal must be the one CLI line `--flag … got '<text>'`. */
function parseOrRefuse<T>(kind: OptionKind<T>, text: string): T | undefined {
  try {
    return kind.parse(text, '--flag');
  } catch (e) {
    assert.ok(e instanceof ValueError, String(e));
    assert.ok(e.message.startsWith('--flag '), e.message);
    assert.ok(e.message.endsWith(`got '${text}'`), `names the text: ${e.message}`);
    return undefined;
  }
}

test(
  'every value kind: a value meeting its contract, or a ValueError naming flag and text',
  { timeout: 60_000 },
  () => {
    fc.assert(
      fc.property(flagText, (t) => {
        const n = parseOrRefuse(number(), t);
        if (n !== undefined) assert.ok(Number.isFinite(n) && n === Number(t.trim()));
        const p = parseOrRefuse(positive(), t);
        if (p !== undefined) assert.ok(p > 0);
        const i = parseOrRefuse(integer({ min: -3, max: 500 }), t);
        if (i !== undefined) assert.ok(Number.isSafeInteger(i) && i >= -3 && i <= 500);
        const pair = parseOrRefuse(numberList(2, 'positive integer'), t);
        if (pair !== undefined) assert.ok(pair.length === 2 && pair.every((v) => Number.isSafeInteger(v) && v > 0));
        const one = parseOrRefuse(oneOf(['gmm', 'softmax'] as const), t);
        if (one !== undefined) assert.ok(one === 'gmm' || one === 'softmax');
        const b = parseOrRefuse(boolean(), t);
        if (b !== undefined) assert.equal(typeof b, 'boolean');
        const f = parseOrRefuse(path(), t);
        if (f !== undefined) assert.equal(f, t);
        const list = textList().parse(t, '--flag');
        assert.ok(list.every((s) => s !== '' && s === s.trim()));
      }),
      fuzzParams(0x1331, 3000),
    );
  },
);

const TRAIN_TABLE = { ...TRAIN_OPTIONS, ...TRAIN_CONFIG_OPTIONS, ...ENGINE_OPTIONS };
const VALUE_KEYS = Object.entries(TRAIN_TABLE)
  .filter(([, spec]) => spec.kind !== undefined)
  .map(([k]) => k);

/** The overrides of `group` that were given. */
function given(values: Record<string, unknown>, group: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(group).flatMap((k) => (values[k] === undefined ? [] : [[k, values[k]]])));
}

test(
  'train flag sets: option table → training, GMM and extractor configs, or one typed error',
  { timeout: 60_000 },
  () => {
    const raw = fc.dictionary(fc.constantFrom(...VALUE_KEYS), flagText, { maxKeys: 6 }).map((d) => ({
      dataset: 'folder',
      out: 'm.gmmseg',
      ...d,
    }));
    fc.assert(
      fc.property(raw, (r) => {
        try {
          const v = readOptions(TRAIN_TABLE, r) as Record<string, unknown>;
          const train = makeTrainConfig(given(v, TRAINING_CONFIG_OPTIONS));
          const gmm = makeGmmConfig({ ...given(v, GMM_CONFIG_OPTIONS), classes: 3 });
          const kind = v['extractor'] as string;
          extractorSettings(kind, extractorOverrides(v, kind));
          assert.ok(train.steps >= 1 && gmm.componentsPerClass >= 1);
        } catch (e) {
          assertTyped(e);
          const key = Object.keys(r).find((k) => k in TRAIN_TABLE && (e as Error).message.includes(k));
          const flag = Object.keys(r).find(
            (k) =>
              k in TRAIN_TABLE && (e as Error).message.includes(flagOf(k, TRAIN_TABLE[k as keyof typeof TRAIN_TABLE])),
          );
          assert.ok(
            key !== undefined || flag !== undefined,
            `the error names a given flag or key: ${(e as Error).message}`,
          );
        }
      }),
      fuzzParams(0x1332, 2000),
    );
  },
);

test(
  'config makers with arbitrary JSON overrides: a valid config or a ValueError naming the key',
  { timeout: 60_000 },
  () => {
    const overrides = (keys: string[]) =>
      fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 6 })), fc.jsonValue({ maxDepth: 1 }), {
        maxKeys: 3,
      });
    const makers: [string, (o: Record<string, unknown>) => unknown, string[]][] = [
      ['train', makeTrainConfig, Object.keys(DEFAULT_TRAIN_CONFIG)],
      ['gmm', makeGmmConfig, Object.keys(DEFAULT_GMM_CONFIG)],
      ...Object.entries(EXTRACTOR_FAMILIES).map(
        ([kind, f]): [string, (o: Record<string, unknown>) => unknown, string[]] => [
          kind,
          (o) => extractorSettings(kind, o),
          Object.keys(f.defaults),
        ],
      ),
    ];
    for (const [name, make, keys] of makers) {
      fc.assert(
        fc.property(overrides(keys), (o) => {
          try {
            const cfg = make(o) as Record<string, unknown>;
            assert.deepEqual(make(cfg), cfg, `${name}: a made config is valid as it is`);
          } catch (e) {
            assert.ok(e instanceof ValueError, `${name}: ${String(e)}`);
            assert.ok(
              Object.keys(o).some((k) => e.message.includes(k)),
              `${name}: names the key: ${e.message}`,
            );
          }
        }),
        fuzzParams(0x1333, 400),
      );
    }
  },
);

test('class lists and service URLs: a value or a typed error', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('#x', '', ' a ', 'a')), { maxLength: 300 }),
      (lines) => {
        try {
          const classes = parseClassList(lines.join('\n'), 'classes.txt');
          assert.ok(classes.length >= 1 && classes.length <= 255 && new Set(classes).size === classes.length);
        } catch (e) {
          assert.ok(e instanceof FormatError, String(e));
        }
      },
    ),
    fuzzParams(0x1334, 500),
  );
  fc.assert(
    fc.property(
      fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 }), fc.constantFrom('http://', 'ftp://x', 'http://a b', '//x')),
      (u) => {
        try {
          const url = parseServiceUrl(u);
          assert.ok(url === '' || /^https?:\/\//.test(url), url);
        } catch (e) {
          assertTyped(e);
        }
      },
    ),
    fuzzParams(0x1335, 500),
  );
});

/**
 * The command with commander's own exits turned into CommanderErrors and its usage messages kept quiet, for it and
 * its subcommands (commander copies neither setting to commands added with addCommand).
 */
function quiet(factory: CommandFactory): CommandFactory {
  const walk = (c: Command): Command => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(walk);
    return c;
  };
  return (io) => walk(factory(io));
}

test(
  'metrics and inspect on random argument lists: exit 0 or 1, at most one error line, no exception',
  { timeout: 120_000 },
  async () => {
    const token = fc.oneof(
      fc.constantFrom(
        'anomaly',
        'miou',
        '--scores',
        '--labels',
        '--pred',
        '--classes',
        '--mode',
        '--bins',
        '--json',
        '--ignore-index',
        '--no-verify',
        'x.npy',
        '/nonexistent',
        '.',
        '-1',
        '3',
      ),
      flagText,
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('metrics', 'inspect'), fc.array(token, { maxLength: 7 }), async (cmd, args) => {
        let r: { out: string; err: string; code: number };
        try {
          r = await runCli(quiet(cmd === 'metrics' ? metricsCommand : inspectCommand), [cmd, ...args]);
        } catch (e) {
          // commander's own usage errors (unknown option, missing argument): printed by commander, exit code 1
          assert.ok(e instanceof CommanderError, String(e));
          assert.equal(e.exitCode, 1, e.message);
          return;
        }
        assert.ok(r.code === 0 || r.code === 1, `exit code ${r.code}`);
        if (r.code === 1) assert.equal(r.err.split('\n').filter(Boolean).length, 1, r.err);
        assert.doesNotMatch(r.err, /\n\s+at /);
      }),
      fuzzParams(0x1336, 300),
    );
  },
);
