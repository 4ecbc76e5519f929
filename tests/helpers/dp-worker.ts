/**
 * A training process for the data-parallel tests (tests/unit/train/data-parallel.test.ts), on the torch engine:
 * a tiny seeded model (frozen MobileNetV3 + light decoder with batch norm, GMM head with the queue memory) trained on
 * a tiny DigitScenes set. With the torchrun variables (WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT) it joins a process
 * group and trains data-parallel; without them it trains alone. Prints `step N` after each step, and at the end writes
 * the state (parameters, batch-norm buffers, GMM means/stds, memory) as JSON to argv[2].
 *
 * Usage: node dp-worker.js OUT.json STEPS ACCUMULATE
 * A DistError (lost peer, timeout) is printed on stderr as one line and the exit code is 3.
 */
import { writeFileSync } from 'node:fs';
import { buildDigitScenes } from '../../src/data/digit-scenes.js';
import { DistError, ProcessGroup } from '../../src/parallel/process-group.js';
import { parseLaunchEnv } from '../../src/parallel/launch-env.js';
import { initEngine } from '../../src/engine/engine.js';
import { flattenQueue, type QueueMemory } from '../../src/gmm/memory.js';
import { createRng } from '../../src/random.js';
import { runTraining } from '../../src/train/run.js';
import { tinyDpState, tinyDpTrainConfig } from './dp-tiny-state.js';
import { trainableVariables, type TrainState } from '../../src/train/trainer.js';

const [out, stepsArg, accArg] = process.argv.slice(2);
const launch = parseLaunchEnv();
await initEngine('torch');
const scenes = await buildDigitScenes({ seed: 5, width: 64, height: 64, trainCount: 8, testCount: 1, anomalyCount: 1 });
const classes = [...scenes.train.classes];
const cfg = tinyDpTrainConfig(Number(stepsArg), Number(accArg));
const rng = createRng(launch && launch.rank > 0 ? 100 + launch.rank : 1); // rank ≠ 0 starts elsewhere: the broadcast must fix it
const state: TrainState = await tinyDpState(classes, rng);

function snapshot(s: TrainState): Record<string, number[]> {
  const o: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(trainableVariables(s.model))) o[k] = Array.from(v.dataSync());
  for (const [k, v] of Object.entries(s.model.extractor.state)) o[`bn.${k}`] = Array.from(v.dataSync());
  if (s.model.head.kind === 'gmm') {
    o['gmm.means'] = Array.from(s.model.head.state.gmm.means);
    o['gmm.stds'] = Array.from(s.model.head.state.gmm.stds);
    o['gmm.memory'] = Array.from(flattenQueue(s.model.head.state.memory as QueueMemory));
    o['gmm.pointer'] = Array.from((s.model.head.state.memory as QueueMemory).pointer);
  }
  return o;
}

let group: ProcessGroup | undefined;
try {
  if (launch) group = ProcessGroup.init({ ...launch, timeoutMs: 20_000 });
  const r = await runTraining({
    state,
    config: cfg,
    train: scenes.train,
    ...(group ? { group } : {}),
    onEvent: (e) => {
      if (e.kind === 'step') process.stdout.write(`step ${e.step}\n`);
    },
  });
  writeFileSync(
    out as string,
    JSON.stringify({ rank: launch?.rank ?? 0, losses: r.finalLoss, state: snapshot(r.state) }),
  );
  group?.destroy();
} catch (e) {
  if (!(e instanceof DistError)) throw e;
  process.stderr.write(`dp-worker rank ${launch?.rank}: ${e.message}\n`);
  process.exit(3);
}
