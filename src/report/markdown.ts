/**
 * Markdown for reports (pure strings; the CLI prints and writes them).
 *
 * {@link markdownTable}: a GitHub-flavoured pipe table whose columns are padded to equal width (so it also
 * reads well in a terminal): every line is `| cell | cell |`, the separator uses `:---` (left), `---:`
 * (right) or `:---:` (center), at least 3 characters wide; `|` inside a cell is escaped as `\|` and line
 * breaks become spaces. Width counts Unicode code points. The string ends with a newline.
 *
 * {@link formatReport}: title, command, engine, machine and time, then the closed-set table (mIoU and pixel
 * accuracy), the per-class IoU table (one column per model), the anomaly table (AP, FPR95, AUROC) and which score is
 * best on each of those (best-scores.ts). Every
 * metric is a fraction in the report object and printed as a percentage with 2 decimals; NaN, null or
 * missing values print as '—'. Then the samples left out (`skipped`), if any. Sections with no rows are left out.
 */
import { ShapeError, ValueError } from '../errors.js';
import { anomalyLeaders, leadersSentence } from './best-scores.js';

/** Column alignment. */
export type Align = 'left' | 'right' | 'center';

/** One model's closed-set metrics (fractions); `iou[c]` per class, null/NaN when undefined. */
export interface ClosedSetRow {
  model: string;
  miou: number;
  accuracy: number;
  iou: readonly (number | null)[];
}

/** One model × anomaly score (fractions). */
export interface AnomalyRow {
  model: string;
  score: string;
  ap: number;
  fpr95: number;
  auroc: number;
}

/** The evaluation report formatted by {@link formatReport}. */
export interface EvalReport {
  title: string;
  engine: string;
  machine?: string;
  command: string;
  seconds: number;
  closedSet: readonly ClosedSetRow[];
  classes: readonly string[];
  anomaly: readonly AnomalyRow[];
  /** Samples left out of the evaluation (`--skip-bad`): listed with their reason after the tables. */
  skipped?: readonly SkippedRow[];
}

/** One sample left out of an evaluation, and why. */
export interface SkippedRow {
  dataset: string;
  file: string;
  reason: string;
}

const width = (s: string): number => [...s].length;

function escapeCell(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|');
}

function pad(s: string, w: number, align: Align): string {
  const gap = w - width(s);
  if (align === 'right') return ' '.repeat(gap) + s;
  if (align === 'center') return ' '.repeat(Math.floor(gap / 2)) + s + ' '.repeat(gap - Math.floor(gap / 2));
  return s + ' '.repeat(gap);
}

function rule(w: number, align: Align): string {
  if (align === 'right') return '-'.repeat(w - 1) + ':';
  if (align === 'center') return ':' + '-'.repeat(w - 2) + ':';
  return ':' + '-'.repeat(w - 1);
}

/** A padded pipe table (see the module comment); `align` defaults to left for every column. */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const fn = 'markdownTable';
  const C = headers.length;
  if (C === 0) throw new ShapeError(`${fn}: 'headers' is empty; a table needs at least one column`);
  if (align.length !== 0 && align.length !== C)
    throw new ShapeError(`${fn}: 'align' has ${align.length} entries for ${C} columns`);
  rows.forEach((r, i) => {
    if (r.length !== C) throw new ShapeError(`${fn}: row ${i} has ${r.length} cells, expected ${C} (one per header)`);
  });
  for (const a of align)
    if (a !== 'left' && a !== 'right' && a !== 'center')
      throw new ValueError(`${fn}: unknown alignment '${String(a)}'`);
  const cells = [headers, ...rows].map((r) => r.map(escapeCell));
  const widths = headers.map((_, c) => Math.max(3, ...cells.map((r) => width(r[c] as string))));
  const al = (c: number): Align => align[c] ?? 'left';
  const line = (r: readonly string[]): string =>
    `| ${r.map((s, c) => pad(s, widths[c] as number, al(c))).join(' | ')} |`;
  const sep = `| ${widths.map((w, c) => rule(w, al(c))).join(' | ')} |`;
  return [line(cells[0] as string[]), sep, ...cells.slice(1).map(line)].join('\n') + '\n';
}

/** A fraction as a percentage with 2 decimals ('61.23'); '—' for NaN, ±∞, null or undefined. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : (100 * v).toFixed(2);
}

/** Seconds as '12.3 s', with minutes added from one minute on: '125.3 s (2 min 5 s)'. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const base = `${seconds.toFixed(1)} s`;
  if (seconds < 60) return base;
  const total = Math.round(seconds);
  return `${base} (${Math.floor(total / 60)} min ${total % 60} s)`;
}

/** Inline code that survives backticks inside the text. */
export function inlineCode(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${s} ${fence}` : `${fence}${s}${fence}`;
}

/** The Markdown report (see the module comment). */
export function formatReport(report: EvalReport): string {
  const fn = 'formatReport';
  report.closedSet.forEach((r) => {
    if (r.iou.length !== report.classes.length) {
      throw new ShapeError(
        `${fn}: closedSet row '${r.model}' has ${r.iou.length} per-class IoUs but there are ${report.classes.length} classes`,
      );
    }
  });
  const out: string[] = [
    `# ${report.title}`,
    '',
    `- Command: ${inlineCode(report.command)}`,
    `- Engine: ${report.engine}`,
  ];
  if (report.machine !== undefined) out.push(`- Machine: ${report.machine}`);
  out.push(`- Time: ${formatSeconds(report.seconds)}`, '');
  if (report.closedSet.length > 0) {
    const rows = report.closedSet.map((r) => [r.model, pct(r.miou), pct(r.accuracy)]);
    out.push(
      '## Closed-set segmentation',
      '',
      markdownTable(['Model', 'mIoU (%)', 'Accuracy (%)'], rows, ['left', 'right', 'right']),
    );
    if (report.classes.length > 0) {
      const perClass = report.classes.map((name, c) => [name, ...report.closedSet.map((r) => pct(r.iou[c]))]);
      const align: Align[] = ['left', ...report.closedSet.map((): Align => 'right')];
      out.push(
        '## Per-class IoU (%)',
        '',
        markdownTable(['Class', ...report.closedSet.map((r) => r.model)], perClass, align),
      );
    }
  }
  if (report.anomaly.length > 0) {
    const rows = report.anomaly.map((r) => [r.model, r.score, pct(r.ap), pct(r.fpr95), pct(r.auroc)]);
    out.push(
      '## Anomaly segmentation',
      '',
      markdownTable(['Model', 'Score', 'AP (%) ↑', 'FPR95 (%) ↓', 'AUROC (%) ↑'], rows, [
        'left',
        'left',
        'right',
        'right',
        'right',
      ]),
      leadersSentence(anomalyLeaders(report.anomaly)),
      '',
    );
  }
  const skipped = report.skipped ?? [];
  if (skipped.length > 0) {
    const rows = skipped.map((r) => [r.dataset, r.file, r.reason]);
    out.push(
      '## Skipped samples',
      '',
      `${skipped.length} sample(s) were left out of the metrics (unreadable or inconsistent; \`--skip-bad\`):`,
      '',
      markdownTable(['Dataset', 'File', 'Reason'], rows),
    );
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
