/**
 * Drift of online feature values against the training snapshot, by the population stability index:
 * PSI = Σ_bins (observed − expected) · ln(observed / expected), over bins cut at the training
 * distribution's (weighted) deciles. Rule of thumb: below 0.1 stable, 0.1–0.25 moderate, above 0.25
 * the population has shifted.
 */

/** A feature's distribution in the training snapshot, as bins. */
export interface DriftReference {
  feature: string;
  /**
   * Upper bounds of the bins, strictly ascending: a value falls in the first bin whose bound is >= it;
   * the last bin (past the last bound) is unbounded above.
   */
  bounds: number[];
  /** Share of the training population in each bin (`bounds.length + 1` shares summing to 1). */
  expected: number[];
}

export type DriftStatus = 'STABLE' | 'MODERATE' | 'SHIFTED' | 'INSUFFICIENT_DATA';

/** One feature's drift over the monitor's window. */
export interface FeatureDriftReport {
  feature: string;
  /** Null until the window holds `minSamples` observations. */
  psi: number | null;
  status: DriftStatus;
  /** Observations in the window that fell in a bin. */
  samples: number;
  /** Observations in the window outside the training population (e.g. a shopper the snapshot never saw). */
  unseen: number;
  bins: { upperBound: number | null; expectedShare: number; observedShare: number }[];
}

/** Shares below this count as this in the PSI (an empty bin would make it infinite). */
const EPSILON = 1e-4;

/**
 * A reference from the training values of a feature (optionally weighted, e.g. a product's price by its
 * number of orders, to get the distribution per order line), cut into at most `bins` bins at the
 * weighted quantiles. Identical quantiles merge, so a skewed feature gets fewer bins.
 */
export function driftReference(
  feature: string,
  values: readonly number[],
  weights?: readonly number[],
  bins = 10,
): DriftReference {
  const points = values
    .map((v, i) => ({ v, w: weights ? weights[i]! : 1 }))
    .filter((p) => Number.isFinite(p.v) && p.w > 0)
    .sort((a, b) => a.v - b.v);
  const total = points.reduce((s, p) => s + p.w, 0);
  if (points.length === 0 || total <= 0) throw new RangeError(`no training values for feature "${feature}"`);
  const bounds: number[] = [];
  let cumulative = 0;
  let q = 1;
  for (const p of points) {
    cumulative += p.w;
    while (q < bins && cumulative >= (q / bins) * total) {
      if (bounds.at(-1) !== p.v) bounds.push(p.v);
      q++;
    }
  }
  const expected = new Array<number>(bounds.length + 1).fill(0);
  for (const p of points) expected[binOf(bounds, p.v)]! += p.w / total;
  return { feature, bounds, expected };
}

/** Index of the bin `value` falls in. */
export function binOf(bounds: readonly number[], value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid]! >= value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** PSI of two share vectors of the same length; shares below 1e-4 count as 1e-4. */
export function psi(expected: readonly number[], observed: readonly number[]): number {
  if (expected.length !== observed.length) throw new RangeError('expected and observed need the same bins');
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, EPSILON);
    const o = Math.max(observed[i]!, EPSILON);
    sum += (o - e) * Math.log(o / e);
  }
  return sum;
}

export function driftStatus(value: number | null): DriftStatus {
  if (value === null) return 'INSUFFICIENT_DATA';
  return value < 0.1 ? 'STABLE' : value < 0.25 ? 'MODERATE' : 'SHIFTED';
}

const UNSEEN = 0xffff;

/** The last `window` observations of one feature, as bin indices in a ring. */
class Window {
  readonly ring: Uint16Array;
  readonly counts: number[];
  unseen = 0;
  filled = 0;
  next = 0;

  constructor(
    readonly reference: DriftReference,
    size: number,
  ) {
    this.ring = new Uint16Array(size);
    this.counts = new Array<number>(reference.expected.length).fill(0);
  }

  push(bin: number): void {
    if (this.filled === this.ring.length) {
      const old = this.ring[this.next]!;
      if (old === UNSEEN) this.unseen--;
      else this.counts[old]!--;
    } else {
      this.filled++;
    }
    this.ring[this.next] = bin;
    if (bin === UNSEEN) this.unseen++;
    else this.counts[bin]!++;
    this.next = (this.next + 1) % this.ring.length;
  }
}

/**
 * Keeps the last `window` online observations of each referenced feature (in process memory) and
 * compares their distribution with the training snapshot's on demand.
 */
export class DriftMonitor {
  private readonly windows = new Map<string, Window>();
  private readonly minSamples: number;

  constructor(references: readonly DriftReference[], opts: { window?: number; minSamples?: number } = {}) {
    const size = opts.window ?? 10_000;
    if (!Number.isSafeInteger(size) || size < 1)
      throw new RangeError(`window must be a positive integer; received ${size}`);
    this.minSamples = opts.minSamples ?? 200;
    for (const r of references) {
      if (r.expected.length !== r.bounds.length + 1 || r.expected.length >= UNSEEN) {
        throw new RangeError(`reference of "${r.feature}" needs bounds.length + 1 expected shares`);
      }
      this.windows.set(r.feature, new Window(r, size));
    }
  }

  get features(): string[] {
    return [...this.windows.keys()];
  }

  /**
   * Records one online value of `feature`; `undefined` = the entity is not in the training population
   * (counted as unseen, outside the PSI). Unknown features and non-finite values are ignored.
   */
  observe(feature: string, value: number | undefined): void {
    const w = this.windows.get(feature);
    if (!w) return;
    if (value === undefined) w.push(UNSEEN);
    else if (Number.isFinite(value)) w.push(binOf(w.reference.bounds, value));
  }

  report(): FeatureDriftReport[] {
    return [...this.windows.values()].map((w) => {
      const samples = w.filled - w.unseen;
      const observed = w.counts.map((c) => (samples > 0 ? c / samples : 0));
      const value = samples >= this.minSamples ? psi(w.reference.expected, observed) : null;
      return {
        feature: w.reference.feature,
        psi: value,
        status: driftStatus(value),
        samples,
        unseen: w.unseen,
        bins: w.reference.expected.map((expectedShare, i) => ({
          upperBound: w.reference.bounds[i] ?? null,
          expectedShare,
          observedShare: observed[i]!,
        })),
      };
    });
  }
}
