/**
 * Experiments in the serving path, end to end on real Redis: an admin creates an experiment through the
 * gateway, the recommendations subgraph picks it up without a restart and serves each shopper their
 * variant's configuration, logs one exposure per served list (cache hits included) under the list's
 * requestId, the experiments subgraph's consumer group attributes the shopper's events to it, and the
 * automation promotes a winner or rolls a harmful variant back, audited and reversible. The shoppers
 * are the seeded simulator with known true click rates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assign, type Experiment } from '@recs/experiments';
import { simulateShoppers, startStack, testRedis, type Stack } from '@recs/testkit';
import { replayExperiment } from '@recs/subgraph-recommendations';

let stack: Stack;
let admin: Record<string, string>;
before(async () => {
  stack = await startStack({ redisUrl: (await testRedis()).url, cacheTtlSeconds: 30 });
  admin = { 'x-api-key': stack.adminKey };
});
after(async () => {
  await stack?.stop();
});

const SAVE = `mutation ($input: ExperimentInput!) { saveExperiment(input: $input) { id status } }`;
const LIST = `query ($id: ID!) { user(id: $id) { recommendations(surface: HOME, limit: 10) {
  requestId experiment variant experiments { experimentId variant } fallback items { product { id } explain { sources } } } } }`;
const RESULTS = `query ($id: ID!, $segment: String) { experimentResults(id: $id, segment: $segment) {
  segments control sampleRatioMismatch
  variants { name disabled users exposures clicks clickUsers purchases orders buyers revenue ctr conversion
    revenuePerUser emptyListRate latencyP95Ms comparisons { metric diff sequentialPValue significant cuped { diff pValue varianceReduction } } }
  decision { action variant reason } } }`;
const AUTOMATE = `mutation { runExperimentAutomation { experimentId action variant reason auditId } }`;

type List = {
  requestId: string;
  experiment: string | null;
  variant: string | null;
  experiments: { experimentId: string; variant: string }[];
  fallback: boolean;
  items: { product: { id: string }; explain: { sources: string[] } }[];
};
type Results = {
  segments: string[];
  control: string;
  sampleRatioMismatch: boolean;
  variants: {
    name: string;
    disabled: boolean;
    users: number;
    exposures: number;
    clicks: number;
    clickUsers: number;
    purchases: number;
    orders: number;
    buyers: number;
    revenue: number;
    ctr: number;
    conversion: number;
    revenuePerUser: number;
    emptyListRate: number;
    latencyP95Ms: number | null;
    comparisons: {
      metric: string;
      diff: number;
      sequentialPValue: number;
      significant: boolean;
      cuped: { diff: number; pValue: number; varianceReduction: number } | null;
    }[];
  }[];
  decision: { action: string; variant: string | null; reason: string };
};

async function ok<T>(
  body: { query: string; variables?: Record<string, unknown> },
  headers?: Record<string, string>,
): Promise<T> {
  const res = await stack.query(body, headers);
  assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
  return res.body.data as T;
}
const list = async (id: string): Promise<List> =>
  (await ok<{ user: { recommendations: List } }>({ query: LIST, variables: { id } })).user.recommendations;
const results = async (id: string): Promise<Results> =>
  (await ok<{ experimentResults: Results }>({ query: RESULTS, variables: { id } })).experimentResults;

/** Polls until `done` holds (the serving snapshot refreshes every 100 ms; attribution is a consumer group). */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() - start > ms) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const experiment = (id: string, layer: string, treatment: Record<string, unknown>, min = 100) => ({
  id,
  layer,
  status: 'RUNNING',
  surfaces: ['HOME'],
  variants: [
    { name: 'control', allocation: 50 },
    { name: 'treatment', allocation: 50, config: treatment },
  ],
  automation: { minUsersPerVariant: min, maxLatencyP95Ms: 5000 },
});

