export type {
  CoPurchaseEdge,
  CoPurchaseGraph,
  CoPurchaseNeighbour,
  LoadOptions,
  ProductNode,
  TopKOptions,
} from './CoPurchaseGraph';
export { MemoryCoPurchaseGraph } from './MemoryCoPurchaseGraph';
export { PackedCoPurchaseGraph } from './PackedCoPurchaseGraph';
export {
  Neo4jCoPurchaseGraph,
  DEFAULT_QUERY_TIMEOUT_MS,
  type Neo4jCoPurchaseGraphOptions,
} from './Neo4jCoPurchaseGraph';
export { DEFAULT_BATCH_SIZE } from './graphInput';
