import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { HEADERS, createLogger } from '@recs/core';
import { ExperimentConfigError, validateExperiments, type Experiment } from '@recs/experiments';
import { buildExperimentsApp } from '../src/app';

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
  app = await buildExperimentsApp({
    experiments: EXPERIMENTS,
    gatewaySecret: SECRET,
    logger: createLogger('experiments-test', 'silent'),
  });
});
after(async () => {
  await app?.close();
});

type Body = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};
async function query(query: string, headers: Record<string, string>): Promise<Body> {
  const res = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', [HEADERS.gatewaySecret]: SECRET, ...headers },
    payload: { query },
  });
  return res.json() as Body;
}
const service = { [HEADERS.principalKind]: 'service', [HEADERS.principalRole]: 'service' };
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

  test('an unknown surface is a configuration error naming it', () => {
    assert.throws(
      () => validateExperiments([{ ...EXPERIMENTS[0]!, surfaces: ['CHECKOUT' as 'CART'] }]),
      (e: unknown) => e instanceof ExperimentConfigError && /unknown surface "CHECKOUT"/.test(e.message),
    );
  });
});
