import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadPromotedBundle } from '@recs/pipeline';
import { startStack, testRedis, type Stack } from '@recs/testkit';

/**
 * Business rules through the gateway, on real Redis: "do not show" mutations with their access rules,
 * the cached list dropped when the shopper's preferences change, stock flags, and `explain`.
 */
let stack: Stack;
before(async () => {
  stack = await startStack({ redisUrl: (await testRedis()).url, cacheTtlSeconds: 300 });
});
after(async () => {
  await stack?.stop();
});

const HOME = `query Home($userId: ID!) {
  user(id: $userId) {
    recommendations(surface: HOME, limit: 10) {
      rulesVersion fallback
      items { product { id } reasonCode explain { sources rules } }
    }
    hiddenFromRecommendations { productIds categories }
  }
}`;
const HIDE = `mutation Hide($userId: ID!, $productId: ID, $category: String) {
  hideFromRecommendations(userId: $userId, productId: $productId, category: $category) { productIds categories }
}`;
const UNHIDE = `mutation Unhide($userId: ID!, $productId: ID) {
  unhideFromRecommendations(userId: $userId, productId: $productId) { productIds categories }
}`;

type HomeData = {
  user: {
    recommendations: {
      rulesVersion: string;
      fallback: boolean;
      items: {
        product: { id: string };
        reasonCode: string;
        explain: { sources: string[]; rules: string[] };
      }[];
    };
    hiddenFromRecommendations: { productIds: string[]; categories: string[] };
  };
};

const cacheHits = () => stack.cacheEvents('hit');

const home = async (userId: string, headers: Record<string, string>) => {
  const { body } = await stack.query({ query: HOME, variables: { userId } }, headers);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return (body.data as HomeData).user;
};

