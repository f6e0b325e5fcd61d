import type {
  CoPurchaseEdge,
  CoPurchaseNeighbour,
  LoadOptions,
  ProductNode,
  TopKOptions,
} from './CoPurchaseGraph';

/** Default rows per write transaction. */
export const DEFAULT_BATCH_SIZE = 1000;

/** A topK request after validation: what both backends actually compute. */
export interface TopKQuery {
  /** Distinct seeds, sorted ascending. */
  seeds: string[];
  k: number;
  /** Seeds ∪ exclude: ids never returned. */
  excluded: Set<string>;
  minCount: number;
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function checkId(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${where} must be a non-empty string; received ${describe(value)}`);
  }
  return value;
}

/**
 * Validates an edge and returns it with `a < b`. Throws naming the row index and field, so a bad
 * row in a large load is easy to find.
 */
export function normaliseEdge(edge: CoPurchaseEdge, index: number): CoPurchaseEdge {
  const where = `edges[${index}]`;
  const a = checkId(`${where}.a`, edge?.a);
  const b = checkId(`${where}.b`, edge?.b);
  if (a === b) throw new RangeError(`${where} links product ${describe(a)} to itself`);
  const { count, confidence, lift } = edge;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`${where}.count must be a positive integer; received ${describe(count)}`);
  }
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
    throw new RangeError(`${where}.confidence must be a number in [0, 1]; received ${describe(confidence)}`);
  }
  if (typeof lift !== 'number' || !Number.isFinite(lift) || lift < 0) {
    throw new RangeError(`${where}.lift must be a finite number ≥ 0; received ${describe(lift)}`);
  }
  return a < b ? { a, b, count, confidence, lift } : { a: b, b: a, count, confidence, lift };
}

/** Validates a product row; optional fields must be strings when present. */
export function normaliseProduct(product: ProductNode, index: number): ProductNode {
  const where = `products[${index}]`;
  const id = checkId(`${where}.id`, product?.id);
  const out: ProductNode = { id };
  for (const field of ['title', 'category'] as const) {
    const value = product[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      throw new TypeError(`${where}.${field} must be a string when present; received ${describe(value)}`);
    }
    out[field] = value;
  }
  return out;
}

/** The batch size from load options, validated. */
export function batchSizeOf(opts: LoadOptions | undefined): number {
  const size = opts?.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`batchSize must be a positive integer; received ${describe(size)}`);
  }
  return size;
}

/** Splits rows into consecutive batches of at most `size`. */
export function batches<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Validates topK arguments and resolves defaults. */
export function topKQuery(seeds: string[], k: number, opts: TopKOptions | undefined): TopKQuery {
  if (!Array.isArray(seeds))
    throw new TypeError(`seeds must be an array of ids; received ${describe(seeds)}`);
  seeds.forEach((seed, i) => checkId(`seeds[${i}]`, seed));
  if (!Number.isSafeInteger(k) || k < 0) {
    throw new RangeError(`k must be a non-negative integer; received ${describe(k)}`);
  }
  const exclude = opts?.exclude ?? [];
  exclude.forEach((id, i) => checkId(`exclude[${i}]`, id));
  const minCount = opts?.minCount ?? 1;
  if (!Number.isSafeInteger(minCount) || minCount < 1) {
    throw new RangeError(`minCount must be a positive integer; received ${describe(minCount)}`);
  }
  const distinct = [...new Set(seeds)].sort();
  return { seeds: distinct, k, excluded: new Set([...distinct, ...exclude]), minCount };
}

/**
 * Adds one qualifying edge (seed → product) to a topK aggregation, as the Cypher query of the Neo4j
 * backend does: score Σ √(count · lift), count Σ, lift max, seeds in the order added.
 */
export function addNeighbour(
  found: Map<string, CoPurchaseNeighbour>,
  productId: string,
  seed: string,
  count: number,
  lift: number,
): void {
  const entry = found.get(productId);
  if (entry === undefined) {
    found.set(productId, { productId, score: Math.sqrt(count * lift), count, lift, seeds: [seed] });
  } else {
    entry.score += Math.sqrt(count * lift);
    entry.count += count;
    entry.lift = Math.max(entry.lift, lift);
    entry.seeds.push(seed);
  }
}

/** The ordering every backend returns: score descending, then product id ascending. */
export function compareNeighbours(
  x: { productId: string; score: number },
  y: { productId: string; score: number },
): number {
  if (x.score !== y.score) return y.score - x.score;
  return x.productId < y.productId ? -1 : x.productId > y.productId ? 1 : 0;
}
