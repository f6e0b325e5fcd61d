import { access } from 'node:fs/promises';
import { readOnlineRetail } from './ingest/onlineRetail';
import { excludeForgotten } from './forgotten';
import type { CatalogueEntry } from './ingest/Interaction';
import { categorisedShare } from './ingest/taxonomy';
import { trainPopularity } from './models/popularity';
import { trainCoPurchase } from './models/coPurchase';
import { computeProductFeatures, computeUserFeatures } from './features/offlineFeatures';
import { ModelRegistry } from './registry/ModelRegistry';
import { exportTreeEnsemble } from '@recs/model-runtime';
import { trainCandidateModels } from './models/candidateModels';
import { candidateArtefacts } from './models/candidateArtefacts';
import { trainRankers } from './ranker/trainRanker';
import { FEATURES } from './ranker/features';
import type { Manifest } from './registry/Manifest';
import { chooseIndex } from '@recs/vector-index';
import { buildItemIndex, itemIndexArtefacts } from './models/itemIndex';

const DAY_MS = 86_400_000;
/** Days before the cut-off that popularity (the fallback of every surface) counts purchases in. */
export const POPULARITY_WINDOW_DAYS = 30;

/** Datasets the trainer knows how to read. */
export const DATASETS = ['online-retail'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** A training failure the CLI reports with its own exit code. */
export class TrainError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface TrainOptions {
  dataset: DatasetName;
  input: string;
  /** Exclusive cut-off, shop-local epoch ms: nothing at or after it is read. */
  until: number;
  registryRoot: string;
  /** Promote the new version once written (default true). */
  promote?: boolean;
  log?: (line: string) => void;
}

/** The artefacts a model version holds; the servers load exactly these. */
export interface ModelArtefacts {
  catalogue: CatalogueEntry[];
  popularity: ReturnType<typeof trainPopularity>;
  coPurchase: ReturnType<typeof trainCoPurchase>;
  userFeatures: ReturnType<typeof computeUserFeatures>;
  productFeatures: ReturnType<typeof computeProductFeatures>;
}

/**
 * Trains a model version from a dataset file, strictly on data before `until`, publishes it to the
 * registry and (by default) promotes it.
 */
export async function train(opts: TrainOptions): Promise<Manifest> {
  const log = opts.log ?? (() => {});
  try {
    await access(opts.input);
  } catch {
    throw new TrainError(`input file not found: ${opts.input}`, 3);
  }
  // before the minute of training: a registry that cannot take the version fails now (exit 5)
  const registry = new ModelRegistry(opts.registryRoot);
  await registry.ensureWritable();
  const t0 = Date.now();
  const read = await readOnlineRetail(opts.input, { until: opts.until });
  log(`read ${read.report.rowsRead} rows, accepted ${read.report.accepted} in ${Date.now() - t0} ms`);
  // shoppers forgotten with forgetUser are not learned from again
  const kept = await excludeForgotten(read.interactions, opts.registryRoot);
  if (kept.excluded > 0)
    log(`excluded ${kept.excluded} interactions of ${kept.forgotten} forgotten shoppers`);
  const data = { ...read, interactions: kept.interactions };
  if (data.interactions.length === 0) {
    throw new TrainError(
      `no usable interactions before ${new Date(opts.until).toISOString().slice(0, 10)}`,
      4,
    );
  }
  let min = Infinity;
  let max = -Infinity;
  for (const e of data.interactions) {
    if (e.ts < min) min = e.ts;
    if (e.ts > max) max = e.ts;
  }
  // A cut-off long after the data would publish a model whose popularity lists (the fallback of every
  // surface and the whole answer for new shoppers) are empty.
  if (max < opts.until - POPULARITY_WINDOW_DAYS * DAY_MS) {
    throw new TrainError(
      `no purchases in the ${POPULARITY_WINDOW_DAYS} days before the cut-off ${isoDate(opts.until)}: ` +
        `the data in ${opts.input} ends at ${isoDate(max)}; choose --until at most ` +
        `${isoDate(max + POPULARITY_WINDOW_DAYS * DAY_MS)}`,
      4,
    );
  }
  const t1 = Date.now();
  const popularity = trainPopularity(data.interactions, {
    until: opts.until,
    windowDays: POPULARITY_WINDOW_DAYS,
  });
  log(
    `popularity: ${popularity.global.length} products, ${Object.keys(popularity.byCountry).length} countries in ${Date.now() - t1} ms`,
  );
  const t2 = Date.now();
  const coPurchase = trainCoPurchase(data.interactions);
  log(`co-purchase: ${coPurchase.length} pairs in ${Date.now() - t2} ms`);
  const categorised = categorisedShare(data.catalogue.values());
  log(`taxonomy: ${(100 * categorised).toFixed(1)}% of products in a category other than "other"`);
  const t3 = Date.now();
  const artefacts: ModelArtefacts = {
    catalogue: [...data.catalogue.values()],
    popularity,
    coPurchase,
    userFeatures: computeUserFeatures(data.interactions, data.catalogue),
    productFeatures: computeProductFeatures(data.interactions, data.catalogue, opts.until),
  };
  const timings: Record<string, number> = {
    readAndCleanMs: t1 - t0,
    popularityMs: t2 - t1,
    coPurchaseMs: t3 - t2,
    featuresMs: Date.now() - t3,
  };
  const titles = new Map([...data.catalogue.values()].map((c) => [c.id, c.title] as const));
  const t4 = Date.now();
  const candidates = await trainCandidateModels(data.interactions, opts.until, {
    titles,
    log: (line) => log(`candidates: ${line}`),
  });
  timings.candidateModelsMs = Date.now() - t4;
  const tIndex = Date.now();
  const vectorIndex = chooseIndex({ size: candidates.matrix.items.length });
  const itemIndex = buildItemIndex(
    candidates.matrix.items,
    candidates.als.itemFactors,
    candidates.als.factors,
    vectorIndex,
  );
  const indexFiles = await itemIndexArtefacts(itemIndex);
  timings.itemIndexMs = Date.now() - tIndex;
  log(`item index: ${itemIndex.kind} over ${itemIndex.size} ALS item vectors in ${timings.itemIndexMs} ms`);
  const t5 = Date.now();
  const rankers = await trainRankers(data.interactions, opts.until, { titles, log });
  timings.rankersMs = Date.now() - t5;
  const extra: Record<string, unknown> = {
    ...candidateArtefacts(candidates),
    ...indexFiles,
    rankers: {
      features: FEATURES,
      window: { from: isoDate(rankers.window.from), to: isoDate(rankers.window.to) },
      rows: rankers.rows,
      cart: rankers.cart ?? null,
      home: rankers.home ?? null,
    },
  };
  if (rankers.cart) extra['ranker-cart'] = exportTreeEnsemble(rankers.cart);
  if (rankers.home) extra['ranker-home'] = exportTreeEnsemble(rankers.home);
  const t6 = Date.now();
  const manifest = await registry.publish(
    { ...artefacts, ...extra },
    {
      dataset: opts.dataset,
      input: opts.input,
      dataRange: { from: isoDate(min), to: isoDate(max) },
      until: isoDate(opts.until),
      metrics: {
        products: data.catalogue.size,
        modelProducts: candidates.matrix.items.length,
        categorisedProducts: Math.round(categorised * 1000) / 1000,
        interactions: data.interactions.length,
        coPurchasePairs: coPurchase.length,
        rankerRowsCart: rankers.rows.cart,
        rankerRowsHome: rankers.rows.home,
      },
      timings,
      cleaning: data.report as unknown as Record<string, unknown>,
      vectorIndex,
    },
  );
  log(`published ${Object.keys(manifest.files).length} artefacts in ${Date.now() - t6} ms`);
  if (opts.promote !== false) await registry.promote(manifest.version);
  log(
    `model ${manifest.version} written${opts.promote !== false ? ' and promoted' : ''} in ${Date.now() - t0} ms`,
  );
  return manifest;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Parses YYYY-MM-DD as shop-local midnight (epoch ms); undefined when malformed or not a real date. */
export function parseUntil(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
  return new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined;
}
