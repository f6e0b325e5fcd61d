import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  ErrorCode,
  RecsError,
  badInput,
  canReadUser,
  canWriteUser,
  isValidId,
  normaliseUserId,
  type ErasureResult,
} from '@recs/core';
import { productActivity, userActivity } from '@recs/events';
import type { DriftMonitor, FeatureRecord } from '@recs/feature-store';
import type { SubgraphContext } from '@recs/subgraph-kit';
import type { FeatureLoaders } from './loaders';
import type { Privacy } from './privacy';
import { MAX_EVENTS_PER_MUTATION, recordEvents, type RecordDeps } from './recordEvents';

type Ctx = SubgraphContext<FeatureLoaders>;

/** What the resolvers need; the app injects it. */
export interface ResolverDeps {
  record: RecordDeps;
  privacy: Privacy;
  /** Counts what `forgetUser` erased (metrics). */
  onErased?: (results: ErasureResult[]) => void;
  drift?: { modelVersion: string; monitor: DriftMonitor };
}

/** A user id argument, normalised; `who` names the argument in the error. */
function userIdArg(raw: string, who: string): string {
  if (!isValidId(raw)) throw badInput(who, 'must be a user id of 1..64 printable characters', raw);
  return normaliseUserId(raw);
}

/** Refuses unless the caller is the shopper themself or holds an admin key. */
function mayChange(ctx: Ctx, userId: string, what: string): void {
  if (!canWriteUser(ctx.principal, userId)) {
    throw new RecsError(ErrorCode.FORBIDDEN, `only the shopper or an admin key may ${what}`);
  }
}

function withFreshness(record: FeatureRecord | null): Record<string, unknown> | null {
  return record ? { ...record.values, updatedAt: new Date(record.updatedAt).toISOString() } : null;
}

/** Stock is an Int in the API; a fractional value written by another tool is truncated. */
const whole = (n: number | null) => (n === null ? null : Math.trunc(n));

/** Resolvers of the features subgraph; access to a user's data is checked on the reference. */
export function createResolvers(deps: ResolverDeps): GraphQLResolverMap<Ctx> {
  return {
    Query: {
      featureDrift: (_: unknown, _args: unknown, ctx: Ctx) => {
        if (ctx.principal.kind !== 'service') {
          throw new RecsError(ErrorCode.FORBIDDEN, 'feature drift is for service and admin keys');
        }
        return {
          modelVersion: deps.drift?.modelVersion ?? null,
          features: deps.drift?.monitor.report() ?? [],
        };
      },
    },
    Mutation: {
      recordEvents: (_: unknown, args: { events: unknown[] }, ctx: Ctx) => {
        if (args.events.length > MAX_EVENTS_PER_MUTATION) {
          throw badInput('events', `must hold at most ${MAX_EVENTS_PER_MUTATION} events`, args.events.length);
        }
        return recordEvents(ctx.principal, args.events, deps.record);
      },
      forgetUser: async (_: unknown, args: { id: string }, ctx: Ctx) => {
        const userId = userIdArg(args.id, 'id');
        mayChange(ctx, userId, 'forget a shopper');
        const results = await deps.privacy.forget(userId);
        deps.onErased?.(results);
        const failed = results.filter((r) => r.error !== undefined);
        if (failed.length > 0) {
          throw new RecsError(
            ErrorCode.BACKEND_UNAVAILABLE,
            `forgetting the shopper is incomplete: ${failed.map((f) => f.name).join(', ')} failed; retry (forgetting is idempotent)`,
            { failed: failed.map((f) => f.name) },
          );
        }
        return { userId, erased: results.map((r) => ({ store: r.name, removed: r.removed })) };
      },
      setPersonalization: async (_: unknown, args: { optOut: boolean; userId?: string | null }, ctx: Ctx) => {
        let userId: string;
        if (args.userId != null) userId = userIdArg(args.userId, 'userId');
        else if (ctx.principal.kind === 'user') userId = ctx.principal.userId;
        else throw badInput('userId', 'is required with an API key (a shopper token implies it)', null);
        mayChange(ctx, userId, "change the shopper's personalisation");
        await deps.privacy.setOptOut(userId, args.optOut);
        return { userId, personalizationOptOut: args.optOut };
      },
    },
    User: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => {
        const id = userIdArg(ref.id, 'id');
        if (!canReadUser(ctx.principal, id)) {
          throw new RecsError(ErrorCode.FORBIDDEN, 'a shopper may only read their own features');
        }
        return { id };
      },
      features: async (user: { id: string }, _args: unknown, ctx: Ctx) =>
        withFreshness(await ctx.loaders.user.load(user.id)),
      activity: async (user: { id: string }, _args: unknown, ctx: Ctx) =>
        userActivity(await ctx.loaders.liveUser.load(user.id)),
      personalizationOptOut: (user: { id: string }, _args: unknown, ctx: Ctx) =>
        ctx.loaders.optOut.load(user.id),
    },
    UserFeatures: {
      categoryPreferences: (f: { categoryPreferences?: unknown }) =>
        (Array.isArray(f.categoryPreferences) ? (f.categoryPreferences as string[]) : []).map((entry) => {
          const at = entry.lastIndexOf(':');
          return { category: entry.slice(0, at), share: Number(entry.slice(at + 1)) };
        }),
      priceSensitivity: (f: { priceSensitivity?: unknown }) =>
        typeof f.priceSensitivity === 'number' ? f.priceSensitivity : null,
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
