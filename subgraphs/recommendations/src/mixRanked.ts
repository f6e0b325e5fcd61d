import type { RecommendedItem } from './Recommendation';

/**
 * Interleaves two ranked lists into one of at most `limit` items: `second` fills the share `share`
 * (0..1) of the positions, spread evenly (position p comes from `second` when its count so far is
 * more than half a position behind `share × p`), each list in its own order; when one list runs out
 * the other fills. An item in both lists appears once, at its first place, with the sources of both
 * and the first list's reason and feature row.
 *
 * Scores: the business rules re-sort by score, so the result must be ordered by score and keep the
 * first list's scores meaningful. `first`'s items keep theirs; each `second` item is given a score
 * between its neighbours from `first` (just above the next one, just below the previous one at the
 * ends), so the rules see the mixed order and a boost moves items by about the same as before.
 */
export function mixRanked(
  first: readonly RecommendedItem[],
  second: readonly RecommendedItem[],
  share: number,
  limit: number,
): RecommendedItem[] {
  const out: RecommendedItem[] = [];
  const fromSecond: boolean[] = [];
  const at = new Map<string, number>();
  let i = 0;
  let j = 0;
  let taken = 0;
  const s = Math.min(1, Math.max(0, share));
  while (out.length < limit && (i < first.length || j < second.length)) {
    // strictly more than half a position behind its share: on a tie the first list goes first
    const due = (out.length + 1) * s - taken > 0.5 + 1e-9;
    const useSecond = j < second.length && (due || i >= first.length);
    const item = useSecond ? second[j++]! : first[i++]!;
    const seen = at.get(item.productId);
    if (seen !== undefined) {
      // the place of its first appearance; the first list's fields (its reason, its feature row)
      const kept = out[seen]!;
      const sources = [...new Set([...(kept.sources ?? []), ...(item.sources ?? [])])];
      out[seen] = useSecond ? { ...kept, sources } : { ...item, sources };
      continue;
    }
    at.set(item.productId, out.length);
    out.push(item);
    fromSecond.push(useSecond);
    if (useSecond) taken++;
  }
  // scores: first's as they are; second's between the first-list neighbours around them
  const firstScores = out.map((item, k) => (fromSecond[k] ? undefined : item.score));
  const result = out.map((item) => ({ ...item }));
  for (let k = 0; k < result.length; k++) {
    if (!fromSecond[k]) continue;
    const prev = k > 0 ? result[k - 1]!.score : undefined;
    let next: number | undefined;
    for (let m = k + 1; m < result.length && next === undefined; m++) next = firstScores[m];
    result[k]!.score =
      prev !== undefined && next !== undefined
        ? next + (prev - next) / 2
        : prev !== undefined
          ? prev - Math.max(Math.abs(prev) * 0.01, 1e-6)
          : next !== undefined
            ? next + Math.max(Math.abs(next) * 0.01, 1e-6)
            : 1 - k / result.length;
  }
  return result;
}

/**
 * The tail of a CART that mixes products the dense models know with catalogue products they do not
 * (the tail over the model's product cap), and the share of the list the co-purchase graph gets for
 * it: the tail's share of the cart's catalogue products. Share 0 and no tail when every catalogue
 * product of the cart is known (the learned list alone) or none is (the caller asks the graph alone).
 */
export function cartTail(
  cart: readonly string[],
  knows: (productId: string) => boolean,
  inCatalogue: (productId: string) => boolean,
): { tail: string[]; share: number } {
  let head = 0;
  const tail: string[] = [];
  for (const p of cart) {
    if (knows(p)) head++;
    else if (inCatalogue(p)) tail.push(p);
  }
  return head > 0 && tail.length > 0
    ? { tail, share: tail.length / (head + tail.length) }
    : { tail: [], share: 0 };
}
