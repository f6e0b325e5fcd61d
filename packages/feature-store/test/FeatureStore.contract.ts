import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { FeatureStore, FeatureValue } from '../src/index';

/** One test's backend: every store it opens shares the same data, like several processes on one Redis. */
export interface ContractBackend {
  /** Opens a store; `namespace` picks one of several key prefixes, all cleaned up by the backend. */
  open(opts?: { schemaVersion?: number; namespace?: string }): FeatureStore;
}

/** Builds a fresh backend for one test and registers its cleanup with `t.after`. */
export type ContractFactory = (t: TestContext) => Promise<ContractBackend>;

const SAMPLE: FeatureValue = {
  orders: 12,
  avgBasket: 0.1 + 0.2,
  third: 1 / 3,
  tiny: Number.MIN_VALUE,
  big: Number.MAX_SAFE_INTEGER,
  country: 'United Kingdom',
  note: 'naïve café ☕ / "quoted" \\ back\nslash',
  vip: true,
  churned: false,
  lastSeen: null,
  embedding: [0.125, -3.5, 1e21, 7],
  topProducts: ['85123A', '71053'],
  noTags: [],
};

/** Polls until `done()` or the deadline; the deadline only bounds a hang, it is not the assertion. */
async function eventually(what: string, done: () => Promise<boolean>, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await done())) {
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what} after ${deadlineMs} ms`);
    await delay(50);
  }
}

/** Registers the behaviour every {@link FeatureStore} implementation must have, as tests named after `name`. */
export function runFeatureStoreContract(name: string, factory: ContractFactory): void {
  describe(`FeatureStore contract: ${name}`, () => {
    test('round trip keeps every value type exactly, per kind', async (t) => {
      const store = (await factory(t)).open();
      const before = Date.now();
      await store.setMany('user', [
        { id: '17850', values: SAMPLE },
        { id: '13047', values: {} },
      ]);
      await store.setMany('product', [{ id: '17850', values: { price: 2.55 } }]);
      const after = Date.now();

      const [full, empty] = await store.getMany('user', ['17850', '13047']);
      assert.deepEqual(full?.values, SAMPLE);
      assert.deepEqual(empty?.values, {});
      assert.ok(full!.updatedAt >= before && full!.updatedAt <= after, `updatedAt ${full!.updatedAt}`);
      assert.deepEqual((await store.getMany('product', ['17850']))[0]?.values, { price: 2.55 });
    });

    test('getMany aligns nulls with missing ids and keeps order and duplicates', async (t) => {
      const store = (await factory(t)).open();
      await store.setMany('product', [
        { id: 'A', values: { n: 1 } },
        { id: 'B', values: { n: 2 } },
      ]);
      const got = await store.getMany('product', ['B', 'missing', 'A', 'B', 'A', 'other']);
      assert.deepEqual(
        got.map((record) => record?.values.n ?? null),
        [2, null, 1, 2, 1, null],
      );
      assert.deepEqual(await store.getMany('product', []), []);
      assert.deepEqual(await store.getMany('user', ['A']), [null]);
    });

    test('setMany replaces whole records and later duplicates win', async (t) => {
      const store = (await factory(t)).open();
      await store.setMany('user', [{ id: '1', values: { a: 1, b: 2 } }]);
      await store.setMany('user', [
        { id: '1', values: { c: 3 } },
        { id: '1', values: { d: 4 } },
      ]);
      assert.deepEqual((await store.getMany('user', ['1']))[0]?.values, { d: 4 });
    });

    test('merge overwrites only the patched fields and creates missing records', async (t) => {
      const store = (await factory(t)).open();
      // 1 / 3 needs 17 digits: a merge that re-encodes numbers server-side would round it.
      await store.setMany('user', [{ id: '1', values: { keep: 'yes', change: 1, list: [1 / 3, 2] } }]);
      const before = Date.now();
      await store.merge('user', '1', { change: 2, added: [], nothing: null });
      await store.merge('user', '2', { fresh: ['x'] });
      const [one, two] = await store.getMany('user', ['1', '2']);
      assert.deepEqual(one?.values, { keep: 'yes', change: 2, list: [1 / 3, 2], added: [], nothing: null });
      assert.ok(one!.updatedAt >= before, 'merge refreshes updatedAt');
      assert.deepEqual(two?.values, { fresh: ['x'] });
    });

    test('50 concurrent merges of different fields from 5 stores all land', async (t) => {
      const backend = await factory(t);
      const stores = Array.from({ length: 5 }, () => backend.open());
      await stores[0]!.setMany('product', [{ id: 'hot', values: { base: 'kept' } }]);
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          stores[i % stores.length]!.merge('product', 'hot', { [`f${i}`]: i }),
        ),
      );
      const expected: FeatureValue = { base: 'kept' };
      for (let i = 0; i < 50; i++) expected[`f${i}`] = i;
      assert.deepEqual((await stores[1]!.getMany('product', ['hot']))[0]?.values, expected);
    });

    test('updateSet adds and removes members in order, keeps other fields, and caps the size', async (t) => {
      const store = (await factory(t)).open();
      await store.setMany('user', [{ id: 'u', values: { keep: 1 } }]);
      assert.deepEqual(await store.updateSet('user', 'u', 'hidden', { add: ['a', 'b', 'a/"x"'] }), [
        'a',
        'b',
        'a/"x"',
      ]);
      assert.deepEqual(await store.updateSet('user', 'u', 'hidden', { add: ['b', 'c'], remove: ['a'] }), [
        'b',
        'a/"x"',
        'c',
      ]);
      assert.deepEqual(
        await store.updateSet('user', 'u', 'hidden', { remove: ['b', 'a/"x"', 'c', 'zz'] }),
        [],
      );
      assert.deepEqual((await store.getMany('user', ['u']))[0]?.values, { keep: 1, hidden: [] });
      assert.deepEqual(
        await store.updateSet('user', 'new', 'hidden', { add: ['1', '2', '3', '4'], max: 3 }),
        ['2', '3', '4'],
      );
      assert.deepEqual((await store.getMany('user', ['new']))[0]?.values, { hidden: ['2', '3', '4'] });
    });

    test('40 concurrent updateSet calls from 4 stores all land', async (t) => {
      const backend = await factory(t);
      const stores = Array.from({ length: 4 }, () => backend.open());
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          stores[i % stores.length]!.updateSet('user', 'busy', 'hidden', { add: [`p${i}`] }),
        ),
      );
      const members = (await stores[0]!.getMany('user', ['busy']))[0]?.values.hidden as string[];
      assert.deepEqual([...members].sort(), Array.from({ length: 40 }, (_, i) => `p${i}`).sort());
    });

    test('updateSet refuses bad input and a field that is not a string array', async (t) => {
      const store = (await factory(t)).open();
      await store.setMany('user', [{ id: 'u', values: { count: 3 } }]);
      await assert.rejects(store.updateSet('user', 'u', 'count', { add: ['x'] }), /count/);
      await assert.rejects(store.updateSet('user', 'u', '', { add: ['x'] }), /field/);
      await assert.rejects(
        store.updateSet('user', 'u', 'hidden', { add: [''] as string[] }),
        /non-empty strings/,
      );
      await assert.rejects(store.updateSet('user', 'u', 'hidden', { add: ['x'], max: 0 }), /max/);
      assert.deepEqual((await store.getMany('user', ['u']))[0]?.values, { count: 3 });
    });

    test('ttl expires records, merge keeps the ttl, a plain setMany clears it', async (t) => {
      const store = (await factory(t)).open();
      await store.setMany(
        'user',
        [
          { id: 'short', values: { a: 1 } },
          { id: 'merged', values: { a: 1 } },
          { id: 'renewed', values: { a: 1 } },
        ],
        { ttlSeconds: 0.5 },
      );
      await store.setMany('user', [{ id: 'forever', values: { a: 1 } }]);
      await store.setMany('user', [{ id: 'renewed', values: { a: 2 } }]);
      await store.merge('user', 'merged', { b: 2 });
      assert.notEqual((await store.getMany('user', ['short']))[0], null, 'present before expiry');

      await eventually('ttl expiry', async () => {
        const got = await store.getMany('user', ['short', 'merged']);
        return got.every((record) => record === null);
      });
      const [forever, renewed] = await store.getMany('user', ['forever', 'renewed']);
      assert.deepEqual(forever?.values, { a: 1 });
      assert.deepEqual(renewed?.values, { a: 2 });
      assert.equal(await store.deleteMany('user', ['short']), 0, 'expired records do not count as deleted');
    });

    test('deleteMany removes records and counts those that existed', async (t) => {
      const store = (await factory(t)).open();
      await store.setMany('product', [
        { id: 'A', values: { n: 1 } },
        { id: 'B', values: { n: 2 } },
      ]);
      assert.equal(await store.deleteMany('product', ['A', 'missing', 'A']), 1);
      assert.equal(await store.deleteMany('user', ['B']), 0, 'kinds are separate');
      assert.equal(await store.deleteMany('product', []), 0);
      assert.deepEqual(
        (await store.getMany('product', ['A', 'B'])).map((record) => record?.values ?? null),
        [null, { n: 2 }],
      );
    });

    test('lists round trip, replace, and distinguish empty from missing', async (t) => {
      const store = (await factory(t)).open();
      assert.equal(await store.getList('popular:GB'), null);
      await store.setList('popular:GB', ['85123A', '22423', '85123A']);
      assert.deepEqual(await store.getList('popular:GB'), ['85123A', '22423', '85123A']);
      await store.setList('popular:GB', ['47566']);
      assert.deepEqual(await store.getList('popular:GB'), ['47566']);
      await store.setList('popular:FR', []);
      assert.deepEqual(await store.getList('popular:FR'), []);
    });

    test('named sets add, test, list and remove members; stores on one backend share them', async (t) => {
      const backend = await factory(t);
      const store = backend.open();
      assert.equal(await store.addMembers('opt-out', ['17850', '13047', '17850']), 2);
      assert.equal(await store.addMembers('opt-out', ['13047', 'x']), 1, 'only new members count');
      assert.deepEqual(await store.hasMembers('opt-out', ['x', 'nobody', '17850', 'x']), [
        true,
        false,
        true,
        true,
      ]);
      assert.deepEqual(
        await backend.open().hasMembers('opt-out', ['13047']),
        [true],
        'another store sees them',
      );
      assert.deepEqual((await store.members('opt-out')).sort(), ['13047', '17850', 'x']);
      assert.deepEqual(await store.hasMembers('other', ['17850']), [false], 'sets are independent');
      assert.deepEqual(await store.members('never-written'), []);
      assert.equal(await store.removeMembers('opt-out', ['17850', 'nobody', '17850']), 1);
      assert.deepEqual(await store.hasMembers('opt-out', ['17850']), [false]);
      assert.equal(await store.addMembers('opt-out', []), 0);
      assert.deepEqual(await store.hasMembers('opt-out', []), []);
      assert.deepEqual(
        await backend.open({ namespace: 'other' }).members('opt-out'),
        [],
        'prefixes isolate sets',
      );
      await assert.rejects(store.addMembers('bad name', ['a']), (err: unknown) =>
        /set name/.test(String(err)),
      );
      await assert.rejects(store.addMembers('s', ['']), (err: unknown) =>
        /members of set "s"/.test(String(err)),
      );
    });

    test('schema versions do not see each other', async (t) => {
      const backend = await factory(t);
      const v1 = backend.open({ schemaVersion: 1 });
      const v2 = backend.open({ schemaVersion: 2 });
      await v1.setMany('user', [{ id: '1', values: { from: 'v1' } }]);
      await v1.setList('top', ['v1']);
      assert.deepEqual(await v2.getMany('user', ['1']), [null]);
      assert.equal(await v2.getList('top'), null);

      await v2.setMany('user', [{ id: '1', values: { from: 'v2' } }]);
      assert.equal(await v2.deleteMany('user', ['1']), 1);
      assert.deepEqual((await v1.getMany('user', ['1']))[0]?.values, { from: 'v1' });
      assert.deepEqual((await backend.open({ schemaVersion: 1 }).getMany('user', ['1']))[0]?.values, {
        from: 'v1',
      });
    });

    test('key prefixes isolate stores on one backend', async (t) => {
      const backend = await factory(t);
      const a = backend.open({ namespace: 'a' });
      const b = backend.open({ namespace: 'b' });
      await a.setMany('product', [{ id: 'X', values: { owner: 'a' } }]);
      await a.merge('product', 'Y', { owner: 'a' });
      await a.setList('l', ['a']);
      assert.deepEqual(await b.getMany('product', ['X', 'Y']), [null, null]);
      assert.equal(await b.getList('l'), null);
      assert.equal(await b.deleteMany('product', ['X']), 0);
      assert.equal((await a.getMany('product', ['X']))[0]?.values.owner, 'a');
    });

    test('invalid input is refused before anything is written', async (t) => {
      const store = (await factory(t)).open();
      const refused = (pattern: RegExp) => (err: Error & { code?: string }) => {
        assert.equal(err.code, 'BAD_USER_INPUT');
        assert.match(err.message, pattern);
        return true;
      };
      await assert.rejects(
        store.setMany('user', [
          { id: 'ok', values: { a: 1 } },
          { id: 'bad', values: { a: Number.NaN } },
        ]),
        refused(/feature "a" of user bad .*received "NaN"/),
      );
      assert.deepEqual(await store.getMany('user', ['ok']), [null], 'the valid entry was not written either');
      await assert.rejects(
        store.merge('user', 'x', { mixed: [1, 'a'] as unknown as number[] }),
        refused(/"mixed"/),
      );
      await assert.rejects(store.getMany('user', ['']), refused(/user id/));
      await assert.rejects(store.getMany('shop' as 'user', ['1']), refused(/kind/));
      await assert.rejects(
        store.setMany('user', [{ id: '1', values: {} }], { ttlSeconds: 0 }),
        refused(/ttlSeconds/),
      );
      await assert.rejects(store.setList('bad name', []), refused(/list name/));
    });

    test('ping answers until close, and a closed store refuses work', async (t) => {
      const store = (await factory(t)).open();
      assert.equal(await store.ping(), true);
      await store.close();
      await store.close();
      assert.equal(await store.ping(), false);
      await assert.rejects(store.getMany('user', ['1']), /closed/);
    });
  });
}
