/**
 * What every subcommand shares: where it writes, how a user error becomes one line and exit code 1, the engine start
 * and the prediction settings from the shared flags.
 */
import { engineSummary, initEngine, parseEngineName, type EngineName } from '../engine/engine.js';
import { EngineFallbackError } from '../engine/fallback-error.js';
import { GmmsegError, ValueError } from '../errors.js';
import type { PredictOptions } from '../infer/predict.js';
import type { ViewsRecord } from '../model/sections.js';
import { removeStaleTemps } from './fs-io.js';

/** Where a command writes; tests pass their own to capture output. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** stdout / stderr of the process. */
export const processIo: CommandIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** A message on one line (line breaks become spaces). */
export function oneLine(message: string): string {
  return message.replace(/[\r\n]+/g, ' ');
}

/**
 * Runs a command body: a GmmsegError (a user mistake, a bad flag value included) is printed as
 * `gmmseg <name>: <message>` on one line with exit code 1; anything else is a bug and propagates with its stack. An
 * EngineFallbackError also says how to choose the fallback engine on the command line.
 *
 * @param format turns the message into the printed line (default {@link oneLine}).
 */
export async function runUserCommand(
  name: string,
  io: CommandIo,
  body: () => Promise<void> | void,
  format: (message: string) => string = oneLine,
): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (!(e instanceof GmmsegError)) throw e;
    const hint = e instanceof EngineFallbackError ? ` (or run with --engine ${e.fallback})` : '';
    io.err(`gmmseg ${name}: ${format(e.message)}${hint}\n`);
    process.exitCode = 1;
  }
}

/**
 * Starts the engine: `engine` (from `--engine`; a name given as text is checked), else GMMSEG_ENGINE, else the
 * fastest available. With `announce`, prints `gmmseg <command>: engine …` (which engine runs, and why not torch).
 */
export async function startEngine(
  engine: EngineName | string | undefined,
  announce?: { io: CommandIo; command: string },
): Promise<EngineName> {
  const name = await initEngine(engine !== undefined ? parseEngineName(engine, '--engine') : undefined);
  announce?.io.out(`gmmseg ${announce.command}: ${engineSummary(name)}\n`);
  return name;
}

/** The parsed `--mode`, `--window`, `--stride`, `--scales`, `--flip` flags (see PREDICT_MODE_OPTIONS). */
export interface PredictModeValues {
  mode: 'whole' | 'slide';
  window: [number, number] | undefined;
  stride: [number, number] | undefined;
  scales: number[] | undefined;
  flip: boolean | undefined;
}

/**
 * Prediction options from the shared flags: sliding windows need both `--window` and `--stride`; `--scales` and
 * `--flip` apply to whole mode, each defaulting to the model's stored test-time views (`stored`), else one view.
 */
export function predictSettings(v: PredictModeValues, stored?: ViewsRecord): PredictOptions {
  if (v.mode === 'whole')
    return { mode: 'whole', scales: v.scales ?? stored?.scales ?? [1], flip: v.flip ?? stored?.flip ?? false };
  if (v.flip !== undefined || v.scales !== undefined)
    throw new ValueError('--scales and --flip apply to --mode whole only');
  if (!v.window || !v.stride) throw new ValueError('--mode slide needs --window h,w and --stride h,w');
  return { mode: 'slide', window: v.window, stride: v.stride };
}

/** One line on how images are fed to the network: `whole images, scales 1.5, mirrored views averaged`. */
export function describeViews(p: PredictOptions): string {
  if (p.mode === 'slide') return `sliding windows ${p.window?.join('×')} stride ${p.stride?.join('×')}`;
  const scales = p.scales ?? [1];
  return `whole images, scale${scales.length > 1 ? 's' : ''} ${scales.join(', ')}${p.flip ? ', mirrored views averaged' : ''}`;
}

/** Removes the stale temp files of `targets` (see removeStaleTemps) and says so, one line each. */
export async function cleanStaleTemps(targets: readonly string[], io: CommandIo, command: string): Promise<void> {
  for (const t of await removeStaleTemps(targets))
    io.err(
      `gmmseg ${command}: removed '${t.file}' (${(t.bytes / 2 ** 20).toFixed(1)} MiB), left by an interrupted write\n`,
    );
}
