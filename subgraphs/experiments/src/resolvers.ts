import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { ErrorCode, RecsError, badInput, canReadUser, isValidId, normaliseUserId } from '@recs/core';
import { assign, type Experiment } from '@recs/experiments';
import type { SubgraphContext } from '@recs/subgraph-kit';

type Ctx = SubgraphContext<Record<string, never>>;

/** Resolvers of the experiments subgraph over a validated experiment set. */
export function buildResolvers(experiments: () => readonly Experiment[]): GraphQLResolverMap<Ctx> {
  return {
    Query: {
      experiments: (_: unknown, _args: unknown, ctx: Ctx) => {
        if (ctx.principal.kind !== 'service') {
          throw new RecsError(ErrorCode.FORBIDDEN, 'experiments are visible to service and admin keys only');
        }
        return experiments();
      },
    },
    User: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => {
        if (!isValidId(ref.id)) throw badInput('id', 'must be a user id', ref.id);
        const id = normaliseUserId(ref.id);
        if (!canReadUser(ctx.principal, id)) {
          throw new RecsError(ErrorCode.FORBIDDEN, 'a shopper may only read their own assignments');
        }
        return { id };
      },
      experiments: (user: { id: string }) => assign(user.id, experiments()),
    },
  };
}
