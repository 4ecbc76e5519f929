/**
 * The kinds of command-line values. Each kind turns a flag's text into a typed value or throws a ValueError in the
 * one CLI style `--flag <what is wrong>, got '<text>'` (printed by `runUserCommand` as
 * `gmmseg <command>: --flag must be …, got '…'`, exit code 1, no stack trace).
 *
 * Numbers are decimal only (`12`, `-0.5`, `.5`, `1e-5`, `16e6`): empty text, hex, `Infinity` and `NaN` are refused.
 */
import { ValueError } from '../errors.js';

/** How one flag's text becomes a value of type T. */
export interface OptionKind<T> {
  /** Placeholder in the help, e.g. `<n>`, `<h,w>`, `<file>`. */
  readonly placeholder: string;
  /** Added to the help line, e.g. `one of: exact, binned, smiyc`. */
  readonly note?: string;
  /** Parses `text` given to `flag` (`--port`); throws a ValueError naming the flag and the text. */
  parse(text: string, flag: string): T;
}

/** The one error of a bad flag value: `--flag <what>, got '<text>'`. */
export function badValue(flag: string, what: string, text: string): ValueError {
  return new ValueError(`${flag} ${what}, got '${text}'`);
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A finite decimal number, or undefined. */
function decimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Any finite number. */
export function number(placeholder = '<n>'): OptionKind<number> {
  return {
    placeholder,
    parse: (text, flag) => {
      const v = decimal(text);
      if (v === undefined) throw badValue(flag, 'must be a number', text);
      return v;
    },
  };
}

/** A number > 0. */
export function positive(placeholder = '<n>'): OptionKind<number> {
  return {
    placeholder,
    parse: (text, flag) => {
      const v = decimal(text);
      if (v === undefined || !(v > 0)) throw badValue(flag, 'must be a positive number', text);
      return v;
    },
  };
}

/** Inclusive bounds of an integer. */
export interface IntegerRange {
  min?: number;
  max?: number;
}

/** An integer (a safe one) within `range`; the message says which range. */
export function integer(range: IntegerRange = {}, placeholder = '<n>'): OptionKind<number> {
  const { min, max } = range;
  const what = integerWhat(min, max);
  return {
    placeholder,
    parse: (text, flag) => {
      const v = decimal(text);
      const inRange = (n: number): boolean => (min === undefined || n >= min) && (max === undefined || n <= max);
      const ok = v !== undefined && Number.isSafeInteger(v) && inRange(v);
      if (!ok) throw badValue(flag, `must be ${what}`, text);
      return v;
    },
  };
}

function integerWhat(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `an integer in ${min}..${max}`;
  if (min === 1) return 'a positive integer';
  if (min === 0) return 'a non-negative integer';
  if (min !== undefined) return `an integer ≥ ${min}`;
  if (max !== undefined) return `an integer ≤ ${max}`;
  return 'an integer';
}

/** An integer ≥ 1. */
export const positiveInt = (placeholder = '<n>'): OptionKind<number> => integer({ min: 1 }, placeholder);

/** An integer ≥ 0. */
export const nonNegativeInt = (placeholder = '<n>'): OptionKind<number> => integer({ min: 0 }, placeholder);

/** What each item of a number list must be. */
export type ListItem = 'number' | 'positive integer';

/**
 * `length` numbers separated by `,`, `x` or `×` (`352,480`, `256x256`).
 *
 * @example numberList(2, 'positive integer', '<h,w>').parse('352,480', '--window') → [352, 480]
 */
export function numberList(length: number, item: ListItem = 'number', placeholder = '<list>'): OptionKind<number[]> {
  const what = `must be ${length} ${item === 'number' ? 'numbers' : 'positive integers'} separated by commas`;
  return {
    placeholder,
    parse: (text, flag) => {
      const parts = text.split(/[,x×]/).map(decimal);
      const good = (v: number | undefined): v is number =>
        v !== undefined && (item === 'number' || (Number.isSafeInteger(v) && v > 0));
      if (parts.length !== length || !parts.every(good)) throw badValue(flag, what, text);
      return parts as number[];
    },
  };
}

/** One or more numbers in (0, `max`] separated by commas, e.g. test-time scales `0.75,1,1.25`. */
export function scaleList(max: number, placeholder = '<list>'): OptionKind<number[]> {
  return {
    placeholder,
    parse: (text, flag) => {
      const parts = text.split(',').map(decimal);
      if (parts.length === 0 || !parts.every((v) => v !== undefined && v > 0 && v <= max))
        throw badValue(flag, `must be numbers in (0, ${max}] separated by commas`, text);
      return parts as number[];
    },
  };
}

/** Two numbers, e.g. a window `h,w`. */
export function pair(item: ListItem = 'number', placeholder = '<h,w>'): OptionKind<[number, number]> {
  const list = numberList(2, item, placeholder);
  return { placeholder, parse: (text, flag) => list.parse(text, flag) as [number, number] };
}

/** One of `values` (case-sensitive); the help lists them. */
export function oneOf<const V extends string>(values: readonly V[], placeholder = '<name>'): OptionKind<V> {
  const list = values.join(', ');
  return {
    placeholder,
    note: `one of: ${list}`,
    parse: (text, flag) => {
      if (!(values as readonly string[]).includes(text)) throw badValue(flag, `must be one of ${list}`, text);
      return text as V;
    },
  };
}

/** Any text, the empty string included. */
export function text(placeholder = '<text>'): OptionKind<string> {
  return { placeholder, parse: (t) => t };
}

/** A file or folder path (not checked on disk here; the command names it when it cannot be read or written). */
export function path(placeholder = '<file>'): OptionKind<string> {
  return {
    placeholder,
    parse: (t, flag) => {
      if (t === '') throw badValue(flag, 'must be a path', t);
      return t;
    },
  };
}

/** `true`/`1` or `false`/`0` (a value, as config flags take: `--flip false`). */
export function boolean(placeholder = '<bool>'): OptionKind<boolean> {
  return {
    placeholder,
    parse: (t, flag) => {
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw badValue(flag, 'must be true or false', t);
    },
  };
}

/** A comma list of non-empty strings (`a, b,,c` → ['a', 'b', 'c']). */
export function textList(placeholder = '<list>'): OptionKind<string[]> {
  return {
    placeholder,
    parse: (t) =>
      t
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
  };
}

/** A kind with its own parser (which throws a GmmsegError naming the flag). */
export function custom<T>(placeholder: string, parse: (text: string, flag: string) => T, note?: string): OptionKind<T> {
  return note === undefined ? { placeholder, parse } : { placeholder, note, parse };
}
