import { createLogger } from '@recs/core';
import { serveUntilSignal } from '@recs/subgraph-kit';
import { buildExperimentsApp } from './app';
import { readExperimentsConfig } from './config';
import { loadExperiments } from './loadExperiments';

const config = readExperimentsConfig(process.env);
const log = createLogger('experiments', config.logLevel);
const experiments = await loadExperiments(config.experimentsFile);
log.info({ experiments: experiments.length }, 'experiments loaded');
const app = await buildExperimentsApp({ experiments, gatewaySecret: config.gatewaySecret, logger: log });
await serveUntilSignal(app, { host: config.host, port: config.port, log });
