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
}

/** What a recommender returns for one request; the resolver adds request id and positions. */
export interface RecommendationResult {
  items: RecommendedItem[];
  modelVersion: string;
  fallback: boolean;
  fallbackReason?: string;
  experiment?: string;
  variant?: string;
}
