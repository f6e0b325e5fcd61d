import { readOnlineRetail } from '../ingest/onlineRetail';
import { CATEGORIES } from '../ingest/taxonomy';
import { COUNTRY_NAMES, SyntheticShop } from './generate';
import { QUANTILE_P, type QuantileTable, type SyntheticParams } from './params';
import {
  basketsOf,
  coOccurrenceHitRate,
  countBy,
  productBasketCounts,
  quantiles,
  repeatShare,
  topShares,
  userBasketCounts,
  userLineCounts,
  type StatBasket,
} from './stats';

/** Fractions at which the popularity curve is fitted and reported. */
export const PRODUCT_FRACTIONS = [0.001, 0.01, 0.05, 0.1, 0.2, 0.5];
export const CUSTOMER_FRACTIONS = [0.01, 0.1, 0.5];
const ASSUMED = { themeSize: 20, itemsPerTheme: 16, personalSetRatio: 0.1, personalSetMin: 5 } as const;
/** Seed of the simulations that fit pTheme and pPersonal. */
const FIT_SEED = 20111109;

/**
 * Fits the generator to an Online Retail file: every distribution is measured on the cleaned data
 * (the adapter's own cleaning, all rows of the file), the popularity exponent by least squares on the
 * top-share curve, and the two structure parameters (pTheme, pPersonal) by simulating the real size
 * until the generated co-occurrence hit rate and repeat share match the real ones.
 */
export async function fitOnlineRetail(
  input: string,
  log: (line: string) => void = () => {},
): Promise<SyntheticParams> {
  const data = await readOnlineRetail(input);
  const baskets = basketsOf(data.interactions);
  const lines = baskets.reduce((a, b) => a + b.items.length, 0);
  const customers = userBasketCounts(baskets);
  const productShares = topShares(productBasketCounts(baskets).values(), PRODUCT_FRACTIONS);
  const products = data.catalogue.size;
  log(`real: ${lines} lines, ${baskets.length} invoices, ${customers.size} customers, ${products} products`);

  const quantityCounts = countBy(data.interactions, (e) => String(e.quantity));
  const topQuantities = [...quantityCounts].sort((a, b) => b[1] - a[1]).slice(0, 24);
  const countryOfInvoice = new Map<string, string | null>();
  for (const e of data.interactions)
    if (!countryOfInvoice.has(e.basketId)) countryOfInvoice.set(e.basketId, e.country);
  const named = new Set(COUNTRY_NAMES.map(([code]) => code));
  const byCountry = countBy(countryOfInvoice.values(), (c) => (c && named.has(c) ? c : null));
  const logPrices = [...data.catalogue.values()].map((c) => Math.log(c.price));
  const mu = mean(logPrices);
  const categories = countBy(data.catalogue.values(), (c) => (c.category === 'other' ? null : c.category!));
  const month = new Array<number>(12).fill(0);
  const monthDays = new Array<number>(12).fill(0);
  const weekday = new Array<number>(7).fill(0);
  const hour = new Array<number>(24).fill(0);
  for (const b of baskets) {
    const d = new Date(b.ts);
    month[d.getUTCMonth()]!++;
    weekday[d.getUTCDay()]!++;
    hour[d.getUTCHours()]!++;
  }
  const start = isoDay(baskets[0]!.ts);
  const end = isoDay(baskets[baskets.length - 1]!.ts + 86_400_000);
  for (let t = Date.parse(start); t < Date.parse(end); t += 86_400_000)
    monthDays[new Date(t).getUTCMonth()]!++;

  const params: SyntheticParams = {
    popularity: fitPopularity(productShares, products),
    basketSize: quantileTable(baskets.map((b) => b.items.length)),
    invoicesPerCustomer: quantileTable(customers.values()),
    guestInvoiceShare: round(baskets.filter((b) => b.user === null).length / baskets.length, 4),
    quantities: topQuantities.map(([q, n]) => [Number(q), round(n / data.interactions.length, 4)]),
    logPrice: { mu: round(mu, 4), sigma: round(Math.sqrt(mean(logPrices.map((x) => (x - mu) ** 2))), 4) },
    countries: [...byCountry]
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => [code, round(n / baskets.length, 4)]),
    categoryShares: Object.fromEntries(
      CATEGORIES.filter((c) => categories.has(c)).map((c) => [c, round(categories.get(c)! / products, 4)]),
    ),
    calendar: {
      start,
      end,
      monthRate: month.map((n, m) =>
        monthDays[m] ? round(n / monthDays[m]! / (baskets.length / 365), 3) : 0,
      ),
      weekday: weekday.map((n) => round((7 * n) / baskets.length, 3)),
      hour: hour.map((n) => round((24 * n) / baskets.length, 3)),
    },
    ...ASSUMED,
    pTheme: 0,
    pPersonal: 0,
    targets: {
      products,
      lines,
      invoices: baskets.length,
      customers: customers.size,
      productTopFractions: PRODUCT_FRACTIONS,
      productTopShares: productShares.map((s) => round(s, 4)),
      customerTopFractions: CUSTOMER_FRACTIONS,
      customerTopShares: topShares(userLineCounts(baskets).values(), CUSTOMER_FRACTIONS).map((s) =>
        round(s, 4),
      ),
      repeatShare: round(repeatShare(baskets), 4),
      coOccurrenceHitRate: round(coOccurrenceHitRate(baskets), 4),
    },
  };
  log(
    `real: repeat share ${params.targets.repeatShare}, co-occurrence HR@10 ${params.targets.coOccurrenceHitRate}, ` +
      `popularity a ${params.popularity.a} c ${params.popularity.c}`,
  );
  return fitStructure(params, log);
}

