/** Option kinds: each parser takes good text to a typed value and refuses bad text naming the flag and the text. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../../src/errors.js';
import {
  boolean,
  custom,
  integer,
  nonNegativeInt,
  number,
  numberList,
  oneOf,
  pair,
  path,
  positive,
  positiveInt,
  scaleList,
  text,
  textList,
  type OptionKind,
} from '../../../src/cli/option-kinds.js';

/** Asserts that `kind` refuses `bad` with exactly `--flag <what>, got '<bad>'`. */
function refuses<T>(kind: OptionKind<T>, bad: string, what: string): void {
  assert.throws(
    () => kind.parse(bad, '--flag'),
    (e: unknown) => e instanceof ValueError && e.message === `--flag ${what}, got '${bad}'`,
    `'${bad}' should be refused with "${what}"`,
  );
}

test('number: finite decimals (signs, exponents, padding); empty, hex, Infinity, NaN and words are refused', () => {
  const k = number();
  assert.deepEqual(
    ['12', '-0.5', '.5', '5.', '1e-5', '16E6', ' 3 '].map((t) => k.parse(t, '--flag')),
    [12, -0.5, 0.5, 5, 1e-5, 16e6, 3],
  );
  for (const bad of ['', ' ', '0x10', 'Infinity', 'NaN', 'abc', '1,2', '1e999']) refuses(k, bad, 'must be a number');
});

test('positive: numbers > 0', () => {
  assert.equal(positive().parse('0.25', '--flag'), 0.25);
  for (const bad of ['0', '-1', '', 'x']) refuses(positive(), bad, 'must be a positive number');
});

test('integer: safe integers, with the range in the message', () => {
  assert.equal(integer().parse('-7', '--flag'), -7);
  assert.equal(integer().parse('16e6', '--flag'), 16_000_000);
  refuses(integer(), '1.5', 'must be an integer');
  refuses(integer(), '9007199254740993', 'must be an integer');
  const port = integer({ min: 0, max: 65535 });
  assert.equal(port.parse('0', '--flag'), 0);
  refuses(port, '65536', 'must be an integer in 0..65535');
  assert.equal(positiveInt().parse('3', '--flag'), 3);
  refuses(positiveInt(), '0', 'must be a positive integer');
  assert.equal(nonNegativeInt().parse('0', '--flag'), 0);
  refuses(nonNegativeInt(), '-2', 'must be a non-negative integer');
  refuses(integer({ min: 2 }), '1', 'must be an integer ≥ 2');
});

test('number lists and pairs: `352,480`, `256x256`, `2×3`; wrong count or bad items are refused', () => {
  assert.deepEqual(numberList(3).parse('0.5, 1,-2', '--flag'), [0.5, 1, -2]);
  refuses(numberList(3), '1,2', 'must be 3 numbers separated by commas');
  const hw = pair('positive integer');
  assert.deepEqual(hw.parse('352,480', '--flag'), [352, 480]);
  assert.deepEqual(hw.parse('256x256', '--flag'), [256, 256]);
  assert.deepEqual(hw.parse('2×3', '--flag'), [2, 3]);
  for (const bad of ['352', '352,480,1', '0,4', '1.5,2', '', 'a,b'])
    refuses(hw, bad, 'must be 2 positive integers separated by commas');
  assert.equal(hw.placeholder, '<h,w>');
});

test('scale lists: one or more numbers in (0, max]', () => {
  assert.deepEqual(scaleList(4).parse('1.5', '--flag'), [1.5]);
  assert.deepEqual(scaleList(4).parse('0.75, 1,1.25', '--flag'), [0.75, 1, 1.25]);
  for (const bad of ['', '0', '1,', '-1', '4.5', 'x'])
    refuses(scaleList(4), bad, 'must be numbers in (0, 4] separated by commas');
});

test('oneOf: the listed values only; the help note lists them', () => {
  const k = oneOf(['exact', 'binned'] as const);
  assert.equal(k.parse('binned', '--flag'), 'binned');
  refuses(k, 'Binned', 'must be one of exact, binned');
  refuses(k, '', 'must be one of exact, binned');
  assert.equal(k.note, 'one of: exact, binned');
});

test('path and text: a path must not be empty; text may be', () => {
  assert.equal(path().parse('a/b.gmmseg', '--flag'), 'a/b.gmmseg');
  refuses(path(), '', 'must be a path');
  assert.equal(text().parse('', '--flag'), '');
  assert.equal(path('<dir>').placeholder, '<dir>');
});

test('boolean values (config flags): true/1, false/0', () => {
  assert.deepEqual(
    ['true', '1', 'false', '0'].map((t) => boolean().parse(t, '--flag')),
    [true, true, false, false],
  );
  refuses(boolean(), 'yes', 'must be true or false');
});

test('text lists drop blanks; custom kinds keep their own messages', () => {
  assert.deepEqual(textList().parse(' a, b,,c ', '--flag'), ['a', 'b', 'c']);
  assert.deepEqual(textList().parse('', '--flag'), []);
  const even = custom('<n>', (t, flag) => {
    if (Number(t) % 2 !== 0) throw new ValueError(`${flag} must be even, got '${t}'`);
    return Number(t);
  });
  assert.equal(even.parse('4', '--flag'), 4);
  refuses(even, '3', 'must be even');
});
