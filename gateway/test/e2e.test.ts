import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { startStack, testNeo4j, testRedis, type Stack } from '@recs/testkit';

/**
 * End-to-end through the gateway: three real subgraphs over HTTP, real Redis for the feature store
 * and the field cache, real Neo4j for the co-purchase graph, a model trained on the bundled Online
 * Retail data.
 */
let stack: Stack;
before(async () => {
  const [redis, neo4j] = await Promise.all([testRedis(), testNeo4j()]);
  stack = await startStack({
    redisUrl: redis.url,
    neo4j: { uri: neo4j.uri, user: neo4j.user, password: neo4j.password },
    // a JVM sharing 2 cores with the whole stack: the production budget (50 ms) is for a dedicated one
    graphBudgetMs: 1000,
  });
});
after(async () => {
  await stack?.stop();
});

const CART = `query Cart($userId: ID!, $cart: [ID!]!, $limit: Int) {
  user(id: $userId) {
    id
    recommendations(surface: CART, limit: $limit, context: { cartProductIds: $cart }) {
      requestId modelVersion fallback
      items { product { id } score position reason reasonCode }
    }
  }
}`;

type CartData = {
  user: {
    id: string;
    recommendations: {
      requestId: string;
      modelVersion: string;
      fallback: boolean;
      items: {
        product: { id: string };
        score: number;
        position: number;
        reason: string;
        reasonCode: string;
      }[];
    };
  } | null;
};

