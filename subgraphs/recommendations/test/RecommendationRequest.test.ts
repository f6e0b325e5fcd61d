import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecommendationRequest } from '@recs/subgraph-recommendations';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return [(err as { extensions: { code: string } }).extensions.code, (err as Error).message];
  }
  return ['none', ''];
};

test('normalises the context', () => {
  const req = parseRecommendationRequest('17850', 'CART', undefined, {
    country: 'de',
    device: 'Mobile',
    time: '2011-11-09T18:30:00Z',
    cartProductIds: ['85123a', '85123A', ' 71053'.trim()],
  });
  assert.equal(req.limit, 10);
  assert.deepEqual(req.context, {
    country: 'DE',
    device: 'mobile',
    time: Date.UTC(2011, 10, 9, 18, 30),
    cartProductIds: ['85123A', '71053'],
    candidateProductIds: [],
  });
});

test('refuses bad input with BAD_USER_INPUT naming the argument', () => {
  const cases: [Parameters<typeof parseRecommendationRequest>, RegExp][] = [
    [['u', 'HOME', 0, null], /^limit/],
    [['u', 'HOME', 101, null], /^limit/],
    [['u', 'HOME', 2.5, null], /^limit/],
    [['u', 'HOME', 5, { country: 'Germany' }], /^context\.country/],
    [['u', 'HOME', 5, { device: 'fridge' }], /^context\.device/],
    [['u', 'HOME', 5, { time: 'tomorrow' }], /^context\.time/],
    [
      ['u', 'CART', 5, { cartProductIds: Array.from({ length: 501 }, (_, i) => String(i)) }],
      /^context\.cartProductIds/,
    ],
    [['u', 'CART', 5, { cartProductIds: [''] }], /^context\.cartProductIds/],
    [['u', 'SEARCH', 5, { query: 'lantern' }], /^context\.candidateProductIds/],
  ];
  for (const [args, message] of cases) {
    const [c, m] = code(() => parseRecommendationRequest(...args));
    assert.equal(c, 'BAD_USER_INPUT', JSON.stringify(args));
    assert.match(m!, message);
  }
});
