import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import neo4j, { type Driver } from 'neo4j-driver';
import { testNeo4j } from '@recs/testkit/services';
import { Neo4jCoPurchaseGraph } from '../src/index';
import { runCoPurchaseGraphContract } from './CoPurchaseGraph.contract';
import { dropTestConstraints } from './neo4jCleanup';

/** Every graph here gets its own label, so tests never see each other's data on a shared server. */
const LABEL_PREFIX = `CoPurchaseTest_${process.pid}_`;
let labels = 0;
const nextLabel = (): string => `${LABEL_PREFIX}${++labels}`;

let server: { uri: string; user: string; password: string };
let driver: Driver;

before(async () => {
  server = await testNeo4j();
  driver = neo4j.driver(server.uri, neo4j.auth.basic(server.user, server.password));
});

after(async () => {
  await dropTestConstraints(driver, LABEL_PREFIX);
});

runCoPurchaseGraphContract(
  'neo4j',
  async () => new Neo4jCoPurchaseGraph({ ...server, database: 'neo4j', label: nextLabel() }),
);

async function rows(
  cypher: string,
  params: Record<string, unknown> = {},
): Promise<Record<string, unknown>[]> {
  const result = await driver.executeQuery(cypher, params);
  return result.records.map((r) => r.toObject());
}

