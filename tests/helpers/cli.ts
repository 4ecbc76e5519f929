/** Runs one `gmmseg` subcommand in-process with captured output and its exit code (process.exitCode restored). */
import { Command } from 'commander';

export type CommandFactory = (io: { out: (t: string) => void; err: (t: string) => void }) => Command;

export async function runCli(cmd: CommandFactory, argv: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const before = process.exitCode;
  process.exitCode = 0;
  const program = new Command('gmmseg')
    .exitOverride()
    .addCommand(cmd({ out: (t) => void (out += t), err: (t) => void (err += t) }));
  await program.parseAsync(['node', 'gmmseg', ...argv]);
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { out, err, code };
}
