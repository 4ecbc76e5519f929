/**
 * Typed command-line flags generated one-to-one from a flat config's defaults: key `meanMomentum` ↔ flag
 * `--mean-momentum <number>`. Numbers, booleans (`--flip false`), enums (validated later by the config schema) and
 * number pairs (`--crop-size 256,256`). Only flags the user gave become overrides; the config validator rejects bad
 * values with the key's name.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

/** camelCase → kebab-case. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Adds one option per config key, described as "<key> (default <value>)". */
export function addConfigOptions(cmd: Command, defaults: Record<string, unknown>, group: string, skip: readonly string[] = []): Command {
  for (const [key, value] of Object.entries(defaults)) {
    if (skip.includes(key)) continue;
    const flag = `--${kebab(key)} <value>`;
    const opt = new Option(flag, `${group} config '${key}' (default ${JSON.stringify(value)})`).argParser(parserFor(key, value));
    cmd.addOption(opt);
  }
  return cmd;
}

/** Picks the overrides for `defaults`' keys out of commander's parsed options. */
export function configOverrides(opts: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) if (opts[key] !== undefined) out[key] = opts[key];
  return out;
}

function parserFor(key: string, value: unknown): (v: string) => unknown {
  const flag = `--${kebab(key)}`;
  if (typeof value === 'number') {
    return (v) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} expects a number, got '${v}'`);
      return n;
    };
  }
  if (typeof value === 'boolean') {
    return (v) => {
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      throw new InvalidArgumentError(`${flag} expects true or false, got '${v}'`);
    };
  }
  if (Array.isArray(value)) {
    return (v) => {
      const parts = v.split(/[,x×]/).map((s) => Number(s.trim()));
      if (parts.length !== value.length || parts.some((n) => !Number.isFinite(n))) throw new InvalidArgumentError(`${flag} expects ${value.length} comma-separated numbers, got '${v}'`);
      return parts;
    };
  }
  return (v) => v;
}
