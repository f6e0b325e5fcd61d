/**
 * PUSH end to end on real Redis: a shopper views a product through the event API, the catalogue feed
 * reports it out of stock and then back, and the next `pushNotification` announces it (deliverable at
 * once, or after the quiet hours of the shopper's local time); once a send is recorded, the frequency
 * cap holds the next one back.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startStack, testRedis, type GraphQLBody, type Stack } from '@recs/testkit';

let stack: Stack;
before(async () => {
  stack = await startStack({ redisUrl: (await testRedis()).url, cacheTtlSeconds: 30 });
});
after(async () => {
  await stack?.stop();
});

const RECORD = `mutation ($events: [EventInput!]!) { recordEvents(events: $events) { accepted rejected { message } } }`;
const PUSH = `query ($id: ID!, $time: String) { user(id: $id) {
  pushNotification(context: { time: $time }) { send reason trigger title body deliverAfter items { product { id } reasonCode reason } }
  recommendations(surface: PUSH, limit: 5) { items { product { id } reasonCode } } } }`;

type Push = {
  send: boolean;
  reason: string | null;
  trigger: string | null;
  title: string | null;
  deliverAfter: string | null;
  items: { product: { id: string }; reasonCode: string }[];
};

async function ok(res: Promise<{ status: number; body: GraphQLBody }>): Promise<Record<string, unknown>> {
  const { body } = await res;
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data!;
}

test('a viewed product back in stock becomes a push; the frequency cap holds the next one', async () => {
  const uid = `push-${randomBytes(4).toString('hex')}`;
  const self = { authorization: `Bearer ${stack.userToken(uid)}` };
  const admin = { 'x-api-key': stack.adminKey };
  const at = (s: number) => new Date(Date.now() - 600_000 + s * 1000).toISOString();
  await ok(
    stack.query(
      {
        query: RECORD,
        variables: {
          events: [{ eventId: `${uid}-v`, type: 'VIEW', userId: uid, productId: '22726', timestamp: at(1) }],
        },
      },
      self,
    ),
  );
  await ok(
    stack.query(
      {
        query: RECORD,
        variables: {
          events: [
            { eventId: `${uid}-s0`, type: 'STOCK', productId: '22726', quantity: 0, timestamp: at(2) },
            { eventId: `${uid}-s1`, type: 'STOCK', productId: '22726', quantity: 10, timestamp: at(3) },
          ],
        },
      },
      admin,
    ),
  );
  let push: Push | undefined;
  for (let tries = 0; tries < 200; tries++) {
    const data = await ok(
      stack.query({ query: PUSH, variables: { id: uid, time: '2026-11-29T14:00:00' } }, self),
    );
    push = (data.user as { pushNotification: Push }).pushNotification;
    if (push.send) break;
    await delay(25);
  }
  assert.ok(push?.send, `no push: ${push?.reason}`);
  assert.equal(push.trigger, 'BACK_IN_STOCK');
  assert.match(push.title!, /is back in stock$/);
  assert.equal(push.deliverAfter, null, '14:00 local is not a quiet hour');
  assert.deepEqual(
    push.items.map((i) => [i.product.id, i.reasonCode]),
    [['22726', 'BACK_IN_STOCK']],
  );
  // at 23:30 local it waits for the morning
  const night = await ok(
    stack.query({ query: PUSH, variables: { id: uid, time: '2026-11-29T23:30:00' } }, self),
  );
  const quiet = (night.user as { pushNotification: Push }).pushNotification;
  assert.ok(quiet.send && quiet.deliverAfter, JSON.stringify(quiet));
  const list = (night.user as { recommendations: { items: { product: { id: string } }[] } }).recommendations;
  assert.deepEqual(
    list.items.map((i) => i.product.id),
    ['22726'],
    'the PUSH surface lists the trigger’s products',
  );
  await ok(stack.query({ query: `mutation { recordPushSend(userId: "${uid}") }` }, self));
  const capped = await ok(stack.query({ query: PUSH, variables: { id: uid } }, self));
  const after = capped.user as { pushNotification: Push; recommendations: { items: unknown[] } };
  assert.equal(after.pushNotification.send, false);
  assert.match(after.pushNotification.reason!, /frequency cap/);
  assert.deepEqual(after.recommendations.items, [], 'the cache was dropped by recordPushSend');
  // another shopper's send is refused
  const other = await stack.query({ query: `mutation { recordPushSend(userId: "someone-else") }` }, self);
  assert.equal(other.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
});
