export {
  EVENT_TYPES,
  SHOPPER_EVENT_TYPES,
  CATALOGUE_EVENT_TYPES,
  DEVICES,
  isCatalogueEvent,
  type EventType,
  type ShopperEventType,
  type CatalogueEventType,
  type Device,
  type RecsEvent,
} from './Event';
export {
  validateEvents,
  parseTimestamp,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_FUTURE_MS,
  type EventRejection,
  type ValidationOptions,
  type ValidatedEvents,
} from './validateEvents';
export {
  effectsOf,
  applyEffects,
  conflictOf,
  actionOf,
  PRODUCT_FIELDS,
  USER_FIELDS,
  RECENT_ACTIONS_MAX,
  TREND_DAYS,
  addToDay,
  dayOf,
  dayWindow,
  type Effect,
} from './effects';
export { productActivity, userActivity, type ProductActivity, type UserActivity } from './activity';
export {
  encodeEvent,
  decodeEvent,
  compareIds,
  isEntryOf,
  type EventLog,
  type AppendOutcome,
  type ApplyOutcome,
  type GroupInfo,
  type LiveTarget,
  type LogEntry,
} from './EventLog';
export { createRedisEventLog, type RedisEventLogOptions } from './createRedisEventLog';
export { createMemoryEventLog, type MemoryEventLogOptions } from './createMemoryEventLog';
export { EventConsumer, type EventConsumerOptions, type ConsumerStats } from './EventConsumer';
export {
  streamKey,
  deadLetterKey,
  eventIdKey,
  LIVE_KEY_PREFIX,
  CLUSTER_LIVE_KEY_PREFIX,
  liveKeyPrefixFor,
  clusterEventsPrefix,
  ONLINE_STATE_GROUP,
  DEFAULT_EVENTS_PREFIX,
  DEFAULT_DEDUPE_TTL_SECONDS,
} from './keys';
export { redisClientOf } from './createRedisEventLog';
export {
  eventLogEraser,
  liveStoreEraser,
  anonymise,
  globEscape,
  createFieldCacheEraser,
  type FieldCacheLayout,
} from './privacy';
export {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateLimiter,
  type RateLimit,
  type RateDecision,
} from './rateLimit';
export {
  QualityGate,
  QUALITY_CHECKS,
  DROPPING_CHECKS,
  type QualityCheck,
  type QualityOptions,
  type QualityVerdict,
} from './quality';
export { createKafkaEventLog, kafkaEntryId, kafkaKeyOf, type KafkaEventLogOptions } from './kafkaEventLog';
export { parseKafkaUrl, isKafkaUrl, type KafkaTarget } from './kafkaUrl';
