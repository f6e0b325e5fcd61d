import { normaliseProductId, normaliseUserId } from '@recs/core';
import { SourceFormatError, csvRecords } from './csv';
import { countryCode } from './countries';
import { emptyReport, firstProblem, limitChecks, reject, type CleaningReport } from './CleaningReport';
import { PriceTally, type CatalogueEntry, type Interaction } from './Interaction';
import { applyTaxonomy } from './taxonomy';

const HEADER = [
  'InvoiceNo',
  'StockCode',
  'Description',
  'Quantity',
  'InvoiceDate',
  'UnitPrice',
  'CustomerID',
  'Country',
];
/** Product codes are five digits plus optional letters; POST, M, DOT, BANK CHARGES... are not products. */
const PRODUCT_CODE = /^\d{5}[A-Z]*$/;
/** Above these, a line is a wholesale or data-entry outlier (the source has 80,995 units on one line). */
const MAX_QUANTITY = 10_000;
const MAX_UNIT_PRICE = 10_000;

export { SourceFormatError };

export interface OnlineRetailData {
  interactions: Interaction[];
  /**
   * Products seen in accepted rows, with the most frequent description, the median price and the
   * category derived from the description (`applyTaxonomy`).
   */
  catalogue: Map<string, CatalogueEntry>;
  report: CleaningReport;
}

/** Parses "2010-12-01 08:26:00" (also "12/1/2010 8:26") as shop-local wall-clock time in UTC ms. */
export function parseShopTime(text: string): number | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})$/.exec(text.trim());
  if (m) return Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!, +m[4]!, +m[5]!);
  return undefined;
}

/**
 * Reads and cleans the UCI Online Retail invoice lines.
 *
 * Kept: purchase lines of real products with positive quantity and price, before `until` (exclusive,
 * shop-local time). Every other row is counted under its reason in the report. Exact duplicate lines
 * (same invoice, product, quantity, price, time and customer) are counted once.
 */
export async function readOnlineRetail(
  path: string,
  opts: { until?: number } = {},
): Promise<OnlineRetailData> {
  const report = emptyReport();
  const interactions: Interaction[] = [];
  const seen = new Set<string>();
  const titles = new Map<string, Map<string, number>>();
  const prices = new PriceTally();
  for await (const rec of csvRecords(path, HEADER, 'an Online Retail')) {
    report.rowsRead++;
    const f = rec.fields;
    if (rec.unterminated || f.length !== HEADER.length) {
      reject(report, 'malformed_row', rec.line);
      continue;
    }
    const [invoice, code, description, qtyText, dateText, priceText, customer, countryName] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const ts = parseShopTime(dateText);
    const quantity = Number(qtyText);
    const unitPrice = Number(priceText);
    const productId = normaliseProductId(code);
    const country = countryCode(countryName);
    if (ts === undefined) {
      reject(report, 'bad_date', rec.line);
      continue;
    }
    const problem = firstProblem([
      ['malformed_row', !Number.isFinite(quantity) || !Number.isFinite(unitPrice) || invoice.trim() === ''],
      ['cancellation', invoice.trim().toUpperCase().startsWith('C')],
      ['non_positive_quantity', quantity <= 0],
      ['non_positive_price', unitPrice <= 0],
      ['non_product_code', !PRODUCT_CODE.test(productId)],
      ...limitChecks(
        { ts, quantity, unitPrice },
        { until: opts.until, maxQuantity: MAX_QUANTITY, maxUnitPrice: MAX_UNIT_PRICE },
      ),
      ['unknown_country', country === undefined],
    ]);
    if (problem) {
      reject(report, problem, rec.line);
      continue;
    }
    const userId = customer.trim() === '' ? null : normaliseUserId(customer);
    const dedupeKey = `${invoice}|${productId}|${quantity}|${unitPrice}|${ts}|${userId}`;
    if (seen.has(dedupeKey)) {
      reject(report, 'duplicate_line', rec.line);
      continue;
    }
    seen.add(dedupeKey);
    report.accepted++;
    if (userId === null) report.guestRows++;
    interactions.push({
      type: 'purchase',
      userId,
      productId,
      basketId: invoice.trim(),
      quantity,
      unitPrice,
      ts,
      country: country!, // checked above ('unknown_country')
    });
    const title = description.trim().replace(/\s+/g, ' ');
    if (title) {
      const t = titles.get(productId) ?? new Map<string, number>();
      t.set(title, (t.get(title) ?? 0) + 1);
      titles.set(productId, t);
    }
    prices.add(productId, unitPrice);
  }
  const catalogue = new Map<string, CatalogueEntry>();
  for (const [id, price] of prices.medians()) {
    const t = titles.get(id);
    // Most frequent description wins; ties go to the alphabetically first so runs are reproducible.
    const title = t ? [...t].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0] : id;
    catalogue.set(id, { id, title, price });
  }
  applyTaxonomy(catalogue.values());
  return { interactions, catalogue, report };
}
