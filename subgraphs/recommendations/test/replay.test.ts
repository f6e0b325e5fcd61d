// The offline replay command end to end on real Redis: an experiment and its logged lists in the
// default key space the servers use, then `npm run replay` with a candidate configuration.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import {
  OutcomeStore,
  createRedisExperimentStore,
  validateExperiments,
  type Experiment,
} from '@recs/experiments';
import { cliProblems, freePort, testRedis } from '@recs/testkit';
import { trainedRegistry } from '@recs/testkit/registry';
import { createMemoryFeatureStore } from '@recs/feature-store';
import { ModelRegistry, promotedVersion } from '@recs/pipeline';
import { batchRecommender } from '../src/batchCli';
import { parseRecommendationRequest } from '../src/RecommendationRequest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'recs-replay-'));
const ID = `replay-${process.pid}`;
/** An experiment of the bad-input test: a variant on a model version replay does not serve. */
const BAD = `${ID}-bad`;
let client: Redis | undefined;
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (client) {
    // this test's experiment and lists only (other tests keep to prefixes of their own)
    const keys = await client.keys(`recs-exp:*${ID}*`);
    if (keys.length) await client.del(...keys);
    await client.hdel('recs-exp:experiments', ID, BAD);
    client.disconnect();
  }
});

/** Stores a 50/50 experiment `id` (its own layer and salt): a control and `treatment`. */
async function createExperiment(
  redis: Redis,
  id: string,
  status: Experiment['status'],
  treatment: Experiment['variants'][number],
) {
  await createRedisExperimentStore(redis).change(
    id,
    () => ({
      id,
      layer: id,
      status,
      salt: id,
      traffic: { from: 0, to: 100 },
      variants: [{ name: 'control', allocation: 50 }, treatment],
    }),
    { actor: 'test', action: 'create', reason: `replay test ${id}`, automatic: false },
    validateExperiments,
  );
}

async function replay(env: Record<string, string>, ...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'subgraphs/recommendations/src/replayCli.ts', ...args], {
    env: { ...process.env, ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
}

test('replay: usage errors, then a report over an experiment’s logged lists', async () => {
  const { url } = await testRedis();
  const registry = await trainedRegistry();
  const env = { REDIS_URL: url, MODEL_REGISTRY_DIR: registry };
  const candidate = join(dir, 'candidate.json');
  writeFileSync(
    candidate,
    JSON.stringify({ sourceWeights: { buy_again: 1.5 }, rules: { marginBoost: 0.2 } }),
  );
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ sourceWeights: { nonsense: 2 } }));

  assert.equal((await replay(env, '--experiment', ID)).code, 2);
  const noRedis = await replay({ REDIS_URL: '' }, '--experiment', ID, '--candidate', candidate);
  assert.equal(noRedis.code, 2);
  assert.match(noRedis.stderr, /needs REDIS_URL/);
  const invalid = await replay(env, '--experiment', ID, '--candidate', bad);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /unknown source "nonsense"/);
  assert.equal(
    (await replay(env, '--experiment', ID, '--candidate', candidate)).code,
    3,
    'unknown experiment',
  );

  client = new Redis(url);
  await createExperiment(client, ID, 'RUNNING', {
    name: 'no-ranker',
    allocation: 50,
    config: { ranker: false },
  });
  const outcomes = new OutcomeStore(client);
  const users = ['17850', '12347', '13047', '14911'];
  // what the variants served (the batch recommender of the same model version)
  const batch = await batchRecommender('replay-test', registry, createMemoryFeatureStore());
  for (const [i, userId] of users.entries()) {
    const req = parseRecommendationRequest(userId, 'HOME', 4, {});
    const served = await batch.recommender.recommend(req, i % 2 ? { ranker: false } : {});
    const items = served.items.map((item) => item.productId);
    await outcomes.recordExposure({
      requestId: `${ID}-${i}`,
      userId,
      assignments: [{ experimentId: ID, variant: i % 2 ? 'no-ranker' : 'control' }],
      segments: ['all'],
      itemCount: items.length,
      latencyMs: 10,
      items,
      request: JSON.stringify({
        surface: 'HOME',
        limit: 4,
        context: { cartProductIds: [], candidateProductIds: [] },
      }),
    });
    if (i < 2) {
      await outcomes.recordOutcome({
        eventId: `${ID}-click-${i}`,
        type: 'click',
        userId,
        requestId: `${ID}-${i}`,
        productId: items[0],
        timestamp: new Date().toISOString(),
      });
    }
  }
  await batch.close();
  const ok = await replay(env, '--experiment', ID, '--candidate', candidate);
  assert.equal(ok.code, 0, ok.stderr);
  const report = JSON.parse(ok.stdout) as {
    experimentId: string;
    lists: number;
    decisions: number;
    coverage: number;
    observed: Record<string, { lists: number; clicks: number }>;
    estimate: { snips: number; effectiveSampleSize: number };
  };
  assert.equal(report.experimentId, ID);
  assert.equal(report.lists, 4);
  assert.deepEqual(
    Object.fromEntries(Object.entries(report.observed).map(([k, v]) => [k, [v.lists, v.clicks]])),
    { control: [2, 1], 'no-ranker': [2, 1] },
  );
  assert.ok(report.coverage >= 0 && report.coverage <= 1);
});

