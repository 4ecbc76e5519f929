/**
 * The web page: the files of the package's `src/web/` folder (or an explicit web root), served read-only.
 *
 * Safety: the folder is listed once at startup and every file found becomes one fixed route (`/index.html`,
 * `/app.js`, `/assets/x.svg`, …); `/` serves `index.html`. No part of a request URL is ever joined to a file-system
 * path, so `..`, `%2e%2e`, absolute paths or symlink tricks simply match no route and get the JSON 404. Symbolic
 * links and dot-files are not listed, and only files with a known content type are served.
 *
 * When the folder does not exist, `/` answers a small built-in page saying that the web UI is missing.
 * `GET /config.json` tells the page it is served by the service (`{"mode":"service","service":""}`, i.e. same
 * origin) unless the folder has its own config.json.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

/** Content types by file extension; files with other extensions are not served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.txt': 'text/plain; charset=utf-8',
};

/** Deepest folder level listed under the web root. */
const MAX_DEPTH = 4;

/** The package's web folder: `dist/src/server/static.js` → `<package>/src/web`. */
export function defaultWebRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'web');
}

/** URL path (e.g. `/app.js`) → absolute file path, for every servable file under `root`; empty if there is no folder. */
export async function listWebFiles(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  await walk(path.resolve(root), '', 0, files);
  return files;
}

async function walk(dir: string, urlPrefix: string, depth: number, files: Map<string, string>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // missing or unreadable folder: nothing to serve
  }
  for (const e of entries) {
    if (e.name.startsWith('.') || !/^[A-Za-z0-9._-]+$/.test(e.name)) continue;
    const abs = path.join(dir, e.name);
    if (e.isDirectory() && depth < MAX_DEPTH) await walk(abs, `${urlPrefix}/${e.name}`, depth + 1, files);
    else if (e.isFile() && CONTENT_TYPES[path.extname(e.name).toLowerCase()] !== undefined)
      files.set(`${urlPrefix}/${e.name}`, abs);
  }
}

/** Registers the web page routes; returns the URL paths served from files. */
export async function registerStatic(app: FastifyInstance, webRoot: string): Promise<string[]> {
  const files = await listWebFiles(webRoot);
  for (const [url, file] of files) registerFile(app, url, file);
  const index = files.get('/index.html');
  if (index !== undefined) registerFile(app, '/', index);
  else app.get('/', async (_request, reply) => reply.type(CONTENT_TYPES['.html'] as string).send(missingPage(webRoot)));
  if (!files.has('/config.json')) app.get('/config.json', async () => ({ mode: 'service', service: '' }));
  return [...files.keys()];
}

function registerFile(app: FastifyInstance, url: string, file: string): void {
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] as string;
  app.get(url, async (_request, reply) => {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch {
      throw new HttpError(
        404,
        'not_found',
        `no such resource: ${url} (the file was removed after the service started)`,
      );
    }
    return reply.type(type).header('cache-control', 'no-cache').send(data);
  });
}

/** The page shown at `/` when the web folder is missing. */
function missingPage(webRoot: string): string {
  const escaped = webRoot.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gmmseg service</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>gmmseg service</h1>
<p>The web UI is missing: no <code>index.html</code> in <code>${escaped}</code>.</p>
<p>The HTTP API works: <a href="/v1/model">GET /v1/model</a>, <a href="/healthz">GET /healthz</a>,
<code>POST /v1/segment</code> with a PNG, JPEG or WebP image.</p>
</body></html>
`;
}
