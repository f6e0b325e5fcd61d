/**
 * `npm run replay -- --experiment ID --candidate FILE.json [--max 5000] [--registry DIR]`
 *
 * Offline replay: estimates the click-through per shown product that a candidate variant
 * configuration (FILE: a JSON `VariantConfig`, e.g. `{"sourceWeights": {"buy_again": 1.5}}`) would
 * get, from the served lists and clicks an experiment logged, before the candidate gets any traffic.
 * Needs `REDIS_URL` (the exposure log and the live store the servers use). Prints one JSON report:
 * IPS and SNIPS with standard errors, effective sample size, the candidate's coverage by the logged
 * variants, and each variant's observed click-through in the same logs. Exit codes: 0 ok, 2 usage,
 * invalid candidate (not a JSON object, an unknown key, a value out of range, a model version that is
 * not served) or a bad `REDIS_URL` / `RULES_FILE`, 3 unknown experiment, too few logged lists or a
 * variant on a model version that is not served, 5 registry error, 6 Redis unreachable.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { progressBar } from '@recs/core';
import { createRedisClient, createRedisFeatureStore } from '@recs/feature-store';
import {
  ExperimentConfigError,
  OutcomeStore,
  createRedisExperimentStore,
  validateExperiments,
  variantConfigProblems,
  type VariantConfig,
} from '@recs/experiments';
import {
  CliError,
  EXIT,
  batchRecommender,
  checkRedisUrl,
  isRedisConnectionError,
  redisUnreachable,
  requireRedis,
  runCli,
} from './batchCli';
import { ReplayConfigError, replayExperiment } from './experiments/replay';
import { liveKeyPrefixFor } from '@recs/events';

const USAGE = 'usage: replay --experiment ID --candidate FILE.json [--max 5000] [--registry DIR]';

function readCandidate(file: string): VariantConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`--candidate ${file} is not readable JSON: ${(err as Error).message}`, EXIT.usage);
  }
  // the shape first: a misspelt key (sourceWeight) would otherwise be ignored without a word
  const problems = variantConfigProblems(raw);
  if (problems.length > 0) throw new CliError(`--candidate ${file}: ${problems.join('; ')}`, EXIT.usage);
  const config = raw as VariantConfig;
  try {
    // the candidate is checked as a variant would be
    validateExperiments([
      {
        id: 'candidate',
        layer: 'replay',
        status: 'DRAFT',
        salt: 'replay',
        traffic: { from: 0, to: 100 },
        variants: [{ name: 'candidate', allocation: 100, config }],
      },
    ]);
  } catch (err) {
    if (err instanceof ExperimentConfigError)
      throw new CliError(`--candidate ${file}: ${err.message}`, EXIT.usage);
    throw err;
  }
  return config;
}

async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        experiment: { type: 'string' },
        candidate: { type: 'string' },
        max: { type: 'string', default: '5000' },
        registry: { type: 'string', default: process.env.MODEL_REGISTRY_DIR ?? 'var/models' },
      },
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`, EXIT.usage);
  }
  if (!values.experiment || !values.candidate)
    throw new CliError(`--experiment and --candidate are required\n${USAGE}`, EXIT.usage);
  const max = Number(values.max);
  if (!Number.isInteger(max) || max < 2)
    throw new CliError(`--max must be an integer >= 2; received ${values.max}`, EXIT.usage);
  if (!process.env.REDIS_URL)
    throw new CliError('needs REDIS_URL: the experiment, its exposures and clicks are on Redis', EXIT.usage);
  const redisUrl = checkRedisUrl(process.env.REDIS_URL);
  const candidate = readCandidate(values.candidate);
  const redis = createRedisClient(redisUrl, {
    connectionName: 'recs-replay',
    redis: { maxRetriesPerRequest: 2 },
  });
  // an unreachable Redis is reported once, below, not per reconnection attempt
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await requireRedis(redisUrl, () => redis.ping().then(() => true), { lastError: () => lastError });
    const experiment = (await createRedisExperimentStore(redis).list()).experiments.find(
      (e) => e.id === values.experiment,
    );
    if (!experiment) throw new CliError(`no experiment ${JSON.stringify(values.experiment)}`, EXIT.input);
    const batch = await batchRecommender(
      'replay',
      values.registry!,
      createRedisFeatureStore({ client: redis, keyPrefix: liveKeyPrefixFor(redisUrl) }),
    );
    let progress: ReturnType<typeof progressBar> | undefined;
    const report = await replayExperiment({
      experiment,
      outcomes: new OutcomeStore(redis),
      recommender: batch.recommender,
      candidate,
      maxLists: max,
      onProgress: (_done, total) => (progress ??= progressBar('replay', total)).tick(),
    }).catch((err: unknown) => {
      if (err instanceof RangeError && err.message.startsWith('too few')) {
        throw new CliError(`experiment ${experiment.id}: ${err.message}`, EXIT.input);
      }
      if (err instanceof ReplayConfigError) {
        throw err.of === 'candidate'
          ? new CliError(`--candidate ${values.candidate}: ${err.message}`, EXIT.usage)
          : new CliError(`experiment ${experiment.id} cannot be replayed: ${err.message}`, EXIT.input);
      }
      throw err;
    });
    progress?.done();
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } catch (err) {
    if (isRedisConnectionError(err)) throw redisUnreachable(redisUrl, (lastError ?? (err as Error)).message);
    throw err;
  } finally {
    redis.disconnect();
  }
}

runCli('replay', () => main(process.argv.slice(2)));
