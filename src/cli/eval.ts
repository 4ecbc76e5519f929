/**
 * `gmmseg eval --model M --dataset D [--anomaly-dataset A]`: closed-set metrics (mIoU, per-class IoU, accuracy) and
 * pixel-level anomaly metrics (AP, FPR95, AUROC for every score the head provides) in one report: JSON, Markdown and
 * ROC/PR curves written into --out, the table printed.
 */
import { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { ValueError } from '../errors.js';
import type { AnomalyScoreName } from '../infer/predict.js';
import type { AnomalyMetrics, TieTable } from '../metrics/ranking.js';
import { curvesPng, curvesSvg, prSeries, rocSeries } from '../report/curves.js';
import { formatReport } from '../report/markdown.js';
import type { Dataset } from '../data/sample.js';
import { evaluateSets, type EvalResult } from '../train/evaluate.js';
import { processIo, predictSettings, runUserCommand, startEngine, type CommandIo } from './command-io.js';
import { openDataset } from './datasets.js';
import { writeFileAtomic } from './fs-io.js';
import { loadSegModel } from './load-model.js';
import { addOptions, readOptions, type OptionValues } from './option-table.js';
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

async function runEval(flags: EvalFlags, io: CommandIo): Promise<void> {
  if (!flags.dataset && !flags.anomalyDataset) throw new ValueError('give --dataset and/or --anomaly-dataset');
  const predict = predictSettings(flags);
  const engine = await startEngine(flags.engine, { io, command: 'eval' });
  const { model } = await loadSegModel(flags.model);
  const seed = flags.seed;
  const held = flags.heldOut ? { heldOut: flags.heldOut } : {};
  const t0 = performance.now();
  let closedSet: Dataset | undefined;
  if (flags.dataset) {
    closedSet = await openDataset(flags.dataset, {
      root: flags.root,
      split: flags.split,
      skipBad: flags.skipBad,
      seed,
      ...held,
    });
    if (closedSet.classes.length !== model.classes.length)
      throw new ValueError(
        `${flags.model} was built for ${model.classes.length} classes (${model.classes.join(', ')}), but ${closedSet.name} has ${closedSet.classes.length}`,
      );
  }
  const anomalySet = flags.anomalyDataset
    ? await openDataset(flags.anomalyDataset, {
        root: flags.anomalyRoot ?? flags.root,
        split: 'anomaly',
        skipBad: flags.skipBad,
        seed,
        ...held,
      })
    : undefined;
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
  const md = formatReport({
    title: `gmmseg eval ${flags.model}`,
    engine,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
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
    anomaly: anomaly.map((a) => ({
      model: path.basename(flags.model),
      score: a.score,
      ap: a.m.ap,
      fpr95: a.m.fpr95,
      auroc: a.m.auroc,
    })),
  });
  io.out(md);
  if (!flags.out) return;
  await mkdir(flags.out, { recursive: true });
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
