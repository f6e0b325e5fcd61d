import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { CoPurchaseEdge, CoPurchaseGraph, CoPurchaseNeighbour, ProductNode } from '../src/index';

/**
 * Products A–G plus an isolated X. count·lift per edge is a perfect square, so every edge's score
 * √(count·lift) is an exact small integer, expected sums are exact and ties are real ties on every
 * backend.
 */
const PRODUCTS: ProductNode[] = [
  { id: 'A', title: 'Alarm clock', category: 'home' },
  { id: 'B', title: 'Batteries' },
  { id: 'C' },
  { id: 'D' },
  { id: 'E' },
  { id: 'F' },
  { id: 'G' },
  { id: 'X', title: 'Never bought with anything' },
];

//                                        √(count·lift)
const EDGES: CoPurchaseEdge[] = [
  { a: 'A', b: 'B', count: 8, confidence: 0.5, lift: 2 }, // 4
  { a: 'A', b: 'C', count: 4, confidence: 0.25, lift: 1 }, // 2
  { a: 'A', b: 'D', count: 2, confidence: 0.5, lift: 2 }, // 2
  { a: 'C', b: 'B', count: 9, confidence: 0.5, lift: 1 }, // 3 (given as b < a on purpose)
  { a: 'B', b: 'E', count: 1, confidence: 1, lift: 64 }, // 8, but seen in one basket only
  { a: 'D', b: 'C', count: 4, confidence: 0.75, lift: 4 }, // 4 (given as b < a on purpose)
  { a: 'F', b: 'G', count: 4, confidence: 0.5, lift: 1 }, // 2
];

function n(
  productId: string,
  score: number,
  count: number,
  lift: number,
  seeds: string[],
): CoPurchaseNeighbour {
  return { productId, score, count, lift, seeds };
}

/**
 * Registers the behaviour every {@link CoPurchaseGraph} backend must share. `factory` must return a
 * new, empty graph each call (isolated from graphs returned earlier); the contract runs
 * `ensureSchema()` on it and `clear()` + `close()` after each test.
 */
