import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { ErrorCode, HEADERS, badInput, type Logger } from '@recs/core';
import { buildSubgraphApp } from '../src/buildSubgraphApp';

const TYPE_DEFS = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query {
    broken: String
    refused(country: String!): String
  }
`;

test('unexpected resolver errors reach the caller as INTERNAL_SERVER_ERROR, their detail only the log', async () => {
  const lines: { level: number; msg: string; err?: { message: string } }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink) as unknown as Logger;
  const secret = 's'.repeat(32);
  const app = await buildSubgraphApp({
    name: 'errors-test',
    typeDefs: TYPE_DEFS,
    gatewaySecret: secret,
    logger,
    loaders: () => ({}),
    resolvers: {
      Query: {
        broken: () => {
          throw new Error('connection to bolt://db:7687 refused (user neo4j)');
        },
        refused: (_: unknown, args: { country: string }) => {
          throw badInput('country', 'must be an ISO 3166-1 alpha-2 code like "DE"', args.country);
        },
      },
    },
  });
  const ask = async (query: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: {
        'content-type': 'application/json',
        [HEADERS.gatewaySecret]: secret,
        [HEADERS.principalKind]: 'service',
        [HEADERS.principalRole]: 'service',
        [HEADERS.principalUser]: 'test',
      },
      payload: { query },
    });
    return res.json() as { errors: { message: string; extensions?: { code?: string } }[] };
  };
  try {
    const broken = await ask('{ broken }');
    assert.equal(broken.errors[0]!.message, 'internal error');
    assert.equal(broken.errors[0]!.extensions?.code, ErrorCode.INTERNAL_SERVER_ERROR);
    assert.doesNotMatch(JSON.stringify(broken), /bolt|neo4j/);
    const logged = lines.find((l) => l.msg === 'unexpected error in a resolver');
    assert.match(logged?.err?.message ?? '', /refused/, 'the detail is logged server-side');
    assert.equal(logged?.level, 50);

    // A deliberate error keeps its code and message; the echoed input is not logged at info.
    const refused = await ask('{ refused(country: "Narnia-secret-input") }');
    assert.equal(refused.errors[0]!.extensions?.code, ErrorCode.BAD_USER_INPUT);
    assert.match(refused.errors[0]!.message, /^country/);
    // Errors about the request itself stay as GraphQL wrote them.
    const invalid = await ask('{ nope }');
    assert.match(invalid.errors[0]!.message, /nope/);
    assert.ok(!lines.some((l) => JSON.stringify(l).includes('Narnia-secret-input')), 'input not logged');
  } finally {
    await app.close();
  }
});
