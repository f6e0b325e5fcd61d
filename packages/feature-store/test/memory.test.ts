import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryFeatureStore, MemoryKeyspace } from '../src/index';
import { runFeatureStoreContract } from './FeatureStore.contract';

runFeatureStoreContract('memory', async () => {
  const keyspace = new MemoryKeyspace();
  return {
    open: ({ schemaVersion, namespace } = {}) =>
      createMemoryFeatureStore({ keyspace, schemaVersion, keyPrefix: `test-${namespace ?? 'main'}` }),
  };
});

test('memory: updatedAt and expiry follow the injected clock', async () => {
  let now = 1_700_000_000_000;
  const store = createMemoryFeatureStore({ now: () => now });
  await store.setMany('user', [{ id: '1', values: { a: 1 } }], { ttlSeconds: 60 });
  assert.deepEqual(await store.getMany('user', ['1']), [{ values: { a: 1 }, updatedAt: 1_700_000_000_000 }]);

  now += 59_999;
  await store.merge('user', '1', { b: 2 });
  assert.deepEqual(await store.getMany('user', ['1']), [{ values: { a: 1, b: 2 }, updatedAt: now }]);

  now += 1;
  assert.deepEqual(
    await store.getMany('user', ['1']),
    [null],
    'gone exactly at the ttl, merge did not extend it',
  );
});

test('memory: separate stores without a shared keyspace share nothing', async () => {
  const a = createMemoryFeatureStore();
  const b = createMemoryFeatureStore();
  await a.setMany('product', [{ id: 'X', values: { n: 1 } }]);
  assert.deepEqual(await b.getMany('product', ['X']), [null]);
});

test('memory: returned records are copies, not views of the store', async () => {
  const store = createMemoryFeatureStore();
  const values = { tags: ['a'] };
  await store.setMany('product', [{ id: 'X', values }]);
  values.tags.push('mutated');
  const [first] = await store.getMany('product', ['X']);
  (first!.values.tags as string[]).push('also mutated');
  assert.deepEqual((await store.getMany('product', ['X']))[0]?.values, { tags: ['a'] });
});

test('memory: bad store options are refused with what was received', () => {
  assert.throws(
    () => createMemoryFeatureStore({ schemaVersion: 0 }),
    /schemaVersion must be a positive integer; received 0/,
  );
  assert.throws(() => createMemoryFeatureStore({ keyPrefix: 'a b' }), /keyPrefix .*received "a b"/);
});
