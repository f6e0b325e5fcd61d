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
 * it); otherwise it is cleared and bulk-loaded in batches (idempotent MERGE). Returns edges loaded.
 */
export async function syncGraph(graph: CoPurchaseGraph, bundle: ModelBundle): Promise<number> {
  await graph.ensureSchema();
  const products = [...bundle.catalogue.values()].map((c) => ({ id: c.id, title: c.title }));
  const current = await graph.counts();
  if (current.products === products.length && current.edges === bundle.coPurchase.length) return 0;
  await graph.clear();
  await graph.loadProducts(products);
  await graph.loadEdges(bundle.coPurchase);
  return bundle.coPurchase.length;
}
