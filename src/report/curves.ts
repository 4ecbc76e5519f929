/**
 * ROC and precision–recall curves from a {@link TieTable}, their plotting-size reduction, and the
 * SVG / PNG figures of the report (pure: strings and bytes, no file system).
 *
 * Points are exactly scikit-learn's (`roc_curve` and `precision_recall_curve`, `drop_intermediate=False`,
 * no sample weights), built from the tie table's distinct scores t₁ > t₂ > … > t_K with cumulative anomaly
 * (positive) counts TPₖ and inlier counts FPₖ (entries with no pixel are skipped):
 * - ROC: fpr = [0, FP₁/N, …, FP_K/N], tpr = [0, TP₁/P, …, TP_K/P], thresholds = [+∞, t₁, …, t_K]
 *   (sklearn ≥ 1.3 puts +∞ first);
 * - PR: in increasing threshold order t_K … t₁, precision = TPₖ/(TPₖ + FPₖ), recall = TPₖ/P, then a final
 *   (precision 1, recall 0) point with no threshold (sklearn ≥ 1.1, no truncation at full recall).
 * AUROC is the trapezoid area of the ROC points; AP = Σ (Rₖ − Rₖ₊₁)·Pₖ over the PR points — the values of
 * `metricsFromTieTable`. Both curves need anomaly and inlier pixels (a ValueError otherwise, as for the metrics).
 *
 * Plotting ({@link downsampleCurve}): interior points lying on an axis-parallel segment between their kept
 * neighbours are dropped (lossless for both line and step drawing); if more than `maxPoints` remain, the curve is cut into B = ⌊maxPoints/4⌋ pieces of equal
 * arc length (in the unit square) and each piece keeps its first and last point and its lowest and highest
 * point. So the endpoints and the lowest and highest point of every piece survive, and every point of the
 * input lies within (arc length)/B of the reduced polyline — at most 2/B for a monotone curve.
 *
 * Figures: ROC is drawn as straight segments (the trapezoid rule), PR as steps ("steps-post", as sklearn's
 * `PrecisionRecallDisplay` draws it, whose area is AP). Axes [0, 1] with ticks every 0.2, grid, axis labels,
 * a dashed chance diagonal for ROC, and a legend under the plot with each series' AUROC or AP in percent.
 */
import sharp from 'sharp';
import { ValueError } from '../errors.js';
import { assertBothClasses } from '../metrics/ranking.js';
import { sweepTies, type TieSweep, type TieTable } from '../metrics/tie-sweep.js';

/** sklearn `roc_curve` output. [K + 1] each. */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
}

/** sklearn `precision_recall_curve` output: precision and recall [K + 1], thresholds [K] ascending. */
export interface PrCurve {
  precision: Float64Array;
  recall: Float64Array;
  thresholds: Float64Array;
}

/** A polyline in the unit square. x [M], y [M]. */
export interface Curve {
  x: Float64Array;
  y: Float64Array;
}

/** One curve of a figure; `summary` is its AUROC (ROC) or AP (PR) as a fraction, computed from `points` if absent. */
export interface CurveSeries {
  name: string;
  points: Curve;
  summary?: number;
}

/** Figure size in pixels (SVG user units). */
export interface FigureSize {
  width: number;
  height: number;
  /** Optional title above the plot (default 'ROC curve' / 'Precision–recall curve'). */
  title?: string;
}

/** The tie table's sweep (cumulative counts at each non-empty entry, descending), with both classes present. */
function cumulative(table: TieTable, fnName: string): TieSweep {
  const sw = sweepTies(table);
  assertBothClasses(sw.numPos, sw.numNeg, fnName);
  return sw;
}

/** sklearn `roc_curve(y, s, drop_intermediate=False)` from a tie table. */
export function rocCurve(table: TieTable): RocCurve {
  const { thresholds: thr, tp, fp, numPos: P, numNeg: N } = cumulative(table, 'rocCurve');
  const K = thr.length;
  const out: RocCurve = {
    fpr: new Float64Array(K + 1),
    tpr: new Float64Array(K + 1),
    thresholds: new Float64Array(K + 1),
  };
  out.thresholds[0] = Infinity;
  for (let k = 0; k < K; k++) {
    out.fpr[k + 1] = (fp[k] as number) / N;
    out.tpr[k + 1] = (tp[k] as number) / P;
    out.thresholds[k + 1] = thr[k] as number;
  }
  return out;
}

/** sklearn `precision_recall_curve(y, s, drop_intermediate=False)` from a tie table. */
export function prCurve(table: TieTable): PrCurve {
  const { thresholds: thr, tp, fp, numPos: P } = cumulative(table, 'prCurve');
  const K = thr.length;
  const out: PrCurve = {
    precision: new Float64Array(K + 1),
    recall: new Float64Array(K + 1),
    thresholds: new Float64Array(K),
  };
  for (let k = 0; k < K; k++) {
    const j = K - 1 - k;
    const t = tp[j] as number;
    out.precision[k] = t / (t + (fp[j] as number));
    out.recall[k] = t / P;
    out.thresholds[k] = thr[j] as number;
  }
  out.precision[K] = 1;
  out.recall[K] = 0;
  return out;
}

