/**
 * The import arrows between the rooms of `src/` (README "Layout"): every relative import that crosses a folder must be
 * allowed by this table. Root leaf modules (errors, shape, random, constants, validation, float16) import nothing of the
 * rooms and may be used by all of them.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const LEAVES = ['errors', 'shape', 'random', 'constants', 'validation', 'float16', 'index'];
const ALLOWED: Record<string, string[]> = {
  engine: [],
  gmm: ['engine'],
  nn: ['engine'],
  data: [],
  metrics: [],
  model: ['gmm', 'nn'],
  infer: ['engine', 'model', 'gmm', 'nn', 'data', 'metrics'],
  parallel: ['engine'],
  train: ['engine', 'gmm', 'nn', 'data', 'metrics', 'model', 'infer', 'parallel'],
  report: ['data', 'metrics', 'gmm', 'model', 'infer', 'train'],
  server: ['engine', 'data', 'metrics', 'model', 'infer'],
  cli: ['engine', 'gmm', 'nn', 'data', 'metrics', 'model', 'infer', 'train', 'report', 'server', 'parallel'],
  web: [],
};

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|js)$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

test('every import between rooms follows the layout table; root leaf modules import no room', () => {
  const bad: string[] = [];
  for (const file of files(root)) {
    const rel = path.relative(root, file);
    const room = rel.includes(path.sep) ? (rel.split(path.sep)[0] as string) : undefined;
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = path.relative(root, path.resolve(path.dirname(file), m[1] as string));
      const to = target.includes(path.sep) ? (target.split(path.sep)[0] as string) : undefined;
      if (to === undefined) {
        if (!LEAVES.includes(path.basename(target).replace(/\.js$/, ''))) bad.push(`${rel} → ${target} (not a leaf)`);
        continue;
      }
      if (room === undefined) {
        if (path.basename(rel, '.ts') !== 'index') bad.push(`${rel} (a root leaf) → ${to}`);
        continue;
      }
      if (to !== room && !(ALLOWED[room] ?? []).includes(to)) bad.push(`${rel} → ${target}`);
    }
  }
  assert.deepEqual(bad, [], `imports against the layout:\n${bad.join('\n')}`);
});
