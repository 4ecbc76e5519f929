/**
 * Command-line flags generated one-to-one from a flat config's defaults, as entries of an option table: key
 * `meanMomentum` ↔ flag `--mean-momentum <value>`. Numbers, booleans (`--flip false`), enums and strings (validated
 * later by the config schema), number lists (`--crop-size 256,256`) and name lists (`--backbone-scales s4,s8,s32`).
 * Only flags the user gave become overrides; a value that does not parse is a ValueError naming the flag, a value out
 * of range is refused by the config validator with the key's name.
 */
import type { Command } from 'commander';
import { boolean, number, numberList, text, textList, type OptionKind } from './option-kinds.js';
import { addOptions, option, readOptions, type OptionSpec } from './option-table.js';

export { kebab } from './option-table.js';

/**
 * The option-table entries of a config: one optional flag per key (not in `skip`), its default in the help; `kinds`
 * overrides the value kind guessed from a default (e.g. a list of any length).
 */
export function configOptions(
  defaults: Record<string, unknown>,
  group: string,
  skip: readonly string[] = [],
  kinds: Readonly<Record<string, OptionKind<unknown>>> = {},
): Record<string, OptionSpec<unknown, false>> {
  const table: Record<string, OptionSpec<unknown, false>> = {};
  for (const [key, value] of Object.entries(defaults)) {
    if (skip.includes(key)) continue;
    const settings = { placeholder: '<value>', defaultHelp: JSON.stringify(value) };
    table[key] = option(kinds[key] ?? kindFor(value), `${group} config '${key}'`, settings);
  }
  return table;
}

/** Adds one flag per config key (see {@link configOptions}); returns `cmd`. */
export function addConfigOptions(
  cmd: Command,
  defaults: Record<string, unknown>,
  group: string,
  skip: readonly string[] = [],
): Command {
  return addOptions(cmd, configOptions(defaults, group, skip));
}

/**
 * The overrides for `defaults`' keys among commander's options `opts` (flags given as text are parsed; values that are
 * already typed pass through; keys not given are left out).
 *
 * @throws ValueError `--crop-size must be 2 numbers separated by commas, got '1'` for text that does not parse.
 */
export function configOverrides(
  opts: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const values = readOptions(configOptions(defaults, 'config'), opts);
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

/** The value kind of a config key, from its default. */
function kindFor(value: unknown): OptionKind<unknown> {
  if (typeof value === 'number') return number('<value>');
  if (typeof value === 'boolean') return boolean('<value>');
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return textList('<value>');
  if (Array.isArray(value)) return numberList(value.length, 'number', '<value>');
  return text('<value>');
}
