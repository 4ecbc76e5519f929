/**
 * `npm run bench:heldout -- [--camvid PATH] [--steps N] [--batch N] [--images N] [--split val|test] [--json]
 *   [--train-split train]  (e.g. `--train-split train:-0006R0 --split train:0006R0`: validate on an unseen street)
 *   [--frozen-cache FILE]  (the training set's frozen maps: read from FILE when it exists, else written there)
 *   [--eval-scales '1;1.5;1,1.5,2']  (test-time scale sets, ';'-separated: each variant is evaluated under each; default 1)
 *   [--variant 'name;gmm.stdFloorVariance=0.001;extractor.projectionActivation=none;train.refitPixelsPerClass=20000']…`
 *
 * The held-out-class protocol as a benchmark for the GMM head's anomaly score: each variant trains a 9-class
 * `camvid-heldout` model (Pedestrian and Bicyclist set to ignore; frozen COCO MobileNetV3 + light decoder, cached
 * frozen maps shared by all variants, same seed) and is evaluated on the anomaly view of `--split` (first `--images`
 * images; held-out pixels = 1, other labelled pixels = 0): closed-set mIoU and AP / FPR95 / AUROC of every score
 * (GMM likelihood, MSP, max-logit, energy). Tune on val, report test. A variant is `name;key=value;…` with keys
 * `head.kind` (`gmm`, the default, or `softmax`: the baseline head on the same extractor and recipe), `gmm.*` (GMM
 * config), `extractor.*` (mbv3 config) and `train.*` (training config); values are JSON where they parse.
 */
import { benchArgs, camvidRoot, flag } from './args.js';
import { openCamVid, type CamVidSplit } from '../src/data/camvid.js';
import { holdOutClasses } from '../src/data/held-out.js';
import { firstSamples } from '../src/data/subset.js';
import { initEngine, parseEngineName, machineSummary } from '../src/engine/engine.js';
import type { GmmConfig } from '../src/gmm/config.js';
import { createSegModel } from '../src/model/create-seg-model.js';
import { createRng } from '../src/random.js';
import { createAdamWState } from '../src/train/adamw.js';
import { predictImage } from '../src/infer/predict.js';
import { mergeTieTables, metricsFromTieTable, tieTable, type TieTable } from '../src/metrics/ranking.js';
import { evaluateModel } from '../src/train/evaluate.js';
import type { Dataset } from '../src/data/sample.js';
import type { SegModel } from '../src/model/seg-model.js';
import type { FrozenEntry } from '../src/train/batch.js';
import { runTraining } from '../src/train/run.js';
import { existsSync } from 'node:fs';
import { scaleList } from '../src/cli/option-kinds.js';
import { loadFrozenCache, saveFrozenCache } from './frozen-cache-file.js';
import { makeTrainConfig, type TrainConfig } from '../src/train/train-config.js';

const args = benchArgs;
const flags = (name: string): string[] => args.flatMap((a, i) => (a === name && args[i + 1] ? [args[i + 1]!] : []));
const camvid = camvidRoot();
const steps = Number(flag('--steps') ?? 500);
const images = Number(flag('--images') ?? 40);
const split = (flag('--split') ?? 'val') as CamVidSplit;
const json = args.includes('--json');
const engineArg = flag('--engine');
const engine = await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);

interface Variant {
  name: string;
  /** `head.kind=softmax` trains the softmax baseline on the same extractor and recipe. */
  head: { kind?: 'gmm' | 'softmax' };
  gmm: Partial<GmmConfig>;
  extractor: Record<string, unknown>;
  train: Partial<TrainConfig>;
}

/** `name;gmm.key=value;extractor.key=value;train.key=value` → a variant. */
function parseVariant(spec: string): Variant {
  const [name, ...pairs] = spec.split(';');
  const v: Variant = { name: name || 'reference', head: {}, gmm: {}, extractor: {}, train: {} };
  for (const pair of pairs) {
    const m = /^(head|gmm|extractor|train)\.(\w+)=(.*)$/.exec(pair.trim());
    if (!m || (m[1] === 'head' && (m[2] !== 'kind' || !['gmm', 'softmax'].includes(m[3]!))))
      throw new Error(
        `bench:heldout: --variant '${spec}': '${pair}' is not head.kind=gmm|softmax or gmm.|extractor.|train.<key>=<value>`,
      );
    let value: unknown = m[3];
    try {
      value = JSON.parse(m[3] as string);
    } catch {
      /* a plain string */
    }
    (v[m[1] as 'head' | 'gmm' | 'extractor' | 'train'] as Record<string, unknown>)[m[2] as string] = value;
  }
  return v;
}

const study = Number(flag('--score-study') ?? 0);
/** Test-time scale sets (`--eval-scales '1;1.5;1,1.5,2'`): whole-mode network-input scales averaged per set. */
const evalScales: number[][] = (flag('--eval-scales') ?? '1')
  .split(';')
  .map((set) => scaleList(4).parse(set, '--eval-scales'));
if (study > 0 && evalScales.some((set) => set.length !== 1 || set[0] !== 1))
  throw new Error('bench:heldout: --score-study reads single-scale likelihoods; use it without --eval-scales');

/**
 * Other readings of the same class log-likelihoods L_c = max_k ℓ_ck (no retraining): `gmmLse` = −log Σ_c exp L_c
 * (the mixture over classes), `gmmClassNorm` = −max_c (L_c − m_c) with m_c the median of L_c over the training
 * pixels labelled c in the first `n` training images (how typical the pixel is for each class).
 */
