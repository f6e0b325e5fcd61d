import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PRIVACY_SETS, createLogger, userDigest } from '@recs/core';
import { MemoryCoPurchaseGraph, PackedCoPurchaseGraph } from '@recs/graph';
import { FEATURES, ModelRegistry, loadPromotedBundle, parseUntil, type ModelBundle } from '@recs/pipeline';
import { trainedRegistry } from '@recs/testkit/registry';
import { LearnedRanker } from '../src/LearnedRanker';
import { parseRecommendationRequest } from '../src/RecommendationRequest';
import { Recommender } from '../src/Recommender';
import { syncGraph } from '../src/syncGraph';
import { createMemoryFeatureStore } from '@recs/feature-store';
import { LiveFacts } from '../src/rules/LiveFacts';
import { defaultRuleConfig } from '../src/rules/RuleConfig';

/** The recommender over a model trained on the bundled data, with its real ONNX rankers. */
let bundle: ModelBundle;
let learned: LearnedRanker;
const graph = new MemoryCoPurchaseGraph();
const log = createLogger('recommender-test', 'silent');
before(async () => {
  const dir = await trainedRegistry();
  bundle = await loadPromotedBundle(dir);
  learned = (await LearnedRanker.load(dir, bundle.version, bundle.catalogue))!;
  assert.ok(learned, 'the trained version has a learned ranker');
  await syncGraph(graph, bundle);
});
after(async () => {
  await learned?.close();
  await graph.close();
});

/**
 * The bundle with TAIL-1 and TAIL-2 in its catalogue but unknown to the models: the tail of a
 * catalogue over the models' product cap.
 */
const withTailProducts = (): ModelBundle => {
  const catalogue = new Map(bundle.catalogue);
  for (const id of ['TAIL-1', 'TAIL-2'])
    catalogue.set(id, { ...bundle.catalogue.get('85123A')!, id, title: id });
  return { ...bundle, catalogue };
};

const cartReq = (limit = 10) =>
  parseRecommendationRequest('17850', 'CART', limit, { cartProductIds: ['22726', '22727'] });