/** ROC as a plotting curve (x = FPR, y = TPR). */
export function rocPoints(roc: RocCurve): Curve {
  return { x: roc.fpr.slice(), y: roc.tpr.slice() };
}

/** PR as a plotting curve (x = recall, y = precision), sklearn order (recall decreasing). */
export function prPoints(pr: PrCurve): Curve {
  return { x: pr.recall.slice(), y: pr.precision.slice() };
}

/** Trapezoid area under a curve, in point order (sklearn `auc` of the ROC points). */
export function aucTrapezoid(curve: Curve): number {
  let s = 0;
  for (let i = 1; i < curve.x.length; i++) {
    s +=
      (((curve.x[i] as number) - (curve.x[i - 1] as number)) * ((curve.y[i] as number) + (curve.y[i - 1] as number))) /
      2;
  }
  return Math.abs(s);
}

/** AP = Σ (xᵢ − xᵢ₊₁)·yᵢ over PR points in sklearn order (x = recall decreasing, y = precision). */
export function averagePrecisionOf(curve: Curve): number {
  let s = 0;
  for (let i = 0; i + 1 < curve.x.length; i++)
    s += ((curve.x[i] as number) - (curve.x[i + 1] as number)) * (curve.y[i] as number);
  return s;
}

/** True when point b lies on the axis-parallel segment from a to d (dropping it changes neither lines nor steps). */
function onAxisSegment(c: Curve, a: number, b: number, d: number): boolean {
  const [xa, xb, xd] = [c.x[a] as number, c.x[b] as number, c.x[d] as number];
  const [ya, yb, yd] = [c.y[a] as number, c.y[b] as number, c.y[d] as number];
  if (xa === xb && xb === xd) return (yb - ya) * (yd - yb) >= 0;
  if (ya === yb && yb === yd) return (xb - xa) * (xd - xb) >= 0;
  return false;
}

function pick(c: Curve, idx: number[]): Curve {
  return { x: Float64Array.from(idx, (i) => c.x[i] as number), y: Float64Array.from(idx, (i) => c.y[i] as number) };
}

/** At most `maxPoints` points of a curve for plotting, keeping its envelope (see the module comment). */
export function downsampleCurve(curve: Curve, maxPoints: number): Curve {
  const fn = 'downsampleCurve';
  if (curve.x.length !== curve.y.length)
    throw new ValueError(`${fn}: 'curve' has ${curve.x.length} x but ${curve.y.length} y values`);
  if (!Number.isInteger(maxPoints) || maxPoints < 4)
    throw new ValueError(`${fn}: 'maxPoints' must be an integer ≥ 4, got ${maxPoints}`);
  const n = curve.x.length;
  if (n <= 2) return pick(curve, [...Array(n).keys()]);
  const kept: number[] = [0];
  for (let i = 1; i < n - 1; i++) {
    if (!onAxisSegment(curve, kept[kept.length - 1] as number, i, i + 1)) kept.push(i);
  }
  kept.push(n - 1);
  if (kept.length <= maxPoints) return pick(curve, kept);
  const c = pick(curve, kept);
  const m = kept.length;
  const arc = new Float64Array(m);
  for (let i = 1; i < m; i++) {
    arc[i] =
      (arc[i - 1] as number) +
      Math.hypot((c.x[i] as number) - (c.x[i - 1] as number), (c.y[i] as number) - (c.y[i - 1] as number));
  }
  const B = Math.floor(maxPoints / 4);
  const total = arc[m - 1] as number;
  const out: number[] = [];
  let start = 0;
  while (start < m) {
    const b = total > 0 ? Math.min(B - 1, Math.floor(((arc[start] as number) / total) * B)) : 0;
    let end = start;
    while (end + 1 < m && (total > 0 ? Math.min(B - 1, Math.floor(((arc[end + 1] as number) / total) * B)) : 0) === b)
      end++;
    let lo = start;
    let hi = start;
    for (let i = start; i <= end; i++) {
      if ((c.y[i] as number) < (c.y[lo] as number)) lo = i;
      if ((c.y[i] as number) > (c.y[hi] as number)) hi = i;
    }
    for (const i of [...new Set([start, lo, hi, end])].sort((p, q) => p - q)) out.push(i);
    start = end + 1;
  }
  return pick(c, out);
}

/** ROC series of a tie table: exact AUROC, points reduced to ≤ maxPoints. */
export function rocSeries(name: string, table: TieTable, maxPoints = 400): CurveSeries {
  const pts = rocPoints(rocCurve(table));
  return { name, points: downsampleCurve(pts, maxPoints), summary: aucTrapezoid(pts) };
}

/** PR series of a tie table: exact AP, points reduced to ≤ maxPoints. */
export function prSeries(name: string, table: TieTable, maxPoints = 400): CurveSeries {
  const pts = prPoints(prCurve(table));
  return { name, points: downsampleCurve(pts, maxPoints), summary: averagePrecisionOf(pts) };
}

/** Tableau-10 line colours, cycled. */
export const SERIES_COLORS: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const f2 = (v: number): string => v.toFixed(2);

