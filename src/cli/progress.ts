/**
 * Progress display for long commands: a cli-progress bar (loss, step rate, ETA) on a terminal, a few plain lines
 * otherwise, nothing with --no-progress.
 */
import cliProgress from 'cli-progress';
import type { ExperimentEvent } from '../train/experiment.js';
import type { CommandIo } from './command-io.js';

/** An event sink and a stop function. */
export interface Progress {
  event: (e: ExperimentEvent) => void;
  stop: () => void;
}

export function createProgress(enabled: boolean, io: CommandIo): Progress {
  if (!enabled) return { event: () => undefined, stop: () => undefined };
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  const start = (label: string, total: number): void => {
    bar?.stop();
    current = label;
    if (tty) {
      bar = new cliProgress.SingleBar(
        {
          format: `${label} [{bar}] {value}/{total} {extra} | eta {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { extra: '' });
    } else io.out(`${label}: ${total}\n`);
  };
  return {
    event: (e) => {
      const label =
        e.kind === 'cache'
          ? 'frozen maps'
          : e.kind === 'refit'
            ? 'refit GMM'
            : e.kind === 'step'
              ? `train ${e.head}`
              : `eval ${e.head} ${e.dataset}`;
      const done = e.kind === 'step' ? e.step : e.done;
      if (label !== current) start(label, e.total);
      const extra =
        e.kind === 'step' ? `loss ${e.losses.loss.toFixed(4)} lr ${e.losses.learningRate.toExponential(1)}` : '';
      if (bar) bar.update(done, { extra });
      else if (e.kind === 'step' && (done % Math.max(1, Math.floor(e.total / 4)) === 0 || done === e.total))
        io.out(`  step ${done}/${e.total} ${extra}\n`);
    },
    stop: () => bar?.stop(),
  };
}

/** A counter of `done` of `total` items (e.g. samples checked). */
export interface CountProgress {
  update: (done: number, total: number) => void;
  stop: () => void;
}

/** Sets smaller than this are checked without a bar (it would flash by). */
export const COUNT_BAR_MIN_TOTAL = 50;

/**
 * A cli-progress bar `label [====] done/total | eta` on a terminal (stderr) once `total` reaches
 * {@link COUNT_BAR_MIN_TOTAL}; nothing otherwise (the caller prints a summary line when done).
 */
export function createCountProgress(label: string, tty = process.stderr.isTTY === true): CountProgress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    update: (done, total) => {
      if (!tty || total < COUNT_BAR_MIN_TOTAL) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {value}/{total} | eta {eta_formatted}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
      }
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}
