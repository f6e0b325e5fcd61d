export type { Experiment, Variant, Assignment, ExperimentStatus, Surface } from './Experiment';
export { SURFACES } from './Experiment';
export { assign, bucketOf } from './assign';
export { validateExperiments, ExperimentConfigError } from './validateExperiments';

// Statistics for A/B tests: pure functions, formulas in their doc comments (src/stats/).
export type { Interval } from './stats/Interval';
export { normalCdf, normalSf, normalQuantile } from './stats/normal';
export { studentTCdf, studentTQuantile } from './stats/studentT';
export { chiSquareSf } from './stats/chiSquare';
export {
  twoProportionZTest,
  type TwoProportionCounts,
  type TwoProportionOptions,
  type TwoProportionResult,
} from './stats/twoProportionZTest';
export { summarize, type SampleSummary } from './stats/summarize';
export { welchTTest, type WelchOptions, type WelchResult } from './stats/welchTTest';
export {
  sampleRatioMismatch,
  type SampleRatioMismatchOptions,
  type SampleRatioMismatchResult,
} from './stats/sampleRatioMismatch';
export {
  minimumSampleSize,
  minimumSampleSizeForMeans,
  type ProportionSampleSizeInput,
  type MeanSampleSizeInput,
} from './stats/minimumSampleSize';
export { msprt, type SequentialLook, type MsprtOptions, type MsprtResult } from './stats/msprt';
export { SequentialMonitor, type SequentialState } from './stats/SequentialMonitor';
export { cupedAdjust, type CupedOptions, type CupedResult } from './stats/cupedAdjust';
export { ipsEstimate, type LoggedDecision, type IpsResult } from './stats/ipsEstimate';
