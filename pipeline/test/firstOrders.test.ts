import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Interaction } from '../src/ingest/Interaction';
import { coldStartScores, type CandidateModels } from '../src/models/candidateModels';
import { firstOrders } from '../src/models/firstOrders';
import { purchase } from './purchase';

const DAY = 86_400_000;
const until = Date.UTC(2011, 8, 9);
const index = new Map([
  ['A', 0],
  ['B', 1],
  ['C', 2],
]);
const buy = (
  userId: string | null,
  basketId: string,
  productId: string,
  daysBefore: number,
  country: string | null,
): Interaction => purchase({ userId, basketId, productId, ts: until - daysBefore * DAY, country });

// Half-life 10 days: a first order 10 days old weighs 0.5, 20 days old 0.25.
const interactions: Interaction[] = [
  buy('u1', 'i1', 'A', 10, 'GB'),
  buy('u1', 'i1', 'A', 10, 'GB'), // the same product twice in one invoice counts once
  buy('u1', 'i1', 'B', 10, 'GB'),
  buy('u1', 'i2', 'C', 5, 'GB'), // a repeat order: not a first order
  buy('u2', 'i3', 'A', 20, 'GB'),
  buy('u3', 'i4', 'C', 10, 'FR'),
  buy('u4', 'i5', 'B', 20, 'DE'),
  buy('u4', 'i5', 'C', 20, 'DE'),
  buy('u6', 'i7', 'C', 10, 'GB'), // same time as i6: the lower invoice id is the first order
  buy('u6', 'i6', 'B', 10, 'GB'),
  buy(null, 'g1', 'A', 1, 'GB'), // guest checkout: no first order
  buy('u5', 'i8', 'A', 0, 'GB'), // at the cut-off: not training data
  { ...buy('u7', 'v1', 'C', 1, 'GB'), type: 'view' },
];

const close = (actual: Float32Array, expected: number[]) => {
  assert.equal(actual.length, expected.length);
  expected.forEach((v, i) => assert.ok(Math.abs(actual[i]! - v) < 1e-6, `[${i}] ${actual[i]} != ${v}`));
};

test('first orders are decayed by age, and each country is shrunk towards its backoff', () => {
  const f = firstOrders(interactions, index, until, { halfLifeDays: 10, countryPrior: 2 });
  // A: u1 0.5 + u2 0.25; B: u1 0.5 + u4 0.25 + u6 0.5; C: u3 0.5 + u4 0.25
  close(f.all, [0.75, 1.25, 0.75]);
  // first orders: GB 0.5 + 0.25 + 0.5 = 1.25, FR 0.5, DE 0.25 (2 overall), so GB is the home market
  assert.equal(f.home, 'GB');
  assert.deepEqual([...f.byCountry.keys()].sort(), ['DE', 'FR', 'GB']);
  // GB towards the overall rate [0.375, 0.625, 0.375]: ([0.75, 1, 0] + 2 × rate) / (1.25 + 2)
  close(f.byCountry.get('GB')!, [1.5 / 3.25, 2.25 / 3.25, 0.75 / 3.25]);
  // FR and DE towards the foreign rate: (FR + DE) [0, 0.25, 0.75] / 0.75 orders = [0, 1/3, 1]
  close(f.byCountry.get('FR')!, [0, 2 / 3 / 2.5, 1]); // ([0, 0, 0.5] + 2 × rate) / (0.5 + 2)
  close(f.byCountry.get('DE')!, [0, (0.25 + 2 / 3) / 2.25, 1]); // ([0, 0.25, 0.25] + 2 × rate) / 2.25
});

test('without a prior, a country keeps its own rates', () => {
  const f = firstOrders(interactions, index, until, { halfLifeDays: 10, countryPrior: 0 });
  close(f.byCountry.get('FR')!, [0, 0, 1]);
  close(f.byCountry.get('GB')!, [0.6, 0.8, 0]);
});

test('cold start adds the overall and the country shares; an unknown country gets the overall list twice', () => {
  const f = firstOrders(interactions, index, until, { halfLifeDays: 10, countryPrior: 2 });
  const m = { firstOrderPopularity: f.all, firstOrderPopularityByCountry: f.byCountry } as CandidateModels;
  const score = (country: string | null) => {
    const out = new Float32Array(3);
    coldStartScores(m, country, out);
    return out;
  };
  const overall = [0.75 / 2.75, 1.25 / 2.75, 0.75 / 2.75];
  // FR rates [0, 0.2667, 1] as shares: [0, 0.2105, 0.7895]
  close(score('FR'), [overall[0]!, overall[1]! + 0.4 / 1.9, overall[2]! + 1.5 / 1.9]);
  close(
    score('JP'),
    overall.map((v) => 2 * v),
  );
  close(
    score(null),
    overall.map((v) => 2 * v),
  );
});
