import test from 'node:test';
import assert from 'node:assert/strict';
import { decode } from 'fast-png';
import { ValueError } from '../../../src/errors.js';
import { metricsFromTieTable, tieTable } from '../../../src/metrics/ranking.js';
import { createRng, normal, uniform } from '../../../src/random.js';
import {
  aucTrapezoid,
  averagePrecisionOf,
  curvesPng,
  curvesSvg,
  downsampleCurve,
  prCurve,
  prPoints,
  prSeries,
  rocCurve,
  rocPoints,
  rocSeries,
  type Curve,
} from '../../../src/report/curves.js';
import { expectClose } from '../../helpers/close.js';

const EXACT = { rtol: 0, atol: 0 };
const TOL = { rtol: 0, atol: 1e-12 };

/**
 * scikit-learn, literally: `_binary_clf_curve` (mergesort argsort reversed, indices where the sorted score
 * changes plus the last, cumulative TP, FP = 1 + idx − TP), then `roc_curve(drop_intermediate=False)`
 * (prepend 0 and +∞) and `precision_recall_curve` (reverse, append precision 1 / recall 0).
 */
function sklearnCurves(y: number[], s: number[]) {
  const order = s
    .map((_, i) => i)
    .sort((a, b) => s[a]! - s[b]! || a - b)
    .reverse();
  const ys = order.map((i) => y[i]!);
  const ss = order.map((i) => s[i]!);
  const idx: number[] = [];
  for (let i = 0; i < ss.length - 1; i++) if (ss[i + 1]! - ss[i]! !== 0) idx.push(i);
  idx.push(ss.length - 1);
  const cum: number[] = [];
  ys.reduce((acc, v, i) => (cum[i] = acc + v), 0);
  const tps = idx.map((i) => cum[i]!);
  const fps = idx.map((i, k) => 1 + i - tps[k]!);
  const thr = idx.map((i) => ss[i]!);
  const P = tps[tps.length - 1]!;
  const N = fps[fps.length - 1]!;
  const roc = {
    fpr: [0, ...fps.map((f) => f / N)],
    tpr: [0, ...tps.map((t) => t / P)],
    thresholds: [Infinity, ...thr],
  };
  const precision = tps.map((t, k) => t / (t + fps[k]!)).reverse();
  const recall = tps.map((t) => t / P).reverse();
  const pr = { precision: [...precision, 1], recall: [...recall, 0], thresholds: [...thr].reverse() };
  return { roc, pr };
}

test('the sklearn documentation example: y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8]', () => {
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];
  const table = tieTable(s, y);
  const roc = rocCurve(table);
  expectClose(roc.fpr, [0, 0, 0.5, 0.5, 1], EXACT, 'fpr');
  expectClose(roc.tpr, [0, 0.5, 0.5, 1, 1], EXACT, 'tpr');
  expectClose(roc.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1], EXACT, 'roc thresholds');
  const pr = prCurve(table);
  expectClose(pr.precision, [0.5, 2 / 3, 0.5, 1, 1], EXACT, 'precision');
  expectClose(pr.recall, [1, 1, 0.5, 0.5, 0], EXACT, 'recall');
  expectClose(pr.thresholds, [0.1, 0.35, 0.4, 0.8], EXACT, 'pr thresholds');
  // and the same from the literal sklearn definition
  const ref = sklearnCurves(y, s);
  expectClose(roc.fpr, ref.roc.fpr, EXACT, 'oracle fpr');
  expectClose(pr.precision, ref.pr.precision, EXACT, 'oracle precision');
  expectClose([aucTrapezoid(rocPoints(roc)), averagePrecisionOf(prPoints(pr))], [0.75, 5 / 6], TOL, 'AUROC, AP');
});

