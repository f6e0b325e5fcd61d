export {
  buildFeaturesApp,
  MAX_EVENTS_PER_MUTATION,
  type FeaturesAppOptions,
  type EventsOptions,
} from './app';
export { readFeaturesConfig } from './config';
export { recordEvents, parseJsonLines, permissionProblem, type RecordEventsResult } from './recordEvents';
