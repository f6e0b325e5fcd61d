import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecommendedItem } from '../src/Recommendation';
import { cartTail, mixRanked } from '../src/mixRanked';

const item = (productId: string, score: number, source: string): RecommendedItem => ({
  productId,
  score,
  reasonCode: 'BOUGHT_TOGETHER',
  reason: source,
  sources: [source],
});
const learned = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4].map((s, k) => item(`L${k}`, s, 'ranker'));
const graph = [1.9, 1.5, 1.2, 1.1].map((s, k) => item(`G${k}`, s, 'cooccurrence_graph'));
const ids = (xs: RecommendedItem[]) => xs.map((x) => x.productId);

describe('mixRanked', () => {
  it('spreads the second list evenly at its share, each list in its own order', () => {
    assert.deepEqual(ids(mixRanked(learned, graph, 0.5, 6)), ['L0', 'G0', 'L1', 'G1', 'L2', 'G2']);
    assert.deepEqual(ids(mixRanked(learned, graph, 0.25, 8)), [
      'L0',
      'L1',
      'G0',
      'L2',
      'L3',
      'L4',
      'G1',
      'L5',
    ]);
    assert.deepEqual(ids(mixRanked(learned, graph, 0, 3)), ['L0', 'L1', 'L2']);
    assert.deepEqual(ids(mixRanked(learned, graph, 1, 3)), ['G0', 'G1', 'G2']);
  });

  it('fills from the other list when one runs out, up to the limit', () => {
    assert.deepEqual(ids(mixRanked(learned.slice(0, 1), graph, 0, 4)), ['L0', 'G0', 'G1', 'G2']);
    assert.deepEqual(ids(mixRanked(learned, graph.slice(0, 1), 1, 3)), ['G0', 'L0', 'L1']);
    assert.deepEqual(ids(mixRanked([], [], 0.5, 5)), []);
    assert.equal(mixRanked(learned, graph, 0.5, 100).length, 10);
  });

  it('an item in both lists appears once, at its first place, with both sources', () => {
    const both = [item('L1', 1.8, 'cooccurrence_graph'), ...graph];
    const mixed = mixRanked(learned, both, 0.5, 6);
    assert.deepEqual(ids(mixed), ['L0', 'L1', 'L2', 'G0', 'L3', 'G1']);
    assert.deepEqual(mixed[1]!.sources, ['cooccurrence_graph', 'ranker']);
    assert.equal(mixed[1]!.reason, 'ranker', "the first list's reason");
    // placed by the second list: a score between its neighbours from the first (0.9 and 0.7)
    assert.ok(Math.abs(mixed[1]!.score - 0.8) < 1e-12);
  });

  it("keeps the first list's scores and gives the second's scores that keep the mixed order", () => {
    const mixed = mixRanked(learned, graph, 0.5, 10);
    for (const x of mixed.filter((m) => m.productId.startsWith('L'))) {
      assert.equal(x.score, learned.find((l) => l.productId === x.productId)!.score);
    }
    for (let k = 1; k < mixed.length; k++) assert.ok(mixed[k]!.score < mixed[k - 1]!.score, `position ${k}`);
    // a second-list item first, and second-list items at the end
    const front = mixRanked(learned.slice(0, 2), graph, 1, 6);
    assert.deepEqual(ids(front), ['G0', 'G1', 'G2', 'G3', 'L0', 'L1']);
    for (let k = 1; k < front.length; k++) assert.ok(front[k]!.score < front[k - 1]!.score, `position ${k}`);
    const onlySecond = mixRanked([], graph, 0.5, 4).map((x) => x.score);
    assert.equal(onlySecond[0], 1);
    for (let k = 1; k < onlySecond.length; k++) assert.ok(onlySecond[k]! < onlySecond[k - 1]!);
  });

  it('does not change its inputs', () => {
    const before = JSON.stringify([learned, graph]);
    mixRanked(learned, graph, 0.5, 10);
    assert.equal(JSON.stringify([learned, graph]), before);
  });
});

describe('cartTail', () => {
  const known = new Set(['h1', 'h2', 'h3']);
  const catalogue = new Set([...known, 't1', 't2']);
  const tailOf = (cart: string[]) =>
    cartTail(
      cart,
      (p) => known.has(p),
      (p) => catalogue.has(p),
    );
  it('the tail of a mixed cart and its share of the catalogue products', () => {
    assert.deepEqual(tailOf(['h1', 't1', 'h2', 't2']), { tail: ['t1', 't2'], share: 0.5 });
    // a product unknown to the catalogue too (sold after the cut-off) counts on neither side
    assert.deepEqual(tailOf(['h1', 'new', 't1', 'h2', 'h3']), { tail: ['t1'], share: 0.25 });
  });
  it('no tail for an all-head or all-tail cart', () => {
    assert.deepEqual(tailOf(['h1', 'h2', 'new']), { tail: [], share: 0 });
    assert.deepEqual(tailOf(['t1', 't2']), { tail: [], share: 0 });
    assert.deepEqual(tailOf([]), { tail: [], share: 0 });
  });
});