test('curves equal the literal sklearn definition on random tied data; AUROC/AP equal metricsFromTieTable', () => {
  const rng = createRng(3);
  for (let trial = 0; trial < 15; trial++) {
    const n = 20 + Math.floor(uniform(rng) * 300);
    const y = Array.from({ length: n }, (_, i) => (i < 2 ? i : uniform(rng) < 0.3 ? 1 : 0));
    const s = y.map((l) => Math.round((normal(rng) + 1.5 * l) * (trial % 2 === 0 ? 3 : 1000)) / 8);
    const table = tieTable(s, y);
    const ref = sklearnCurves(y, s);
    const roc = rocCurve(table);
    const pr = prCurve(table);
    expectClose(roc.fpr, ref.roc.fpr, EXACT, 'fpr');
    expectClose(roc.tpr, ref.roc.tpr, EXACT, 'tpr');
    expectClose(roc.thresholds, ref.roc.thresholds, EXACT, 'roc thresholds');
    expectClose(pr.precision, ref.pr.precision, EXACT, 'precision');
    expectClose(pr.recall, ref.pr.recall, EXACT, 'recall');
    expectClose(pr.thresholds, ref.pr.thresholds, EXACT, 'pr thresholds');
    const m = metricsFromTieTable(table);
    expectClose(
      [aucTrapezoid(rocPoints(roc)), averagePrecisionOf(prPoints(pr))],
      [m.auroc, m.ap],
      { rtol: 1e-12, atol: 1e-12 },
      'metrics',
    );
  }
  assert.throws(() => rocCurve(tieTable([1, 2], [0, 0])), ValueError);
  assert.throws(() => prCurve(tieTable([1, 2], [1, 1])), ValueError);
});

/** Distance from (px, py) to the segment between points a and b of a curve. */
function segmentDistance(px: number, py: number, c: Curve, a: number, b: number): number {
  const [ax, ay, bx, by] = [c.x[a]!, c.y[a]!, c.x[b]!, c.y[b]!];
  const len2 = (bx - ax) ** 2 + (by - ay) ** 2;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2));
  return Math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay)));
}

function dist(c: Curve, i: number, d: Curve, j: number): number {
  return Math.hypot(c.x[i]! - d.x[j]!, c.y[i]! - d.y[j]!);
}

test('downsampleCurve: lossless axis-parallel drops, then ≤ maxPoints with endpoints, extremes and bounded error', () => {
  const stairs: Curve = { x: Float64Array.from([0, 0, 0, 0.5, 1, 1]), y: Float64Array.from([0, 0.5, 1, 1, 1, 1]) };
  const s = downsampleCurve(stairs, 100);
  expectClose(s.x, [0, 0, 1], EXACT, 'x');
  expectClose(s.y, [0, 1, 1], EXACT, 'y');
  const back: Curve = { x: Float64Array.from([0, 0, 0]), y: Float64Array.from([0, 1, 0.5]) };
  expectClose(downsampleCurve(back, 100).y, [0, 1, 0.5], EXACT, 'reversal kept');

  const rng = createRng(5);
  const n = 6000;
  const y = Array.from({ length: n }, () => (uniform(rng) < 0.2 ? 1 : 0));
  const sc = y.map((l) => normal(rng) + 2 * l);
  const full = rocPoints(rocCurve(tieTable(sc, y)));
  const maxPoints = 200;
  const d = downsampleCurve(full, maxPoints);
  assert.ok(d.x.length <= maxPoints, `${d.x.length} points`);
  assert.ok(d.x.length >= maxPoints / 4, `${d.x.length} points`);
  expectClose([d.x[0]!, d.y[0]!, d.x[d.x.length - 1]!, d.y[d.y.length - 1]!], [0, 0, 1, 1], EXACT, 'endpoints');
  let arc = 0;
  for (let i = 1; i < full.x.length; i++) arc += dist(full, i, full, i - 1);
  const bound = arc / Math.floor(maxPoints / 4);
  for (let i = 0; i < full.x.length; i++) {
    let best = Infinity;
    for (let j = 1; j < d.x.length; j++) best = Math.min(best, segmentDistance(full.x[i]!, full.y[i]!, d, j - 1, j));
    assert.ok(best <= bound + 1e-12, `point ${i} is ${best} from the reduced curve (bound ${bound})`);
  }
  // points of the reduced curve are points of the original, in order
  let k = 0;
  for (let j = 0; j < d.x.length; j++) {
    while (k < full.x.length && (full.x[k] !== d.x[j] || full.y[k] !== d.y[j])) k++;
    assert.ok(k < full.x.length, `kept point ${j} not found in order`);
  }
  assert.throws(() => downsampleCurve(full, 3), ValueError);
});

