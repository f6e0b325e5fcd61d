/**
 * Ranking and beyond-accuracy metrics. Pure functions over ranked id lists so they can be checked
 * against hand-computed values; every evaluation protocol and every model uses these same functions.
 *
 * Conventions (those of the datasets README): `ranked` is the top-K list, best first; `relevant` the
 * set of products the shopper actually bought. Ranks are 1-based.
 */

/** 1 when any of the top `k` is relevant, else 0. */
export function hitRate(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (relevant.has(ranked[i]!)) return 1;
  return 0;
}

/** Reciprocal rank of the first relevant item within the top `k`, else 0. */
export function reciprocalRank(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (relevant.has(ranked[i]!)) return 1 / (i + 1);
  return 0;
}

/** Relevant items among the top `k`, divided by `k`. */
export function precisionAt(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  return hits(ranked, relevant, k) / k;
}

/** Relevant items among the top `k`, divided by the number of relevant items (0 when there are none). */
export function recallAt(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  return relevant.size === 0 ? 0 : hits(ranked, relevant, k) / relevant.size;
}

/**
 * Binary-relevance NDCG: DCG = Σ 1/log2(rank + 1) over relevant items in the top `k`, divided by the
 * ideal DCG of min(k, |relevant|) relevant items at the top.
 */
export function ndcgAt(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++)
    if (relevant.has(ranked[i]!)) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

function hits(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  let n = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (relevant.has(ranked[i]!)) n++;
  return n;
}

/** Share of the catalogue that appears in at least one list. */
export function catalogueCoverage(lists: readonly (readonly string[])[], catalogueSize: number): number {
  if (catalogueSize === 0) return 0;
  const seen = new Set<string>();
  for (const list of lists) for (const id of list) seen.add(id);
  return seen.size / catalogueSize;
}

/**
 * Mean pairwise dissimilarity (1 - similarity) inside one list; `similarity` must return values in
 * [0, 1]. Lists shorter than two items have no pairs and count as 0.
 */
export function intraListDiversity(
  list: readonly string[],
  similarity: (a: string, b: string) => number,
): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      sum += 1 - similarity(list[i]!, list[j]!);
      pairs++;
    }
  }
  return pairs === 0 ? 0 : sum / pairs;
}

/**
 * Mean self-information −log2(p) of the listed items, where p is an item's share of training
 * interactions (`popularity` counts, `total` their sum). Unseen items use a count of 1 (smoothing).
 */
export function novelty(
  list: readonly string[],
  popularity: ReadonlyMap<string, number>,
  total: number,
): number {
  if (list.length === 0 || total <= 0) return 0;
  let sum = 0;
  for (const id of list) sum += -Math.log2(Math.max(1, popularity.get(id) ?? 0) / total);
  return sum / list.length;
}

/**
 * Average recommendation popularity (ARP): mean training count of the listed items, divided by the
 * mean count over the whole catalogue, so 1 means "as popular as the average product" and larger
 * values mean the list leans on best-sellers.
 */
export function popularityBias(
  list: readonly string[],
  popularity: ReadonlyMap<string, number>,
  catalogueMean: number,
): number {
  if (list.length === 0 || catalogueMean <= 0) return 0;
  let sum = 0;
  for (const id of list) sum += popularity.get(id) ?? 0;
  return sum / list.length / catalogueMean;
}