describe('Neo4jCoPurchaseGraph specifics', () => {
  test('ensureSchema creates one uniqueness constraint on the label id, enforced by Neo4j', async (t) => {
    const graph = new Neo4jCoPurchaseGraph({ driver, label: nextLabel() });
    t.after(() => graph.clear());
    await graph.ensureSchema();
    await graph.ensureSchema();

    const constraints = await rows(
      'SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties WHERE $label IN labelsOrTypes RETURN *',
      { label: graph.label },
    );
    assert.equal(constraints.length, 1, JSON.stringify(constraints));
    assert.equal(constraints[0]!.name, graph.constraintName);
    assert.match(String(constraints[0]!.type), /UNIQUENESS/);
    assert.deepEqual(constraints[0]!.properties, ['id']);

    await rows(`CREATE (:\`${graph.label}\` {id: 'dup'})`);
    await assert.rejects(rows(`CREATE (:\`${graph.label}\` {id: 'dup'})`), (err: Error) => {
      assert.match(String((err as { code?: string }).code), /ConstraintValidationFailed/);
      return true;
    });
  });

  test('edges are stored once per pair, smaller id first, with an integer count', async (t) => {
    const graph = new Neo4jCoPurchaseGraph({ driver, label: nextLabel() });
    t.after(() => graph.clear());
    await graph.ensureSchema();
    await graph.loadEdges([{ a: 'Z9', b: 'A1', count: 3, confidence: 0.5, lift: 2 }]);
    await graph.loadEdges([{ a: 'A1', b: 'Z9', count: 3, confidence: 0.5, lift: 2 }]);

    const stored = await rows(
      `MATCH (a:\`${graph.label}\`)-[r:BOUGHT_WITH]->(b:\`${graph.label}\`)
       RETURN a.id AS a, b.id AS b, valueType(r.count) AS countType, valueType(r.lift) AS liftType`,
    );
    assert.deepEqual(stored, [
      { a: 'A1', b: 'Z9', countType: 'INTEGER NOT NULL', liftType: 'FLOAT NOT NULL' },
    ]);
  });

  test('warmUp reads every product and relationship of its own label, and changes nothing', async (t) => {
    const graph = new Neo4jCoPurchaseGraph({ driver, label: nextLabel() });
    const other = new Neo4jCoPurchaseGraph({ driver, label: nextLabel() });
    t.after(() => Promise.all([graph.clear(), other.clear()]));
    await graph.ensureSchema();
    await graph.loadProducts([{ id: 'LONE' }]);
    await graph.loadEdges([
      { a: 'A', b: 'B', count: 3, confidence: 0.5, lift: 2 },
      { a: 'B', b: 'C', count: 2, confidence: 0.4, lift: 1.5 },
    ]);
    await other.loadEdges([{ a: 'X', b: 'Y', count: 9, confidence: 1, lift: 1 }]);
    const before = await graph.topK(['A', 'C'], 5);
    assert.deepEqual(await graph.warmUp(), { products: 4, edges: 2 });
    assert.deepEqual(await graph.warmUp(), await graph.counts());
    assert.deepEqual(await graph.topK(['A', 'C'], 5), before);
  });

  test('a cart query past its time-out is ended by Neo4j, with an error that says so', async (t) => {
    // 300 cart products with 100 partners each: a query of 30,000 relationships, tens of ms or more
    const label = nextLabel();
    // the first query on a new label also plans it: a generous time-out for the control
    const graph = new Neo4jCoPurchaseGraph({ driver, label, queryTimeoutMs: 60_000 });
    const strict = new Neo4jCoPurchaseGraph({ driver, label, queryTimeoutMs: 1 });
    t.after(() => graph.clear());
    const cart = Array.from({ length: 300 }, (_, i) => `S${i}`);
    await graph.loadEdges(
      cart.flatMap((a, i) =>
        Array.from({ length: 100 }, (_, j) => ({
          a,
          b: `T${j}`,
          count: 2 + ((i + j) % 5),
          confidence: 0.5,
          lift: 1.5,
        })),
      ),
    );
    // with a time-out it can meet, the query answers
    const started = Date.now();
    assert.equal((await graph.topK(cart, 10)).length, 10);
    const ms = Date.now() - started;
    // with 1 ms the database ends it (the embedded launcher checks time-outs every 10 ms)
    await assert.rejects(strict.topK(cart, 10), (err: Error) => {
      assert.equal(
        err.message,
        'co-purchase graph query ended by Neo4j at its 1 ms time-out',
        `after a ${ms} ms query`,
      );
      assert.match(String((err.cause as { code?: string }).code), /TransactionTimedOut/);
      return true;
    });
    assert.throws(
      () => new Neo4jCoPurchaseGraph({ driver, label, queryTimeoutMs: 0 }),
      /queryTimeoutMs must be a positive integer; received 0/,
    );
  });

  test('graphs with different labels share a database without seeing each other', async (t) => {
    const one = new Neo4jCoPurchaseGraph({ driver, label: nextLabel() });
    const two = new Neo4jCoPurchaseGraph({ driver, label: nextLabel() });
    t.after(() => Promise.all([one.clear(), two.clear()]));
    await one.loadEdges([{ a: 'A', b: 'B', count: 1, confidence: 1, lift: 1 }]);
    await two.loadEdges([{ a: 'A', b: 'C', count: 1, confidence: 1, lift: 1 }]);

    assert.deepEqual(
      (await one.topK(['A'], 5)).map((x) => x.productId),
      ['B'],
    );
    await one.clear();
    assert.deepEqual(await one.counts(), { products: 0, edges: 0 });
    assert.deepEqual(await two.counts(), { products: 2, edges: 1 });
  });

  test('close() leaves an injected driver open but closes its own', async () => {
    const injected = new Neo4jCoPurchaseGraph({ driver, label: nextLabel() });
    await injected.close();
    await driver.verifyConnectivity();

    const owned = new Neo4jCoPurchaseGraph({ ...server, label: nextLabel() });
    assert.deepEqual(await owned.counts(), { products: 0, edges: 0 });
    await owned.close();
    await assert.rejects(owned.counts());
  });

  test('a label that is not a plain identifier is refused', () => {
    assert.throws(
      () => new Neo4jCoPurchaseGraph({ driver, label: 'Product`) DETACH DELETE (n' }),
      /label must be 1-64 letters, digits or '_' starting with a letter; received "Product`\) DETACH DELETE \(n"/,
    );
  });
});
