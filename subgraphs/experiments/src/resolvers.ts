import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  ErrorCode,
  RecsError,
  badInput,
  canReadUser,
  isAdmin,
  isValidId,
  normaliseUserId,
  type Principal,
} from '@recs/core';
import {
  AUTOMATION_DEFAULTS,
  ExperimentConfigError,
  ExperimentStoreConflict,
  SURFACES,
  assign,
  automationProblems,
  describeProblem,
  scheduleProblems,
  type AuditEntry,
  type Decision,
  type Experiment,
  type MetricComparison,
  type SettingProblem,
  type Surface,
  type Variant,
  type VariantAnalysis,
} from '@recs/experiments';
import type { SubgraphContext } from '@recs/subgraph-kit';
import type { ExperimentsService } from './ExperimentsService';

type Ctx = SubgraphContext<Record<string, never>>;

/** The GraphQL ExperimentInput, as the resolver receives it. */
interface ExperimentInput {
  id: string;
  layer: string;
  status?: Experiment['status'] | null;
  salt?: string | null;
  trafficFrom?: number | null;
  trafficTo?: number | null;
  surfaces?: Surface[] | null;
  variants: {
    name: string;
    allocation: number;
    config?: {
      modelVersion?: string | null;
      ranker?: boolean | null;
      sourceWeights?: { source: string; weight: number }[] | null;
      rules?: Record<string, number | null> | null;
    } | null;
  }[];
  segment?: {
    countries?: string[] | null;
    devices?: string[] | null;
    newUsers?: boolean | null;
    attributes?: { key: string; value: string }[] | null;
  } | null;
  startAt?: string | null;
  endAt?: string | null;
  automation?: Record<string, number | boolean | null> | null;
}

/** Drops the nulls GraphQL passes for absent optional fields. */
function defined<T extends Record<string, unknown>>(
  o: T | null | undefined,
): { [K in keyof T]?: Exclude<T[K], null> } | undefined {
  if (!o) return undefined;
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
  return Object.keys(out).length > 0 ? (out as { [K in keyof T]?: Exclude<T[K], null> }) : undefined;
}

/** The stored experiment of an input (validation of the whole set happens in the store's change). */
export function experimentFromInput(input: ExperimentInput, previous: Experiment | null): Experiment {
  const segment = input.segment
    ? defined({
        countries: input.segment.countries?.map((c) => c.trim().toUpperCase()),
        devices: input.segment.devices,
        newUsers: input.segment.newUsers,
        attributes: input.segment.attributes
          ? Object.fromEntries(input.segment.attributes.map((a) => [a.key, a.value]))
          : undefined,
      })
    : undefined;
  const schedule = defined({ startAt: input.startAt, endAt: input.endAt });
  const e: Experiment = {
    id: input.id,
    layer: input.layer,
    status: input.status ?? 'DRAFT',
    salt: input.salt ?? previous?.salt ?? input.id,
    traffic: { from: input.trafficFrom ?? 0, to: input.trafficTo ?? 100 },
    variants: input.variants.map((v): Variant => {
      const config = v.config
        ? defined({
            modelVersion: v.config.modelVersion,
            ranker: v.config.ranker,
            sourceWeights: v.config.sourceWeights
              ? Object.fromEntries(v.config.sourceWeights.map((w) => [w.source, w.weight]))
              : undefined,
            rules: defined(v.config.rules ?? undefined),
          })
        : undefined;
      return { name: v.name, allocation: v.allocation, ...(config ? { config } : {}) };
    }),
    ...(input.surfaces ? { surfaces: input.surfaces } : {}),
    ...(segment ? { segment } : {}),
    ...(schedule ? { schedule } : {}),
    ...(input.automation ? { automation: defined(input.automation) ?? {} } : {}),
  };
  return e;
}

/**
 * Refuses an input whose schedule or automation settings are out of range, before the store is touched:
 * BAD_USER_INPUT naming each field as the mutation's argument (`input.automation.alpha`, `input.startAt`)
 * with the value received. The store's validation of the whole set applies the same checks.
 */
