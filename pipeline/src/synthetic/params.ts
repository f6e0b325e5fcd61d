import type { Category } from '../ingest/taxonomy';

/** Cumulative probabilities of the empirical quantile tables: every percent, and the far tail. */
export const QUANTILE_P: readonly number[] = [
  ...Array.from({ length: 100 }, (_, i) => i / 100),
  0.995,
  0.999,
  1,
];

/** A distribution as its quantiles: value `[i]` at cumulative probability `QUANTILE_P[i]`. */
export type QuantileTable = number[];

/** The parameters of the synthetic generator; see `generate.ts` for how each is used. */
export interface SyntheticParams {
  /** Popularity w(r) ∝ ((r + 0.5) / N + c)^(−a) over the popularity rank r of N products. */
  popularity: { a: number; c: number };
  /** Distinct products per invoice. */
  basketSize: QuantileTable;
  /** Invoices per customer. */
  invoicesPerCustomer: QuantileTable;
  guestInvoiceShare: number;
  /** [quantity, share] of invoice lines (the most common quantities). */
  quantities: [number, number][];
  /** ln(median unit price) of products: mean and standard deviation. */
  logPrice: { mu: number; sigma: number };
  /** [ISO code, share of invoices]. */
  countries: [string, number][];
  /** Share of products per category (taxonomy of the real titles, "other" left out). */
  categoryShares: Partial<Record<Category, number>>;
  /** Invoice times: [start, end) dates; relative invoice rate per day by month (0 = January), weekday (0 = Sunday), hour. */
  calendar: { start: string; end: string; monthRate: number[]; weekday: number[]; hour: number[] };
  /** Assumed, not fitted: products per product line (theme). */
  themeSize: number;
  /** Assumed, not fitted: an invoice picks one theme per this many lines. */
  itemsPerTheme: number;
  /** Assumed, not fitted: personal set size = max(personalSetMin, ratio × the customer's expected lines). */
  personalSetRatio: number;
  personalSetMin: number;
  /** Fitted by simulation: share of a line drawn from the invoice's themes. */
  pTheme: number;
  /** Fitted by simulation: share of a customer's line drawn from their personal set. */
  pPersonal: number;
  /** The real statistics the parameters were fitted to (tests compare generated data with them). */
  targets: {
    products: number;
    lines: number;
    invoices: number;
    customers: number;
    /** Fractions of products (by invoices, most popular first) and the share of invoice lines they hold. */
    productTopFractions: number[];
    productTopShares: number[];
    /** Fractions of customers (by lines) and their share of customer lines. */
    customerTopFractions: number[];
    customerTopShares: number[];
    repeatShare: number;
    coOccurrenceHitRate: number;
  };
}

// Fitted by (deterministic: rerunning it rewrites the same numbers; do not edit by hand)
//   node --import tsx pipeline/src/synthetic/cli.ts fit --input data/online-retail/online_retail_until_2011-11-09.csv.gz --write
export const FITTED: SyntheticParams = {
  popularity: {
    a: 1.112,
    c: 0.01,
  },
  basketSize: [
    1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9,
    10, 10, 10, 11, 11, 12, 12, 12, 13, 13, 14, 14, 14, 15, 15, 15, 16, 16, 16, 17, 17, 18, 18, 19, 19, 19,
    20, 20, 21, 21, 22, 22, 23, 24, 24, 25, 26, 26, 27, 28, 29, 29, 30, 31, 32, 34, 35, 36, 38, 39, 41, 43,
    44, 47, 49, 52, 54, 58, 62, 67, 74, 85, 106, 148, 210, 291, 501, 1106,
  ],
  invoicesPerCustomer: [
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 8, 8, 9, 9, 10, 11, 12, 13, 16, 19, 26, 37, 80,
    161,
  ],
  guestInvoiceShare: 0.074,
  quantities: [
    [1, 0.2679],
    [2, 0.1533],
    [12, 0.1198],
    [6, 0.0797],
    [4, 0.0731],
    [3, 0.0688],
    [24, 0.0469],
    [10, 0.0436],
    [8, 0.0252],
    [5, 0.0214],
    [48, 0.0118],
    [25, 0.0103],
    [20, 0.0097],
    [16, 0.0083],
    [36, 0.0072],
    [7, 0.0051],
    [72, 0.0038],
    [100, 0.0037],
    [96, 0.0036],
    [9, 0.0036],
    [18, 0.0031],
    [30, 0.0023],
    [32, 0.0021],
    [40, 0.002],
  ],
  logPrice: {
    mu: 0.7079,
    sigma: 1.0234,
  },
  countries: [
    ['GB', 0.9061],
    ['DE', 0.0219],
    ['FR', 0.0186],
    ['IE', 0.014],
    ['BE', 0.0052],
    ['NL', 0.0046],
    ['ES', 0.0045],
    ['AU', 0.0031],
    ['CH', 0.0027],
    ['PT', 0.0023],
    ['FI', 0.0018],
    ['SE', 0.0017],
    ['IT', 0.0016],
    ['NO', 0.0015],
    ['JE', 0.0014],
    ['PL', 0.0011],
    ['JP', 0.001],
    ['DK', 0.0009],
    ['AT', 0.0008],
    ['CY', 0.0008],
  ],
  categoryShares: {
    'candles & lights': 0.0906,
    decorations: 0.085,
    'signs & plaques': 0.0395,
    clocks: 0.0101,
    'frames & mirrors': 0.0229,
    'storage & tins': 0.0517,
    'hooks & fittings': 0.0253,
    furniture: 0.0165,
    textiles: 0.036,
    bathroom: 0.0267,
    garden: 0.0227,
    'mugs & cups': 0.0315,
    tableware: 0.073,
    'kitchen & baking': 0.0472,
    bags: 0.0307,
    jewellery: 0.0789,
    accessories: 0.0611,
    'cards & wrap': 0.0437,
    stationery: 0.052,
    'crafts & sewing': 0.0173,
    'toys & games': 0.0365,
    christmas: 0.0581,
    easter: 0.0168,
    party: 0.0176,
  },
  calendar: {
    start: '2010-12-01',
    end: '2011-11-09',
    monthRate: [0.754, 0.845, 1.006, 0.891, 1.165, 1.1, 1.014, 0.935, 1.312, 1.4, 1.778, 1.082],
    weekday: [0.786, 1.092, 1.253, 1.277, 1.492, 1.101, 0],
    hour: [
      0, 0, 0, 0, 0, 0, 0.001, 0.041, 0.619, 1.798, 2.912, 2.898, 3.884, 3.294, 2.99, 2.837, 1.522, 0.767,
      0.239, 0.175, 0.023, 0, 0, 0,
    ],
  },
  themeSize: 20,
  itemsPerTheme: 16,
  personalSetRatio: 0.1,
  personalSetMin: 5,
  pTheme: 0.134,
  pPersonal: 0.849,
  targets: {
    products: 3751,
    lines: 430823,
    invoices: 16862,
    customers: 4062,
    productTopFractions: [0.001, 0.01, 0.05, 0.1, 0.2, 0.5],
    productTopShares: [0.0167, 0.0968, 0.2937, 0.4454, 0.6389, 0.9137],
    customerTopFractions: [0.01, 0.1, 0.5],
    customerTopShares: [0.1584, 0.4802, 0.894],
    repeatShare: 0.4012,
    coOccurrenceHitRate: 0.156,
  },
};
