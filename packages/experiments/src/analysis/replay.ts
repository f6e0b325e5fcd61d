import { ipsEstimate, type IpsResult, type LoggedDecision } from '../stats/ipsEstimate';

/** One logged request, with what every logging variant and the candidate would show for it. */
export interface ReplayRequest {
  /** Products the served variant showed. */
  shown: readonly string[];
  clicked: ReadonlySet<string>;
  /** What each variant of the experiment shows for this request (recomputed offline). */
  variantLists: ReadonlyMap<string, readonly string[]>;
  /** What the candidate shows for it. */
  candidate: readonly string[];
}

export interface ReplayEstimate {
  lists: number;
  /** Logged (list, product) impressions used. */
  decisions: number;
  /** IPS and SNIPS estimates of the candidate's click-through per shown product. */
  estimate: IpsResult;
  /** Share of the candidate's products that some logging variant also shows (the estimate is blind to the rest). */
  coverage: number;
}

/**
 * Offline replay of a candidate configuration on an experiment's logs, at the product level: the
 * experiment randomised which variant served each request, so a product's logging propensity in a
 * request is Σ over variants of allocation × [the variant shows it]; the candidate's propensity is
 * [the candidate shows it]; the reward is a click on it. IPS / SNIPS over the logged impressions then
 * estimate the candidate's clicks per shown product, assuming a product's click chance does not depend
 * on its position or neighbours, and blind to products no variant showed (`coverage` says how much
 * of the candidate that is).
 */
export function replayEstimate(
  requests: readonly ReplayRequest[],
  allocations: ReadonlyMap<string, number>,
): ReplayEstimate {
  const total = [...allocations.values()].reduce((s, a) => s + a, 0);
  const decisions: LoggedDecision[] = [];
  let covered = 0;
  let candidateItems = 0;
  for (const r of requests) {
    const propensity = (id: string): number => {
      let p = 0;
      for (const [variant, list] of r.variantLists) {
        if (list.includes(id)) p += (allocations.get(variant) ?? 0) / total;
      }
      return Math.min(1, p);
    };
    const target = new Set(r.candidate);
    for (const id of r.candidate) {
      candidateItems++;
      if (propensity(id) > 0) covered++;
    }
    for (const id of r.shown) {
      const loggingPropensity = propensity(id);
      // a product shown although no variant shows it now (the catalogue changed since): no evidence
      if (!(loggingPropensity > 0)) continue;
      decisions.push({
        reward: r.clicked.has(id) ? 1 : 0,
        loggingPropensity,
        targetPropensity: target.has(id) ? 1 : 0,
      });
    }
  }
  if (decisions.length < 2) {
    throw new RangeError(
      `too few logged impressions to replay: ${decisions.length} of ${requests.length} lists' products are still shown by a variant`,
    );
  }
  return {
    lists: requests.length,
    decisions: decisions.length,
    estimate: ipsEstimate(decisions),
    coverage: candidateItems > 0 ? covered / candidateItems : 0,
  };
}
