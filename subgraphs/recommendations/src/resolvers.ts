import { createHash } from 'node:crypto';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  ErrorCode,
  RecsError,
  badInput,
  canReadUser,
  isValidId,
  normaliseProductId,
  normaliseUserId,
} from '@recs/core';
import type { SubgraphContext } from '@recs/subgraph-kit';
import type { RecommendationResult, RecommendedItem } from './Recommendation';
import {
  parseRecommendationRequest,
  type RecommendationContextInput,
  type Surface,
} from './RecommendationRequest';

/** What the resolvers need; the app injects it. */
export interface RecommendationsDeps {
  recommend(req: ReturnType<typeof parseRecommendationRequest>): Promise<RecommendationResult>;
  /** Co-purchase neighbours of one product; throws when the graph is unavailable. */
  boughtTogether(productId: string, limit: number): Promise<RecommendedItem[]>;
  /** Substitutes of one product; undefined when the model version has no content model. */
  similar(productId: string, limit: number): RecommendedItem[] | undefined;
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
type ServedList = RecommendationResult & { surface: Surface };

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

/** Key of a cached recommendation list: everything the answer depends on, explicitly. */
export function recommendationsCacheKey(
  userId: string,
  args: RecommendationsArgs,
  modelVersion: string,
): string {
  const context = createHash('sha256')
    .update(JSON.stringify(args.context ?? {}))
    .digest('base64url')
    .slice(0, 16);
  return `recs:${modelVersion}:${userId}:${args.surface}:${args.limit ?? 10}:${context}`;
}

export function buildResolvers(deps: RecommendationsDeps): GraphQLResolverMap<Ctx> {
  return {
    Query: {
      user: (_: unknown, args: { id: string }, ctx: Ctx) => authorisedUser(args.id, ctx),
      product: (_: unknown, args: { id: string }) => {
        if (!isValidId(args.id)) throw badInput('id', 'must be a product id', args.id);
        return { id: normaliseProductId(args.id) };
      },
    },
    User: {
      __resolveReference: (ref: UserRef, ctx: Ctx) => authorisedUser(ref.id, ctx),
      recommendations: async (user: UserRef, args: RecommendationsArgs): Promise<ServedList> => {
        const req = parseRecommendationRequest(user.id, args.surface, args.limit, args.context);
        return { ...(await deps.recommend(req)), surface: args.surface };
      },
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
      frequentlyBoughtTogether: async (product: { id: string }, args: { limit?: number | null }) => {
        const limit = checkedLimit(args.limit);
        let items: RecommendedItem[];
        try {
          items = await deps.boughtTogether(product.id, limit);
        } catch (err) {
          throw new RecsError(
            ErrorCode.BACKEND_UNAVAILABLE,
            `co-purchase graph unavailable: ${(err as Error).message}`,
          );
        }
        return items.map((item, i) => ({ ...item, position: i + 1, product: { id: item.productId } }));
      },
    },
    RecommendationList: {
      // Resolved per request, outside the cached list, so each answer gets its own id for attribution.
      requestId: (_list: ServedList, _args: unknown, ctx: Ctx) => ctx.requestId,
      items: (list: ServedList) =>
        list.items.map((item, i) => ({ ...item, position: i + 1, product: { id: item.productId } })),
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
