import {
  DEVICES,
  EXPERIMENT_STATUSES,
  SURFACES,
  type Experiment,
  type RuleOverrides,
  type Variant,
} from './Experiment';

/** Thrown with every problem of an experiment set, one per line. */
export class ExperimentConfigError extends Error {}

/** Candidate sources a variant may weigh (the `explain.sources` names of the recommendations API). */
export const CANDIDATE_SOURCES = [
  'ease',
  'cosine',
  'content',
  'buy_again',
  'ease_user',
  'trending',
  'cold_start',
  'search',
  'cooccurrence_graph',
  'popularity',
] as const;

/** The range each rule override accepts: the recommendations subgraph's RuleConfig ranges. */
const RULE_RANGES: Record<keyof RuleOverrides, [number, number, boolean]> = {
  marginBoost: [0, 10, false],
  maxCategoryShare: [0.01, 1, false],
  popularityDampening: [0, 5, false],
  explorationSlots: [0, 10, true],
  promotionShare: [0, 1, false],
};

export interface ValidateOptions {
  /** Model versions of the registry; when given, a variant naming another version is refused. */
  modelVersions?: ReadonlySet<string>;
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Checks an experiment set: ids, statuses, variants (unique names, allocations >= 0 summing to 100,
 * known model versions, source weights and rule overrides in range), traffic slices inside [0, 100],
 * known surfaces and devices, schedules, winners, and no two live experiments overlapping within a layer
 * (exclusivity). Throws with all problems found.
 */
export function validateExperiments(experiments: readonly Experiment[], options: ValidateOptions = {}): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const e of experiments) {
    if (typeof e.id !== 'string' || !ID.test(e.id) || ids.has(e.id)) {
      problems.push(
        `experiment id ${JSON.stringify(e.id)} is missing, repeated or not 1..64 of [A-Za-z0-9_.-]`,
      );
    }
    ids.add(e.id);
    const at = `experiment ${e.id}`;
    if (typeof e.layer !== 'string' || !ID.test(e.layer))
      problems.push(`${at}: layer must be 1..64 of [A-Za-z0-9_.-]`);
    if (typeof e.salt !== 'string' || e.salt.length === 0)
      problems.push(`${at}: salt must be a non-empty string`);
    if (!(EXPERIMENT_STATUSES as readonly string[]).includes(e.status)) {
      problems.push(
        `${at}: status must be one of ${EXPERIMENT_STATUSES.join(', ')}; received ${JSON.stringify(e.status)}`,
      );
    }
    problems.push(...variantProblems(at, e.variants, options));
    for (const surface of e.surfaces ?? []) {
      if (!(SURFACES as readonly string[]).includes(surface)) {
        problems.push(
          `${at}: unknown surface ${JSON.stringify(surface)} (expected one of ${SURFACES.join(', ')})`,
        );
      }
    }
    for (const device of e.segment?.devices ?? []) {
      if (!(DEVICES as readonly string[]).includes(device)) {
        problems.push(
          `${at}: unknown device ${JSON.stringify(device)} (expected one of ${DEVICES.join(', ')})`,
        );
      }
    }
    for (const country of e.segment?.countries ?? []) {
      if (!/^[A-Z]{2}$/.test(country))
        problems.push(`${at}: country ${JSON.stringify(country)} is not ISO 3166-1 alpha-2`);
    }
    if (!(e.traffic && e.traffic.from >= 0 && e.traffic.to <= 100 && e.traffic.from < e.traffic.to)) {
      problems.push(`${at}: traffic must be a slice within [0, 100); received ${JSON.stringify(e.traffic)}`);
    }
    const start = e.schedule?.startAt === undefined ? -Infinity : Date.parse(e.schedule.startAt);
    const end = e.schedule?.endAt === undefined ? Infinity : Date.parse(e.schedule.endAt);
    if (Number.isNaN(start) || Number.isNaN(end) || start >= end) {
      problems.push(
        `${at}: schedule must hold ISO 8601 instants with startAt before endAt; received ${JSON.stringify(e.schedule)}`,
      );
    }
    if (e.status === 'PROMOTED' && !e.variants?.some((v) => v.name === e.winner)) {
      problems.push(
        `${at}: a PROMOTED experiment needs a winner among its variants; received ${JSON.stringify(e.winner)}`,
      );
    }
  }
  const live = experiments.filter((e) => e.status === 'RUNNING' || e.status === 'PROMOTED');
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

function variantProblems(at: string, variants: readonly Variant[], options: ValidateOptions): string[] {
  const problems: string[] = [];
  if (!Array.isArray(variants) || variants.length < 1) return [`${at}: needs at least one variant`];
  const sum = variants.reduce((s, v) => s + v.allocation, 0);
  if (Math.abs(sum - 100) > 1e-9 || variants.some((v) => !(v.allocation >= 0))) {
    problems.push(`${at}: variant allocations must be >= 0 and sum to 100; received ${sum}`);
  }
  const names = new Set<string>();
  for (const v of variants) {
    if (typeof v.name !== 'string' || !ID.test(v.name) || names.has(v.name)) {
      problems.push(
        `${at}: variant name ${JSON.stringify(v.name)} is missing, repeated or not 1..64 of [A-Za-z0-9_.-]`,
      );
    }
    names.add(v.name);
    const c = v.config ?? {};
    if (c.modelVersion !== undefined && options.modelVersions && !options.modelVersions.has(c.modelVersion)) {
      problems.push(
        `${at}: variant ${v.name} names model version ${JSON.stringify(c.modelVersion)}, which the registry does not hold (known: ${[...options.modelVersions].join(', ') || 'none'})`,
      );
    }
    for (const [source, w] of Object.entries(c.sourceWeights ?? {})) {
      if (!(CANDIDATE_SOURCES as readonly string[]).includes(source)) {
        problems.push(
          `${at}: variant ${v.name} weighs unknown source ${JSON.stringify(source)} (expected one of ${CANDIDATE_SOURCES.join(', ')})`,
        );
      } else if (!(typeof w === 'number' && w >= 0 && w <= 10)) {
        problems.push(
          `${at}: variant ${v.name} source weight ${source} must be in [0, 10]; received ${JSON.stringify(w)}`,
        );
      }
    }
    for (const [knob, value] of Object.entries(c.rules ?? {})) {
      const range = RULE_RANGES[knob as keyof RuleOverrides];
      if (!range) {
        problems.push(
          `${at}: variant ${v.name} overrides unknown rule ${JSON.stringify(knob)} (expected one of ${Object.keys(RULE_RANGES).join(', ')})`,
        );
      } else if (!(
        typeof value === 'number' &&
        value >= range[0] &&
        value <= range[1] &&
        (!range[2] || Number.isInteger(value))
      )) {
        problems.push(
          `${at}: variant ${v.name} rule ${knob} must be ${range[2] ? 'an integer ' : ''}in [${range[0]}, ${range[1]}]; received ${JSON.stringify(value)}`,
        );
      }
    }
  }
  return problems;
}
