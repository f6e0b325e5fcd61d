import { normaliseProductId, normaliseUserId } from '@recs/core';
import { readCsv } from './csv';
import { countryCode } from './countries';
import { emptyReport, reject, type CleaningReport } from './CleaningReport';
import type { CatalogueEntry, Interaction } from './Interaction';
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

/** Thrown when a file is not an Online Retail export at all (wrong header). */
export class SourceFormatError extends Error {}

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
  const prices = new Map<string, number[]>();
  let header = true;
  for await (const rec of readCsv(path)) {
    if (header) {
      header = false;
      const got = rec.fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
      if (HEADER.some((h, i) => got[i] !== h)) {
        throw new SourceFormatError(
          `${path} is not an Online Retail file: expected columns ${HEADER.join(',')}; received ${got.join(',')}`,
        );
      }
      continue;
    }
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
    if (ts === undefined) {
      reject(report, 'bad_date', rec.line);
      continue;
    }
    if (!Number.isFinite(quantity) || !Number.isFinite(unitPrice) || invoice.trim() === '') {
      reject(report, 'malformed_row', rec.line);
      continue;
    }
    if (invoice.trim().toUpperCase().startsWith('C')) {
      reject(report, 'cancellation', rec.line);
      continue;
    }
    if (quantity <= 0) {
      reject(report, 'non_positive_quantity', rec.line);
      continue;
    }
    if (unitPrice <= 0) {
      reject(report, 'non_positive_price', rec.line);
      continue;
    }
    const productId = normaliseProductId(code);
    if (!PRODUCT_CODE.test(productId)) {
      reject(report, 'non_product_code', rec.line);
      continue;
    }
    if (opts.until !== undefined && ts >= opts.until) {
      reject(report, 'after_cutoff', rec.line);
      continue;
    }
    if (quantity > MAX_QUANTITY) {
      reject(report, 'quantity_outlier', rec.line);
      continue;
    }
    if (unitPrice > MAX_UNIT_PRICE) {
      reject(report, 'price_outlier', rec.line);
      continue;
    }
    const country = countryCode(countryName);
    if (country === undefined) {
      reject(report, 'unknown_country', rec.line);
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
      country,
    });
    const title = description.trim().replace(/\s+/g, ' ');
    if (title) {
      const t = titles.get(productId) ?? new Map<string, number>();
      t.set(title, (t.get(title) ?? 0) + 1);
      titles.set(productId, t);
    }
    const p = prices.get(productId) ?? [];
    p.push(unitPrice);
    prices.set(productId, p);
  }
  if (header) throw new SourceFormatError(`${path} is empty: expected an Online Retail header line`);
  const catalogue = new Map<string, CatalogueEntry>();
  for (const [id, ps] of prices) {
    ps.sort((a, b) => a - b);
    const t = titles.get(id);
    // Most frequent description wins; ties go to the alphabetically first so runs are reproducible.
    const title = t ? [...t].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0] : id;
    catalogue.set(id, { id, title, price: ps[Math.floor(ps.length / 2)]! });
  }
  applyTaxonomy(catalogue.values());
  return { interactions, catalogue, report };
}