/**
 * Least squares on log top-shares over a grid of (a, c): the discrete shares of
 * w(r) = ((r + 0.5) / n + c)^(−a) at the real catalogue size against the measured ones.
 */
export function fitPopularity(shares: readonly number[], n: number): { a: number; c: number } {
  let best = { a: 1, c: 0.01, error: Infinity };
  const w = new Float64Array(n);
  for (let a = 0.2; a <= 3.0001; a += 0.02) {
    for (let e = -5; e <= 0.0001; e += 0.1) {
      const c = 10 ** e;
      for (let r = 0; r < n; r++) w[r] = ((r + 0.5) / n + c) ** -a;
      const model = topShares(w, PRODUCT_FRACTIONS);
      let error = 0;
      model.forEach((m, i) => (error += Math.log(m / shares[i]!) ** 2));
      if (error < best.error) best = { a, c, error };
    }
  }
  return { a: round(best.a, 2), c: Number(best.c.toPrecision(2)) };
}

/** The statistics of a generated data set, the same way they are measured on the real one. */
export function syntheticBaskets(
  params: SyntheticParams,
  products: number,
  events: number,
  seed: number,
): StatBasket[] {
  const shop = new SyntheticShop({ products, events, seed, params });
  const out: StatBasket[] = [];
  for (const inv of shop.invoices()) {
    out.push({
      user: inv.customer < 0 ? null : String(inv.customer),
      items: Array.from(inv.items, String),
      ts: inv.ts,
    });
  }
  return out;
}

/**
 * Fits, by alternating bisections on simulations at the real size (each statistic rises with its
 * parameter): the popularity exponent `a` to the top-1% share (invoices within a product line are
 * drawn without repeats, which flattens the realised curve below the analytic one), pPersonal to the
 * repeat share and pTheme to the co-occurrence hit rate, with pPersonal + pTheme <= 1.
 */
function fitStructure(params: SyntheticParams, log: (line: string) => void): SyntheticParams {
  const { products, lines, productTopFractions, productTopShares } = params.targets;
  const onePercent = productTopFractions.indexOf(0.01);
  let current: SyntheticParams = { ...params, pPersonal: 0.75, pTheme: 0.2 };
  const fits: {
    name: string;
    range: () => [number, number];
    set: (p: SyntheticParams, x: number) => SyntheticParams;
    measure: (b: StatBasket[]) => number;
    target: number;
  }[] = [
    {
      name: 'popularity.a',
      range: () => [0.3, 3],
      set: (p, a) => ({ ...p, popularity: { ...p.popularity, a } }),
      measure: (b) => topShares(productBasketCounts(b).values(), [0.01])[0]!,
      target: productTopShares[onePercent]!,
    },
    {
      name: 'pPersonal',
      range: () => [0, 1 - current.pTheme],
      set: (p, pPersonal) => ({ ...p, pPersonal }),
      measure: repeatShare,
      target: params.targets.repeatShare,
    },
    {
      name: 'pTheme',
      range: () => [0, 1 - current.pPersonal],
      set: (p, pTheme) => ({ ...p, pTheme }),
      measure: (b) => coOccurrenceHitRate(b),
      target: params.targets.coOccurrenceHitRate,
    },
  ];
  for (let pass = 0; pass < 3; pass++) {
    for (const fit of fits) {
      let [lo, hi] = fit.range();
      for (let step = 0; step < 7; step++) {
        const mid = (lo + hi) / 2;
        const value = fit.measure(syntheticBaskets(fit.set(current, mid), products, lines, FIT_SEED));
        log(`fit: ${fit.name} ${mid.toFixed(4)} -> ${value.toFixed(4)} (target ${fit.target})`);
        if (value < fit.target) lo = mid;
        else hi = mid;
      }
      current = fit.set(current, round((lo + hi) / 2, 3));
    }
  }
  return current;
}

