import { seededRandom } from '@recs/core';
import type { Interaction } from '../ingest/Interaction';

/**
 * The statistics the synthetic generator is fitted to and tested against, computed the same way on
 * the real Online Retail data and on generated data.
 */

/** One invoice: its customer (null for a guest), distinct products, shop-local time. */
export interface StatBasket {
  user: string | null;
  items: string[];
  ts: number;
}

/** Groups cleaned interactions into invoices (distinct products each), in time order. */
export function basketsOf(interactions: Iterable<Interaction>): StatBasket[] {
  const byId = new Map<string, StatBasket & { seen: Set<string> }>();
  for (const e of interactions) {
    let b = byId.get(e.basketId);
    if (!b) byId.set(e.basketId, (b = { user: e.userId, items: [], ts: e.ts, seen: new Set() }));
    if (!b.seen.has(e.productId)) {
      b.seen.add(e.productId);
      b.items.push(e.productId);
    }
    if (e.ts < b.ts) b.ts = e.ts;
  }
  return [...byId.values()].map(({ user, items, ts }) => ({ user, items, ts })).sort((a, b) => a.ts - b.ts);
}

/** Share of all values held by the largest `fraction` of them (at least one), for each fraction. */
export function topShares(values: Iterable<number>, fractions: readonly number[]): number[] {
  const sorted = Float64Array.from(values).sort().reverse();
  let total = 0;
  for (const v of sorted) total += v;
  return fractions.map((f) => {
    const k = Math.max(1, Math.round(f * sorted.length));
    let top = 0;
    for (let i = 0; i < k; i++) top += sorted[i]!;
    return total > 0 ? top / total : 0;
  });
}

/** `q`-quantiles (0..1, nearest rank on the sorted values). */
export function quantiles(values: Iterable<number>, qs: readonly number[]): number[] {
  const sorted = Float64Array.from(values).sort();
  return qs.map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!);
}

/** Counts of each key. */
export function countBy<T>(items: Iterable<T>, key: (item: T) => string | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** Invoices per product (the popularity the skew is measured on). */
export function productBasketCounts(baskets: readonly StatBasket[]): Map<string, number> {
  return countBy(
    baskets.flatMap((b) => b.items),
    (p) => p,
  );
}

/** Lines (distinct products per invoice) per customer. */
export function userLineCounts(baskets: readonly StatBasket[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of baskets)
    if (b.user !== null) counts.set(b.user, (counts.get(b.user) ?? 0) + b.items.length);
  return counts;
}

/** Invoices per customer. */
export function userBasketCounts(baskets: readonly StatBasket[]): Map<string, number> {
  return countBy(baskets, (b) => b.user);
}

/**
 * Buy-again structure: of the lines in a customer's second and later invoices, the share whose
 * product that customer bought in an earlier invoice (baskets must be in time order).
 */
export function repeatShare(baskets: readonly StatBasket[]): number {
  const bought = new Map<string, Set<string>>();
  let lines = 0;
  let repeats = 0;
  for (const b of baskets) {
    if (b.user === null) continue;
    const seen = bought.get(b.user);
    if (!seen) {
      bought.set(b.user, new Set(b.items));
      continue;
    }
    for (const p of b.items) {
      lines++;
      if (seen.has(p)) repeats++;
    }
    for (const p of b.items) seen.add(p);
  }
  return lines > 0 ? repeats / lines : 0;
}

/**
 * Co-purchase structure: hit rate at 10 of raw co-occurrence counts on basket completion. A seeded
 * sample of `cases` invoices with at least two products is held out; in each, one product (seeded) is
 * hidden and every product not in the rest of the invoice is scored by the sum of its co-occurrence
 * counts with it over the other invoices. Dense counts: for catalogues up to `maxProducts` products.
 */
export function coOccurrenceHitRate(
  baskets: readonly StatBasket[],
  opts: { cases?: number; seed?: number; maxProducts?: number } = {},
): number {
  const random = seededRandom(opts.seed ?? 42);
  const index = new Map<string, number>();
  for (const b of baskets) for (const p of b.items) if (!index.has(p)) index.set(p, index.size);
  const n = index.size;
  if (n > (opts.maxProducts ?? 8000)) {
    throw new RangeError(`coOccurrenceHitRate holds an n x n matrix: at most 8000 products; received ${n}`);
  }
  const eligible = baskets.map((_, i) => i).filter((i) => baskets[i]!.items.length >= 2);
  const held = new Set<number>();
  const cases = Math.min(opts.cases ?? 2000, eligible.length);
  while (held.size < cases) held.add(eligible[Math.floor(random() * eligible.length)]!);
  const counts = new Float32Array(n * n);
  const rows = baskets.map((b) => Int32Array.from(b.items, (p) => index.get(p)!));
  rows.forEach((row, i) => {
    if (held.has(i)) return;
    for (const a of row) for (const c of row) if (a !== c) counts[a * n + c]! += 1;
  });
  const scores = new Float32Array(n);
  let hits = 0;
  for (const i of [...held].sort((a, b) => a - b)) {
    const row = rows[i]!;
    const hidden = row[Math.floor(random() * row.length)]!;
    scores.fill(0);
    for (const c of row) {
      if (c === hidden) continue;
      for (let j = 0, base = c * n; j < n; j++) scores[j]! += counts[base + j]!;
    }
    for (const c of row) if (c !== hidden) scores[c] = -1;
    // Rank of the hidden product: how many score strictly higher (ties in its favour).
    const target = scores[hidden]!;
    let above = 0;
    for (let j = 0; j < n && above < 10; j++) if (scores[j]! > target) above++;
    if (above < 10 && target > 0) hits++;
  }
  return hits / cases;
}
