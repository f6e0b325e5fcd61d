import type { FastifyBaseLogger } from 'fastify';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { ErrorCode } from '@recs/core';

interface FormatterContext {
  reply?: { log: FastifyBaseLogger };
  app: { log: FastifyBaseLogger };
}

/**
 * Mercurius's error formatter for the subgraphs. Mercurius's default logs every error at info level
 * with its message (which may echo the caller's input) and returns any thrown error's message to the
 * caller. Here:
 * - an error a resolver threw on purpose (a `GraphQLError` with a code, such as `RecsError`) and the
 *   errors about the request itself (validation, variables) reach the caller unchanged, and are logged
 *   at debug level by code and path only;
 * - any other error (a bug, a driver's exception, null for a non-null field) reaches the caller as
 *   INTERNAL_SERVER_ERROR "internal error", and its detail is logged at error level, server-side only.
 * Mercurius compiles an operation with graphql-jit from its second use, so every case must give the
 * same answer interpreted and compiled (`test/errors.test.ts` asks each operation three times).
 * The status code follows Mercurius's default: 200 with data, else the single error's `statusCode`.
 */
export function subgraphErrorFormatter(
  execution: ExecutionResult & { statusCode?: number },
  ctx: FormatterContext,
): { statusCode: number; response: ExecutionResult } {
  const log = ctx.reply ? ctx.reply.log : ctx.app.log;
  const errors = (execution.errors ?? []).flatMap((error): GraphQLError[] => {
    const original = error.originalError as (Error & { errors?: unknown[] }) | undefined;
    // Mercurius's request errors (validation) carry the GraphQL errors they wrap.
    if (original && Array.isArray(original.errors)) {
      return original.errors.map((e) =>
        e instanceof GraphQLError ? e : new GraphQLError(String((e as Error)?.message ?? e)),
      );
    }
    const code = error.extensions?.code;
    // A resolver that returned null for a non-null field is a bug. graphql-js reports it with an
    // `originalError`; graphql-jit (compiled operations, from an operation's second use) without one.
    const nullBug = !original && error.message.startsWith('Cannot return null for non-nullable field');
    const reported =
      typeof code === 'string' ||
      (original ? original instanceof GraphQLError || isMercuriusError(original) : !nullBug);
    if (reported) {
      log.debug({ code: typeof code === 'string' ? code : undefined, path: error.path }, 'graphql error');
      return [error];
    }
    log.error(
      { err: original ?? { message: error.message }, path: error.path },
      'unexpected error in a resolver',
    );
    const internal = new GraphQLError('internal error', {
      nodes: error.nodes,
      positions: error.positions,
      path: error.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    });
    // graphql-jit's errors carry their locations but not the nodes they were computed from
    if (!internal.locations && error.locations) Object.assign(internal, { locations: error.locations });
    return [internal];
  });
  let statusCode = execution.data ? 200 : (execution.statusCode ?? 200);
  if (!execution.data && execution.statusCode === undefined && execution.errors?.length === 1) {
    const original = execution.errors[0]!.originalError as { statusCode?: unknown } | undefined;
    statusCode = typeof original?.statusCode === 'number' ? original.statusCode : 200;
  }
  return { statusCode, response: { data: execution.data ?? null, errors } };
}

/** Mercurius's own errors (`MER_ERR_...`: persisted queries, batching, limits) describe the request. */
function isMercuriusError(err: Error & { code?: unknown }): boolean {
  return typeof err.code === 'string' && err.code.startsWith('MER_ERR_');
}
