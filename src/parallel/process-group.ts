/**
 * A c10d process group (libtorch's Gloo backend, driven through the native addon's dist* functions): rank, world
 * size, and the collectives data-parallel training needs, on host typed arrays. Every collective returns a new array
 * (tfjs tensors are immutable: callers reduce a fresh flat bucket, never a tensor's storage). Collectives run in
 * program order on every rank; the async variants keep the event loop free while Gloo waits.
 *
 * Failures are typed: {@link DistUnavailableError} when the addon was built without Gloo (or is missing), and
 * {@link DistError} for a missing peer at init, a peer that died, or a timeout; the message names the ranks on this
 * host that are gone (each rank's pid and host are exchanged at init); a bad argument is a ValueError.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { loadTorchAddon, NATIVE_HOW_TO } from '../engine/torch/addon.js';
import { GmmsegError, ValueError } from '../errors.js';

/** Element arrays a collective accepts (float32 buckets, float64 statistics, int32 counts). */
export type DistArray = Float32Array | Float64Array | Int32Array;

/** Reduction of an all-reduce. */
export type ReduceOp = 'sum' | 'max' | 'min';

/** The collectives are not in this build of the native engine (or the engine is missing). */
export class DistUnavailableError extends GmmsegError {}

/** A collective or the rendezvous failed (peer missing, peer died, timeout). */
export class DistError extends GmmsegError {
  constructor(
    message: string,
    /** Ranks known to be gone (on this host), empty when unknown. */
    readonly lostRanks: readonly number[] = [],
  ) {
    super(message);
  }
}

/** The addon's dist* functions (native/src/dist.cc), present only when built with Gloo. */
interface DistAddon {
  distInfo(): { backends: string[]; rank: number; worldSize: number };
  distInit(
    rank: number,
    world: number,
    addr: string,
    port: number,
    backend: string,
    timeoutMs: number,
    hostStore: boolean,
  ): void;
  distAllReduce<T extends DistArray>(a: T, op: ReduceOp): T;
  distAllReduceAsync<T extends DistArray>(a: T, op: ReduceOp): Promise<T>;
  distBroadcast<T extends DistArray>(a: T, root: number): T;
  distBroadcastAsync<T extends DistArray>(a: T, root: number): Promise<T>;
  distAllGather<T extends DistArray>(a: T): T;
  distAllGatherAsync<T extends DistArray>(a: T): Promise<T>;
  distBarrier(): void;
  distDestroy(): void;
}

/** How to get the collectives. */
export const DIST_HOW_TO =
  'built without Gloo: install libgloo-dev and rebuild (sudo apt-get install -y libgloo-dev && npm rebuild gmmseg)';

/** The addon's collectives, or why they are absent. */
export function distAvailability(): { addon?: DistAddon; reason?: string } {
  const { addon, reason } = loadTorchAddon(1);
  if (!addon) return { reason: `${reason ?? 'native torch engine unavailable'} (${NATIVE_HOW_TO})` };
  const d = addon as unknown as Partial<DistAddon>;
  if (typeof d.distInit !== 'function') return { reason: `the native torch engine was ${DIST_HOW_TO}` };
  return { addon: d as DistAddon };
}

/** Rendezvous settings (torchrun's names: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). */
export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /** Only 'gloo' is built (NCCL needs a CUDA libtorch with its headers). */
  backend?: 'gloo';
  /** Rendezvous and collective timeout. */
  timeoutMs?: number;
  /** Whether rank 0 hosts the TCP store (default true; false under torchrun, whose agent hosts it). */
  hostStore?: boolean;
}

/** A live process group; one per process. */
export class ProcessGroup {
  private destroyed = false;

  private constructor(
    private readonly addon: DistAddon,
    readonly rank: number,
    readonly worldSize: number,
    /** [worldSize] pid and host hash of every rank (to name lost ranks). */
    private readonly peers: readonly { pid: number; host: number }[],
  ) {}

