import type {
  CoPurchaseEdge,
  CoPurchaseGraph,
  CoPurchaseNeighbour,
  LoadOptions,
  ProductNode,
  TopKOptions,
} from './CoPurchaseGraph';
import {
  addNeighbour,
  batchSizeOf,
  compareNeighbours,
  normaliseEdge,
  normaliseProduct,
  topKQuery,
} from './graphInput';

interface EdgeProps {
  count: number;
  confidence: number;
  lift: number;
}

/**
 * In-process {@link CoPurchaseGraph}: the embedded default when no Neo4j is configured. Same semantics
 * as the Neo4j backend (including validation and ordering); data lives only as long as the instance.
 */
export class MemoryCoPurchaseGraph implements CoPurchaseGraph {
  readonly kind = 'memory' as const;
  private readonly products = new Map<string, ProductNode>();
  /** Both directions of every edge, so a lookup from either endpoint is one map access. */
  private readonly adjacency = new Map<string, Map<string, EdgeProps>>();
  private edgeCount = 0;

  async ensureSchema(): Promise<void> {
    // Product ids are map keys, so uniqueness holds by construction.
  }

  async loadProducts(products: ProductNode[], opts?: LoadOptions): Promise<void> {
    batchSizeOf(opts);
    const rows = products.map(normaliseProduct);
    for (const row of rows) this.products.set(row.id, row);
  }

  async loadEdges(edges: CoPurchaseEdge[], opts?: LoadOptions): Promise<void> {
    batchSizeOf(opts);
    const rows = edges.map(normaliseEdge);
    for (const { a, b, count, confidence, lift } of rows) {
      if (!this.products.has(a)) this.products.set(a, { id: a });
      if (!this.products.has(b)) this.products.set(b, { id: b });
      const props = { count, confidence, lift };
      if (!this.neighbours(a).has(b)) this.edgeCount++;
      this.neighbours(a).set(b, props);
      this.neighbours(b).set(a, props);
    }
  }

  async topK(seeds: string[], k: number, opts?: TopKOptions): Promise<CoPurchaseNeighbour[]> {
    const query = topKQuery(seeds, k, opts);
    if (query.k === 0) return [];
    const found = new Map<string, CoPurchaseNeighbour>();
    // Seeds are sorted, so each neighbour's seed list comes out sorted too.
    for (const seed of query.seeds) {
      for (const [productId, edge] of this.adjacency.get(seed) ?? []) {
        if (query.excluded.has(productId) || edge.count < query.minCount) continue;
        addNeighbour(found, productId, seed, edge.count, edge.lift);
      }
    }
    return [...found.values()].sort(compareNeighbours).slice(0, query.k);
  }

  async counts(): Promise<{ products: number; edges: number }> {
    return { products: this.products.size, edges: this.edgeCount };
  }

  async clear(): Promise<void> {
    this.products.clear();
    this.adjacency.clear();
    this.edgeCount = 0;
  }

  async close(): Promise<void> {}

  private neighbours(id: string): Map<string, EdgeProps> {
    let map = this.adjacency.get(id);
    if (map === undefined) {
      map = new Map();
      this.adjacency.set(id, map);
    }
    return map;
  }
}
