import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { seededRandom } from '@recs/core';
import { CATEGORIES, type Category } from '../ingest/taxonomy';
import { FITTED, QUANTILE_P, type QuantileTable, type SyntheticParams } from './params';
import { COLOURS, MATERIALS, MOTIFS, NOUNS } from './vocabulary';

/**
 * A seeded generator of Online Retail-shaped invoices at any catalogue size, with the skew of the
 * real data (parameters fitted by `fit.ts`, stored in `params.ts`):
 *
 * - Product popularity is a power law over the popularity rank r of N products,
 *   w(r) ∝ ((r + 0.5) / N + c)^(−a). It depends on r / N only, so the share of invoices the top 1% of
 *   products get is the same at 4k and at 1M products.
 * - Invoices per customer and products per invoice follow the real empirical distributions (quantile
 *   tables); 7% of invoices are guest checkouts. Heavy customers are simply the tail of the first.
 * - Co-purchase: products come in product lines ("themes") of consecutive codes and one pattern, e.g.
 *   "PINK PAISLEY LUNCH BAG"; each invoice picks one theme per `itemsPerTheme` lines and draws a share
 *   `pTheme` of its lines from them, each line from its theme by popularity.
 * - Buy-again: a customer has a personal set of products (about `personalSetRatio` times the lines
 *   they will buy, drawn by popularity within a few favourite themes, themselves drawn by weight) from
 *   which a share `pPersonal` of their lines comes.
 * - The rest of the lines are drawn by global popularity. Marginal popularity stays w in all three
 *   mechanisms (themes are drawn by their total weight, personal sets by popularity).
 * - Times follow the real per-month rate, day of week and hour of day; quantities, prices and countries
 *   the real distributions.
 *
 * Deterministic: the same options give byte-identical output. Memory is O(products + invoices): the
 * invoice lines are produced one invoice at a time and streamed.
 */
export interface SyntheticOptions {
  /** Catalogue size (products that can be bought; at small event counts not all of them are). */
  products: number;
  /** Invoice lines to produce, exactly. */
  events: number;
  seed: number;
  /** Defaults to the constants fitted to the Online Retail data. */
  params?: SyntheticParams;
}

/** One generated invoice. Products are catalogue indices (see {@link SyntheticShop.productId}). */
export interface SyntheticInvoice {
  invoiceNo: number;
  /** Customer index, or −1 for a guest checkout. */
  customer: number;
  country: string;
  ts: number;
  items: Int32Array;
  quantities: Int32Array;
}

/** Everything known about the output before it is written. */
export interface SyntheticSummary {
  products: number;
  events: number;
  invoices: number;
  customers: number;
  guestInvoices: number;
  from: string;
  to: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Real StockCodes are five digits plus optional letters; 90,000 numbers per letter suffix. */
const CODE_NUMBERS = 90_000;
const FIRST_INVOICE = 536_365;
const FIRST_CUSTOMER = 12_346;
/** Lines per invoice are capped so that distinct products can always be found quickly. */
const MAX_SHARE_OF_CATALOGUE = 0.25;

export class SyntheticShop {
  readonly params: SyntheticParams;
  readonly products: number;
  readonly events: number;
  private readonly seed: number;
  private readonly random: () => number;
  private readonly themeSize: number;
  private readonly themes: number;
  /** Global popularity sampler, per-theme samplers (segments of the same arrays), theme sampler. */
  private readonly global: AliasTable;
  private readonly withinTheme: AliasTable;
  private readonly themePicker: AliasTable;
  private readonly category: Uint8Array;
  private readonly countryCdf: Float64Array;
  private readonly quantityCdf: Float64Array;
  /** Invoice schedule: lines, owner (−1 guest), time; in time order. */
  private readonly sizes: Int32Array;
  private readonly owners: Int32Array;
  private readonly times: Float64Array;
  private readonly personalSize: Int32Array;
  readonly customers: number;

