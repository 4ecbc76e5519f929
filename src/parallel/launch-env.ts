/**
 * The launch environment PyTorch users know from torchrun: `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `LOCAL_WORLD_SIZE`,
 * `MASTER_ADDR`, `MASTER_PORT` (and `GLOO_SOCKET_IFNAME`, read by the native side). A process is a distributed worker
 * when `WORLD_SIZE` is set; then every variable is checked (`LOCAL_*` default to one worker per machine) and a bad one is a {@link ValueError} naming it.
 */
import { ValueError } from '../errors.js';

/** One worker's place in a job. */
export interface LaunchEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  /** False under torchrun (TORCHELASTIC_USE_AGENT_STORE=True): its agent hosts the store on MASTER_PORT. */
  hostStore: boolean;
}

type Env = Record<string, string | undefined>;

function int(env: Env, key: string, min: number, max: number, fallback?: number): number {
  const v = env[key];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new ValueError(`$${key} must be set for a distributed run (WORLD_SIZE is set)`);
  }
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new ValueError(`$${key} must be an integer in [${min}, ${max}], got '${v}'`);
  return n;
}

/** The worker's launch settings, or undefined when `WORLD_SIZE` is unset (a plain single-process run). */
export function parseLaunchEnv(env: Env = process.env): LaunchEnv | undefined {
  if (env['WORLD_SIZE'] === undefined || env['WORLD_SIZE'] === '') return undefined;
  const worldSize = int(env, 'WORLD_SIZE', 1, 1 << 16);
  const rank = int(env, 'RANK', 0, worldSize - 1);
  // torchrun sets both; a hand-written launch may leave them out (one worker per machine).
  const localWorldSize = int(env, 'LOCAL_WORLD_SIZE', 1, worldSize, 1);
  const localRank = int(env, 'LOCAL_RANK', 0, localWorldSize - 1, 0);
  const masterAddr = env['MASTER_ADDR'] ?? '';
  if (masterAddr.trim() === '')
    throw new ValueError('$MASTER_ADDR must be set for a distributed run (WORLD_SIZE is set)');
  const masterPort = int(env, 'MASTER_PORT', 1, 65535);
  const hostStore = env['TORCHELASTIC_USE_AGENT_STORE'] !== 'True';
  return { rank, worldSize, localRank, localWorldSize, masterAddr, masterPort, hostStore };
}

/** The environment of local worker `rank` of `nproc` (what `gmmseg train --nproc` gives each child). */
export function localWorkerEnv(rank: number, nproc: number, masterPort: number, threads: number): Env {
  return {
    RANK: String(rank),
    WORLD_SIZE: String(nproc),
    LOCAL_RANK: String(rank),
    LOCAL_WORLD_SIZE: String(nproc),
    MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: String(masterPort),
    GMMSEG_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
  };
}
