import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import neo4j, { type Driver, type Session, type SessionConfig } from 'neo4j-driver';
import { testNeo4j } from '@recs/testkit/services';
import {
  MemoryCoPurchaseGraph,
  Neo4jCoPurchaseGraph,
  type CoPurchaseEdge,
  type ProductNode,
} from '../src/index';
import { dropTestConstraints } from './neo4jCleanup';

/**
 * The routing path (`neo4j://`) against the single local server: a Neo4j 5 standalone answers the
 * driver's ROUTE request with a table naming itself as router, writer and reader, so the loader and the
 * cart query run exactly as they would against a cluster, where the same table would send reads to
 * followers / read replicas and writes to the leader.
 */

const LABEL_PREFIX = `RoutingTest_${process.pid}_`;
let labels = 0;
const nextLabel = (): string => `${LABEL_PREFIX}${++labels}`;

const PRODUCTS: ProductNode[] = ['A', 'B', 'C', 'D', 'E', 'F'].map((id) => ({ id, title: `product ${id}` }));
const EDGES: CoPurchaseEdge[] = [
  { a: 'A', b: 'B', count: 8, confidence: 0.5, lift: 2 },
  { a: 'A', b: 'C', count: 4, confidence: 0.25, lift: 1 },
  { a: 'B', b: 'C', count: 9, confidence: 0.5, lift: 1 },
  { a: 'B', b: 'D', count: 2, confidence: 0.5, lift: 8 },
  { a: 'C', b: 'E', count: 4, confidence: 0.75, lift: 4 },
  { a: 'E', b: 'F', count: 3, confidence: 0.5, lift: 3 },
];

let server: { uri: string; user: string; password: string };
let host: string;
let port: number;
let admin: Driver;

before(async () => {
  server = await testNeo4j();
  const url = new URL(server.uri);
  host = url.hostname;
  port = Number(url.port);
  admin = neo4j.driver(server.uri, neo4j.auth.basic(server.user, server.password));
});

after(async () => {
  await dropTestConstraints(admin, LABEL_PREFIX);
});

const routingUri = (p = port): string => `neo4j://${host}:${p}`;

/** The loader as the recommendations subgraph runs it (syncGraph): schema, clear, products, edges. */
async function load(graph: Neo4jCoPurchaseGraph | MemoryCoPurchaseGraph): Promise<void> {
  await graph.ensureSchema();
  await graph.clear();
  await graph.loadProducts(PRODUCTS);
  await graph.loadEdges(EDGES, { batchSize: 2 });
}

/** One call a graph made: the session's access mode and the session method it used. */
interface Call {
  mode: string;
  method: 'run' | 'executeRead' | 'executeWrite';
}

