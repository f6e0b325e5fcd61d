import type { FastifyInstance } from 'fastify';
import { injectGraphQL } from '@recs/testkit/services';

/** The gateway's shared secret of the experiments subgraph tests. */
export const SECRET = 'test-gateway-secret';

export type Body = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
};

/** Posts a GraphQL operation to the subgraph the way the gateway does (secret and caller headers). */
export async function gqlOn(
  app: FastifyInstance,
  query: string,
  headers: Record<string, string>,
  variables?: Record<string, unknown>,
): Promise<Body> {
  return injectGraphQL<Body>(app, SECRET, query, variables, headers);
}
