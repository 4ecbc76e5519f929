/**
 * Checkpoints ↔ training states: a checkpoint is a model file with the optimizer state and the step (written by
 * `segModelToFile(..., { checkpoint })`); resuming rebuilds the trainable model, the state and the stored training
 * config, validated.
 */
import { ValueError } from '../errors.js';
import type { ModelFile } from '../model/model-types.js';
import { segModelFromFile, segModelToFile } from '../model/seg-model-file.js';
import { makeTrainConfig, type TrainConfig } from './train-config.js';
import type { TrainState } from './trainer.js';

/** The checkpoint file of a state trained with `config`. */
export function checkpointFile(state: TrainState, config: TrainConfig): ModelFile {
  const average = state.average ? { average: state.average } : {};
  const checkpoint = { step: state.step, optimizer: state.optimizer, ...average };
  return segModelToFile(state.model, { train: config, checkpoint });
}

/**
 * The training state of a decoded checkpoint and its stored training config (overrides applied; validated).
 * @param source names the file in errors
 */
export async function resumeFromCheckpoint(
  file: ModelFile,
  overrides: Partial<TrainConfig>,
  source: string,
): Promise<{ state: TrainState; config: TrainConfig }> {
  const loaded = await segModelFromFile(file, undefined, true);
  if (!loaded.checkpoint) throw new ValueError(`${source}: not a checkpoint (it has no training state)`);
  const { step, optimizer, average } = loaded.checkpoint;
  const state: TrainState = { step, model: loaded.model, optimizer, ...(average ? { average } : {}) };
  // A resumed run keeps the checkpoint's training config (so it continues bit for bit); overrides given now win.
  return { state, config: makeTrainConfig({ ...loaded.train, ...overrides }) };
}
