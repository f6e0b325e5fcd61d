export {
  readOnlineRetail,
  parseShopTime,
  SourceFormatError,
  type OnlineRetailData,
} from './ingest/onlineRetail';
export { countryCode, isCountryCode } from './ingest/countries';
export type { Interaction, CatalogueEntry, EventType } from './ingest/Interaction';
export type { CleaningReport, RejectReason } from './ingest/CleaningReport';
export { trainPopularity, type PopularityModel, type PopularItem } from './models/popularity';
export { ModelRegistry, RegistryError, directoryProblem } from './registry/ModelRegistry';
export type { Manifest } from './registry/Manifest';
export { train, parseUntil, TrainError, DATASETS, type TrainOptions, type ModelArtefacts } from './train';
export { loadPromotedBundle, loadBundle, type ModelBundle } from './ModelBundle';
export { promotedVersion } from './ModelBundle';
export {
  computeUserFeatures,
  computeProductFeatures,
  type UserFeatureValues,
  type ProductFeatureValues,
} from './features/offlineFeatures';
export { publishFeatures, FEATURES_VERSION_LIST } from './features/publishFeatures';
export { trainCoPurchase, type CoPurchasePair, type CoPurchaseOptions } from './models/coPurchase';
export {
  trainCandidateModels,
  coldStartScores,
  newProductScores,
  type CandidateModels,
} from './models/candidateModels';
export {
  candidateArtefacts,
  loadCandidateModels,
  CandidatesFormatError,
  CANDIDATES_FORMAT,
} from './models/candidateArtefacts';
export { candidateFeatures, FEATURES, type RankQuery, type RankSurface } from './ranker/features';
export { cartNeighboursBuilt, prepareCartNeighbours } from './ranker/cartNeighbours';
export { queryOf } from './ranker/trainRanker';
export { topK } from './eval/topK';
export { buildCases, type CartCase, type HomeCase, type EvaluationCases } from './eval/protocols';
export { hitRate, reciprocalRank, ndcgAt, precisionAt, recallAt } from './eval/metrics';
export { TARGETS, PUBLISHED_REFERENCE } from './eval/report';
export type { MetricRow } from './eval/evaluate';
export type { UserHistory } from './models/InteractionMatrix';
export { textScores, titleScores, tokenize } from './models/textSimilarity';
export {
  deriveTaxonomy,
  applyTaxonomy,
  categorisedShare,
  ruleCategory,
  CATEGORY_PATHS,
  CATEGORIES,
  type Category,
  type CategoryAssignment,
} from './ingest/taxonomy';
export {
  foldIn,
  foldInVector,
  alsScores,
  trainAls,
  csrFromRows,
  confidence,
  type AlsModel,
  type AlsOptions,
  type TrainedAls,
  type CsrMatrix,
} from './models/als';
export {
  embedTitle,
  mapToAls,
  trainContentEmbedding,
  type ContentEmbedding,
} from './models/contentEmbedding';
export { buildItemIndex, itemIndexArtefacts, loadItemIndex } from './models/itemIndex';
