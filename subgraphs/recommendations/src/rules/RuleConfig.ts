import { readFileSync } from 'node:fs';
import { SURFACES, type Surface } from '../RecommendationRequest';
import { DEFAULT_PUSH_RULES, type PushRules } from './push';

/** A rule configuration that cannot be used; the message names the file, the path and the value. */
export class RuleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleConfigError';
  }
}

/** The knobs of the business rules for one surface. */
export interface SurfaceRules {
  /** Products with a margin (fraction of price) at or above this count as high-margin. */
  highMarginThreshold: number;
  /** Relative score boost of high-margin products (0.10 = +10%). */
  marginBoost: number;
  /** At most this share of the first `diversityWindow` items from one category (0.3 = 3 of 10). */
  maxCategoryShare: number;
  /** Same cap per supplier (1 = off). */
  maxSupplierShare: number;
  /** Same cap per price band (quartile of the catalogue's prices; 1 = off). */
  maxPriceBandShare: number;
  /** The positions the share caps apply to. */
  diversityWindow: number;
  /** Score divided by (1 + log(1 + recent orders))^d; 0 = off. */
  popularityDampening: number;
  /** Largest share of the list active promotions may take. */
  promotionShare: number;
  /** EMAIL: the products of this many last sends are never recommended again (0 = off). */
  repeatWindowSends: number;
  /** The last positions given to fresh products by Thompson sampling on their live CTR (0 = off). */
  explorationSlots: number;
}

/** A promotion: its products are placed in the list during [from, to) on its surfaces and countries. */
export interface Promotion {
  id: string;
  productIds: string[];
  /** Epoch ms. */
  from: number;
  to: number;
  surfaces: Surface[];
  /** ISO codes; absent = every country. */
  countries?: string[];
}

/** Versioned business rules for every surface. */
export interface RuleConfig {
  version: string;
  surfaces: Record<Surface, SurfaceRules>;
  promotions: Promotion[];
  /** Frequency caps, quiet hours and trigger windows of PUSH notifications. */
  push: PushRules;
}

const PUSH_RANGES: Record<keyof PushRules, [number, number, boolean]> = {
  maxPerDay: [0, 24, true],
  maxPerWeek: [0, 100, true],
  quietStartHour: [0, 23, true],
  quietEndHour: [0, 23, true],
  abandonedCartMinutes: [1, 10_080, true],
  abandonedCartMaxHours: [1, 720, true],
  triggerWindowDays: [1, 90, true],
  minPriceDrop: [0.01, 0.9, false],
};

export const DEFAULT_SURFACE_RULES: SurfaceRules = {
  highMarginThreshold: 0.3,
  marginBoost: 0.1,
  maxCategoryShare: 0.3,
  maxSupplierShare: 1,
  maxPriceBandShare: 1,
  diversityWindow: 10,
  popularityDampening: 0,
  promotionShare: 0.2,
  repeatWindowSends: 3,
  explorationSlots: 0,
};

/** The rules the servers run with when no `RULES_FILE` is given. */
export function defaultRuleConfig(): RuleConfig {
  const surfaces = {} as Record<Surface, SurfaceRules>;
  for (const s of SURFACES) surfaces[s] = { ...DEFAULT_SURFACE_RULES };
  // Search re-ranks the shop's own results: no promotions are added there, and diversity is the shop's call.
  surfaces.SEARCH = { ...DEFAULT_SURFACE_RULES, promotionShare: 0, maxCategoryShare: 1 };
  // Exploration is opt-in (`explorationSlots` per surface in RULES_FILE): on the dev protocol one HOME
  // slot cost 0.012 NDCG@10 of the served lists (docs/evaluation/served.md), a price a shop pays for
  // exposure of new products when it chooses to. (default-2: exploration off; default-1 had one HOME slot.)
  return { version: 'default-2', surfaces, promotions: [], push: { ...DEFAULT_PUSH_RULES } };
}

const RANGES: Record<keyof SurfaceRules, [number, number, boolean]> = {
  highMarginThreshold: [0, 1, false],
  marginBoost: [0, 10, false],
  maxCategoryShare: [0.01, 1, false],
  maxSupplierShare: [0.01, 1, false],
  maxPriceBandShare: [0.01, 1, false],
  diversityWindow: [1, 100, true],
  popularityDampening: [0, 5, false],
  promotionShare: [0, 1, false],
  repeatWindowSends: [0, 50, true],
  explorationSlots: [0, 10, true],
};

