import type { Experiment } from '../Experiment';
import { experimentsPrefixOn, redisScript, type ExperimentsRedis } from '../redisScript';

/** One change of the experiment set, as the audit log keeps it. */
export interface AuditEntry {
  /** Monotonic id (the audit stream's entry id on Redis). */
  id: string;
  at: string;
  /** Who made it: `admin:<key id>`, `automation`, `file`. */
  actor: string;
  /** create, update, status, promote, rollback, revert, import. */
  action: string;
  experimentId: string;
  automatic: boolean;
  reason: string;
  /** The experiment before and after the change (null: did not exist / deleted). */
  before: Experiment | null;
  after: Experiment | null;
}

export type ChangeMeta = Pick<AuditEntry, 'actor' | 'action' | 'reason' | 'automatic'>;

/** Thrown when a change cannot be applied (unknown experiment, concurrent writers). */
export class ExperimentStoreConflict extends Error {}

/**
 * The shared, audited experiment set. Admin mutations and the automation change it through
 * {@link ExperimentStore.change}; every server that serves variants polls {@link ExperimentStore.version}
 * and rereads the set when it moves, so the hot path never waits for the store.
 */
export interface ExperimentStore {
  readonly kind: 'redis' | 'memory';
  version(): Promise<number>;
  list(): Promise<{ version: number; experiments: Experiment[] }>;
  /**
   * Replaces one experiment (null deletes it) after `validate` accepted the whole resulting set, and
   * appends the audit entry, atomically: if another writer changed the set in between, it retries on the
   * new set (up to 5 times), then throws {@link ExperimentStoreConflict}.
   */
  change(
    experimentId: string,
    next: (current: Experiment | null) => Experiment | null,
    meta: ChangeMeta,
    validate: (set: Experiment[]) => void,
  ): Promise<AuditEntry>;
  /** Newest first; one experiment's when `experimentId` is given. */
  audit(opts?: { experimentId?: string; limit?: number }): Promise<AuditEntry[]>;
  auditEntry(id: string): Promise<AuditEntry | undefined>;
}

/** The minimal storage a store needs: a versioned map and an append-only log, committed together. */
interface Backend {
  read(): Promise<{ version: number; map: Map<string, Experiment> }>;
  /** Commits if the version is still `expected`; the new audit id, or null on a lost race. */
  commit(
    expected: number,
    id: string,
    json: string | null,
    audit: Omit<AuditEntry, 'id'>,
  ): Promise<string | null>;
  entries(limit: number): Promise<AuditEntry[]>;
  entry(id: string): Promise<AuditEntry | undefined>;
  version(): Promise<number>;
}

function storeOver(kind: 'redis' | 'memory', backend: Backend): ExperimentStore {
  return {
    kind,
    version: () => backend.version(),
    async list() {
      const { version, map } = await backend.read();
      return { version, experiments: [...map.values()].sort((a, b) => a.id.localeCompare(b.id)) };
    },
    async change(experimentId, next, meta, validate) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const { version, map } = await backend.read();
        const before = map.get(experimentId) ?? null;
        const after = next(before);
        if (after && after.id !== experimentId) {
          throw new ExperimentStoreConflict(
            `the experiment id cannot change (${experimentId} -> ${after.id})`,
          );
        }
        const set = new Map(map);
        if (after) set.set(experimentId, after);
        else set.delete(experimentId);
        validate([...set.values()]);
        const audit = { ...meta, at: new Date().toISOString(), experimentId, before, after };
        const id = await backend.commit(version, experimentId, after ? JSON.stringify(after) : null, audit);
        if (id) return { id, ...audit };
      }
      throw new ExperimentStoreConflict(`experiment ${experimentId}: too many concurrent changes; try again`);
    },
    async audit(opts = {}) {
      const limit = opts.limit ?? 100;
      const all = await backend.entries(opts.experimentId ? 10_000 : limit);
      return (opts.experimentId ? all.filter((e) => e.experimentId === opts.experimentId) : all).slice(
        0,
        limit,
      );
    },
    auditEntry: (id) => backend.entry(id),
  };
}

/** An in-process store (tests and the embedded first run: then only this process sees changes). */
export function createMemoryExperimentStore(initial: readonly Experiment[] = []): ExperimentStore {
  const map = new Map(initial.map((e) => [e.id, structuredClone(e)]));
  const log: AuditEntry[] = [];
  let version = 0;
  return storeOver('memory', {
    read: async () => ({ version, map: new Map([...map].map(([k, v]) => [k, structuredClone(v)])) }),
    version: async () => version,
    async commit(expected, id, json, audit) {
      if (expected !== version) return null;
      if (json) map.set(id, JSON.parse(json) as Experiment);
      else map.delete(id);
      version += 1;
      const entryId = `${Date.now()}-${log.length}`;
      log.push({ id: entryId, ...structuredClone(audit) });
      return entryId;
    },
    entries: async (limit) => log.slice(-limit).reverse(),
    entry: async (id) => log.find((e) => e.id === id),
  });
}

const COMMIT = `
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return false end
if ARGV[3] == '' then redis.call('HDEL', KEYS[2], ARGV[2]) else redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
redis.call('INCR', KEYS[1])
return redis.call('XADD', KEYS[3], '*', 'entry', ARGV[4])
`;

/** Redis keys of the experiment set under a prefix (default `recs-exp`). */
export const experimentKeys = (prefix = 'recs-exp') => ({
  version: `${prefix}:version`,
  experiments: `${prefix}:experiments`,
  audit: `${prefix}:audit`,
});

const COMMIT_SCRIPT = redisScript(COMMIT);

/** The shared store on Redis: a hash of experiments, a version counter and an audit stream, changed by one script. */
export function createRedisExperimentStore(client: ExperimentsRedis, prefix?: string): ExperimentStore {
  const EXPERIMENT_KEYS = experimentKeys(experimentsPrefixOn(client, prefix ?? 'recs-exp'));
  const parseEntry = ([id, fields]: [string, string[]]): AuditEntry => ({
    id,
    ...(JSON.parse(fields[1]!) as Omit<AuditEntry, 'id'>),
  });
  return storeOver('redis', {
    async read() {
      const [[, version], [, hash]] = (await client
        .multi()
        .get(EXPERIMENT_KEYS.version)
        .hgetall(EXPERIMENT_KEYS.experiments)
        .exec()) as [[null, string | null], [null, Record<string, string>]];
      const map = new Map(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v) as Experiment]));
      return { version: Number(version ?? 0), map };
    },
    version: async () => Number((await client.get(EXPERIMENT_KEYS.version)) ?? 0),
    async commit(expected, id, json, audit) {
      const result = await COMMIT_SCRIPT(
        client,
        [EXPERIMENT_KEYS.version, EXPERIMENT_KEYS.experiments, EXPERIMENT_KEYS.audit],
        [String(expected), id, json ?? '', JSON.stringify(audit)],
      );
      return typeof result === 'string' ? result : null;
    },
    async entries(limit) {
      const rows = (await client.xrevrange(EXPERIMENT_KEYS.audit, '+', '-', 'COUNT', limit)) as [
        string,
        string[],
      ][];
      return rows.map(parseEntry);
    },
    async entry(id) {
      if (!/^\d+-\d+$/.test(id)) return undefined;
      const rows = (await client.xrange(EXPERIMENT_KEYS.audit, id, id)) as [string, string[]][];
      return rows[0] ? parseEntry(rows[0]) : undefined;
    },
  });
}
