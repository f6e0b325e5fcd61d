import {
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { ErrorCode, RecsError } from '@recs/core';

/**
 * Depth of an operation: the longest chain of nested selection sets, following fragment spreads
 * (a spread of a fragment already on the path counts once, so cycles cannot loop).
 * `{ user { recommendations { items { product { id } } } } }` has depth 5.
 */
export function operationDepth(
  op: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
): number {
  const walk = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
    if (!set) return 0;
    let max = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD)
        max = Math.max(max, sel.selectionSet ? 1 + walk(sel.selectionSet, seen) : 1);
      else if (sel.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, walk(sel.selectionSet, seen));
      else if (!seen.has(sel.name.value)) {
        const frag = fragments.get(sel.name.value);
        max = Math.max(max, walk(frag?.selectionSet, new Set(seen).add(sel.name.value)));
      }
    }
    return max;
  };
  return walk(op.selectionSet, new Set());
}

/** Number of aliased fields in the whole document (aliases multiply work without deepening it). */
export function aliasCount(doc: DocumentNode): number {
  let n = 0;
  const walk = (set: SelectionSetNode | undefined) => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD && sel.alias) n++;
      if (sel.kind !== Kind.FRAGMENT_SPREAD) walk(sel.selectionSet);
    }
  };
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION || def.kind === Kind.FRAGMENT_DEFINITION)
      walk(def.selectionSet);
  }
  return n;
}

export interface LimitOptions {
  maxDepth: number;
  maxAliases: number;
  maxDocumentBytes: number;
}

/**
 * Checks documents before Apollo sees them, so an abusive query costs neither validation nor a
 * subgraph call: size in bytes, then tokens (while parsing), aliases and depth. Results for a
 * document are remembered (clients send the same few operations over and over).
 */
export class DocumentLimits {
  private readonly seen = new Map<string, RecsError | null>();

  constructor(private readonly limits: LimitOptions) {}

  /** Throws DOCUMENT_TOO_LARGE, TOO_MANY_ALIASES or QUERY_TOO_DEEP; returns when the document is within limits or unparsable (Apollo reports syntax errors). */
  check(query: string, operationName?: string): void {
    const bytes = Buffer.byteLength(query);
    if (bytes > this.limits.maxDocumentBytes) {
      throw new RecsError(
        ErrorCode.DOCUMENT_TOO_LARGE,
        `the query document is ${bytes} bytes; the limit is ${this.limits.maxDocumentBytes}`,
      );
    }
    const key = `${operationName ?? ''}\n${query}`;
    let verdict = this.seen.get(key);
    if (verdict === undefined) {
      verdict = null;
      try {
        enforceLimits(
          parse(query, { noLocation: true, maxTokens: Math.ceil(this.limits.maxDocumentBytes / 2) }),
          operationName,
          this.limits,
        );
      } catch (err) {
        if (err instanceof RecsError) verdict = err;
        else if (/tokens/.test((err as Error).message)) {
          verdict = new RecsError(ErrorCode.DOCUMENT_TOO_LARGE, (err as Error).message);
        }
      }
      if (this.seen.size >= 1000) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(key, verdict);
    }
    if (verdict) throw verdict;
  }
}

/** Throws QUERY_TOO_DEEP or TOO_MANY_ALIASES when the operation exceeds the limits. */
export function enforceLimits(
  doc: DocumentNode,
  operationName: string | null | undefined,
  limits: { maxDepth: number; maxAliases: number },
): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const aliases = aliasCount(doc);
  if (aliases > limits.maxAliases) {
    throw new RecsError(
      ErrorCode.TOO_MANY_ALIASES,
      `the document uses ${aliases} aliases; the limit is ${limits.maxAliases}`,
    );
  }
  const operations = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  // Apollo would answer an unknown name with a 500; it is the caller's mistake
  if (operationName && !operations.some((d) => d.name?.value === operationName)) {
    const names = operations.flatMap((d) => (d.name ? [d.name.value] : []));
    throw new RecsError(
      ErrorCode.BAD_USER_INPUT,
      `operationName "${operationName.slice(0, 64)}" names no operation of the document${names.length ? ` (it has ${names.slice(0, 5).join(', ')})` : ''}`,
    );
  }
  for (const d of operations) {
    if (operationName && d.name?.value !== operationName) continue;
    const depth = operationDepth(d, fragments);
    if (depth > limits.maxDepth) {
      throw new RecsError(
        ErrorCode.QUERY_TOO_DEEP,
        `the query is ${depth} levels deep; the limit is ${limits.maxDepth}`,
      );
    }
  }
}
