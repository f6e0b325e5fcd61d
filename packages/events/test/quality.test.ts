import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QualityGate, type RecsEvent } from '../src/index';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
let seq = 0;
const ev = (type: RecsEvent['type'], ms: number, extra: Partial<RecsEvent> = {}): RecsEvent => ({
  eventId: `q${++seq}`,
  type,
  userId: 'u1',
  productId: 'P1',
  timestamp: new Date(T0 + ms).toISOString(),
  ...extra,
});
const flagsOf = (gate: QualityGate, events: RecsEvent[]) => gate.assess(events).map((v) => v.flags);

test('a person browsing passes every check', () => {
  const gate = new QualityGate();
  const session = { sessionId: 's1' };
  const verdicts = gate.assess([
    ev('impression', 0, session),
    ev('impression', 0, session),
    ev('view', 1_000, session),
    ev('add_to_cart', 5_000, { ...session, quantity: 2 }),
    ev('search', 9_000, { ...session, productId: undefined, query: 'mug' }),
    ev('purchase', 20_000, { ...session, quantity: 2, price: 2.55 }),
  ]);
  assert.deepEqual(verdicts, Array(6).fill({ flags: [], drop: false }));
});

test('bot rates per shopper and per session: events past the limit in one minute are dropped', () => {
  const gate = new QualityGate({ maxUserEventsPerMinute: 5, maxSessionEventsPerMinute: 3 });
  const byUser = Array.from({ length: 7 }, (_, i) => ev('view', i * 1000, { productId: `P${i}` }));
  const verdicts = gate.assess(byUser);
  assert.deepEqual(
    verdicts.map((v) => v.drop),
    [false, false, false, false, false, true, true],
  );
  assert.deepEqual(verdicts[5]!.rejection, {
    field: 'event',
    message:
      'QUALITY: bot_user_rate: more than 5 interactive events of this shopper in one minute; not recorded',
  });
  assert.deepEqual(
    flagsOf(gate, [ev('view', 61_000, { productId: 'N' })]),
    [[]],
    'the next minute starts afresh',
  );
  const bySession = Array.from({ length: 4 }, (_, i) =>
    ev('click', 120_000 + i * 1000, { userId: `other${i}`, sessionId: 'shared', productId: `P${i}` }),
  );
  assert.deepEqual(flagsOf(gate, bySession).at(-1), ['bot_session_rate']);
});

test('inhuman intervals: a run of fast interactive events is a bot; equal timestamps say nothing', () => {
  const gate = new QualityGate({ fastStreak: 3, minHumanIntervalMs: 50 });
  const fast = Array.from({ length: 5 }, (_, i) =>
    ev('view', i * 10, { userId: 'fast', productId: `P${i}` }),
  );
  assert.deepEqual(flagsOf(gate, fast), [[], [], [], ['inhuman_interval'], ['inhuman_interval']]);
  const rounded = Array.from({ length: 6 }, (_, i) =>
    ev('view', 0, { userId: 'rounded', productId: `P${i}` }),
  );
  assert.ok(
    flagsOf(gate, rounded).every((f) => f.length === 0),
    'a producer rounding timestamps is not a bot',
  );
  const order = Array.from({ length: 6 }, (_, i) =>
    ev('purchase', i * 5, { userId: 'buyer', productId: `P${i}` }),
  );
  assert.ok(
    flagsOf(gate, order).every((f) => !f.includes('inhuman_interval')),
    'purchases are not interactive',
  );
});

test('a purchase of a product the session never viewed is flagged, not dropped', () => {
  const gate = new QualityGate();
  const verdicts = gate.assess([
    ev('view', 0, { sessionId: 's', productId: 'A' }),
    ev('purchase', 1000, { sessionId: 's', productId: 'A' }),
    ev('purchase', 2000, { sessionId: 's', productId: 'B' }),
    ev('purchase', 3000, { productId: 'C' }),
  ]);
  assert.deepEqual(
    verdicts.map((v) => [v.flags, v.drop]),
    [
      [[], false],
      [[], false],
      [['impossible_sequence'], false],
      [[], false],
    ],
  );
});

test('duplicate content under another eventId and quantity outliers are dropped; observe mode only flags', () => {
  const twice = [ev('add_to_cart', 0, { quantity: 1 }), ev('add_to_cart', 0, { quantity: 1 })];
  const quantity = ev('purchase', 5000, { quantity: 5000, productId: 'Z' });
  const enforce = new QualityGate();
  assert.deepEqual(
    enforce.assess([...twice, quantity]).map((v) => [v.flags, v.drop, v.rejection?.field]),
    [
      [[], false, undefined],
      [['duplicate_content'], true, 'event'],
      [['quantity_outlier'], true, 'quantity'],
    ],
  );
  const observe = new QualityGate({ mode: 'observe' });
  assert.deepEqual(
    observe.assess([...twice, quantity]).map((v) => [v.flags, v.drop]),
    [
      [[], false],
      [['duplicate_content'], false],
      [['quantity_outlier'], false],
    ],
  );
});

test('a retry of the same eventId is no content duplicate and does not count twice', () => {
  const gate = new QualityGate({ maxUserEventsPerMinute: 2 });
  const batch = [ev('view', 0, { userId: 'r' }), ev('view', 1000, { userId: 'r', productId: 'P2' })];
  assert.deepEqual(flagsOf(gate, batch), [[], []]);
  assert.deepEqual(flagsOf(gate, batch), [[], []], 'the same batch again');
  assert.deepEqual(flagsOf(gate, [ev('view', 2000, { userId: 'r', productId: 'P3' })]), [['bot_user_rate']]);
});

test('duplicates are forgotten after the window; the state expires', () => {
  let now = 0;
  const gate = new QualityGate({ duplicateWindowMs: 1000, now: () => now });
  const e = ev('view', 0);
  assert.deepEqual(flagsOf(gate, [e]), [[]]);
  now = 2000;
  assert.deepEqual(flagsOf(gate, [{ ...e, eventId: 'again' }]), [[]]);
});

test('price outliers against the median price', () => {
  const gate = new QualityGate({ priceOutlierRatio: 10 });
  const buy = (price: number) => ev('purchase', 0, { price });
  assert.equal(gate.isPriceOutlier(buy(2.5), 2), false);
  assert.equal(gate.isPriceOutlier(buy(25), 2), true);
  assert.equal(gate.isPriceOutlier(buy(0.1), 2), true);
  assert.equal(gate.isPriceOutlier(buy(25), undefined), false, 'no reference, no verdict');
  assert.equal(gate.isPriceOutlier(ev('view', 0, { price: 99 }), 2), false, 'only purchases');
});
