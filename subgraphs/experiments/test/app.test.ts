import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { HEADERS, createLogger } from '@recs/core';
import {
  ExperimentConfigError,
  createMemoryExperimentStore,
  validateExperiments,
  type Experiment,
} from '@recs/experiments';
import { buildExperimentsApp } from '../src/app';
import { ExperimentsService } from '../src/ExperimentsService';

const SECRET = 'test-gateway-secret';
const EXPERIMENTS: Experiment[] = [
  {
    id: 'cart-ranker',
    layer: 'ranking',
    status: 'RUNNING',
    salt: 's1',
    traffic: { from: 0, to: 50 },
    surfaces: ['CART'],
    variants: [
      { name: 'control', allocation: 50 },
      { name: 'ranker', allocation: 50 },
    ],
  },
  {
    id: 'home-layout',
    layer: 'layout',
    status: 'RUNNING',
    salt: 's2',
    traffic: { from: 0, to: 100 },
    surfaces: ['HOME'],
    variants: [{ name: 'control', allocation: 100 }],
  },
  {
    id: 'everywhere-draft',
    layer: 'ranking',
    status: 'DRAFT',
    salt: 's3',
    traffic: { from: 50, to: 100 },
    variants: [{ name: 'control', allocation: 100 }],
  },
];

let app: FastifyInstance;
before(async () => {
  const logger = createLogger('experiments-test', 'silent');
  app = await buildExperimentsApp({
    service: new ExperimentsService(createMemoryExperimentStore(EXPERIMENTS), {
      log: logger,
      modelVersions: async () => new Set(['20111109-000000-aaaaaaaa']),
    }),
    gatewaySecret: SECRET,
    logger,
    automationIntervalSeconds: 0,
  });
});
after(async () => {
  await app?.close();
});

type Body = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};
async function query(
  query: string,
  headers: Record<string, string>,
  variables?: Record<string, unknown>,
): Promise<Body> {
  const res = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', [HEADERS.gatewaySecret]: SECRET, ...headers },
    payload: { query, variables },
  });
  return res.json() as Body;
}
const service = { [HEADERS.principalKind]: 'service', [HEADERS.principalRole]: 'service' };
const admin = {
  [HEADERS.principalKind]: 'service',
  [HEADERS.principalRole]: 'admin',
  [HEADERS.principalUser]: 'ops-key',
};
const SAVE = `mutation ($input: ExperimentInput!) { saveExperiment(input: $input) {
  id status salt trafficFrom trafficTo segment { countries devices newUsers attributes { key value } }
  variants { name allocation disabled config { modelVersion ranker sourceWeights { source weight } rules { marginBoost } } }
  automation { minUsersPerVariant maxCtrDrop } } }`;
const shopper = { [HEADERS.principalKind]: 'user', [HEADERS.principalUser]: '17850' };
const PRODUCT_ENTITY = `{ _entities(representations: [{ __typename: "Product", id: "85123A" }]) {
  ... on Product { id experiments { id surfaces } } } }`;

