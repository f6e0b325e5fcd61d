import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { testRedis, unlinkPrefix } from '@recs/testkit/services';
import {
  OutcomeStore,
  analyse,
  applyDecision,
  clickCounts,
  createMemoryExperimentStore,
  createRedisExperimentStore,
  decide,
  validateExperiments,
  type Experiment,
  type ExperimentStore,
  type VariantCounts,
} from '@recs/experiments';
import { experimentOf } from './fixtures';

const experiment = (over: Partial<Experiment> = {}): Experiment =>
  experimentOf({
    id: 'ranker-test',
    variants: [
      { name: 'control', allocation: 50 },
      { name: 'treatment', allocation: 50, config: { ranker: false } },
    ],
    ...over,
  });

/** A random prefix on the shared test server, removed after the test. */
async function isolated(t: TestContext): Promise<{ client: Redis; prefix: string }> {
  const { url } = await testRedis();
  const prefix = `exptest-${randomBytes(6).toString('hex')}`;
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  t.after(async () => {
    await unlinkPrefix(client, prefix);
    await client.quit();
  });
  return { client, prefix };
}

const meta = { actor: 'admin:test', action: 'create', reason: 'test', automatic: false };

for (const kind of ['memory', 'redis'] as const) {
  const open = async (t: TestContext): Promise<ExperimentStore> => {
    if (kind === 'memory') return createMemoryExperimentStore();
    const { client, prefix } = await isolated(t);
    return createRedisExperimentStore(client, prefix);
  };

  test(`${kind} experiment store: changes are validated, versioned and audited with before and after`, async (t) => {
    const store = await open(t);
    assert.equal(await store.version(), 0);
    const created = await store.change('ranker-test', () => experiment(), meta, validateExperiments);
    assert.equal(created.before, null);
    assert.equal(created.after?.id, 'ranker-test');
    assert.equal(await store.version(), 1);
    // an invalid result is refused and changes nothing
    await assert.rejects(
      store.change(
        'ranker-test',
        (e) => ({ ...e!, variants: [{ name: 'control', allocation: 60 }] }),
        meta,
        validateExperiments,
      ),
      /sum to 100/,
    );
    // a second experiment overlapping in the layer is refused
    await assert.rejects(
      store.change('other', () => experiment({ id: 'other', salt: 's2' }), meta, validateExperiments),
      /overlap in layer ranking/,
    );
    const stopped = await store.change(
      'ranker-test',
      (e) => ({ ...e!, status: 'STOPPED' }),
      { ...meta, action: 'status' },
      validateExperiments,
    );
    assert.equal(stopped.before?.status, 'RUNNING');
    assert.equal(stopped.after?.status, 'STOPPED');
    const { version, experiments } = await store.list();
    assert.equal(version, 2);
    assert.equal(experiments[0]!.status, 'STOPPED');
    const audit = await store.audit({ experimentId: 'ranker-test' });
    assert.deepEqual(
      audit.map((a) => a.action),
      ['status', 'create'],
    );
    assert.deepEqual(await store.auditEntry(stopped.id), stopped);
    assert.equal(await store.auditEntry('0-0'), undefined);
  });

  test(`${kind} experiment store: concurrent writers both land, none is lost`, async (t) => {
    const store = await open(t);
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((id, i) =>
        store.change(id, () => experiment({ id, layer: `l${i}`, salt: id }), meta, validateExperiments),
      ),
    );
    const { version, experiments } = await store.list();
    assert.equal(version, 4);
    assert.deepEqual(
      experiments.map((e) => e.id),
      ['a', 'b', 'c', 'd'],
    );
    assert.equal((await store.audit()).length, 4);
  });
}

