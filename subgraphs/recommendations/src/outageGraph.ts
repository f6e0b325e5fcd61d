import { PackedCoPurchaseGraph } from '@recs/graph';
import type { ModelBundle } from '@recs/pipeline';

/**
 * For a server whose co-purchase graph is a database (Neo4j) that already holds the version's pairs:
 * the graph that answers while the database is down, built now from `bundle.coPurchase` in typed
 * arrays ({@link PackedCoPurchaseGraph}: 4,047,126 pairs at 961,674 products take 130 MB off the V8
 * heap instead of 401 MB of objects on it, docs/scaling.md section 9), in slices that let the server
 * go on answering (a model version switch). The bundle's pair objects are
 * then dropped: the array is emptied in place, so no holder of it keeps them.
 */
export async function outageGraphOf(bundle: ModelBundle): Promise<PackedCoPurchaseGraph> {
  const graph = await PackedCoPurchaseGraph.build(bundle.coPurchase);
  bundle.coPurchase.length = 0;
  return graph;
}
