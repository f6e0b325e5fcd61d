/**
 * The serving configuration of a variant: what the recommendations subgraph changes for its users.
 * Every field is optional; an empty config serves exactly what users outside the experiment get.
 */
export interface VariantConfig {
  /** A model version of the registry to serve instead of the promoted one. */
  modelVersion?: string;
  /** false: the learned ranker is off and the co-purchase graph and popularity rank instead. */
  ranker?: boolean;
  /**
   * Multipliers of the scores of candidates proposed by a source (e.g. `{ "buy_again": 1.5 }`), applied
   * before the business rules; sources missing from the map keep weight 1.
   */
  sourceWeights?: Record<string, number>;
  /** Overrides of the surface's business-rule knobs (see the recommendations subgraph's RuleConfig). */
  rules?: RuleOverrides;
}

/** The rule knobs a variant may change, each with the range the rules accept. */
export interface RuleOverrides {
  marginBoost?: number;
  maxCategoryShare?: number;
  popularityDampening?: number;
  explorationSlots?: number;
  promotionShare?: number;
}

/** One arm of an experiment: a serving configuration and its share of the experiment's traffic. */
export interface Variant {
  name: string;
  /** Percent of the experiment's traffic; an experiment's allocations sum to 100. */
  allocation: number;
  config?: VariantConfig;
  /**
   * Rolled back: its users are served the control's (first variant's) configuration and no exposure is
   * logged for them. Its allocation is kept, so no other user changes variant.
   */
  disabled?: boolean;
}

/** The surfaces of the recommendations API. */
export const SURFACES = ['HOME', 'PRODUCT', 'CART', 'SEARCH', 'EMAIL', 'PUSH'] as const;
export type Surface = (typeof SURFACES)[number];

/**
 * DRAFT: not served. RUNNING: variants served and exposures logged. PROMOTED: the winner's configuration
 * is served to all the experiment's users and nothing is logged. STOPPED: not served.
 */
export const EXPERIMENT_STATUSES = ['DRAFT', 'RUNNING', 'PROMOTED', 'STOPPED'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export const DEVICES = ['desktop', 'mobile', 'tablet', 'app'] as const;

/** Who may enter: every listed condition must hold. */
export interface Segment {
  /** ISO 3166-1 alpha-2 codes. */
  countries?: string[];
  devices?: string[];
  /** true: only shoppers the served model has never seen; false: only returning shoppers. */
  newUsers?: boolean;
  /** Custom attributes the caller passes in the request context, matched exactly. */
  attributes?: Record<string, string>;
}

/** Guardrails and decision settings of the automation (see `decide`; ranges: `AUTOMATION_RANGES`). */
export interface AutomationSettings {
  /** Promote a significant winner by itself. Default true. */
  promote?: boolean;
  /** Roll a variant back when a guardrail breaks. Default true. */
  rollback?: boolean;
  /** Significance level of the always-valid tests, in (0, 0.5]. Default 0.05. */
  alpha?: number;
  /** Users per variant before any decision, an integer >= 1. Default 500. */
  minUsersPerVariant?: number;
  /** Relative CTR drop (vs control) that is a guardrail breach when significant, in [0, 1]. Default 0.05. */
  maxCtrDrop?: number;
  /** Largest share of empty lists a variant may serve, in [0, 1]. Default 0.05. */
  maxEmptyListRate?: number;
  /** Largest p95 serving latency of a variant, in ms, in [5, 60000]. Default 250. */
  maxLatencyP95Ms?: number;
}

/**
 * An experiment. Experiments in the same layer are mutually exclusive (a user is in at most one);
 * experiments in different layers are independent, so many run at once.
 */
export interface Experiment {
  id: string;
  layer: string;
  status: ExperimentStatus;
  /** Salt of the variant hash: changing it reshuffles users, which a restarted experiment needs. */
  salt: string;
  /** The slice of the layer's traffic this experiment owns, in percent: [from, to). */
  traffic: { from: number; to: number };
  /** The first variant is the control every comparison is made against. */
  variants: Variant[];
  /** Surfaces whose recommendations the experiment changes; all of them when omitted. */
  surfaces?: Surface[];
  /** Only users matching the segment enter. */
  segment?: Segment;
  /**
   * ISO 8601 date-times with a time zone (`2025-03-01T00:00:00Z`), real calendar dates, startAt before
   * endAt: the experiment serves only inside [startAt, endAt).
   */
  schedule?: { startAt?: string; endAt?: string };
  /** The variant served to everyone in the experiment once PROMOTED. */
  winner?: string;
  automation?: AutomationSettings;
}

/** What decides whether a user enters an experiment, besides the hash. */
export interface AssignmentAttributes {
  country?: string;
  device?: string;
  /** The served model has never seen this shopper. */
  newUser?: boolean;
  attributes?: Record<string, string>;
  /** Epoch ms of the request (schedules); now when absent. */
  now?: number;
}

export interface Assignment {
  experimentId: string;
  layer: string;
  /** The variant the user's hash selects. */
  variant: string;
  /** The configuration to serve: the variant's, the control's when it is rolled back, the winner's once promoted. */
  config: VariantConfig;
  /** Whether serving this assignment is an exposure to log (RUNNING and the variant not rolled back). */
  logged: boolean;
}
