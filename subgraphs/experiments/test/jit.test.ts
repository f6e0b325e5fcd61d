import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { HEADERS, createLogger } from '@recs/core';
import {
  OutcomeStore,
  createRedisExperimentStore,
  type Experiment,
  type ExperimentStore,
} from '@recs/experiments';
import { askedThrice, testRedis, unlinkPrefix } from '@recs/testkit/services';
import { buildExperimentsApp } from '../src/app';
import { ExperimentsService } from '../src/ExperimentsService';
import { SECRET, gqlOn, type Body } from './helpers';

/**
 * Mercurius runs an operation text interpreted (graphql-js) on its first use and compiled (graphql-jit)
 * from its second. Every field of every type this subgraph serves is asked three times with the same
 * text, on real Redis, and the three answers must be the same and free of errors.
 */
const MODEL = '20111109-000000-aaaaaaaa';
const prefix = `jit-exp-${randomBytes(6).toString('hex')}`;
const admin = {
  [HEADERS.principalKind]: 'service',
  [HEADERS.principalRole]: 'admin',
  [HEADERS.principalUser]: 'ops-key',
};
const meta = { actor: 'admin:seed', action: 'save', reason: 'seed', automatic: false };

/** Every field a variant config, a segment, a schedule, automation settings and a rollback can set. */
const FULL: Experiment = {
  id: 'jit-full',
  layer: 'jit-full',
  status: 'DRAFT',
  salt: 'salt-full',
  traffic: { from: 0, to: 100 },
  surfaces: ['HOME', 'PRODUCT'],
  variants: [
    { name: 'control', allocation: 40 },
    {
      name: 'treatment',
      allocation: 40,
      config: {
        modelVersion: MODEL,
        ranker: false,
        sourceWeights: { buy_again: 1.5, trending: 0.5 },
        rules: {
          marginBoost: 0.2,
          maxCategoryShare: 0.5,
          popularityDampening: 1,
          explorationSlots: 2,
          promotionShare: 0.1,
        },
      },
    },
    { name: 'rolled-back', allocation: 20, disabled: true },
  ],
  segment: { countries: ['DE'], devices: ['mobile'], newUsers: false, attributes: { tier: 'gold' } },
  schedule: { startAt: '2020-01-01T00:00:00Z', endAt: '2099-01-01T00:00:00Z' },
  automation: {
    promote: true,
    rollback: true,
    alpha: 0.05,
    minUsersPerVariant: 1000,
    maxCtrDrop: 0.1,
    maxEmptyListRate: 0.2,
    maxLatencyP95Ms: 300,
  },
};
/** Running on the cart, for everyone: in `User.experiments` and `Product.experiments`. */
const CART: Experiment = {
  id: 'jit-cart',
  layer: 'jit-cart',
  status: 'RUNNING',
  salt: 'salt-cart',
  traffic: { from: 0, to: 100 },
  surfaces: ['CART'],
  variants: [
    { name: 'a', allocation: 50 },
    { name: 'b', allocation: 50 },
  ],
};
const PROMOTED: Experiment = {
  ...CART,
  id: 'jit-promoted',
  layer: 'jit-promoted',
  status: 'PROMOTED',
  winner: 'b',
};

let app: FastifyInstance;
let redis: Redis;
let store: ExperimentStore;
before(async () => {
  const { url } = await testRedis();
  redis = new Redis(url, { maxRetriesPerRequest: 1 });
  store = createRedisExperimentStore(redis, prefix);
  const outcomes = new OutcomeStore(redis, { prefix });
  const logger = createLogger('experiments-test', 'silent');
  const service = new ExperimentsService(store, {
    outcomes,
    modelVersions: async () => new Set([MODEL]),
    log: logger,
  });
  app = await buildExperimentsApp({ service, gatewaySecret: SECRET, logger, automationIntervalSeconds: 0 });
  await app.ready();
  assert.equal(await service.importMissing([FULL, CART, PROMOTED]), 3);
  // a second audit entry of jit-full, with an experiment before and after
  await service.change('jit-full', (e) => ({ ...e!, status: 'RUNNING' }), meta);
  // six users per arm with covariates, clicks and purchases: comparisons with CUPED
  const ev = { timestamp: new Date().toISOString() };
  for (const variant of ['control', 'treatment']) {
    for (let u = 0; u < 6; u++) {
      const userId = `${variant}-${u}`;
      const requestId = `${prefix}-${userId}`;
      await outcomes.recordExposure({
        requestId,
        userId,
        assignments: [{ experimentId: 'jit-full', variant }],
        segments: ['all', 'country:DE'],
        itemCount: u === 0 ? 0 : 10,
        latencyMs: u === 5 ? 80 : 12,
        covariate: u + 1,
      });
      const clicks = variant === 'control' ? u % 2 === 0 : u % 3 !== 0;
      if (clicks)
        await outcomes.recordOutcome({ ...ev, eventId: `${requestId}-c`, type: 'click', userId, requestId });
      if (u >= 3) {
        await outcomes.recordOutcome({
          ...ev,
          eventId: `${requestId}-p`,
          type: 'purchase',
          userId,
          requestId,
          quantity: u - 2,
          price: variant === 'control' ? 4 : 5,
        });
      }
    }
  }
});
after(async () => {
  await app?.close();
  if (redis) {
    await unlinkPrefix(redis, prefix);
    redis.disconnect();
  }
});

