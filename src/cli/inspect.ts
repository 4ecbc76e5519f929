/**
 * `gmmseg inspect FILE [--json] [--no-verify]`: prints the header of a `.gmmseg` model file (format version, classes,
 * config, preprocessing, metrics, calibration, tensor table) and verifies the data CRC32 (streamed, without loading
 * the tensors; a mismatch is an error). `--no-verify` reads only the header and says the data was not verified.
 */
import { Command } from 'commander';
import type { ModelHeader } from '../model/model-types.js';
import { processIo, runUserCommand, type CommandIo } from './command-io.js';
import { readModelHeader, verifyModelData } from './fs-io.js';
import { addOptions, readOptions } from './option-table.js';
import { INSPECT_OPTIONS } from './options.js';

export type { CommandIo } from './command-io.js';

/**
 * The `inspect` subcommand. On a user error (missing, unreadable or corrupt file) it prints one line
 * `gmmseg inspect: <message>` (control characters escaped) to stderr and sets `process.exitCode = 1`; other errors
 * propagate (bugs).
 *
 * @example program.addCommand(inspectCommand());
 */
export function inspectCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('inspect')
    .description('print the header of a .gmmseg model file (classes, config, metrics, tensor table)')
    .argument('<file>', 'model file (.gmmseg)');
  return addOptions(cmd, INSPECT_OPTIONS).action(async (file: string, raw: Record<string, unknown>) =>
    runUserCommand(
      'inspect',
      io,
      async () => {
        const opts = readOptions(INSPECT_OPTIONS, raw);
        const header = await readModelHeader(file);
        const crc = opts.verify ? await verifyModelData(file, header) : undefined;
        if (opts.json) io.out(`${printable(JSON.stringify(header, null, 2), true)}\n`);
        else io.out(`${formatHeader(header)}${crcLine(header, crc)}\n`);
      },
      (message) => printable(message, false),
    ),
  );
}

/** What was checked of the data: its CRC verified (`crc` given), or not (--no-verify). */
function crcLine(header: ModelHeader, crc: number | undefined): string {
  const stored = `0x${header.dataCrc32.toString(16).padStart(8, '0')}`;
  const size = formatBytes(header.dataByteLength);
  return crc === undefined
    ? `data: ${size}, CRC32 ${stored} not verified (--no-verify)`
    : `data: ${size}, CRC32 ${stored} verified`;
}

/** Human-readable header, one item per line, ending with a newline. Untrusted strings are escaped. */
export function formatHeader(header: ModelHeader): string {
  const lines = [`gmmseg model file, format version ${header.formatVersion}, created by ${text(header.createdBy)}`];
  lines.push(`classes (${header.classes.length}): ${header.classes.map((c, i) => `${i} ${text(c)}`).join(', ')}`);
  for (const [title, section] of [
    ['config', header.config],
    ['preprocessing', header.preprocessing],
    ['metrics', header.metrics],
    ['calibration', header.calibration],
  ] as const) {
    lines.push(title);
    const entries = flatten(section, '', 0);
    lines.push(...(entries.length === 0 ? ['  (none)'] : entries.map((e) => `  ${e}`)));
  }
  const total = header.tensors.reduce((a, t) => a + t.byteLength, 0);
  lines.push(`tensors (${header.tensors.length}, ${formatBytes(total)} in total)`);
  lines.push(...tensorTable(header).map((row) => `  ${row}`));
  return `${lines.join('\n')}\n`;
}

/** `key = value` lines; nested objects become dotted keys (up to a few levels), arrays stay JSON. */
function flatten(obj: Record<string, unknown>, prefix: string, depth: number): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = `${prefix}${text(k)}`;
    const nested = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;
    if (nested && depth < 4) out.push(...flatten(v as Record<string, unknown>, `${key}.`, depth + 1));
    else out.push(`${key} = ${value(v)}`);
  }
  return out;
}

function value(v: unknown): string {
  if (typeof v === 'string') return text(v);
  try {
    return printable(JSON.stringify(v) ?? String(v), false);
  } catch {
    return '<unprintable>';
  }
}

/** A string shown as is, or JSON-quoted when it is empty, padded or holds control characters. */
function text(s: string): string {
  return s.length === 0 || s.trim() !== s || UNSAFE.test(s) ? printable(JSON.stringify(s), false) : s;
}

// C0/C1 controls, DEL, line/paragraph separators and bidi overrides (terminal escapes, spoofed text).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_GLOBAL = new RegExp(UNSAFE.source, 'g');

function printable(s: string, keepNewlines: boolean): string {
  return s.replace(UNSAFE_GLOBAL, (c) =>
    keepNewlines && c === '\n' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function tensorTable(header: ModelHeader): string[] {
  if (header.tensors.length === 0) return ['(none)'];
  const rows = [['name', 'dtype', 'shape', 'elements', 'size']];
  for (const t of header.tensors) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    rows.push([text(t.name), t.dtype, `[${t.shape.join(', ')}]`, String(elements), formatBytes(t.byteLength)]);
  }
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join('  ')
      .trimEnd(),
  );
}

/** 288 → '288 B', 1536 → '1.5 KiB'. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}
