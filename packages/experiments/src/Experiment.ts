/** One arm of an experiment: a serving configuration and its share of the experiment's traffic. */
export interface Variant {
  name: string;
  /** Percent of the experiment's traffic; an experiment's allocations sum to 100. */
  allocation: number;
}

/** The surfaces of the recommendations API. */
export const SURFACES = ['HOME', 'PRODUCT', 'CART', 'SEARCH', 'EMAIL', 'PUSH'] as const;
export type Surface = (typeof SURFACES)[number];

export type ExperimentStatus = 'DRAFT' | 'RUNNING' | 'STOPPED';

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
  variants: Variant[];
  /** Surfaces whose recommendations the experiment changes; all of them when omitted. */
  surfaces?: Surface[];
  /** Only users matching the segment enter. */
  segment?: { countries?: string[] };
}

export interface Assignment {
  experimentId: string;
  layer: string;
  variant: string;
}
