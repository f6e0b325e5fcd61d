import type { CoPurchaseGraph } from '@recs/graph';
import type { ModelBundle } from '@recs/pipeline';

/**
 * The Neo4j label of a model version's products, e.g. `Product_667141d6`: each version's graph lives
 * under its own label (the version's content hash), so a new version never mixes with the old and
 * "already loaded" is a question of counts under that label.
 */
export function graphLabel(version: string): string {
  return `Product_${version.slice(-8)}`;
}

/**
 * Makes the graph hold exactly the model's co-purchase pairs: when the product and edge counts under
 * the version's label already match it is left alone (restarts of several replicas do not reload
 * it); otherwise it is cleared and bulk-loaded in batches (idempotent MERGE). Then the cart query is
 * warmed. Returns edges loaded.
 */
export async function syncGraph(graph: CoPurchaseGraph, bundle: ModelBundle): Promise<number> {
  await graph.ensureSchema();
  const products = [...bundle.catalogue.values()].map((c) => ({ id: c.id, title: c.title }));
  const current = await graph.counts();
  let loaded = 0;
  if (current.products !== products.length || current.edges !== bundle.coPurchase.length) {
    await graph.clear();
    await graph.loadProducts(products);
    await graph.loadEdges(bundle.coPurchase);
    loaded = bundle.coPurchase.length;
  }
  await warmGraph(graph, bundle);
  return loaded;
}

/**
 * Runs the cart query a few times before the server serves: a fresh Neo4j compiles the query and
 * reads the label's pages on its first calls, which can take longer than a request's graph budget
 * (50 ms), so the first shoppers would get the fallback. One-, two- and three-product carts of the
 * most co-purchased products.
 */
async function warmGraph(graph: CoPurchaseGraph, bundle: ModelBundle): Promise<void> {
  await graph.warmUp?.();
  const degree = new Map<string, number>();
  for (const e of bundle.coPurchase) {
    degree.set(e.a, (degree.get(e.a) ?? 0) + 1);
    degree.set(e.b, (degree.get(e.b) ?? 0) + 1);
  }
  const top = [...degree].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([id]) => id);
  for (let size = 1; size <= Math.min(3, top.length); size++) {
    for (let round = 0; round < 3; round++) await graph.topK(top.slice(round, round + size), 10);
  }
}