test('outcomes on Redis: exposures and events attributed once per event id, by segment, and erasable', async (t) => {
  const { client, prefix } = await isolated(t);
  const outcomes = new OutcomeStore(client, { prefix });
  const exp = experiment();
  const serve = (requestId: string, userId: string, variant: string, items = 10) =>
    outcomes.recordExposure({
      requestId,
      userId,
      assignments: [{ experimentId: exp.id, variant }],
      segments: ['all', 'country:DE'],
      itemCount: items,
      latencyMs: 12,
    });
  assert.equal(await serve('r1', 'u1', 'control'), true);
  assert.equal(await serve('r1', 'u1', 'control'), false, 'one request id is one exposure');
  await serve('r2', 'u1', 'control');
  await serve('r3', 'u2', 'treatment', 0);
  const ev = (eventId: string, type: string, userId: string, requestId: string, extra = {}) => ({
    eventId,
    type,
    userId,
    requestId,
    timestamp: '2026-11-29T10:00:00.000Z',
    ...extra,
  });
  assert.equal(await outcomes.recordOutcome(ev('e1', 'click', 'u1', 'r1')), 'attributed');
  assert.equal(await outcomes.recordOutcome(ev('e1', 'click', 'u1', 'r1')), 'duplicate');
  assert.equal(await outcomes.recordOutcome(ev('e2', 'click', 'u1', 'r2')), 'attributed');
  assert.equal(await outcomes.recordOutcome(ev('e3', 'click', 'u2', 'r1')), 'foreign', "another user's list");
  assert.equal(await outcomes.recordOutcome(ev('e4', 'click', 'u2', 'nope')), 'unattributed');
  assert.equal(await outcomes.recordOutcome(ev('e5', 'view', 'u1', 'r1')), 'ignored');
  const buy = (id: string, q: number, price: number) =>
    outcomes.recordOutcome(ev(id, 'purchase', 'u1', 'r1', { quantity: q, price }));
  await buy('p1', 2, 5);
  await buy('p2', 1, 10);
  const counts = await outcomes.counts(exp.id, ['control', 'treatment']);
  assert.deepEqual([...counts.keys()], ['all', 'country:DE']);
  const c = counts.get('all')!.get('control')!;
  assert.equal(c.exposures, 2);
  assert.equal(c.users, 1);
  assert.equal(c.clicks, 2);
  assert.equal(c.clickUsers, 1);
  assert.equal(c.purchases, 2);
  assert.equal(c.orders, 1, 'two lines at the same time are one order');
  assert.equal(c.revenue, 20);
  assert.equal(c.revenueSq, 400, 'the user total squared, not the sum of squared lines');
  assert.equal(c.latency.get(25), 2);
  const tr = counts.get('country:DE')!.get('treatment')!;
  assert.equal(tr.empty, 1);
  assert.equal(tr.users, 1);

  const a = analyse(exp, counts.get('all')!);
  assert.equal(a.variants[0]!.ctr, 1);
  assert.equal(a.variants[0]!.revenuePerUser, 20);
  assert.equal(a.variants[1]!.emptyListRate, 1);

  // erasure: nothing with the user id remains, aggregates stay
  assert.ok((await outcomes.eraseUser('u1')) > 0);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      assert.ok(!key.includes('u1'), key);
      const type = await client.type(key);
      const dump =
        type === 'hash'
          ? JSON.stringify(await client.hgetall(key))
          : type === 'set'
            ? JSON.stringify(await client.smembers(key))
            : type === 'string'
              ? String(await client.get(key))
              : '';
      assert.ok(!/u1\b/.test(dump), `${key} still holds u1: ${dump}`);
    }
  } while (cursor !== '0');
  assert.equal((await outcomes.counts(exp.id, ['control']))!.get('all')!.get('control')!.clicks, 2);
});

test('decide: holds until enough users, rolls back a broken guardrail, promotes a significant winner', () => {
  const exp = experiment({ automation: { minUsersPerVariant: 1000 } });
  const counts = (users: number, clickUsers: number, extra: Partial<VariantCounts> = {}) => ({
    ...clickCounts(users, clickUsers),
    ...extra,
  });
  const run = (a: ReturnType<typeof counts>, b: ReturnType<typeof counts>) =>
    decide(
      exp,
      analyse(
        exp,
        new Map([
          ['control', a],
          ['treatment', b],
        ]),
      ),
    );
  assert.equal(run(counts(500, 50), counts(500, 90)).action, 'hold');
  const win = run(counts(20_000, 2000), counts(20_000, 2400));
  assert.equal(win.action, 'promote');
  assert.match(win.reason, /CTR 10.0% -> 12.0%/);
  const promoted = applyDecision(exp, win);
  assert.equal(promoted.status, 'PROMOTED');
  assert.equal(promoted.winner, 'treatment');
  const loss = run(counts(20_000, 2000), counts(20_000, 1700));
  assert.equal(loss.action, 'rollback');
  assert.match(loss.reason, /CTR -15.0%/);
  const rolled = applyDecision(exp, loss);
  assert.equal(rolled.variants[1]!.disabled, true);
  assert.equal(rolled.status, 'STOPPED', 'no treatment left');
  const empty = run(counts(2000, 200), counts(2000, 200, { empty: 400 }));
  assert.equal(empty.action, 'rollback');
  assert.match(empty.reason, /empty-list rate 20.0%/);
  const slow = run(counts(2000, 200), counts(2000, 200, { latency: new Map([[500, 2000]]) }));
  assert.match(slow.reason, /p95 latency 500 ms/);
  // a broken split holds every decision
  const srm = run(counts(20_000, 2000), counts(15_000, 2400));
  assert.equal(srm.action, 'hold');
  assert.match(srm.reason, /sample-ratio mismatch/);
});

