import type { Experiment } from '../Experiment';
import type { VariantCounts } from '../outcomes/OutcomeStore';
import { analyse, emptyCounts } from './analyse';
import { decide, type Decision } from './decide';

export interface MonitoredRunOptions {
  /** A two-variant experiment (control first) whose automation settings apply. */
  experiment: Experiment;
  /** True per-user click probabilities of the control and the treatment. */
  ctrControl: number;
  ctrTreatment: number;
  /** The run ends undecided once an arm has this many users. */
  maxUsersPerArm: number;
  /** Users (both arms) between two looks. Default 1000. */
  batch?: number;
}

export interface MonitoredRun {
  decision: Decision;
  /** Users per arm at the decision (or at the end). */
  usersPerArm: number;
  looks: number;
}

/** Counters of users who were exposed and, for `clickUsers` of them, clicked. */
export function clickCounts(users: number, clickUsers: number): VariantCounts {
  return {
    ...emptyCounts(),
    exposures: users,
    users,
    clicks: clickUsers,
    clickUsers,
    latency: new Map([[25, users]]),
  };
}

/**
 * One simulated experiment under continuous monitoring: users split 50/50 at random, each clicks with
 * its arm's true rate, and after every `batch` users the same analysis and decision rule the
 * experiments subgraph runs decide; the first decision other than hold ends the run. Repeating it gives
 * the automation's false-decision rate (A/A: equal rates) and power (a real difference).
 */
export function monitoredRun(random: () => number, opts: MonitoredRunOptions): MonitoredRun {
  const [a, b] = opts.experiment.variants;
  if (!a || !b) throw new RangeError('monitoredRun needs an experiment with two variants');
  const batch = opts.batch ?? 1000;
  let nA = 0;
  let nB = 0;
  let cA = 0;
  let cB = 0;
  let looks = 0;
  let decision: Decision = { action: 'hold', reason: 'not started' };
  while (Math.max(nA, nB) < opts.maxUsersPerArm) {
    for (let i = 0; i < batch; i++) {
      if (random() < 0.5) {
        nA++;
        if (random() < opts.ctrControl) cA++;
      } else {
        nB++;
        if (random() < opts.ctrTreatment) cB++;
      }
    }
    looks++;
    const counts = new Map([
      [a.name, clickCounts(nA, cA)],
      [b.name, clickCounts(nB, cB)],
    ]);
    decision = decide(opts.experiment, analyse(opts.experiment, counts));
    if (decision.action !== 'hold') break;
  }
  return { decision, usersPerArm: Math.max(nA, nB), looks };
}
