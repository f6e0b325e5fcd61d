import type { Experiment } from '../Experiment';
import type { Interval } from '../stats/Interval';
import { LATENCY_BUCKETS_MS, type VariantCounts } from '../outcomes/OutcomeStore';
import { msprt } from '../stats/msprt';
import { minimumSampleSize } from '../stats/minimumSampleSize';
import { sampleRatioMismatch } from '../stats/sampleRatioMismatch';
import { twoProportionZTest } from '../stats/twoProportionZTest';
import { welchTTest } from '../stats/welchTTest';

export type MetricName = 'ctr' | 'conversion' | 'revenuePerUser';

/** One metric of a treatment against the control: fixed-horizon and always-valid (mSPRT) tests. */
export interface MetricComparison {
  metric: MetricName;
  control: number;
  treatment: number;
  /** treatment - control. */
  diff: number;
  /** diff / control; NaN when the control is 0. */
  lift: number;
  /** Fixed-horizon test (two-proportion z or Welch t): valid at one pre-planned look only. */
  pValue: number;
  ci: Interval;
  /** mSPRT p-value at this look: valid however often the results are looked at. */
  sequentialPValue: number;
  /** sequentialPValue < alpha: what the automation acts on. */
  significant: boolean;
  /**
   * The same difference after CUPED on the pre-experiment covariate (θ pooled over both arms), tested
   * with Welch's t; absent when no exposure carried a covariate.
   */
  cuped?: { diff: number; pValue: number; ci: Interval; varianceReduction: number };
}

export interface VariantAnalysis {
  name: string;
  disabled: boolean;
  counts: Omit<VariantCounts, 'latency'>;
  /** Users with an attributed click / users exposed. */
  ctr: number;
  /** Users with an attributed purchase / users exposed. */
  conversion: number;
  revenuePerUser: number;
  averageOrderValue: number;
  emptyListRate: number;
  /** Upper bound of the latency bucket holding the 95th percentile, ms (Infinity: over 1 s; null before any exposure). */
  latencyP95Ms: number | null;
  /** Against the control (empty for the control itself). */
  comparisons: MetricComparison[];
}

export interface ExperimentAnalysis {
  experimentId: string;
  segment: string;
  control: string;
  alpha: number;
  variants: VariantAnalysis[];
  /** Users per variant against the allocations (chi-square); null until 100 users. */
  sampleRatio: { pValue: number; mismatch: boolean } | null;
  /** Users per variant needed to detect a 10% relative CTR lift at 80% power (null until the control has clicks). */
  minimumUsersPerVariant: number | null;
}

export interface AnalyseOptions {
  alpha?: number;
  /** Mixing standard deviation of the mSPRT for rate differences (default 0.02, two points of rate). */
  tauRate?: number;
  /** Of revenue per user, relative to the control's mean (default 0.1). */
  tauRevenueRelative?: number;
}

/** Counters of a variant with no data yet. */
export function emptyCounts(): VariantCounts {
  return {
    exposures: 0,
    empty: 0,
    users: 0,
    impressions: 0,
    clicks: 0,
    clickUsers: 0,
    addToCarts: 0,
    cartUsers: 0,
    purchases: 0,
    orders: 0,
    buyers: 0,
    revenue: 0,
    revenueSq: 0,
    sumX: 0,
    sumX2: 0,
    sumXClick: 0,
    sumXBuyer: 0,
    sumXRevenue: 0,
    latency: new Map(),
  };
}

