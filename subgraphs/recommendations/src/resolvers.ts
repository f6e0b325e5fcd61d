import { createHash } from 'node:crypto';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  ErrorCode,
  RecsError,
  badInput,
  canReadUser,
  canWriteUser,
  isAdmin,
  isValidId,
  normaliseProductId,
  normaliseUserId,
} from '@recs/core';
import type { SubgraphContext } from '@recs/subgraph-kit';
import type { FeatureContribution, RecommendationResult, RecommendedItem } from './Recommendation';
import type { ServedListLog, ServingPlan } from './experiments/ServingExperiments';
import type { RankedRow } from './LearnedRanker';
import { BackendBusyError, type PushResult } from './Recommender';
import {
  parseRecommendationRequest,
  type RecommendationContextInput,
  type RecommendationRequest,
  type Surface,
} from './RecommendationRequest';

/** What the resolvers need; the app injects it. */
export interface RecommendationsDeps {
  /** The experiment assignments of a request and the variant configuration they serve. */
  plan(req: RecommendationRequest): ServingPlan;
  /** Serves a request under a plan; returns the plan actually served (a variant whose model is not loaded yet serves the control, unlogged). */
  recommend(
    req: RecommendationRequest,
    plan: ServingPlan,
  ): Promise<RecommendationResult & { plan: ServingPlan }>;
  /** Logs the exposure of a served list (fire and forget). */
  logExposure(plan: ServingPlan, e: Omit<ServedListLog, 'covariate'>): void;
  /** Co-purchase neighbours of one product; throws when the graph is unavailable. */
  boughtTogether(productId: string, limit: number): Promise<RecommendedItem[]>;
  /** The same from the model's own co-purchase pairs, when the graph fails. */
  boughtTogetherFromModel?(productId: string, limit: number): Promise<RecommendedItem[]>;
  /** Substitutes of one product; undefined when the model version has no content model. */
  similar(productId: string, limit: number): RecommendedItem[] | undefined;
  /** The shopper's "do not show" choices and their changes (each resolves to the new state). */
  hidden(userId: string): Promise<HiddenFromRecommendations>;
  changeHidden(userId: string, change: HiddenChange): Promise<HiddenFromRecommendations>;
  setVerifiedAdult(userId: string, verified: boolean): Promise<void>;
  recordEmailSend(userId: string, productIds: string[]): Promise<void>;
  recordPushSend(userId: string): Promise<void>;
  push(req: RecommendationRequest): Promise<PushResult>;
  /** The ranker's feature contributions for one served item's feature row. */
  contributions(ranked: RankedRow): FeatureContribution[];
  /** The categories a shopper may hide (the catalogue's). */
  categories(): ReadonlySet<string>;
}

export interface HiddenFromRecommendations {
  productIds: string[];
  categories: string[];
}

export interface HiddenChange {
  hide: boolean;
  productId?: string;
  category?: string;
}

interface HideArgs {
  userId: string;
  productId?: string | null;
  category?: string | null;
}

export type Ctx = SubgraphContext<Record<string, never>>;

interface UserRef {
  id: string;
}
interface RecommendationsArgs {
  surface: Surface;
  limit?: number | null;
  context?: RecommendationContextInput | null;
}
type ServedList = RecommendationResult & {
  surface: Surface;
  userId: string;
  plan?: ServingPlan;
  /** The validated request, JSON, kept with the exposure for offline replay. */
  request?: string;
};

/** Request ids handed out per GraphQL request: the first list gets the request's id, later ones a suffix. */
const listIds = new WeakMap<object, Map<ServedList, string>>();

/** The id a served list is attributed by: unique per list, even when one query asks for several. */
function listRequestId(list: ServedList, ctx: Ctx): string {
  let ids = listIds.get(ctx);
  if (!ids) listIds.set(ctx, (ids = new Map()));
  let id = ids.get(list);
  if (!id) {
    id = ids.size === 0 ? ctx.requestId : `${ctx.requestId}-${ids.size + 1}`;
    ids.set(list, id);
  }
  return id;
}

/** Milliseconds since the subgraph received the request (Fastify's reply timer). */
function elapsedMs(ctx: Ctx): number {
  return (ctx as { reply?: { elapsedTime?: number } }).reply?.elapsedTime ?? 0;
}

