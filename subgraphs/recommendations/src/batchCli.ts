import { createLogger, parseRedisUrl, redactRedisUrl } from '@recs/core';
import type { FeatureStore } from '@recs/feature-store';
import { MemoryCoPurchaseGraph } from '@recs/graph';
import { RegistryError, loadPromotedBundle, type ModelBundle } from '@recs/pipeline';
import { LearnedRanker } from './LearnedRanker';
import { Recommender } from './Recommender';
import { syncGraph } from './syncGraph';
import { LiveFacts } from './rules/LiveFacts';
import { RuleConfigError, loadRuleConfig, type RuleConfig } from './rules/RuleConfig';

/** A CLI failure with its exit code (the message goes to stderr). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** Exit codes shared by the batch commands (`email`, `replay`). */
export const EXIT = { usage: 2, input: 3, registry: 5, redis: 6 } as const;

/** `REDIS_URL` checked before any client is built: a bad value exits 2 with the (redacted) value. */
export function checkRedisUrl(url: string): string {
  try {
    parseRedisUrl(url);
  } catch (err) {
    throw new CliError(`REDIS_URL: ${(err as Error).message}`, EXIT.usage);
  }
  return url;
}

/** The failure of a command that needs the Redis at `url` and cannot reach it (exit 6, password hidden). */
export function redisUnreachable(url: string, detail = ''): CliError {
  return new CliError(
    `Redis at ${redactRedisUrl(url)} unreachable${detail ? `: ${detail}` : ''}`,
    EXIT.redis,
  );
}

/**
 * Fails with {@link redisUnreachable} unless `ping` answers true within `timeoutMs` (default 3 s; a
 * reachable Redis answers in milliseconds, an unreachable one would otherwise fail each command after
 * its retries). `lastError`: the client's last connection error, named in the message when there is one.
 */
export async function requireRedis(
  url: string,
  ping: () => Promise<boolean>,
  opts: { timeoutMs?: number; lastError?: () => Error | undefined } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 3_000;
  let timer: NodeJS.Timeout | undefined;
  const answer = await Promise.race([
    ping().then(
      (ok) => (ok ? undefined : `no answer to PING within ${timeoutMs / 1000} s`),
      (err: Error) => err.message,
    ),
    new Promise<string>(
      (res) => (timer = setTimeout(() => res(`no answer to PING within ${timeoutMs / 1000} s`), timeoutMs)),
    ),
  ]);
  clearTimeout(timer);
  // the connection's own error (connect ECONNREFUSED host:port) says more than a failed command
  if (answer !== undefined) throw redisUnreachable(url, opts.lastError?.()?.message ?? answer);
}

/** True for the errors ioredis fails a command with when the server cannot be reached. */
export function isRedisConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /^Connection is closed|^Stream isn't writeable/.test(err.message) ||
    (typeof code === 'string' &&
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code))
  );
}

/** The business rules of `RULES_FILE` (the built-in defaults when unset); a bad file exits 2. */
export function batchRules(): RuleConfig {
  try {
    return loadRuleConfig(process.env.RULES_FILE);
  } catch (err) {
    if (err instanceof RuleConfigError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/**
 * The recommender of a batch command: the promoted model version with the business rules of
 * `RULES_FILE` and the live store `facts`, the version's co-purchase graph in process, and generous
 * time budgets (no shopper waits). A bad `RULES_FILE` exits with code 2, registry problems with code 5.
 * `prepareCart: false` (a batch of HOME or EMAIL lists only) leaves the CART neighbour lists to be
 * built on first use, which such a batch never makes.
 */
export async function batchRecommender(
  name: string,
  registry: string,
  facts: FeatureStore,
  { prepareCart = true }: { prepareCart?: boolean } = {},
): Promise<{ recommender: Recommender; bundle: ModelBundle; close(): Promise<void> }> {
  // a bad RULES_FILE fails before the seconds of loading the model
  const rules = batchRules();
  let bundle;
  let learned;
  try {
    bundle = await loadPromotedBundle(registry);
    learned = await LearnedRanker.load(registry, bundle.version, bundle.catalogue, { prepareCart });
  } catch (err) {
    if (err instanceof RegistryError)
      throw new CliError(`model registry ${registry}: ${err.message}`, EXIT.registry);
    throw err;
  }
  const recent = new Map(bundle.popularity.global.map((p) => [p.productId, p.baskets]));
  // the version's co-purchase pairs, in process: what the servers' graph answers for CART and PRODUCT
  // lists that do not use the learned ranker (e.g. a variant with `ranker: false`)
  const graph = new MemoryCoPurchaseGraph();
  await syncGraph(graph, bundle);
  const recommender = new Recommender({
    bundle,
    graph,
    log: createLogger(name, 'warn'),
    learned,
    learnedBudgetMs: 5_000,
    factsBudgetMs: 2_000,
    facts: new LiveFacts(bundle.catalogue, facts, (id) => recent.get(id)),
    rules,
  });
  return {
    recommender,
    bundle,
    close: async () => {
      await facts.close();
      await learned?.close();
      await graph.close();
    },
  };
}

/** Runs a CLI's main: exit 0, the CliError's code with its message, or 1 with the stack. */
export function runCli(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof CliError) {
        process.stderr.write(`${name}: ${err.message}\n`);
        process.exit(err.code);
      }
      process.stderr.write(`${name}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
