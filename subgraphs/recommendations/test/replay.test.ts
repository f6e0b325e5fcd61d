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
import { OutcomeStore, createRedisExperimentStore, validateExperiments } from '@recs/experiments';
import { testRedis } from '@recs/testkit';
import { trainedRegistry } from '@recs/testkit/registry';
import { createMemoryFeatureStore } from '@recs/feature-store';
import { batchRecommender } from '../src/batchCli';
import { parseRecommendationRequest } from '../src/RecommendationRequest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'recs-replay-'));
const ID = `replay-${process.pid}`;
let client: Redis | undefined;
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (client) {
    // this test's experiment and lists only (other tests keep to prefixes of their own)
    const keys = await client.keys(`recs-exp:*${ID}*`);
    if (keys.length) await client.del(...keys);
    await client.hdel('recs-exp:experiments', ID);
    client.disconnect();
  }
});

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
  await createRedisExperimentStore(client).change(
    ID,
    () => ({
      id: ID,
      layer: ID,
      status: 'RUNNING',
      salt: ID,
      traffic: { from: 0, to: 100 },
      variants: [
        { name: 'control', allocation: 50 },
        { name: 'no-ranker', allocation: 50, config: { ranker: false } },
      ],
    }),
    { actor: 'test', action: 'create', reason: 'replay test', automatic: false },
    validateExperiments,
  );
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
