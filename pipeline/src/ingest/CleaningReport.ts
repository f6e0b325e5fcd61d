/** Why a source row was not turned into an interaction (or was, with a caveat). */
export type RejectReason =
  | 'malformed_row'
  | 'bad_date'
  | 'unknown_country'
  | 'cancellation'
  | 'non_positive_quantity'
  | 'non_positive_price'
  | 'non_product_code'
  | 'duplicate_line'
  | 'quantity_outlier'
  | 'price_outlier'
  | 'after_cutoff';

/**
 * Counts per reason, so nothing is dropped silently: rowsRead = accepted + sum(rejected).
 * `guestRows` counts accepted rows without a customer id (kept for basket statistics).
 */
export interface CleaningReport {
  rowsRead: number;
  accepted: number;
  guestRows: number;
  rejected: Partial<Record<RejectReason, number>>;
  /** First few rejected rows per reason (line number and reason), for debugging a source. */
  samples: { line: number; reason: RejectReason }[];
}

export function emptyReport(): CleaningReport {
  return { rowsRead: 0, accepted: 0, guestRows: 0, rejected: {}, samples: [] };
}

export function reject(report: CleaningReport, reason: RejectReason, line: number): void {
  report.rejected[reason] = (report.rejected[reason] ?? 0) + 1;
  if (report.samples.length < 50) report.samples.push({ line, reason });
}

/** One cleaning check: the reason a row is rejected for when `failed` holds. */
export type Check = readonly [reason: RejectReason, failed: boolean];

/** The first failed check's reason, in the order given (a row is counted under one reason), or undefined. */
export function firstProblem(checks: readonly Check[]): RejectReason | undefined {
  for (const [reason, failed] of checks) if (failed) return reason;
  return undefined;
}

/** The checks every source ends with: the cut-off (exclusive), then the quantity and price outliers. */
export function limitChecks(
  line: { ts: number; quantity: number; unitPrice: number },
  limits: { until?: number; maxQuantity: number; maxUnitPrice: number },
): Check[] {
  return [
    ['after_cutoff', limits.until !== undefined && line.ts >= limits.until],
    ['quantity_outlier', line.quantity > limits.maxQuantity],
    ['price_outlier', line.unitPrice > limits.maxUnitPrice],
  ];
}
