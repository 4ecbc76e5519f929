import test from 'node:test';
import assert from 'node:assert/strict';
import { errorFromPosted, FormatError, postedError, ShapeError } from '../../src/errors.js';

test('an error posted across threads comes back with its class (library errors) and message', () => {
  const back = errorFromPosted(structuredClone(postedError(new FormatError('bad file x.png'))));
  assert.ok(back instanceof FormatError);
  assert.equal(back.message, 'bad file x.png');
  assert.ok(errorFromPosted(postedError(new ShapeError('s'))) instanceof ShapeError);
  const other = errorFromPosted(postedError(new RangeError('Invalid typed array length: -4')));
  assert.equal(other.constructor, Error);
  assert.equal(other.message, 'Invalid typed array length: -4');
  assert.deepEqual(postedError('plain string'), { name: 'Error', message: 'plain string' });
});
