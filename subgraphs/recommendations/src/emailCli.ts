/**
 * `npm run email -- (--users FILE | --all) [--limit 10] [--out FILE] [--record] [--registry DIR]`
 *
 * The EMAIL surface in bulk: one JSON line per shopper (`userId`, `modelVersion`, `rulesVersion`,
 * `fallback`, `items` with product id, title, score, reason code and reason), from the same recommender
 * the subgraph serves, business rules and the "never repeat the last sends" rule included. With
 * `--record` each written list is remembered as a send (needs `REDIS_URL`: the live store that the
 * servers read). Exit codes: 0 ok, 2 usage, 3 users file missing or empty, 5 registry error.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { isValidId, normaliseUserId, progressBar } from '@recs/core';
import { createMemoryFeatureStore, createRedisFeatureStore } from '@recs/feature-store';
import { ModelRegistry } from '@recs/pipeline';
import { CliError, batchRecommender, runCli } from './batchCli';
import { parseRecommendationRequest } from './RecommendationRequest';
import { liveKeyPrefixFor } from '@recs/events';

const USAGE =
  'usage: email (--users FILE | --all) [--limit 10] [--out FILE.jsonl] [--record] [--registry DIR]';

function readUsers(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--users ${file} cannot be read: ${(err as Error).message}`, 3);
  }
  const ids: string[] = [];
  text.split('\n').forEach((line, i) => {
    const id = line.trim();
    if (id === '') return;
    if (!isValidId(id))
      throw new CliError(`--users ${file} line ${i + 1}: not a user id: ${JSON.stringify(id)}`, 2);
    ids.push(normaliseUserId(id));
  });
  if (ids.length === 0) throw new CliError(`--users ${file} holds no user ids`, 3);
  return [...new Set(ids)];
}

async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        users: { type: 'string' },
        all: { type: 'boolean', default: false },
        limit: { type: 'string', default: '10' },
        out: { type: 'string' },
        record: { type: 'boolean', default: false },
        registry: { type: 'string', default: process.env.MODEL_REGISTRY_DIR ?? 'var/models' },
      },
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (Boolean(values.users) === values.all)
    throw new CliError(`give exactly one of --users FILE and --all\n${USAGE}`, 2);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new CliError(`--limit must be an integer in 1..100; received ${JSON.stringify(values.limit)}`, 2);
  }
  const redisUrl = process.env.REDIS_URL;
  if (values.record && !redisUrl) {
    throw new CliError(
      '--record needs REDIS_URL: sends are remembered in the live store the servers read',
      2,
    );
  }

  const store = redisUrl
    ? createRedisFeatureStore({ url: redisUrl, keyPrefix: liveKeyPrefixFor(redisUrl) })
    : createMemoryFeatureStore({ keyPrefix: liveKeyPrefixFor(undefined) });
  const { recommender, bundle, close } = await batchRecommender('email', values.registry!, store);
  const users = values.users ? readUsers(values.users) : await allCustomers(values.registry!, bundle.version);
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const progress = progressBar('email', users.length);
  let written = 0;
  let fallbacks = 0;
  try {
    for (const userId of users) {
      const list = await recommender.recommend(parseRecommendationRequest(userId, 'EMAIL', limit, {}));
      const line = {
        userId,
        modelVersion: list.modelVersion,
        rulesVersion: list.rulesVersion,
        fallback: list.fallback,
        items: list.items.map((i) => ({
          productId: i.productId,
          title: bundle.catalogue.get(i.productId)?.title ?? i.productId,
          score: i.score,
          reasonCode: i.reasonCode,
          reason: i.reason,
        })),
      };
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
      if (values.record)
        await recommender.recordEmailSend(
          userId,
          line.items.map((i) => i.productId),
        );
      written++;
      if (list.fallback) fallbacks++;
      progress.tick();
    }
  } finally {
    progress.done();
    if (out !== process.stdout) {
      out.end();
      await once(out, 'finish');
    }
    await close();
  }
  process.stderr.write(
    `email: ${written} lists of up to ${limit} products${values.record ? ', recorded as sent' : ''}` +
      `${values.out ? ` in ${values.out}` : ''}; ${fallbacks} from a fallback\n`,
  );
}

/** Every customer the model version knows (its per-user features). */
async function allCustomers(registry: string, version: string): Promise<string[]> {
  const users = await new ModelRegistry(registry).read<Record<string, unknown>>(version, 'userFeatures');
  return Object.keys(users);
}

runCli('email', () => main(process.argv.slice(2)));
