/**
 * `npm run services`: starts the real backends for development in the foreground and stops them on
 * Ctrl-C: Redis (append-only persistence, data in var/redis) and Neo4j (data in var/neo4j, auth on).
 * Prints the environment to give `npm start` so it uses them instead of the embedded defaults.
 * Ports: REDIS_PORT (default 6379) and NEO4J_PORT (default 7687), on 127.0.0.1 only.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { env } from '@recs/core';
import { startNeo4j, startRedis } from '@recs/testkit/services';
import { devCredentials } from './devEnv';

const root = join(import.meta.dirname, '..');
const redisPort = env.port(process.env, 'REDIS_PORT', 6379);
const neo4jPort = env.port(process.env, 'NEO4J_PORT', 7687);
const creds = devCredentials(root);
for (const d of ['redis', 'neo4j']) mkdirSync(join(root, 'var', d), { recursive: true });

const redis = await startRedis({ port: redisPort, dataDir: join(root, 'var', 'redis'), appendOnly: true });
let neo4j: Awaited<ReturnType<typeof startNeo4j>>;
try {
  neo4j = await startNeo4j({
    port: neo4jPort,
    dataDir: join(root, 'var', 'neo4j'),
    password: creds.NEO4J_PASSWORD,
    timeoutMs: 120_000,
  });
} catch (err) {
  await redis.stop();
  throw err;
}
console.log(`services: Redis ${redis.url} (pid ${redis.pid}), Neo4j ${neo4j.uri} (pid ${neo4j.pid})

In another terminal:
  REDIS_URL=${redis.url} NEO4J_URI=${neo4j.uri} NEO4J_USER=neo4j NEO4J_PASSWORD=${creds.NEO4J_PASSWORD} npm start

Ctrl-C stops both.`);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('services: stopping');
    void Promise.allSettled([redis.stop(), neo4j.stop()]).then(() => process.exit(0));
  });
}