/** A standalone SVG figure of ROC or PR curves (see the module comment). */
export function curvesSvg(series: readonly CurveSeries[], kind: 'roc' | 'pr', size: FigureSize): string {
  const fn = 'curvesSvg';
  const { width: W, height: H } = size;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 160 || H < 160) {
    throw new ValueError(`${fn}: 'width' and 'height' must be integers ≥ 160, got ${W}×${H}`);
  }
  if (kind !== 'roc' && kind !== 'pr')
    throw new ValueError(`${fn}: 'kind' must be 'roc' or 'pr', got '${String(kind)}'`);
  const lineH = 18;
  const [L, R, T] = [60, 20, 34];
  const B = 46 + lineH * series.length + 8;
  const pw = W - L - R;
  const ph = H - T - B;
  if (pw < 60 || ph < 60)
    throw new ValueError(`${fn}: ${W}×${H} leaves no room for the plot and ${series.length} legend entries`);
  const px = (x: number): string => f2(L + x * pw);
  const py = (y: number): string => f2(T + (1 - y) * ph);
  const title = size.title ?? (kind === 'roc' ? 'ROC curve' : 'Precision–recall curve');
  const [xLabel, yLabel, metric] =
    kind === 'roc' ? ['False positive rate', 'True positive rate', 'AUROC'] : ['Recall', 'Precision', 'AP'];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${f2(L + pw / 2)}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${xmlEscape(title)}</text>`,
    '<g stroke="#e0e0e0" stroke-width="1">',
  ];
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  for (const t of ticks) {
    out.push(
      `<line x1="${px(t)}" y1="${py(0)}" x2="${px(t)}" y2="${py(1)}"/>`,
      `<line x1="${px(0)}" y1="${py(t)}" x2="${px(1)}" y2="${py(t)}"/>`,
    );
  }
  out.push('</g>', '<g stroke="#000000" stroke-width="1">');
  for (const t of ticks) {
    out.push(
      `<line x1="${px(t)}" y1="${py(0)}" x2="${px(t)}" y2="${f2(T + ph + 5)}"/>`,
      `<line x1="${f2(L - 5)}" y1="${py(t)}" x2="${px(0)}" y2="${py(t)}"/>`,
    );
  }
  out.push('</g>', '<g fill="#000000">');
  for (const t of ticks) {
    out.push(`<text x="${px(t)}" y="${f2(T + ph + 18)}" text-anchor="middle">${t.toFixed(1)}</text>`);
    out.push(`<text x="${f2(L - 8)}" y="${f2(T + (1 - t) * ph + 4)}" text-anchor="end">${t.toFixed(1)}</text>`);
  }
  out.push(
    `<text x="${f2(L + pw / 2)}" y="${f2(T + ph + 34)}" text-anchor="middle">${xLabel}</text>`,
    `<text x="16" y="${f2(T + ph / 2)}" text-anchor="middle" transform="rotate(-90 16 ${f2(T + ph / 2)})">${yLabel}</text>`,
    '</g>',
  );
  if (kind === 'roc') {
    out.push(
      `<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999999" stroke-width="1" stroke-dasharray="4 4"/>`,
    );
  }
  series.forEach((s, i) => {
    const { x, y } = s.points;
    if (x.length !== y.length)
      throw new ValueError(`${fn}: series '${s.name}' has ${x.length} x but ${y.length} y values`);
    const pts: string[] = [];
    for (let k = 0; k < x.length; k++) {
      if (kind === 'pr' && k > 0) pts.push(`${px(x[k] as number)},${py(y[k - 1] as number)}`);
      pts.push(`${px(x[k] as number)},${py(y[k] as number)}`);
    }
    const color = SERIES_COLORS[i % SERIES_COLORS.length] as string;
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" points="${pts.join(' ')}"/>`,
    );
  });
  out.push(
    `<rect x="${px(0)}" y="${py(1)}" width="${f2(pw)}" height="${f2(ph)}" fill="none" stroke="#000000" stroke-width="1"/>`,
  );
  series.forEach((s, i) => {
    const summary = s.summary ?? (kind === 'roc' ? aucTrapezoid(s.points) : averagePrecisionOf(s.points));
    const yl = T + ph + 52 + i * lineH;
    const color = SERIES_COLORS[i % SERIES_COLORS.length] as string;
    const label = `${s.name} (${metric} ${Number.isFinite(summary) ? (100 * summary).toFixed(2) + '%' : '—'})`;
    out.push(
      `<line x1="${f2(L)}" y1="${f2(yl)}" x2="${f2(L + 24)}" y2="${f2(yl)}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${f2(L + 30)}" y="${f2(yl + 4)}">${xmlEscape(label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The figure of {@link curvesSvg} rasterised by sharp to an opaque `width × height` RGB PNG. */
export async function curvesPng(
  series: readonly CurveSeries[],
  kind: 'roc' | 'pr',
  size: FigureSize,
): Promise<Uint8Array> {
  const svg = curvesSvg(series, kind, size);
  const buf = await sharp(Buffer.from(svg, 'utf8')).flatten({ background: '#ffffff' }).removeAlpha().png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
