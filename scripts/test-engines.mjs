#!/usr/bin/env node
/**
 * `npm test` after the build: the golden fixtures and the unit/e2e suite on every engine — the native torch engine
 * (when built; if it is not, says so loudly and why) and wasm. `--engine NAME` runs one engine only.
 * Exit code: non-zero if any run failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testFiles } from './node-test.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.includes('--engine') ? process.argv[process.argv.indexOf('--engine') + 1] : undefined;
const torchBuilt = existsSync(path.join(root, 'native', 'gmmseg_torch.node'));
let engines = only ? [only] : torchBuilt ? ['torch', 'wasm'] : ['wasm'];
if (!torchBuilt && (only === undefined || only === 'torch')) {
  const bar = '!'.repeat(100);
  console.error(
    `${bar}\nNATIVE TORCH ENGINE NOT BUILT: its tests are not run. Install libtorch (sh scripts/install-system-deps.sh) and run npm rebuild.\n${bar}`,
  );
  engines = engines.filter((e) => e !== 'torch');
}
let failed = 0;
for (const engine of engines) {
  const env = { ...process.env, GMMSEG_ENGINE: engine };
  console.log(`\n=== engine ${engine}: golden fixtures ===`);
  const g = spawnSync(process.execPath, ['dist/tests/golden/run.js'], { cwd: root, env, stdio: 'inherit' });
  console.log(`\n=== engine ${engine}: unit and end-to-end tests ===`);
  const tap = path.join(tmpdir(), `gmmseg-tests-${engine}-${process.pid}.tap`);
  const u = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-reporter=dot',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...testFiles(path.join(root, 'dist', 'tests')),
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  summarise(engine, tap);
  if (g.status !== 0 || u.status !== 0) {
    failed++;
    console.error(`=== engine ${engine}: FAILED (golden exit ${g.status}, tests exit ${u.status}) ===`);
  } else console.log(`=== engine ${engine}: passed ===`);
}
process.exit(failed === 0 ? 0 : 1);

/** Prints the run's counts and every skipped test with its reason (nothing is skipped silently). */
function summarise(engine, tap) {
  if (!existsSync(tap)) return;
  const lines = readFileSync(tap, 'utf8').split('\n');
  rmSync(tap, { force: true });
  const counts = lines.filter((l) => /^# (tests|pass|fail|skipped|cancelled) \d+/.test(l)).map((l) => l.slice(2));
  console.log(`\nengine ${engine}: ${counts.join(', ')}`);
  for (const l of lines.filter((x) => /# SKIP/.test(x))) console.log(`  skipped: ${l.trim()}`);
}
