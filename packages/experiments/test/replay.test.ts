// Offline replay: a seeded world where every product has a known click probability, logged by a
// 50/50 experiment of two rankings; the replay estimate of a third ranking must find its true CTR.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayEstimate, type ReplayRequest } from '@recs/experiments';
import { seededRandom } from './stats-helpers';

test('replay estimates a candidate ranking’s click-through from a randomised experiment’s logs', () => {
  const random = seededRandom(21);
  const products = Array.from({ length: 60 }, (_, i) => ({ id: `p${i}`, ctr: 0.02 + 0.3 * random() }));
  const ctr = new Map(products.map((p) => [p.id, p.ctr]));
  const top = (pool: typeof products, score: (p: (typeof products)[number]) => number, k = 10) =>
    [...pool]
      .sort((a, b) => score(b) - score(a))
      .slice(0, k)
      .map((p) => p.id);
  const requests: ReplayRequest[] = [];
  let truth = 0;
  let onPolicyClicks = 0;
  let onPolicyShown = 0;
  for (let r = 0; r < 20_000; r++) {
    const pool = products.filter(() => random() < 0.4);
    const a = top(pool, (p) => p.ctr + 0.2 * random()); // a noisy good ranking
    const b = top(pool, () => random()); // a random one
    const union = products.filter((p) => a.includes(p.id) || b.includes(p.id));
    const candidate = top(union, (p) => p.ctr); // the best of what the two show
    truth += candidate.reduce((s, id) => s + ctr.get(id)!, 0) / candidate.length;
    const served = random() < 0.5 ? a : b;
    const clicked = new Set(served.filter((id) => random() < ctr.get(id)!));
    onPolicyClicks += clicked.size;
    onPolicyShown += served.length;
    requests.push({
      shown: served,
      clicked,
      variantLists: new Map([
        ['a', a],
        ['b', b],
      ]),
      candidate,
    });
  }
  truth /= requests.length;
  const result = replayEstimate(
    requests,
    new Map([
      ['a', 50],
      ['b', 50],
    ]),
  );
  assert.equal(result.coverage, 1);
  const { snips, snipsStandardError, ips, ipsStandardError } = result.estimate;
  const logged = onPolicyClicks / onPolicyShown;
  assert.ok(truth > logged * 1.2, `the candidate is better than what was logged (${truth} vs ${logged})`);
  assert.ok(
    Math.abs(ips - truth) < 4 * ipsStandardError,
    `IPS ${ips} ± ${ipsStandardError} vs true ${truth}`,
  );
  assert.ok(
    Math.abs(snips - truth) < 4 * snipsStandardError,
    `SNIPS ${snips} ± ${snipsStandardError} vs true ${truth}`,
  );
  assert.ok(Math.abs(snips - truth) / truth < 0.05, `SNIPS ${snips} within 5% of ${truth}`);
});

test('replay reports how much of the candidate no logging variant covers', () => {
  const result = replayEstimate(
    [
      {
        shown: ['a', 'b'],
        clicked: new Set(['a']),
        variantLists: new Map([['x', ['a', 'b']]]),
        candidate: ['a', 'z'],
      },
      {
        shown: ['a', 'c'],
        clicked: new Set(),
        variantLists: new Map([['x', ['a', 'c']]]),
        candidate: ['c', 'y'],
      },
    ],
    new Map([['x', 100]]),
  );
  assert.equal(result.coverage, 0.5);
  assert.equal(result.decisions, 4);
});
