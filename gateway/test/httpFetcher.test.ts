import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { httpFetcher } from '../src/httpFetcher';

/** A real local server: echoes the request, or misbehaves on the paths below. */
const sockets = new Set<unknown>();
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  sockets.add(req.socket);
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 500);
    if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(Buffer.alloc(4096, 0x20));
    }
    if (req.url === '/fail') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      return void res.end('closing');
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=5' });
    res.end(
      JSON.stringify({
        method: req.method,
        length: req.headers['content-length'],
        caller: req.headers['x-caller'],
        body: JSON.parse(body),
      }),
    );
  });
});
let base = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('sends the body with its length and headers, and keeps the connection alive', async () => {
  const fetcher = httpFetcher({ timeoutMs: 2000 });
  const body = JSON.stringify({ query: '{ ok }', variables: { name: 'Zoë' } });
  for (let i = 0; i < 5; i++) {
    const res = await fetcher(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-caller': 'gateway' },
      body,
    });
    assert.equal(res.ok, true);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Content-Type'), 'application/json');
    assert.equal(res.headers.get('cache-control'), 'max-age=5');
    assert.equal(res.headers.get('x-missing'), null);
    assert.deepEqual(await res.json(), {
      method: 'POST',
      length: String(Buffer.byteLength(body)),
      caller: 'gateway',
      body: { query: '{ ok }', variables: { name: 'Zoë' } },
    });
  }
  assert.equal(sockets.size, 1, 'one keep-alive socket served every call');
});

test('an error status comes back as a response; timeouts, refused connections and oversized bodies reject naming the URL', async () => {
  const fetcher = httpFetcher({ timeoutMs: 200, maxBodyBytes: 1024 });
  const failed = await fetcher(`${base}/fail`, { method: 'POST', body: '{}' });
  assert.equal(failed.ok, false);
  assert.equal(failed.status, 503);
  assert.equal(failed.statusText, 'Service Unavailable');
  assert.equal(await failed.text(), 'closing');
  await assert.rejects(fetcher(`${base}/slow`, { method: 'POST', body: '{}' }), {
    name: 'SubgraphFetchError',
    message: `subgraph did not answer within 200 ms (${base}/slow)`,
  });
  await assert.rejects(fetcher(`${base}/huge`, { method: 'POST', body: '{}' }), /larger than 1024 bytes/);
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(
    fetcher(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' }),
    new RegExp(`subgraph request failed: connect ECONNREFUSED .*\\(http://127.0.0.1:${port}/graphql\\)`),
  );
  await assert.rejects(fetcher('ftp://127.0.0.1/x', {}), /must be http or https/);
});
