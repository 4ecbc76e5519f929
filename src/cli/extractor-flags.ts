/**
 * `gmmseg train` flags generated from the extractor registry, as entries of the option table: one flag per setting of
 * any family (`--channels`, `--width 32,64,128,256`, …), described with the families that have it. A flag given for a
 * family that lacks the setting is a clear error. `embedDim` is not among them: `--embed-dim` (the GMM config's) sizes
 * the extractor too.
 */
import { ValueError } from '../errors.js';
import { EXTRACTOR_FAMILIES, extractorFamily, extractorSettings } from '../nn/registry.js';
import { configOptions, configOverrides, kebab } from './config-flags.js';
import type { OptionSpec } from './option-table.js';

/** Settings that have another flag. */
const NOT_FLAGS = ['embedDim'];

/** Settings whose flag has another name (`scales` → `--backbone-scales`: train's views are `--predict-scales`). */
const FLAG_KEYS: Readonly<Record<string, string>> = { scales: 'backboneScales' };

function flagKey(setting: string): string {
  return FLAG_KEYS[setting] ?? setting;
}

function settingKey(flag: string): string {
  return Object.keys(FLAG_KEYS).find((k) => FLAG_KEYS[k] === flag) ?? flag;
}

/**
 * Values `configOptions` can parse: numbers, booleans, text (enums, checked by the family's schema), number lists and
 * name lists.
 */
function flaggable(v: unknown): boolean {
  const scalar = typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string';
  const list = Array.isArray(v) && (v.every((x) => typeof x === 'number') || v.every((x) => typeof x === 'string'));
  return scalar || list;
}

/** One setting: the families that have it, the first family's default (it types the flag) and every family's. */
interface SettingRow {
  kinds: string[];
  value: unknown;
  defaults: unknown[];
}

/** Setting → families that have it and their defaults. */
function settingTable(): Map<string, SettingRow> {
  const table = new Map<string, SettingRow>();
  for (const f of Object.values(EXTRACTOR_FAMILIES)) {
    for (const [key, value] of Object.entries(f.defaults)) {
      if (NOT_FLAGS.includes(key) || !flaggable(value)) continue;
      const row = table.get(key) ?? { kinds: [], value, defaults: [] };
      row.kinds.push(f.kind);
      row.defaults.push(value);
      table.set(key, row);
    }
  }
  return table;
}

/** The help's default: the shared value, or each family's when they differ ('deeplab [32,64,128,256], unet …'). */
function defaultHelp(row: SettingRow): string {
  const shown = row.defaults.map((v) => JSON.stringify(v));
  return shown.every((v) => v === shown[0])
    ? (shown[0] as string)
    : shown.map((v, i) => `${row.kinds[i]} ${v}`).join(', ');
}

/** The option-table entries of the extractor settings: one optional flag per setting of any family. */
export function extractorOptions(): Record<string, OptionSpec<unknown, false>> {
  const table: Record<string, OptionSpec<unknown, false>> = {};
  for (const [key, row] of settingTable()) {
    const spec = configOptions({ [flagKey(key)]: row.value }, `${row.kinds.join('/')} extractor`)[flagKey(key)];
    const help = `${row.kinds.join('/')} extractor config '${key}'`;
    if (spec) table[flagKey(key)] = { ...spec, help, defaultHelp: defaultHelp(row) };
  }
  return table;
}

/** The extractor settings given as flags, whatever the family (text is parsed, typed values pass through). */
export function givenExtractorFlags(values: Record<string, unknown>): Record<string, unknown> {
  const given = configOverrides(values, Object.fromEntries([...settingTable()].map(([k, r]) => [flagKey(k), r.value])));
  return Object.fromEntries(Object.entries(given).map(([k, v]) => [settingKey(k), v]));
}

/** The extractor settings given as flags, checked against the family `kind` (unknown kind: ValueError). */
export function extractorOverrides(values: Record<string, unknown>, kind: string): Record<string, unknown> {
  const family = extractorFamily(kind);
  const table = settingTable();
  const given = givenExtractorFlags(values);
  for (const key of Object.keys(given)) {
    if (key in family.defaults) continue;
    const own = Object.keys(family.defaults)
      .filter((k) => table.has(k))
      .map((k) => `--${kebab(flagKey(k))}`);
    const owners = table.get(key)?.kinds.join('/');
    const settings = own.join(', ') || '(none)';
    throw new ValueError(
      `--${kebab(flagKey(key))} is a setting of the ${owners} extractor, not of '${kind}'; ${kind} settings: ${settings}`,
    );
  }
  for (const [setting, flag] of Object.entries(FLAG_KEYS)) {
    if (!(setting in given)) continue;
    try {
      extractorSettings(kind, { [setting]: given[setting] });
    } catch (e) {
      // the settings' own message names the setting; the user typed the flag
      if (e instanceof ValueError) throw new ValueError(`--${kebab(flag)}: ${e.message}`);
      throw e;
    }
  }
  return given;
}
