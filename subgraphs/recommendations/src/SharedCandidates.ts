import { createHash } from 'node:crypto';
import type { RecommendationResult } from './Recommendation';

/** What a shared (user-free) ranking depends on: everything {@link Recommender} ranks with, minus the user. */
export interface SharedCandidatesKey {
  surface: string;
  depth: number;
  country?: string;
  productId?: string;
  cartProductIds: readonly string[];
  query?: string;
  candidateProductIds: readonly string[];
  /** The served variant's ranking configuration (ranker on/off, source weights, model version). */
  variant: unknown;
}

export function sharedCandidatesKey(k: SharedCandidatesKey): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        k.country ?? '',
        k.productId ?? '',
        k.cartProductIds,
        k.query ?? '',
        k.candidateProductIds,
        k.variant ?? null,
      ]),
    )
    .digest('base64url')
    .slice(0, 22);
  return `${k.surface}:${k.depth}:${digest}`;
}

/** `warm`: computed ahead of any request (see `Recommender.warmShared`). */
export type SharedCandidatesEvent = 'hit' | 'miss' | 'warm' | 'refresh' | 'evict';

export interface SharedCandidatesOptions {
  /** How long a ranking is served, ms. */
  ttlMs: number;
  /** Most rankings kept (least recently used ones go first). */
  maxEntries: number;
  /** A hit on a ranking older than this recomputes it in the background (refresh-ahead); default 3/4 of the TTL. */
  refreshAfterMs?: number;
  onEvent?: (event: SharedCandidatesEvent) => void;
  now?: () => number;
}

interface Entry {
  at: number;
  value: Promise<RecommendationResult>;
  refreshing: boolean;
}

/**
 * Rankings that do not depend on who asks: a shopper the model does not know (or who opted out), with no
 * live purchases and no live session, gets the ranking of their surface, country, seed products and
 * variant. Those are computed once per TTL and shared by every such shopper, concurrent misses wait for
 * the same computation, and a ranking that is still asked for near the end of its TTL is recomputed in
 * the background, so steady anonymous traffic never waits for the ranker. Only the ranking is shared:
 * the business rules (stock, the shopper's "do not show", age, region, promotions in their window),
 * exploration and the list's request id run for every request. Degraded rankings (`fallback: true`)
 * are never kept.
 */
export class SharedCandidates {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: SharedCandidatesOptions) {
    this.refreshAfterMs = opts.refreshAfterMs ?? Math.floor(opts.ttlMs * 0.75);
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The shared ranking under `key`, computing it with `compute` when absent or expired. */
  get(
    key: string,
    compute: () => Promise<RecommendationResult>,
    onMiss: 'miss' | 'warm' = 'miss',
  ): Promise<RecommendationResult> {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.at < this.opts.ttlMs) {
      // least recently used first in the map's order
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.opts.onEvent?.('hit');
      if (!entry.refreshing && now - entry.at >= this.refreshAfterMs) this.refresh(key, entry, compute);
      return entry.value;
    }
    this.opts.onEvent?.(onMiss);
    const value = compute();
    this.put(key, { at: now, value, refreshing: false });
    return value;
  }

  /** Drops every ranking (a new model version or rule set is served). */
  clear(): void {
    this.entries.clear();
  }

  private put(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    const drop = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    entry.value.then((r) => {
      if (r.fallback) drop();
    }, drop);
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.opts.onEvent?.('evict');
    }
  }

  private refresh(key: string, entry: Entry, compute: () => Promise<RecommendationResult>): void {
    entry.refreshing = true;
    this.opts.onEvent?.('refresh');
    const started = this.now();
    compute().then(
      (r) => {
        // a degraded ranking does not replace a good one; the old one serves until it expires
        if (!r.fallback && this.entries.get(key) === entry)
          this.put(key, { at: started, value: Promise.resolve(r), refreshing: false });
        else entry.refreshing = false;
      },
      () => {
        entry.refreshing = false;
      },
    );
  }
}
