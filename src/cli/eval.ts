/**
 * `gmmseg eval --model M --dataset D [--anomaly-dataset A]`: closed-set metrics (mIoU, per-class IoU, accuracy) and
 * pixel-level anomaly metrics (AP, FPR95, AUROC for every score the head provides) in one report: JSON, Markdown and
 * ROC/PR curves written into --out, the table printed.
 */
import { Command } from 'commander';
import path from 'node:path';
import { machineSummary } from '../engine/engine.js';
import { ValueError } from '../errors.js';
import type { AnomalyScoreName } from '../infer/predict.js';
import type { AnomalyMetrics, TieTable } from '../metrics/ranking.js';
import { curvesPng, curvesSvg, prSeries, rocSeries } from '../report/curves.js';
import type { Dataset } from '../data/sample.js';
import { bestScoreJson } from '../report/best-scores.js';
import { formatReport, type SkippedRow } from '../report/markdown.js';
import { evaluateSets, type EvalResult } from '../train/evaluate.js';
import { openCheckedDataset } from './checked-dataset.js';
import {
  cleanStaleTemps,
  processIo,
  describeViews,
  predictSettings,
  runUserCommand,
  startEngine,
  type CommandIo,
} from './command-io.js';
import { writeFileAtomic } from './fs-io.js';
import { loadSegModel } from './load-model.js';
import { addOptions, readOptions, type OptionValues } from './option-table.js';
import { prepareOutputFolder } from './output-paths.js';
import { EVAL_OPTIONS } from './options.js';

type EvalFlags = OptionValues<typeof EVAL_OPTIONS>;

export function evalCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('eval').description(
    'evaluate a model: closed-set mIoU and anomaly AP/FPR95/AUROC in one report',
  );
  return addOptions(cmd, EVAL_OPTIONS).action(async (raw: Record<string, unknown>) =>
    runUserCommand('eval', io, () => runEval(readOptions(EVAL_OPTIONS, raw), io)),
  );
}

/** The files eval writes into --out. */
const REPORT_FILES = ['report.json', 'report.md', 'roc.svg', 'pr.svg', 'roc.png', 'pr.png'];

