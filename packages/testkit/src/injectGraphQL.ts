import type { FastifyInstance } from 'fastify';
import { HEADERS } from '@recs/core';

/**
 * Posts a GraphQL operation to a subgraph app in process (`app.inject`) the way the gateway does: its
 * shared secret and the caller's principal headers. Resolves to the parsed body.
 */
export async function injectGraphQL<B>(
  app: FastifyInstance,
  secret: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  headers: Record<string, string>,
): Promise<B> {
  const res = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', [HEADERS.gatewaySecret]: secret, ...headers },
    payload: { query, variables },
  });
  return res.json() as B;
}
