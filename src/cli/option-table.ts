/**
 * Typed option tables: a command's flags declared once as `{ key: option(kind, help, settings) }`. The flag is the
 * key in kebab case (`maxBodyMb` ↔ `--max-body-mb`); commander stays the parser underneath, but only collects the
 * text: {@link readOptions} turns it into typed values inside the command body, so a bad value is a ValueError printed
 * in the one CLI style (`gmmseg serve: --port must be an integer in 0..65535, got '99999'`). The help lines are
 * generated from the declarations (help text, the kind's note such as `one of: …`, the default).
 *
 * @example
 *   const TABLE = {
 *     port: option(integer({ min: 0, max: 65535 }), 'TCP port', { default: 8080 }),
 *     json: toggle('print JSON'),
 *   };
 *   addOptions(new Command('x'), TABLE).action((raw) => runUserCommand('x', io, () => run(readOptions(TABLE, raw))));
 *   // readOptions(TABLE, raw): { port: number; json: boolean }
 */
import { Command, Option } from 'commander';
import { ValueError } from '../errors.js';
import type { OptionKind } from './option-kinds.js';

/**
 * One declared flag with values of type T. `Always` (type level only) says whether the parsed value is always
 * present (a default, required, or a switch) or may be undefined.
 */
export interface OptionSpec<T, Always extends boolean = boolean> {
  readonly help: string;
  /** Absent for a switch (`--json`, `--no-progress`): a boolean without a value. */
  readonly kind?: OptionKind<T>;
  /** Filled in when the flag is not given. */
  readonly default?: T;
  /** Shown in the help as the default, but not filled in (the default lives elsewhere, e.g. in a config). */
  readonly defaultHelp?: string;
  /** Commander refuses the command without it. */
  readonly required?: boolean;
  /** A switch written `--no-<key>`: true unless given. */
  readonly negate?: boolean;
  /** Overrides the kind's placeholder (`<file>`, `<dir>`). */
  readonly placeholder?: string;
  /** Type-level marker; never set. */
  readonly always?: Always;
}

/** Any declaration (`any`: a table holds specs of different value types; OptionValues recovers each one). */
export type AnySpec = OptionSpec<any, boolean>;

/** A command's flags: key (camelCase) → declaration. */
export type OptionTable = Record<string, AnySpec>;

/** The parsed values of a table: `T` when always present, else `T | undefined`. */
export type OptionValues<Table extends OptionTable> = {
  [K in keyof Table]: Table[K] extends OptionSpec<infer V, infer A> ? (true extends A ? V : V | undefined) : never;
};

/** Optional settings of a flag. */
export interface OptionSettings {
  /** Overrides the kind's placeholder. */
  placeholder?: string;
  /** Default shown in the help only (see {@link OptionSpec.defaultHelp}). */
  defaultHelp?: string;
}

/** A flag with a value and a default. */
export function option<T>(
  kind: OptionKind<T>,
  help: string,
  s: OptionSettings & { default: NoInfer<T> },
): OptionSpec<T, true>;
/** A required flag with a value. */
export function option<T>(
  kind: OptionKind<T>,
  help: string,
  s: OptionSettings & { required: true },
): OptionSpec<T, true>;
/** An optional flag with a value (undefined when not given). */
export function option<T>(kind: OptionKind<T>, help: string, s?: OptionSettings): OptionSpec<T, false>;
export function option<T>(
  kind: OptionKind<T>,
  help: string,
  s: OptionSettings & { default?: T; required?: boolean } = {},
): AnySpec {
  return { ...s, kind, help };
}

/** A switch without a value: false unless given; with `negate`, written `--no-<key>` and true unless given. */
export function toggle(help: string, s: { negate?: boolean } = {}): OptionSpec<boolean, true> {
  return s.negate === true ? { help, negate: true } : { help };
}

/** camelCase → kebab-case. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The flag of `key` as the user writes it: `--max-body-mb` (`--no-progress` for a negated switch). */
export function flagOf(key: string, spec: AnySpec): string {
  return `--${spec.negate === true ? 'no-' : ''}${kebab(key)}`;
}

/** The help line of a declaration: help text, the kind's note, the default. */
export function describeOption(spec: AnySpec): string {
  const notes: string[] = [];
  if (spec.kind?.note !== undefined) notes.push(spec.kind.note);
  if (spec.default !== undefined) notes.push(`default: ${JSON.stringify(spec.default)}`);
  else if (spec.defaultHelp !== undefined) notes.push(`default: ${spec.defaultHelp}`);
  return notes.length === 0 ? spec.help : `${spec.help} (${notes.join('; ')})`;
}

/** The commander option of one declaration (text only: no parser, no default; see {@link readOptions}). */
export function commanderOption(key: string, spec: AnySpec): Option {
  const flag = flagOf(key, spec);
  const value = spec.kind === undefined ? '' : ` ${spec.placeholder ?? spec.kind.placeholder}`;
  const opt = new Option(`${flag}${value}`, describeOption(spec));
  if (opt.attributeName() !== key) throw new Error(`option table: key '${key}' does not round-trip through ${flag}`);
  if (spec.required === true) opt.makeOptionMandatory();
  return opt;
}

/** Adds the table's flags to `cmd` (in the table's order); returns `cmd`. */
export function addOptions(cmd: Command, table: OptionTable): Command {
  for (const [key, spec] of Object.entries(table)) cmd.addOption(commanderOption(key, spec));
  return cmd;
}

/**
 * The typed values of `table` from commander's parsed options `raw` (text as the user typed it). Keys not given get
 * their default (or undefined); values that are not text (already typed, e.g. from a program) pass through.
 *
 * @throws ValueError `--flag must be …, got '…'` for the first bad value, or for a required flag that is missing.
 */
export function readOptions<Table extends OptionTable>(
  table: Table,
  raw: Record<string, unknown>,
): OptionValues<Table> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) out[key] = readOne(key, spec, raw[key]);
  return out as OptionValues<Table>;
}

function readOne(key: string, spec: AnySpec, value: unknown): unknown {
  if (spec.kind === undefined) return spec.negate === true ? value !== false : value === true;
  if (value === undefined) {
    if (spec.required === true) throw new ValueError(`${flagOf(key, spec)} is required`);
    return spec.default;
  }
  return typeof value === 'string' ? spec.kind.parse(value, flagOf(key, spec)) : value;
}
