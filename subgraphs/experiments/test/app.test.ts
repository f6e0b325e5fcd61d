import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
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
import { SECRET, gqlOn } from './helpers';

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

const query = (text: string, headers: Record<string, string>, variables?: Record<string, unknown>) =>
  gqlOn(app, text, headers, variables);
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

describe('saveExperiment range-checks automation settings and parses schedules strictly', () => {
  const SAVE_SETTINGS = `mutation ($input: ExperimentInput!) { saveExperiment(input: $input) {
    id startAt endAt
    automation { promote rollback alpha minUsersPerVariant maxCtrDrop maxEmptyListRate maxLatencyP95Ms } } }`;
  const input = (over: Record<string, unknown>) => ({
    id: 'settings',
    layer: 'settings',
    status: 'DRAFT',
    variants: [
      { name: 'control', allocation: 50 },
      { name: 'treatment', allocation: 50 },
    ],
    ...over,
  });
  const stored = async (): Promise<unknown> =>
    (await query('{ experiment(id: "settings") { id } }', service)).data?.experiment;

  // the audit's values, and one past each end of every other setting
  const bad: [Record<string, unknown>, string, RegExp][] = [
    [
      { automation: { alpha: 2 } },
      'input.automation.alpha',
      /must be a number in \(0, 0\.5\].*; received 2$/,
    ],
    [{ automation: { alpha: -1 } }, 'input.automation.alpha', /; received -1$/],
    [{ automation: { alpha: 0 } }, 'input.automation.alpha', /; received 0$/],
    [{ automation: { alpha: 0.95 } }, 'input.automation.alpha', /not a confidence level.*; received 0\.95$/],
    [
      { automation: { minUsersPerVariant: -5 } },
      'input.automation.minUsersPerVariant',
      /must be an integer in \[1, 2147483647\]; received -5$/,
    ],
    [{ automation: { minUsersPerVariant: 0 } }, 'input.automation.minUsersPerVariant', /; received 0$/],
    [
      { automation: { maxCtrDrop: -3 } },
      'input.automation.maxCtrDrop',
      /must be a number in \[0, 1\].*; received -3$/,
    ],
    [{ automation: { maxCtrDrop: 1.01 } }, 'input.automation.maxCtrDrop', /; received 1\.01$/],
    [{ automation: { maxEmptyListRate: -0.5 } }, 'input.automation.maxEmptyListRate', /; received -0\.5$/],
    [{ automation: { maxEmptyListRate: 2 } }, 'input.automation.maxEmptyListRate', /; received 2$/],
    [
      { automation: { maxLatencyP95Ms: 0 } },
      'input.automation.maxLatencyP95Ms',
      /must be a number in \[5, 60000\].*; received 0$/,
    ],
    [
      { automation: { maxLatencyP95Ms: 86_400_000 } },
      'input.automation.maxLatencyP95Ms',
      /; received 86400000$/,
    ],
    [
      { startAt: '2011-02-30T00:00:00Z' },
      'input.startAt',
      /must be an ISO 8601 date-time with a time zone and a real calendar date.*; received "2011-02-30T00:00:00Z"$/,
    ],
    [{ endAt: '2025-06-31T00:00:00Z' }, 'input.endAt', /; received "2025-06-31T00:00:00Z"$/],
    [{ startAt: '2025-06-01T00:00:00' }, 'input.startAt', /with a time zone/],
    [{ startAt: '' }, 'input.startAt', /; received ""$/],
    [
      { startAt: '2025-06-02T00:00:00Z', endAt: '2025-06-01T00:00:00Z' },
      'input.endAt',
      /must be after startAt "2025-06-02T00:00:00Z"; received "2025-06-01T00:00:00Z"$/,
    ],
  ];
  for (const [over, argument, message] of bad) {
    test(`${JSON.stringify(over)} is BAD_USER_INPUT naming ${argument} and the value, and not stored`, async () => {
      const body = await query(SAVE_SETTINGS, admin, { input: input(over) });
      const error = body.errors?.[0];
      assert.equal(error?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(body));
      assert.equal(error.extensions.argument, argument);
      assert.ok(error.message.startsWith(`${argument} `), error.message);
      assert.match(error.message, message);
      assert.equal(await stored(), null);
    });
  }

  test('every problem of the input is reported at once', async () => {
    const body = await query(SAVE_SETTINGS, admin, {
      input: input({ startAt: '2011-02-30T00:00:00Z', automation: { alpha: 2, minUsersPerVariant: -5 } }),
    });
    const message = body.errors?.[0]?.message ?? '';
    assert.deepEqual(
      message.split('\n').map((line) => line.split(' ')[0]),
      ['input.startAt', 'input.automation.alpha', 'input.automation.minUsersPerVariant'],
      message,
    );
  });

  test('settings at their bounds and a real schedule are saved', async () => {
    const automation = {
      promote: false,
      rollback: true,
      alpha: 0.5,
      minUsersPerVariant: 1,
      maxCtrDrop: 1,
      maxEmptyListRate: 0,
      maxLatencyP95Ms: 5,
    };
    const schedule = { startAt: '2024-02-29T00:00:00Z', endAt: '2024-03-01T00:30:00+01:00' };
    const body = await query(SAVE_SETTINGS, admin, { input: input({ ...schedule, automation }) });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.deepEqual(body.data!.saveExperiment, { id: 'settings', ...schedule, automation });
  });

  test('an import (the file path of the service) is held to the same ranges', async () => {
    const imports = new ExperimentsService(createMemoryExperimentStore(), {
      log: createLogger('experiments-test', 'silent'),
    });
    await assert.rejects(
      imports.importMissing([{ ...EXPERIMENTS[1]!, automation: { minUsersPerVariant: -5 } }]),
      (err: unknown) =>
        err instanceof ExperimentConfigError &&
        /experiment home-layout: automation\.minUsersPerVariant must be an integer .*; received -5/.test(
          err.message,
        ),
    );
  });

  test('the server does not start from an EXPERIMENTS_FILE with an out-of-range setting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'experiments-main-'));
    try {
      const file = join(dir, 'experiments.json');
      await writeFile(
        file,
        JSON.stringify([
          { ...EXPERIMENTS[1]!, automation: { alpha: 2 }, schedule: { startAt: '2011-02-30T00:00:00Z' } },
        ]),
      );
      const root = join(dirname(fileURLToPath(import.meta.url)), '..');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        GATEWAY_SECRET: SECRET,
        EXPERIMENTS_FILE: file,
        EXPERIMENTS_PORT: '0',
        LOG_LEVEL: 'error',
        WORKERS: '1',
      };
      // the embedded start: no Redis to reach; and the child is a server, not a test file
      delete env.REDIS_URL;
      delete env.NODE_TEST_CONTEXT;
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'main.ts')], {
        cwd: root,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearTimeout(timer);
      assert.notEqual(code, 0, stderr);
      assert.notEqual(code, null, `still running after 30 s: ${stderr}`);
      assert.ok(stderr.includes(`EXPERIMENTS_FILE ${file} is not a valid experiment set:`), stderr);
      assert.match(
        stderr,
        /experiment home-layout: automation\.alpha must be a number in \(0, 0\.5\].*; received 2/,
      );
      assert.match(stderr, /experiment home-layout: schedule\.startAt .*; received "2011-02-30T00:00:00Z"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
