/**
 * Output names of `gmmseg predict`: one file stem per input image, unique within the output folder, so inputs that
 * share a base name (`d1/x.png`, `d2/x.png`, `d1/x.jpg`) never overwrite each other's outputs. Pure (no file system).
 */
import path from 'node:path';

/** The output stem of one input, and why it differs from the input's own base name (undefined when it does not). */
export interface OutputStem {
  stem: string;
  renamed?: string;
}

/**
 * Output stems for `images`, in order: each input's base name without its extension (`d1/x.png` → `x`), and for
 * the second and later inputs with the same base name `x-1`, `x-2`, … (skipping names that another input has as
 * its own). Names are compared case-insensitively (case-insensitive file systems would merge `X` and `x`).
 *
 * @example uniqueStems(['d1/x.png', 'd2/x.png', 'd1/x.jpg']).map((s) => s.stem) // ['x', 'x-1', 'x-2']
 */
export function uniqueStems(images: readonly string[]): OutputStem[] {
  const own = images.map(baseStem);
  const reserved = new Set(own.map(fold));
  const taken = new Set<string>();
  return own.map((stem) => {
    if (!taken.has(fold(stem))) {
      taken.add(fold(stem));
      return { stem };
    }
    let k = 1;
    while (taken.has(fold(`${stem}-${k}`)) || reserved.has(fold(`${stem}-${k}`))) k += 1;
    const unique = `${stem}-${k}`;
    taken.add(fold(unique));
    const first = images[own.findIndex((s) => fold(s) === fold(stem))] as string;
    return { stem: unique, renamed: `'${first}' has the same base name` };
  });
}

/** The base name without its last extension (`a/b.c.png` → `b.c`); `image` when nothing is left. */
function baseStem(file: string): string {
  const stem = path.basename(file).replace(/\.[^.]*$/, '');
  return stem === '' ? 'image' : stem;
}

function fold(s: string): string {
  return s.toLowerCase();
}
