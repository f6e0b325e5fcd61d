/**
 * `npm run replay -- --experiment ID --candidate FILE.json [--max 5000] [--registry DIR]`
 *
 * Offline replay: estimates the click-through per shown product that a candidate variant
 * configuration (FILE: a JSON `VariantConfig`, e.g. `{"sourceWeights": {"buy_again": 1.5}}`) would
 * get, from the served lists and clicks an experiment logged, before the candidate gets any traffic.
 * Needs `REDIS_URL` (the exposure log and the live store the servers use). Prints one JSON report:
 * IPS and SNIPS with standard errors, effective sample size, the candidate's coverage by the logged
 * variants, and each variant's observed click-through in the same logs. Exit codes: 0 ok, 2 usage or
 * invalid candidate, 3 unknown experiment or too few logged lists, 5 registry error.
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
  type VariantConfig,
} from '@recs/experiments';
import { CliError, batchRecommender, runCli } from './batchCli';
import { replayExperiment } from './experiments/replay';
import { liveKeyPrefixFor } from '@recs/events';

const USAGE = 'usage: replay --experiment ID --candidate FILE.json [--max 5000] [--registry DIR]';

function readCandidate(file: string): VariantConfig {
  let config: VariantConfig;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as VariantConfig;
  } catch (err) {
    throw new CliError(`--candidate ${file} is not readable JSON: ${(err as Error).message}`, 2);
  }
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
    if (err instanceof ExperimentConfigError) throw new CliError(`--candidate ${file}: ${err.message}`, 2);
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
    throw new CliError(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (!values.experiment || !values.candidate)
    throw new CliError(`--experiment and --candidate are required\n${USAGE}`, 2);
  const max = Number(values.max);
  if (!Number.isInteger(max) || max < 2)
    throw new CliError(`--max must be an integer >= 2; received ${values.max}`, 2);
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl)
    throw new CliError('needs REDIS_URL: the experiment, its exposures and clicks are on Redis', 2);
  const candidate = readCandidate(values.candidate);
  const redis = createRedisClient(redisUrl, {
    connectionName: 'recs-replay',
    redis: { maxRetriesPerRequest: 2 },
  });
  try {
    const experiment = (await createRedisExperimentStore(redis).list()).experiments.find(
      (e) => e.id === values.experiment,
    );
    if (!experiment) throw new CliError(`no experiment ${JSON.stringify(values.experiment)}`, 3);
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
        throw new CliError(`experiment ${experiment.id}: ${err.message}`, 3);
      }
      throw err;
    });
    progress?.done();
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    redis.disconnect();
  }
}

runCli('replay', () => main(process.argv.slice(2)));