describe('Recommender with the learned ranker', () => {
  it('a ranker loaded without preparing the CART lists builds them on first use, with the same lists', async () => {
    const lazy = (await LearnedRanker.load(await trainedRegistry(), bundle.version, bundle.catalogue, {
      prepareCart: false,
    }))!;
    try {
      assert.equal(lazy.cartListsBuilt(), false, 'not built at load');
      assert.equal(learned.cartListsBuilt(), true, 'built at load by default');
      const [a, b] = await Promise.all(
        [learned, lazy].map((l) => new Recommender({ bundle, graph, log, learned: l }).recommend(cartReq())),
      );
      assert.equal(b!.fallback, false);
      assert.equal(lazy.cartListsBuilt(), true, 'built by the first CART request');
      assert.deepEqual(
        b!.items.map((i) => [i.productId, i.score]),
        a!.items.map((i) => [i.productId, i.score]),
      );
    } finally {
      await lazy.close();
    }
  });

  it('CART: ranked complements of the whole cart with named evidence, never a cart item', async () => {
    const r = await new Recommender({ bundle, graph, log, learned }).recommend(cartReq());
    assert.equal(r.fallback, false);
    assert.equal(r.items.length, 10);
    assert.ok(r.items.every((i) => !['22726', '22727'].includes(i.productId)));
    assert.equal(new Set(r.items.map((i) => i.productId)).size, 10, 'no duplicates');
    assert.ok(r.items.some((i) => i.reasonCode === 'BOUGHT_TOGETHER' && /in \d+ orders$/.test(i.reason)));
    // best first, except where the diversity rule moved an item (and says so in its rules)
    const unmoved = r.items.filter((i) => !i.rules?.some((rule) => rule.startsWith('diversity')));
    for (let k = 1; k < unmoved.length; k++) assert.ok(unmoved[k - 1]!.score >= unmoved[k]!.score);
    assert.ok(
      r.items.every((i) => (i.sources ?? []).length > 0),
      'every item names its sources',
    );
    // ranked items keep their feature rows (JSON-safe, cached with the list); contributions on demand
    const rows = r.items.filter((i) => i.ranked !== undefined);
    assert.ok(rows.length >= 5, 'ranked items carry their feature rows');
    assert.deepEqual(JSON.parse(JSON.stringify(rows[0]!.ranked)), rows[0]!.ranked, 'rows survive JSON');
    const contributions = learned.contributions(rows[0]!.ranked!);
    assert.ok(contributions.length > 0);
    for (const c of contributions) {
      assert.ok(FEATURES.cart.includes(c.feature) && Number.isFinite(c.contribution));
    }
  });

  it('CART of products the dense models do not know (beyond their product cap): the co-purchase graph answers', async () => {
    // a tail product outside the models' cap still has its pairs in the version's graph
    const tail = new MemoryCoPurchaseGraph();
    await syncGraph(tail, bundle);
    await tail.loadEdges([
      { a: '85123A', b: 'TAIL-1', count: 9, confidence: 0.5, lift: 30 },
      { a: '22423', b: 'TAIL-1', count: 4, confidence: 0.2, lift: 5 },
    ]);
    assert.equal(learned.knows('TAIL-1'), false);
    const req = parseRecommendationRequest('17850', 'CART', 5, { cartProductIds: ['TAIL-1'] });
    const r = await new Recommender({ bundle, graph: tail, log, learned }).recommend(req);
    assert.equal(r.fallback, false);
    assert.deepEqual(
      r.items.slice(0, 2).map((i) => [i.productId, i.reasonCode]),
      [
        ['85123A', 'BOUGHT_TOGETHER'],
        ['22423', 'BOUGHT_TOGETHER'],
      ],
    );
    assert.match(r.items[0]!.reason, /in 9 orders$/);
    assert.equal(r.items.length, 5, 'filled to the limit');
    // a cart with one known item keeps the learned path
    const mixed = await new Recommender({ bundle, graph: tail, log, learned }).recommend(
      parseRecommendationRequest('17850', 'CART', 5, { cartProductIds: ['TAIL-1', '22726'] }),
    );
    assert.ok(mixed.items.some((i) => i.ranked !== undefined));
    // the viewed product of a PRODUCT page outside the cap: the graph too
    const page = await new Recommender({ bundle, graph: tail, log, learned }).recommend(
      parseRecommendationRequest('17850', 'PRODUCT', 5, { productId: 'TAIL-1' }),
    );
    assert.equal(page.items[0]!.productId, '85123A');
    // a failing graph does not turn the healthy ranker's answer into a fallback
    const down = Object.assign(Object.create(tail) as MemoryCoPurchaseGraph, {
      topK: () => Promise.reject(new Error('graph down')),
    });
    const r2 = await new Recommender({ bundle, graph: down, log, learned }).recommend(req);
    assert.equal(r2.fallback, false);
    assert.ok(r2.items.some((i) => i.ranked !== undefined && i.reasonCode === 'BUY_AGAIN'));
    await tail.close();
  });

  it("CART mixing modelled and tail products: the tail items' partners get the tail's share", async () => {
    // TAIL-1 and TAIL-2 (outside the models' cap) have pairs in the version's graph
    const capped = withTailProducts();
    const partners = bundle.popularity.global
      .map((p) => p.productId)
      .filter((id) => id !== '22726')
      .slice(0, 6);
    const tail = new MemoryCoPurchaseGraph();
    await syncGraph(tail, bundle);
    await tail.loadEdges([
      { a: 'TAIL-1', b: 'TAIL-2', count: 400, confidence: 0.9, lift: 80 },
      ...partners.map((b, i) => ({ a: 'TAIL-1', b, count: 60 - i, confidence: 0.1, lift: 2 })),
    ]);
    assert.equal(learned.knows('TAIL-2'), false);
    const cartIds = ['TAIL-1', '22726'];
    const ask = (b: ModelBundle) =>
      new Recommender({ bundle: b, graph: tail, log, learned }).recommend(
        parseRecommendationRequest('17850', 'CART', 10, { cartProductIds: cartIds }),
      );
    const r = await ask(capped);
    assert.equal(r.fallback, false);
    assert.equal(r.items.length, 10);
    // the learned ranker never proposes a product it does not know; the tail item's best partner does
    assert.equal(
      r.items.findIndex((i) => i.productId === 'TAIL-2'),
      1,
      'the first graph item, second place',
    );
    assert.match(r.items[1]!.reason, /^Bought together with TAIL-1 in 400 orders$/);
    const fromGraph = r.items.filter((i) => i.sources?.includes('cooccurrence_graph')).length;
    assert.ok(fromGraph >= 5, `half of the list from the graph (${fromGraph})`);
    assert.ok(
      r.items.some((i) => i.ranked !== undefined),
      'and the learned list',
    );
    assert.ok(r.items.every((i) => !cartIds.includes(i.productId)));
    for (let k = 1; k < r.items.length; k++) assert.ok(r.items[k]!.score <= r.items[k - 1]!.score);
    // a product unknown to the catalogue too (first sold after the cut-off) does not count as tail
    const plain = await ask(bundle);
    assert.ok(plain.items.every((i) => i.productId !== 'TAIL-2'));
    assert.ok(plain.items.every((i) => i.ranked !== undefined));
    await tail.close();
  });

  it("during a graph outage, tail carts get the same partners from the server's packed pairs, flagged", async () => {
    const capped = withTailProducts();
    const tailEdges = [
      { a: 'TAIL-1', b: 'TAIL-2', count: 400, confidence: 0.9, lift: 80 },
      { a: '85123A', b: 'TAIL-1', count: 9, confidence: 0.5, lift: 30 },
    ];
    const outageGraph = await PackedCoPurchaseGraph.build([...bundle.coPurchase, ...tailEdges]);
    const down = Object.assign(Object.create(graph) as MemoryCoPurchaseGraph, {
      topK: () => Promise.reject(new Error('graph down')),
    });
    const ask = (cartProductIds: string[], withOutage = true) =>
      new Recommender({
        bundle: capped,
        graph: down,
        log,
        learned,
        ...(withOutage ? { outageGraph } : {}),
      }).recommend(parseRecommendationRequest('17850', 'CART', 10, { cartProductIds }));
    const reason = /^co-purchase graph unavailable: .+; answered from the model version's co-purchase pairs$/;
    // a cart of tail products only
    const tailOnly = await ask(['TAIL-1']);
    assert.equal(tailOnly.fallback, true);
    assert.match(tailOnly.fallbackReason!, reason);
    assert.deepEqual(
      tailOnly.items.slice(0, 2).map((i) => i.productId),
      ['TAIL-2', '85123A'],
    );
    assert.equal(tailOnly.items.length, 10, 'filled to the limit');
    // a mixed cart: the learned list and the tail's partners, as with the graph up
    const mixedCart = await ask(['TAIL-1', '22726']);
    assert.equal(mixedCart.fallback, true);
    assert.match(mixedCart.fallbackReason!, reason);
    assert.equal(mixedCart.items[1]!.productId, 'TAIL-2');
    assert.ok(mixedCart.items.some((i) => i.ranked !== undefined));
    // without the packed pairs, as before: the ranker's list, not flagged
    const without = await ask(['TAIL-1', '22726'], false);
    assert.equal(without.fallback, false);
    assert.ok(without.items.every((i) => i.productId !== 'TAIL-2'));
  });

  it('a cart arriving while the graph has its limit of queries running is answered from the packed pairs at once', async () => {
    const capped = withTailProducts();
    const outageGraph = await PackedCoPurchaseGraph.build([
      ...bundle.coPurchase,
      { a: 'TAIL-1', b: 'TAIL-2', count: 400, confidence: 0.9, lift: 80 },
    ]);
    // a database holding the same pairs that answers only when told to, like one with a queue of work
    const pending: (() => void)[] = [];
    let sent = 0;
    const slow = Object.assign(Object.create(graph) as MemoryCoPurchaseGraph, {
      topK: (...args: Parameters<MemoryCoPurchaseGraph['topK']>) => {
        sent++;
        return new Promise((resolve) => pending.push(() => resolve(outageGraph.topK(...args))));
      },
    });
    const shed: string[] = [];
    const recommender = new Recommender({
      bundle: capped,
      graph: slow,
      log,
      outageGraph,
      graphMaxInFlight: 2,
      graphBudgetMs: 20,
      onShed: (source) => shed.push(source),
      sharedRankingTtlMs: 0, // every cart asks the graph itself
    });
    const ask = () =>
      recommender.recommend(parseRecommendationRequest('17850', 'CART', 10, { cartProductIds: ['TAIL-1'] }));
    // two carts wait for the graph past their budget; their queries are still running
    const [first, second] = await Promise.all([ask(), ask()]);
    for (const r of [first!, second!]) assert.match(r.fallbackReason!, /took longer than 20 ms/);
    assert.equal(sent, 2);
    // the third is not sent: answered from the packed pairs, not after a budget (the reason says which)
    const third = await ask();
    assert.equal(sent, 2, 'no query sent');
    assert.deepEqual(shed, ['graph']);
    assert.equal(third.fallback, true);
    assert.equal(
      third.fallbackReason,
      "co-purchase graph unavailable: co-purchase graph busy: 2 queries running; answered from the model version's co-purchase pairs",
    );
    assert.equal(third.items[0]!.productId, 'TAIL-2');
    assert.equal(recommender.breaker('graph').state, 'closed', 'shedding is not a failure of the graph');
    // once the database has answered, carts go to the graph again
    for (const answer of pending.splice(0)) answer();
    await new Promise((r) => setImmediate(r));
    const fourth = ask();
    await new Promise((r) => setImmediate(r));
    pending.splice(0).forEach((answer) => answer());
    const r = await fourth;
    assert.equal(sent, 3);
    assert.equal(r.fallback, false);
    assert.equal(r.items[0]!.productId, 'TAIL-2');
  });

  it('a graph query the database never answers frees its slot after 20 budgets', async () => {
    let sent = 0;
    const lost = Object.assign(Object.create(graph) as MemoryCoPurchaseGraph, {
      topK: () => {
        sent++;
        return new Promise(() => {}); // a connection that went dark
      },
    });
    const recommender = new Recommender({
      bundle,
      graph: lost,
      log,
      graphMaxInFlight: 1,
      graphBudgetMs: 10,
      sharedRankingTtlMs: 0,
    });
    const ask = () => recommender.boughtTogether(['85123A'], 5);
    await assert.rejects(ask(), /took longer than 10 ms/);
    await assert.rejects(ask(), /co-purchase graph busy: 1 queries running/);
    assert.equal(sent, 1);
    // timers run in the order they are due: the slot's 200 ms ceiling before this 250 ms wait
    await new Promise((r) => setTimeout(r, 250));
    await assert.rejects(ask(), /took longer than 10 ms/);
    assert.equal(sent, 2, 'sent again');
  });

  it('PRODUCT: the viewed product ranked as a one-item cart, never the product itself', async () => {
    const r = await new Recommender({ bundle, graph, log, learned }).recommend(
      parseRecommendationRequest('first-time-viewer', 'PRODUCT', 8, { productId: '85123A' }),
    );
    assert.equal(r.fallback, false);
    assert.equal(r.items.length, 8);
    assert.ok(r.items.every((i) => i.productId !== '85123A'));
    assert.ok(
      r.items.some((i) =>
        /^Bought together with WHITE HANGING HEART T-LIGHT HOLDER in \d+ orders$/.test(i.reason),
      ),
    );
  });

  it('HOME: a returning customer gets buy-again among the ranked items', async () => {
    const r = await new Recommender({ bundle, graph, log, learned }).recommend(
      parseRecommendationRequest('17850', 'HOME', 10, {}),
    );
    assert.equal(r.fallback, false);
    assert.ok(
      r.items.some((i) => i.reasonCode === 'BUY_AGAIN' && /^You bought this in \d+ orders?$/.test(i.reason)),
    );
  });

  it("HOME computes the ranker's time features at the request's time, never before the cut-off", async () => {
    const until = parseUntil(
      (await new ModelRegistry(await trainedRegistry()).manifest(bundle.version)).until.slice(0, 10),
    )!;
    const DAY = 86_400_000;
    const days = FEATURES.home.indexOf('user_days_since_bought');
    const rows = async (at?: number) =>
      new Map(
        (await learned.home('17850', 'GB', 20, [], at)).map(
          (i) => [i.productId, i.ranked!.row[days]!] as const,
        ),
      );
    const atCut = await rows();
    const later = await rows(until + 30 * DAY);
    const bought = [...atCut].filter(([id, d]) => d < 999 && later.has(id));
    assert.ok(bought.length > 0, 'items the shopper bought are ranked at both times');
    for (const [id, d] of bought) assert.ok(Math.abs(later.get(id)! - d - 30) < 1e-3, `${id}: 30 days later`);
    assert.deepEqual(await rows(until - 10 * DAY), atCut, 'a time before the cut-off counts as the cut-off');
  });

  it('HOME: a new shopper gets what new customers in their country buy', async () => {
    // one exploration slot on HOME (opt-in)
    const rules = defaultRuleConfig();
    rules.surfaces.HOME = { ...rules.surfaces.HOME, explorationSlots: 1 };
    const r = await new Recommender({ bundle, graph, log, learned, rules }).recommend(
      parseRecommendationRequest('new-shopper-1', 'HOME', 5, { country: 'DE' }),
    );
    assert.equal(r.items.length, 5);
    assert.equal(r.items[4]!.reasonCode, 'EXPLORATION', 'the last slot explores a fresh product');
    assert.ok(
      r.items
        .slice(0, 4)
        .every((i) => i.reasonCode === 'POPULAR_IN_COUNTRY' && /new customers in DE/.test(i.reason)),
    );
  });

  /** The trained ranker with its ONNX sessions closed: every prediction rejects, like a crashed runtime. */
  const brokenRanker = async () => {
    const broken = (await LearnedRanker.load(await trainedRegistry(), bundle.version, bundle.catalogue))!;
    await broken.close();
    return broken;
  };
  /** A recommender on the broken ranker that records the sources it counts as failed. */
  const onBrokenRanker = async (failures: string[], itemIndex = bundle.itemIndex) =>
    new Recommender({
      bundle: { ...bundle, itemIndex },
      graph,
      log,
      learned: await brokenRanker(),
      onSourceFailure: (s) => failures.push(s),
    });

  it("a backend's own error text (hosts, users) never reaches fallbackReason; it says which source failed", async () => {
    const down = Object.assign(Object.create(graph) as MemoryCoPurchaseGraph, {
      topK: async () => {
        throw new Error('Could not perform discovery: bolt://neo4j-secret-host:7687 as user neo4j');
      },
    });
    const r = await new Recommender({ bundle, graph: down, log }).recommend(cartReq(5));
    assert.equal(r.fallback, true);
    assert.equal(r.fallbackReason, 'co-purchase graph unavailable: the backend failed');
    assert.equal(r.items.length, 5, 'popularity fills the list');
    // our own time-out message names no host, and is kept
    const slow = Object.assign(Object.create(graph) as MemoryCoPurchaseGraph, {
      topK: () => new Promise<never>(() => {}),
    });
    const late = await new Recommender({ bundle, graph: slow, log, graphBudgetMs: 20 }).recommend(cartReq(5));
    assert.match(
      late.fallbackReason ?? '',
      /^co-purchase graph unavailable: co-purchase graph took longer than 20 ms$/,
    );
  });

  it('when ONNX Runtime fails, the co-purchase graph answers, flagged, and the request succeeds', async () => {
    const failures: string[] = [];
    const r = await (await onBrokenRanker(failures)).recommend(cartReq(5));
    assert.equal(r.fallback, true);
    assert.match(r.fallbackReason ?? '', /^learned ranker unavailable: /);
    assert.deepEqual(failures, ['ranker']);
    assert.equal(r.items.length, 5);
    assert.equal(r.items[0]!.reasonCode, 'BOUGHT_TOGETHER');
  });

  it("when ONNX Runtime fails, HOME comes from the shopper's ALS vector in the FAISS item index, and popularity when that fails too", async () => {
    assert.ok(bundle.itemIndex, 'the trained version has an ALS item index');
    // the FAISS structure the manifest chose, not the brute-force fallback of a missing faiss addon
    assert.equal(bundle.itemIndex.kind, `faiss-${bundle.manifest.vectorIndex?.type}`);
    const failures: string[] = [];
    const home = parseRecommendationRequest('17850', 'HOME', 10, {});
    const r = await (await onBrokenRanker(failures)).recommend(home);
    assert.equal(r.fallback, true);
    assert.match(r.fallbackReason ?? '', /^learned ranker unavailable: /);
    assert.deepEqual(failures, ['ranker']);
    assert.equal(r.items.length, 10);
    const personal = r.items.filter((i) => i.sources?.includes('als'));
    assert.ok(personal.length >= 5, `${personal.length} ALS items`);
    for (const item of personal) {
      assert.equal(item.reasonCode, 'FOR_YOU');
      assert.match(item.reason, /^Because you bought \S/);
    }
    // the same shopper's list differs from a stranger's: it is personal
    const stranger = await (
      await onBrokenRanker([])
    ).recommend(parseRecommendationRequest('guest-never-seen', 'HOME', 10, {}));
    assert.notDeepEqual(
      stranger.items.map((i) => i.productId),
      r.items.map((i) => i.productId),
    );
    // FAISS failing as well: popularity answers, both failures counted
    const index = bundle.itemIndex;
    const failing = Object.create(index) as typeof index;
    failing.search = () => {
      throw new Error('faiss: index unavailable');
    };
    const both: string[] = [];
    const p = await (await onBrokenRanker(both, failing)).recommend(home);
    assert.equal(p.fallback, true);
    assert.equal(p.items.length, 10);
    assert.deepEqual(both, ['ranker', 'faiss']);
    assert.ok(p.items.every((i) => !i.sources?.includes('als')));
  });
});