  constructor(opts: SyntheticOptions) {
    const p = (this.params = opts.params ?? FITTED);
    if (!Number.isInteger(opts.products) || opts.products < 10) {
      throw new RangeError(`products must be an integer >= 10; received ${opts.products}`);
    }
    if (!Number.isInteger(opts.events) || opts.events < 1) {
      throw new RangeError(`events must be a positive integer; received ${opts.events}`);
    }
    if (!Number.isInteger(opts.seed)) throw new RangeError(`seed must be an integer; received ${opts.seed}`);
    this.products = opts.products;
    this.events = opts.events;
    this.seed = opts.seed;
    this.random = seededRandom(opts.seed);
    const n = this.products;

    // Catalogue: product i (in code order) belongs to theme floor(i / themeSize); its popularity rank
    // is a seeded permutation, so popular products are spread over themes and codes.
    this.themeSize = p.themeSize;
    this.themes = Math.ceil(n / this.themeSize);
    const rank = Int32Array.from({ length: n }, (_, i) => i);
    shuffle(rank, this.random);
    const weight = Float64Array.from(rank, (r) => ((r + 0.5) / n + p.popularity.c) ** -p.popularity.a);
    this.global = new AliasTable(n);
    this.global.build(weight, 0, n);
    this.withinTheme = new AliasTable(n);
    const themeWeight = new Float64Array(this.themes);
    for (let t = 0; t < this.themes; t++) {
      const start = t * this.themeSize;
      const end = Math.min(n, start + this.themeSize);
      this.withinTheme.build(weight, start, end);
      for (let i = start; i < end; i++) themeWeight[t]! += weight[i]!;
    }
    this.themePicker = new AliasTable(this.themes);
    this.themePicker.build(themeWeight, 0, this.themes);
    const categoryCdf = cdf(CATEGORIES.map((c) => p.categoryShares[c] ?? 0));
    this.category = Uint8Array.from({ length: n }, (_, i) => pick(categoryCdf, this.hash(i, 0, 11)));
    this.countryCdf = cdf(p.countries.map(([, share]) => share));
    this.quantityCdf = cdf(p.quantities.map(([, share]) => share));

    // Invoices: sizes until the line count is reached exactly, then owners, then times.
    const maxLines = Math.max(1, Math.floor(n * MAX_SHARE_OF_CATALOGUE));
    const sizes: number[] = [];
    for (let total = 0; total < this.events;) {
      const size = Math.min(
        maxLines,
        this.events - total,
        Math.max(1, sampleTable(p.basketSize, this.random)),
      );
      sizes.push(size);
      total += size;
    }
    this.sizes = Int32Array.from(sizes);
    const guest = Uint8Array.from(this.sizes, () => (this.random() < p.guestInvoiceShare ? 1 : 0));
    const customerInvoices = this.sizes.length - guest.reduce((a, b) => a + b, 0);
    const perCustomer: number[] = [];
    for (let total = 0; total < customerInvoices;) {
      const count = Math.min(
        customerInvoices - total,
        Math.max(1, sampleTable(p.invoicesPerCustomer, this.random)),
      );
      perCustomer.push(count);
      total += count;
    }
    this.customers = perCustomer.length;
    const meanSize = this.events / this.sizes.length;
    this.personalSize = Int32Array.from(perCustomer, (c) =>
      Math.max(p.personalSetMin, Math.round(p.personalSetRatio * c * meanSize)),
    );
    const owners = new Int32Array(customerInvoices);
    let at = 0;
    perCustomer.forEach((count, u) => owners.fill(u, at, (at += count)));
    shuffle(owners, this.random);
    let next = 0;
    this.owners = Int32Array.from(guest, (g) => (g ? -1 : owners[next++]!));
    this.times = this.invoiceTimes(this.sizes.length);
  }

  /** The StockCode of catalogue index i: 5 digits, then a letter suffix per 90,000 products. */
  productId(i: number): string {
    return String(10_000 + (i % CODE_NUMBERS)) + letters(Math.floor(i / CODE_NUMBERS));
  }

  /** The description of catalogue index i: its theme's pattern and a noun of its category. */
  title(i: number): string {
    const t = Math.floor(i / this.themeSize);
    const h = this.hash(t, 0, 12) * 2 ** 32;
    const material = MATERIALS[(h >>> 9) % MATERIALS.length]!;
    const nouns = NOUNS[CATEGORIES[this.category[i]!] as Exclude<Category, 'other'>];
    const noun = nouns[Math.floor(this.hash(i, 0, 13) * nouns.length)]!;
    return [COLOURS[h % COLOURS.length], MOTIFS[(h >>> 4) % MOTIFS.length], material, noun]
      .filter(Boolean)
      .join(' ');
  }

  /** The list price of catalogue index i (log-normal, two decimals). */
  price(i: number): number {
    const { mu, sigma } = this.params.logPrice;
    const g = gaussian(this.hash(i, 0, 14), this.hash(i, 0, 15));
    return Math.max(0.01, Math.round(Math.exp(mu + sigma * g) * 100) / 100);
  }

  /** A customer's country (the same on all their invoices). */
  customerCountry(u: number): string {
    return this.params.countries[pick(this.countryCdf, this.hash(u, 0, 16))]![0];
  }

