import {
  auth,
  bookmarkManager,
  driver as createDriver,
  int,
  isInt,
  session as sessionMode,
} from 'neo4j-driver';
import type { BookmarkManager, Driver, ManagedTransaction, Session } from 'neo4j-driver';
import type {
  CoPurchaseEdge,
  CoPurchaseGraph,
  CoPurchaseNeighbour,
  LoadOptions,
  ProductNode,
  TopKOptions,
} from './CoPurchaseGraph';
import {
  batchSizeOf,
  batches,
  compareNeighbours,
  normaliseEdge,
  normaliseProduct,
  topKQuery,
} from './graphInput';

/** Where the graph lives inside the database; lets several graphs (e.g. tests) share one server. */
interface Neo4jGraphPlacement {
  /** Database name; default: the server's default database. */
  database?: string;
  /**
   * Node label of products (letters, digits, `_`; must start with a letter); default `Product`.
   * Every query, the constraint and `clear()` are scoped to this label.
   */
  label?: string;
  /**
   * Time-out of the cart query, ms, sent with it as its transaction time-out: the database ends it
   * there even when the caller has stopped waiting, so runaway queries do not pile up in Neo4j.
   * Default {@link DEFAULT_QUERY_TIMEOUT_MS}. Neo4j checks time-outs every
   * `db.transaction.monitor.check.interval` (2 s by default; 10 ms in the embedded launcher).
   */
  queryTimeoutMs?: number;
}

/** The cart query's default time-out: 20 of the recommendations subgraph's 50 ms graph budgets. */
export const DEFAULT_QUERY_TIMEOUT_MS = 1_000;

/** Options for {@link Neo4jCoPurchaseGraph}: connection details, or a driver the caller owns. */
export type Neo4jCoPurchaseGraphOptions = Neo4jGraphPlacement &
  (
    | {
        /**
         * `bolt://host:7687` (one server) or `neo4j://host:7687` (routing: the driver asks the server
         * for a routing table, sends writes to the leader and reads to followers / read replicas of a
         * cluster; a standalone server answers with itself). `+s` variants for TLS.
         */
        uri: string;
        /** Default `neo4j` when a password is given. */
        user?: string;
        /** Omit for a server without authentication. */
        password?: string;
        driver?: never;
      }
    | {
        /** A driver this graph uses but never closes. */
        driver: Driver;
        uri?: never;
        user?: never;
        password?: never;
      }
  );

const LABEL_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const CLEAR_BATCH_ROWS = 10_000;

/**
 * {@link CoPurchaseGraph} on Neo4j 5: `(:Product {id, title, category})` nodes and one
 * `(:Product)-[:BOUGHT_WITH {count, confidence, lift}]->(:Product)` relationship per pair, directed
 * from the smaller id to the larger and always matched undirected. Every value goes through
 * `$parameters`; only the validated label is spliced into the query text, because Cypher cannot
 * parameterise labels.
 */
export class Neo4jCoPurchaseGraph implements CoPurchaseGraph {
  readonly kind = 'neo4j' as const;
  /** Product label in use. */
  readonly label: string;
  /** Name of the uniqueness constraint on `:<label>(id)` created by {@link ensureSchema}. */
  readonly constraintName: string;
  private readonly driver: Driver;
  private readonly ownsDriver: boolean;
  private readonly database: string | undefined;
  /**
   * Shared by every session of this graph, so a read follows the graph's own earlier writes even
   * when a cluster routes it to another member (causal consistency through bookmarks).
   */
  private readonly bookmarks: BookmarkManager = bookmarkManager();
  private readonly cypher: ReturnType<typeof queries>;
  private readonly queryTimeoutMs: number;

