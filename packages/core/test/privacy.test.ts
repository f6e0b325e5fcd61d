import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eraseUserData, parseForgottenUsers, userDigest, type UserDataEraser } from '@recs/core';

test('userDigest is the SHA-256 hex of the id', () => {
  // echo -n 17850 | sha256sum
  assert.equal(userDigest('17850'), '8072f6579de3261211c2d30eb23619d2299179bf8835aed226d36f99aa88249d');
  assert.notEqual(userDigest('17850'), userDigest('17851'));
  assert.ok(!userDigest('17850').includes('17850'));
});

test('eraseUserData runs every eraser in order and reports failures without stopping', async () => {
  const calls: string[] = [];
  const eraser = (name: string, removed: number | Error): UserDataEraser => ({
    name,
    async erase(userId) {
      calls.push(`${name}:${userId}`);
      if (removed instanceof Error) throw removed;
      return removed;
    },
  });
  const results = await eraseUserData([eraser('a', 2), eraser('b', new Error('down')), eraser('c', 0)], 'u1');
  assert.deepEqual(calls, ['a:u1', 'b:u1', 'c:u1']);
  assert.deepEqual(results, [
    { name: 'a', removed: 2 },
    { name: 'b', removed: 0, error: 'down' },
    { name: 'c', removed: 0 },
  ]);
});

test('parseForgottenUsers keeps well-formed digests only', () => {
  const d = userDigest('x');
  const parsed = parseForgottenUsers(`# tombstones\n${d}\n\n${d.toUpperCase()}\nnot-a-digest\n`);
  assert.deepEqual([...parsed], [d]);
});