  summary(): SyntheticSummary {
    return {
      products: this.products,
      events: this.events,
      invoices: this.sizes.length,
      customers: this.customers,
      guestInvoices: this.owners.reduce((a, o) => a + (o < 0 ? 1 : 0), 0),
      from: isoTime(this.times[0]!),
      to: isoTime(this.times[this.times.length - 1]!),
    };
  }

  /** The invoices in time order; one pass (the random stream continues where the schedule left it). */
  *invoices(): Generator<SyntheticInvoice> {
    const p = this.params;
    const inBasket = new Set<number>();
    for (let b = 0; b < this.sizes.length; b++) {
      const size = this.sizes[b]!;
      const u = this.owners[b]!;
      const themeCount = 1 + Math.floor((size - 1) / p.itemsPerTheme);
      const themes = Int32Array.from({ length: themeCount }, () =>
        this.themePicker.sample(0, this.themes, this.random(), this.random()),
      );
      const items = new Int32Array(size);
      const quantities = new Int32Array(size);
      inBasket.clear();
      for (let k = 0; k < size; k++) {
        let item = -1;
        for (let attempt = 0; attempt < 20 && (item < 0 || inBasket.has(item)); attempt++) {
          item = this.draw(u, themes);
        }
        while (inBasket.has(item)) item = this.global.sample(0, this.products, this.random(), this.random());
        inBasket.add(item);
        items[k] = item;
        quantities[k] = p.quantities[pick(this.quantityCdf, this.random())]![0];
      }
      const country =
        u >= 0 ? this.customerCountry(u) : p.countries[pick(this.countryCdf, this.random())]![0];
      yield { invoiceNo: FIRST_INVOICE + b, customer: u, country, ts: this.times[b]!, items, quantities };
    }
  }