async function scoreStudy(model: SegModel, trainSet: Dataset, evalData: Dataset, n: number) {
  const C = model.classes.length;
  const per: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < Math.min(n, trainSet.length); i++) {
    const s = await trainSet.get(i);
    const p = predictImage(model, s.image, { mode: 'whole', classLikelihoods: true });
    const L = p.classLikelihoods as Float32Array;
    for (let j = 0; j < s.label.data.length; j += 7) {
      const y = s.label.data[j] as number;
      if (y < C) per[y]!.push(L[j * C + y] as number);
    }
  }
  const med = per.map((v) => (v.length ? v.sort((a, b) => a - b)[v.length >> 1]! : 0));
  const tables: Record<string, TieTable[]> = { gmmLse: [], gmmClassNorm: [] };
  for (let i = 0; i < evalData.length; i++) {
    const s = await evalData.get(i);
    const p = predictImage(model, s.image, { mode: 'whole', classLikelihoods: true });
    const L = p.classLikelihoods as Float32Array;
    const P = L.length / C;
    const lse = new Float32Array(P);
    const norm = new Float32Array(P);
    for (let j = 0; j < P; j++) {
      let mx = -Infinity;
      let best = -Infinity;
      for (let c = 0; c < C; c++) {
        mx = Math.max(mx, L[j * C + c] as number);
        best = Math.max(best, (L[j * C + c] as number) - (med[c] as number));
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp((L[j * C + c] as number) - mx);
      lse[j] = -(mx + Math.log(sum));
      norm[j] = -best;
    }
    const mask = (s.anomaly as { data: Uint8Array }).data;
    tables.gmmLse!.push(tieTable(lse, mask));
    tables.gmmClassNorm!.push(tieTable(norm, mask));
  }
  return Object.fromEntries(
    Object.entries(tables).map(([k, list]) => {
      const t = list.reduce((a, b) => mergeTieTables(a, b));
      return [k, { ...metricsFromTieTable(t), table: t }];
    }),
  );
}

const variants = (flags('--variant').length ? flags('--variant') : ['reference']).map(parseVariant);
const base = {
  componentsPerClass: 5,
  memoryPerComponent: 8000,
  meanMomentum: 0.99,
  gmmUpdateEvery: 1,
} satisfies Partial<GmmConfig>;
const trainSplit = (flag('--train-split') ?? 'train') as CamVidSplit;
const train = holdOutClasses(await openCamVid(camvid, trainSplit), ['Pedestrian', 'Bicyclist']);
const evalSet = firstSamples(
  holdOutClasses(await openCamVid(camvid, split), ['Pedestrian', 'Bicyclist']).anomaly,
  images,
);
process.stdout.write(
  `bench:heldout: engine ${engine}, ${machineSummary()}; ${steps} steps on ${train.closedSet.name} (${train.closedSet.length} images); eval ${evalSet.name} (${evalSet.length} images)\n`,
);
const cacheFile = flag('--frozen-cache');
let frozen: readonly FrozenEntry[] | undefined =
  cacheFile && existsSync(cacheFile) ? await loadFrozenCache(cacheFile) : undefined;
const rows: Record<string, unknown>[] = [];
const pct = (x: unknown): string => (typeof x === 'number' ? (100 * x).toFixed(2) : '—');
for (const v of variants) {
  const t0 = performance.now();
  const config = makeTrainConfig({
    steps,
    batchSize: Number(flag('--batch') ?? 4),
    cacheFrozen: true,
    learningRate: 1e-3,
    headLrMultiplier: 10,
    warmupSteps: Math.floor(steps / 10),
    seed: 0,
    ...v.train,
  });
  const model = await createSegModel(
    {
      classes: train.closedSet.classes,
      extractor: { kind: 'mbv3', config: { embedDim: 64, channels: 128, ...v.extractor } },
      head: v.head.kind === 'softmax' ? { kind: 'softmax' } : { kind: 'gmm', gmm: { ...base, ...v.gmm } },
    },
    createRng(0),
  );
  const run = await runTraining({
    state: { step: 0, model, optimizer: createAdamWState() },
    config,
    train: train.closedSet,
    predict: { mode: 'whole' },
    ...(frozen ? { frozen } : {}),
  });
  if (cacheFile && !frozen && run.frozen) await saveFrozenCache(cacheFile, run.frozen);
  frozen = run.frozen;
  const trainSeconds = (performance.now() - t0) / 1000;
  for (const scales of evalScales) {
    const t1 = performance.now();
    const r = await evaluateModel(run.state.model, evalSet, { mode: 'whole', scales });
    if (study > 0 && v.head.kind !== 'softmax')
      Object.assign(r.anomaly, await scoreStudy(run.state.model, train.anomaly, evalSet, study));
    const name = evalScales.length > 1 ? `${v.name}@${scales.join(',')}` : v.name;
    const row: Record<string, unknown> = {
      variant: name,
      scales,
      miou: r.segmentation?.miou,
      seconds: trainSeconds + (performance.now() - t1) / 1000,
    };
    for (const [score, m] of Object.entries(r.anomaly)) row[score] = { ap: m.ap, fpr95: m.fpr95, auroc: m.auroc };
    rows.push(row);
    const scores = Object.entries(r.anomaly)
      .map(([s, m]) => `${s} ${pct(m.ap)}/${pct(m.fpr95)}/${pct(m.auroc)}`)
      .join('  ');
    process.stdout.write(
      `${name}: mIoU ${pct(row.miou)}  AP/FPR95/AUROC %: ${scores}  (${(row.seconds as number).toFixed(0)} s)\n`,
    );
  }
}
if (json)
  process.stdout.write(`${JSON.stringify({ engine, trainSplit, split, images: evalSet.length, steps, rows })}\n`);