function fail(source: string, path: string, problem: string, value: unknown): never {
  throw new RuleConfigError(`${source}: ${path} ${problem}; received ${JSON.stringify(value)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Numeric settings over `base`, each checked against its [min, max, integer] range. */
function numericSettings<T extends object>(
  source: string,
  path: string,
  raw: unknown,
  base: T,
  ranges: Record<keyof T, [number, number, boolean]>,
  what: string,
): T {
  if (!isObject(raw)) fail(source, path, `must be an object of ${what}s`, raw);
  const out = { ...base };
  for (const [key, value] of Object.entries(raw)) {
    const range = ranges[key as keyof T];
    if (!range) {
      fail(source, `${path}.${key}`, `is not a ${what} (known: ${Object.keys(ranges).join(', ')})`, value);
    }
    const [min, max, integer] = range;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      fail(source, `${path}.${key}`, `must be a number in [${min}, ${max}]`, value);
    }
    if (integer && !Number.isInteger(value)) fail(source, `${path}.${key}`, 'must be an integer', value);
    (out as Record<string, number>)[key] = value;
  }
  return out;
}

const surfaceRules = (source: string, path: string, raw: unknown, base: SurfaceRules): SurfaceRules =>
  numericSettings(source, path, raw, base, RANGES, 'rule setting');

function time(source: string, path: string, raw: unknown): number {
  const t = typeof raw === 'string' ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) fail(source, path, 'must be an ISO 8601 date-time', raw);
  return t;
}

function stringList(source: string, path: string, raw: unknown, pattern: RegExp): string[] {
  if (
    !Array.isArray(raw) ||
    raw.length === 0 ||
    !raw.every((v) => typeof v === 'string' && pattern.test(v))
  ) {
    fail(source, path, `must be a non-empty array of strings matching ${pattern}`, raw);
  }
  return raw as string[];
}

/**
 * Validates a rule configuration (the JSON of `RULES_FILE`): `{ version, defaults?, surfaces?: {HOME: {...}},
 * promotions?: [...] }`. Settings not given keep their defaults; every problem is a ConfigError naming the
 * path, the rule and what was received.
 */
export function parseRuleConfig(raw: unknown, source = 'rules'): RuleConfig {
  if (!isObject(raw)) fail(source, '(top level)', 'must be a JSON object', raw);
  const known = new Set(['version', 'defaults', 'surfaces', 'promotions', 'push']);
  for (const key of Object.keys(raw))
    if (!known.has(key)) fail(source, key, 'is not a known section', raw[key]);
  if (typeof raw.version !== 'string' || !/^[\w.-]{1,64}$/.test(raw.version)) {
    fail(source, 'version', 'must be 1..64 letters, digits, ".", "_" or "-"', raw.version);
  }
  const base = defaultRuleConfig();
  const defaults =
    raw.defaults === undefined
      ? DEFAULT_SURFACE_RULES
      : surfaceRules(source, 'defaults', raw.defaults, DEFAULT_SURFACE_RULES);
  const surfaces = {} as Record<Surface, SurfaceRules>;
  for (const s of SURFACES) surfaces[s] = raw.defaults === undefined ? base.surfaces[s] : { ...defaults };
  if (raw.surfaces !== undefined) {
    if (!isObject(raw.surfaces)) fail(source, 'surfaces', 'must be an object keyed by surface', raw.surfaces);
    for (const [name, value] of Object.entries(raw.surfaces)) {
      if (!(SURFACES as readonly string[]).includes(name)) {
        fail(source, `surfaces.${name}`, `is not a surface (${SURFACES.join(', ')})`, value);
      }
      surfaces[name as Surface] = surfaceRules(source, `surfaces.${name}`, value, surfaces[name as Surface]);
    }
  }
  const promotions: Promotion[] = [];
  if (raw.promotions !== undefined) {
    if (!Array.isArray(raw.promotions)) fail(source, 'promotions', 'must be an array', raw.promotions);
    const ids = new Set<string>();
    raw.promotions.forEach((p: unknown, i: number) => {
      const path = `promotions[${i}]`;
      if (!isObject(p)) fail(source, path, 'must be an object', p);
      if (typeof p.id !== 'string' || !/^[\w.-]{1,64}$/.test(p.id))
        fail(source, `${path}.id`, 'must be a short identifier', p.id);
      if (ids.has(p.id)) fail(source, `${path}.id`, 'is used twice', p.id);
      ids.add(p.id);
      const from = time(source, `${path}.from`, p.from);
      const to = time(source, `${path}.to`, p.to);
      if (to <= from) fail(source, `${path}.to`, 'must be after from', p.to);
      const productIds = stringList(source, `${path}.productIds`, p.productIds, /^[\x21-\x7e]{1,64}$/).map(
        (id) => id.toUpperCase(),
      );
      const promoSurfaces =
        p.surfaces === undefined
          ? SURFACES.filter((s) => s !== 'SEARCH')
          : (stringList(source, `${path}.surfaces`, p.surfaces, /^[A-Z]+$/) as Surface[]);
      for (const s of promoSurfaces) {
        if (!(SURFACES as readonly string[]).includes(s))
          fail(source, `${path}.surfaces`, `has an unknown surface`, s);
      }
      const countries =
        p.countries === undefined
          ? undefined
          : stringList(source, `${path}.countries`, p.countries, /^[A-Z]{2}$/);
      promotions.push({ id: p.id, productIds, from, to, surfaces: promoSurfaces, countries });
    });
  }
  const push =
    raw.push === undefined
      ? { ...DEFAULT_PUSH_RULES }
      : numericSettings(source, 'push', raw.push, DEFAULT_PUSH_RULES, PUSH_RANGES, 'push setting');
  return { version: raw.version, surfaces, promotions, push };
}

/** The rules of `RULES_FILE`, or the defaults when no file is given. */
export function loadRuleConfig(file: string | undefined): RuleConfig {
  if (!file) return defaultRuleConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuleConfigError(`RULES_FILE ${file} cannot be read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RuleConfigError(`RULES_FILE ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseRuleConfig(raw, file);
}
