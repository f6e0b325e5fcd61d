/**
 * `npm run email -- (--users FILE | --all) [--limit 10] [--out FILE] [--record] [--registry DIR]`
 *
 * The EMAIL surface in bulk: one JSON line per shopper (`userId`, `modelVersion`, `rulesVersion`,
 * `fallback`, `items` with product id, title, score, reason code and reason), from the same recommender
 * the subgraph serves, business rules and the "never repeat the last sends" rule included. With
 * `--record` each written list is remembered as a send (needs `REDIS_URL`: the live store that the
 * servers read). Exit codes: 0 ok, 2 usage (a bad flag, an `--out` file that cannot be written, a bad
 * `REDIS_URL` or `RULES_FILE`), 3 users file missing or empty, 5 registry error, 6 Redis unreachable.
 */
import { closeSync, createWriteStream, existsSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { isValidId, normaliseUserId, progressBar } from '@recs/core';
import { createMemoryFeatureStore, createRedisFeatureStore } from '@recs/feature-store';
import { ModelRegistry, RegistryError } from '@recs/pipeline';
import {
  CliError,
  EXIT,
  batchRecommender,
  batchRules,
  checkRedisUrl,
  isRedisConnectionError,
  redisUnreachable,
  requireRedis,
  runCli,
} from './batchCli';
import { parseRecommendationRequest } from './RecommendationRequest';
import { liveKeyPrefixFor } from '@recs/events';

const USAGE =
  'usage: email (--users FILE | --all) [--limit 10] [--out FILE.jsonl] [--record] [--registry DIR]';

function readUsers(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--users ${file} cannot be read: ${(err as Error).message}`, EXIT.input);
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

/**
 * Fails with exit 2 unless `file` can be opened for writing (a missing or non-directory parent, no
 * permission), before any list is computed. Leaves an existing file as it is and no new file behind.
 */
function checkWritable(file: string): void {
  const existed = existsSync(file);
  try {
    closeSync(openSync(file, 'a'));
  } catch (err) {
    throw new CliError(`--out ${file} cannot be written: ${(err as Error).message}`, EXIT.usage);
  }
  if (!existed) unlinkSync(file);
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
  const redisUrl = process.env.REDIS_URL ? checkRedisUrl(process.env.REDIS_URL) : undefined;
  if (values.record && !redisUrl) {
    throw new CliError(
      '--record needs REDIS_URL: sends are remembered in the live store the servers read',
      EXIT.usage,
    );
  }
  // what the user gave is checked before the seconds of loading the model
  if (values.out) checkWritable(values.out);
  batchRules();
  const listed = values.users ? readUsers(values.users) : undefined;

  let lastError: Error | undefined;
  const store = redisUrl
    ? createRedisFeatureStore({
        url: redisUrl,
        keyPrefix: liveKeyPrefixFor(redisUrl),
        pingTimeoutMs: 3_000,
        // an unreachable Redis is reported once, below, not per reconnection attempt
        onError: (err) => (lastError = err),
      })
    : createMemoryFeatureStore({ keyPrefix: liveKeyPrefixFor(undefined) });
  if (redisUrl) {
    try {
      await requireRedis(redisUrl, () => store.ping(), { lastError: () => lastError });
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  let batch;
  try {
    // e-mails are EMAIL lists only: the CART neighbour lists would be built for nothing
    batch = await batchRecommender('email', values.registry!, store, { prepareCart: false });
  } catch (err) {
    await store.close();
    throw err;
  }
  const { recommender, bundle, close } = batch;
  let written = 0;
  let recorded = 0;
  let fallbacks = 0;
  let progress: ReturnType<typeof progressBar> | undefined;
  let out: NodeJS.WritableStream | undefined;
  // a write error (disk full...) is kept and reported, not thrown as an unhandled 'error' event
  let writeError: Error | undefined;
  try {
    const users = listed ?? (await allCustomers(values.registry!, bundle.version));
    if (values.out) {
      const file = createWriteStream(values.out);
      file.on('error', (err) => (writeError ??= err));
      out = file;
    } else {
      out = process.stdout;
    }
    progress = progressBar('email', users.length);
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
      // each line is counted (and recorded as sent) only once its write succeeded: a failed write
      // destroys the stream, and a 'drain' would then never come
      const stream = out;
      const failed = await new Promise<Error | undefined>((resolve) =>
        stream.write(`${JSON.stringify(line)}\n`, (err) => resolve(err ?? undefined)),
      );
      writeError ??= failed ?? undefined;
      if (writeError) break;
      written++;
      if (values.record) {
        try {
          await recommender.recordEmailSend(
            userId,
            line.items.map((i) => i.productId),
          );
        } catch (err) {
          if (!isRedisConnectionError(err)) throw err;
          throw redisUnreachable(
            redisUrl!,
            `${(lastError ?? (err as Error)).message}; ${written} lists written${values.out ? ` to ${values.out}` : ''}, only the first ${recorded} recorded as sent (the list of ${userId} was not)`,
          );
        }
        recorded++;
      }
      if (list.fallback) fallbacks++;
      progress.tick();
    }
  } finally {
    progress?.done();
    if (out && out !== process.stdout) {
      const file = out;
      if (!writeError) {
        file.end();
        await once(file, 'finish').catch((err: Error) => (writeError ??= err));
      }
    }
    await close();
  }
  if (writeError) {
    throw new CliError(
      `--out ${values.out} cannot be written: ${writeError.message} (${written} lists written${values.record ? `, ${recorded} recorded as sent` : ''})`,
      EXIT.usage,
    );
  }
  process.stderr.write(
    `email: ${written} lists of up to ${limit} products${values.record ? ', recorded as sent' : ''}` +
      `${values.out ? ` in ${values.out}` : ''}; ${fallbacks} from a fallback\n`,
  );
}

/** Every customer the model version knows (its per-user features). */
async function allCustomers(registry: string, version: string): Promise<string[]> {
  try {
    const users = await new ModelRegistry(registry).read<Record<string, unknown>>(version, 'userFeatures');
    return Object.keys(users);
  } catch (err) {
    if (err instanceof RegistryError)
      throw new CliError(`model registry ${registry}: ${err.message}`, EXIT.registry);
    throw err;
  }
}

runCli('email', () => main(process.argv.slice(2)));
