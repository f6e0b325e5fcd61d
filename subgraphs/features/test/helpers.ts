import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { HEADERS } from '@recs/core';
import { injectGraphQL } from '@recs/testkit/services';

/** The gateway's shared secret of the features subgraph tests. */
export const SECRET = 'test-gateway-secret';

/** Caller headers as the gateway sends them. */
export const service = { [HEADERS.principalKind]: 'service', [HEADERS.principalRole]: 'service' };
export const admin = { [HEADERS.principalKind]: 'service', [HEADERS.principalRole]: 'admin' };
export const shopper = (id: string) => ({ [HEADERS.principalKind]: 'user', [HEADERS.principalUser]: id });

export type Body = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
};

/** Posts a GraphQL operation to the subgraph the way the gateway does (secret and caller headers). */
export async function gqlOn(
  app: FastifyInstance,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<Body> {
  return injectGraphQL<Body>(app, SECRET, query, variables, headers);
}

/** Polls until `done()`; the 10 s deadline only bounds a hang. */
export async function eventually(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what}`);
    await delay(20);
  }
}