const ZERO = emptyCounts();

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** Per-variant metrics and tests of one experiment in one segment, from its counters. */
export function analyse(
  experiment: Experiment,
  counts: ReadonlyMap<string, VariantCounts>,
  segment = 'all',
  opts: AnalyseOptions = {},
): ExperimentAnalysis {
  const alpha = opts.alpha ?? experiment.automation?.alpha ?? 0.05;
  const control = experiment.variants[0]!;
  const of = (name: string): VariantCounts => counts.get(name) ?? ZERO;
  const c = of(control.name);
  const variants = experiment.variants.map((v): VariantAnalysis => {
    const k = of(v.name);
    const { latency, ...plain } = k;
    return {
      name: v.name,
      disabled: Boolean(v.disabled),
      counts: plain,
      ctr: ratio(k.clickUsers, k.users),
      conversion: ratio(k.buyers, k.users),
      revenuePerUser: ratio(k.revenue, k.users),
      averageOrderValue: ratio(k.revenue, k.orders),
      emptyListRate: ratio(k.empty, k.exposures),
      latencyP95Ms: p95(latency, k.exposures),
      comparisons: v === control ? [] : compare(c, k, alpha, opts),
    };
  });
  const live = experiment.variants.filter((v) => v.allocation > 0);
  const users = live.map((v) => of(v.name).users);
  const total = users.reduce((s, n) => s + n, 0);
  const srm =
    live.length >= 2 && total >= 100
      ? sampleRatioMismatch(
          users,
          live.map((v) => v.allocation),
        )
      : null;
  const base = ratio(c.clickUsers, c.users);
  return {
    experimentId: experiment.id,
    segment,
    control: control.name,
    alpha,
    variants,
    sampleRatio: srm ? { pValue: srm.pValue, mismatch: srm.mismatch } : null,
    minimumUsersPerVariant:
      base > 0 && base < 1 / 1.1 ? minimumSampleSize({ baselineRate: base, relativeLift: 0.1, alpha }) : null,
  };
}

function compare(
  a: VariantCounts,
  b: VariantCounts,
  alpha: number,
  opts: AnalyseOptions,
): MetricComparison[] {
  if (a.users < 2 || b.users < 2) return [];
  const tauRate = opts.tauRate ?? 0.02;
  const withCuped = (m: MetricComparison, y: (k: VariantCounts) => Moments): MetricComparison => {
    const cuped = cupedCompare(a, b, y, alpha);
    return cuped ? { ...m, cuped } : m;
  };
  return [
    withCuped(proportion('ctr', a.clickUsers, a.users, b.clickUsers, b.users, alpha, tauRate), (k) => ({
      sy: k.clickUsers,
      syy: k.clickUsers,
      sxy: k.sumXClick,
    })),
    withCuped(proportion('conversion', a.buyers, a.users, b.buyers, b.users, alpha, tauRate), (k) => ({
      sy: k.buyers,
      syy: k.buyers,
      sxy: k.sumXBuyer,
    })),
    withCuped(revenue(a, b, alpha, opts.tauRevenueRelative ?? 0.1), (k) => ({
      sy: k.revenue,
      syy: k.revenueSq,
      sxy: k.sumXRevenue,
    })),
  ];
}

/** Per-user sums of a metric y: Σy, Σy², Σ x·y (x the covariate). */
interface Moments {
  sy: number;
  syy: number;
  sxy: number;
}

/**
 * CUPED from per-arm sums (see `cupedAdjust` for the method): θ = Σ arms Sxy / Σ arms Sxx with the
 * centred sums, each arm's mean adjusted by θ (x̄_arm - x̄_pooled) and its variance
 * Var(y) - 2θ Cov(x, y) + θ² Var(x); then Welch's t on the adjusted arms.
 */
