/**
 * `npm run evaluate:served`: the quality of what the engine serves, not of the offline ranker alone.
 *
 *   node --import tsx scripts/evaluateServed.ts [--input FILE] [--until 2011-10-09] [--days 31]
 *     [--max N] [--concurrency 4] [--rules FILE] [--registry DIR] [--out DIR]
 *
 * Trains a model version on the data strictly before `--until` (as `train` does) into a temporary
 * registry, starts the whole federated API on it (three subgraphs and the gateway, business rules and
 * exploration at their production defaults, field cache off; Redis and Neo4j when REDIS_URL / NEO4J_URI
 * are set, embedded defaults otherwise), and asks the gateway, with a service key, for the CART, HOME
 * and new-customer cases of the datasets README's protocols (`buildCases`, the same cases `evaluate`
 * scores): `user(id) { recommendations(surface, limit: 10, context: { cartProductIds, country, time }) }`
 * with the case's own time. Guest invoices ask as a fresh guest id. The lists that come back are
 * scored with the metric functions of `evaluate`, next to the offline learned ranker of
 * `docs/evaluation/summary.json` (same cut-off) and the README's best reference row.
 * Writes `served.md` and `served.json` into `--out` (default var/eval, as `evaluate`).
 * Exit codes: 2 usage (a bad or missing flag value, an unknown flag, a bad rule file, an `--out` that
 * cannot be created, a `--registry` trained at another cut-off), 3 missing input (an input file that is
 * missing, empty or not an Online Retail file, a `--registry` that is missing or holds no promoted
 * version), 4 no cases, 1 anything else (a failed request included).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  PUBLISHED_REFERENCE,
  RegistryError,
  SourceFormatError,
  TARGETS,
  TrainError,
  buildCases,
  directoryProblem,
  hitRate,
  loadPromotedBundle,
  ModelRegistry,
  promotedVersion,
  type Manifest,
  type MetricRow,
  ndcgAt,
  parseUntil,
  precisionAt,
  readOnlineRetail,
  recallAt,
  reciprocalRank,
  train,
} from '@recs/pipeline';
import { RuleConfigError, loadRuleConfig } from '@recs/subgraph-recommendations';
import { startStack, type Stack } from '@recs/testkit';
import { percentile } from '@recs/core';

const root = resolve(import.meta.dirname, '..');
const DAY = 86_400_000;
const K = 10;
/** The API's largest cart (`cartProductIds`); a longer test cart is cut to its first products. */
const MAX_CART = 500;
const usage =
  'usage: evaluateServed.ts [--input FILE] [--until YYYY-MM-DD] [--days N] [--max N] [--concurrency N] [--rules FILE] [--registry DIR] [--out DIR]';

type Protocol = 'cart' | 'home' | 'new-customers';
interface Ask {
  protocol: Protocol;
  userId: string;
  context: { cartProductIds?: string[]; country?: string; time: string };
  target: Set<string>;
}
/** The ranking metrics of `evaluate`'s rows, and what only serving has. */
type Row = Pick<MetricRow, 'cases' | 'hr' | 'mrr' | 'ndcg' | 'precision' | 'recall'> & {
  protocol: Protocol;
  /** Lists answered with `fallback: true` (a backend or the model was not used). */
  fallbacks: number;
  /** Lists shorter than K. */
  short: number;
  /** Latency of the protocol's requests; NaN (null in JSON) without cases. */
  p50Ms: number;
  p99Ms: number;
};

const QUERY = `query Served($userId: ID!, $surface: Surface!, $context: RecommendationContext) {
  user(id: $userId) {
    recommendations(surface: $surface, limit: ${K}, context: $context) {
      fallback
      items { product { id } }
    }
  }
}`;

