export {
  readSupergraphConfig,
  SupergraphConfigError,
  type SupergraphConfig,
  type SubgraphConfig,
} from './supergraphConfig';
export {
  composeSupergraph,
  CompositionError,
  installedCompositionVersion,
  type Composition,
} from './compose';
export { unallowedBreakingChanges, type AllowedBreakingChange } from './breakingChanges';
export { invalidOperations } from './operations';
export { subgraphSdl, committedSupergraph, type SubgraphName } from './sdl';
export { REPO_ROOT, SUPERGRAPH_FILE, API_SCHEMA_FILE, OPERATIONS_DIR } from './paths';
