import {
  DEVICES,
  EXPERIMENT_STATUSES,
  SURFACES,
  type AutomationSettings,
  type Experiment,
  type RuleOverrides,
  type Variant,
  type VariantConfig,
} from './Experiment';
import { LATENCY_BUCKETS_MS } from './outcomes/OutcomeStore';
import { parseInstant } from './parseInstant';

/** Thrown with every problem of an experiment set, one per line. */
export class ExperimentConfigError extends Error {
  override name = 'ExperimentConfigError';
}

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
  /**
   * Check the fields of this experiment only (the one being changed); the others, as stored, take part
   * in the set's checks (unique ids, no overlap in a layer) only. An experiment stored under older,
   * looser rules then blocks no change to another one; it is held to the rules when it is changed.
   */
  only?: string;
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Checks an experiment set: ids, statuses, variants (unique names, allocations >= 0 summing to 100,
 * known model versions, source weights and rule overrides in range), traffic slices inside [0, 100],
 * known surfaces and devices, schedules (strict ISO 8601 date-times, start before end), automation
 * settings in range (see {@link AUTOMATION_RANGES}), winners, and no two live experiments overlapping
 * within a layer (exclusivity). Throws with all problems found, each naming the experiment, the field and
 * the value received.
 */
export function validateExperiments(experiments: readonly Experiment[], options: ValidateOptions = {}): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [i, e] of experiments.entries()) {
    if (!isObject(e)) {
      problems.push(`experiment #${i + 1} must be an object; received ${shown(e)}`);
      continue;
    }
    if (typeof e.id !== 'string' || !ID.test(e.id) || ids.has(e.id)) {
      problems.push(
        `experiment id ${JSON.stringify(e.id)} is missing, repeated or not 1..64 of [A-Za-z0-9_.-]`,
      );
    }
    ids.add(e.id);
    if (options.only !== undefined && e.id !== options.only) continue;
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
    for (const p of scheduleProblems(e.schedule)) problems.push(`${at}: ${describeProblem(p, 'schedule.')}`);
    for (const p of automationProblems(e.automation))
      problems.push(`${at}: ${describeProblem(p, 'automation.')}`);
    if (e.status === 'PROMOTED' && !e.variants?.some((v) => v.name === e.winner)) {
      problems.push(
        `${at}: a PROMOTED experiment needs a winner among its variants; received ${JSON.stringify(e.winner)}`,
      );
    }
  }
  const live = experiments.filter(
    (e) => isObject(e) && e.traffic && (e.status === 'RUNNING' || e.status === 'PROMOTED'),
  );
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

/** The keys of a variant's configuration ({@link VariantConfig}) and the JSON type of each. */
const VARIANT_CONFIG_TYPES: Record<keyof VariantConfig, 'string' | 'boolean' | 'object'> = {
  modelVersion: 'string',
  ranker: 'boolean',
  sourceWeights: 'object',
  rules: 'object',
};

/**
 * The shape problems of a variant's configuration: not an object, unknown keys (a misspelt
 * `sourceWeight` would otherwise be ignored and the variant serve like the control), values of the
 * wrong JSON type. The values' ranges are checked by {@link validateExperiments}. Shared with the
 * `replay` command's candidate file.
 */
