import test from 'node:test';
import assert from 'node:assert/strict';
import { localWorkerEnv, parseLaunchEnv } from '../../../src/parallel/launch-env.js';
import { ValueError } from '../../../src/errors.js';

test('no WORLD_SIZE: a plain single-process run', () => {
  assert.equal(parseLaunchEnv({}), undefined);
});

test("torchrun's variables are parsed; LOCAL_* default to one worker per machine", () => {
  const env = { RANK: '1', WORLD_SIZE: '2', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29500' };
  assert.deepEqual(parseLaunchEnv(env), {
    rank: 1,
    worldSize: 2,
    localRank: 0,
    localWorldSize: 1,
    masterAddr: '10.0.0.1',
    masterPort: 29500,
    hostStore: true,
  });
  const local = parseLaunchEnv(localWorkerEnv(1, 2, 1234, 1));
  assert.deepEqual(local, {
    rank: 1,
    worldSize: 2,
    localRank: 1,
    localWorldSize: 2,
    masterAddr: '127.0.0.1',
    masterPort: 1234,
    hostStore: true,
  });
  assert.equal(parseLaunchEnv({ ...env, TORCHELASTIC_USE_AGENT_STORE: 'True' })?.hostStore, false);
});

test('a bad or missing variable is a ValueError naming it', () => {
  const base = { RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' };
  const bad: [Record<string, string>, RegExp][] = [
    [{ ...base, RANK: '2' }, /\$RANK must be an integer in \[0, 1\], got '2'/],
    [{ ...base, RANK: '' }, /\$RANK must be set/],
    [{ ...base, MASTER_PORT: '70000' }, /\$MASTER_PORT/],
    [{ ...base, MASTER_ADDR: ' ' }, /\$MASTER_ADDR must be set/],
    [{ ...base, WORLD_SIZE: 'two' }, /\$WORLD_SIZE must be an integer/],
  ];
  for (const [env, re] of bad)
    assert.throws(
      () => parseLaunchEnv(env),
      (e: unknown) => e instanceof ValueError && re.test((e as Error).message),
    );
});
