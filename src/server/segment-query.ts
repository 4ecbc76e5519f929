/** The query of `POST /v1/segment`: `maps` (a comma list of map names) and `threshold` (a finite number). */
import { HttpError } from './errors.js';
import { MAP_NAMES, type MapName } from './maps.js';
import type { SegmentRequest } from './segment.js';

const QUERY_KEYS = ['maps', 'threshold'];

/**
 * Checks `maps` and `threshold`; unknown parameters are refused so typos do not pass silently.
 *
 * @throws HttpError 400 'bad_request' naming the parameter and what is accepted.
 */
export function parseQuery(query: unknown): SegmentRequest {
  const q = (query ?? {}) as Record<string, string | string[] | undefined>;
  for (const key of Object.keys(q)) {
    if (!QUERY_KEYS.includes(key))
      throw new HttpError(
        400,
        'bad_request',
        `unknown query parameter '${key.slice(0, 50)}'; accepted: ${QUERY_KEYS.join(', ')}`,
      );
  }
  const maps = new Set<MapName>();
  for (const part of [q.maps ?? []].flat().flatMap((v) => v.split(','))) {
    const name = part.trim();
    if (name === '') continue;
    if (!(MAP_NAMES as readonly string[]).includes(name))
      throw new HttpError(
        400,
        'bad_request',
        `unknown map '${name.slice(0, 50)}' in 'maps'; accepted: ${MAP_NAMES.join(', ')}`,
      );
    maps.add(name as MapName);
  }
  if (q.threshold === undefined) return { maps };
  if (Array.isArray(q.threshold)) throw new HttpError(400, 'bad_request', "'threshold' is given more than once");
  const threshold = q.threshold.trim() === '' ? NaN : Number(q.threshold);
  if (!Number.isFinite(threshold))
    throw new HttpError(400, 'bad_request', `'threshold' must be a finite number, got '${q.threshold.slice(0, 50)}'`);
  return { maps, threshold };
}
