import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SourceFormatError, csvRecords } from './csv';
import { emptyReport, firstProblem, limitChecks, reject, type CleaningReport } from './CleaningReport';
import { PriceTally, type CatalogueEntry, type Interaction } from './Interaction';
import { parseShopTime } from './onlineRetail';

const TRANSACTIONS = 'transactions_sample.csv.gz';
const PRODUCTS = 'products.csv.gz';
const TRANSACTION_HEADER = [
  'household_id',
  'store_id',
  'basket_id',
  'product_id',
  'quantity',
  'sales_value',
  'retail_disc',
  'coupon_disc',
  'coupon_match_disc',
  'week',
  'transaction_timestamp',
];
const PRODUCT_HEADER = [
  'product_id',
  'manufacturer_id',
  'department',
  'brand',
  'product_category',
  'product_type',
  'package_size',
];
/** Above these a line is an outlier (the sample has fuel lines of thousands of "units"). */
const MAX_QUANTITY = 1_000;
const MAX_UNIT_PRICE = 1_000;

export interface CompleteJourneyData {
  interactions: Interaction[];
  /** Products of accepted lines: the source's department / category / type path, brand, median unit price. */
  catalogue: Map<string, CatalogueEntry>;
  report: CleaningReport;
}

/** Title case of an upper-case source label ("FRZN ICE" → "Frzn Ice"). */
const label = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/(^|[\s/-])\S/g, (c) => c.toUpperCase());

/**
 * Reads dunnhumby's "The Complete Journey" (the `completejourney` R package's CSV export: a directory
 * holding `transactions_sample.csv.gz` and `products.csv.gz`) into the engine's event model.
 *
 * Every transaction line is a purchase by a household (`userId`) in a basket; the unit price is
 * `sales_value / quantity`; the country is US (the source is one US retailer); timestamps are the
 * store's wall-clock time, like Online Retail's. The catalogue takes the source's own hierarchy
 * (department → product category → product type) as the category path, the brand (National / Private)
 * and a title built from them and the package size. Rejected lines are counted per reason: malformed,
 * bad date, non-positive quantity or value, outliers, a product missing from `products`, duplicates,
 * and lines at or after `until`.
 */
export async function readCompleteJourney(
  dir: string,
  opts: { until?: number } = {},
): Promise<CompleteJourneyData> {
  for (const file of [TRANSACTIONS, PRODUCTS]) {
    if (!existsSync(join(dir, file))) {
      throw new SourceFormatError(`${dir} is not a Complete Journey directory: ${file} is missing`);
    }
  }
  const products = new Map<
    string,
    { department: string; category: string; type: string; brand: string; size: string }
  >();
  for await (const rec of csvRecords(join(dir, PRODUCTS), PRODUCT_HEADER, 'a Complete Journey')) {
    const [id, , department = '', brand = '', category = '', type = '', size = ''] = rec.fields;
    if (id && /^\d+$/.test(id.trim())) products.set(id.trim(), { department, category, type, brand, size });
  }

  const report = emptyReport();
  const interactions: Interaction[] = [];
  const seen = new Set<string>();
  const prices = new PriceTally();
  for await (const rec of csvRecords(join(dir, TRANSACTIONS), TRANSACTION_HEADER, 'a Complete Journey')) {
    report.rowsRead++;
    const f = rec.fields;
    if (rec.unterminated || f.length !== TRANSACTION_HEADER.length) {
      reject(report, 'malformed_row', rec.line);
      continue;
    }
    // the row has every column (checked above); the defaults only satisfy the type checker
    const [household = '', , basket = '', product = '', qtyText = '', valueText = '', , , , , timeText = ''] =
      f;
    const ts = parseShopTime(timeText);
    const quantity = Number(qtyText);
    const value = Number(valueText);
    const productId = product.trim();
    if (ts === undefined) {
      reject(report, 'bad_date', rec.line);
      continue;
    }
    const unitPrice = Math.round((value / quantity) * 100) / 100;
    const problem = firstProblem([
      [
        'malformed_row',
        !Number.isFinite(quantity) || !Number.isFinite(value) || !household.trim() || !basket.trim(),
      ],
      ['non_positive_quantity', quantity <= 0],
      ['non_positive_price', value <= 0],
      ['non_product_code', !products.has(productId)],
      ...limitChecks(
        { ts, quantity, unitPrice },
        { until: opts.until, maxQuantity: MAX_QUANTITY, maxUnitPrice: MAX_UNIT_PRICE },
      ),
    ]);
    if (problem) {
      reject(report, problem, rec.line);
      continue;
    }
    const dedupeKey = `${basket}|${productId}|${quantity}|${value}|${ts}|${household}`;
    if (seen.has(dedupeKey)) {
      reject(report, 'duplicate_line', rec.line);
      continue;
    }
    seen.add(dedupeKey);
    report.accepted++;
    interactions.push({
      type: 'purchase',
      userId: household.trim(),
      productId,
      basketId: basket.trim(),
      quantity,
      unitPrice,
      ts,
      country: 'US',
    });
    prices.add(productId, unitPrice);
  }

  const catalogue = new Map<string, CatalogueEntry>();
  for (const [id, price] of prices.medians()) {
    const p = products.get(id)!;
    const path = [p.department, p.category, p.type].map(label).filter(Boolean);
    const title = [label(p.type || p.category || p.department) || `Product ${id}`, p.size.trim()]
      .filter(Boolean)
      .join(', ');
    catalogue.set(id, {
      id,
      title: p.brand.trim() === 'Private' ? `${title} (store brand)` : title,
      price,
      category: (path.at(-1) ?? 'other').toLowerCase(),
      categoryPath: path.length > 0 ? path.map((s) => s.toLowerCase()) : ['other'],
      ...(p.brand.trim() ? { brand: p.brand.trim() } : {}),
    });
  }
  return { interactions, catalogue, report };
}
