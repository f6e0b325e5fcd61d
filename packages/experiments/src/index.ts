export type {
  Experiment,
  Variant,
  VariantConfig,
  RuleOverrides,
  Segment,
  AutomationSettings,
  Assignment,
  AssignmentAttributes,
  ExperimentStatus,
  Surface,
} from './Experiment';
export { SURFACES, EXPERIMENT_STATUSES } from './Experiment';
export { assign, bucketOf, inSegment, isLive } from './assign';
export {
  validateExperiments,
  variantConfigProblems,
  ExperimentConfigError,
  CANDIDATE_SOURCES,
  AUTOMATION_RANGES,
  automationProblems,
  scheduleProblems,
  describeProblem,
  type SettingProblem,
  type ValidateOptions,
} from './validateExperiments';
export { parseInstant } from './parseInstant';
export {
  createMemoryExperimentStore,
  createRedisExperimentStore,
  ExperimentStoreConflict,
  experimentKeys,
  type ExperimentStore,
  type AuditEntry,
  type ChangeMeta,
} from './store/ExperimentStore';
export {
  OutcomeStore,
  outcomeKeys,
  EXPERIMENTS_PREFIX,
  LATENCY_BUCKETS_MS,
  segmentKeys,
  type Exposure,
  type Outcome,
  type OutcomeResult,
  type VariantCounts,
  type OutcomeStoreOptions,
  type LoggedList,
} from './outcomes/OutcomeStore';
export {
  analyse,
  emptyCounts,
  type AnalyseOptions,
  type ExperimentAnalysis,
  type VariantAnalysis,
  type MetricComparison,
  type MetricName,
} from './analysis/analyse';
export {
  decide,
  applyDecision,
  brokenGuardrails,
  AUTOMATION_DEFAULTS,
  type Decision,
} from './analysis/decide';

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
export { loadExperimentsFile } from './loadExperimentsFile';
export { monitoredRun, clickCounts, type MonitoredRun, type MonitoredRunOptions } from './analysis/simulate';
export { replayEstimate, type ReplayRequest, type ReplayEstimate } from './analysis/replay';
