import { readFileSync } from 'node:fs';
import { createLogger } from '@recs/core';
import { committedSupergraph } from '@recs/schema';
import { startWorkers } from '@recs/subgraph-kit/workers';
import { readGatewayConfig } from './config';

// Apollo Gateway reports anonymous usage unless told not to; this engine sends nothing anywhere.
process.env.APOLLO_TELEMETRY_DISABLED = '1';

const config = readGatewayConfig(process.env);
const log = createLogger('gateway', config.logLevel);
// Stateless: several workers need no shared store.
await startWorkers(process.env, { log });
const { Gateway } = await import('./Gateway');
if (config.apiKeys.length === 0) log.warn('API_KEYS is empty: only bearer tokens can call the gateway');
const supergraphSdl = config.supergraphFile
  ? readFileSync(config.supergraphFile, 'utf8')
  : committedSupergraph();
const gateway = new Gateway({ config, supergraphSdl, logger: log });
const url = await gateway.start();
log.info({ url, mode: config.mode }, 'gateway listening');
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  });
}
