/** `gmmseg web-build`: the static site is the page's files byte for byte plus config.json; bad input is one line. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parseServiceUrl, webBuildCommand, webSourceDir } from '../../../src/cli/web-build.js';

async function run(argv: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const before = process.exitCode;
  process.exitCode = 0;
  const program = new Command('gmmseg')
    .exitOverride()
    .addCommand(webBuildCommand({ out: (t) => void (out += t), err: (t) => void (err += t) }));
  await program.parseAsync(['node', 'gmmseg', 'web-build', ...argv]);
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { out, err, code };
}

let dir = '';
test.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-web-build-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('writes every page file byte for byte and config.json with the service URL', async () => {
  const out = path.join(dir, 'site');
  const r = await run(['--out', out, '--service', 'https://seg.example.org:8443/api/']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  const source = (await readdir(webSourceDir())).filter((f) => !f.startsWith('.')).sort();
  for (const f of ['index.html', 'app.js', 'style.css']) assert.ok(source.includes(f), `src/web has ${f}`);
  assert.deepEqual((await readdir(out)).sort(), [...source, 'config.json'].sort());
  for (const f of source)
    assert.deepEqual(await readFile(path.join(out, f)), await readFile(path.join(webSourceDir(), f)), f);
  assert.deepEqual(JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8')), {
    mode: 'service',
    service: 'https://seg.example.org:8443/api',
  });
  assert.match(
    r.out,
    new RegExp(`^wrote ${source.length + 1} files to .*site \\(service: https://seg.example.org:8443/api\\)\\n$`),
  );
  assert.deepEqual((await readdir(dir)).sort(), ['site'], 'no temp folder left next to the output');
});

test('without --service the page calls its own origin; an earlier build is replaced', async () => {
  const out = path.join(dir, 'again');
  assert.equal((await run(['--out', out, '--service', 'http://127.0.0.1:9000'])).code, 0);
  const r = await run(['--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8')), { mode: 'service', service: '' });
  assert.match(r.out, /service: same origin as the page/);
  assert.ok(!(await readdir(dir)).some((f) => f.startsWith('.')), 'no temp or old folder left');
});

test('refuses a non-empty folder that is not an earlier build, and leaves it untouched', async () => {
  const out = path.join(dir, 'precious');
  await mkdir(out);
  await writeFile(path.join(out, 'notes.txt'), 'keep me');
  const r = await run(['--out', out]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^gmmseg web-build: '.*precious' is not empty and is not an earlier web-build output; refusing to replace it/,
  );
  assert.equal(r.err.split('\n').filter(Boolean).length, 1);
  assert.deepEqual(await readdir(out), ['notes.txt']);
  assert.equal(await readFile(path.join(out, 'notes.txt'), 'utf8'), 'keep me');
});

test('--service must be an absolute http(s) URL without credentials, query or fragment', async () => {
  for (const [bad, why] of [
    ['seg.example.org', /absolute http\(s\) URL/],
    ['ftp://seg.example.org', /must use http or https/],
    ['http://user:pw@seg.example.org', /user name or password/],
    ['http://seg.example.org/?x=1', /query or fragment/],
  ] as const) {
    const r = await run(['--out', path.join(dir, 'never'), '--service', bad]);
    assert.equal(r.code, 1, bad);
    assert.match(r.err, why);
  }
  assert.ok(!(await readdir(dir)).includes('never'), 'nothing written on a bad --service');
  assert.equal(parseServiceUrl(''), '');
  assert.equal(parseServiceUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
});
