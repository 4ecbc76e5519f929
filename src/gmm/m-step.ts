/**
 * The M-step of Sinkhorn EM as the reference does it (gmmseg-reference.md §5), for the classes present in the batch:
 *   f = normalise(Σ memory)                     (direction of the sum of the slot's entries)
 *   μ ← m_μ·μ + (1 − m_μ)·f                     (not renormalised here: the next forward does it)
 *   v_d = (1/n)·Σ_n (X[n,d] − f_d)² = E[x²] − 2 f E[x] + f²   (second moment around f, not the sample variance)
 *   σ ← m_σ·σ + (1 − m_σ)·sqrt(v + floor)       (momentum on the std; floor 0.01 gives σ ≥ 0.1)
 * Pure: returns new arrays; classes not listed keep their parameters, and so does a slot with no entry yet (an empty
 * memory start, `memoryInit: 'empty'`); n below is the slot's counted entries (M with the reference's random start).
 */
import { assertLength } from '../shape.js';
import { L2_EPS } from './embed.js';
import { slotFilled, slotMoments, type ComponentMemory } from './memory.js';

/** M-step settings (fields of GmmConfig). */
export interface MStepOptions {
  componentsPerClass: number;
  meanMomentum: number;
  stdMomentum: number;
  stdFloorVariance: number;
}

/**
 * @param means [C, K, D] current (unit-normalised) means
 * @param stds [C, K, D] current standard deviations
 * @param classes the classes to update (present in the batch)
 * @returns new means and stds [C, K, D]
 */
export function mStep(
  means: Float32Array,
  stds: Float32Array,
  memory: ComponentMemory,
  classes: readonly number[],
  opts: MStepOptions,
): { means: Float32Array; stds: Float32Array } {
  const { dim, slots } = memory;
  assertLength(means.length, [slots, dim], 'means', 'mStep');
  assertLength(stds.length, [slots, dim], 'stds', 'mStep');
  const newMeans = new Float32Array(means);
  const newStds = new Float32Array(stds);
  const K = opts.componentsPerClass;
  for (const c of classes) {
    for (let k = 0; k < K; k++) {
      const slot = c * K + k;
      const n = slotFilled(memory, slot);
      if (n === 0) continue;
      const { mean1, mean2 } = slotMoments(memory, slot);
      // F.normalize(Σ x) = (Σ x) / max(‖Σ x‖, eps) with Σ x = n·E[x]
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += (mean1[d] as number) ** 2;
      const sumNorm = Math.sqrt(norm) * n;
      const inv = n / Math.max(sumNorm, L2_EPS);
      for (let d = 0; d < dim; d++) {
        const i = slot * dim + d;
        const f = (mean1[d] as number) * inv;
        newMeans[i] = opts.meanMomentum * (means[i] as number) + (1 - opts.meanMomentum) * f;
        const v = Math.max((mean2[d] as number) - 2 * f * (mean1[d] as number) + f * f, 0);
        newStds[i] =
          opts.stdMomentum * (stds[i] as number) + (1 - opts.stdMomentum) * Math.sqrt(v + opts.stdFloorVariance);
      }
    }
  }
  return { means: newMeans, stds: newStds };
}