async function runEval(flags: EvalFlags, io: CommandIo): Promise<void> {
  if (!flags.dataset && !flags.anomalyDataset) throw new ValueError('give --dataset and/or --anomaly-dataset');
  predictSettings(flags); // flag errors before the model is read
  const engine = await startEngine(flags.engine, { io, command: 'eval' });
  const { model, views } = await loadSegModel(flags.model);
  const predict = predictSettings(flags, views);
  io.out(`gmmseg eval: ${describeViews(predict)}\n`);
  if (flags.out) {
    await prepareOutputFolder(flags.out, '--out');
    await cleanStaleTemps(
      REPORT_FILES.map((f) => path.join(flags.out as string, f)),
      io,
      'eval',
    );
  }
  const held = flags.heldOut ? { heldOut: flags.heldOut } : {};
  const req = { skipBad: flags.skipBad, seed: flags.seed, ...held };
  const ctx = { io, command: 'eval' };
  const t0 = performance.now();
  const skipped: SkippedRow[] = [];
  let closedSet: Dataset | undefined;
  if (flags.dataset) {
    const ds = await openCheckedDataset(flags.dataset, { ...req, root: flags.root, split: flags.split }, ctx);
    checkClasses(model.classes, ds, flags.model, io);
    skipped.push(...ds.skipped.map((s) => ({ dataset: ds.name, ...s })));
    closedSet = ds;
  }
  let anomalySet: Dataset | undefined;
  if (flags.anomalyDataset) {
    const root = flags.anomalyRoot ?? flags.root;
    const ds = await openCheckedDataset(flags.anomalyDataset, { ...req, root, split: 'anomaly' }, ctx);
    skipped.push(...ds.skipped.map((s) => ({ dataset: ds.name, ...s })));
    anomalySet = ds;
  }
  const sets = await evaluateSets(
    model,
    { ...(closedSet ? { closedSet } : {}), ...(anomalySet ? { anomaly: anomalySet } : {}) },
    predict,
  );
  const results = [sets.closedSet, sets.anomaly].filter((r): r is EvalResult => r !== undefined);
  const seconds = (performance.now() - t0) / 1000;
  const closed = results.find((r) => r.segmentation);
  const anomaly = results.flatMap((r) =>
    (Object.entries(r.anomaly) as [AnomalyScoreName, AnomalyMetrics & { table: TieTable }][]).map(([score, m]) => ({
      dataset: r.dataset,
      score,
      m,
    })),
  );
  const anomalyRows = anomaly.map((a) => ({
    model: path.basename(flags.model),
    score: a.score,
    ap: a.m.ap,
    fpr95: a.m.fpr95,
    auroc: a.m.auroc,
  }));
  const md = formatReport({
    title: `gmmseg eval ${flags.model}`,
    engine,
    machine: machineSummary(),
    command: `gmmseg ${process.argv.slice(2).join(' ')}`,
    seconds,
    classes: model.classes,
    closedSet: closed?.segmentation
      ? [
          {
            model: path.basename(flags.model),
            miou: closed.segmentation.miou,
            accuracy: closed.segmentation.accuracy,
            iou: Array.from(closed.segmentation.iou, (v) => (Number.isNaN(v) ? null : v)),
          },
        ]
      : [],
    anomaly: anomalyRows,
    skipped,
  });
  io.out(md);
  if (skipped.length > 0)
    io.err(`gmmseg eval: ${skipped.length} sample(s) left out of the metrics (--skip-bad; listed in the report)\n`);
  if (!flags.out) return;
  const json = {
    model: flags.model,
    engine,
    seconds,
    closedSet: closed?.segmentation
      ? {
          dataset: closed.dataset,
          miou: closed.segmentation.miou,
          accuracy: closed.segmentation.accuracy,
          iou: Array.from(closed.segmentation.iou, (v) => (Number.isNaN(v) ? null : v)),
        }
      : null,
    anomaly: Object.fromEntries(
      anomaly.map((a) => [a.score, { dataset: a.dataset, ap: a.m.ap, fpr95: a.m.fpr95, auroc: a.m.auroc }]),
    ),
    bestAnomalyScore: bestScoreJson(anomalyRows),
    skipped: { count: skipped.length, samples: skipped },
  };
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  await writeFileAtomic(path.join(flags.out, 'report.json'), enc(`${JSON.stringify(json, null, 2)}\n`));
  await writeFileAtomic(path.join(flags.out, 'report.md'), enc(md));
  if (anomaly.length > 0) {
    const size = { width: 640, height: 480 };
    // the curves' points are a thinned subset of the exact ones: the legends carry the exact metrics
    const roc = anomaly.map((a) => ({ ...rocSeries(a.score, a.m.table), summary: a.m.auroc }));
    const pr = anomaly.map((a) => ({ ...prSeries(a.score, a.m.table), summary: a.m.ap }));
    await writeFileAtomic(path.join(flags.out, 'roc.svg'), enc(curvesSvg(roc, 'roc', size)));
    await writeFileAtomic(path.join(flags.out, 'pr.svg'), enc(curvesSvg(pr, 'pr', size)));
    await writeFileAtomic(path.join(flags.out, 'roc.png'), await curvesPng(roc, 'roc', size));
    await writeFileAtomic(path.join(flags.out, 'pr.png'), await curvesPng(pr, 'pr', size));
  }
  io.out(`wrote the report into ${flags.out}\n`);
}

/**
 * The model and the dataset must have as many classes (an error otherwise); classes named differently at the same
 * index get a warning (the metrics compare indices, so they may compare different things).
 */
function checkClasses(modelClasses: readonly string[], ds: Dataset, modelFile: string, io: CommandIo): void {
  if (ds.classes.length !== modelClasses.length)
    throw new ValueError(
      `${modelFile} was built for ${modelClasses.length} classes (${modelClasses.join(', ')}), but ${ds.name} has ${ds.classes.length}`,
    );
  const differ = modelClasses.flatMap((c, i) => (c === ds.classes[i] ? [] : [`${i}: '${c}' vs '${ds.classes[i]}'`]));
  if (differ.length === 0) return;
  const shown = differ.slice(0, 5).join(', ') + (differ.length > 5 ? `, … (${differ.length} in all)` : '');
  io.err(
    `gmmseg eval: warning: ${modelFile} and ${ds.name} name their classes differently (model vs dataset) at ${shown}; metrics compare class indices\n`,
  );
}
