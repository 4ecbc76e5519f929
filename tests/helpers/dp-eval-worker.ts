/**
 * An evaluation process for the sharded-evaluation test (tests/unit/train/data-parallel-eval.test.ts), on the torch
 * engine: the tiny seeded model of dp-worker.ts (frozen MobileNetV3 + light decoder, GMM head with the queue memory)
 * trained for one step on a tiny DigitScenes set, validated on 5 anomaly scenes (labels and anomaly masks) and
 * calibrated on 3 test scenes, through `runTraining`. Then, on the trained model, an accumulator fed this rank's
 * shard directly (for the confusion matrix) and `evaluateSets` (for the number of forwards this rank ran).
 * With the torchrun variables it joins a process group (every step, validation and calibration data parallel);
 * without them it runs alone. Writes JSON to argv[2] (typed arrays as plain arrays).
 *
 * Usage: node dp-eval-worker.js OUT.json ACCUMULATE
 */
import { writeFileSync } from 'node:fs';
import { buildDigitScenes } from '../../src/data/digit-scenes.js';
import { ProcessGroup } from '../../src/parallel/process-group.js';
import { parseLaunchEnv } from '../../src/parallel/launch-env.js';
import { initEngine } from '../../src/engine/engine.js';
import { predictImage } from '../../src/infer/predict.js';
import { createRng } from '../../src/random.js';
import { EvalAccumulator } from '../../src/train/eval-accumulator.js';
import { shardByRank } from '../../src/train/eval-reduce.js';
import { evaluateSets } from '../../src/train/evaluate.js';
import { runTraining } from '../../src/train/run.js';
import { tinyDpState, tinyDpTrainConfig } from './dp-tiny-state.js';
import type { TrainState } from '../../src/train/trainer.js';

const [out, accArg] = process.argv.slice(2);
const launch = parseLaunchEnv();
await initEngine('torch');
const scenes = await buildDigitScenes({ seed: 5, width: 64, height: 64, trainCount: 4, testCount: 3, anomalyCount: 5 });
const classes = [...scenes.train.classes];
const cfg = tinyDpTrainConfig(1, Number(accArg));
const rng = createRng(1);
const state: TrainState = await tinyDpState(classes, rng);

const group = launch ? ProcessGroup.init({ ...launch, timeoutMs: 20_000 }) : undefined;
const r = await runTraining({
  state,
  config: cfg,
  train: scenes.train,
  validation: scenes.anomaly,
  calibration: scenes.test,
  ...(group ? { group } : {}),
});
const model = r.state.model;
const acc = new EvalAccumulator(scenes.anomaly.name, classes.length);
const shard = group ? shardByRank(scenes.anomaly, group) : scenes.anomaly;
for (let i = 0; i < shard.length; i++) {
  const s = await shard.get(i);
  acc.add(s, predictImage(model, s.image));
}
if (group) acc.reduceOver(group);
const sets = await evaluateSets(model, { anomaly: scenes.anomaly }, { mode: 'whole' }, group ? { group } : {});
const plain = (_k: string, v: unknown): unknown => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v);
writeFileSync(
  out as string,
  JSON.stringify(
    {
      rank: launch?.rank ?? 0,
      validation: r.validation,
      calibration: r.calibration,
      confusion: acc.confusion.counts,
      direct: sets.anomaly,
      forwards: sets.forwards,
    },
    plain,
  ),
);
group?.destroy();
