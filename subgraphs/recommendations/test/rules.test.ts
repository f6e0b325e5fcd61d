import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecommendedItem } from '../src/Recommendation';
import {
  applyRules,
  type ProductFacts,
  type RuleInput,
  type RuledItem,
  type ShopperFacts,
} from '../src/rules/applyRules';
import { betaSample, explore } from '../src/rules/exploration';
import { seededRandom } from '@recs/core';
import {
  DEFAULT_SURFACE_RULES,
  defaultRuleConfig,
  parseRuleConfig,
  RuleConfigError,
} from '../src/rules/RuleConfig';

const item = (productId: string, score: number): RecommendedItem => ({
  productId,
  score,
  reasonCode: 'FOR_YOU',
  reason: 'test',
});
const shopper = (over: Partial<ShopperFacts> = {}): ShopperFacts => ({
  hiddenProducts: new Set(),
  hiddenCategories: new Set(),
  verifiedAdult: false,
  recentlySent: new Set(),
  liveCart: [],
  country: 'GB',
  ...over,
});
const input = (facts: Record<string, ProductFacts>, over: Partial<RuleInput> = {}): RuleInput => ({
  surface: 'HOME',
  rules: { ...DEFAULT_SURFACE_RULES, maxCategoryShare: 1, promotionShare: 0 },
  promotions: [],
  now: Date.parse('2011-12-01T12:00:00Z'),
  limit: 10,
  facts: new Map(Object.entries(facts)),
  shopper: shopper(),
  ...over,
});
const ids = (items: { productId: string }[]) => items.map((i) => i.productId);

