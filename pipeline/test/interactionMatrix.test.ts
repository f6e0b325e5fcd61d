import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildInteractionMatrix } from '../src/models/InteractionMatrix';
import { trainCandidateModels } from '../src/models/candidateModels';
import { purchase } from './purchase';

const DAY = 86_400_000;
const until = Date.UTC(2011, 10, 9);
const lines = [
  // A: 3 lines, B: 2, C: 2, D: 1; customer v bought only D
  purchase({ basketId: 'b1', productId: 'A', ts: until - 5 * DAY, userId: 'u' }),
  purchase({ basketId: 'b1', productId: 'C', ts: until - 5 * DAY, userId: 'u' }),
  purchase({ basketId: 'b2', productId: 'A', ts: until - 4 * DAY, userId: 'w' }),
  purchase({ basketId: 'b2', productId: 'B', ts: until - 4 * DAY, userId: 'w' }),
  purchase({ basketId: 'b3', productId: 'A', ts: until - 3 * DAY, userId: 'w' }),
  purchase({ basketId: 'b3', productId: 'C', ts: until - 3 * DAY, userId: 'w' }),
  purchase({ basketId: 'b4', productId: 'B', ts: until - 2 * DAY, userId: 'u' }),
  purchase({ basketId: 'b5', productId: 'D', ts: until - 1 * DAY, userId: 'v' }),
  purchase({ basketId: 'b6', productId: 'E', ts: until + DAY, userId: 'u' }), // after the cut-off
];

test('the interaction matrix covers every product sold before the cut-off when under the cap', () => {
  const m = buildInteractionMatrix(lines, until);
  assert.deepEqual(m.items, ['A', 'B', 'C', 'D']);
  assert.equal(m.baskets.length, 5);
  assert.deepEqual([...m.users.keys()].sort(), ['u', 'v', 'w']);
});

test('over the cap, the matrix keeps the most bought products and only their lines', () => {
  const m = buildInteractionMatrix(lines, until, 2);
  // A has 3 lines; B and C have 2 each and B's are the more recent; D is dropped
  assert.deepEqual(m.items, ['A', 'B']);
  assert.deepEqual(
    m.baskets.map((b) => [...b].map((i) => m.items[i])),
    [['A'], ['A', 'B'], ['A'], ['B']],
  );
  assert.deepEqual([...m.itemBaskets], [3, 2]);
  // a customer who bought only dropped products has no history (served as a new customer)
  assert.deepEqual([...m.users.keys()].sort(), ['u', 'w']);
  assert.deepEqual(
    [...m.users.get('u')!.items].map((i) => m.items[i]),
    ['A', 'B'],
  );
  assert.ok(m.users.get('u')!.lines.every((l) => l.item < 2));
});

test("over the cap, recent lines outweigh old ones: a product launched last week beats last year's seller", () => {
  const old = [1, 2, 3, 4].map((i) =>
    purchase({ basketId: `o${i}`, productId: 'OLD', ts: until - (360 + i) * DAY, userId: 'u' }),
  );
  const fresh = [1, 2, 3].map((i) =>
    purchase({ basketId: `n${i}`, productId: 'NEW', ts: until - i * DAY, userId: 'v' }),
  );
  // OLD: 4 lines a year old (4 × 2^-4 = 0.25); NEW: 3 lines this week (about 2.95)
  assert.deepEqual(buildInteractionMatrix([...old, ...fresh], until, 1).items, ['NEW']);
  // equal weights fall back to the id
  const twins = [
    purchase({ basketId: 't1', productId: 'Y', ts: until - DAY, userId: 'u' }),
    purchase({ basketId: 't2', productId: 'X', ts: until - DAY, userId: 'u' }),
  ];
  assert.deepEqual(buildInteractionMatrix(twins, until, 1).items, ['X']);
});

test('the candidate models take the cap from their options', async () => {
  const m = await trainCandidateModels(lines, until, { maxProducts: 3, als: false });
  assert.deepEqual(m.matrix.items, ['A', 'B', 'C']);
  assert.equal(m.cooccurrence.length, 9);
  assert.equal(m.basketEase.n, 3);
});
