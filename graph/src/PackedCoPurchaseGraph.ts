import type { CoPurchaseEdge, CoPurchaseNeighbour, TopKOptions } from './CoPurchaseGraph';
import { addNeighbour, compareNeighbours, topKQuery } from './graphInput';

/**
 * A read-only co-purchase graph in typed arrays (compressed sparse rows): for each product, the
 * positions of its partners and the count and lift of each edge, both directions. Built once from a
 * model version's pairs, it answers {@link topK} exactly as {@link MemoryCoPurchaseGraph} does (same
 * validation, sums, ordering), but its arrays live outside the V8 heap: 4M pairs take 130 MB there
 * instead of about 400 MB of objects that every full garbage collection would mark, and it builds in
 * slices that keep the event loop free ({@link build}). Used by a server whose graph is a database, to
 * answer while the database is down. Product ids are found by binary search in a sorted array (no
 * million-entry Map on the heap).
 */
export class PackedCoPurchaseGraph {
  readonly kind = 'packed' as const;
  /** Product ids with at least one edge, sorted. */
  private readonly ids: string[];
  /** offsets[i] .. offsets[i + 1]: the edge slots of product i. */
  private readonly offsets: Int32Array;
  private readonly partner: Int32Array;
  private readonly count: Int32Array;
  private readonly lift: Float64Array;
  readonly edges: number;

  private constructor(
    ids: string[],
    offsets: Int32Array,
    partner: Int32Array,
    count: Int32Array,
    lift: Float64Array,
    edges: number,
  ) {
    this.ids = ids;
    this.offsets = offsets;
    this.partner = partner;
    this.count = count;
    this.lift = lift;
    this.edges = edges;
  }

  /**
   * Builds the graph from `edges` (unique pairs), in slices of `slice` edges that yield to the event
   * loop in between, so a server building it while it serves (a model version switch) keeps
   * answering. 4M pairs: a few seconds in all, no slice longer than tens of milliseconds but the sort
   * of the ids.
   */
  static async build(edges: readonly CoPurchaseEdge[], slice = 50_000): Promise<PackedCoPurchaseGraph> {
    const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
    const index = new Map<string, number>();
    const ids: string[] = [];
    const see = (id: string) => {
      if (!index.has(id)) index.set(id, ids.push(id) - 1);
    };
    for (let k = 0; k < edges.length; k++) {
      see(edges[k]!.a);
      see(edges[k]!.b);
      if (k % slice === slice - 1) await pause();
    }
    // sorted ids for the binary search of queries (the default sort orders by UTF-16 code units, as `<`
    // does); `rank` maps first-seen order to sorted order
    const sortedIds = [...ids].sort();
    await pause();
    const rank = new Int32Array(ids.length);
    for (let i = 0; i < sortedIds.length; i++) {
      rank[index.get(sortedIds[i]!)!] = i;
      if (i % slice === slice - 1) await pause();
    }
    const n = ids.length;
    const a = new Int32Array(edges.length);
    const b = new Int32Array(edges.length);
    const offsets = new Int32Array(n + 1);
    for (let k = 0; k < edges.length; k++) {
      a[k] = rank[index.get(edges[k]!.a)!]!;
      b[k] = rank[index.get(edges[k]!.b)!]!;
      offsets[a[k]! + 1]!++;
      offsets[b[k]! + 1]!++;
      if (k % slice === slice - 1) await pause();
    }
    index.clear();
    for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
    const fill = offsets.slice(0, n);
    const partner = new Int32Array(2 * edges.length);
    const count = new Int32Array(2 * edges.length);
    const lift = new Float64Array(2 * edges.length);
    const put = (from: number, to: number, c: number, l: number) => {
      const slot = fill[from]!++;
      partner[slot] = to;
      count[slot] = c;
      lift[slot] = l;
    };
    for (let k = 0; k < edges.length; k++) {
      const e = edges[k]!;
      put(a[k]!, b[k]!, e.count, e.lift);
      put(b[k]!, a[k]!, e.count, e.lift);
      if (k % slice === slice - 1) await pause();
    }
    return new PackedCoPurchaseGraph(sortedIds, offsets, partner, count, lift, edges.length);
  }

  /** Same contract as {@link CoPurchaseGraph.topK}. */
  async topK(seeds: string[], k: number, opts?: TopKOptions): Promise<CoPurchaseNeighbour[]> {
    const query = topKQuery(seeds, k, opts);
    if (query.k === 0) return [];
    const found = new Map<string, CoPurchaseNeighbour>();
    // Seeds are sorted, so each neighbour's seed list comes out sorted too.
    for (const seed of query.seeds) {
      const i = this.position(seed);
      if (i < 0) continue;
      for (let slot = this.offsets[i]!; slot < this.offsets[i + 1]!; slot++) {
        const productId = this.ids[this.partner[slot]!]!;
        const count = this.count[slot]!;
        const lift = this.lift[slot]!;
        if (query.excluded.has(productId) || count < query.minCount) continue;
        addNeighbour(found, productId, seed, count, lift);
      }
    }
    return [...found.values()].sort(compareNeighbours).slice(0, query.k);
  }

  /** Index of `id` in the sorted ids, or -1. */
  private position(id: string): number {
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid]!;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
