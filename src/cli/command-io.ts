/**
 * What every subcommand shares: where it writes, how a user error becomes one line and exit code 1, and the
 * engine/prediction flags.
 */
import { Command } from 'commander';
import { engineSummary, initEngine, parseEngineName, type EngineName } from '../engine/engine.js';
import { GmmsegError } from '../errors.js';
import type { CommandIo } from './inspect.js';

/** stdout / stderr of the process. */
export const processIo: CommandIo = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/**
 * Runs a command body: a GmmsegError (a user mistake) is printed as `gmmseg <name>: <message>` with exit code 1;
 * anything else is a bug and propagates with its stack.
 */
export async function runUserCommand(name: string, io: CommandIo, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (!(e instanceof GmmsegError)) throw e;
    io.err(`gmmseg ${name}: ${e.message}\n`);
    process.exitCode = 1;
  }
}

/** `--engine`, and for commands that predict: `--mode`, `--window`, `--stride`. */
export function addEngineOption(cmd: Command): Command {
  return cmd.option('--engine <name>', 'engine: torch (native, default when built), wasm (default otherwise) or cpu (env GMMSEG_ENGINE)');
}

/** Starts the engine from `--engine` (else GMMSEG_ENGINE, else the fastest available) and prints which one runs. */
export async function startEngine(flag: string | undefined, io: CommandIo, command: string): Promise<EngineName> {
  const name = await initEngine(flag !== undefined ? parseEngineName(flag, '--engine') : undefined);
  io.out(`gmmseg ${command}: ${engineSummary(name)}\n`);
  return name;
}

export function addPredictOptions(cmd: Command): Command {
  return addEngineOption(cmd.option('--mode <m>', 'whole or slide', 'whole').option('--window <h,w>', 'slide window').option('--stride <h,w>', 'slide stride'));
}
