export type { Experiment, Variant, Assignment, ExperimentStatus } from './Experiment';
export { assign, bucketOf } from './assign';
export { validateExperiments, ExperimentConfigError } from './validateExperiments';