describe('Recommender: business rules with live flags, and SEARCH', () => {
  const withStore = () => {
    const store = createMemoryFeatureStore();
    const recommender = new Recommender({
      bundle,
      graph,
      log,
      learned,
      facts: new LiveFacts(bundle.catalogue, store),
    });
    return { store, recommender };
  };

  it('an out-of-stock or hidden product leaves the list, which is still filled to the limit', async () => {
    const { store, recommender } = withStore();
    const before = await recommender.recommend(cartReq());
    const [first, second] = before.items.map((i) => i.productId);
    await store.setMany('product', [{ id: first!, values: { stock: 0 } }]);
    await store.updateSet('user', '17850', 'hiddenProducts', { add: [second!] });
    const after = await recommender.recommend(cartReq());
    assert.equal(after.items.length, 10);
    assert.ok(!after.items.some((i) => i.productId === first || i.productId === second));
    assert.equal(after.fallback, false);
  });

  it('an opted-out shopper gets the list of a stranger (no buy-again), a forgotten one too', async () => {
    const { store, recommender } = withStore();
    const home = (id: string) =>
      recommender.recommend(parseRecommendationRequest(id, 'HOME', 10, { country: 'GB' }));
    const personal = await home('17850');
    assert.ok(
      personal.items.some((i) => i.reasonCode === 'BUY_AGAIN'),
      'a customer with a history',
    );
    assert.equal(personal.personalised, undefined);
    const stranger = await home('never-seen-shopper');
    // an earlier session and purchases since the cut-off are not used for an opted-out shopper either
    await store.merge('user', '17850', { recentActions: ['view:22726', 'purchase:22727'] });
    await store.addMembers(PRIVACY_SETS.personalizationOptOut, ['17850']);
    const optedOut = await home('17850');
    assert.ok(optedOut.items.every((i) => i.reasonCode !== 'SESSION'));
    assert.equal(optedOut.personalised, false);
    assert.ok(!optedOut.items.some((i) => i.reasonCode === 'BUY_AGAIN'));
    // the exploration slot is random; the ranked part equals a stranger's
    assert.deepEqual(
      optedOut.items.slice(0, 8).map((i) => i.productId),
      stranger.items.slice(0, 8).map((i) => i.productId),
    );
    await store.addMembers(PRIVACY_SETS.forgottenUsers, [userDigest('13047')]);
    assert.equal((await home('13047')).personalised, false);
  });

  it('HOME interleaves what goes with the products just viewed, naming the last one', async () => {
    const { store, recommender } = withStore();
    const req = parseRecommendationRequest('17850', 'HOME', 10, {});
    const before = await recommender.recommend(req);
    assert.ok(before.items.every((i) => i.reasonCode !== 'SESSION'));
    await store.merge('user', '17850', { recentActions: ['view:22726', 'click:22727'] });
    const after = await recommender.recommend(req);
    const session = after.items.filter((i) => i.reasonCode === 'SESSION');
    assert.ok(session.length >= 3, JSON.stringify(after.items.map((i) => i.reasonCode)));
    assert.match(session[0]!.reason, /^Because you looked at /);
    assert.ok(
      session.every((i) => i.productId !== '22726' && i.productId !== '22727'),
      'never a viewed one',
    );
    assert.equal(after.items.length, 10);
  });

  it('a purchase since the cut-off joins the history: a new shopper’s first order personalises HOME', async () => {
    const { store, recommender } = withStore();
    const req = parseRecommendationRequest('brand-new-shopper', 'HOME', 10, { country: 'GB' });
    const before = await recommender.recommend(req);
    assert.ok(before.items.every((i) => i.reasonCode !== 'BUY_AGAIN' && i.reasonCode !== 'FOR_YOU'));
    await store.merge('user', 'brand-new-shopper', { recentActions: ['purchase:22726', 'purchase:22727'] });
    const after = await recommender.recommend(req);
    const personal = after.items.filter((i) => i.reasonCode === 'BUY_AGAIN' || i.reasonCode === 'FOR_YOU');
    assert.ok(personal.length > 0, JSON.stringify(after.items.map((i) => [i.productId, i.reasonCode])));
    assert.notDeepEqual(
      after.items.map((i) => i.productId),
      before.items.map((i) => i.productId),
    );
  });

  it('a hidden category disappears from HOME', async () => {
    const { store, recommender } = withStore();
    const before = await recommender.recommend(parseRecommendationRequest('17850', 'HOME', 10, {}));
    const category = bundle.catalogue.get(before.items[0]!.productId)?.category;
    assert.ok(category, 'the catalogue has categories');
    await store.updateSet('user', '17850', 'hiddenCategories', { add: [category.toLowerCase()] });
    const after = await recommender.recommend(parseRecommendationRequest('17850', 'HOME', 10, {}));
    assert.equal(after.items.length, 10);
    assert.ok(after.items.every((i) => bundle.catalogue.get(i.productId)?.category !== category));
  });

  it('SEARCH re-ranks only the given results, and a returning customer sees their own first', async () => {
    const { recommender } = withStore();
    const home = await recommender.recommend(parseRecommendationRequest('17850', 'HOME', 5, {}));
    const bought = home.items.find((i) => i.reasonCode === 'BUY_AGAIN')!.productId;
    const strangers = bundle.popularity.global
      .slice(0, 30)
      .map((p) => p.productId)
      .filter((id) => id !== bought);
    const results = [...strangers.slice(0, 19), bought, 'NOT-IN-MODEL'];
    const r = await recommender.recommend(
      parseRecommendationRequest('17850', 'SEARCH', 50, { query: 'heart', candidateProductIds: results }),
    );
    assert.deepEqual(new Set(r.items.map((i) => i.productId)), new Set(results), 'never adds, never drops');
    assert.ok(r.items.findIndex((i) => i.productId === bought) < 19, 'moved up from position 20');
    assert.equal(r.items.find((i) => i.productId === bought)!.reasonCode, 'BUY_AGAIN');
    const anonymous = await recommender.recommend(
      parseRecommendationRequest('new-shopper-2', 'SEARCH', 50, { candidateProductIds: results }),
    );
    assert.deepEqual(
      anonymous.items.map((i) => i.productId),
      results,
      'without history or query, the shop order stands',
    );
  });

  it('SEARCH without the learned ranker: the given results by popularity, unknown ones last, twice the same', async () => {
    const recommender = new Recommender({ bundle, graph, log });
    const top = bundle.popularity.global.slice(0, 5).map((p) => p.productId);
    const results = ['NOT-IN-MODEL', top[4]!, top[0]!, top[2]!];
    for (let round = 0; round < 2; round++) {
      const r = await recommender.recommend(
        parseRecommendationRequest('new-shopper-3', 'SEARCH', 10, { candidateProductIds: results }),
      );
      assert.deepEqual(
        r.items.map((i) => i.productId),
        [top[0], top[2], top[4], 'NOT-IN-MODEL'],
      );
      assert.equal(r.items[3]!.score, 0);
    }
  });

  it('PRODUCT page of a product first sold after training: ranked by the title its catalogue event gave', async () => {
    const { store, recommender } = withStore();
    const unknown = await recommender.recommend(
      parseRecommendationRequest('17850', 'PRODUCT', 10, { productId: 'NEW-LANTERN-1' }),
    );
    assert.ok(
      unknown.items.every((i) => !(i.sources ?? []).includes('new_product')),
      'no title, no mapping',
    );
    await store.setMany('product', [
      { id: 'NEW-LANTERN-1', values: { title: 'WHITE MOROCCAN METAL LANTERN' } },
    ]);
    const r = await recommender.recommend(
      parseRecommendationRequest('17850', 'PRODUCT', 10, { productId: 'NEW-LANTERN-1' }),
    );
    assert.equal(r.items.length, 10);
    assert.equal(r.fallback, false);
    assert.ok(
      r.items.some((i) => /^Bought with products like .*LANTERN/.test(i.reason)),
      r.items[0]?.reason,
    );
    assert.ok(r.items.every((i) => i.productId !== 'NEW-LANTERN-1'));
  });
});
