import type { IndexChoice } from '@recs/vector-index';

/** The description of one trained model version, written next to its artefacts. */
export interface Manifest {
  version: string;
  dataset: string;
  input: string;
  /** First and last interaction used, ISO dates (shop-local). */
  dataRange: { from: string; to: string };
  /** Cut-off: only data strictly before this instant was used. */
  until: string;
  createdAt: string;
  /** sha256 of each artefact file, so a corrupted or swapped file is detected at load. */
  files: Record<string, string>;
  metrics: Record<string, number>;
  /** Wall time of each training step, ms. */
  timings?: Record<string, number>;
  cleaning: Record<string, unknown>;
  /** The embedding index structure and settings chosen for this catalogue size (`chooseIndex`). */
  vectorIndex?: IndexChoice;
}