describe('experiments subgraph', () => {
  test('Product.experiments lists running experiments on the PRODUCT or CART surface', async () => {
    const body = await query(PRODUCT_ENTITY, service);
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data, {
      _entities: [{ id: '85123A', experiments: [{ id: 'cart-ranker', surfaces: ['CART'] }] }],
    });
  });

  test('Experiment.surfaces defaults to every surface', async () => {
    const body = await query('{ experiments { id surfaces } }', service);
    const draft = (body.data!.experiments as { id: string; surfaces: string[] }[]).find(
      (e) => e.id === 'everywhere-draft',
    );
    assert.deepEqual(draft?.surfaces, ['HOME', 'PRODUCT', 'CART', 'SEARCH', 'EMAIL', 'PUSH']);
  });

  test('a shopper token may not list experiments through a product', async () => {
    const body = await query(PRODUCT_ENTITY, shopper);
    assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  test('a shopper sees their own sticky assignments, and not another user’s', async () => {
    const own = `{ _entities(representations: [{ __typename: "User", id: "17850" }]) { ... on User { experiments { experimentId variant } } } }`;
    const first = await query(own, shopper);
    assert.equal(first.errors, undefined);
    assert.deepEqual(await query(own, shopper), first, 'assignment is sticky');
    const other = await query(own.replace('17850', '12347'), shopper);
    assert.equal(other.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  test('a request without the gateway secret is refused', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...service },
      payload: { query: '{ experiments { id } }' },
    });
    assert.ok(res.statusCode === 401 || res.statusCode === 403, `status ${res.statusCode}`);
  });

  test('a percent-encoded path to /graphql is refused without the gateway secret too', async () => {
    // The router decodes `/%67raphql` to `/graphql`: the check must follow the route, not the URL.
    for (const url of [
      '/%67raphql',
      '/%67raphql?query=%7B%20experiments%20%7B%20id%20%7D%20%7D',
      '/graphql/',
    ]) {
      const res = await app.inject({
        method: url.includes('?') ? 'GET' : 'POST',
        url,
        headers: { 'content-type': 'application/json', ...service },
        ...(url.includes('?') ? {} : { payload: { query: '{ experiments { id } }' } }),
      });
      assert.equal(res.statusCode, 401, `${url}: status ${res.statusCode} ${res.body}`);
    }
    const health = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
  });

  test('an admin saves an experiment; the change is validated, audited and reversible', async () => {
    const input = {
      id: 'source-weights',
      layer: 'weights',
      status: 'RUNNING',
      segment: { countries: ['de'], newUsers: false, attributes: [{ key: 'tier', value: 'gold' }] },
      variants: [
        { name: 'control', allocation: 50 },
        {
          name: 'buy-again-up',
          allocation: 50,
          config: {
            modelVersion: '20111109-000000-aaaaaaaa',
            ranker: true,
            sourceWeights: [{ source: 'buy_again', weight: 1.5 }],
            rules: { marginBoost: 0.2 },
          },
        },
      ],
      automation: { minUsersPerVariant: 200 },
    };
    assert.equal((await query(SAVE, service, { input })).errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const saved = await query(SAVE, admin, { input });
    assert.equal(saved.errors, undefined, JSON.stringify(saved.errors));
    assert.deepEqual(saved.data!.saveExperiment, {
      id: 'source-weights',
      status: 'RUNNING',
      salt: 'source-weights',
      trafficFrom: 0,
      trafficTo: 100,
      segment: {
        countries: ['DE'],
        devices: null,
        newUsers: false,
        attributes: [{ key: 'tier', value: 'gold' }],
      },
      variants: [
        {
          name: 'control',
          allocation: 50,
          disabled: false,
          config: { modelVersion: null, ranker: null, sourceWeights: [], rules: null },
        },
        {
          name: 'buy-again-up',
          allocation: 50,
          disabled: false,
          config: {
            modelVersion: '20111109-000000-aaaaaaaa',
            ranker: true,
            sourceWeights: [{ source: 'buy_again', weight: 1.5 }],
            rules: { marginBoost: 0.2 },
          },
        },
      ],
      automation: { minUsersPerVariant: 200, maxCtrDrop: 0.05 },
    });
    // every problem of the resulting set, with a code
    const bad = await query(SAVE, admin, {
      input: {
        ...input,
        id: 'bad',
        layer: 'ranking',
        variants: [
          {
            name: 'a',
            allocation: 70,
            config: { modelVersion: 'nope', sourceWeights: [{ source: 'x', weight: 1 }] },
          },
        ],
      },
    });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    for (const problem of [
      /sum to 100/,
      /model version "nope"/,
      /unknown source "x"/,
      /overlap in layer ranking/,
    ]) {
      assert.match(bad.errors![0]!.message, problem);
    }
    const stop = await query(
      'mutation { setExperimentStatus(id: "source-weights", status: STOPPED) { status } }',
      admin,
    );
    assert.deepEqual(stop.data, { setExperimentStatus: { status: 'STOPPED' } });
    const audit = await query(
      '{ experimentAudit(experimentId: "source-weights") { id actor action automatic before { status } after { status } } }',
      service,
    );
    const entries = audit.data!.experimentAudit as {
      id: string;
      actor: string;
      action: string;
      before: unknown;
      after: unknown;
    }[];
    assert.deepEqual(
      entries.map((e) => [e.actor, e.action, e.before, e.after]),
      [
        ['admin:ops-key', 'status', { status: 'RUNNING' }, { status: 'STOPPED' }],
        ['admin:ops-key', 'save', null, { status: 'RUNNING' }],
      ],
    );
    const reverted = await query(
      `mutation { revertExperimentChange(auditId: "${entries[0]!.id}") { status } }`,
      admin,
    );
    assert.deepEqual(reverted.data, { revertExperimentChange: { status: 'RUNNING' } });
    // the undone change cannot be undone twice: the experiment moved on
    const again = await query(
      `mutation { revertExperimentChange(auditId: "${entries[0]!.id}") { status } }`,
      admin,
    );
    assert.equal(again.errors?.[0]?.extensions?.code, 'CONFLICT');
  });

  test('results need the outcome counters on Redis and say so', async () => {
    const body = await query('{ experimentResults(id: "cart-ranker") { control } }', service);
    assert.equal(body.errors?.[0]?.extensions?.code, 'BACKEND_UNAVAILABLE');
    assert.match(body.errors![0]!.message, /REDIS_URL/);
  });

  test('without a shared store, changes are refused with the reason (the file still imports)', async () => {
    const readOnly = new ExperimentsService(createMemoryExperimentStore(), {
      log: createLogger('experiments-test', 'silent'),
      readOnly: 'experiment changes need REDIS_URL',
    });
    assert.equal(await readOnly.importMissing(EXPERIMENTS), 3);
    await assert.rejects(
      readOnly.change('x', () => null, { actor: 'admin:k', action: 'save', reason: '', automatic: false }),
      (err: Error & { code?: string }) => /need REDIS_URL/.test(err.message),
    );
  });

  test('an unknown surface is a configuration error naming it', () => {
    assert.throws(
      () => validateExperiments([{ ...EXPERIMENTS[0]!, surfaces: ['CHECKOUT' as 'CART'] }]),
      (e: unknown) => e instanceof ExperimentConfigError && /unknown surface "CHECKOUT"/.test(e.message),
    );
  });
});
