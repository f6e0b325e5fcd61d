import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { DATASETS, TrainError, parseUntil, train, type DatasetName } from './train';
import { ModelRegistry, RegistryError } from './registry/ModelRegistry';
import { SourceFormatError } from './ingest/onlineRetail';
import { runEvaluation } from './eval/runEvaluation';

/**
 * Command line: `train`, `evaluate`, `models list|promote|rollback`.
 * Exit codes (README "Commands"): 0 ok, 2 usage (bad flag, bad date, unknown dataset, a number out of
 * range, an extra argument, an `--out` that cannot be written), 3 input missing, a directory or not an
 * Online Retail file, 4 no usable data before the cut-off or no test cases after it, 5 registry error
 * (unwritable, or a corrupt manifest).
 */
const USAGE = `usage:
  train --dataset online-retail --input FILE --until YYYY-MM-DD [--registry DIR] [--no-promote]
  evaluate --dataset online-retail --input FILE --until YYYY-MM-DD [--until ...] [--days 31] [--k 10]
           [--out DIR] [--no-ranker] [--ranker-seeds 11,12,13]
  models list [--registry DIR]
  models promote VERSION [--registry DIR]
  models rollback [--registry DIR]`;

class UsageError extends Error {}

/** Upper bounds of the numeric flags: far above any sensible value, far below overflowing a date. */
const MAX_DAYS = 3660;
const MAX_K = 1000;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      input: { type: 'string' },
      until: { type: 'string', multiple: true },
      registry: { type: 'string' },
      'no-promote': { type: 'boolean' },
      days: { type: 'string' },
      k: { type: 'string' },
      out: { type: 'string' },
      'no-ranker': { type: 'boolean' },
      'ranker-seeds': { type: 'string' },
    },
  });
  const registryRoot = resolve(values.registry ?? process.env.MODEL_REGISTRY_DIR ?? 'var/models');
  const [command, sub, arg] = positionals;
  // positionals each command takes (the command itself included): anything after them is a mistake
  const arity = command === 'models' ? (sub === 'promote' ? 3 : 2) : 1;
  if (positionals.length > arity) {
    const extra = positionals.slice(arity);
    throw new UsageError(
      `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => JSON.stringify(a)).join(' ')}`,
    );
  }
  if (command === 'train' || command === 'evaluate') {
    const dataset = values.dataset;
    if (!dataset || !(DATASETS as readonly string[]).includes(dataset)) {
      throw new UsageError(
        `--dataset must be one of ${DATASETS.join(', ')}; received ${JSON.stringify(dataset)}`,
      );
    }
    if (!values.input) throw new UsageError('--input FILE is required');
    if (!values.until?.length) throw new UsageError('--until YYYY-MM-DD is required');
    const cuts = values.until.map((text) => {
      const ms = parseUntil(text);
      if (ms === undefined)
        throw new UsageError(`--until must be a real date YYYY-MM-DD; received ${JSON.stringify(text)}`);
      return ms;
    });
    if (command === 'evaluate') {
      const days = positiveInt('--days', values.days ?? '31', MAX_DAYS);
      const k = positiveInt('--k', values.k ?? '10', MAX_K);
      const rankerSeeds = values['ranker-seeds'] === undefined ? undefined : seedList(values['ranker-seeds']);
      if (rankerSeeds && values['no-ranker']) {
        throw new UsageError('--ranker-seeds trains rankers: it cannot be used with --no-ranker');
      }
      await runEvaluation({
        dataset: dataset as DatasetName,
        input: resolve(values.input),
        cuts,
        days,
        k,
        outDir: resolve(values.out ?? 'var/eval'),
        ranker: !values['no-ranker'],
        rankerSeeds,
        log: (line) => console.error(`[evaluate] ${line}`),
      });
      return;
    }
    if (cuts.length > 1) throw new UsageError('train takes one --until');
    const until = cuts[0]!;
    const manifest = await train({
      dataset: dataset as DatasetName,
      input: resolve(values.input),
      until,
      registryRoot,
      promote: !values['no-promote'],
      log: (line) => console.error(`[train] ${line}`),
    });
    console.log(
      JSON.stringify({ version: manifest.version, until: manifest.until, metrics: manifest.metrics }),
    );
    return;
  }
  if (command === 'models') {
    const registry = new ModelRegistry(registryRoot);
    if (sub === 'list') {
      const current = await registry.current();
      for (const { version, manifest: m, problem } of await registry.entries()) {
        const mark = version === current ? '*' : ' ';
        console.log(
          m
            ? `${mark} ${version}  until ${m.until}  ${m.dataset}  created ${m.createdAt}`
            : `${mark} ${version}  CORRUPT: ${problem}`,
        );
      }
      return;
    }
    if (sub === 'promote') {
      if (!arg) throw new UsageError('models promote needs a VERSION');
      await registry.promote(arg);
      console.log(`promoted ${arg}`);
      return;
    }
    if (sub === 'rollback') {
      console.log(`rolled back to ${await registry.rollback()}`);
      return;
    }
    throw new UsageError(`unknown models command ${JSON.stringify(sub)}`);
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

function positiveInt(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a positive integer; received ${JSON.stringify(text)}`);
  if (n > max) throw new UsageError(`${flag} must be at most ${max}; received ${JSON.stringify(text)}`);
  return n;
}

const MAX_SEEDS = 10;

/** `--ranker-seeds 11,12,13`: 1 to 10 distinct integers from 0 to 2^31 - 1. */
function seedList(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const seeds = parts.map(Number);
  const valid =
    parts.length <= MAX_SEEDS &&
    parts.every((part) => /^\d{1,10}$/.test(part)) &&
    seeds.every((n) => n <= 2 ** 31 - 1) &&
    new Set(seeds).size === seeds.length;
  if (!valid) {
    throw new UsageError(
      `--ranker-seeds must be 1 to ${MAX_SEEDS} distinct integers from 0 to 2147483647, comma-separated; received ${JSON.stringify(text)}`,
    );
  }
  return seeds;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (
    err instanceof UsageError ||
    (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    console.error(`error: ${err.message}\n${USAGE}`);
    process.exitCode = 2;
  } else if (err instanceof TrainError) {
    console.error(`error: ${err.message}`);
    process.exitCode = err.exitCode;
  } else if (err instanceof SourceFormatError) {
    console.error(`error: ${err.message}`);
    process.exitCode = 3;
  } else if (err instanceof RegistryError) {
    console.error(`error: ${err.message}`);
    process.exitCode = 5;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
});