  constructor(options: Neo4jCoPurchaseGraphOptions) {
    const label = options.label ?? 'Product';
    const timeout = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout < 1) {
      throw new RangeError(`queryTimeoutMs must be a positive integer; received ${JSON.stringify(timeout)}`);
    }
    this.queryTimeoutMs = timeout;
    if (!LABEL_PATTERN.test(label)) {
      throw new RangeError(
        `label must be 1-64 letters, digits or '_' starting with a letter; received ${JSON.stringify(label)}`,
      );
    }
    this.label = label;
    this.constraintName = `${label}_id_unique`;
    this.database = options.database;
    if (options.driver !== undefined) {
      this.driver = options.driver;
      this.ownsDriver = false;
    } else {
      if (typeof options.uri !== 'string' || options.uri === '') {
        throw new TypeError(`uri or driver is required; received uri ${JSON.stringify(options.uri)}`);
      }
      const token =
        options.password === undefined ? undefined : auth.basic(options.user ?? 'neo4j', options.password);
      this.driver = createDriver(options.uri, token);
      this.ownsDriver = true;
    }
    this.cypher = queries(`\`${label}\``, this.constraintName);
  }

  async ensureSchema(): Promise<void> {
    await this.withSession((session) => session.run(this.cypher.constraint));
  }

  async loadProducts(products: ProductNode[], opts?: LoadOptions): Promise<void> {
    const size = batchSizeOf(opts);
    const rows = products
      .map(normaliseProduct)
      .map((p) => ({ id: p.id, title: p.title ?? null, category: p.category ?? null }));
    await this.writeBatches(this.cypher.mergeProducts, batches(rows, size));
  }

  async loadEdges(edges: CoPurchaseEdge[], opts?: LoadOptions): Promise<void> {
    const size = batchSizeOf(opts);
    // Counts are sent as Neo4j integers (JS numbers would be stored as floats); they are converted
    // back to numbers only when read.
    const rows = edges.map(normaliseEdge).map((e) => ({ ...e, count: int(e.count) }));
    await this.writeBatches(this.cypher.mergeEdges, batches(rows, size));
  }

  async topK(seeds: string[], k: number, opts?: TopKOptions): Promise<CoPurchaseNeighbour[]> {
    const query = topKQuery(seeds, k, opts);
    if (query.k === 0 || query.seeds.length === 0) return [];
    const params = {
      seeds: query.seeds,
      excluded: [...query.excluded],
      minCount: int(query.minCount),
      k: int(query.k),
    };
    // One auto-commit query in a READ session (routed to a reader, as executeRead is): RUN and PULL go
    // out together and come back as one answer. A managed transaction adds BEGIN and a COMMIT round
    // trip: on 20-item carts of the 961,674-product graph it cost Neo4j 4.7 ms of CPU per query
    // against 3.8 ms auto-commit (means of 6 groups of 300). A read has nothing to commit. Nothing retries
    // it on a stale connection as executeRead would: the caller's budget and breaker handle that.
    const records = await this.withSession(async (session) => {
      try {
        return await session.run(this.cypher.topK, params, { timeout: this.queryTimeoutMs });
      } catch (err) {
        if (/TransactionTimedOut/.test(String((err as { code?: unknown }).code))) {
          throw new Error(
            `co-purchase graph query ended by Neo4j at its ${this.queryTimeoutMs} ms time-out`,
            {
              cause: err,
            },
          );
        }
        throw err;
      }
    }, 'READ');
    return records.records
      .map((r) => ({
        productId: String(r.get('productId')),
        score: toNumber(r.get('score')),
        count: toNumber(r.get('count')),
        lift: toNumber(r.get('lift')),
        seeds: (r.get('seeds') as string[]).slice().sort(),
      }))
      .sort(compareNeighbours);
  }

  async counts(): Promise<{ products: number; edges: number }> {
    const result = await this.withSession(
      (session) => session.executeRead((tx) => tx.run(this.cypher.counts)),
      'READ',
    );
    const record = result.records[0];
    return { products: toNumber(record?.get('products')), edges: toNumber(record?.get('edges')) };
  }

  /**
   * After a restart Neo4j's page cache is cold, and at 961,674 products the first hundred cart
   * queries took p50 17 ms with 13 over 50 ms: enough time-outs in a row to open the serving breaker,
   * which then lets one probe through per cool-down and keeps the cache cold. This reads the id index
   * and every relationship with its properties and endpoint ids once (9.5 s at 4M relationships here;
   * after it the first hundred took p50 9.5 ms, 2 over 50 ms).
   */
  async warmUp(): Promise<{ products: number; edges: number }> {
    const [products, edges] = await this.withSession(async (session) => {
      const ids = await session.run(this.cypher.warmIds);
      const pairs = await session.run(this.cypher.warmEdges);
      return [toNumber(ids.records[0]?.get('products')), toNumber(pairs.records[0]?.get('edges'))];
    }, 'READ');
    return { products, edges };
  }

  async clear(): Promise<void> {
    // CALL … IN TRANSACTIONS needs an auto-commit transaction, hence session.run.
    await this.withSession((session) =>
      session.run(this.cypher.clear, { batchRows: int(CLEAR_BATCH_ROWS) }).summary(),
    );
  }

  async close(): Promise<void> {
    if (this.ownsDriver) await this.driver.close();
  }

  private async writeBatches(cypher: string, rowBatches: object[][]): Promise<void> {
    if (rowBatches.length === 0) return;
    await this.withSession(async (session) => {
      for (const rows of rowBatches) {
        await session.executeWrite((tx: ManagedTransaction) => tx.run(cypher, { rows }));
      }
    });
  }

  private async withSession<T>(
    work: (session: Session) => Promise<T>,
    mode: 'READ' | 'WRITE' = 'WRITE',
  ): Promise<T> {
    // Reads run in READ sessions (executeRead, or auto-commit `run` for the cart query) and writes in
    // WRITE sessions (executeWrite, or auto-commit `run` for schema and CALL … IN TRANSACTIONS), so a
    // neo4j:// driver routes them.
    const session = this.driver.session({
      database: this.database,
      defaultAccessMode: mode === 'READ' ? sessionMode.READ : sessionMode.WRITE,
      bookmarkManager: this.bookmarks,
    });
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }
}