export function runCoPurchaseGraphContract(name: string, factory: () => Promise<CoPurchaseGraph>): void {
  async function fresh(t: TestContext, load = true): Promise<CoPurchaseGraph> {
    const graph = await factory();
    t.after(async () => {
      try {
        await graph.clear();
      } finally {
        await graph.close();
      }
    });
    await graph.ensureSchema();
    if (load) {
      await graph.loadProducts(PRODUCTS);
      await graph.loadEdges(EDGES);
    }
    return graph;
  }

  describe(`CoPurchaseGraph contract: ${name}`, () => {
    test('starts empty; ensureSchema is idempotent and product ids stay unique', async (t) => {
      const graph = await fresh(t, false);
      assert.deepEqual(await graph.counts(), { products: 0, edges: 0 });
      await graph.ensureSchema();
      await graph.ensureSchema();
      await graph.loadProducts([{ id: 'P' }, { id: 'P', title: 'again' }, { id: 'Q' }]);
      assert.deepEqual(await graph.counts(), { products: 2, edges: 0 });
    });

    test('loading the same products and edges twice changes neither counts nor topK', async (t) => {
      const graph = await fresh(t);
      const counts = await graph.counts();
      assert.deepEqual(counts, { products: 8, edges: 7 });
      const before = await graph.topK(['B', 'D'], 10);

      await graph.loadProducts(PRODUCTS);
      await graph.loadEdges(EDGES);
      // Same rows, different batching and with every pair reversed: still the same edges.
      await graph.loadEdges(
        EDGES.map((e) => ({ ...e, a: e.b, b: e.a })),
        { batchSize: 2 },
      );
      assert.deepEqual(await graph.counts(), counts);
      assert.deepEqual(await graph.topK(['B', 'D'], 10), before);
    });

    test('loading edges creates missing endpoint products; a reloaded pair takes the new values', async (t) => {
      const graph = await fresh(t, false);
      await graph.loadEdges([{ a: 'P', b: 'Q', count: 2, confidence: 0.5, lift: 3 }]);
      assert.deepEqual(await graph.counts(), { products: 2, edges: 1 });
      await graph.loadEdges([{ a: 'Q', b: 'P', count: 8, confidence: 0.25, lift: 2 }]);
      assert.deepEqual(await graph.counts(), { products: 2, edges: 1 });
      assert.deepEqual(await graph.topK(['P'], 5), [n('Q', 4, 8, 2, ['P'])]);
    });

    test('top-k for one item: score order, ties broken by product id', async (t) => {
      const graph = await fresh(t);
      assert.deepEqual(await graph.topK(['A'], 10), [
        n('B', 4, 8, 2, ['A']),
        n('C', 2, 4, 1, ['A']),
        n('D', 2, 2, 2, ['A']),
      ]);
      assert.deepEqual(await graph.topK(['B'], 10), [
        n('E', 8, 1, 64, ['B']),
        n('A', 4, 8, 2, ['B']),
        n('C', 3, 9, 1, ['B']),
      ]);
      assert.deepEqual(await graph.topK(['F'], 10), [n('G', 2, 4, 1, ['F'])]);
    });

    test('top-k for a cart sums the evidence of all seeds', async (t) => {
      const graph = await fresh(t);
      // Alone, B ranks A (4) above C (3); D also supports C, so together C (3+4) beats A (4+2).
      assert.deepEqual(await graph.topK(['B', 'D'], 10), [
        n('E', 8, 1, 64, ['B']),
        n('C', 7, 13, 4, ['B', 'D']),
        n('A', 6, 10, 2, ['B', 'D']),
      ]);
      assert.deepEqual(await graph.topK(['C', 'A'], 10), [
        n('B', 7, 17, 2, ['A', 'C']),
        n('D', 6, 6, 4, ['A', 'C']),
      ]);
      // B has one strong seed (4, from A); C has two (2 from A + 4 from D) and wins.
      assert.deepEqual(await graph.topK(['A', 'D'], 10), [
        n('C', 6, 8, 4, ['A', 'D']),
        n('B', 4, 8, 2, ['A']),
      ]);
    });

    test('minCount drops weak edges before they are summed', async (t) => {
      const graph = await fresh(t);
      assert.deepEqual(await graph.topK(['B', 'D'], 10, { minCount: 2 }), [
        n('C', 7, 13, 4, ['B', 'D']),
        n('A', 6, 10, 2, ['B', 'D']),
      ]);
      assert.deepEqual(await graph.topK(['B', 'D'], 10, { minCount: 3 }), [
        n('C', 7, 13, 4, ['B', 'D']),
        n('A', 4, 8, 2, ['B']),
      ]);
    });

    test('never returns a seed or an excluded id', async (t) => {
      const graph = await fresh(t);
      const all = await graph.topK(['A', 'B', 'C'], 10);
      assert.deepEqual(
        all.map((x) => x.productId),
        ['E', 'D'],
      );
      assert.deepEqual(await graph.topK(['B', 'D'], 10, { exclude: ['E', 'C'] }), [
        n('A', 6, 10, 2, ['B', 'D']),
      ]);
      assert.deepEqual(await graph.topK(['F'], 10, { exclude: ['G'] }), []);
    });

    test('unknown seeds contribute nothing; duplicates count once; isolated products have no neighbours', async (t) => {
      const graph = await fresh(t);
      assert.deepEqual(await graph.topK(['nope'], 10), []);
      assert.deepEqual(await graph.topK([], 10), []);
      assert.deepEqual(await graph.topK(['X'], 10), []);
      assert.deepEqual(await graph.topK(['nope', 'A', 'A'], 10), await graph.topK(['A'], 10));
    });

    test('k limits the result to the best k', async (t) => {
      const graph = await fresh(t);
      assert.deepEqual(await graph.topK(['B', 'D'], 1), [n('E', 8, 1, 64, ['B'])]);
      assert.deepEqual(
        (await graph.topK(['B', 'D'], 2)).map((x) => x.productId),
        ['E', 'C'],
      );
      assert.deepEqual(await graph.topK(['B', 'D'], 0), []);
      assert.equal((await graph.topK(['A'], 3)).length, 3);
    });

    test('invalid input is refused with a message naming it, and nothing of a bad batch is written', async (t) => {
      const graph = await fresh(t);
      await assert.rejects(
        graph.loadEdges([
          { a: 'P', b: 'Q', count: 1, confidence: 0.5, lift: 1 },
          { a: 'R', b: 'R', count: 1, confidence: 0.5, lift: 1 },
        ]),
        /edges\[1\] links product "R" to itself/,
      );
      await assert.rejects(
        graph.loadEdges([{ a: 'P', b: 'Q', count: 1.5, confidence: 0.5, lift: 1 }]),
        /edges\[0\]\.count must be a positive integer; received 1\.5/,
      );
      await assert.rejects(
        graph.loadEdges([{ a: 'P', b: 'Q', count: 1, confidence: 2, lift: 1 }]),
        /edges\[0\]\.confidence must be a number in \[0, 1\]; received 2/,
      );
      await assert.rejects(graph.loadProducts([{ id: '' }]), /products\[0\]\.id must be a non-empty string/);
      await assert.rejects(graph.topK(['A'], -1), /k must be a non-negative integer; received -1/);
      await assert.rejects(graph.topK(['A'], 3, { minCount: 0 }), /minCount must be a positive integer/);
      await assert.rejects(graph.loadEdges(EDGES, { batchSize: 0 }), /batchSize must be a positive integer/);
      assert.deepEqual(await graph.counts(), { products: 8, edges: 7 });
    });

    test('clear() removes products and edges; the graph can be loaded again', async (t) => {
      const graph = await fresh(t);
      await graph.clear();
      assert.deepEqual(await graph.counts(), { products: 0, edges: 0 });
      assert.deepEqual(await graph.topK(['A'], 10), []);
      await graph.loadEdges(EDGES);
      assert.deepEqual(await graph.counts(), { products: 7, edges: 7 });
    });
  });
}
