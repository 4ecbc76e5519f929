#!/usr/bin/env node
/**
 * Runs `node --test` on the test files (`*.test.js`) under the given folders, listed here rather than by Node: Node 20
 * expands a folder argument but no glob, Node 22 and later expand globs but take a folder as one file to run. Extra
 * arguments before `--` go to `node --test` (reporters), e.g.
 *   node scripts/node-test.mjs dist/tests/            # what `npm run test:unit` runs
 *   node scripts/node-test.mjs --test-reporter=dot -- dist/tests/unit/cli
 * Exit code: node --test's.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every `*.test.js` below `dir` (or `dir` itself when it is such a file), sorted. */
export function testFiles(dir) {
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.js') ? [p] : [];
    })
    .sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const cut = args.indexOf('--');
  const options = cut >= 0 ? args.slice(0, cut) : args.filter((a) => a.startsWith('--'));
  const dirs = cut >= 0 ? args.slice(cut + 1) : args.filter((a) => !a.startsWith('--'));
  const files = dirs.flatMap(testFiles);
  if (files.length === 0) {
    console.error(`node-test: no *.test.js files under ${dirs.join(', ') || '(no folder given)'}`);
    process.exit(1);
  }
  const r = spawnSync(process.execPath, ['--test', ...options, ...files], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
