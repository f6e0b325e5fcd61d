import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { parseRecommendationRequest } from '@recs/subgraph-recommendations';
import { recommendationsCacheKey } from '../src/resolvers';
import { parseContextTime } from '../src/RecommendationRequest';

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
    // Date.parse takes all of these: a bare number, a rolled-over Feb 30, years out of range
    [['u', 'HOME', 5, { time: '1' }], /^context\.time/],
    [['u', 'HOME', 5, { time: '2011-02-30T23:00:00' }], /^context\.time/],
    [['u', 'HOME', 5, { time: '+275760-09-13T00:00:00Z' }], /^context\.time/],
    [['u', 'HOME', 5, { time: '1969-12-31T23:59:59Z' }], /^context\.time/],
    [['u', 'HOME', 5, { time: '2011-11-09' }], /^context\.time/],
    [['u', 'HOME', 5, { time: '2011-11-09T24:00:00' }], /^context\.time/],
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

describe('recommendations cache key', () => {
  const key = (context: Record<string, unknown> | null) =>
    recommendationsCacheKey('17850', { surface: 'HOME', limit: 10, context }, 'v1');

  it('keys context.time by its hour, so a clock sent with every request still hits', () => {
    const at = (time: string) => key({ country: 'GB', time });
    assert.equal(at('2011-11-09T18:05:00Z'), at('2011-11-09T18:59:59Z'));
    assert.notEqual(at('2011-11-09T18:59:59Z'), at('2011-11-09T19:00:00Z'));
    assert.notEqual(at('2011-11-09T18:05:00Z'), key({ country: 'GB' }), 'a time is part of the key');
    assert.equal(key({ country: 'GB' }), key({ country: 'GB', time: null }));
    assert.notEqual(at('tomorrow'), at('later'), 'an unparsable time keeps its own key');
    assert.notEqual(key({ country: 'GB' }), key({ country: 'DE' }), 'the rest of the context counts in full');
  });
});

test("context.time is the shopper's wall clock, as UTC fields; a zone is accepted, not applied", () => {
  assert.equal(parseContextTime('2011-11-09T18:30:00Z'), Date.UTC(2011, 10, 9, 18, 30));
  assert.equal(parseContextTime('2011-11-09T18:30:00'), Date.UTC(2011, 10, 9, 18, 30));
  assert.equal(parseContextTime('2011-11-09T20:30-05:00'), Date.UTC(2011, 10, 9, 20, 30));
  assert.equal(parseContextTime('2012-02-29T10:00:00+01:00'), Date.UTC(2012, 1, 29, 10, 0));
  assert.equal(parseContextTime('2011-11-09 18:30'), Date.UTC(2011, 10, 9, 18, 30));
  assert.equal(parseContextTime('2011-11-09T18:30:15.250'), Date.UTC(2011, 10, 9, 18, 30, 15, 250));
  assert.equal(parseContextTime('2011-02-29T10:00:00Z'), undefined);
});
