import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import {
  formatReport,
  formatSeconds,
  inlineCode,
  markdownTable,
  pct,
  type EvalReport,
} from '../../../src/report/markdown.js';

test('markdownTable: padded columns, alignment rules, escaped pipes', () => {
  const t = markdownTable(
    ['a', 'bb'],
    [
      ['1', '2222'],
      ['x|y', '3'],
    ],
    ['left', 'right'],
  );
  assert.equal(t, '| a    |   bb |\n| :--- | ---: |\n| 1    | 2222 |\n| x\\|y |    3 |\n');
  assert.equal(markdownTable(['c'], [['ab']], ['center']), '|  c  |\n| :-: |\n| ab  |\n');
  assert.equal(markdownTable(['h'], []), '| h   |\n| :-- |\n');
  assert.equal(markdownTable(['é—'], [['two\nlines']]), '| é—        |\n| :-------- |\n| two lines |\n');
});

test('markdownTable rejects ragged rows and bad alignments', () => {
  assert.throws(() => markdownTable(['a', 'b'], [['1']]), ShapeError);
  assert.throws(() => markdownTable([], []), ShapeError);
  assert.throws(() => markdownTable(['a'], [], ['left', 'left']), ShapeError);
  assert.throws(() => markdownTable(['a'], [], ['middle' as 'left']), ValueError);
});

test('pct, formatSeconds and inlineCode', () => {
  assert.deepEqual(
    [pct(0.612345), pct(1), pct(0), pct(NaN), pct(null), pct(undefined), pct(0.00005)],
    ['61.23', '100.00', '0.00', '—', '—', '—', '0.01'],
  );
  assert.deepEqual(
    [formatSeconds(12.34), formatSeconds(125.3), formatSeconds(NaN)],
    ['12.3 s', '125.3 s (2 min 5 s)', '—'],
  );
  assert.deepEqual([inlineCode('gmmseg demo'), inlineCode('a`b')], ['`gmmseg demo`', '`` a`b ``']);
});

test('formatReport: exact document for a small report', () => {
  const report: EvalReport = {
    title: 'GMMSeg demo',
    engine: 'wasm',
    machine: '2-core test box',
    command: 'gmmseg demo --quick',
    seconds: 75.04,
    classes: ['sky', 'road'],
    closedSet: [
      { model: 'gmm', miou: 0.61234, accuracy: 0.9, iou: [0.5, null] },
      { model: 'softmax', miou: 0.6, accuracy: 0.899999, iou: [0.4, NaN] },
    ],
    anomaly: [
      { model: 'gmm', score: 'gmm', ap: 0.5, fpr95: 0.123456, auroc: 0.95 },
      { model: 'softmax', score: 'msp', ap: NaN, fpr95: 1, auroc: 0.5 },
    ],
  };
  const expected = [
    '# GMMSeg demo',
    '',
    '- Command: `gmmseg demo --quick`',
    '- Engine: wasm',
    '- Machine: 2-core test box',
    '- Time: 75.0 s (1 min 15 s)',
    '',
    '## Closed-set segmentation',
    '',
    '| Model   | mIoU (%) | Accuracy (%) |',
    '| :------ | -------: | -----------: |',
    '| gmm     |    61.23 |        90.00 |',
    '| softmax |    60.00 |        90.00 |',
    '',
    '## Per-class IoU (%)',
    '',
    '| Class |   gmm | softmax |',
    '| :---- | ----: | ------: |',
    '| sky   | 50.00 |   40.00 |',
    '| road  |     — |       — |',
    '',
    '## Anomaly segmentation',
    '',
    '| Model   | Score | AP (%) ↑ | FPR95 (%) ↓ | AUROC (%) ↑ |',
    '| :------ | :---- | -------: | ----------: | ----------: |',
    '| gmm     | gmm   |    50.00 |       12.35 |       95.00 |',
    '| softmax | msp   |        — |      100.00 |       50.00 |',
    '',
    'Best anomaly score: AP gmm / gmm 50.00 %; FPR95 gmm / gmm 12.35 %; AUROC gmm / gmm 95.00 %.',
    '',
  ].join('\n');
  assert.equal(formatReport(report), expected);
  const bare = formatReport({ ...report, closedSet: [], anomaly: [], machine: 'x' });
  assert.equal(
    bare,
    '# GMMSeg demo\n\n- Command: `gmmseg demo --quick`\n- Engine: wasm\n- Machine: x\n- Time: 75.0 s (1 min 15 s)\n',
  );
  assert.throws(() => formatReport({ ...report, classes: ['sky'] }), ShapeError);
});
