export { buildExperimentsApp, type ExperimentsAppOptions } from './app';
export { ExperimentsService } from './ExperimentsService';
export { readExperimentsConfig } from './config';
