/**
 * Benchmark: the co-purchase graph on a real Neo4j 5 as the catalogue and the product degree grow.
 *
 *   nice -n 5 node --max-old-space-size=8000 --import tsx bench/scale-neo4j.ts \
 *     [--sizes 10000:10,10000:30,10000:100,100000:10] [--synth 10000:1000000] [--queries 300]
 *     [--carts 1,3,10] [--k 10] [--heap 2g] [--pagecache 1g] [--timeout 600] [--seed 1] [--json FILE]
 *
 * For each size (`products:average degree`) it starts a fresh private Neo4j (testkit `startNeo4j`, free
 * port, its own temp dir, stopped by pid at the end), generates the co-purchase pairs and loads them
 * through the engine's own loader: `syncGraph` of the recommendations subgraph on a
 * `Neo4jCoPurchaseGraph` (constraint, clear, products, then edges in UNWIND/MERGE batches of 1,000 in
 * executeWrite transactions). Then it runs the multi-item cart query (`topK(cart, k)`, the query the
 * CART surface's graph source uses) one at a time from one client, after 300 warm-up queries: carts of 1,
 * 3 and 10 items, `--queries` per cart size, and reports p50/p95/p99/max.
 *
 * Pairs, `--sizes` (direct generation, degree under control): products get the synthetic generator's
 * ids, titles, power-law popularity w(r) ∝ ((r + ½)/N + c)^−a and themes of 20 (pipeline/src/synthetic,
 * FITTED). Each product draws degree/2 partners (so every product has some, as `trainCoPurchase` keeps
 * the strongest partners per product); a partner is from the product's own theme with probability
 * pTheme, else drawn by global popularity (so popular products collect many more edges: a skewed
 * degree, as in the real data). Duplicate pairs are redrawn. count = 2 + ⌊exp(N(1.6, 1.2))⌋ (median 6,
 * p90 ~27; the real pairs have 8 / 35), lift and confidence from the implied supports.
 * Pairs, `--synth products:events`: the synthetic invoices themselves (`SyntheticShop`) counted by the
 * pipeline's `trainCoPurchase` (min count 2, top 30 partners per product): the engine's own graph for
 * that synthetic shop, degree as it comes.
 *
 * Carts: the first item by popularity, each further item a random co-purchase partner of an item
 * already in the cart (a cart grows along real edges), else by popularity.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile, seededRandom } from '@recs/core';
import { Neo4jCoPurchaseGraph, type CoPurchaseEdge, type CoPurchaseGraph } from '@recs/graph';
import { startNeo4j, type Neo4jHandle } from '@recs/testkit/services';
import neo4j from 'neo4j-driver';
import type { ModelBundle } from '@recs/pipeline';
import { trainCoPurchase } from '../pipeline/src/models/coPurchase';
import { SyntheticShop } from '../pipeline/src/synthetic/generate';
import { FITTED } from '../pipeline/src/synthetic/params';
import type { Interaction } from '../pipeline/src/ingest/Interaction';
import { syncGraph } from '../subgraphs/recommendations/src/syncGraph';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000:10,10000:30,10000:100,100000:10' },
    synth: { type: 'string', default: '' },
    queries: { type: 'string', default: '300' },
    carts: { type: 'string', default: '1,3,10' },
    k: { type: 'string', default: '10' },
    heap: { type: 'string', default: '2g' },
    pagecache: { type: 'string', default: '1g' },
    timeout: { type: 'string', default: '600' },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});

const QUERIES = Number(values.queries);
const CART_SIZES = values.carts.split(',').map(Number);
const K = Number(values.k);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const SEED = Number(values.seed);
/** Warm-up queries (carts of every measured size in turn): the JVM compiles the query path meanwhile. */
const WARMUP = 300;

interface Dataset {
  name: string;
  products: number;
  ids: string[];
  titles: string[];
  /** Cumulative popularity, for carts. */
  cdf: Float64Array;
  edges: CoPurchaseEdge[];
  generateSeconds: number;
}

const load1 = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function popularityWeights(n: number, random: () => number): Float64Array {
  const rank = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rank[i], rank[j]] = [rank[j]!, rank[i]!];
  }
  const { a, c } = FITTED.popularity;
  return Float64Array.from(rank, (r) => ((r + 0.5) / n + c) ** -a);
}

function cumulative(w: Float64Array, from = 0, to = w.length): Float64Array {
  const out = new Float64Array(to - from);
  let sum = 0;
  for (let i = from; i < to; i++) out[i - from] = sum += w[i]!;
  return out;
}

