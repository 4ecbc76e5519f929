/**
 * The command-line preamble the benchmarks share: `--name value` flags and the CamVid root (`--camvid PATH`, default
 * `../shared/data/camvid` beside the project root).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The process's arguments after `node script`. */
export const benchArgs: readonly string[] = process.argv.slice(2);

/** The value after the first `name` in the arguments, or undefined. */
export function flag(name: string): string | undefined {
  const i = benchArgs.indexOf(name);
  return i >= 0 ? benchArgs[i + 1] : undefined;
}

/** The project root (the built benchmark runs from dist/bench/). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `--camvid PATH`, or the shared CamVid copy beside the project. */
export function camvidRoot(): string {
  return path.resolve(flag('--camvid') ?? path.join(projectRoot, '../shared/data/camvid'));
}