const ask = (query: string, variables: Record<string, unknown>) => gqlOn(app, query, admin, variables);

/** Asks `query` three times with the same text: interpreted, then compiled twice. */
const thrice = (
  query: string,
  variables: (i: number) => Record<string, unknown> = () => ({}),
  normalise?: (body: Body) => unknown,
): Promise<Body> => askedThrice((i) => ask(query, variables(i)), normalise);

const EXPERIMENT = `id layer status salt trafficFrom trafficTo surfaces
  variants { name allocation disabled config { modelVersion ranker sourceWeights { source weight }
    rules { marginBoost maxCategoryShare popularityDampening explorationSlots promotionShare } } }
  segment { countries devices newUsers attributes { key value } }
  startAt endAt winner
  automation { promote rollback alpha minUsersPerVariant maxCtrDrop maxEmptyListRate maxLatencyP95Ms }`;
const COMPARISON = `metric control treatment diff lift pValue ciLower ciUpper sequentialPValue significant
  cuped { diff pValue ciLower ciUpper varianceReduction }`;
const DECISION = 'experimentId action variant reason auditId';

/** The answer with the run's numbered ids (`jit-save-1`) made alike. */
const numbered = (body: Body): unknown =>
  JSON.parse(JSON.stringify(body).replace(/jit-save-\d/g, 'jit-save-#'));

