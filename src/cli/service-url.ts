/**
 * The `--service` URL of `gmmseg web-build`: '' (the page's own origin) or an absolute http(s) URL without
 * credentials, query or fragment.
 */
import { ValueError } from '../errors.js';

/**
 * Validates `--service`: '' (same origin) or an absolute http(s) URL without credentials, query or fragment;
 * returned without a trailing slash.
 */
export function parseServiceUrl(value: string): string {
  if (value === '') return '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValueError(`--service must be an absolute http(s) URL such as http://127.0.0.1:8080, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValueError(`--service must use http or https, got '${url.protocol}' in '${value}'`);
  }
  if (url.username !== '' || url.password !== '')
    throw new ValueError(`--service must not contain a user name or password`);
  if (url.search !== '' || url.hash !== '')
    throw new ValueError(`--service must not have a query or fragment, got '${value}'`);
  return url.href.replace(/\/+$/, '');
}
