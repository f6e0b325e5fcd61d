import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@recs/core';
import { MemoryCoPurchaseGraph } from '@recs/graph';
import { loadPromotedBundle, type ModelBundle } from '@recs/pipeline';
import { trainedRegistry } from '@recs/testkit/registry';
import { LearnedRanker } from '../src/LearnedRanker';
import { parseRecommendationRequest } from '../src/RecommendationRequest';
import { Recommender } from '../src/Recommender';
import { syncGraph } from '../src/syncGraph';

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

const cartReq = (limit = 10) =>
  parseRecommendationRequest('17850', 'CART', limit, { cartProductIds: ['22726', '22727'] });

describe('Recommender with the learned ranker', () => {
  it('CART: ranked complements of the whole cart with named evidence, never a cart item', async () => {
    const r = await new Recommender({ bundle, graph, log, learned }).recommend(cartReq());
    assert.equal(r.fallback, false);
    assert.equal(r.items.length, 10);
    assert.ok(r.items.every((i) => !['22726', '22727'].includes(i.productId)));
    assert.equal(new Set(r.items.map((i) => i.productId)).size, 10, 'no duplicates');
    assert.ok(r.items.some((i) => i.reasonCode === 'BOUGHT_TOGETHER' && /in \d+ orders$/.test(i.reason)));
    for (let k = 1; k < r.items.length; k++) assert.ok(r.items[k - 1]!.score >= r.items[k]!.score);
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

  it('HOME: a new shopper gets what new customers in their country buy', async () => {
    const r = await new Recommender({ bundle, graph, log, learned }).recommend(
      parseRecommendationRequest('new-shopper-1', 'HOME', 5, { country: 'DE' }),
    );
    assert.equal(r.items.length, 5);
    assert.ok(
      r.items.every((i) => i.reasonCode === 'POPULAR_IN_COUNTRY' && /new customers in DE/.test(i.reason)),
    );
  });

  it('when ONNX Runtime fails, the co-purchase graph answers, flagged, and the request succeeds', async () => {
    const broken = (await LearnedRanker.load(await trainedRegistry(), bundle.version, bundle.catalogue))!;
    await broken.close(); // a closed session rejects every prediction, like a crashed runtime
    const failures: string[] = [];
    const r = await new Recommender({
      bundle,
      graph,
      log,
      learned: broken,
      onSourceFailure: (s) => failures.push(s),
    }).recommend(cartReq(5));
    assert.equal(r.fallback, true);
    assert.match(r.fallbackReason ?? '', /^learned ranker unavailable: /);
    assert.deepEqual(failures, ['ranker']);
    assert.equal(r.items.length, 5);
    assert.equal(r.items[0]!.reasonCode, 'BOUGHT_TOGETHER');
  });
});