  /** Joins (rank 0: hosts) the rendezvous; DistError when a peer does not arrive within the timeout. */
  static init(o: ProcessGroupOptions): ProcessGroup {
    const { addon, reason } = distAvailability();
    if (!addon) throw new DistUnavailableError(`distributed training unavailable: ${reason}`);
    try {
      addon.distInit(
        o.rank,
        o.worldSize,
        o.masterAddr,
        o.masterPort,
        o.backend ?? 'gloo',
        o.timeoutMs ?? 60_000,
        o.hostStore ?? true,
      );
    } catch (e) {
      throw new DistError(
        `${(e as Error).message} (did all ${o.worldSize} ranks start, with the same MASTER_ADDR:MASTER_PORT?)`,
      );
    }
    const mine = new Float64Array([process.pid, hostHash()]);
    const all = addon.distAllGather(mine);
    const peers = Array.from({ length: o.worldSize }, (_, r) => ({
      pid: all[2 * r] as number,
      host: all[2 * r + 1] as number,
    }));
    return new ProcessGroup(addon, o.rank, o.worldSize, peers);
  }

  /** Element-wise reduction over ranks (a new array). */
  allReduce<T extends DistArray>(a: T, op: ReduceOp = 'sum'): T {
    return this.guard('allReduce', () => this.addon.distAllReduce(a, op));
  }
  allReduceAsync<T extends DistArray>(a: T, op: ReduceOp = 'sum'): Promise<T> {
    return this.guardAsync('allReduce', () => this.addon.distAllReduceAsync(a, op));
  }
  /** Rank `root`'s array on every rank (a new array; lengths must agree). */
  broadcast<T extends DistArray>(a: T, root = 0): T {
    return this.guard('broadcast', () => this.addon.distBroadcast(a, root));
  }
  broadcastAsync<T extends DistArray>(a: T, root = 0): Promise<T> {
    return this.guardAsync('broadcast', () => this.addon.distBroadcastAsync(a, root));
  }
  /** Every rank's array (equal lengths) concatenated in rank order: [worldSize · a.length]. */
  allGather<T extends DistArray>(a: T): T {
    return this.guard('allGather', () => this.addon.distAllGather(a));
  }
  allGatherAsync<T extends DistArray>(a: T): Promise<T> {
    return this.guardAsync('allGather', () => this.addon.distAllGatherAsync(a));
  }
  barrier(): void {
    this.guard('barrier', () => this.addon.distBarrier());
  }
  /** Leaves the group (idempotent). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.addon.distDestroy();
  }

  /** Ranks on this host whose process is gone. */
  lostRanks(): number[] {
    const here = hostHash();
    return this.peers.flatMap((p, r) => (r !== this.rank && p.host === here && !processAlive(p.pid) ? [r] : []));
  }

  /** {@link lostRanks}, waiting up to `ms` for a dying peer to be reaped by its parent (only on the error path). */
  private lostRanksSettled(ms = 1000): number[] {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; ; waited += 100) {
      const lost = this.lostRanks();
      if (lost.length || waited >= ms) return lost;
      Atomics.wait(pause, 0, 0, 100);
    }
  }

  private failure(what: string, e: unknown): GmmsegError {
    if (e instanceof GmmsegError) return e;
    // a bad argument (array type, reduce op, root) is the caller's mistake, not a peer's
    if (e instanceof TypeError || e instanceof RangeError) return new ValueError(`${what}: ${e.message}`);
    const lost = this.lostRanksSettled();
    const who = lost.length
      ? `lost rank ${lost.join(', ')}`
      : 'a peer failed or timed out (no rank on this host is gone; see the other ranks’ logs)';
    return new DistError(`rank ${this.rank}/${this.worldSize}: ${what}: ${who}: ${(e as Error).message}`, lost);
  }
  private guard<T>(what: string, fn: () => T): T {
    if (this.destroyed) throw new DistError(`${what}: the process group was destroyed`);
    try {
      return fn();
    } catch (e) {
      throw this.failure(what, e);
    }
  }
  private async guardAsync<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.destroyed) throw new DistError(`${what}: the process group was destroyed`);
    try {
      return await fn();
    } catch (e) {
      throw this.failure(what, e);
    }
  }
}

/** 32-bit hash of this machine's host name (exactly representable in float64). */
function hostHash(): number {
  return createHash('sha256').update(os.hostname()).digest().readUInt32LE(0);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
