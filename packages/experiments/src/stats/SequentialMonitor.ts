import { assertOpenUnit, assertPositive } from './assertions';
import type { Interval } from './Interval';
import { msprt, type MsprtOptions, type MsprtResult, type SequentialLook } from './msprt';

/** What a {@link SequentialMonitor} knows after the looks it has ingested. */
export interface SequentialState {
  /** Looks ingested so far. */
  looks: number;
  /** Observations per arm at the latest look (0 before any). */
  n: number;
  /** Always-valid p-value: the running minimum of min(1, 1/Λ) over all looks; never increases. */
  pValue: number;
  /** Running intersection of the confidence sequence; never widens. Can be empty (lower > upper) with probability <= alpha. */
  ci: Interval;
  /** pValue < alpha: stop and declare a difference. Once true it stays true. */
  significant: boolean;
  /** The mSPRT statistics of the latest look alone, undefined before any. */
  last: MsprtResult | undefined;
}

/**
 * Continuous monitoring of one metric of one experiment with the mSPRT (see {@link msprt}): feed it the
 * cumulative difference, variance and sample size after every batch (or every observation) and read the
 * always-valid p-value and confidence sequence, which may be acted on at any look without inflating the
 * false-positive rate. Create one monitor per metric and comparison; a monitor holds only a few numbers.
 *
 * @example
 * const monitor = new SequentialMonitor({ tau2: 0.01 ** 2, alpha: 0.05 });
 * for (const look of dailyLooks) if (monitor.update(look).significant) break;
 */
export class SequentialMonitor {
  readonly tau2: number;
  readonly alpha: number;
  private looks = 0;
  private n = 0;
  private pValue = 1;
  private lower = -Infinity;
  private upper = Infinity;
  private last: MsprtResult | undefined = undefined;

  /** @throws RangeError naming the option when tau2 is not > 0 or alpha is outside (0, 1). */
  constructor(options: MsprtOptions) {
    const alpha = options.alpha ?? 0.05;
    assertPositive('tau2', options.tau2);
    assertOpenUnit('alpha', alpha);
    this.tau2 = options.tau2;
    this.alpha = alpha;
  }

  /**
   * Ingests the next look (cumulative statistics, not the batch's alone) and returns the updated state.
   * @throws RangeError as {@link msprt} does, and naming `n` when it is smaller than at the previous look.
   */
  update(look: SequentialLook): SequentialState {
    if (look.n < this.n) {
      throw new RangeError(
        `n must not decrease between looks (statistics are cumulative); received ${look.n} after ${this.n}`,
      );
    }
    const result = msprt(look, { tau2: this.tau2, alpha: this.alpha });
    this.looks += 1;
    this.n = look.n;
    this.pValue = Math.min(this.pValue, result.pValue);
    this.lower = Math.max(this.lower, result.ci.lower);
    this.upper = Math.min(this.upper, result.ci.upper);
    this.last = result;
    return this.state;
  }

  /** The current state, as returned by the latest {@link update}. */
  get state(): SequentialState {
    return {
      looks: this.looks,
      n: this.n,
      pValue: this.pValue,
      ci: { lower: this.lower, upper: this.upper },
      significant: this.pValue < this.alpha,
      last: this.last,
    };
  }
}
