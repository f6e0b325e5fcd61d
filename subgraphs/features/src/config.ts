import { env, type Env } from '@recs/core';

export interface FeaturesConfig {
  host: string;
  port: number;
  gatewaySecret: string;
  redisUrl?: string;
  registryDir: string;
  logLevel: string;
}

/** Parses the features subgraph's environment once, at start-up. */
export function readFeaturesConfig(e: Env): FeaturesConfig {
  return {
    host: env.str(e, 'HOST', '127.0.0.1'),
    port: env.port(e, 'FEATURES_PORT', 4002),
    gatewaySecret: env.secret(e, 'GATEWAY_SECRET', 16),
    redisUrl: env.url(e, 'REDIS_URL', ['redis', 'rediss']),
    registryDir: env.str(e, 'MODEL_REGISTRY_DIR', 'var/models'),
    logLevel: env.oneOf(e, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error'], 'info'),
  };
}
