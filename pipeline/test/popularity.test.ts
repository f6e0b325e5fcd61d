import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainPopularity, type Interaction } from '@recs/pipeline';
import { purchase } from './purchase';

const DAY = 86_400_000;
const until = Date.UTC(2011, 10, 9);
const buy = (
  basketId: string,
  productId: string,
  daysBefore: number,
  country: string | null = 'GB',
  quantity = 1,
): Interaction => purchase({ basketId, productId, ts: until - daysBefore * DAY, country, quantity });

test('popularity counts distinct baskets in the window, by country, ties by id', () => {
  const model = trainPopularity(
    [
      buy('b1', 'A', 1, 'GB', 500), // a huge quantity still counts once
      buy('b1', 'A', 1), // same basket twice: once
      buy('b2', 'B', 2),
      buy('b3', 'B', 3),
      buy('b4', 'C', 29.9, 'DE'),
      buy('b5', 'C', 5, 'DE'),
      buy('b6', 'D', 31), // outside the 30-day window
      buy('b7', 'E', -1), // at/after the cut-off: never counted
    ],
    { until, minCountryBaskets: 2 },
  );
  assert.deepEqual(model.global, [
    { productId: 'B', baskets: 2 },
    { productId: 'C', baskets: 2 },
    { productId: 'A', baskets: 1 },
  ]);
  assert.deepEqual(model.byCountry.DE, [{ productId: 'C', baskets: 2 }]);
  assert.deepEqual(model.byCountry.GB, [
    { productId: 'B', baskets: 2 },
    { productId: 'A', baskets: 1 },
  ]);
});

test('countries with too few baskets get no list of their own', () => {
  const model = trainPopularity([buy('b1', 'A', 1, 'FR')], { until, minCountryBaskets: 2 });
  assert.equal(model.byCountry.FR, undefined);
});
