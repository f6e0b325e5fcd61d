import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { SourceTimeoutError, withTimeout } from '../src/withTimeout';

/** Keeps the event loop busy for `ms`, the way a long request or a garbage collection does. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* busy */
  }
}

test('withTimeout rejects work that is still running after its budget', async () => {
  const never = new Promise<string>(() => {});
  await assert.rejects(withTimeout(never, 20, 'slow source'), (err: unknown) => {
    assert.ok(err instanceof SourceTimeoutError);
    assert.match((err as Error).message, /slow source took longer than 20 ms/);
    return true;
  });
});

test('withTimeout resolves with work that finishes inside its budget', async () => {
  assert.equal(await withTimeout(Promise.resolve('ok'), 20, 'fast source'), 'ok');
});

test('an answer that arrived while this process was blocked beats the budget', async () => {
  // A backend connection as the graph driver has one: the backend writes its answer into the socket
  // while this process is blocked past the budget, so the timer and the answer are both due when the
  // loop wakes up. The backend answered in time; the stall was ours.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  const [backend] = await accepted;
  try {
    for (let i = 0; i < 5; i++) {
      const answer = once(client, 'data').then(([chunk]) => String(chunk));
      const raced = withTimeout(answer, 20, 'backend');
      backend.write(`answer ${i}`);
      block(80);
      assert.equal(await raced, `answer ${i}`);
    }
  } finally {
    client.destroy();
    backend.destroy();
    server.close();
  }
});