class UsageError extends Error {}
/** A failure with its own exit code (the `finally` of `main` still cleans up). */
class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        input: { type: 'string' },
        until: { type: 'string' },
        days: { type: 'string' },
        max: { type: 'string' },
        concurrency: { type: 'string' },
        out: { type: 'string' },
        rules: { type: 'string' },
        registry: { type: 'string' },
      },
    }));
  } catch (err) {
    // an unknown flag, a flag without its value, a positional argument
    if (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))
      throw new UsageError(err.message);
    throw err;
  }
  const positive = (name: string, text: string | undefined, fallback: number) => {
    const v = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(v) || v <= 0)
      throw new UsageError(`--${name} must be a positive integer; received ${text}`);
    return v;
  };
  const untilText = values.until ?? '2011-10-09';
  const until = parseUntil(untilText);
  if (until === undefined)
    throw new UsageError(`--until must be a real date YYYY-MM-DD; received ${untilText}`);
  return {
    input: resolve(values.input ?? join(root, 'data/online-retail/online_retail_until_2011-11-09.csv.gz')),
    until,
    untilText,
    days: positive('days', values.days, 31),
    max: values.max === undefined ? Infinity : positive('max', values.max, 1),
    concurrency: positive('concurrency', values.concurrency, 4),
    out: resolve(values.out ?? join(root, 'var/eval')),
    /** A business-rule file (as the subgraph's RULES_FILE); the production defaults when absent. */
    rulesFile: values.rules === undefined ? undefined : resolve(values.rules),
    /** A registry whose promoted version was trained at `until` (skips the minute of training). */
    registry: values.registry === undefined ? undefined : resolve(values.registry),
  };
}

/** Fails with exit 3 unless `file` is a non-empty file (before the minute of training). */
function checkInput(file: string): void {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new ExitError(`input file not found: ${file}`, 3);
  }
  if (!stat.isFile()) throw new ExitError(`input ${file} is not a file`, 3);
  if (stat.size === 0) throw new ExitError(`input file ${file} is empty: expected an Online Retail CSV`, 3);
}

/**
 * What reading the input throws, as an exit code: not an Online Retail file (a wrong header, a broken
 * gzip: `readCsv` reports both as a SourceFormatError) 3, as `train` reports it; a training failure its own code (3 input, 4 no data before the cut-off).
 */
function inputFailure(err: unknown): never {
  if (err instanceof SourceFormatError) throw new ExitError(err.message, 3);
  if (err instanceof TrainError) throw new ExitError(err.message, err.exitCode);
  throw err;
}

/** Fails with exit 3 unless `dir` is an existing directory. */
function checkRegistry(dir: string): void {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new ExitError(`--registry ${dir} not found: give a model registry trained at --until`, 3);
  }
  if (!stat.isDirectory()) throw new ExitError(`--registry ${dir} is not a directory`, 3);
}

/**
 * Fails with a usage error unless `dir` exists as a writable directory or can be created (its nearest
 * existing ancestor is a writable directory), so a bad `--out` is refused before the evaluation.
 */
async function checkOut(dir: string): Promise<void> {
  // the shared check (a trial mkdir, not access(W_OK), which passes for root on /proc and /sys)
  const problem = await directoryProblem(dir, { create: false });
  if (problem) throw new UsageError(`--out ${dir} cannot be written: ${problem}`);
}

async function ask(stack: Stack, a: Ask): Promise<{ ids: string[]; fallback: boolean; ms: number }> {
  const started = performance.now();
  const { status, body } = await stack.query({
    query: QUERY,
    variables: { userId: a.userId, surface: a.protocol === 'cart' ? 'CART' : 'HOME', context: a.context },
  });
  const ms = performance.now() - started;
  const recs = (body.data?.user as { recommendations?: unknown } | undefined)?.recommendations as
    { fallback: boolean; items: { product: { id: string } }[] } | undefined;
  if (status !== 200 || body.errors?.length || !recs) {
    throw new Error(
      `${a.protocol} request for ${a.userId} failed (HTTP ${status}): ${JSON.stringify(body.errors ?? body)}`,
    );
  }
  return { ids: recs.items.map((i) => i.product.id), fallback: recs.fallback, ms };
}

/** The hybrid rows (learned ranker, cold start) of `summary.json` for this cut-off; none without the file. */
function offlineRows(summaryFile: string, cut: string): Pick<MetricRow, 'protocol' | 'hr' | 'ndcg'>[] {
  if (!existsSync(summaryFile)) return [];
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as {
    results: { cut: string; rows: MetricRow[] }[];
  };
  return (summary.results.find((r) => r.cut === cut)?.rows ?? []).filter((r) => r.kind === 'hybrid');
}

