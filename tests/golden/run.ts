/**
 * `npm run test:golden`: checks every *.json fixture in $GMMSEG_GOLDEN_DIR (default ../shared/golden beside the project
 * root) and prints `golden: <n> fixtures passed`. Fails when there is none or any check fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../../src/engine/engine.js';
import { checkFixture } from './fixtures.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function main(): Promise<number> {
  const dir = path.resolve(projectRoot, process.env['GMMSEG_GOLDEN_DIR'] ?? '../shared/golden');
  const engine = await initEngine();
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch (e) {
    console.error(`golden: cannot read fixture folder ${dir}: ${(e as Error).message}`);
    return 1;
  }
  if (files.length === 0) {
    console.error(`golden: no *.json fixtures in ${dir}`);
    return 1;
  }
  let failed = 0;
  for (const f of files) {
    let checks;
    try {
      checks = checkFixture(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>);
    } catch (e) {
      console.error(`golden: ${f}: ERROR ${(e as Error).message}`);
      failed++;
      continue;
    }
    const bad = checks.filter((c) => !c.ok);
    console.log(`golden: ${f}: ${bad.length === 0 ? 'ok' : 'FAILED'} (${checks.length} checks, engine ${engine})`);
    for (const c of checks)
      if (!c.ok || process.env['GMMSEG_GOLDEN_VERBOSE'])
        console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
    if (bad.length) failed++;
  }
  if (failed) {
    console.error(`golden: ${failed} of ${files.length} fixtures failed`);
    return 1;
  }
  console.log(`golden: ${files.length} fixtures passed`);
  return 0;
}

process.exitCode = await main();
