/**
 * 405 answers: a known resource asked with a method it does not serve gets 405 'method_not_allowed' with an `Allow`
 * header listing the methods it does serve (not a 404, which would say the resource does not exist). OPTIONS is left
 * to CORS preflights.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { HttpError } from './errors.js';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'];

/**
 * Answers every method of {@link METHODS} not in `allowed` on `url` with 405 and `Allow`. Register after the
 * resource's own routes (HEAD comes with GET).
 */
export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: readonly HTTPMethods[]): void {
  const served = allowed.includes('GET') ? [...allowed, 'HEAD' as const] : [...allowed];
  const other = METHODS.filter((m) => !served.includes(m));
  const allow = served.join(', ');
  app.route({
    method: other,
    url,
    exposeHeadRoute: false,
    // before any body parsing, so the content type of the refused request does not matter
    onRequest: async (request) => {
      throw new HttpError(405, 'method_not_allowed', `${request.method} is not allowed on ${url}; allowed: ${allow}`, {
        allow,
      });
    },
    handler: async () => undefined,
  });
}
