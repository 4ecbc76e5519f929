import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandlers } from '../../../src/server/errors.js';
import { defaultWebRoot, listWebFiles, registerStatic } from '../../../src/server/static.js';
import { expectError } from './fixture.js';

let dir: string;
let root: string;

/** A bare Fastify instance with the service's error handlers and the static routes of `webRoot`. */
async function staticApp(webRoot: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installErrorHandlers(app, { maxBodyBytes: 1024 });
  await registerStatic(app, webRoot);
  return app;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-static-'));
  root = path.join(dir, 'web');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>page</title>');
  await writeFile(path.join(root, 'app.js'), 'console.log(1);');
  await writeFile(path.join(root, 'style.css'), 'body{}');
  await writeFile(path.join(root, 'assets', 'logo.svg'), '<svg/>');
  await writeFile(path.join(root, 'notes.md'), '# not served');
  await writeFile(path.join(root, '.secret.json'), '{}');
  await writeFile(path.join(dir, 'secret.txt'), 'outside the web root');
  await symlink(path.join(dir, 'secret.txt'), path.join(root, 'link.txt'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the web folder listing: servable files only (no dot-files, symlinks or unknown extensions)', async () => {
  const files = await listWebFiles(root);
  assert.deepEqual([...files.keys()].sort(), ['/app.js', '/assets/logo.svg', '/index.html', '/style.css']);
  assert.equal((await listWebFiles(path.join(dir, 'missing'))).size, 0);
  assert.equal(
    defaultWebRoot(),
    path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..', '..', 'src', 'web'),
  );
});

test('files are served with their content types; / is index.html; /config.json says service mode', async () => {
  const app = await staticApp(root);
  try {
    const cases: [string, RegExp, string][] = [
      ['/', /^text\/html/, '<!doctype html><title>page</title>'],
      ['/index.html', /^text\/html/, '<!doctype html><title>page</title>'],
      ['/app.js', /^text\/javascript/, 'console.log(1);'],
      ['/style.css', /^text\/css/, 'body{}'],
      ['/assets/logo.svg', /^image\/svg\+xml/, '<svg/>'],
    ];
    for (const [url, type, body] of cases) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), type, url);
      assert.equal(res.body, body, url);
    }
    const config = await app.inject({ method: 'GET', url: '/config.json' });
    assert.deepEqual(config.json(), { mode: 'service', service: '' });
  } finally {
    await app.close();
  }
});

test('path tricks never reach the file system: 404 JSON', async () => {
  const app = await staticApp(root);
  try {
    const tricks = [
      '/../secret.txt',
      '/../../etc/passwd',
      '/%2e%2e/secret.txt',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2Fetc%2Fpasswd',
      '//etc/passwd',
      '/etc/passwd',
      `/${encodeURIComponent(path.join(dir, 'secret.txt'))}`,
      '/index.html/../../secret.txt',
      '/app.js%00.html',
      '/link.txt',
      '/notes.md',
      '/.secret.json',
      '/assets',
      '/assets/',
      '/C:%5CWindows%5Cwin.ini',
    ];
    for (const url of tricks) {
      const res = await app.inject({ method: 'GET', url });
      expectError(res, 404, 'not_found');
      assert.doesNotMatch(res.body, /outside the web root|root:/, url);
    }
  } finally {
    await app.close();
  }
});

test('without a web folder, / is a built-in page saying the web UI is missing', async () => {
  const app = await staticApp(path.join(dir, 'missing'));
  try {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /web UI is missing/);
    expectError(await app.inject({ method: 'GET', url: '/app.js' }), 404, 'not_found');
    assert.deepEqual((await app.inject({ method: 'GET', url: '/config.json' })).json(), {
      mode: 'service',
      service: '',
    });
  } finally {
    await app.close();
  }
});

test('a config.json in the web folder is served instead of the built-in one', async () => {
  const own = path.join(dir, 'own');
  await mkdir(own);
  await writeFile(path.join(own, 'config.json'), '{"mode":"browser"}');
  const app = await staticApp(own);
  try {
    const res = await app.inject({ method: 'GET', url: '/config.json' });
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json(), { mode: 'browser' });
  } finally {
    await app.close();
  }
});