describe('applyRules', () => {
  it('drops out-of-stock, hidden, age-restricted and region-restricted products, counted per rule', () => {
    const candidates = ['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((id, i) => item(id, 1 - i / 10));
    const facts = {
      A: { stock: 0 },
      B: { stock: 5 },
      C: { category: 'candles' },
      D: { ageRestricted: true },
      E: { regions: ['DE', 'FR'] },
      F: {},
    };
    const out = applyRules(
      candidates,
      input(facts, {
        shopper: shopper({ hiddenProducts: new Set(['G']), hiddenCategories: new Set(['candles']) }),
      }),
    );
    assert.deepEqual(ids(out.items), ['B', 'F']);
    assert.deepEqual(out.removed, { out_of_stock: 1, do_not_show: 2, age_restricted: 1, region: 1 });

    const adultInGermany = applyRules(
      candidates,
      input(facts, { shopper: shopper({ verifiedAdult: true, country: 'DE' }) }),
    );
    assert.deepEqual(ids(adultInGermany.items), ['B', 'C', 'D', 'E', 'F', 'G']);
  });

  it('a region-restricted product needs a known country', () => {
    const out = applyRules(
      [item('E', 1)],
      input({ E: { regions: ['GB'] } }, { shopper: shopper({ country: undefined }) }),
    );
    assert.deepEqual(out.items, []);
  });

  it('boosts high-margin products by 10% and re-sorts', () => {
    const out = applyRules(
      [item('low', 1.0), item('high', 0.95)],
      input({ low: { margin: 0.1 }, high: { margin: 0.45 } }),
    );
    assert.deepEqual(ids(out.items), ['high', 'low']);
    assert.ok(Math.abs(out.items[0]!.score - 1.045) < 1e-12);
    assert.match(out.items[0]!.rules[0]!, /^margin_boost: \+10% \(margin 0\.45\)$/);
    assert.deepEqual(out.items[1]!.rules, []);
  });

  it('never more than 30% of the first 10 from one category, and still fills the list', () => {
    // 8 mugs score above 8 bags: without the rule the top 10 would hold 8 mugs.
    const candidates = [
      ...Array.from({ length: 8 }, (_, i) => item(`M${i}`, 2 - i / 100)),
      ...Array.from({ length: 8 }, (_, i) => item(`B${i}`, 1 - i / 100)),
      ...Array.from({ length: 8 }, (_, i) => item(`C${i}`, 0.5 - i / 100)),
    ];
    const facts: Record<string, ProductFacts> = {};
    for (const c of candidates)
      facts[c.productId] = {
        category: c.productId.startsWith('M') ? 'mugs' : c.productId.startsWith('B') ? 'bags' : 'cards',
      };
    const rules = { ...DEFAULT_SURFACE_RULES, promotionShare: 0 };
    const out = applyRules(candidates, input(facts, { rules, limit: 10 }));
    assert.equal(out.items.length, 10);
    const perCategory = new Map<string, number>();
    for (const i of out.items)
      perCategory.set(
        facts[i.productId]!.category!,
        (perCategory.get(facts[i.productId]!.category!) ?? 0) + 1,
      );
    // three categories of at most 3 fill 9 slots; filling the list beats the cap for the 10th, which is
    // the best surplus item, named as such
    assert.deepEqual([...perCategory.values()].sort(), [3, 3, 4]);
    assert.equal(out.items[9]!.productId, 'M3');
    assert.match(out.items[9]!.rules.at(-1)!, /diversity: category "mugs" already has 3 of the first 10/);

    // with only one category in stock, the list is still filled to the limit
    const one = applyRules(candidates.slice(0, 8), input(facts, { rules, limit: 5 }));
    assert.deepEqual(ids(one.items), ['M0', 'M1', 'M2', 'M3', 'M4']);
  });

  it('places active promotions in their slot share, only in their window, surface and country', () => {
    const candidates = Array.from({ length: 12 }, (_, i) => item(`P${i}`, 1 - i / 100));
    const promo = {
      id: 'xmas',
      productIds: ['X1', 'X2', 'X3'],
      from: Date.parse('2011-11-20T00:00:00Z'),
      to: Date.parse('2011-12-25T00:00:00Z'),
      surfaces: ['HOME' as const],
      countries: ['GB'],
    };
    const rules = { ...DEFAULT_SURFACE_RULES, maxCategoryShare: 1, promotionShare: 0.2 };
    const out = applyRules(candidates, input({ X2: { stock: 0 } }, { rules, promotions: [promo] }));
    assert.equal(out.items.length, 10);
    assert.equal(out.promoted, 2, 'two slots of ten; X2 is out of stock');
    const promoted = out.items.filter((i) => i.reasonCode === 'PROMOTION');
    assert.deepEqual(ids(promoted), ['X1', 'X3']);
    assert.match(promoted[0]!.reason, /^On promotion until 2011-12-25$/);
    assert.ok(out.items.findIndex((i) => i.productId === 'X1') > 0, 'not pushed to the very top');
    for (const [over, why] of [
      [{ now: Date.parse('2011-12-26T00:00:00Z') }, 'after the window'],
      [{ surface: 'CART' as const }, 'another surface'],
      [{ shopper: shopper({ country: 'DE' }) }, 'another country'],
    ] as const) {
      const none = applyRules(candidates, input({}, { rules, promotions: [promo], ...over }));
      assert.equal(none.promoted, 0, why);
    }
  });

  it('excluded items (the cart) and duplicates never appear', () => {
    const out = applyRules(
      [item('A', 3), item('B', 2), item('A', 1), item('C', 1)],
      input({}, { exclude: new Set(['B']) }),
    );
    assert.deepEqual(ids(out.items), ['A', 'C']);
  });
});

describe('rule configuration', () => {
  it('defaults: 10% margin boost, 30% category cap, no promotions on SEARCH', () => {
    const d = defaultRuleConfig();
    assert.equal(d.surfaces.HOME.marginBoost, 0.1);
    assert.equal(d.surfaces.CART.maxCategoryShare, 0.3);
    assert.equal(d.surfaces.SEARCH.promotionShare, 0);
  });

  it('parses overrides per surface and promotions', () => {
    const c = parseRuleConfig({
      version: '2011-12.1',
      surfaces: { CART: { marginBoost: 0.2 } },
      promotions: [
        { id: 'p1', productIds: ['85123a'], from: '2011-12-01T00:00:00Z', to: '2011-12-24T00:00:00Z' },
      ],
    });
    assert.equal(c.version, '2011-12.1');
    assert.equal(c.surfaces.CART.marginBoost, 0.2);
    assert.equal(c.surfaces.HOME.marginBoost, 0.1);
    assert.deepEqual(c.promotions[0]!.productIds, ['85123A']);
    assert.ok(!c.promotions[0]!.surfaces.includes('SEARCH'));
  });

  it('refuses bad configurations naming the path and the value', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /version/],
      [{ version: 'v1', surfaces: { CHECKOUT: {} } }, /surfaces\.CHECKOUT is not a surface/],
      [
        { version: 'v1', surfaces: { HOME: { marginBoost: -1 } } },
        /surfaces\.HOME\.marginBoost must be a number in \[0, 10\]; received -1/,
      ],
      [{ version: 'v1', defaults: { diversityWindow: 2.5 } }, /defaults\.diversityWindow must be an integer/],
      [{ version: 'v1', surfaces: { HOME: { boost: 1 } } }, /surfaces\.HOME\.boost is not a rule setting/],
      [
        { version: 'v1', promotions: [{ id: 'p', productIds: ['A'], from: '2011-12-02', to: '2011-12-01' }] },
        /promotions\[0\]\.to must be after from/,
      ],
      [
        { version: 'v1', promotions: [{ id: 'p', productIds: [], from: '2011-12-01', to: '2011-12-02' }] },
        /promotions\[0\]\.productIds/,
      ],
      [{ version: 'v1', extra: 1 }, /extra is not a known section/],
    ];
    for (const [raw, message] of bad)
      assert.throws(
        () => parseRuleConfig(raw, 'rules.json'),
        (err: Error) => err instanceof RuleConfigError && message.test(err.message),
      );
  });
});

