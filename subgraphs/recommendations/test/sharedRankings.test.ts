import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@recs/core';
import { MemoryCoPurchaseGraph } from '@recs/graph';
import { createMemoryFeatureStore } from '@recs/feature-store';
import { loadPromotedBundle, type ModelBundle } from '@recs/pipeline';
import { trainedRegistry } from '@recs/testkit/registry';
import { LearnedRanker } from '../src/LearnedRanker';
import type { RecommendationResult } from '../src/Recommendation';
import { parseRecommendationRequest } from '../src/RecommendationRequest';
import { Recommender } from '../src/Recommender';
import { SharedCandidates, type SharedCandidatesEvent } from '../src/SharedCandidates';
import { syncGraph } from '../src/syncGraph';
import { LiveFacts, PREFERENCE_FIELDS } from '../src/rules/LiveFacts';

const result = (ids: string[], fallback = false): RecommendationResult => ({
  modelVersion: 'v',
  items: ids.map((productId, i) => ({
    productId,
    score: 1 - i / 10,
    reasonCode: 'POPULAR',
    reason: 'Popular',
  })),
  fallback,
});

describe('SharedCandidates', () => {
  /** Rankings kept 1 s on a hand-driven clock, with their events recorded. */
  const timed = () => {
    let t = 1_000_000;
    const events: SharedCandidatesEvent[] = [];
    const shared = new SharedCandidates({
      ttlMs: 1000,
      maxEntries: 10,
      now: () => t,
      onEvent: (e) => events.push(e),
    });
    return { shared, events, advance: (ms: number) => (t += ms) };
  };

  it('computes once per TTL, shares concurrent misses, and recomputes after expiry', async () => {
    const { shared, events, advance } = timed();
    let calls = 0;
    const compute = async () => result([`P${++calls}`]);
    const [a, b] = await Promise.all([shared.get('k', compute), shared.get('k', compute)]);
    assert.equal(calls, 1, 'concurrent requests wait for one computation');
    assert.equal(a, b);
    advance(500);
    assert.equal((await shared.get('k', compute)).items[0]!.productId, 'P1');
    advance(600);
    assert.equal((await shared.get('k', compute)).items[0]!.productId, 'P2', 'expired after the TTL');
    assert.deepEqual(events, ['miss', 'hit', 'hit', 'miss']);
  });

  it('never keeps a degraded or failed ranking', async () => {
    const shared = new SharedCandidates({ ttlMs: 1000, maxEntries: 10 });
    let calls = 0;
    await shared.get('k', async () => (calls++, result(['A'], true)));
    await shared.get('k', async () => (calls++, result(['A'], true)));
    assert.equal(calls, 2, 'a fallback ranking is not served to the next shopper');
    await assert.rejects(shared.get('e', async () => Promise.reject(new Error('ranker down'))));
    assert.equal((await shared.get('e', async () => result(['B']))).items[0]!.productId, 'B');
    assert.equal(shared.size, 1);
  });

  it('refreshes a ranking in the background when asked for near the end of its TTL', async () => {
    const { shared, events, advance } = timed();
    let calls = 0;
    const compute = async () => result([`P${++calls}`]);
    await shared.get('k', compute);
    advance(800); // past 3/4 of the TTL: served, and recomputed behind it
    assert.equal((await shared.get('k', compute)).items[0]!.productId, 'P1');
    await new Promise((r) => setImmediate(r));
    advance(700); // 1500 ms after the first computation, 700 ms after the refresh
    assert.equal(
      (await shared.get('k', compute)).items[0]!.productId,
      'P2',
      'the refreshed ranking serves on',
    );
    assert.equal(calls, 2);
    assert.deepEqual(events, ['miss', 'hit', 'refresh', 'hit']);
  });

  it('evicts the least recently used ranking beyond maxEntries', async () => {
    const shared = new SharedCandidates({ ttlMs: 10_000, maxEntries: 2 });
    let calls = 0;
    const compute = async () => result([`P${++calls}`]);
    await shared.get('a', compute);
    await shared.get('b', compute);
    await shared.get('a', compute); // a is now the most recent
    await shared.get('c', compute); // evicts b
    assert.equal(shared.size, 2);
    await shared.get('a', compute);
    assert.equal(calls, 3, 'a was kept');
    await shared.get('b', compute);
    assert.equal(calls, 4, 'b was evicted');
  });
});

/** The recommender over a model trained on the bundled data, with its real ONNX rankers. */
let bundle: ModelBundle;
let learned: LearnedRanker;
const graph = new MemoryCoPurchaseGraph();
const log = createLogger('shared-rankings-test', 'silent');
before(async () => {
  const dir = await trainedRegistry();
  bundle = await loadPromotedBundle(dir);
  learned = (await LearnedRanker.load(dir, bundle.version, bundle.catalogue))!;
  await syncGraph(graph, bundle);
});
after(async () => {
  await learned?.close();
  await graph.close();
});