/** All query texts for one (already validated and quoted) label. */
function queries(label: string, constraintName: string) {
  return {
    constraint: `CREATE CONSTRAINT \`${constraintName}\` IF NOT EXISTS FOR (p:${label}) REQUIRE p.id IS UNIQUE`,
    mergeProducts: `
      UNWIND $rows AS r
      MERGE (p:${label} {id: r.id})
      SET p.title = r.title, p.category = r.category`,
    mergeEdges: `
      UNWIND $rows AS r
      MERGE (a:${label} {id: r.a})
      MERGE (b:${label} {id: r.b})
      MERGE (a)-[e:BOUGHT_WITH]->(b)
      SET e.count = r.count, e.confidence = r.confidence, e.lift = r.lift`,
    // One query for the whole cart: every seed's neighbours are aggregated before ranking. The
    // excluded ids are dropped after the aggregation, once per partner instead of once per
    // relationship (same answer: a partner's sums do not depend on the others). On 20-item carts of a
    // synthetic graph (3,000 products, 40 partners each) a query took 8.4-9.3 ms against 9.7-11.9 ms.
    topK: `
      UNWIND $seeds AS seedId
      MATCH (s:${label} {id: seedId})-[r:BOUGHT_WITH]-(c:${label})
      WHERE r.count >= $minCount
      WITH c.id AS productId, s.id AS seed, r
      WITH productId,
           sum(sqrt(r.count * r.lift)) AS score,
           sum(r.count) AS count,
           max(r.lift) AS lift,
           collect(seed) AS seeds
      WHERE NOT productId IN $excluded
      RETURN productId, score, count, lift, seeds
      ORDER BY score DESC, productId ASC
      LIMIT $k`,
    counts: `RETURN COUNT { (:${label}) } AS products, COUNT { (:${label})-[:BOUGHT_WITH]->(:${label}) } AS edges`,
    // a range scan of the id index (the cart query's seeks), then every relationship, its count and
    // lift and both endpoints' ids (what the cart query reads)
    warmIds: `MATCH (p:${label}) WHERE p.id >= '' RETURN count(p) AS products`,
    warmEdges: `
      MATCH (a:${label})-[r:BOUGHT_WITH]->(b:${label})
      WITH r, a.id AS x, b.id AS y, r.count * r.lift AS strength
      RETURN count(r) AS edges, count(x) + count(y) + count(strength) AS touched`,
    clear: `
      MATCH (p:${label})
      CALL (p) { DETACH DELETE p } IN TRANSACTIONS OF $batchRows ROWS`,
  };
}

/** Converts a Neo4j Integer / float / null read from a record into a JS number, once, at the boundary. */
function toNumber(value: unknown): number {
  if (isInt(value)) return value.toNumber();
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new TypeError(`expected a number from Neo4j; received ${JSON.stringify(value)}`);
}
