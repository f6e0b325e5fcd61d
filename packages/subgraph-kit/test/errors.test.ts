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
    required: String!
    echo(n: Int!): Int
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
        required: () => null,
        echo: (_: unknown, args: { n: number }) => args.n,
      },
    },
  });
  const ask = async (query: string, variables?: Record<string, unknown>) => {
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
      payload: { query, variables },
    });
    return res.json() as {
      data?: unknown;
      errors: { message: string; path?: unknown; extensions?: { code?: string } }[];
    };
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

    // Null for a non-null field is a bug too.
    const nullBug = await ask('{ required }');
    assert.equal(nullBug.errors[0]!.extensions?.code, ErrorCode.INTERNAL_SERVER_ERROR);
    assert.equal(nullBug.errors[0]!.message, 'internal error');

    // Mercurius compiles an operation with graphql-jit from its second use: the answers must not change.
    const cases: [string, Record<string, unknown>?][] = [
      ['{ broken }'],
      ['{ refused(country: "DE") }'],
      ['{ required }'],
      ['query Echo($n: Int!) { echo(n: $n) }', { n: 7 }],
      ['query Echo($n: Int!) { echo(n: $n) }', { n: 'seven' }],
    ];
    for (const [text, variables] of cases) {
      const query = `${text}\n# a text not asked before: its first answer is interpreted`;
      const first = await ask(query, variables);
      for (let i = 0; i < 2; i++) assert.deepEqual(await ask(query, variables), first, `${text} asked again`);
    }
    assert.deepEqual((await ask('query Echo($n: Int!) { echo(n: $n) }', { n: 7 })).data, { echo: 7 });
  } finally {
    await app.close();
  }
});
