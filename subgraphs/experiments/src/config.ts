import { env, type Env } from '@recs/core';

export interface ExperimentsConfig {
  host: string;
  port: number;
  gatewaySecret: string;
  /** Experiments imported into the store at start when it does not hold them yet. */
  experimentsFile?: string;
  /** The shared experiment store, outcome counters and event stream; in-process store when unset. */
  redisUrl?: string;
  /** The model registry: variants may only name its versions. */
  registryDir: string;
  /** Seconds between automation rounds; 0 turns the automation off. */
  automationIntervalSeconds: number;
  logLevel: string;
}

/** Parses the experiments subgraph's environment once, at start-up. */
export function readExperimentsConfig(e: Env): ExperimentsConfig {
  return {
    host: env.str(e, 'HOST', '127.0.0.1'),
    port: env.port(e, 'EXPERIMENTS_PORT', 4003),
    gatewaySecret: env.secret(e, 'GATEWAY_SECRET', 16),
    experimentsFile: env.optStr(e, 'EXPERIMENTS_FILE'),
    redisUrl: env.redisUrl(e, 'REDIS_URL'),
    registryDir: env.str(e, 'MODEL_REGISTRY_DIR', 'var/models'),
    automationIntervalSeconds: env.int(e, 'EXPERIMENT_AUTOMATION_SECONDS', 60, 0, 86_400),
    logLevel: env.oneOf(e, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error'], 'info'),
  };
}
