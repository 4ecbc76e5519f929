/**
 * The error an engine raises for something it cannot do that another engine can (a tfjs kernel without a native
 * implementation, a dtype it cannot store). The message names the fallback engine and the environment variable
 * that selects it, never a command-line flag (engine/ knows nothing of the CLI); `fallback` carries the engine's
 * name for callers (the CLI) that want to say how to choose it their own way.
 */
import { EngineError } from '../errors.js';

/** An engine that can stand in for another. */
export type FallbackEngine = 'wasm';

/** EngineError naming the engine that cannot do something (`engine`) and the one that can (`fallback`). */
export class EngineFallbackError extends EngineError {
  /**
   * @param problem what is not supported, e.g. "kernel 'Dilation2D' is not implemented on the native torch engine"
   * @param engine the engine that raised it
   * @param fallback the engine to use instead
   */
  constructor(
    problem: string,
    readonly engine: string,
    readonly fallback: FallbackEngine = 'wasm',
  ) {
    // GMMSEG_ENGINE is ENGINE_ENV_VAR of engine.ts (which imports this module, so it cannot be imported here).
    super(`${problem}; use the ${fallback} engine instead (GMMSEG_ENGINE=${fallback})`);
  }
}