/** A driver that records, for every session opened through it, its access mode and the methods used. */
function recordingDriver(real: Driver, calls: Call[]): Driver {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'session') {
        return (config?: SessionConfig): Session => {
          const session = target.session(config);
          const mode = String(config?.defaultAccessMode ?? 'WRITE (driver default)');
          return new Proxy(session, {
            get(s, p) {
              const value: unknown = Reflect.get(s, p, s);
              if (p === 'run' || p === 'executeRead' || p === 'executeWrite') calls.push({ mode, method: p });
              return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(s) : value;
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A TCP forwarder to the Neo4j port that keeps what the driver sends (client → server), so a test can
 * look for Bolt messages on the wire.
 */
async function forwarder(): Promise<{ port: number; sent: () => Buffer; close(): Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = createConnection({ host, port });
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  assert.ok(address && typeof address === 'object');
  return {
    port: address.port,
    sent: () => Buffer.concat(chunks.splice(0)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

/** PackStream of a Bolt ROUTE message header (struct of 3 fields, signature 0x66). */
const ROUTE = Buffer.from([0xb3, 0x66]);
/** PackStream of a BEGIN extra entry `bookmarks: [<one bookmark>]`. */
const ONE_BOOKMARK = Buffer.concat([Buffer.from([0x89]), Buffer.from('bookmarks'), Buffer.from([0x91])]);
/** PackStream of the BEGIN extra entry `mode: "r"`, which a read transaction carries and a write omits. */
const READ_MODE = Buffer.concat([
  Buffer.from([0x84]),
  Buffer.from('mode'),
  Buffer.from([0x81]),
  Buffer.from('r'),
]);

describe('Neo4j through a neo4j:// (routing) URI', () => {
  test('the loader and the multi-item cart query give the same answers as the embedded graph', async (t) => {
    const graph = new Neo4jCoPurchaseGraph({ ...server, uri: routingUri(), label: nextLabel() });
    t.after(async () => {
      await graph.clear();
      await graph.close();
    });
    const memory = new MemoryCoPurchaseGraph();
    await load(graph);
    await load(memory);

    assert.deepEqual(await graph.counts(), { products: PRODUCTS.length, edges: EDGES.length });
    for (const cart of [['A'], ['A', 'E'], ['A', 'B', 'E', 'unknown']]) {
      const got = await graph.topK(cart, 10, { exclude: ['F'] });
      assert.deepEqual(got, await memory.topK(cart, 10, { exclude: ['F'] }), `cart ${cart.join(',')}`);
      assert.ok(got.length > 0);
    }
  });

  test('the cart query goes out auto-commit in a READ session, counts with executeRead, loads with executeWrite', async (t) => {
    const real = neo4j.driver(routingUri(), neo4j.auth.basic(server.user, server.password));
    const calls: Call[] = [];
    const graph = new Neo4jCoPurchaseGraph({ driver: recordingDriver(real, calls), label: nextLabel() });
    t.after(async () => {
      await graph.clear();
      await real.close();
    });

    await load(graph);
    const loads = calls.splice(0);
    await graph.topK(['A', 'B', 'C'], 5);
    await graph.counts();
    const reads = calls.splice(0);

    // Schema and the batched clear are auto-commit (`run`) in WRITE sessions (CALL … IN TRANSACTIONS
    // cannot run inside executeWrite); every UNWIND/MERGE batch is an executeWrite.
    assert.deepEqual(
      loads.map((c) => `${c.mode}:${c.method}`),
      ['WRITE:run', 'WRITE:run', ...Array(1 + 3).fill('WRITE:executeWrite')],
    );
    // The cart query is one auto-commit `run` (no BEGIN / COMMIT round trips), still in a READ session.
    assert.deepEqual(
      reads.map((c) => `${c.mode}:${c.method}`),
      ['READ:run', 'READ:executeRead'],
    );
  });

  test('the server enforces the read access mode the routing driver sends', async (t) => {
    const driver = neo4j.driver(routingUri(), neo4j.auth.basic(server.user, server.password));
    t.after(() => driver.close());
    const label = nextLabel();
    const session = driver.session({ defaultAccessMode: neo4j.session.READ });
    try {
      await assert.rejects(
        session.executeRead((tx) => tx.run(`CREATE (:\`${label}\` {id: 'x'})`)),
        (err: Error) => {
          assert.match(`${(err as { code?: string }).code} ${err.message}`, /AccessMode|read access mode/i);
          return true;
        },
      );
    } finally {
      await session.close();
    }
  });

  test('on the wire: a ROUTE request, read transactions marked mode "r", writes unmarked', async (t) => {
    // A standalone server answers ROUTE with the address the client asked for, so all traffic passes
    // through the forwarder named in the URI; in a cluster, the table would name the leader for WRITE
    // and followers / read replicas for READ, and the mode "r" below is what selects them.
    const proxy = await forwarder();
    const graph = new Neo4jCoPurchaseGraph({ ...server, uri: routingUri(proxy.port), label: nextLabel() });
    t.after(async () => {
      await graph.clear();
      await graph.close();
      await proxy.close();
    });
    await load(graph);
    const loadBytes = proxy.sent();
    await graph.topK(['A', 'B', 'C'], 5);
    const cartBytes = proxy.sent();
    await graph.counts();
    const countBytes = proxy.sent();

    assert.ok(loadBytes.includes(ROUTE), 'the driver asked the server for a routing table');
    assert.ok(!loadBytes.includes(READ_MODE), 'no load transaction was sent in read mode');
    assert.ok(cartBytes.includes(READ_MODE), 'the cart query was sent in read mode');
    assert.ok(countBytes.includes(READ_MODE), 'counts were sent in read mode');
    assert.ok(
      cartBytes.includes(ONE_BOOKMARK),
      'the cart query carries the bookmark of the load (read your writes)',
    );
    assert.equal((await graph.topK(['A', 'B'], 1))[0]?.productId, 'C');
  });

  test('a bolt:// URI sends no ROUTE request (the contrast that makes the check above meaningful)', async (t) => {
    const proxy = await forwarder();
    const graph = new Neo4jCoPurchaseGraph({
      ...server,
      uri: `bolt://127.0.0.1:${proxy.port}`,
      label: nextLabel(),
    });
    t.after(async () => {
      await graph.clear();
      await graph.close();
      await proxy.close();
    });
    await load(graph);
    await graph.topK(['A', 'B', 'C'], 5);
    const sent = proxy.sent();
    assert.ok(!sent.includes(ROUTE));
    assert.ok(sent.includes(READ_MODE), 'read mode is sent on bolt:// too (harmless on a single server)');
  });
});
