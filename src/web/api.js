// @ts-check
/**
 * The page's client of the gmmseg HTTP service: where the service is (config.json), its JSON answers, and its
 * JSON errors turned into one readable message. Inference always runs in the service; the page never loads a model.
 *
 * config.json: `{"mode": "service", "service": ""}` — an empty `service` means the same origin as the page (served by
 * `gmmseg serve`); a URL (written by `gmmseg web-build --service URL`) points a static copy at a remote service.
 */

/** @typedef {{mode: string, service: string}} PageConfig */

/** @typedef {{min: number, max: number}} HeatScale fixed score range of the heat colours */

/** @typedef {{index: number, name: string, color: number[]}} ModelClass one class of the model, with its colour */

/**
 * The answer of GET /v1/model (src/server/info.ts `ModelInfo`); `limits` is read defensively.
 * @typedef {{classes: ModelClass[], head: string, extractor: string, score: string, threshold: number,
 *   heatScale: HeatScale, engine: string, limits?: {maxBodyBytes: number, maxImagePixels: number}}} ModelInfo
 */

/**
 * The answer of POST /v1/segment?maps=classes,heat,raw (src/server/segment.ts `SegmentResponse`): the class and
 * heat PNGs as data URLs, the raw labels (uint8) and scores (float32 LE) as base64.
 * @typedef {{width: number, height: number, engine: string,
 *   timingMs?: {decode: number, predict: number, total: number},
 *   classes: {index: number, fraction: number}[],
 *   maps: {classes: string, heat: string, labels: string, scores: string}}} SegmentReply
 */

const DEFAULT_CONFIG = { mode: 'service', service: '' };

/** A failed call: HTTP status (0 when the service was not reached), the service's error code and message. */
export class ServiceError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {number | undefined} [retryAfter] seconds, from a 503's Retry-After
   */
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = 'ServiceError';
    /** @type {number} */
    this.status = status;
    /** @type {string} */
    this.code = code;
    /** @type {number | undefined} */
    this.retryAfter = retryAfter;
  }

  /** One line for the page, e.g. "The image has 400000000 pixels; the limit is … (HTTP 422, image_too_large)". */
  describe() {
    const where = this.status === 0 ? this.code : `HTTP ${this.status}, ${this.code}`;
    const retry = this.retryAfter !== undefined ? ` Try again in ${this.retryAfter} s.` : '';
    const text = this.message.charAt(0).toUpperCase() + this.message.slice(1);
    return `${text.replace(/\.$/, '')} (${where}).${retry}`;
  }
}

/**
 * Reads config.json next to the page; a missing or unreadable file means the same-origin service.
 * @returns {Promise<PageConfig>}
 */
export async function loadConfig() {
  try {
    const res = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    if (!res.ok) return { ...DEFAULT_CONFIG };
    const json = await res.json();
    return {
      mode: typeof json.mode === 'string' ? json.mode : DEFAULT_CONFIG.mode,
      service: typeof json.service === 'string' ? json.service : DEFAULT_CONFIG.service,
    };
  } catch {
    return { ...DEFAULT_CONFIG };
  }
}

/**
 * The base URL API paths are resolved against (ends with '/').
 * @param {PageConfig} config
 * @returns {URL}
 */
export function serviceBase(config) {
  if (config.service === '') return new URL('./', document.baseURI);
  const url = new URL(config.service, document.baseURI);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * @param {URL} base
 * @param {string} path relative, e.g. 'v1/model'
 * @param {RequestInit} [init]
 * @param {number} [timeoutMs]
 * @returns {Promise<any>}
 */
export async function callService(base, path, init = {}, timeoutMs = 120000) {
  const url = new URL(path, base);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let res;
  try {
    res = await fetch(url, { ...init, signal: abort.signal });
  } catch (e) {
    const timedOut = abort.signal.aborted;
    throw new ServiceError(
      0,
      timedOut ? 'timeout' : 'unreachable',
      timedOut
        ? `The gmmseg service at ${base.origin} did not answer within ${Math.round(timeoutMs / 1000)} s`
        : `Cannot reach the gmmseg service at ${base.href} (${e instanceof Error ? e.message : String(e)})`,
    );
  } finally {
    clearTimeout(timer);
  }
  const text = await res.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = json && typeof json === 'object' && json.error && typeof json.error === 'object' ? json.error : {};
    const retry = Number(res.headers.get('retry-after'));
    throw new ServiceError(
      res.status,
      typeof err.code === 'string' ? err.code : 'http_error',
      typeof err.message === 'string' ? err.message : `The service answered ${res.status} ${res.statusText}`.trim(),
      res.headers.has('retry-after') && Number.isFinite(retry) ? retry : undefined,
    );
  }
  if (json === undefined)
    throw new ServiceError(res.status, 'bad_response', `The service's answer to ${path} is not JSON`);
  return json;
}

/**
 * POST /v1/segment with the file's bytes as the body.
 * @param {URL} base
 * @param {File} file
 * @param {string[]} maps e.g. ['classes', 'heat', 'raw']
 * @returns {Promise<SegmentReply>} (its `maps` hold what was asked for)
 */
export function segmentImage(base, file, maps) {
  const type = file.type !== '' ? file.type : 'application/octet-stream';
  return callService(base, `v1/segment?maps=${maps.join(',')}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: file,
  });
}

/**
 * Decodes standard base64 to bytes.
 * @param {string} b64
 * @returns {Uint8Array}
 */
export function base64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Little-endian float32 values of base64 bytes.
 * @param {string} b64
 * @param {number} count expected number of values
 * @returns {Float32Array}
 */
export function base64ToFloat32(b64, count) {
  const bytes = base64ToBytes(b64);
  if (bytes.length !== 4 * count)
    throw new ServiceError(200, 'bad_response', `The score map has ${bytes.length} bytes; expected ${4 * count}`);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}
