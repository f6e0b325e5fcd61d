export { buildRecommendationsApp, type RecommendationsAppOptions } from './app';
export { PopularityRecommender } from './PopularityRecommender';
export { Recommender, type RecommenderOptions } from './Recommender';
export { syncGraph, graphLabel } from './syncGraph';
export { parseRecommendationRequest, SURFACES, type RecommendationRequest } from './RecommendationRequest';
export { readRecommendationsConfig } from './config';
export { LearnedRanker } from './LearnedRanker';
