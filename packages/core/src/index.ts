export { ErrorCode } from './ErrorCode';
export { RecsError, httpStatusOf, badInput } from './RecsError';
export { ConfigError } from './ConfigError';
export * as env from './env';
export type { Env } from './env';
export { normaliseProductId, normaliseUserId, isValidId } from './ids';
export { createLogger, REDACTED_PATHS, type Logger } from './logger';
export { HEADERS } from './headers';
export { type Principal, canReadUser, canWriteUser, isAdmin } from './Principal';
export { seededRandom } from './random';
export { percentile } from './percentile';
export { progressBar, type Progress } from './progress';
export {
  type UserDataEraser,
  type ErasureResult,
  eraseUserData,
  userDigest,
  PRIVACY_SETS,
  FORGOTTEN_USERS_FILE,
  parseForgottenUsers,
} from './privacy';
export {
  type RedisTarget,
  REDIS_URL_PROTOCOLS,
  parseRedisUrl,
  isRedisClusterUrl,
  redactRedisUrl,
} from './redisUrl';
