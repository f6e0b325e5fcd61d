import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { ErrorCode, RecsError, badInput, canReadUser, isValidId, normaliseUserId } from '@recs/core';
import { SURFACES, assign, type Experiment, type Surface } from '@recs/experiments';
import type { SubgraphContext } from '@recs/subgraph-kit';

type Ctx = SubgraphContext<Record<string, never>>;

/** Resolvers of the experiments subgraph over a validated experiment set. */
export function buildResolvers(experiments: () => readonly Experiment[]): GraphQLResolverMap<Ctx> {
  return {
    Query: {
      experiments: (_: unknown, _args: unknown, ctx: Ctx) => {
        requireService(ctx);
        return experiments();
      },
    },
    Experiment: {
      surfaces: (e: Experiment): readonly Surface[] => e.surfaces ?? SURFACES,
    },
    Product: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      experiments: (_product: { id: string }, _args: unknown, ctx: Ctx) => {
        requireService(ctx);
        return experiments().filter(
          (e) =>
            e.status === 'RUNNING' && (e.surfaces ?? SURFACES).some((s) => s === 'PRODUCT' || s === 'CART'),
        );
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

function requireService(ctx: Ctx): void {
  if (ctx.principal.kind !== 'service') {
    throw new RecsError(ErrorCode.FORBIDDEN, 'experiments are visible to service and admin keys only');
  }
}
