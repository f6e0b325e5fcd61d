import { buildSchema, findBreakingChanges, type GraphQLSchema } from 'graphql';

export interface AllowedBreakingChange {
  /** `TYPE: description` exactly as reported, e.g. "FIELD_REMOVED: User.foo was removed." */
  change: string;
  /** Why breaking clients is acceptable here (e.g. "field never shipped"). */
  reason: string;
}

/**
 * Breaking changes from `baselineSdl` to `next` (graphql-js `findBreakingChanges`: removed types and
 * fields, changed argument and field types, new required arguments...), minus those allowed with a
 * reason. Returns one line per remaining change.
 */
export function unallowedBreakingChanges(
  baselineSdl: string,
  next: GraphQLSchema,
  allowed: readonly AllowedBreakingChange[],
): string[] {
  const baseline = buildSchema(baselineSdl);
  const ok = new Set(allowed.filter((a) => a.reason.trim() !== '').map((a) => a.change));
  return findBreakingChanges(baseline, next)
    .map((c) => `${c.type}: ${c.description}`)
    .filter((line) => !ok.has(line));
}
