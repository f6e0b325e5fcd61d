export { buildRecommendationsApp, type RecommendationsAppOptions } from './app';
export { PopularityRecommender } from './PopularityRecommender';
export {
  Recommender,
  DEFAULT_GRAPH_BUDGET_MS,
  GRAPH_QUERY_BUDGETS,
  type RecommenderOptions,
} from './Recommender';
export { syncGraph, graphLabel } from './syncGraph';
export { outageGraphOf } from './outageGraph';
export { parseRecommendationRequest, SURFACES, type RecommendationRequest } from './RecommendationRequest';
export { readRecommendationsConfig } from './config';
export { LearnedRanker } from './LearnedRanker';
export { LiveFacts, LIVE_KEY_PREFIX, PREFERENCE_FIELDS } from './rules/LiveFacts';
export {
  defaultRuleConfig,
  loadRuleConfig,
  parseRuleConfig,
  RuleConfigError,
  type RuleConfig,
  type SurfaceRules,
  type Promotion,
} from './rules/RuleConfig';
export { applyRules, ineligibility, type ProductFacts, type ShopperFacts } from './rules/applyRules';
export { recommenderMetrics } from './metrics';
export { CircuitBreaker, CircuitOpenError, type CircuitState } from './CircuitBreaker';
export {
  ServingExperiments,
  type ServingPlan,
  type ExperimentSource,
} from './experiments/ServingExperiments';
export { ModelVersions, type LoadedVersion } from './ModelVersions';
export { replayExperiment, type ReplayReport } from './experiments/replay';