describe('exploration', () => {
  const ranked: RuledItem[] = ['A', 'B', 'C', 'D'].map((id, i) => ({ ...item(id, 1 - i / 10), rules: [] }));
  const random = seededRandom(7);

  it('Beta draws have the right mean', () => {
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += betaSample(3, 7, random);
    assert.ok(Math.abs(sum / 20_000 - 0.3) < 0.01, String(sum / 20_000));
  });

  it('the last slot goes to the fresh product shoppers click, mostly, and never to an ineligible one', () => {
    const facts = new Map<string, ProductFacts>([
      ['GOOD', { impressions: 200, clicks: 40 }],
      ['POOR', { impressions: 200, clicks: 2 }],
      ['GONE', { impressions: 200, clicks: 150, stock: 0 }],
    ]);
    const wins = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const out = explore(ranked, ['GOOD', 'POOR', 'GONE', 'B'], facts, shopper(), 1, new Set(), random);
      assert.equal(out.length, 4);
      assert.deepEqual(ids(out.slice(0, 3)), ['A', 'B', 'C']);
      assert.equal(out[3]!.reasonCode, 'EXPLORATION');
      wins.set(out[3]!.productId, (wins.get(out[3]!.productId) ?? 0) + 1);
    }
    assert.equal(wins.get('GONE'), undefined);
    assert.ok((wins.get('GOOD') ?? 0) > 990, JSON.stringify([...wins]));
  });

  it('unseen fresh products are drawn evenly; no slots or no pool keeps the list', () => {
    const wins = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const out = explore(ranked, ['X', 'Y'], new Map(), shopper(), 1, new Set(), random);
      wins.set(out[3]!.productId, (wins.get(out[3]!.productId) ?? 0) + 1);
    }
    assert.ok(Math.abs((wins.get('X') ?? 0) - 1000) < 100, JSON.stringify([...wins]));
    assert.deepEqual(explore(ranked, ['X'], new Map(), shopper(), 0, new Set()), ranked);
    assert.deepEqual(explore(ranked, [], new Map(), shopper(), 2, new Set()), ranked);
  });
});