test('replay: a bad candidate, REDIS_URL or model version exits with its code and a message, never a stack', async () => {
  const { url } = await testRedis();
  const registry = await trainedRegistry();
  const env = { REDIS_URL: url, MODEL_REGISTRY_DIR: registry };
  const promoted = await promotedVersion(new ModelRegistry(registry));
  const other = 'v20000101T000000Z-00000000';
  client ??= new Redis(url);
  // a draft (never served) whose second variant names a model version replay does not serve
  await createExperiment(client, BAD, 'DRAFT', {
    name: 'old-model',
    allocation: 50,
    config: { modelVersion: other },
  });
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const good = file('good.json', JSON.stringify({ sourceWeights: { buy_again: 1.5 } }));
  const port = await freePort(); // nothing listens there
  const cases: {
    name: string;
    candidate: string;
    env?: Record<string, string>;
    code: number;
    message: RegExp;
  }[] = [
    {
      name: 'null candidate',
      candidate: file('null.json', 'null'),
      code: 2,
      message: /a variant configuration must be a JSON object; received null/,
    },
    {
      name: 'array candidate',
      candidate: file('array.json', '[{"ranker": false}]'),
      code: 2,
      message: /must be a JSON object; received \[/,
    },
    {
      name: 'misspelt key',
      candidate: file('typo.json', JSON.stringify({ sourceWeight: { buy_again: 2 } })),
      code: 2,
      message: /unknown key "sourceWeight" \(expected modelVersion, ranker, sourceWeights, rules\)/,
    },
    {
      name: 'wrong types',
      candidate: file('types.json', JSON.stringify({ ranker: 'no', sourceWeights: [1] })),
      code: 2,
      message: /ranker must be a boolean; received "no"; sourceWeights must be a JSON object; received \[1\]/,
    },
    {
      name: 'candidate on a model version that is not served',
      candidate: file('version.json', JSON.stringify({ modelVersion: other })),
      code: 2,
      message: new RegExp(
        `names model version "${other}", which is not served: replay serves the promoted version ${promoted} only`,
      ),
    },
    {
      name: 'variant on a model version that is not served',
      candidate: good,
      code: 3,
      message: new RegExp(
        `experiment ${BAD} cannot be replayed: variant old-model names model version "${other}"`,
      ),
    },
    {
      name: 'REDIS_URL not a URL',
      candidate: good,
      env: { REDIS_URL: 'notaurl' },
      code: 2,
      message: /REDIS_URL: not a Redis URL: "notaurl"/,
    },
    {
      name: 'Redis down',
      candidate: good,
      env: { REDIS_URL: `redis://:hunter2secret@127.0.0.1:${port}` },
      code: 6,
      message: new RegExp(`Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} unreachable`),
    },
  ];
  // every case is checked (each a child process, in parallel) and every problem reported at once
  const problems = await Promise.all(
    cases.map(async (c) => {
      const r = await replay({ ...env, ...c.env }, '--experiment', BAD, '--candidate', c.candidate);
      return cliProblems(c, r, 'hunter2secret');
    }),
  );
  assert.deepEqual(problems.flat(), []);
});

test("the batch recommender answers CART from the version's co-purchase pairs when the ranker is off", async () => {
  const registry = await trainedRegistry();
  const batch = await batchRecommender('replay-test', registry, createMemoryFeatureStore());
  try {
    // a variant without the learned ranker serves CART from the co-purchase graph, as the servers do
    const req = parseRecommendationRequest('17850', 'CART', 5, { cartProductIds: ['85123A'] });
    const served = await batch.recommender.recommend(req, { ranker: false });
    assert.equal(served.fallback, false);
    const fromGraph = served.items.filter((item) => item.sources?.includes('cooccurrence_graph'));
    assert.ok(fromGraph.length > 0, `graph items: ${JSON.stringify(served.items.map((i) => i.sources))}`);
    assert.ok(fromGraph.every((item) => item.reasonCode === 'BOUGHT_TOGETHER'));
  } finally {
    await batch.close();
  }
});