async function main(): Promise<void> {
  const opts = options();
  // what the user gave is checked before the minute of training
  checkInput(opts.input);
  if (opts.registry) checkRegistry(opts.registry);
  await checkOut(opts.out);
  const rules = loadRuleConfig(opts.rulesFile);
  const end = opts.until + opts.days * DAY;
  // a temporary registry unless --registry names one already trained at this cut-off
  const registryParent = opts.registry ? undefined : mkdtempSync(join(tmpdir(), 'recs-served-'));
  let stack: Stack | undefined;
  try {
    const registryDir = opts.registry ?? join(registryParent!, 'models');
    let manifest: Manifest;
    if (opts.registry) {
      const registry = new ModelRegistry(registryDir);
      try {
        manifest = await registry.manifest(await promotedVersion(registry));
      } catch (err) {
        if (err instanceof RegistryError) throw new ExitError(`--registry ${registryDir}: ${err.message}`, 3);
        throw err;
      }
      if (manifest.until.slice(0, 10) !== opts.untilText) {
        throw new UsageError(
          `--registry ${registryDir}: the promoted version ${manifest.version} was trained until ${manifest.until}, not ${opts.untilText}`,
        );
      }
      console.log(`evaluate:served: serving ${manifest.version} of ${registryDir}`);
    } else {
      const t0 = Date.now();
      console.log(`evaluate:served: training on data before ${opts.untilText} into a temporary registry`);
      manifest = await train({
        dataset: 'online-retail',
        input: opts.input,
        until: opts.until,
        registryRoot: registryDir,
      }).catch(inputFailure);
      console.log(
        `evaluate:served: model ${manifest.version} trained in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    // the test days are read before the model is loaded: a bad input file fails first
    const data = await readOnlineRetail(opts.input, { until: end }).catch(inputFailure);
    const bundle = await loadPromotedBundle(registryDir).catch((err: unknown) => {
      if (err instanceof RegistryError && opts.registry)
        throw new ExitError(`--registry ${registryDir}: ${err.message}`, 3);
      throw err;
    });
    const catalogue = new Set(bundle.catalogue.keys());
    const cases = buildCases(data.interactions, opts.until, end, catalogue);
    const time = (ts: number) => new Date(ts).toISOString();
    const country = (c: string | null) => (c ? { country: c } : {});
    const asks: Ask[] = [
      ...cases.cart.slice(0, opts.max).map((c): Ask => ({
        protocol: 'cart',
        userId: c.userId ?? `guest-${c.basketId}`,
        // as `evaluate`: the cart's catalogue products (a product first sold later is unknown to the model)
        context: {
          cartProductIds: c.cart.filter((p) => catalogue.has(p)).slice(0, MAX_CART),
          ...country(c.country),
          time: time(c.ts),
        },
        target: new Set([c.hidden]),
      })),
      ...cases.home.slice(0, opts.max).map((c): Ask => ({
        protocol: 'home',
        userId: c.userId,
        context: { ...country(c.country), time: time(c.ts) },
        target: c.target,
      })),
      ...cases.newCustomers.slice(0, opts.max).map((c): Ask => ({
        protocol: 'new-customers',
        userId: c.userId,
        context: { ...country(c.country), time: time(c.ts) },
        target: c.target,
      })),
    ];
    const cutCarts = cases.cart
      .slice(0, opts.max)
      .filter((c) => c.cart.filter((p) => catalogue.has(p)).length > MAX_CART).length;
    if (asks.length === 0)
      throw new ExitError(`no cases in the ${opts.days} days after ${opts.untilText}`, 4);
    stack = await startStack({
      registryDir,
      redisUrl: process.env.REDIS_URL || undefined,
      neo4j: process.env.NEO4J_URI
        ? {
            uri: process.env.NEO4J_URI,
            user: process.env.NEO4J_USER ?? 'neo4j',
            password: process.env.NEO4J_PASSWORD ?? '',
          }
        : undefined,
      cacheTtlSeconds: 0,
      sharedRankingSeconds: 0,
      rules,
    });
    console.log(
      `evaluate:served: asking the gateway for ${asks.length} lists (Redis: ${process.env.REDIS_URL ? 'yes' : 'embedded'}, Neo4j: ${process.env.NEO4J_URI ? 'yes' : 'embedded'})`,
    );
    const answers: { ids: string[]; fallback: boolean; ms: number }[] = new Array(asks.length);
    let next = 0;
    const live = stack;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < asks.length) {
          const i = next++;
          answers[i] = await ask(live, asks[i]!);
        }
      }),
    );
    const rows: Row[] = (['cart', 'home', 'new-customers'] as const).map((protocol) => {
      const idx = asks.flatMap((a, i) => (a.protocol === protocol ? [i] : []));
      const n = idx.length || 1;
      const sum = (f: (ids: string[], target: Set<string>) => number) =>
        idx.reduce((s, i) => s + f(answers[i]!.ids, asks[i]!.target), 0) / n;
      const ms = idx.map((i) => answers[i]!.ms).sort((a, b) => a - b);
      return {
        protocol,
        cases: idx.length,
        hr: sum((ids, t) => hitRate(ids, t, K)),
        mrr: sum((ids, t) => reciprocalRank(ids, t, K)),
        ndcg: sum((ids, t) => ndcgAt(ids, t, K)),
        precision: sum((ids, t) => precisionAt(ids, t, K)),
        recall: sum((ids, t) => recallAt(ids, t, K)),
        fallbacks: idx.filter((i) => answers[i]!.fallback).length,
        short: idx.filter((i) => answers[i]!.ids.length < K).length,
        p50Ms: percentile(ms, 50),
        p99Ms: percentile(ms, 99),
      };
    });
    await mkdir(opts.out, { recursive: true });
    // the offline numbers `npm run evaluate` wrote (same cases, no rules), for the side-by-side
    const offline = offlineRows(join(root, 'docs/evaluation/summary.json'), opts.untilText);
    const f3 = (v: number) => v.toFixed(3);
    const lines = [
      '# Served quality (through the gateway, business rules on)',
      '',
      `Command: \`npm run evaluate:served${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`;`,
      `model ${manifest.version} trained on data before ${opts.untilText}; test window ${opts.untilText} + ${opts.days} days;`,
      `${new Date().toISOString().slice(0, 10)}. Each case is one GraphQL request through the gateway with a service`,
      'key: `user(id) { recommendations(surface, limit: 10, context: { cartProductIds, country, time }) }`.',
      `Business rules: ${opts.rulesFile ? relative(root, opts.rulesFile) : 'the production defaults'} (version ${rules.version}; stock, do-not-show, margin boost, category diversity,`,
      'promotions, age and region, exploration slots); the field cache is off. The cases are',
      'those of `evaluate` (docs/evaluation/report.md): the same draw, the same targets. Guest invoices ask',
      'as a new guest id. "Offline" is the learned ranker (or cold start) scored by `evaluate` without',
      'rules; "fallback" counts lists served without the model.',
      `The API takes at most ${MAX_CART} cart products: ${cutCarts} CART case(s) with a longer cart sent their first ${MAX_CART}.`,
      '',
      '| protocol | cases | HR@10 | MRR | NDCG@10 | P@10 | R@10 | offline HR / NDCG | best README row HR / NDCG | target | fallback | short lists | p50 / p99 ms |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows.map((r) => {
        const off = offline.find((o) => o.protocol === r.protocol);
        const best = [...PUBLISHED_REFERENCE[r.protocol]].sort((a, b) => b.ndcg - a.ndcg)[0];
        const target = TARGETS[r.protocol];
        return (
          `| ${r.protocol} | ${r.cases} | ${f3(r.hr)} | ${f3(r.mrr)} | ${f3(r.ndcg)} | ${f3(r.precision)} | ${f3(r.recall)} | ` +
          `${off ? `${f3(off.hr)} / ${f3(off.ndcg)}` : '–'} | ${best ? `${f3(best.hr)} / ${f3(best.ndcg)}` : '–'} | ` +
          `${target ? `${target.hr !== undefined ? `HR ${target.hr}, ` : ''}NDCG ${target.ndcg}` : '–'} | ${r.fallbacks} | ${r.short} | ` +
          `${r.cases > 0 ? `${r.p50Ms.toFixed(1)} / ${r.p99Ms.toFixed(1)}` : '–'} |`
        );
      }),
      '',
    ];
    await writeFile(join(opts.out, 'served.md'), lines.join('\n'));
    await writeFile(
      join(opts.out, 'served.json'),
      JSON.stringify(
        {
          input: relative(root, opts.input),
          until: opts.untilText,
          days: opts.days,
          model: manifest.version,
          rows,
        },
        null,
        2,
      ) + '\n',
    );
    for (const r of rows) {
      console.log(
        `evaluate:served: ${r.protocol.padEnd(13)} cases ${r.cases}  HR ${f3(r.hr)}  NDCG ${f3(r.ndcg)}  fallback ${r.fallbacks}  short ${r.short}`,
      );
    }
    console.log(`evaluate:served: wrote ${join(opts.out, 'served.md')} and served.json`);
  } finally {
    await stack?.stop();
    if (registryParent) rmSync(registryParent, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof RuleConfigError) {
    console.error(`evaluate:served: ${err.message}\n${usage}`);
    process.exit(2);
  }
  console.error(`evaluate:served: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof ExitError ? err.code : 1);
});
