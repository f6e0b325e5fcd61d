import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { ErrorCode, RecsError, badInput, canReadUser, isValidId, normaliseUserId } from '@recs/core';
import { productActivity, userActivity } from '@recs/events';
import type { FeatureRecord } from '@recs/feature-store';
import type { SubgraphContext } from '@recs/subgraph-kit';
import type { FeatureLoaders } from './loaders';
import { MAX_EVENTS_PER_MUTATION, recordEvents, type RecordDeps } from './recordEvents';

type Ctx = SubgraphContext<FeatureLoaders>;

function withFreshness(record: FeatureRecord | null): Record<string, unknown> | null {
  return record ? { ...record.values, updatedAt: new Date(record.updatedAt).toISOString() } : null;
}

/** Stock is an Int in the API; a fractional value written by another tool is truncated. */
const whole = (n: number | null) => (n === null ? null : Math.trunc(n));

/** Resolvers of the features subgraph; access to a user's data is checked on the reference. */
export function createResolvers(deps: RecordDeps): GraphQLResolverMap<Ctx> {
  return {
    Mutation: {
      recordEvents: (_: unknown, args: { events: unknown[] }, ctx: Ctx) => {
        if (args.events.length > MAX_EVENTS_PER_MUTATION) {
          throw badInput('events', `must hold at most ${MAX_EVENTS_PER_MUTATION} events`, args.events.length);
        }
        return recordEvents(ctx.principal, args.events, deps);
      },
    },
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
      activity: async (user: { id: string }, _args: unknown, ctx: Ctx) =>
        userActivity(await ctx.loaders.liveUser.load(user.id)),
    },
    Product: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      features: async (product: { id: string }, _args: unknown, ctx: Ctx) =>
        withFreshness(await ctx.loaders.product.load(product.id)),
      activity: async (product: { id: string }, _args: unknown, ctx: Ctx) => {
        if (!isValidId(product.id)) throw badInput('id', 'must be a product id', product.id);
        const a = productActivity(await ctx.loaders.liveProduct.load(product.id));
        return { ...a, stock: whole(a.stock) };
      },
    },
  };
}
