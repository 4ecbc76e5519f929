/**
 * Output paths checked before a command does any work: a folder that cannot be created or written, a file name that
 * is a folder, or a path through a file is one ValueError naming the flag and the path, so a long run never fails at
 * its end (and never with a Node stack trace). The checks create the output folders and write (and remove) one small
 * probe file in each.
 */
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { ValueError } from '../errors.js';
import { errnoReason } from './fs-io.js';

/**
 * Checks that `file` (given as `flag`) can be written: it is not a folder, its folder exists or can be created,
 * and a file can be created in that folder. Creates the folder.
 *
 * @example await prepareOutputFile('models/m.gmmseg', '--out'); // before training
 */
export async function prepareOutputFile(file: string, flag: string): Promise<void> {
  const st = await statOrUndefined(file);
  if (st?.isDirectory()) throw new ValueError(`${flag} '${file}' is a folder; give a file name`);
  await prepareFolder(path.dirname(file), `${flag} '${file}'`, 'its folder ');
}

/**
 * Checks that `dir` (given as `flag`) is a folder this process can write into, creating it (and its parents) when
 * missing.
 *
 * @example await prepareOutputFolder('predictions', '--out');
 */
export async function prepareOutputFolder(dir: string, flag: string): Promise<void> {
  await prepareFolder(dir, `${flag} '${dir}'`, '');
}

async function prepareFolder(dir: string, subject: string, role: string): Promise<void> {
  const st = await statOrUndefined(dir);
  if (st && !st.isDirectory())
    throw new ValueError(
      role ? `${subject}: ${role}'${dir}' is a file, not a folder` : `${subject} is a file, not a folder`,
    );
  if (!st) {
    const blocker = await fileOnPath(dir);
    if (blocker)
      throw new ValueError(`${subject}: cannot create ${role}'${dir}': '${blocker}' is a file, not a folder`);
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new ValueError(`${subject}: cannot create ${role}'${dir}': ${errnoReason(e)}`);
    }
  }
  await probeWrite(dir, subject, role);
}

/** Creates and removes one empty file in `dir`: the only sure test of write permission (root, ACLs, read-only mounts). */
async function probeWrite(dir: string, subject: string, role: string): Promise<void> {
  const probe = path.join(dir, `.gmmseg-write-check.${process.pid}.${Date.now()}.tmp`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (e) {
    throw new ValueError(`${subject}: cannot write into ${role}'${dir}': ${errnoReason(e)}`);
  }
  await unlink(probe).catch(() => undefined);
}

/** The first existing ancestor of `p` that is a file (which makes creating `p` impossible), if any. */
async function fileOnPath(p: string): Promise<string | undefined> {
  for (let q = path.dirname(p); ; q = path.dirname(q)) {
    const st = await statOrUndefined(q);
    if (st) return st.isDirectory() ? undefined : q;
    if (path.dirname(q) === q) return undefined;
  }
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}
