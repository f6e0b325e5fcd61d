import { createLogger } from '@recs/core';
import type { FeatureStore } from '@recs/feature-store';
import { MemoryCoPurchaseGraph } from '@recs/graph';
import { RegistryError, loadPromotedBundle, type ModelBundle } from '@recs/pipeline';
import { LearnedRanker } from './LearnedRanker';
import { Recommender } from './Recommender';
import { LiveFacts } from './rules/LiveFacts';
import { loadRuleConfig } from './rules/RuleConfig';

/** A CLI failure with its exit code (the message goes to stderr). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/**
 * The recommender of a batch command: the promoted model version with the business rules of
 * `RULES_FILE` and the live store `facts`, the in-process co-purchase graph, and generous time budgets
 * (no shopper waits). Registry problems exit with code 5.
 */
export async function batchRecommender(
  name: string,
  registry: string,
  facts: FeatureStore,
): Promise<{ recommender: Recommender; bundle: ModelBundle; close(): Promise<void> }> {
  let bundle;
  let learned;
  try {
    bundle = await loadPromotedBundle(registry);
    learned = await LearnedRanker.load(registry, bundle.version, bundle.catalogue);
  } catch (err) {
    if (err instanceof RegistryError) throw new CliError(`model registry ${registry}: ${err.message}`, 5);
    throw err;
  }
  const recent = new Map(bundle.popularity.global.map((p) => [p.productId, p.baskets]));
  const recommender = new Recommender({
    bundle,
    graph: new MemoryCoPurchaseGraph(),
    log: createLogger(name, 'warn'),
    learned,
    learnedBudgetMs: 5_000,
    factsBudgetMs: 2_000,
    facts: new LiveFacts(bundle.catalogue, facts, (id) => recent.get(id)),
    rules: loadRuleConfig(process.env.RULES_FILE),
  });
  return {
    recommender,
    bundle,
    close: async () => {
      await facts.close();
      await learned?.close();
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
