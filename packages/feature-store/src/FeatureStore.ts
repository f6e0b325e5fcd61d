/** One entity's features: flat, JSON-safe values (numbers must be finite; arrays are homogeneous). */
export type FeatureValue = Record<string, number | string | boolean | number[] | string[] | null>;

/** Stored features plus when they were last written, so readers can judge freshness. */
export interface FeatureRecord {
  values: FeatureValue;
  /** Milliseconds since the epoch of the last `setMany` or `merge` of this entity. */
  updatedAt: number;
}

/** Members to add to and remove from a string-set field ({@link FeatureStore.updateSet}). */
export interface SetChange {
  add?: readonly string[];
  remove?: readonly string[];
  /** Keep at most this many members, dropping the oldest; default 1000. */
  max?: number;
}

/** The entities features are kept for. */
export type EntityKind = 'user' | 'product';

/** Options for {@link FeatureStore.setMany}. */
export interface SetManyOptions {
  /** Expire the written records after this many seconds (fractions allowed); default: never. */
  ttlSeconds?: number;
}

/**
 * Online feature storage for the recommenders: per-entity feature records and precomputed lists.
 * Redis and in-memory implementations pass the same contract (test/FeatureStore.contract.ts).
 */
export interface FeatureStore {
  readonly kind: 'redis' | 'memory';
  /** Records for `ids` in the same order (duplicates repeated, `null` for missing) in one backend call. */
  getMany(kind: EntityKind, ids: readonly string[]): Promise<(FeatureRecord | null)[]>;
  /**
   * Replaces whole records (and their TTL: without `ttlSeconds` a record no longer expires). All entries
   * are validated before anything is written; later duplicates win.
   */
  setMany(
    kind: EntityKind,
    entries: ReadonlyArray<{ id: string; values: FeatureValue }>,
    opts?: SetManyOptions,
  ): Promise<void>;
  /** Atomically overwrites the fields in `patch`, keeping other fields and any TTL; creates a missing record. */
  merge(kind: EntityKind, id: string, patch: FeatureValue): Promise<void>;
  /**
   * Atomically adds and removes strings in one string-array field of a record (a set in insertion order:
   * additions already present keep their place, removals of absent values are no-ops), creating the record
   * or field when missing. Beyond `max` members (default 1000) the oldest are dropped. Resolves to the
   * field's new members.
   */
  updateSet(kind: EntityKind, id: string, field: string, change: SetChange): Promise<string[]>;
  /** Deletes records; resolves to how many existed. */
  deleteMany(kind: EntityKind, ids: readonly string[]): Promise<number>;
  /** A precomputed list (e.g. popular products per country), or `null` if never written. */
  getList(name: string): Promise<string[] | null>;
  /** Replaces a precomputed list. */
  setList(name: string, values: string[]): Promise<void>;
  /**
   * Adds strings to a named set (`<prefix>:v<version>:set:<name>`, e.g. shoppers who opted out of
   * personalisation); resolves to how many were not members yet.
   */
  addMembers(set: string, members: readonly string[]): Promise<number>;
  /** Removes strings from a named set; resolves to how many were members. */
  removeMembers(set: string, members: readonly string[]): Promise<number>;
  /** Whether each string is a member of the named set, in the order asked, in one backend call. */
  hasMembers(set: string, members: readonly string[]): Promise<boolean[]>;
  /** Every member of a named set, in no particular order (read in slices, never blocking the backend). */
  members(set: string): Promise<string[]>;
  /** True when the backend answers; never throws. */
  ping(): Promise<boolean>;
  /** Releases what the store opened; further calls reject. Idempotent. */
  close(): Promise<void>;
}
