import type { RankedRow } from './LearnedRanker';
/** Machine-readable evidence for an item; mirrors `enum ReasonCode` in the SDL. */
export type ReasonCode =
  | 'POPULAR'
  | 'POPULAR_IN_COUNTRY'
  | 'TRENDING'
  | 'BOUGHT_TOGETHER'
  | 'SIMILAR'
  | 'BUY_AGAIN'
  | 'FOR_YOU'
  | 'SESSION'
  | 'SEARCH_MATCH'
  | 'PROMOTION'
  | 'EXPLORATION'
  | 'BACK_IN_STOCK'
  | 'PRICE_DROP'
  | 'ABANDONED_CART';

export interface RecommendedItem {
  productId: string;
  score: number;
  reasonCode: ReasonCode;
  reason: string;
  /** Candidate sources that proposed this item (explain). */
  sources?: string[];
  /** Business rules that changed this item (explain). */
  rules?: string[];
  /** The learned path's feature row, for explain's contributions (computed only when asked). */
  ranked?: RankedRow;
}

export interface FeatureContribution {
  feature: string;
  value: number;
  contribution: number;
}

/** What a recommender returns for one request; the resolver adds request id and positions. */
export interface RecommendationResult {
  items: RecommendedItem[];
  modelVersion: string;
  /** Version of the business rules applied. */
  rulesVersion?: string;
  fallback: boolean;
  fallbackReason?: string;
  /** false: the shopper opted out of personalisation (or was forgotten) and got a non-personal list. */
  personalised?: boolean;
  experiment?: string;
  variant?: string;
}