function drawFrom(cdf: Float64Array, u: number): number {
  const target = u * cdf[cdf.length - 1]!;
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function catalogue(n: number): { ids: string[]; titles: string[] } {
  const shop = new SyntheticShop({ products: n, events: 1, seed: SEED });
  return {
    ids: Array.from({ length: n }, (_, i) => shop.productId(i)),
    titles: Array.from({ length: n }, (_, i) => shop.title(i)),
  };
}

/** Direct pair generation with the generator's popularity and themes; average degree ≈ `degree`. */
function generatedPairs(n: number, degree: number): Dataset {
  const started = Date.now();
  const random = seededRandom(SEED * 7919 + n + degree);
  const { ids, titles } = catalogue(n);
  const w = popularityWeights(n, random);
  const cdf = cumulative(w);
  const themeSize = FITTED.themeSize;
  const pTheme = FITTED.pTheme;
  const perProduct = degree / 2;
  const seen = new Set<number>();
  const a: number[] = [];
  const b: number[] = [];
  const counts: number[] = [];
  const support = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // degree/2 draws per product, the fraction by a coin flip, so the mean is exact.
    const draws = Math.floor(perProduct) + (random() < perProduct % 1 ? 1 : 0);
    for (let d = 0; d < draws; d++) {
      for (let attempt = 0; attempt < 20; attempt++) {
        let j: number;
        if (random() < pTheme) {
          const start = Math.floor(i / themeSize) * themeSize;
          const end = Math.min(n, start + themeSize);
          j = start + drawFrom(cumulative(w, start, end), random());
        } else {
          j = drawFrom(cdf, random());
        }
        if (j === i) continue;
        const key = Math.min(i, j) * n + Math.max(i, j);
        if (seen.has(key)) continue;
        seen.add(key);
        const count = 2 + Math.floor(Math.exp(1.6 + 1.2 * gaussian(random)));
        a.push(i);
        b.push(j);
        counts.push(count);
        support[i]! += count;
        support[j]! += count;
        break;
      }
    }
  }
  // Supports as if each basket held ~10 pairs' worth of these products (an assumption: it only
  // scales lift, which orders results but does not change the work a query does).
  let total = 0;
  for (const c of counts) total += c;
  const baskets = total / 10;
  const edges: CoPurchaseEdge[] = a.map((i, e) => {
    const j = b[e]!;
    const count = counts[e]!;
    const sa = Math.max(support[i]!, count);
    const sb = Math.max(support[j]!, count);
    return {
      a: ids[i]!,
      b: ids[j]!,
      count,
      confidence: Math.min(1, Math.max(count / sa, count / sb)),
      lift: (count * baskets) / (sa * sb),
    };
  });
  return {
    name: `generated pairs, ${n} products, degree ${degree}`,
    products: n,
    ids,
    titles,
    cdf,
    edges,
    generateSeconds: (Date.now() - started) / 1000,
  };
}

/** The synthetic shop's invoices counted by the pipeline's own trainCoPurchase. */
function synthPairs(n: number, events: number): Dataset {
  const started = Date.now();
  const shop = new SyntheticShop({ products: n, events, seed: SEED });
  const interactions: Interaction[] = [];
  const bought = new Float64Array(n);
  for (const inv of shop.invoices()) {
    const basketId = String(inv.invoiceNo);
    for (const i of inv.items) {
      bought[i]!++;
      interactions.push({
        type: 'purchase',
        userId: null,
        productId: shop.productId(i),
        basketId,
        quantity: 1,
        unitPrice: 1,
        ts: inv.ts,
        country: null,
      });
    }
  }
  const edges = trainCoPurchase(interactions);
  const { ids, titles } = catalogue(n);
  return {
    name: `synthetic shop ${n} products / ${events} lines, trainCoPurchase (min count 2, top 30)`,
    products: n,
    ids,
    titles,
    cdf: cumulative(Float64Array.from(bought, (x) => x + 1e-9)),
    edges,
    generateSeconds: (Date.now() - started) / 1000,
  };
}

function degreeStats(data: Dataset): { avg: number; p50: number; p99: number; max: number } {
  const index = new Map(data.ids.map((id, i) => [id, i]));
  const degree = new Int32Array(data.products);
  for (const e of data.edges) {
    degree[index.get(e.a)!]!++;
    degree[index.get(e.b)!]!++;
  }
  const sorted = Int32Array.from(degree).sort();
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return {
    avg: (2 * data.edges.length) / data.products,
    p50: q(0.5),
    p99: q(0.99),
    max: sorted[sorted.length - 1]!,
  };
}