/**
 * The fitted statistics of a generated data set next to the real ones, as printable rows
 * (`synth stats`). The co-occurrence hit rate needs a dense matrix, so it is left out above 8000 products.
 */
export function compareWithReal(
  params: SyntheticParams,
  products: number,
  events: number,
  seed: number,
): { statistic: string; real: string; synthetic: string }[] {
  const t = params.targets;
  const baskets = syntheticBaskets(params, products, events, seed);
  const fmt = (values: readonly number[]) => values.map((v) => v.toFixed(3)).join(' / ');
  const rows = [
    {
      statistic: `products, lines, invoices, customers`,
      real: [t.products, t.lines, t.invoices, t.customers].join(', '),
      synthetic: [
        productBasketCounts(baskets).size,
        events,
        baskets.length,
        userBasketCounts(baskets).size,
      ].join(', '),
    },
    {
      statistic: `share of lines, top ${t.productTopFractions.map((f) => `${f * 100}%`).join(' / ')} of products`,
      real: fmt(t.productTopShares),
      synthetic: fmt(topShares(productBasketCounts(baskets).values(), t.productTopFractions)),
    },
    {
      statistic: `share of lines, top ${t.customerTopFractions.map((f) => `${f * 100}%`).join(' / ')} of customers`,
      real: fmt(t.customerTopShares),
      synthetic: fmt(topShares(userLineCounts(baskets).values(), t.customerTopFractions)),
    },
    {
      statistic: 'products per invoice, median / p90 / p99',
      real: [0.5, 0.9, 0.99].map((q) => tableAt(params.basketSize, q)).join(' / '),
      synthetic: quantiles(
        baskets.map((b) => b.items.length),
        [0.5, 0.9, 0.99],
      ).join(' / '),
    },
    {
      statistic: 'invoices per customer, median / p90 / p99 / max',
      real: [0.5, 0.9, 0.99, 1].map((q) => tableAt(params.invoicesPerCustomer, q)).join(' / '),
      synthetic: quantiles(userBasketCounts(baskets).values(), [0.5, 0.9, 0.99, 1]).join(' / '),
    },
    { statistic: 'repeat share', real: t.repeatShare.toFixed(3), synthetic: repeatShare(baskets).toFixed(3) },
  ];
  if (productBasketCounts(baskets).size <= 8000) {
    rows.push({
      statistic: 'co-occurrence HR@10 (basket completion)',
      real: t.coOccurrenceHitRate.toFixed(3),
      synthetic: coOccurrenceHitRate(baskets).toFixed(3),
    });
  }
  return rows;
}

function tableAt(table: QuantileTable, q: number): number {
  return table[QUANTILE_P.indexOf(q)]!;
}

/** An empirical distribution as a quantile table on {@link QUANTILE_P}. */
function quantileTable(values: Iterable<number>): QuantileTable {
  return quantiles(values, QUANTILE_P);
}

/** The TypeScript source of params.ts holding `params`, with the command that fitted them. */
export function renderParams(params: SyntheticParams, command: string, header: string): string {
  return (
    `${header}\n// Fitted by (deterministic: rerunning it rewrites the same numbers; do not edit by hand)\n` +
    `//   ${command}\nexport const FITTED: SyntheticParams = ${JSON.stringify(params, null, 2)};\n`
  );
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

function isoDay(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}
