/**
 * The process group's collectives in one process (world size 1: the same native code path as N ranks, whose results
 * the data-parallel tests check with real peers): sync and async variants, every array type, typed errors. Skipped,
 * with the reason, when the native engine has no Gloo.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../../src/parallel/free-port.js';
import { distAvailability, DistError, ProcessGroup } from '../../../src/parallel/process-group.js';
import { ValueError } from '../../../src/errors.js';

const { reason } = distAvailability();
const skip = reason ? `PROCESS-GROUP TESTS NOT RUN: ${reason}` : false;

test('collectives of a one-rank group: sync, async, float32/float64/int32, new arrays', { skip }, async () => {
  const g = ProcessGroup.init({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: await freePort() });
  try {
    assert.equal(g.rank, 0);
    assert.equal(g.worldSize, 1);
    const a = new Float32Array([1.5, -2, 3]);
    const r = g.allReduce(a, 'sum');
    assert.notEqual(r, a);
    assert.ok(r instanceof Float32Array);
    assert.deepEqual(Array.from(r), [1.5, -2, 3]);
    const d = g.allReduce(new Float64Array([0.1, 1e300]), 'max');
    assert.ok(d instanceof Float64Array);
    assert.deepEqual(Array.from(d), [0.1, 1e300]);
    const i = g.broadcast(new Int32Array([7, -8]), 0);
    assert.ok(i instanceof Int32Array);
    assert.deepEqual(Array.from(i), [7, -8]);
    assert.deepEqual(Array.from(g.allGather(new Float32Array([4, 5]))), [4, 5]);
    g.barrier();
    const [ar, bc, ag] = await Promise.all([
      g.allReduceAsync(new Float32Array(1_000_000).fill(2), 'min'),
      g.broadcastAsync(new Float64Array([3])),
      g.allGatherAsync(new Int32Array([9])),
    ]);
    assert.equal(ar.length, 1_000_000);
    assert.equal(ar[999_999], 2);
    assert.deepEqual([Array.from(bc), Array.from(ag)], [[3], [9]]);
    const bad = (e: unknown): boolean => e instanceof ValueError && !(e instanceof DistError);
    assert.throws(
      () => g.allReduce(new Float32Array(1), 'avg' as 'sum'),
      (e: unknown) => bad(e) && /reduce op must be sum, max or min/.test(String(e)),
    );
    assert.throws(
      () => g.broadcast(new Float32Array(1), 3),
      (e: unknown) => bad(e) && /root must be a rank/.test(String(e)),
    );
    assert.throws(
      () => g.allReduce(new Uint8Array(1) as unknown as Float32Array),
      /Float32Array, Float64Array or Int32Array/,
    );
  } finally {
    g.destroy();
  }
  assert.throws(
    () => g.barrier(),
    (e: unknown) => e instanceof DistError && /destroyed/.test((e as Error).message),
  );
});