test('CUPED from per-arm sums equals CUPED on the per-user values, and cuts the variance', async () => {
  const { cupedAdjust, welchTTest, summarize } = await import('@recs/experiments');
  const { seededRandom } = await import('./stats-helpers');
  const random = seededRandom(5);
  const arms = [0, 0.3].map((effect) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const xi = Math.floor(random() * 10);
      x.push(xi);
      y.push(2 * xi + effect + 3 * random());
    }
    return { x, y };
  });
  const sums = (arm: { x: number[]; y: number[] }): VariantCounts => ({
    ...clickCounts(arm.x.length, 0),
    revenue: arm.y.reduce((s, v) => s + v, 0),
    revenueSq: arm.y.reduce((s, v) => s + v * v, 0),
    sumX: arm.x.reduce((s, v) => s + v, 0),
    sumX2: arm.x.reduce((s, v) => s + v * v, 0),
    sumXRevenue: arm.x.reduce((s, v, i) => s + v * arm.y[i]!, 0),
  });
  const exp = experiment();
  const a = analyse(
    exp,
    new Map([
      ['control', sums(arms[0]!)],
      ['treatment', sums(arms[1]!)],
    ]),
  );
  const got = a.variants[1]!.comparisons.find((c) => c.metric === 'revenuePerUser')!.cuped!;
  // reference on the per-user values: θ from the within-arm (co)variances pooled over both arms (so the
  // treatment effect does not leak into θ), each arm adjusted around the pooled mean of x, then Welch
  let sxy = 0;
  let sxx = 0;
  for (const { x, y } of arms) {
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    x.forEach((xi, i) => {
      sxy += (xi - mx) * (y[i]! - my);
      sxx += (xi - mx) ** 2;
    });
  }
  const pooled = cupedAdjust([...arms[0]!.y, ...arms[1]!.y], [...arms[0]!.x, ...arms[1]!.x], {
    theta: sxy / sxx,
  });
  const adjusted = [pooled.adjusted.slice(0, 2000), pooled.adjusted.slice(2000)];
  const ref = welchTTest(summarize(adjusted[0]!), summarize(adjusted[1]!));
  assert.ok(Math.abs(got.diff - ref.diff) < 1e-9, `${got.diff} vs ${ref.diff}`);
  assert.ok(Math.abs(got.pValue - ref.pValue) < 1e-6, `${got.pValue} vs ${ref.pValue}`);
  assert.ok(got.varianceReduction > 0.8, `variance reduction ${got.varianceReduction}`);
});

test('outcomes on Redis keep the CUPED sums of the covariate', async (t) => {
  const { client, prefix } = await isolated(t);
  const outcomes = new OutcomeStore(client, { prefix });
  const exp = experiment();
  const at = '2026-11-29T10:00:00.000Z';
  for (const [user, x] of [
    ['a', 3],
    ['b', 0],
    ['c', 5],
  ] as const) {
    await outcomes.recordExposure({
      requestId: `r-${user}`,
      userId: user,
      assignments: [{ experimentId: exp.id, variant: 'control' }],
      segments: ['all'],
      itemCount: 10,
      latencyMs: 5,
      covariate: x,
    });
  }
  await outcomes.recordOutcome({
    eventId: 'c1',
    type: 'click',
    userId: 'a',
    requestId: 'r-a',
    timestamp: at,
  });
  await outcomes.recordOutcome({
    eventId: 'p1',
    type: 'purchase',
    userId: 'c',
    requestId: 'r-c',
    quantity: 2,
    price: 4,
    timestamp: at,
  });
  const c = (await outcomes.counts(exp.id, ['control'])).get('all')!.get('control')!;
  assert.deepEqual([c.sumX, c.sumX2, c.sumXClick, c.sumXBuyer, c.sumXRevenue], [8, 34, 3, 5, 40]);
});

test('the replay log keeps each served list with its request, products and clicked products', async (t) => {
  const { client, prefix } = await isolated(t);
  const outcomes = new OutcomeStore(client, { prefix });
  const exp = experiment();
  for (const [rid, user, variant] of [
    ['q1', 'u1', 'control'],
    ['q2', 'u2', 'treatment'],
  ] as const) {
    await outcomes.recordExposure({
      requestId: rid,
      userId: user,
      assignments: [{ experimentId: exp.id, variant }],
      segments: ['all'],
      itemCount: 2,
      latencyMs: 5,
      items: ['A', 'B'],
      request: JSON.stringify({ surface: 'HOME', limit: 2, context: {} }),
    });
  }
  await outcomes.recordOutcome({
    eventId: 'k1',
    type: 'click',
    userId: 'u2',
    requestId: 'q2',
    productId: 'B',
    timestamp: '2026-11-29T10:00:00.000Z',
  });
  const logs = await outcomes.loggedLists(exp.id);
  assert.deepEqual(
    logs.map((l) => [l.requestId, l.userId, l.variant, l.items, [...l.clicked]]),
    [
      ['q2', 'u2', 'treatment', ['A', 'B'], ['B']],
      ['q1', 'u1', 'control', ['A', 'B'], []],
    ],
  );
  assert.deepEqual(JSON.parse(logs[0]!.request), { surface: 'HOME', limit: 2, context: {} });
  assert.deepEqual(await outcomes.loggedLists('another'), []);
});