  /** The CSV text, in chunks of about 1 MB, header first (the Online Retail export's columns). */
  *csvChunks(): Generator<string> {
    const countryNames = new Map(COUNTRY_NAMES);
    let chunk = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n';
    for (const inv of this.invoices()) {
      const date = isoTime(inv.ts);
      const customer = inv.customer < 0 ? '' : `${FIRST_CUSTOMER + inv.customer}.0`;
      const country = countryNames.get(inv.country) ?? inv.country;
      for (let k = 0; k < inv.items.length; k++) {
        const i = inv.items[k]!;
        chunk += `${inv.invoiceNo},${this.productId(i)},${this.title(i)},${inv.quantities[k]},${date},${this.price(i)},${customer},${country}\n`;
      }
      if (chunk.length >= 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }

  private draw(u: number, themes: Int32Array): number {
    const p = this.params;
    const r = this.random();
    if (u >= 0 && r < p.pPersonal) {
      // The j-th product of customer u's personal set, keyed by (u, j) so it needs no state: a
      // popularity draw within one of the customer's favourite themes (one per itemsPerTheme products).
      const size = this.personalSize[u]!;
      const j = Math.floor(this.random() * size);
      const favourites = Math.ceil(size / p.itemsPerTheme);
      const k = j % favourites;
      const t = this.themePicker.sample(0, this.themes, this.hash(u, k, 3), this.hash(u, k, 4));
      return this.themeSample(t, this.hash(u, j, 1), this.hash(u, j, 2));
    }
    if (r < (u >= 0 ? p.pPersonal : 0) + p.pTheme) {
      const t = themes[Math.floor(this.random() * themes.length)]!;
      return this.themeSample(t, this.random(), this.random());
    }
    return this.global.sample(0, this.products, this.random(), this.random());
  }

  /** A popularity draw among the products of theme t. */
  private themeSample(t: number, u1: number, u2: number): number {
    const start = t * this.themeSize;
    return this.withinTheme.sample(start, Math.min(this.products, start + this.themeSize) - start, u1, u2);
  }

  /** Invoice times: a day by the real month rate and weekday weight, an hour by the real profile. */
  private invoiceTimes(count: number): Float64Array {
    const { start, end, monthRate, weekday, hour } = this.params.calendar;
    const first = Date.parse(`${start}T00:00:00Z`);
    const days = Math.round((Date.parse(`${end}T00:00:00Z`) - first) / DAY);
    const dayCdf = cdf(
      Array.from({ length: days }, (_, d) => {
        const date = new Date(first + d * DAY);
        return monthRate[date.getUTCMonth()]! * weekday[date.getUTCDay()]!;
      }),
    );
    const hourCdf = cdf(hour);
    const times = Float64Array.from({ length: count }, () => {
      const day = pick(dayCdf, this.random());
      const h = pick(hourCdf, this.random());
      return first + day * DAY + h * HOUR + Math.floor(this.random() * 60) * 60_000;
    });
    return times.sort();
  }

  /** A uniform number in [0, 1) from (seed, a, b, salt), for draws that must not consume the stream. */
  private hash(a: number, b: number, salt: number): number {
    let h = Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(a + 1, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) ^ Math.imul(b + 1, 0x27d4eb2f);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) ^ Math.imul(salt, 0x165667b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    return (h >>> 0) / 4294967296;
  }
}

/** Writes a synthetic Online Retail CSV (gzip when the path ends in ".gz"), streaming. */
export async function writeSyntheticOnlineRetail(
  path: string,
  opts: SyntheticOptions,
): Promise<SyntheticSummary> {
  const shop = new SyntheticShop(opts);
  const source = Readable.from(shop.csvChunks());
  if (path.endsWith('.gz')) await pipeline(source, createGzip({ level: 6 }), createWriteStream(path));
  else await pipeline(source, createWriteStream(path));
  return shop.summary();
}

/**
 * Walker's alias method over segments of one pair of arrays: `build(w, start, end)` prepares the
 * segment [start, end) (absolute indices), `sample(start, length, u1, u2)` draws from it in O(1).
 */
class AliasTable {
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(size: number) {
    this.prob = new Float64Array(size);
    this.alias = new Int32Array(size);
  }

  build(weights: Float64Array, start: number, end: number): void {
    const len = end - start;
    let total = 0;
    for (let i = start; i < end; i++) total += weights[i]!;
    const small: number[] = [];
    const large: number[] = [];
    for (let i = start; i < end; i++) {
      this.prob[i] = (weights[i]! * len) / total;
      this.alias[i] = i;
      (this.prob[i]! < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large[large.length - 1]!;
      this.alias[s] = l;
      this.prob[l] = this.prob[l]! + this.prob[s]! - 1;
      if (this.prob[l]! < 1) small.push(large.pop()!);
    }
    for (const i of [...small, ...large]) this.prob[i] = 1;
  }

  sample(start: number, length: number, u1: number, u2: number): number {
    const i = start + Math.floor(u1 * length);
    return u2 < this.prob[i]! ? i : this.alias[i]!;
  }
}

/** Inverse-CDF draw from a quantile table, linear between its points, rounded to an integer. */
function sampleTable(v: QuantileTable, random: () => number): number {
  const u = random();
  const p = QUANTILE_P;
  let lo = 1;
  let hi = p.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (p[mid]! >= u) hi = mid;
    else lo = mid + 1;
  }
  const span = p[lo]! - p[lo - 1]!;
  return Math.round(v[lo - 1]! + (span > 0 ? ((v[lo]! - v[lo - 1]!) * (u - p[lo - 1]!)) / span : 0));
}

function cdf(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => (out[i] = total += w));
  return out.map((c) => c / total);
}

/** The index whose CDF interval holds u (binary search). */
function pick(cdfValues: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdfValues.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdfValues[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function shuffle(values: Int32Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const v = values[i]!;
    values[i] = values[j]!;
    values[j] = v;
  }
}

function gaussian(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** Bijective base 26: 0 → "", 1 → "A", 26 → "Z", 27 → "AA". */
function letters(n: number): string {
  let out = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) out = String.fromCharCode(65 + ((k - 1) % 26)) + out;
  return out;
}

/** "2011-03-04 09:15:00", the source's timestamp format (shop-local time in UTC ms). */
function isoTime(ts: number): string {
  return new Date(ts).toISOString().slice(0, 19).replace('T', ' ');
}

/** The Online Retail spelling of the country codes the fitted parameters use. */
export const COUNTRY_NAMES: readonly (readonly [string, string])[] = [
  ['GB', 'United Kingdom'],
  ['DE', 'Germany'],
  ['FR', 'France'],
  ['IE', 'EIRE'],
  ['BE', 'Belgium'],
  ['NL', 'Netherlands'],
  ['ES', 'Spain'],
  ['AU', 'Australia'],
  ['CH', 'Switzerland'],
  ['PT', 'Portugal'],
  ['FI', 'Finland'],
  ['SE', 'Sweden'],
  ['IT', 'Italy'],
  ['NO', 'Norway'],
  ['JE', 'Channel Islands'],
  ['DK', 'Denmark'],
  ['AT', 'Austria'],
  ['PL', 'Poland'],
  ['JP', 'Japan'],
  ['CY', 'Cyprus'],
];
