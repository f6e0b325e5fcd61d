export { buildExperimentsApp, type ExperimentsAppOptions } from './app';
export { loadExperiments } from './loadExperiments';
export { readExperimentsConfig } from './config';
