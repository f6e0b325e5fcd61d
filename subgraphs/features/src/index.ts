export {
  buildFeaturesApp,
  MAX_EVENTS_PER_MUTATION,
  type FeaturesAppOptions,
  type EventsOptions,
  type DriftOptions,
} from './app';
export { readFeaturesConfig } from './config';
export {
  recordEvents,
  parseJsonLines,
  permissionProblem,
  type RecordEventsResult,
  type IngestionRateLimits,
} from './recordEvents';
export { createPrivacy, purgeForgotten, RECOMMENDATIONS_CACHE, type PrivacyOptions } from './privacy';
export { driftReferences, DRIFT_FEATURES } from './drift';
