interface Entry {
  raw: string;
  /** Epoch ms after which the entry is gone, like a Redis PX expiry; undefined = never. */
  expiresAt: number | undefined;
}

/** Writes between sweeps of expired entries that nobody read again. */
const SWEEP_EVERY = 10_000;

/**
 * The string keyspace behind memory feature stores. Stores built on one keyspace share data the way
 * Redis stores on one server do, so prefixes and schema versions isolate them in the same way.
 */
export class MemoryKeyspace {
  private readonly entries = new Map<string, Entry>();
  /** Named sets (Redis sets), which never expire. */
  private readonly sets = new Map<string, Set<string>>();
  private writesSinceSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry.raw;
  }

  /** Sets a value; `ttlMs` undefined clears any expiry, `'keep'` keeps the current one (Redis KEEPTTL). */
  set(key: string, raw: string, ttlMs: number | undefined | 'keep'): void {
    const expiresAt =
      ttlMs === 'keep'
        ? this.entries.get(key)?.expiresAt
        : ttlMs === undefined
          ? undefined
          : this.now() + ttlMs;
    this.entries.set(key, { raw, expiresAt });
    if (++this.writesSinceSweep >= SWEEP_EVERY) this.sweep();
  }

  /** Deletes a key; true if it existed (and had not expired). */
  delete(key: string): boolean {
    const existed = this.get(key) !== null;
    this.entries.delete(key);
    return existed;
  }

  /** The set at `key`, created when `create` and missing. */
  namedSet(key: string, create: true): Set<string>;
  namedSet(key: string, create?: false): Set<string> | undefined;
  namedSet(key: string, create = false): Set<string> | undefined {
    let set = this.sets.get(key);
    if (!set && create) this.sets.set(key, (set = new Set()));
    return set;
  }

  private sweep(): void {
    this.writesSinceSweep = 0;
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
