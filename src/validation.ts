/**
 * Validation of plain config objects with zod: one place that turns zod issues into the project's one-line messages.
 * A leaf module (zod and errors only).
 */
import type { z } from 'zod';
import { ValueError } from './errors.js';

/** One readable line for zod issues: "unknown key(s) 'a', 'b'; 'x': Expected number, received string". */
export function formatZodIssues(issues: readonly z.ZodIssue[], root = 'options'): string {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown key(s) ${i.keys.map((k) => `'${k}'`).join(', ')}`;
      return `${i.path.length > 0 ? `'${i.path.join('.')}'` : root}: ${i.message}`;
    })
    .join('; ');
}

/**
 * Parses `raw` with `schema`; on failure throws a ValueError `"<what>: <issues>"` (e.g. "invalid GMM config: 'x': …").
 */
export function parseWith<S extends z.ZodTypeAny>(schema: S, raw: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data as z.infer<S>;
  throw new ValueError(`${what}: ${formatZodIssues(r.error.issues)}`);
}