/** One surface's list for one user under the request's experiment plan. */
async function serve(deps: RecommendationsDeps, req: RecommendationRequest): Promise<ServedList> {
  const { plan, ...result } = await deps.recommend(req, deps.plan(req));
  const first = result.personalised === false ? undefined : plan.assignments.find((a) => a.logged);
  return {
    ...result,
    surface: req.surface,
    userId: req.userId,
    plan,
    ...(first
      ? {
          experiment: first.experimentId,
          variant: first.variant,
          // kept with the exposure for offline replay; lists outside experiments do not need it
          request: JSON.stringify({ surface: req.surface, limit: req.limit, context: req.context }),
        }
      : {}),
  };
}

/**
 * Resolves a user reference only for callers allowed to read that user's data. This is where access
 * is enforced: every `User` this subgraph resolves passes through here (Query.user or an entity
 * reference from the gateway), so field caches below it never serve one user's data to another.
 */
export function authorisedUser(rawId: string, ctx: Ctx): UserRef {
  if (!isValidId(rawId)) throw badInput('id', 'must be a user id of 1..64 printable characters', rawId);
  const id = normaliseUserId(rawId);
  if (!canReadUser(ctx.principal, id)) {
    throw new RecsError(ErrorCode.FORBIDDEN, 'a shopper may only read their own recommendations');
  }
  return { id };
}

/**
 * Key of a cached recommendation list: everything the answer depends on, explicitly: user, surface,
 * limit, context hash, model version and the experiment plan (logged variants and the served config).
 * `context.time` enters as its hour: a frontend that sends the shopper's clock with every request
 * would otherwise make every key unique, and within one hour (and the cache's short TTL) the answer's
 * time features and rules do not change in a way worth a miss. A time that does not parse stays as
 * given (the resolver then rejects it).
 */
export function recommendationsCacheKey(
  userId: string,
  args: RecommendationsArgs,
  modelVersion: string,
  planKey = 'control',
): string {
  const { time, ...rest } = args.context ?? {};
  const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  const keyed =
    time == null ? rest : { ...rest, time: Number.isNaN(ms) ? time : `hour:${Math.floor(ms / 3_600_000)}` };
  const context = createHash('sha256').update(JSON.stringify(keyed)).digest('base64url').slice(0, 16);
  return `recs:${modelVersion}:${userId}:${args.surface}:${args.limit ?? 10}:${context}:${planKey}`;
}

/** The experiment part of a request's cache key; invalid arguments get a key of their own (the resolver then fails). */
export function planKey(
  deps: Pick<RecommendationsDeps, 'plan'>,
  userId: string,
  args: RecommendationsArgs,
): string {
  try {
    return deps.plan(parseRecommendationRequest(userId, args.surface, args.limit, args.context)).key;
  } catch {
    return 'invalid';
  }
}

/**
 * Cache reference of everything cached for one user (invalidated when their preferences, cart or
 * purchases change), or of one surface's lists (HOME: invalidated by views and clicks).
 */
/** Cache reference of every cached list that shows a product (invalidated when it goes out of stock). */
export const productCacheReference = (productId: string): string => `product:${productId}`;

export const userCacheReference = (userId: string, surface?: string): string =>
  surface ? `user:${userId}:${surface}` : `user:${userId}`;

/** Validates a hide/unhide call and checks the caller may change this shopper's data. */
function hideChange(
  args: HideArgs,
  ctx: Ctx,
  hide: boolean,
  categories: ReadonlySet<string>,
): { userId: string; change: HiddenChange } {
  if (!isValidId(args.userId))
    throw badInput('userId', 'must be a user id of 1..64 printable characters', args.userId);
  const userId = normaliseUserId(args.userId);
  if (!canWriteUser(ctx.principal, userId)) {
    throw new RecsError(
      ErrorCode.FORBIDDEN,
      "only the shopper or an admin key may change the shopper's preferences",
    );
  }
  const hasProduct = args.productId != null;
  const hasCategory = args.category != null;
  if (hasProduct === hasCategory) {
    throw badInput('productId / category', 'exactly one of them must be given', {
      productId: args.productId,
      category: args.category,
    });
  }
  if (hasProduct) {
    if (!isValidId(args.productId!)) throw badInput('productId', 'must be a product id', args.productId);
    return { userId, change: { hide, productId: normaliseProductId(args.productId!) } };
  }
  const category = args.category!.trim().toLowerCase();
  if (hide && !categories.has(category)) {
    throw badInput(
      'category',
      `must be one of the catalogue's categories (${[...categories].sort().join(', ')})`,
      args.category,
    );
  }
  return { userId, change: { hide, category } };
}

