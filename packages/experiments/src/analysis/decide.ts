import type { AutomationSettings, Experiment } from '../Experiment';
import type { ExperimentAnalysis, MetricComparison, VariantAnalysis } from './analyse';

/** What the automation does to an experiment, with the evidence in `reason`. */
export type Decision =
  | { action: 'promote'; variant: string; reason: string }
  | { action: 'rollback'; variant: string; reason: string }
  | { action: 'hold'; reason: string };

export const AUTOMATION_DEFAULTS: Required<AutomationSettings> = {
  promote: true,
  rollback: true,
  alpha: 0.05,
  minUsersPerVariant: 500,
  maxCtrDrop: 0.05,
  maxEmptyListRate: 0.05,
  maxLatencyP95Ms: 250,
};

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const find = (v: VariantAnalysis, metric: MetricComparison['metric']) =>
  v.comparisons.find((c) => c.metric === metric);

/** The guardrails a treatment breaks, each as a sentence; [] when it holds all of them. */
export function brokenGuardrails(v: VariantAnalysis, s: Required<AutomationSettings>): string[] {
  const broken: string[] = [];
  if (v.emptyListRate > s.maxEmptyListRate) {
    broken.push(`empty-list rate ${pct(v.emptyListRate)} > ${pct(s.maxEmptyListRate)}`);
  }
  if (v.latencyP95Ms !== null && v.latencyP95Ms > s.maxLatencyP95Ms) {
    broken.push(`p95 latency ${v.latencyP95Ms} ms > ${s.maxLatencyP95Ms} ms`);
  }
  const ctr = find(v, 'ctr');
  if (ctr && ctr.significant && ctr.lift < -s.maxCtrDrop) {
    broken.push(
      `CTR ${pct(ctr.lift)} vs control (always-valid p = ${ctr.sequentialPValue.toPrecision(3)}), more than ${pct(s.maxCtrDrop)} down`,
    );
  }
  const revenue = find(v, 'revenuePerUser');
  if (revenue && revenue.significant && revenue.diff < 0) {
    broken.push(
      `revenue per user ${pct(revenue.lift)} vs control (always-valid p = ${revenue.sequentialPValue.toPrecision(3)})`,
    );
  }
  return broken;
}

/**
 * The automation's rule for a RUNNING experiment, on always-valid (mSPRT) p-values so that deciding
 * at every look keeps the error rates: nothing before every live variant has `minUsersPerVariant`
 * users or while the traffic split is off (sample-ratio mismatch, which means broken assignment or
 * logging); then roll back the first treatment that breaks a guardrail; then promote the treatment with
 * a significant CTR gain that holds every guardrail (and the best one if several do).
 */
export function decide(experiment: Experiment, analysis: ExperimentAnalysis): Decision {
  const s = { ...AUTOMATION_DEFAULTS, ...experiment.automation };
  if (experiment.status !== 'RUNNING') return { action: 'hold', reason: `status is ${experiment.status}` };
  if (analysis.sampleRatio?.mismatch) {
    return {
      action: 'hold',
      reason: `sample-ratio mismatch (p = ${analysis.sampleRatio.pValue.toPrecision(3)}): assignment or exposure logging is broken`,
    };
  }
  const live = analysis.variants.filter((v, i) => !v.disabled && experiment.variants[i]!.allocation > 0);
  const short = live.filter((v) => v.counts.users < s.minUsersPerVariant);
  if (short.length > 0) {
    return {
      action: 'hold',
      reason: `waiting for ${s.minUsersPerVariant} users per variant (${short.map((v) => `${v.name}: ${v.counts.users}`).join(', ')})`,
    };
  }
  const treatments = live.filter((v) => v.name !== analysis.control);
  if (s.rollback) {
    for (const v of treatments) {
      const broken = brokenGuardrails(v, s);
      if (broken.length > 0) return { action: 'rollback', variant: v.name, reason: broken.join('; ') };
    }
  }
  if (s.promote) {
    const winners = treatments
      .filter((v) => {
        const ctr = find(v, 'ctr');
        return ctr && ctr.significant && ctr.diff > 0 && brokenGuardrails(v, s).length === 0;
      })
      .sort((a, b) => find(b, 'ctr')!.diff - find(a, 'ctr')!.diff);
    const best = winners[0];
    if (best) {
      const ctr = find(best, 'ctr')!;
      return {
        action: 'promote',
        variant: best.name,
        reason: `CTR ${pct(ctr.control)} -> ${pct(ctr.treatment)} (${ctr.lift >= 0 ? '+' : ''}${pct(ctr.lift)}, always-valid p = ${ctr.sequentialPValue.toPrecision(3)}); guardrails hold`,
      };
    }
  }
  return { action: 'hold', reason: 'no significant winner and no broken guardrail yet' };
}

/** The experiment after a decision (unchanged for `hold`). */
export function applyDecision(experiment: Experiment, decision: Decision): Experiment {
  if (decision.action === 'promote') return { ...experiment, status: 'PROMOTED', winner: decision.variant };
  if (decision.action === 'rollback') {
    const variants = experiment.variants.map((v) =>
      v.name === decision.variant ? { ...v, disabled: true } : v,
    );
    // with no treatment left there is nothing to compare: the experiment stops
    const left = variants.slice(1).some((v) => !v.disabled && v.allocation > 0);
    return { ...experiment, variants, ...(left ? {} : { status: 'STOPPED' as const }) };
  }
  return experiment;
}
