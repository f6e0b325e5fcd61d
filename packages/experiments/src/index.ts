export type { Experiment, Variant, Assignment, ExperimentStatus, Surface } from './Experiment';
export { SURFACES } from './Experiment';
export { assign, bucketOf } from './assign';
export { validateExperiments, ExperimentConfigError } from './validateExperiments';
