import { ConfigError, env, type Env } from '@recs/core';

export type ApiKeyRole = 'service' | 'admin';

export interface ApiKeyEntry {
  /** Name shown in logs and metrics instead of the key. */
  name: string;
  role: ApiKeyRole;
  key: string;
}

export interface GatewayConfig {
  host: string;
  port: number;
  mode: 'development' | 'production';
  gatewaySecret: string;
  apiKeys: ApiKeyEntry[];
  jwtSecret: string;
  subgraphUrls: Record<string, string | undefined>;
  supergraphFile?: string;
  limits: { maxDepth: number; maxAliases: number; maxDocumentBytes: number; maxBodyBytes: number };
  corsOrigins: string[];
  subgraphTimeoutMs: number;
  logLevel: string;
}

/**
 * `API_KEYS` is a comma-separated list of `name:role:key` (role `service` or `admin`), e.g.
 * `email-service:service:3f9c...,ops:admin:a81b...`. Keys must be at least 24 characters.
 */
export function parseApiKeys(text: string | undefined): ApiKeyEntry[] {
  if (!text) return [];
  return text.split(',').map((entry) => {
    const [name, role, ...rest] = entry.trim().split(':');
    const key = rest.join(':');
    if (!name || (role !== 'service' && role !== 'admin') || key.length < 24) {
      throw new ConfigError(
        'API_KEYS',
        'a comma-separated list of name:role:key (role service|admin, key >= 24 chars)',
        `entry "${name ?? ''}:${role ?? ''}:<redacted>"`,
      );
    }
    return { name, role, key };
  });
}

/** Parses the gateway's environment once, at start-up. */
export function readGatewayConfig(e: Env): GatewayConfig {
  const mode = env.oneOf(e, 'RECS_ENV', ['development', 'production'], 'production');
  return {
    host: env.str(e, 'HOST', '127.0.0.1'),
    port: env.port(e, 'GATEWAY_PORT', 4000),
    mode,
    gatewaySecret: env.secret(e, 'GATEWAY_SECRET', 16),
    apiKeys: parseApiKeys(env.optStr(e, 'API_KEYS')),
    jwtSecret: env.secret(e, 'JWT_SECRET', 32),
    subgraphUrls: {
      recommendations: env.url(e, 'RECOMMENDATIONS_URL', ['http', 'https']),
      features: env.url(e, 'FEATURES_URL', ['http', 'https']),
      experiments: env.url(e, 'EXPERIMENTS_URL', ['http', 'https']),
    },
    supergraphFile: env.optStr(e, 'SUPERGRAPH_FILE'),
    limits: {
      maxDepth: env.int(e, 'MAX_QUERY_DEPTH', 10, 2, 50),
      maxAliases: env.int(e, 'MAX_ALIASES', 30, 0, 1000),
      maxDocumentBytes: env.int(e, 'MAX_DOCUMENT_BYTES', 20_000, 100, 1_000_000),
      maxBodyBytes: env.int(e, 'MAX_BODY_BYTES', 1_000_000, 1_000, 50_000_000),
    },
    corsOrigins: (
      env.optStr(e, 'CORS_ORIGINS') ?? (mode === 'development' ? 'https://studio.apollographql.com' : '')
    )
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    subgraphTimeoutMs: env.int(e, 'SUBGRAPH_TIMEOUT_MS', 2_000, 50, 60_000),
    logLevel: env.oneOf(e, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error'], 'info'),
  };
}