/** Minimal XML well-formedness check: balanced tags, quoted attributes, one root, escaped text. */
function parseTags(xml: string): { root: string; names: string[] } {
  const stack: string[] = [];
  const names: string[] = [];
  let root = '';
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  while ((m = re.exec(body)) !== null) {
    const between = body.slice(last, m.index);
    assert.ok(!/[<>]/.test(between), `stray markup before offset ${m.index}: ${between.slice(0, 40)}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|apos);)/.test(between), `unescaped & in text: ${between}`);
    last = re.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `closing </${name}> does not match`);
    else {
      if (stack.length === 0) {
        assert.equal(root, '', 'more than one root element');
        root = name!;
      }
      names.push(name!);
      if (!selfClose) stack.push(name!);
    }
  }
  assert.equal(body.slice(last).trim(), '', 'text after the root');
  assert.equal(stack.length, 0, `unclosed ${stack.join(', ')}`);
  return { root, names };
}

function exampleSeries() {
  const table = tieTable([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
  const rng = createRng(9);
  const y = Array.from({ length: 500 }, () => (uniform(rng) < 0.3 ? 1 : 0));
  const other = tieTable(
    y.map((l) => normal(rng) + l),
    y,
  );
  return { table, other };
}

test('curvesSvg: well-formed standalone SVG with axes, ticks, labels and legend values', () => {
  const { table, other } = exampleSeries();
  const roc = curvesSvg([rocSeries('gmm <nll> & co', table), rocSeries('msp', other)], 'roc', {
    width: 480,
    height: 420,
  });
  const { root, names } = parseTags(roc);
  assert.equal(root, 'svg');
  assert.match(roc, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="480" height="420"/);
  assert.equal(names.filter((n) => n === 'polyline').length, 2);
  assert.ok(roc.includes('gmm &lt;nll&gt; &amp; co (AUROC 75.00%)'));
  assert.ok(roc.includes('False positive rate') && roc.includes('True positive rate'));
  for (const t of ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']) assert.ok(roc.includes(`>${t}</text>`), `tick ${t}`);
  const pr = curvesSvg([prSeries('gmm', table)], 'pr', { width: 400, height: 360, title: 'PR' });
  parseTags(pr);
  assert.ok(
    pr.includes('gmm (AP 83.33%)') && pr.includes('>Recall<') && pr.includes('>Precision<') && pr.includes('>PR<'),
  );
  // without a summary the legend value is computed from the points
  const noSummary = curvesSvg([{ name: 'raw', points: rocPoints(rocCurve(table)) }], 'roc', {
    width: 300,
    height: 300,
  });
  assert.ok(noSummary.includes('raw (AUROC 75.00%)'));
  assert.throws(() => curvesSvg([], 'roc', { width: 100, height: 300 }), ValueError);
});

test('curvesPng rasterises to an opaque PNG of the requested size', async () => {
  const { table, other } = exampleSeries();
  const png = await curvesPng([rocSeries('a', table), rocSeries('b', other)], 'roc', { width: 320, height: 300 });
  const img = decode(png);
  assert.equal(img.width, 320);
  assert.equal(img.height, 300);
  assert.equal(img.channels, 3);
  const colours = new Set<number>();
  for (let p = 0; p < img.width * img.height; p++)
    colours.add((img.data[3 * p]! << 16) | (img.data[3 * p + 1]! << 8) | img.data[3 * p + 2]!);
  assert.ok(colours.has(0xffffff) && colours.size > 10, `${colours.size} colours`);
});