export function variantConfigProblems(config: unknown): string[] {
  if (!isObject(config)) return [`a variant configuration must be a JSON object; received ${shown(config)}`];
  const problems: string[] = [];
  const unknown = Object.keys(config).filter((k) => !Object.hasOwn(VARIANT_CONFIG_TYPES, k));
  if (unknown.length > 0) {
    problems.push(
      `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (expected ${Object.keys(VARIANT_CONFIG_TYPES).join(', ')})`,
    );
  }
  for (const [key, type] of Object.entries(VARIANT_CONFIG_TYPES)) {
    const value = config[key];
    if (value === undefined) continue;
    if (type === 'object' ? !isObject(value) : typeof value !== type) {
      problems.push(
        `${key} must be ${type === 'object' ? 'a JSON object' : `a ${type}`}; received ${shown(value)}`,
      );
    }
  }
  return problems;
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
    const shape = variantConfigProblems(v.config ?? {});
    for (const p of shape) problems.push(`${at}: variant ${v.name} config: ${p}`);
    if (shape.length > 0) continue;
    const c: VariantConfig = v.config ?? {};
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

/** One problem of a setting: the field (relative to its object), what it must be, and what was received. */
export interface SettingProblem {
  field: string;
  problem: string;
  received: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A received value as the messages show it (numbers as themselves, so NaN and -0 stay readable). */
function shown(v: unknown): string {
  const s = typeof v === 'number' ? String(v) : JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 80)}...` : s;
}

/** `<prefix><field> <problem>; received <value>` (a problem of the whole object: `<prefix>` alone). */
export function describeProblem(p: SettingProblem, prefix = ''): string {
  const name = p.field ? `${prefix}${p.field}` : prefix.replace(/\.$/, '');
  return `${name} ${p.problem}; received ${shown(p.received)}`;
}

/** A numeric range: [min, max], open at min when `minOpen`, integers only when `integer`. */
interface NumberRange {
  min: number;
  max: number;
  minOpen?: boolean;
  integer?: boolean;
  /** Appended to the problem: what the number means. */
  hint?: string;
}

/**
 * What each automation setting accepts. Every setting of {@link AutomationSettings} needs an entry (the
 * compiler checks), so a new setting cannot go in unchecked.
 *
 * - alpha: the statistics (`msprt`, `twoProportionZTest`, `welchTTest`, `minimumSampleSize`) accept any
 *   level in (0, 1) and throw a RangeError outside it, which would fail `experimentResults` and the whole
 *   automation round. Above 0.5 the confidence sequence misses the true effect more often than it covers
 *   it, so the automation would promote and roll back on noise; and 0.95 is the classic mix-up of the
 *   confidence level with the significance level. Hence (0, 0.5].
 * - minUsersPerVariant: a user count, so an integer >= 1; at most 2^31 - 1 because the GraphQL field is
 *   an `Int` (a larger value from the file could not be read back).
 * - maxCtrDrop: a relative drop of the CTR vs control; the lift is never below -100%, so [0, 1] (1 turns
 *   the guardrail off).
 * - maxEmptyListRate: a share of lists, [0, 1] (1 turns the guardrail off).
 * - maxLatencyP95Ms: compared with the upper bound of the latency bucket holding the p95, and the smallest
 *   bucket is 5 ms: below it every variant with traffic breaks the guardrail at once. At most 60 s, the
 *   gateway's largest subgraph timeout.
 */
export const AUTOMATION_RANGES = {
  promote: 'boolean',
  rollback: 'boolean',
  alpha: {
    min: 0,
    minOpen: true,
    max: 0.5,
    hint: 'the significance level, e.g. 0.05; not a confidence level like 0.95',
  },
  minUsersPerVariant: { min: 1, max: 2 ** 31 - 1, integer: true },
  maxCtrDrop: { min: 0, max: 1, hint: 'a relative drop: 0.05 is 5%' },
  maxEmptyListRate: { min: 0, max: 1, hint: 'a share: 0.05 is 5%' },
  maxLatencyP95Ms: { min: LATENCY_BUCKETS_MS[0], max: 60_000, hint: 'milliseconds' },
} as const satisfies Record<keyof AutomationSettings, 'boolean' | NumberRange>;

/**
 * The problems of an experiment's automation settings (absent or null: the defaults), fields relative
 * to the settings object (`alpha`, `minUsersPerVariant`, ...). Unknown settings are problems too, so a
 * misspelt one is not silently ignored.
 */
export function automationProblems(automation: unknown): SettingProblem[] {
  if (automation === undefined || automation === null) return [];
  if (!isObject(automation)) return [{ field: '', problem: 'must be an object', received: automation }];
  const problems: SettingProblem[] = [];
  for (const [field, value] of Object.entries(automation)) {
    if (!Object.hasOwn(AUTOMATION_RANGES, field)) {
      problems.push({
        field,
        problem: `is not an automation setting (expected one of ${Object.keys(AUTOMATION_RANGES).join(', ')})`,
        received: value,
      });
      continue;
    }
    const range: 'boolean' | NumberRange = AUTOMATION_RANGES[field as keyof AutomationSettings];
    if (range === 'boolean') {
      if (typeof value !== 'boolean')
        problems.push({ field, problem: 'must be true or false', received: value });
      continue;
    }
    const inRange =
      typeof value === 'number' &&
      (range.minOpen ? value > range.min : value >= range.min) &&
      value <= range.max &&
      (!range.integer || Number.isInteger(value));
    if (!inRange) {
      problems.push({
        field,
        problem: `must be ${range.integer ? 'an integer' : 'a number'} in ${range.minOpen ? '(' : '['}${range.min}, ${range.max}]${range.hint ? ` (${range.hint})` : ''}`,
        received: value,
      });
    }
  }
  return problems;
}

const INSTANT_PROBLEM =
  'must be an ISO 8601 date-time with a time zone and a real calendar date, e.g. "2025-03-01T00:00:00Z"';

/**
 * The problems of a schedule (absent: always), fields relative to it (`startAt`, `endAt`): each bound an
 * ISO 8601 date-time with a time zone, parsed strictly (no Feb 30, no 24:00), and startAt before endAt.
 */
export function scheduleProblems(schedule: unknown): SettingProblem[] {
  if (schedule === undefined || schedule === null) return [];
  if (!isObject(schedule)) return [{ field: '', problem: 'must be an object', received: schedule }];
  const problems: SettingProblem[] = [];
  const bounds: Record<string, number> = {};
  for (const [field, value] of Object.entries(schedule)) {
    if (field !== 'startAt' && field !== 'endAt') {
      problems.push({ field, problem: 'is not a schedule bound (expected startAt, endAt)', received: value });
      continue;
    }
    if (value === undefined) continue;
    const ms = typeof value === 'string' ? parseInstant(value) : undefined;
    if (ms === undefined) problems.push({ field, problem: INSTANT_PROBLEM, received: value });
    else bounds[field] = ms;
  }
  if (bounds.startAt !== undefined && bounds.endAt !== undefined && bounds.startAt >= bounds.endAt) {
    problems.push({
      field: 'endAt',
      problem: `must be after startAt ${JSON.stringify((schedule as { startAt: string }).startAt)}`,
      received: schedule.endAt,
    });
  }
  return problems;
}