export function checkExperimentInput(input: ExperimentInput): void {
  const problems: [string, SettingProblem][] = [
    ...scheduleProblems(defined({ startAt: input.startAt, endAt: input.endAt })).map(
      (p): [string, SettingProblem] => ['input.', p],
    ),
    ...automationProblems(defined(input.automation ?? undefined)).map((p): [string, SettingProblem] => [
      'input.automation.',
      p,
    ]),
  ];
  const first = problems[0];
  if (!first) return;
  throw new RecsError(
    ErrorCode.BAD_USER_INPUT,
    problems.map(([prefix, p]) => describeProblem(p, prefix)).join('\n'),
    { argument: `${first[0]}${first[1].field}` },
  );
}

function requireService(ctx: Ctx): void {
  if (ctx.principal.kind !== 'service') {
    throw new RecsError(ErrorCode.FORBIDDEN, 'experiments are visible to service and admin keys only');
  }
}

function requireAdmin(ctx: Ctx): string {
  if (!isAdmin(ctx.principal))
    throw new RecsError(ErrorCode.FORBIDDEN, 'only an admin key may change experiments');
  return `admin:${(ctx.principal as Extract<Principal, { kind: 'service' }>).keyId}`;
}

/** Store and validation failures as GraphQL errors with codes. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ExperimentConfigError) {
      throw new RecsError(ErrorCode.BAD_USER_INPUT, `invalid experiment set: ${err.message}`);
    }
    if (err instanceof ExperimentStoreConflict) throw new RecsError(ErrorCode.CONFLICT, err.message);
    throw err;
  }
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

const decisionOut = (experimentId: string, d: Decision, auditId?: string) => ({
  experimentId,
  action: d.action,
  variant: 'variant' in d ? d.variant : null,
  reason: d.reason,
  auditId: auditId ?? null,
});

/** Resolvers of the experiments subgraph. */
export function buildResolvers(service: ExperimentsService): GraphQLResolverMap<Ctx> {
  return {
    Query: {
      experiments: (_: unknown, _args: unknown, ctx: Ctx) => {
        requireService(ctx);
        return service.list();
      },
      experiment: async (_: unknown, args: { id: string }, ctx: Ctx) => {
        requireService(ctx);
        return (await service.get(args.id)) ?? null;
      },
      experimentResults: async (_: unknown, args: { id: string; segment?: string | null }, ctx: Ctx) => {
        requireService(ctx);
        const { analysis, segments, decision } = await service.results(args.id, args.segment ?? 'all');
        return {
          experimentId: analysis.experimentId,
          segment: analysis.segment,
          segments,
          control: analysis.control,
          alpha: analysis.alpha,
          variants: analysis.variants,
          sampleRatioPValue: analysis.sampleRatio?.pValue ?? null,
          sampleRatioMismatch: analysis.sampleRatio?.mismatch ?? false,
          minimumUsersPerVariant: analysis.minimumUsersPerVariant,
          decision: decisionOut(analysis.experimentId, decision),
        };
      },
      experimentAudit: async (
        _: unknown,
        args: { experimentId?: string | null; limit?: number | null },
        ctx: Ctx,
      ) => {
        requireService(ctx);
        const limit = args.limit ?? 50;
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          throw badInput('limit', 'must be between 1 and 1000', args.limit);
        }
        return service.store.audit({ experimentId: args.experimentId ?? undefined, limit });
      },
    },
    Mutation: {
      saveExperiment: (_: unknown, args: { input: ExperimentInput }, ctx: Ctx) => {
        const actor = requireAdmin(ctx);
        checkExperimentInput(args.input);
        return guarded(async () => {
          const entry = await service.change(
            args.input.id,
            (previous) => experimentFromInput(args.input, previous),
            { actor, action: 'save', reason: 'saveExperiment', automatic: false },
          );
          return entry.after;
        });
      },
      setExperimentStatus: (
        _: unknown,
        args: { id: string; status: Experiment['status']; winner?: string | null },
        ctx: Ctx,
      ) => {
        const actor = requireAdmin(ctx);
        return guarded(async () => {
          const entry = await service.change(
            args.id,
            (current) => {
              if (!current)
                throw new RecsError(ErrorCode.NOT_FOUND, `no experiment ${JSON.stringify(args.id)}`);
              const { winner: _old, ...rest } = current;
              return { ...rest, status: args.status, ...(args.winner ? { winner: args.winner } : {}) };
            },
            { actor, action: 'status', reason: `status ${args.status}`, automatic: false },
          );
          return entry.after;
        });
      },
      revertExperimentChange: (_: unknown, args: { auditId: string }, ctx: Ctx) => {
        const actor = requireAdmin(ctx);
        return guarded(() => service.revert(args.auditId, actor));
      },
      runExperimentAutomation: async (_: unknown, _args: unknown, ctx: Ctx) => {
        requireAdmin(ctx);
        const outcomes = await guarded(() => service.runAutomation());
        return outcomes.map((o) => decisionOut(o.experimentId, o.decision, o.auditId));
      },
    },
    Experiment: {
      surfaces: (e: Experiment): readonly Surface[] => e.surfaces ?? SURFACES,
      trafficFrom: (e: Experiment) => e.traffic.from,
      trafficTo: (e: Experiment) => e.traffic.to,
      startAt: (e: Experiment) => e.schedule?.startAt ?? null,
      endAt: (e: Experiment) => e.schedule?.endAt ?? null,
      automation: (e: Experiment) => ({ ...AUTOMATION_DEFAULTS, ...e.automation }),
      segment: (e: Experiment) =>
        e.segment
          ? {
              ...e.segment,
              attributes: Object.entries(e.segment.attributes ?? {}).map(([key, value]) => ({ key, value })),
            }
          : null,
    },
    Variant: {
      disabled: (v: Variant) => Boolean(v.disabled),
      config: (v: Variant) => ({
        ...v.config,
        sourceWeights: Object.entries(v.config?.sourceWeights ?? {}).map(([source, weight]) => ({
          source,
          weight,
        })),
      }),
    },
    ExperimentAuditEntry: {
      before: (a: AuditEntry) => a.before,
      after: (a: AuditEntry) => a.after,
    },
    VariantResults: {
      users: (v: VariantAnalysis) => v.counts.users,
      exposures: (v: VariantAnalysis) => v.counts.exposures,
      impressions: (v: VariantAnalysis) => v.counts.impressions,
      clicks: (v: VariantAnalysis) => v.counts.clicks,
      clickUsers: (v: VariantAnalysis) => v.counts.clickUsers,
      addToCarts: (v: VariantAnalysis) => v.counts.addToCarts,
      purchases: (v: VariantAnalysis) => v.counts.purchases,
      orders: (v: VariantAnalysis) => v.counts.orders,
      buyers: (v: VariantAnalysis) => v.counts.buyers,
      revenue: (v: VariantAnalysis) => v.counts.revenue,
      latencyP95Ms: (v: VariantAnalysis) => (v.latencyP95Ms === null ? null : finite(v.latencyP95Ms)),
    },
    MetricComparison: {
      lift: (m: MetricComparison) => finite(m.lift),
      ciLower: (m: MetricComparison) => m.ci.lower,
      ciUpper: (m: MetricComparison) => m.ci.upper,
      cuped: (m: MetricComparison) =>
        m.cuped ? { ...m.cuped, ciLower: m.cuped.ci.lower, ciUpper: m.cuped.ci.upper } : null,
    },
    Product: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      experiments: async (_product: { id: string }, _args: unknown, ctx: Ctx) => {
        requireService(ctx);
        return (await service.list()).filter(
          (e) =>
            e.status === 'RUNNING' && (e.surfaces ?? SURFACES).some((s) => s === 'PRODUCT' || s === 'CART'),
        );
      },
    },
    User: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => {
        if (!isValidId(ref.id)) throw badInput('id', 'must be a user id', ref.id);
        const id = normaliseUserId(ref.id);
        if (!canReadUser(ctx.principal, id)) {
          throw new RecsError(ErrorCode.FORBIDDEN, 'a shopper may only read their own assignments');
        }
        return { id };
      },
      experiments: async (user: { id: string }) => assign(user.id, await service.list()),
    },
  };
}
