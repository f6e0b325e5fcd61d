/** One logged decision of the production (logging) policy, replayed for a candidate (target) policy. */
export interface LoggedDecision {
  /** Observed reward of the logged action (click = 1, revenue, …). */
  reward: number;
  /** Probability with which the logging policy chose the logged action, in (0, 1]. */
  loggingPropensity: number;
  /** Probability with which the target policy would choose the same action in the same context, in [0, 1]. */
  targetPropensity: number;
}

export interface IpsResult {
  n: number;
  /** Inverse propensity scoring estimate of the target policy's mean reward, (1/n) Σ wᵢ rᵢ. */
  ips: number;
  /** Standard error of ips: sd(wᵢ rᵢ)/√n. */
  ipsStandardError: number;
  /** Self-normalised IPS, Σ wᵢ rᵢ / Σ wᵢ; NaN when every weight is 0. */
  snips: number;
  /** Delta-method standard error of snips, √(Σ wᵢ² (rᵢ - snips)²) / Σ wᵢ. */
  snipsStandardError: number;
  /** Kish's effective sample size (Σ wᵢ)² / Σ wᵢ²: how many on-policy samples the estimate is worth. */
  effectiveSampleSize: number;
  /** Mean importance weight; far from 1 signals mis-logged propensities or a poorly overlapping target. */
  meanWeight: number;
  /** Largest importance weight; a few huge weights dominate both estimates. */
  maxWeight: number;
}

/**
 * Off-policy estimates of a target policy's mean reward from logs of another policy, for offline replay
 * of a ranking or recommendation change before it is put in an experiment. With importance weights
 * wᵢ = targetPropensityᵢ / loggingPropensityᵢ:
 * - IPS (Horvitz–Thompson) V̂ = (1/n) Σ wᵢ rᵢ, unbiased when the logging propensities are correct and
 *   positive wherever the target's are; SE = sd(wᵢ rᵢ)/√n with the n - 1 sample deviation;
 * - SNIPS V̂ₛ = Σ wᵢ rᵢ / Σ wᵢ, slightly biased but with far lower variance when weights are large, and
 *   invariant to adding a constant to rewards; SE by the delta method, √(Σ wᵢ² (rᵢ - V̂ₛ)²) / Σ wᵢ;
 * - effective sample size (Σ wᵢ)² / Σ wᵢ², which falls far below n when the policies disagree.
 *
 * @throws RangeError naming the entry (e.g. `logs[3].loggingPropensity`) when a reward is not finite, a
 *   logging propensity is not in (0, 1] or a target propensity not in [0, 1]; and naming `logs` when
 *   fewer than 2 decisions are given.
 */
export function ipsEstimate(logs: readonly LoggedDecision[]): IpsResult {
  if (!Array.isArray(logs) || logs.length < 2) {
    throw new RangeError(
      `logs must be an array of at least 2 decisions; received ${Array.isArray(logs) ? `${logs.length}` : String(logs)}`,
    );
  }
  const n = logs.length;
  const weights = new Array<number>(n);
  let sumW = 0;
  let sumW2 = 0;
  let sumWR = 0;
  let maxWeight = 0;
  for (let i = 0; i < n; i++) {
    const { reward, loggingPropensity, targetPropensity } = logs[i]!;
    if (typeof reward !== 'number' || !Number.isFinite(reward)) {
      throw new RangeError(`logs[${i}].reward must be a finite number; received ${String(reward)}`);
    }
    if (typeof loggingPropensity !== 'number' || !(loggingPropensity > 0 && loggingPropensity <= 1)) {
      throw new RangeError(
        `logs[${i}].loggingPropensity must be in (0, 1]; received ${String(loggingPropensity)}`,
      );
    }
    if (typeof targetPropensity !== 'number' || !(targetPropensity >= 0 && targetPropensity <= 1)) {
      throw new RangeError(
        `logs[${i}].targetPropensity must be in [0, 1]; received ${String(targetPropensity)}`,
      );
    }
    const w = targetPropensity / loggingPropensity;
    weights[i] = w;
    sumW += w;
    sumW2 += w * w;
    sumWR += w * reward;
    if (w > maxWeight) maxWeight = w;
  }
  const ips = sumWR / n;
  let ssIps = 0;
  let ssSnips = 0;
  const snips = sumW > 0 ? sumWR / sumW : NaN;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    const r = logs[i]!.reward;
    ssIps += (w * r - ips) ** 2;
    if (sumW > 0) ssSnips += w * w * (r - snips) ** 2;
  }
  return {
    n,
    ips,
    ipsStandardError: Math.sqrt(ssIps / (n - 1) / n),
    snips,
    snipsStandardError: sumW > 0 ? Math.sqrt(ssSnips) / sumW : NaN,
    effectiveSampleSize: sumW2 > 0 ? (sumW * sumW) / sumW2 : 0,
    meanWeight: sumW / n,
    maxWeight,
  };
}