describe('the experiments subgraph answers the same interpreted and compiled (graphql-jit)', () => {
  test('Query.experiments and Query.experiment: every field of Experiment', async () => {
    const all = await thrice(`query All { experiments { ${EXPERIMENT} } }`);
    const list = all.data!.experiments as Record<string, unknown>[];
    assert.deepEqual(
      list.map((e) => e.id),
      ['jit-cart', 'jit-full', 'jit-promoted'],
    );
    const one = await thrice(`query One($id: ID!) { experiment(id: $id) { ${EXPERIMENT} } }`, () => ({
      id: 'jit-full',
    }));
    assert.deepEqual(one.data!.experiment, list[1]);
    assert.deepEqual(list[1], {
      id: 'jit-full',
      layer: 'jit-full',
      status: 'RUNNING',
      salt: 'salt-full',
      trafficFrom: 0,
      trafficTo: 100,
      surfaces: ['HOME', 'PRODUCT'],
      variants: [
        {
          name: 'control',
          allocation: 40,
          disabled: false,
          config: { modelVersion: null, ranker: null, sourceWeights: [], rules: null },
        },
        {
          name: 'treatment',
          allocation: 40,
          disabled: false,
          config: {
            modelVersion: MODEL,
            ranker: false,
            sourceWeights: [
              { source: 'buy_again', weight: 1.5 },
              { source: 'trending', weight: 0.5 },
            ],
            rules: FULL.variants[1]!.config!.rules,
          },
        },
        {
          name: 'rolled-back',
          allocation: 20,
          disabled: true,
          config: { modelVersion: null, ranker: null, sourceWeights: [], rules: null },
        },
      ],
      segment: {
        countries: ['DE'],
        devices: ['mobile'],
        newUsers: false,
        attributes: [{ key: 'tier', value: 'gold' }],
      },
      startAt: '2020-01-01T00:00:00Z',
      endAt: '2099-01-01T00:00:00Z',
      winner: null,
      automation: FULL.automation,
    });
    assert.equal((list[2] as { winner: string }).winner, 'b');
  });

  test('Query.experimentResults: every field of the results, comparisons and CUPED', async () => {
    const body = await thrice(
      `query Results($id: ID!, $segment: String) { experimentResults(id: $id, segment: $segment) {
        experimentId segment segments control alpha sampleRatioPValue sampleRatioMismatch minimumUsersPerVariant
        variants { name disabled users exposures impressions clicks clickUsers addToCarts purchases orders buyers
          revenue ctr conversion revenuePerUser averageOrderValue emptyListRate latencyP95Ms
          comparisons { ${COMPARISON} } }
        decision { ${DECISION} } } }`,
      () => ({ id: 'jit-full', segment: 'all' }),
    );
    const results = body.data!.experimentResults as {
      segments: string[];
      variants: { users: number; comparisons: { cuped: unknown }[] }[];
      decision: { action: string };
    };
    assert.deepEqual(results.segments, ['all', 'country:DE']);
    assert.deepEqual(
      results.variants.map((v) => v.users),
      [6, 6, 0],
    );
    assert.equal(results.variants[1]!.comparisons.length, 3);
    assert.ok(
      results.variants[1]!.comparisons.some((c) => c.cuped !== null),
      'a CUPED comparison',
    );
    assert.equal(results.decision.action, 'hold');
  });

  test('Query.experimentAudit: every field of an entry, with the experiment before and after', async () => {
    const body = await thrice(
      `query Audit($id: ID, $limit: Int) { experimentAudit(experimentId: $id, limit: $limit) {
        id at actor action experimentId automatic reason before { ${EXPERIMENT} } after { ${EXPERIMENT} } } }`,
      () => ({ id: 'jit-full', limit: 10 }),
    );
    const entries = body.data!.experimentAudit as {
      actor: string;
      before: unknown;
      after: { status: string };
    }[];
    assert.deepEqual(
      entries.map((e) => [e.actor, e.before === null, e.after.status]),
      [
        ['admin:seed', false, 'RUNNING'],
        ['file', true, 'DRAFT'],
      ],
    );
  });

  test('_entities: User.experiments and Product.experiments, every field', async () => {
    const body = await thrice(
      `query Entities($reps: [_Any!]!) { _entities(representations: $reps) { __typename
        ... on User { id experiments { experimentId layer variant } }
        ... on Product { id experiments { ${EXPERIMENT} } } } }`,
      () => ({
        reps: [
          { __typename: 'User', id: '17850' },
          { __typename: 'Product', id: '85123A' },
        ],
      }),
    );
    const [user, product] = body.data!._entities as {
      experiments: { experimentId?: string; id?: string }[];
    }[];
    assert.deepEqual(
      user!.experiments.map((a) => a.experimentId),
      ['jit-cart', 'jit-promoted'],
    );
    assert.deepEqual(
      product!.experiments.map((e) => e.id),
      ['jit-cart', 'jit-full'],
    );
  });

  test('Mutation.saveExperiment, setExperimentStatus and revertExperimentChange: fresh experiments, the same answers', async () => {
    const input = (i: number) => ({
      id: `jit-save-${i}`,
      layer: `jit-save-${i}`,
      status: 'DRAFT',
      trafficFrom: 10,
      trafficTo: 90,
      surfaces: ['SEARCH', 'EMAIL'],
      variants: [
        { name: 'control', allocation: 50 },
        {
          name: 'treatment',
          allocation: 50,
          config: {
            modelVersion: MODEL,
            ranker: true,
            sourceWeights: [{ source: 'ease', weight: 2 }],
            rules: {
              marginBoost: 1,
              maxCategoryShare: 0.3,
              popularityDampening: 0.5,
              explorationSlots: 1,
              promotionShare: 0.2,
            },
          },
        },
      ],
      segment: {
        countries: ['gb'],
        devices: ['desktop'],
        newUsers: true,
        attributes: [{ key: 'k', value: 'v' }],
      },
      startAt: '2024-02-29T00:00:00Z',
      endAt: '2098-01-01T00:00:00Z',
      automation: { promote: false, rollback: true, alpha: 0.1, minUsersPerVariant: 10 },
    });
    const saved = await thrice(
      `mutation Save($input: ExperimentInput!) { saveExperiment(input: $input) { ${EXPERIMENT} } }`,
      (i) => ({ input: input(i) }),
      numbered,
    );
    const experiment = saved.data!.saveExperiment as { salt: string; segment: { countries: string[] } };
    assert.equal(experiment.salt, 'jit-save-0');
    assert.deepEqual(experiment.segment.countries, ['GB']);

    const promoted = await thrice(
      `mutation Status($id: ID!, $winner: String) {
        setExperimentStatus(id: $id, status: PROMOTED, winner: $winner) { ${EXPERIMENT} } }`,
      (i) => ({ id: `jit-save-${i}`, winner: 'treatment' }),
      numbered,
    );
    assert.deepEqual(promoted.data!.setExperimentStatus, {
      ...(saved.data!.saveExperiment as object),
      status: 'PROMOTED',
      winner: 'treatment',
    });

    const audits = await Promise.all(
      [0, 1, 2].map(async (i) => (await store.audit({ experimentId: `jit-save-${i}`, limit: 1 }))[0]!.id),
    );
    const reverted = await thrice(
      `mutation Revert($auditId: ID!) { revertExperimentChange(auditId: $auditId) { ${EXPERIMENT} } }`,
      (i) => ({ auditId: audits[i] }),
      numbered,
    );
    assert.deepEqual(reverted.data!.revertExperimentChange, saved.data!.saveExperiment);
  });

  test('Mutation.runExperimentAutomation: every field of a decision', async () => {
    const body = await thrice(`mutation Automate { runExperimentAutomation { ${DECISION} } }`);
    const decisions = body.data!.runExperimentAutomation as { experimentId: string; action: string }[];
    assert.deepEqual(
      decisions.map((d) => [d.experimentId, d.action]),
      [
        ['jit-cart', 'hold'],
        ['jit-full', 'hold'],
      ],
    );
  });
});
