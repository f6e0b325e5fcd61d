export { buildFeaturesApp, type FeaturesAppOptions } from './app';
export { readFeaturesConfig } from './config';