describe('experiments in the serving path', () => {
  test('variants are served from the shared store, exposures logged per list, outcomes attributed by requestId', async () => {
    await ok(
      { query: SAVE, variables: { input: experiment('no-ranker', 'exp-a', { ranker: false }) } },
      admin,
    );
    const stored = (await stack.experimentStore.list()).experiments.find(
      (e) => e.id === 'no-ranker',
    ) as Experiment;
    // the subgraph serves it without a restart
    const first = await eventually(
      () => list('17850'),
      (l) => l.experiment === 'no-ranker',
    );
    const expected = assign('17850', [stored], {}, 'HOME')[0]!.variant;
    assert.equal(first.variant, expected, 'the API serves the deterministic assignment');
    // each variant's configuration is really served: the treatment has no learned sources
    const users = ['12347', '12348', '12352', '13047', '14911', '15311', '16029', '17511', '18102', '12583'];
    const lists = new Map<string, List>();
    for (const u of users) lists.set(u, await list(u));
    for (const [u, l] of lists) {
      assert.equal(l.variant, assign(u, [stored], {}, 'HOME')[0]!.variant, u);
      const sources = new Set(l.items.flatMap((i) => i.explain.sources));
      if (l.variant === 'treatment') {
        for (const s of sources) {
          assert.ok(['popularity', 'cooccurrence_graph', 'exploration'].includes(s), `${u}: ${s}`);
        }
      }
    }
    assert.ok(new Set([...lists.values()].map((l) => l.variant)).size === 2, 'both variants served');
    // a cache hit is an exposure too, with a request id of its own
    const again = await list('17850');
    assert.notEqual(again.requestId, first.requestId);
    // outcomes: a click and a purchase on the first list; a foreign click (another user's list) is not counted
    const at = new Date().toISOString();
    const product = first.items[0]!.product.id;
    const RECORD = `mutation ($events: [EventInput!]!) { recordEvents(events: $events) { accepted rejected { message } } }`;
    const recorded = await ok<{ recordEvents: { accepted: number } }>({
      query: RECORD,
      variables: {
        events: [
          {
            eventId: 'x-click',
            type: 'CLICK',
            userId: '17850',
            productId: product,
            requestId: first.requestId,
            timestamp: at,
          },
          {
            eventId: 'x-buy',
            type: 'PURCHASE',
            userId: '17850',
            productId: product,
            quantity: 2,
            price: 3.5,
            requestId: again.requestId,
            timestamp: at,
          },
          {
            eventId: 'x-foreign',
            type: 'CLICK',
            userId: '12347',
            productId: product,
            requestId: first.requestId,
            timestamp: at,
          },
        ],
      },
    });
    assert.equal(recorded.recordEvents.accepted, 3);
    const r = await eventually(
      () => results('no-ranker'),
      (x) => x.variants.some((v) => v.purchases === 1),
    );
    const mine = r.variants.find((v) => v.name === expected)!;
    const exposedUsers = [...lists.entries()].filter(([, l]) => l.variant === expected).length + 1;
    assert.equal(mine.users, exposedUsers);
    assert.equal(mine.exposures, exposedUsers + 1, '17850 was served twice (once from the cache)');
    assert.equal(mine.clicks, 1, 'the foreign click is not attributed');
    assert.equal(mine.clickUsers, 1);
    assert.equal(mine.purchases, 1);
    assert.equal(mine.revenue, 7);
    assert.ok(mine.latencyP95Ms !== null && mine.latencyP95Ms > 0);
    assert.ok(r.segments.includes('all') && r.segments.includes('user:returning'), r.segments.join());
    // the shoppers are customers of the training data: CUPED adjusts on their earlier purchases
    const treatment = r.variants.find((v) => v.name === 'treatment')!;
    const ctr = treatment.comparisons.find((c) => c.metric === 'ctr')!;
    assert.ok(ctr.cuped, JSON.stringify(treatment.comparisons));
    assert.equal(r.decision.action, 'hold');
    assert.match(r.decision.reason, /waiting for 100 users per variant/);
    // offline replay over the logged lists: every list the experiment served, with its click
    const replay = await replayExperiment({
      experiment: stored,
      outcomes: stack.outcomes!,
      recommender: stack.recommender,
      candidate: { sourceWeights: { popularity: 1.5 } },
    });
    assert.equal(replay.lists, users.length + 2);
    assert.equal(
      Object.values(replay.observed).reduce((s, o) => s + o.clicks, 0),
      1,
      'the one attributed click, on the product clicked',
    );
    assert.ok(replay.coverage > 0 && replay.coverage <= 1);
    assert.ok(replay.estimate.effectiveSampleSize > 0);
    await ok(
      { query: 'mutation { setExperimentStatus(id: "no-ranker", status: STOPPED) { status } }' },
      admin,
    );
    const off = await eventually(
      () => list('17850'),
      (l) => l.experiment === null,
    );
    assert.equal(off.variant, null);
    // outside any experiment the list goes to the impression log, with its request id and products
    const logged = await eventually(
      () => stack.outcomes!.recentImpressions(50),
      (rows) => rows.some((row) => row.requestId === off.requestId),
    );
    const row = logged.find((x) => x.requestId === off.requestId)!;
    assert.deepEqual(
      row.items,
      off.items.map((i) => i.product.id),
    );
    assert.equal(row.surface, 'HOME');
  });

  test('simulation: two experiments at once; the lift is promoted, the harmful one rolled back, audited and reversible', async () => {
    // two layers, so every shopper is in both; the true click rate multiplies both effects:
    // 15% x 3 in lift's treatment x 0.2 in harm's treatment
    await ok(
      {
        query: SAVE,
        variables: {
          input: experiment('lift', 'exp-b', { sourceWeights: [{ source: 'popularity', weight: 2 }] }),
        },
      },
      admin,
    );
    await ok({ query: SAVE, variables: { input: experiment('harm', 'exp-c', { ranker: false }) } }, admin);
    await eventually(
      () => list('sim-probe-1'),
      (l) => l.experiments.length === 2,
    );
    const run = await simulateShoppers(stack, {
      users: 800,
      seed: 1,
      userPrefix: 'both',
      clickRate: (served) => {
        const variant = (id: string) => served.find((s) => s.experimentId === id)?.variant;
        return 0.15 * (variant('lift') === 'treatment' ? 3 : 1) * (variant('harm') === 'treatment' ? 0.2 : 1);
      },
    });
    assert.equal(run.failedRequests, 0);
    assert.equal(run.rejectedEvents, 0);
    const sent = Object.values(run.clicks).reduce((a, n) => a + n, 0);
    // every click is attributed to both experiments the list was served under
    for (const id of ['lift', 'harm']) {
      const r = await eventually(
        () => results(id),
        (x) => x.variants.reduce((a, v) => a + v.clicks, 0) >= sent,
      );
      assert.equal(
        r.variants.reduce((a, v) => a + v.clicks, 0),
        sent,
        `${id}: every click once`,
      );
      assert.equal(
        r.variants.reduce((a, v) => a + v.users, 0),
        801,
        `${id}: every shopper once (800 and the probe)`,
      );
      assert.equal(r.sampleRatioMismatch, false);
    }
    const decisions = await ok<{
      runExperimentAutomation: {
        experimentId: string;
        action: string;
        variant: string;
        reason: string;
        auditId: string;
      }[];
    }>({ query: AUTOMATE }, admin);
    const of = (id: string) => decisions.runExperimentAutomation.find((d) => d.experimentId === id)!;
    assert.equal(of('lift').action, 'promote', JSON.stringify(decisions));
    assert.equal(of('lift').variant, 'treatment');
    assert.equal(of('harm').action, 'rollback', JSON.stringify(decisions));
    assert.equal(of('harm').variant, 'treatment');
    assert.match(of('harm').reason, /CTR -\d+\.\d% vs control/);
    const status = await ok<{ experiment: { status: string; winner: string } }>({
      query: '{ experiment(id: "lift") { status winner } }',
    });
    assert.deepEqual(status.experiment, { status: 'PROMOTED', winner: 'treatment' });
    const harm = await ok<{
      experiment: { status: string; variants: { name: string; disabled: boolean }[] };
    }>({
      query: '{ experiment(id: "harm") { status variants { name disabled } } }',
    });
    assert.equal(harm.experiment.status, 'STOPPED', 'no treatment left: stopped');
    assert.deepEqual(
      harm.experiment.variants.map((v) => v.disabled),
      [false, true],
    );
    // once promoted and stopped, nothing is logged for these shoppers
    const after = await eventually(
      () => list('both-1-0'),
      (l) => l.experiment === null,
    );
    assert.equal(after.variant, null);
    const audit = await ok<{
      experimentAudit: { id: string; actor: string; action: string; automatic: boolean }[];
    }>({
      query: '{ experimentAudit(experimentId: "lift") { id actor action automatic } }',
    });
    assert.deepEqual(audit.experimentAudit[0], {
      id: of('lift').auditId,
      actor: 'automation',
      action: 'promote',
      automatic: true,
    });
    const undo = await ok<{ revertExperimentChange: { status: string } }>(
      { query: `mutation { revertExperimentChange(auditId: "${of('lift').auditId}") { status } }` },
      admin,
    );
    assert.equal(undo.revertExperimentChange.status, 'RUNNING');
    await ok({ query: 'mutation { setExperimentStatus(id: "lift", status: STOPPED) { status } }' }, admin);
    console.log(
      `# simulation: ${JSON.stringify(run.served)} lists, clicks ${JSON.stringify(run.clicks)} in ${run.ms} ms; ${JSON.stringify(decisions.runExperimentAutomation.map((d) => [d.experimentId, d.action]))}`,
    );
  });
});