describe('Recommender: rankings shared by shoppers the model does not know', () => {
  /**
   * A recommender whose learned ranker counts its HOME and CART rankings (PRODUCT ranks through
   * `cart`, with the viewed product as the cart), with its shared-ranking events recorded.
   */
  function counted(opts: { sharedRankingTtlMs?: number } = {}) {
    const calls = { home: 0, cart: 0 };
    const spy = Object.create(learned) as LearnedRanker;
    spy.home = (...a: Parameters<LearnedRanker['home']>) => (calls.home++, learned.home(...a));
    spy.cart = (...a: Parameters<LearnedRanker['cart']>) => (calls.cart++, learned.cart(...a));
    const store = createMemoryFeatureStore();
    const facts = new LiveFacts(bundle.catalogue, store, () => undefined);
    const events: SharedCandidatesEvent[] = [];
    const recommender = new Recommender({
      bundle,
      graph,
      log,
      learned: spy,
      facts,
      onSharedRanking: (e) => events.push(e),
      ...opts,
    });
    return { recommender, calls, store, events };
  }
  const home = (userId: string, country = 'GB') =>
    parseRecommendationRequest(userId, 'HOME', 10, { country });

  it('two unknown shoppers share one HOME ranking; known shoppers are ranked for themselves', async () => {
    const { recommender, calls, events } = counted();
    const a = await recommender.recommend(home('guest-a'));
    const b = await recommender.recommend(home('guest-b'));
    assert.equal(calls.home, 1, 'the second stranger reused the ranking');
    // the same list, but for the exploration slot, which is drawn for every request
    const ranked = (r: typeof a) =>
      r.items.filter((i) => i.reasonCode !== 'EXPLORATION').map((i) => i.productId);
    assert.deepEqual(ranked(b), ranked(a));
    await recommender.recommend(home('guest-c', 'FR'));
    assert.equal(calls.home, 2, 'another country is another ranking');
    await recommender.recommend(home('17850'));
    await recommender.recommend(home('17850'));
    assert.equal(calls.home, 4, 'a known shopper is never served a shared ranking');
    assert.deepEqual(events, ['miss', 'hit', 'miss']);
  });

  it("the rules still run per shopper: one stranger's hidden product never reaches them via a shared ranking", async () => {
    const { recommender, store } = counted();
    const first = await recommender.recommend(home('guest-d'));
    const hidden = first.items[0]!.productId;
    await store.updateSet('user', 'guest-e', PREFERENCE_FIELDS.hiddenProducts, { add: [hidden] });
    const second = await recommender.recommend(home('guest-e'));
    assert.ok(!second.items.some((i) => i.productId === hidden));
    assert.equal(second.items.length, 10, 'still filled');
    // and a stock-out applies at once, shared ranking or not
    const gone = first.items[1]!.productId;
    await store.merge('product', gone, { stock: 0 });
    const third = await recommender.recommend(home('guest-f'));
    assert.ok(!third.items.some((i) => i.productId === gone));
  });

  it('a stranger with a live session or live purchases is ranked for themselves', async () => {
    const { recommender, calls, store } = counted();
    await recommender.recommend(home('guest-g'));
    assert.equal(calls.home, 1);
    const viewed = [...bundle.catalogue.keys()].find((id) => learned.knows(id))!;
    await store.merge('user', 'guest-h', { recentActions: [`view:${viewed}`] });
    const session = await recommender.recommend(home('guest-h'));
    assert.equal(calls.home, 2, 'the session changes the ranking');
    assert.ok(session.items.some((i) => i.reasonCode === 'SESSION'));
    await store.merge('user', 'guest-i', { recentActions: [`purchase:${viewed}`] });
    await recommender.recommend(home('guest-i'));
    assert.equal(calls.home, 3, 'live purchases join the history');
  });

  it('CART and PRODUCT rankings of the same seeds are shared; sharing off ranks every request', async () => {
    const cart = (u: string) =>
      parseRecommendationRequest(u, 'CART', 10, { cartProductIds: ['22726', '22727'], country: 'GB' });
    const product = (u: string) =>
      parseRecommendationRequest(u, 'PRODUCT', 10, { productId: '22726', country: 'GB' });
    assert.ok(learned.knows('22726'), 'the viewed product is ranked by the model, not by its title');
    const on = counted();
    await on.recommender.recommend(cart('guest-j'));
    await on.recommender.recommend(cart('guest-k'));
    assert.equal(on.calls.cart, 1, 'the second CART request reused the ranking');
    await on.recommender.recommend(product('guest-j'));
    await on.recommender.recommend(product('guest-k'));
    assert.equal(on.calls.cart, 2, 'the second PRODUCT request reused the ranking');
    assert.deepEqual(on.events, ['miss', 'hit', 'miss', 'hit']);
    const off = counted({ sharedRankingTtlMs: 0 });
    const r1 = await off.recommender.recommend(cart('guest-l'));
    const r2 = await off.recommender.recommend(cart('guest-m'));
    assert.equal(off.calls.cart, 2, 'sharing off: each CART request is ranked');
    assert.deepEqual(
      r1.items.map((i) => i.productId),
      r2.items.map((i) => i.productId),
      'the same inputs rank the same',
    );
    await off.recommender.recommend(product('guest-l'));
    await off.recommender.recommend(product('guest-m'));
    assert.equal(off.calls.cart, 4, 'sharing off: each PRODUCT request is ranked');
    assert.equal(off.calls.home, 0);
    assert.deepEqual(off.events, [], 'sharing off: no shared ranking is looked up, hit or missed');
  });

  it('warmShared computes the common anonymous rankings ahead, so the first stranger hits', async () => {
    const { recommender, calls, events } = counted();
    const n = await recommender.warmShared({ limits: [10], products: 5, countries: 2 });
    // HOME and CART for no country and 2 countries, PRODUCT for 5 products
    assert.equal(n, 3 * 2 + 5);
    const homeCalls = calls.home;
    await recommender.recommend(parseRecommendationRequest('guest-n', 'HOME', 10, {}));
    assert.equal(calls.home, homeCalls, 'served from the warmed ranking');
    assert.equal(events.filter((e) => e === 'warm').length, n);
    assert.equal(events.at(-1), 'hit');
  });
});
