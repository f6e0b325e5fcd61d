import { SURFACES, type Experiment } from './Experiment';

/** Thrown with every problem of an experiment set, one per line. */
export class ExperimentConfigError extends Error {}

/**
 * Checks an experiment set: unique ids, allocations of each experiment summing to 100, traffic slices
 * inside [0, 100], known surfaces and not overlapping within a layer (exclusivity). Throws with all problems found.
 */
export function validateExperiments(experiments: readonly Experiment[]): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const e of experiments) {
    if (!e.id || ids.has(e.id)) problems.push(`experiment id ${JSON.stringify(e.id)} is missing or repeated`);
    ids.add(e.id);
    const sum = e.variants.reduce((s, v) => s + v.allocation, 0);
    if (
      e.variants.length === 0 ||
      Math.abs(sum - 100) > 1e-9 ||
      e.variants.some((v) => !(v.allocation >= 0))
    ) {
      problems.push(`experiment ${e.id}: variant allocations must be >= 0 and sum to 100; received ${sum}`);
    }
    for (const surface of e.surfaces ?? []) {
      if (!(SURFACES as readonly string[]).includes(surface)) {
        problems.push(
          `experiment ${e.id}: unknown surface ${JSON.stringify(surface)} (expected one of ${SURFACES.join(', ')})`,
        );
      }
    }
    if (!(e.traffic.from >= 0 && e.traffic.to <= 100 && e.traffic.from < e.traffic.to)) {
      problems.push(
        `experiment ${e.id}: traffic must be a slice within [0, 100); received ${JSON.stringify(e.traffic)}`,
      );
    }
  }
  const live = experiments.filter((e) => e.status !== 'STOPPED');
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i]!;
      const b = live[j]!;
      if (a.layer === b.layer && a.traffic.from < b.traffic.to && b.traffic.from < a.traffic.to) {
        problems.push(`experiments ${a.id} and ${b.id} overlap in layer ${a.layer}`);
      }
    }
  }
  if (problems.length) throw new ExperimentConfigError(problems.join('\n'));
}
