import { env, type Env } from '@recs/core';

export interface ExperimentsConfig {
  host: string;
  port: number;
  gatewaySecret: string;
  experimentsFile?: string;
  logLevel: string;
}

/** Parses the experiments subgraph's environment once, at start-up. */
export function readExperimentsConfig(e: Env): ExperimentsConfig {
  return {
    host: env.str(e, 'HOST', '127.0.0.1'),
    port: env.port(e, 'EXPERIMENTS_PORT', 4003),
    gatewaySecret: env.secret(e, 'GATEWAY_SECRET', 16),
    experimentsFile: env.optStr(e, 'EXPERIMENTS_FILE'),
    logLevel: env.oneOf(e, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error'], 'info'),
  };
}
