/**
 * `gmmseg web-build --out DIR [--service URL]`: writes the web page (the files of the package's `src/web`) as a
 * static site into DIR, with `DIR/config.json` = `{"mode": "service", "service": URL}` so the copy calls the gmmseg
 * service at URL (empty: the same origin as the page, i.e. the page is served by `gmmseg serve` or a proxy in
 * front of it). A service on another origin must allow the page's origin (CORS).
 *
 * The site is assembled in a temp folder next to DIR and renamed into place, so DIR is never half written. An
 * existing DIR is replaced only when it is empty or is an earlier build (it holds `index.html` and `config.json`
 * and nothing but files); anything else is refused rather than deleted.
 */
import { Command } from 'commander';
import { copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError } from '../errors.js';
import { processIo, runUserCommand, type CommandIo } from './command-io.js';
import { addOptions, readOptions } from './option-table.js';
import { WEB_BUILD_OPTIONS } from './options.js';

export { parseServiceUrl } from './service-url.js';

/** The page's source folder: `src/web` of the package (this file runs from `dist/src/cli`). */
export function webSourceDir(): string {
  return fileURLToPath(new URL('../../../src/web/', import.meta.url));
}

/** Contents of a built site's config.json. */
export interface WebConfig {
  mode: 'service';
  service: string;
}

/** The page's files: regular, non-hidden files of `dir` (the folder is flat), sorted. */
export async function webFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new FormatError(`cannot read the page's folder '${dir}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name !== 'config.json')
    .map((e) => e.name)
    .sort();
  if (!files.includes('index.html')) throw new FormatError(`'${dir}' has no index.html; is the package complete?`);
  return files;
}

/** Writes the site into `out` (see the module comment); returns the files written, config.json last. */
export async function buildWebSite(
  out: string,
  service: string,
  sourceDir: string = webSourceDir(),
): Promise<string[]> {
  const files = await webFiles(sourceDir);
  const target = path.resolve(out);
  await checkReplaceable(target);
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  const stamp = `${process.pid}.${Date.now()}`;
  const tmp = path.join(parent, `.${path.basename(target)}.${stamp}.tmp`);
  const old = path.join(parent, `.${path.basename(target)}.${stamp}.old`);
  try {
    await mkdir(tmp);
    for (const f of files) await copyFile(path.join(sourceDir, f), path.join(tmp, f));
    const config: WebConfig = { mode: 'service', service };
    await writeFile(path.join(tmp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    let movedOld = false;
    try {
      await rename(target, old);
      movedOld = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      await rename(tmp, target);
    } catch (e) {
      if (movedOld) await rename(old, target);
      throw e;
    }
    if (movedOld) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof FormatError) throw e;
    throw new FormatError(`cannot write '${target}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return [...files, 'config.json'];
}

/** Refuses an existing `target` that is neither an empty folder nor an earlier build. */
async function checkReplaceable(target: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(target, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new FormatError(`'${target}' exists and is not a folder; choose another --out`);
    throw new FormatError(`cannot read '${target}': ${code ?? String(e)}`);
  }
  if (entries.length === 0) return;
  const names = entries.map((e) => e.name);
  const earlierBuild =
    names.includes('index.html') && names.includes('config.json') && entries.every((e) => e.isFile());
  if (!earlierBuild) {
    throw new FormatError(
      `'${target}' is not empty and is not an earlier web-build output; refusing to replace it (choose an empty or new --out)`,
    );
  }
}

export function webBuildCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('web-build').description(
    'write the web page as a static site (index.html, app.js, …, config.json) that calls a gmmseg service',
  );
  return addOptions(cmd, WEB_BUILD_OPTIONS).action(async (raw: Record<string, unknown>) =>
    runUserCommand('web-build', io, async () => {
      const { out, service } = readOptions(WEB_BUILD_OPTIONS, raw);
      const files = await buildWebSite(out, service);
      const where = service === '' ? 'same origin as the page' : service;
      io.out(`wrote ${files.length} files to ${path.resolve(out)} (service: ${where})\n`);
    }),
  );
}
