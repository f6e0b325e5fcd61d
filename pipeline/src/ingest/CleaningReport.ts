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