function cupedCompare(
  a: VariantCounts,
  b: VariantCounts,
  y: (k: VariantCounts) => Moments,
  alpha: number,
): MetricComparison['cuped'] {
  if (a.sumX2 === 0 && b.sumX2 === 0) return undefined;
  const arm = (k: VariantCounts) => {
    const m = y(k);
    const n = k.users;
    const mx = k.sumX / n;
    const my = m.sy / n;
    return {
      n,
      mx,
      my,
      vx: Math.max(0, (k.sumX2 - n * mx * mx) / (n - 1)),
      vy: Math.max(0, (m.syy - n * my * my) / (n - 1)),
      cxy: (m.sxy - n * mx * my) / (n - 1),
    };
  };
  const A = arm(a);
  const B = arm(b);
  const sxx = (A.n - 1) * A.vx + (B.n - 1) * B.vx;
  if (!(sxx > 0)) return undefined;
  const theta = ((A.n - 1) * A.cxy + (B.n - 1) * B.cxy) / sxx;
  const mxAll = (A.mx * A.n + B.mx * B.n) / (A.n + B.n);
  const adjusted = (s: typeof A) => ({
    n: s.n,
    mean: s.my - theta * (s.mx - mxAll),
    variance: Math.max(0, s.vy - 2 * theta * s.cxy + theta * theta * s.vx),
  });
  const sa = adjusted(A);
  const sb = adjusted(B);
  if (!(sa.variance > 0 || sb.variance > 0)) return undefined;
  const t = welchTTest(sa, sb, { alpha });
  const before = A.vy / A.n + B.vy / B.n;
  const after = sa.variance / sa.n + sb.variance / sb.n;
  return {
    diff: sb.mean - sa.mean,
    pValue: t.pValue,
    ci: t.ci,
    varianceReduction: before > 0 ? 1 - after / before : 0,
  };
}

function sequential(diff: number, varianceOfDiff: number, n: number, tau2: number, alpha: number): number {
  if (!(varianceOfDiff > 0) || !(tau2 > 0)) return 1;
  return msprt({ diff, varianceOfDiff, n }, { tau2, alpha }).pValue;
}

function proportion(
  metric: MetricName,
  sA: number,
  nA: number,
  sB: number,
  nB: number,
  alpha: number,
  tau: number,
): MetricComparison {
  const pA = sA / nA;
  const pB = sB / nB;
  const n = Math.min(nA, nB);
  const variance = n * ((pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB);
  const fixed =
    sA + sB > 0 && sA + sB < nA + nB
      ? twoProportionZTest({ successesA: sA, trialsA: nA, successesB: sB, trialsB: nB }, { alpha })
      : undefined;
  const sequentialPValue = sequential(pB - pA, variance, n, tau * tau, alpha);
  return {
    metric,
    control: pA,
    treatment: pB,
    diff: pB - pA,
    lift: pA > 0 ? (pB - pA) / pA : NaN,
    pValue: fixed?.pValue ?? 1,
    ci: fixed?.ci ?? { lower: pB - pA, upper: pB - pA },
    sequentialPValue,
    significant: sequentialPValue < alpha,
  };
}

function revenue(a: VariantCounts, b: VariantCounts, alpha: number, tauRelative: number): MetricComparison {
  const summary = (k: VariantCounts) => {
    const mean = k.revenue / k.users;
    return { n: k.users, mean, variance: Math.max(0, (k.revenueSq - k.users * mean * mean) / (k.users - 1)) };
  };
  const sa = summary(a);
  const sb = summary(b);
  const fixed = sa.variance > 0 || sb.variance > 0 ? welchTTest(sa, sb, { alpha }) : undefined;
  const n = Math.min(sa.n, sb.n);
  const variance = n * (sa.variance / sa.n + sb.variance / sb.n);
  const tau = tauRelative * Math.max(sa.mean, 1e-9);
  const sequentialPValue = sequential(sb.mean - sa.mean, variance, n, tau * tau, alpha);
  return {
    metric: 'revenuePerUser',
    control: sa.mean,
    treatment: sb.mean,
    diff: sb.mean - sa.mean,
    lift: sa.mean > 0 ? (sb.mean - sa.mean) / sa.mean : NaN,
    pValue: fixed?.pValue ?? 1,
    ci: fixed?.ci ?? { lower: sb.mean - sa.mean, upper: sb.mean - sa.mean },
    sequentialPValue,
    significant: sequentialPValue < alpha,
  };
}

function p95(latency: ReadonlyMap<number, number>, total: number): number | null {
  if (total === 0) return null;
  let seen = 0;
  for (const bound of LATENCY_BUCKETS_MS) {
    seen += latency.get(bound) ?? 0;
    if (seen >= 0.95 * total) return bound;
  }
  return Infinity;
}