describe('authentication and authorisation', () => {
  test('a service key reads any user, with real products, never the cart items', async () => {
    const { status, body } = await stack.query({
      query: CART,
      variables: { userId: '17850', cart: ['85123A', '71053'], limit: 10 },
    });
    assert.equal(status, 200);
    assert.equal(body.errors, undefined);
    const recs = (body.data as CartData).user!.recommendations;
    assert.equal(recs.items.length, 10);
    assert.equal(recs.modelVersion, stack.modelVersion);
    assert.deepEqual(
      recs.items.map((i) => i.position),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    for (const item of recs.items) {
      assert.match(item.product.id, /^\d{5}[A-Z]*$/);
      assert.ok(!['85123A', '71053'].includes(item.product.id));
      assert.ok(item.reason.length > 0);
    }
    for (let i = 1; i < recs.items.length; i++) assert.ok(recs.items[i - 1]!.score >= recs.items[i]!.score);
  });

  test('CART recommends what real baskets bought together with the whole cart, with the evidence', async () => {
    const { body } = await stack.query({
      query: CART,
      variables: { userId: '17850', cart: ['22726', '22727'], limit: 5 },
    });
    const recs = (body.data as CartData).user!.recommendations;
    assert.equal(recs.fallback, false);
    const first = recs.items[0]!;
    assert.equal(first.reasonCode, 'BOUGHT_TOGETHER');
    assert.match(first.reason, /^Bought together with .+ in \d+ orders$/);
    assert.ok(!['22726', '22727'].includes(first.product.id));
  });

  test('Product.frequentlyBoughtTogether answers from the co-purchase graph, never the product itself', async () => {
    const { body } = await stack.query({
      query: `query P($id: ID!, $limit: Int) { product(id: $id) { id frequentlyBoughtTogether(limit: $limit) {
        product { id } position reasonCode reason } } }`,
      variables: { id: '22726', limit: 5 },
    });
    assert.equal(body.errors, undefined);
    const items = (
      body.data as {
        product: {
          frequentlyBoughtTogether: {
            product: { id: string };
            position: number;
            reasonCode: string;
            reason: string;
          }[];
        };
      }
    ).product.frequentlyBoughtTogether;
    assert.equal(items.length, 5);
    assert.deepEqual(
      items.map((i) => i.position),
      [1, 2, 3, 4, 5],
    );
    for (const item of items) {
      assert.notEqual(item.product.id, '22726');
      assert.equal(item.reasonCode, 'BOUGHT_TOGETHER');
      assert.match(item.reason, /^Bought together with .+ in \d+ orders$/);
    }
    const bad = await stack.query({
      query: '{ product(id: "22726") { frequentlyBoughtTogether(limit: 0) { position } } }',
    });
    assert.equal(bad.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  test('Product.similar gives substitutes by title, never the product, and [] for an unknown one', async () => {
    const { body } = await stack.query({
      query: '{ product(id: "22726") { similar(limit: 4) { product { id } reasonCode reason } } }',
    });
    assert.equal(body.errors, undefined);
    const items = (
      body.data as { product: { similar: { product: { id: string }; reasonCode: string; reason: string }[] } }
    ).product.similar;
    assert.equal(items.length, 4);
    for (const item of items) {
      assert.notEqual(item.product.id, '22726');
      assert.equal(item.reasonCode, 'SIMILAR');
      assert.match(item.reason, /^Similar to ALARM CLOCK BAKELIKE /);
    }
    const unknown = await stack.query({ query: '{ product(id: "00000X") { similar { position } } }' });
    assert.deepEqual(unknown.body.data, { product: { similar: [] } });
  });

  test('each answer has its own request id, even when served from the cache', async () => {
    const vars = { userId: '17850', cart: ['22086'], limit: 5 };
    const a = await stack.query({ query: CART, variables: vars });
    const b = await stack.query({ query: CART, variables: vars });
    const ra = (a.body.data as CartData).user!.recommendations;
    const rb = (b.body.data as CartData).user!.recommendations;
    assert.deepEqual(ra.items, rb.items);
    assert.notEqual(ra.requestId, rb.requestId);
  });

  test('a bearer token reads its own user', async () => {
    const { body } = await stack.query(
      {
        query: `{ user(id: "17850") { id features { orderCount country categoryPreferences { category share } priceSensitivity } }
          product(id: "85123A") { features { orders7d orders30d category pricePercentile } } }`,
      },
      { authorization: `Bearer ${stack.userToken('17850')}` },
    );
    assert.equal(body.errors, undefined);
    type Data = {
      user: {
        id: string;
        features: {
          orderCount: number;
          country: string;
          categoryPreferences: { category: string; share: number }[];
          priceSensitivity: number;
        };
      };
      product: {
        features: { orders7d: number; orders30d: number; category: string; pricePercentile: number };
      };
    };
    const { user, product } = body.data as Data;
    assert.equal(user.id, '17850');
    assert.ok(user.features.orderCount > 0);
    assert.equal(user.features.country, 'GB');
    const shares = user.features.categoryPreferences.map((c) => c.share);
    assert.ok(
      shares.length > 0 && shares.every((x, i) => x > 0 && x <= 1 && (i === 0 || x <= shares[i - 1]!)),
    );
    assert.ok(user.features.priceSensitivity >= 0 && user.features.priceSensitivity <= 1);
    assert.ok(product.features.orders7d <= product.features.orders30d);
    assert.ok(
      product.features.category &&
        product.features.pricePercentile >= 0 &&
        product.features.pricePercentile <= 1,
    );
  });

  test("a bearer token gets FORBIDDEN for another user's recommendations and features", async () => {
    const headers = { authorization: `Bearer ${stack.userToken('17850')}` };
    const recs = await stack.query({ query: CART, variables: { userId: '13047', cart: [] } }, headers);
    assert.equal(recs.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal((recs.body.data as CartData | null)?.user ?? null, null);
    const features = await stack.query(
      { query: '{ user(id: "13047") { features { orderCount } } }' },
      headers,
    );
    assert.equal(features.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  test('no credentials, a wrong key, a forged or expired token: UNAUTHENTICATED with 401', async () => {
    const q = { query: '{ user(id: "17850") { id } }' };
    const attempts: Record<string, string>[] = [
      {},
      { 'x-api-key': 'not-a-key-0000000000000000000000' },
      { authorization: `Bearer ${stack.userToken('17850').slice(0, -2)}xx` },
      { authorization: `Bearer ${stack.userToken('17850', -3600)}` },
      { authorization: 'Basic abc' },
    ];
    for (const headers of attempts) {
      const { status, body } = await stack.query(q, headers);
      assert.equal(status, 401, JSON.stringify(headers));
      assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.equal(body.data, undefined);
    }
  });

  test('a subgraph called directly without the gateway secret is refused', async () => {
    for (const url of Object.values(stack.subgraphUrls)) {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-recs-principal': 'service',
          'x-recs-role': 'admin',
        },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
      });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, 'UNAUTHENTICATED');
    }
    // The router decodes percent-escapes: /%67raphql is /graphql, and the check follows the route.
    for (const url of Object.values(stack.subgraphUrls)) {
      const res = await fetch(url.replace('/graphql', '/%67raphql'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-recs-principal': 'service',
          'x-recs-role': 'admin',
        },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
      });
      assert.equal(res.status, 401, url);
    }
    // With the secret but a wrong one of the same length, still refused.
    const res = await fetch(stack.subgraphUrls.recommendations, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-recs-gateway-secret': 'x'.repeat(stack.gatewaySecret.length),
        'x-recs-principal': 'service',
        'x-recs-role': 'admin',
      },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    assert.equal(res.status, 401);
  });

  test("a persisted query over GET needs a caller, even with the landing page's Accept header", async () => {
    const query = 'query Own($id: ID!) { user(id: $id) { id features { orderCount } } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    // A shopper registers the document, for themself.
    const registered = await stack.query(
      { query, variables: { id: '17850' }, extensions },
      { authorization: `Bearer ${stack.userToken('17850')}` },
    );
    assert.equal(registered.body.errors, undefined, JSON.stringify(registered.body));
    const url = new URL(stack.gatewayUrl);
    url.searchParams.set('extensions', JSON.stringify(extensions));
    url.searchParams.set('variables', JSON.stringify({ id: '12347' }));
    const ask = (headers: Record<string, string>) =>
      fetch(url, {
        headers: { accept: 'application/json, text/html', 'apollo-require-preflight': 'true', ...headers },
      });
    // Anyone else asking by hash for another customer, with no credentials: refused, no data.
    const anonymous = await ask({});
    assert.equal(anonymous.status, 401);
    const body = (await anonymous.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
    assert.equal(body.data, undefined);
    assert.equal(body.errors[0]!.extensions.code, 'UNAUTHENTICATED');
    // The same request with a service key runs the registered document.
    const service = await ask({ 'x-api-key': stack.serviceKey });
    assert.equal(service.status, 200);
    assert.equal(((await service.json()) as { data: { user: { id: string } } }).data.user.id, '12347');
  });
});

describe('input validation and limits', () => {
  test('an unknown user id gets cold-start recommendations, not an error', async () => {
    const { body } = await stack.query({
      query: CART,
      variables: { userId: 'new-shopper-42', cart: [], limit: 4 },
    });
    assert.equal(body.errors, undefined);
    const recs = (body.data as CartData).user!.recommendations;
    assert.equal(recs.items.length, 4);
    assert.equal(recs.fallback, false);
  });

  test('limit outside 1..100 gets BAD_USER_INPUT naming the argument', async () => {
    for (const limit of [0, 101, -5]) {
      const { body } = await stack.query({ query: CART, variables: { userId: '17850', cart: [], limit } });
      assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `limit ${limit}`);
      assert.match(body.errors![0]!.message, /limit/);
    }
  });

  test('a malformed country gets BAD_USER_INPUT', async () => {
    const { body } = await stack.query({
      query:
        '{ user(id: "17850") { recommendations(surface: HOME, context: { country: "Germany" }) { requestId } } }',
    });
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(body.errors![0]!.message, /context\.country/);
  });

  test('an over-deep query is rejected with QUERY_TOO_DEEP before reaching subgraphs', async () => {
    const deep = `{ user(id: "17850") { recommendations(surface: HOME) { items { product { features { observedTitle } } } } } }`;
    const ok = await stack.query({ query: deep });
    assert.equal(ok.body.errors, undefined, 'depth 6 is within the limit of 10');
    // Depth is checked before validation, so even nonsense nested 11 deep costs nothing downstream.
    const tooDeep = await stack.query({
      query: '{ a { b { c { d { e { f { g { h { i { j { k } } } } } } } } } } }',
    });
    assert.equal(tooDeep.status, 400);
    assert.equal(tooDeep.body.errors?.[0]?.extensions?.code, 'QUERY_TOO_DEEP');
    // Fragments count: the same depth hidden behind a spread is still too deep.
    const viaFragment = await stack.query({
      query:
        'query { a { ...F } } fragment F on X { b { c { d { e { f { g { h { i { j { k } } } } } } } } } }',
    });
    assert.equal(viaFragment.body.errors?.[0]?.extensions?.code, 'QUERY_TOO_DEEP');
  });

  test('too many aliases and oversized documents are refused with their codes', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: user(id: "${i}") { id }`).join(' ');
    const many = await stack.query({ query: `{ ${aliases} }` });
    assert.equal(many.status, 400);
    assert.equal(many.body.errors?.[0]?.extensions?.code, 'TOO_MANY_ALIASES');
    const big = await stack.query({ query: `{ user(id: "17850") { id } } # ${'x'.repeat(20_001)}` });
    assert.equal(big.status, 413);
    assert.equal(big.body.errors?.[0]?.extensions?.code, 'DOCUMENT_TOO_LARGE');
  });
});

describe('operations endpoints', () => {
  test('/health, /ready and /metrics answer', async () => {
    const base = new URL(stack.gatewayUrl).origin;
    assert.equal((await fetch(`${base}/health`)).status, 200);
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { subgraphs: Record<string, boolean> }).subgraphs, {
      recommendations: true,
      features: true,
      experiments: true,
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /recs_gateway_request_duration_seconds_bucket/);
    assert.match(metrics, /recs_gateway_errors_total\{code="UNAUTHENTICATED"/);
  });

  test('operation names from unauthenticated requests never become metric labels', async () => {
    const base = new URL(stack.gatewayUrl).origin;
    for (let i = 0; i < 3; i++) {
      const { status } = await stack.query(
        { query: `query junk${i} { __typename }`, operationName: `junk${i}` },
        {},
      );
      assert.equal(status, 401);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.doesNotMatch(metrics, /junk/);
    assert.match(metrics, /recs_gateway_request_duration_seconds_count\{[^}]*operation="unauthenticated"/);
  });

  test('CORS lets the Apollo Studio Explorer call the gateway, and no other origin', async () => {
    const preflight = await fetch(stack.gatewayUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://studio.apollographql.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://studio.apollographql.com');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-api-key/);
    const other = await fetch(stack.gatewayUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  test('introspection is off in production mode', async () => {
    const { body } = await stack.query({ query: '{ __schema { queryType { name } } }' });
    assert.ok(body.errors?.length, 'introspection must be refused');
  });
});

describe('compiled operations (graphql-jit in the subgraphs)', () => {
  // Each subgraph compiles an operation text from its second use; the committed client operations
  // must answer the same interpreted (first use) and compiled (later uses).
  const VARIABLES: Record<string, Record<string, unknown>> = {
    CartRecommendations: { userId: '13047', cart: ['22423', '85123A'], limit: 8 },
    FeatureDrift: {},
    HomeFeed: { userId: '13047', limit: 12 },
    ProductPage: { userId: '13047', productId: '84879' },
    SearchResults: { userId: '13047', query: 'lantern', results: ['71053', '85123A', '84406B', '22423'] },
    ShopperActivity: { userId: '13047', productId: '84879' },
  };
  /** The answer without the ids that are new on every request. */
  const stable = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(stable)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .filter(([k]) => k !== 'requestId')
              .map(([k, v]) => [k, stable(v)]),
          )
        : value;
  test('every committed read operation answers the same three times in a row', async () => {
    const dir = new URL('../../schema/operations/', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.graphql'));
    const seen: string[] = [];
    for (const file of files) {
      const query = await readFile(new URL(file, dir), 'utf8');
      const name = /^\s*query\s+(\w+)/m.exec(query)?.[1];
      if (!name) continue; // mutations change state: answering the same is not expected of them
      const variables = VARIABLES[name];
      assert.ok(variables, `variables for the committed operation ${name}`);
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await stack.query({ query, variables })).body);
      assert.equal(answers[0]!.errors, undefined, `${name}: ${JSON.stringify(answers[0]!.errors)}`);
      assert.ok(answers[0]!.data, name);
      for (const later of answers.slice(1)) assert.deepEqual(stable(later), stable(answers[0]), name);
      seen.push(name);
    }
    assert.deepEqual(seen.sort(), Object.keys(VARIABLES).sort());
  });
});