export function buildResolvers(deps: RecommendationsDeps): GraphQLResolverMap<Ctx> {
  return {
    Mutation: {
      recordEmailSend: async (_: unknown, args: { userId: string; productIds: string[] }, ctx: Ctx) => {
        if (!isValidId(args.userId)) throw badInput('userId', 'must be a user id', args.userId);
        const userId = normaliseUserId(args.userId);
        if (!canWriteUser(ctx.principal, userId)) {
          throw new RecsError(ErrorCode.FORBIDDEN, 'only the shopper or an admin key may record sends');
        }
        if (args.productIds.length < 1 || args.productIds.length > 100) {
          throw badInput('productIds', 'must hold 1..100 product ids', `${args.productIds.length} ids`);
        }
        for (const id of args.productIds)
          if (!isValidId(id)) throw badInput('productIds', 'must hold product ids', id);
        await deps.recordEmailSend(userId, args.productIds.map(normaliseProductId));
        return true;
      },
      recordPushSend: async (_: unknown, args: { userId: string }, ctx: Ctx) => {
        if (!isValidId(args.userId)) throw badInput('userId', 'must be a user id', args.userId);
        const userId = normaliseUserId(args.userId);
        if (!canWriteUser(ctx.principal, userId) && ctx.principal.kind !== 'service') {
          throw new RecsError(ErrorCode.FORBIDDEN, 'only the shopper or a service key may record pushes');
        }
        await deps.recordPushSend(userId);
        return true;
      },
      hideFromRecommendations: (_: unknown, args: HideArgs, ctx: Ctx) => {
        const { userId, change } = hideChange(args, ctx, true, deps.categories());
        return deps.changeHidden(userId, change);
      },
      unhideFromRecommendations: (_: unknown, args: HideArgs, ctx: Ctx) => {
        const { userId, change } = hideChange(args, ctx, false, deps.categories());
        return deps.changeHidden(userId, change);
      },
      setVerifiedAdult: async (_: unknown, args: { userId: string; verified: boolean }, ctx: Ctx) => {
        if (!isAdmin(ctx.principal))
          throw new RecsError(ErrorCode.FORBIDDEN, 'only an admin key may verify ages');
        if (!isValidId(args.userId)) throw badInput('userId', 'must be a user id', args.userId);
        await deps.setVerifiedAdult(normaliseUserId(args.userId), args.verified);
        return args.verified;
      },
    },
    Query: {
      user: (_: unknown, args: { id: string }, ctx: Ctx) => authorisedUser(args.id, ctx),
      emailRecommendations: async (
        _: unknown,
        args: { userIds: string[]; limit?: number | null },
        ctx: Ctx,
      ) => {
        if (args.userIds.length < 1 || args.userIds.length > 100) {
          throw badInput('userIds', 'must hold 1..100 user ids', `${args.userIds.length} ids`);
        }
        const users = args.userIds.map((id) => authorisedUser(id, ctx));
        return Promise.all(
          users.map(async ({ id }) => ({
            userId: id,
            list: await serve(deps, parseRecommendationRequest(id, 'EMAIL', args.limit, {})),
          })),
        );
      },
      product: (_: unknown, args: { id: string }) => {
        if (!isValidId(args.id)) throw badInput('id', 'must be a product id', args.id);
        return { id: normaliseProductId(args.id) };
      },
    },
    EmailRecommendations: {
      list: (entry: { list: ServedList }) => entry.list,
    },
    User: {
      __resolveReference: (ref: UserRef, ctx: Ctx) => authorisedUser(ref.id, ctx),
      hiddenFromRecommendations: (user: UserRef) => deps.hidden(user.id),
      pushNotification: async (user: UserRef, args: { context?: RecommendationContextInput | null }) => {
        const push = await deps.push(parseRecommendationRequest(user.id, 'PUSH', 10, args.context));
        const items = push.items.map((item, i) => ({
          ...item,
          position: i + 1,
          product: { id: item.productId },
        }));
        if (!push.send) return { send: false, reason: push.reason, items };
        return {
          send: true,
          reason: null,
          trigger: push.trigger,
          title: push.title,
          body: push.body,
          items,
          deliverAfter: push.deliverAfter === undefined ? null : new Date(push.deliverAfter).toISOString(),
        };
      },
      recommendations: (user: UserRef, args: RecommendationsArgs): Promise<ServedList> =>
        serve(deps, parseRecommendationRequest(user.id, args.surface, args.limit, args.context)),
    },
    Product: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      similar: (product: { id: string }, args: { limit?: number | null }) => {
        const items = deps.similar(product.id, checkedLimit(args.limit));
        if (!items) {
          throw new RecsError(ErrorCode.BACKEND_UNAVAILABLE, 'the served model version has no content model');
        }
        return items.map((item, i) => ({ ...item, position: i + 1, product: { id: item.productId } }));
      },
      frequentlyBoughtTogether: async (
        product: { id: string },
        args: { limit?: number | null },
        ctx: Ctx,
      ) => {
        const limit = checkedLimit(args.limit);
        let items: RecommendedItem[];
        try {
          items = await deps.boughtTogether(product.id, limit);
        } catch (err) {
          // the driver's message stays in the log: it may name hosts and users; a shed query is
          // logged by the recommender when shedding starts, not once per request
          if (!(err instanceof BackendBusyError))
            ctx.log.warn({ err }, 'co-purchase graph unavailable: answering from the model');
          if (!deps.boughtTogetherFromModel) {
            throw new RecsError(
              ErrorCode.BACKEND_UNAVAILABLE,
              'the co-purchase graph is unavailable; retry later',
            );
          }
          items = await deps.boughtTogetherFromModel(product.id, limit);
        }
        return items.map((item, i) => ({ ...item, position: i + 1, product: { id: item.productId } }));
      },
    },
    RecommendationList: {
      // Resolved per request, outside the cached list, so each answer gets its own id for attribution.
      requestId: (list: ServedList, _args: unknown, ctx: Ctx) => listRequestId(list, ctx),
      // Resolved per request even when the list came from the cache: serving it is the exposure.
      items: (list: ServedList, _args: unknown, ctx: Ctx) => {
        // every served list is logged (an exposure, or the impression log); an opted-out shopper's
        // lists are not
        if (list.plan && list.personalised !== false) {
          deps.logExposure(list.plan, {
            requestId: listRequestId(list, ctx),
            userId: list.userId,
            itemCount: list.items.length,
            latencyMs: elapsedMs(ctx),
            items: list.items.map((i) => i.productId),
            request: list.request,
            surface: list.surface,
            modelVersion: list.modelVersion,
          });
        }
        return list.items.map((item, i) => ({ ...item, position: i + 1, product: { id: item.productId } }));
      },
      rulesVersion: (list: ServedList) => list.rulesVersion ?? 'none',
      personalised: (list: ServedList) => list.personalised !== false,
      experiments: (list: ServedList) =>
        list.personalised === false
          ? []
          : (list.plan?.assignments ?? [])
              .filter((a) => a.logged)
              .map((a) => ({ experimentId: a.experimentId, variant: a.variant })),
    },
    RecommendationItem: {
      explain: (item: RecommendedItem) => ({
        sources: item.sources ?? [],
        rules: item.rules ?? [],
        ranked: item.ranked,
      }),
    },
    Explanation: {
      // computed only when the client selects it; a resolver, not a function-valued property, which
      // compiled operations (graphql-jit) would not call
      contributions: (explanation: { ranked?: RankedRow }) =>
        explanation.ranked ? deps.contributions(explanation.ranked) : [],
    },
  };
}

/** A list field's `limit`: 1..100, default 10. */
function checkedLimit(raw: number | null | undefined): number {
  const limit = raw ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw badInput('limit', 'must be between 1 and 100', raw);
  return limit;
}
