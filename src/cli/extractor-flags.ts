/**
 * `gmmseg train` flags generated from the extractor registry: one flag per setting of any family (`--channels`,
 * `--width 32,64,128,256`, …), described with the families that have it. A flag given for a family that lacks the
 * setting is a clear error. `embedDim` is not among them: `--embed-dim` (the GMM config's) sizes the extractor too.
 */
import type { Command } from 'commander';
import { ValueError } from '../errors.js';
import { EXTRACTOR_FAMILIES, extractorFamily } from '../nn/registry.js';
import { addConfigOptions, configOverrides, kebab } from './config-flags.js';

/** Settings that have another flag. */
const NOT_FLAGS = ['embedDim'];

/** Values `addConfigOptions` can parse: numbers, booleans and lists of numbers. */
function flaggable(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

/** Setting → families that have it, and the first family's default. */
function flagTable(): Map<string, { kinds: string[]; value: unknown }> {
  const table = new Map<string, { kinds: string[]; value: unknown }>();
  for (const f of Object.values(EXTRACTOR_FAMILIES)) {
    for (const [key, value] of Object.entries(f.defaults)) {
      if (NOT_FLAGS.includes(key) || !flaggable(value)) continue;
      const row = table.get(key) ?? { kinds: [], value };
      row.kinds.push(f.kind);
      table.set(key, row);
    }
  }
  return table;
}

/** Adds one flag per extractor setting. */
export function addExtractorOptions(cmd: Command): Command {
  for (const [key, { kinds, value }] of flagTable()) {
    addConfigOptions(cmd, { [key]: value }, `${kinds.join('/')} extractor`);
  }
  return cmd;
}

/** The extractor settings given as flags, whatever the family. */
export function givenExtractorFlags(flags: Record<string, unknown>): Record<string, unknown> {
  return configOverrides(flags, Object.fromEntries([...flagTable()].map(([k, r]) => [k, r.value])));
}

/** The extractor settings given as flags, checked against the family `kind` (unknown kind: ValueError). */
export function extractorOverrides(flags: Record<string, unknown>, kind: string): Record<string, unknown> {
  const family = extractorFamily(kind);
  const table = flagTable();
  const given = givenExtractorFlags(flags);
  for (const key of Object.keys(given)) {
    if (key in family.defaults) continue;
    const own = Object.keys(family.defaults).filter((k) => table.has(k)).map((k) => `--${kebab(k)}`);
    const owners = table.get(key)?.kinds.join('/');
    throw new ValueError(`--${kebab(key)} is a setting of the ${owners} extractor, not of '${kind}'; ${kind} settings: ${own.join(', ') || '(none)'}`);
  }
  return given;
}
