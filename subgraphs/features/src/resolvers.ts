import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { ErrorCode, RecsError, badInput, canReadUser, isValidId, normaliseUserId } from '@recs/core';
import type { FeatureRecord } from '@recs/feature-store';
import type { SubgraphContext } from '@recs/subgraph-kit';
import type { FeatureLoaders } from './loaders';

type Ctx = SubgraphContext<FeatureLoaders>;

function withFreshness(record: FeatureRecord | null): Record<string, unknown> | null {
  return record ? { ...record.values, updatedAt: new Date(record.updatedAt).toISOString() } : null;
}

/** Resolvers of the features subgraph; access to a user's features is checked on the reference. */
export const resolvers: GraphQLResolverMap<Ctx> = {
  User: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => {
      if (!isValidId(ref.id)) throw badInput('id', 'must be a user id', ref.id);
      const id = normaliseUserId(ref.id);
      if (!canReadUser(ctx.principal, id)) {
        throw new RecsError(ErrorCode.FORBIDDEN, 'a shopper may only read their own features');
      }
      return { id };
    },
    features: async (user: { id: string }, _args: unknown, ctx: Ctx) =>
      withFreshness(await ctx.loaders.user.load(user.id)),
  },
  Product: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    features: async (product: { id: string }, _args: unknown, ctx: Ctx) =>
      withFreshness(await ctx.loaders.product.load(product.id)),
  },
};