function cartsOf(data: Dataset, size: number, count: number, random: () => number): string[][] {
  const index = new Map(data.ids.map((id, i) => [id, i]));
  const neighbours: number[][] = Array.from({ length: data.products }, () => []);
  for (const e of data.edges) {
    const i = index.get(e.a)!;
    const j = index.get(e.b)!;
    neighbours[i]!.push(j);
    neighbours[j]!.push(i);
  }
  const carts: string[][] = [];
  for (let c = 0; c < count; c++) {
    const cart = new Set<number>([drawFrom(data.cdf, random())]);
    for (let tries = 0; cart.size < size && tries < 100; tries++) {
      const members = [...cart];
      const from = neighbours[members[Math.floor(random() * members.length)]!]!;
      cart.add(from.length > 0 ? from[Math.floor(random() * from.length)]! : drawFrom(data.cdf, random()));
    }
    carts.push([...cart].map((i) => data.ids[i]!));
  }
  return carts;
}

const fmt = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function duMiB(path: string): number {
  try {
    return Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]) / 1024;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) of a process so far, ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The graph with its two load calls timed (syncGraph makes them). */
function timed(graph: CoPurchaseGraph, times: { products: number; edges: number }): CoPurchaseGraph {
  return new Proxy(graph, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'loadProducts' || prop === 'loadEdges') {
        return async (...args: unknown[]) => {
          const t = performance.now();
          await (value as (...a: unknown[]) => Promise<void>).apply(target, args);
          times[prop === 'loadProducts' ? 'products' : 'edges'] = (performance.now() - t) / 1000;
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: over the ${ms / 1000} s limit`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function runOne(data: Dataset, neo4jVersion: { value: string }): Promise<Record<string, unknown>> {
  const started = Date.now();
  const deg = degreeStats(data);
  console.log(
    `\n## ${data.name}: ${data.edges.length} relationships, degree avg ${deg.avg.toFixed(1)} / p50 ${deg.p50} / p99 ${deg.p99} / max ${deg.max}; pairs generated in ${data.generateSeconds.toFixed(1)} s; load average ${load1()}`,
  );
  let server: Neo4jHandle | undefined;
  // A data dir of its own (startNeo4j never removes a given one), so the store can be measured after
  // the server stopped; removed at the end.
  const dataDir = mkdtempSync(join(tmpdir(), 'recs-neo4j-bench-'));
  let graph: Neo4jCoPurchaseGraph | undefined;
  try {
    server = await startNeo4j({ heap: values.heap, pagecache: values.pagecache, dataDir });
    const driver = neo4j.driver(server.uri, neo4j.auth.basic(server.user, server.password));
    try {
      const info = await driver.executeQuery('CALL dbms.components() YIELD name, versions, edition');
      const r = info.records[0];
      neo4jVersion.value = `${String(r?.get('name'))} ${(r?.get('versions') as string[])[0]} ${String(r?.get('edition'))}`;
    } finally {
      await driver.close();
    }
    graph = new Neo4jCoPurchaseGraph({ uri: server.uri, user: server.user, password: server.password });
    const bundle = {
      catalogue: new Map(data.ids.map((id, i) => [id, { id, title: data.titles[i]!, price: 1 }])),
      coPurchase: data.edges,
    } as unknown as ModelBundle;
    const times = { products: 0, edges: 0 };
    const t0 = performance.now();
    const loaded = await withDeadline(syncGraph(timed(graph, times), bundle), TIMEOUT_MS, 'load');
    const loadSeconds = (performance.now() - t0) / 1000;
    const counts = await graph.counts();
    const rss = rssMiB(server.pid);
    console.log(
      `load (syncGraph): ${loadSeconds.toFixed(1)} s in all; products ${times.products.toFixed(1)} s (${Math.round(data.products / times.products)} nodes/s), ` +
        `edges ${times.edges.toFixed(1)} s (${Math.round(loaded / times.edges)} relationships/s); stored ${counts.products} products, ${counts.edges} relationships; ` +
        `Neo4j RSS ${rss.toFixed(0)} MiB; load average ${load1()}`,
    );

    const random = seededRandom(SEED * 31 + data.products);
    const rows: Record<string, unknown>[] = [];
    for (const size of CART_SIZES) {
      for (const cart of cartsOf(data, size, Math.ceil(WARMUP / CART_SIZES.length), random))
        await graph.topK(cart, K);
    }
    console.log(
      `cart query topK(cart, ${K}), one client, ${QUERIES} queries per cart size after ${WARMUP} warm-up`,
    );
    console.log(
      'cart items  queries  edges read avg  results avg   p50 ms   p95 ms   p99 ms   max ms  Neo4j CPU ms/query',
    );
    const index = new Map(data.ids.map((id, i) => [id, i]));
    const degree = new Int32Array(data.products);
    for (const e of data.edges) {
      degree[index.get(e.a)!]!++;
      degree[index.get(e.b)!]!++;
    }
    for (const size of CART_SIZES) {
      const carts = cartsOf(data, size, QUERIES, random);
      const latencies: number[] = [];
      let results = 0;
      let touched = 0;
      const cpu0 = cpuMs(server.pid);
      for (const cart of carts) {
        const t = performance.now();
        const out = await graph.topK(cart, K);
        latencies.push(performance.now() - t);
        results += out.length;
        for (const id of cart) touched += degree[index.get(id)!]!;
        if (Date.now() - started > TIMEOUT_MS) throw new Error('queries: over the time limit');
      }
      const cpuPerQuery = (cpuMs(server.pid) - cpu0) / carts.length;
      latencies.sort((x, y) => x - y);
      const row = {
        neo4jCpuMsPerQuery: cpuPerQuery,
        cartItems: size,
        queries: carts.length,
        edgesRead: touched / carts.length,
        results: results / carts.length,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1]!,
      };
      rows.push(row);
      console.log(
        `${String(size).padStart(10)}  ${String(row.queries).padStart(7)}  ${row.edgesRead.toFixed(0).padStart(14)}  ${row.results.toFixed(1).padStart(11)}  ${fmt(row.p50).padStart(7)}  ${fmt(row.p95).padStart(7)}  ${fmt(row.p99).padStart(7)}  ${fmt(row.max).padStart(7)}  ${row.neo4jCpuMsPerQuery.toFixed(2).padStart(18)}`,
      );
    }
    // Store files are written at checkpoints (Community has no db.checkpoint()); a clean shutdown
    // makes one, so measure the files after stopping the server.
    await graph.close();
    graph = undefined;
    await server.stop();
    const store = duMiB(`${dataDir}/data/databases/neo4j`);
    const txLogs = duMiB(`${dataDir}/data/transactions/neo4j`);
    console.log(
      `after a clean shutdown: store files ${store.toFixed(0)} MiB = ${((store * 2 ** 20) / Math.max(1, counts.edges)).toFixed(0)} B per relationship (nodes, relationships, properties, index), transaction logs ${txLogs.toFixed(0)} MiB`,
    );
    console.log(`load average after queries ${load1()}; run ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return {
      name: data.name,
      products: data.products,
      relationships: data.edges.length,
      degree: deg,
      loadSeconds,
      productsSeconds: times.products,
      edgesSeconds: times.edges,
      relationshipsPerSecond: loaded / times.edges,
      neo4jRssMiB: rss,
      storeMiB: store,
      txLogMiB: txLogs,
      queries: rows,
      loadavg: load1(),
    };
  } catch (err) {
    // How far the load got (a fresh session reads the committed batches while the load still runs).
    const seconds = (Date.now() - started) / 1000;
    const progress = await withDeadline(
      graph?.counts() ?? Promise.resolve(undefined),
      30_000,
      'counts',
    ).catch(() => undefined);
    const got = progress
      ? `; by then ${progress.edges} relationships were stored (${Math.round(progress.edges / seconds)}/s over the ${seconds.toFixed(0)} s of the run)`
      : '';
    console.log(`stopped: ${(err as Error).message}${got}; load average ${load1()}`);
    return {
      name: data.name,
      products: data.products,
      relationships: data.edges.length,
      error: (err as Error).message,
    };
  } finally {
    await graph?.close().catch(() => undefined);
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const neo4jVersion = { value: '(not started)' };
const header = `setup: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; Neo4j heap ${values.heap}, page cache ${values.pagecache} (embedded launcher, Bolt on 127.0.0.1, auth on); batches of 1000 rows per executeWrite; time limit ${TIMEOUT_MS / 1000} s per size; load average at start ${load1()}`;
console.log('# bench/scale-neo4j');
console.log(header);

const plan: (() => Dataset)[] = [];
for (const spec of values.synth.split(',').filter(Boolean)) {
  const [p, e] = spec.split(':').map(Number);
  plan.push(() => synthPairs(p!, e!));
}
for (const spec of values.sizes.split(',').filter(Boolean)) {
  const [p, d] = spec.split(':').map(Number);
  plan.push(() => generatedPairs(p!, d!));
}
for (const make of plan) {
  const result = await runOne(make(), neo4jVersion);
  if (values.json)
    appendFileSync(values.json, JSON.stringify({ ...result, neo4j: neo4jVersion.value, header }) + '\n');
}
console.log(`\nNeo4j: ${neo4jVersion.value}; load average at end ${load1()}`);