describe('do not show', () => {
  test('a shopper hides a product: the next (cached) list no longer has it, and unhiding brings it back', async () => {
    const me = { authorization: `Bearer ${stack.userToken('17850')}` };
    const before = await home('17850', me);
    assert.equal(before.recommendations.items.length, 10);
    assert.equal(before.recommendations.rulesVersion, 'default-2');
    for (const item of before.recommendations.items) assert.ok(item.explain.sources.length > 0);
    const victim = before.recommendations.items[0]!.product.id;
    // the same request again is a cache hit with the same list
    const hits = await cacheHits();
    assert.deepEqual((await home('17850', me)).recommendations.items, before.recommendations.items);
    assert.equal(await cacheHits(), hits + 1, 'served from the cache');

    const { body } = await stack.query(
      { query: HIDE, variables: { userId: '17850', productId: victim } },
      me,
    );
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.deepEqual(body.data, { hideFromRecommendations: { productIds: [victim], categories: [] } });

    const after = await home('17850', me);
    assert.equal(after.recommendations.items.length, 10);
    assert.ok(!after.recommendations.items.some((i) => i.product.id === victim), 'cache invalidated');
    assert.deepEqual(after.hiddenFromRecommendations.productIds, [victim]);

    await stack.query({ query: UNHIDE, variables: { userId: '17850', productId: victim } }, me);
    assert.equal((await home('17850', me)).recommendations.items[0]!.product.id, victim);
  });

  test("hiding a whole category, which must be one of the catalogue's", async () => {
    const admin = { 'x-api-key': stack.adminKey };
    const { catalogue } = await loadPromotedBundle(stack.registryDir);
    const categoryOf = (id: string) => catalogue.get(id)?.category?.toLowerCase();
    const before = await home('12347', admin);
    const category = categoryOf(before.recommendations.items[0]!.product.id);
    assert.ok(category, 'the catalogue has categories');
    const { body: bad } = await stack.query(
      { query: HIDE, variables: { userId: '12347', category: 'no-such-category' } },
      admin,
    );
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(bad.errors![0]!.message, /category must be one of the catalogue's categories/);
    const { body } = await stack.query({ query: HIDE, variables: { userId: '12347', category } }, admin);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const after = await home('12347', admin);
    assert.equal(after.recommendations.items.length, 10);
    assert.ok(after.recommendations.items.every((i) => categoryOf(i.product.id) !== category));
    assert.deepEqual(after.hiddenFromRecommendations.categories, [category]);
  });

  test('only the shopper or an admin may change preferences; bad arguments are named', async () => {
    const cases: [Record<string, string>, Record<string, unknown>, string][] = [
      [
        { authorization: `Bearer ${stack.userToken('12346')}` },
        { userId: '17850', productId: '85123A' },
        'FORBIDDEN',
      ],
      [{ 'x-api-key': stack.serviceKey }, { userId: '17850', productId: '85123A' }, 'FORBIDDEN'],
      [{ 'x-api-key': stack.adminKey }, { userId: '17850' }, 'BAD_USER_INPUT'],
      [
        { 'x-api-key': stack.adminKey },
        { userId: '17850', productId: '85123A', category: 'bags' },
        'BAD_USER_INPUT',
      ],
      [{}, { userId: '17850', productId: '85123A' }, 'UNAUTHENTICATED'],
    ];
    for (const [headers, variables, code] of cases) {
      const { body } = await stack.query({ query: HIDE, variables }, headers);
      assert.equal(
        body.errors?.[0]?.extensions?.code,
        code,
        JSON.stringify({ variables, errors: body.errors }),
      );
    }
    const { body } = await stack.query(
      { query: `mutation { setVerifiedAdult(userId: "17850", verified: true) }` },
      { authorization: `Bearer ${stack.userToken('17850')}` },
    );
    assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', 'a shopper cannot verify their own age');
  });
});

describe('live product flags', () => {
  test('a product out of stock leaves CART lists; margin boosts show in explain', async () => {
    const CART = `query { user(id: "17850") { recommendations(surface: CART, limit: 10, context: { cartProductIds: ["22726", "22727"] }) {
      items { product { id } explain { rules } } } } }`;
    const first = async () => {
      const { body } = await stack.query({ query: CART });
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      return (
        body.data as {
          user: { recommendations: { items: { product: { id: string }; explain: { rules: string[] } }[] } };
        }
      ).user.recommendations.items;
    };
    const before = await first();
    const [gone, boosted] = [before[0]!.product.id, before[9]!.product.id];
    await stack.liveStore.setMany('product', [
      { id: gone, values: { stock: 0 } },
      { id: boosted, values: { stock: 12, margin: 0.6 } },
    ]);
    // stock changes reach the cache through the event path (issue 5); until then the TTL bounds staleness,
    // so this asks with a different limit, a different cache key
    const { body } = await stack.query({ query: CART.replace('limit: 10', 'limit: 11') });
    const after = (
      body.data as {
        user: { recommendations: { items: { product: { id: string }; explain: { rules: string[] } }[] } };
      }
    ).user.recommendations.items;
    assert.equal(after.length, 11);
    assert.ok(!after.some((i) => i.product.id === gone));
    const b = after.find((i) => i.product.id === boosted);
    assert.ok(b, 'the boosted product stays in the list');
    assert.ok(b.explain.rules.some((r) => r.startsWith('margin_boost: +10%')));

    // the ranker's feature contributions, computed when asked, also for a list served from the cache
    const EXPLAIN = `query { user(id: "17850") { recommendations(surface: CART, limit: 11, context: { cartProductIds: ["22726", "22727"] }) {
      items { explain { contributions { feature value contribution } } } } } }`;
    const explained = (await stack.query({ query: EXPLAIN })).body.data as {
      user: {
        recommendations: {
          items: { explain: { contributions: { feature: string; value: number; contribution: number }[] } }[];
        };
      };
    };
    const contributions = explained.user.recommendations.items[0]!.explain.contributions;
    assert.ok(contributions.length > 0, 'the top item has feature contributions');
    assert.ok(contributions.every((c) => typeof c.feature === 'string' && Number.isFinite(c.contribution)));
    for (let k = 1; k < contributions.length; k++) {
      assert.ok(Math.abs(contributions[k - 1]!.contribution) >= Math.abs(contributions[k]!.contribution));
    }
    // asked again, the subgraph runs the operation compiled (graphql-jit): the same answer
    for (let i = 0; i < 2; i++)
      assert.deepEqual((await stack.query({ query: EXPLAIN })).body, { data: explained });
  });
});
