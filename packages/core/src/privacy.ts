import { createHash } from 'node:crypto';

/**
 * One place that holds a shopper's data and can remove all of it: the event log, the feature stores,
 * caches, experiment logs... `forgetUser` runs every eraser in turn; each must be idempotent (erasing a
 * shopper twice, or one it never saw, removes 0 items and succeeds).
 */
export interface UserDataEraser {
  /** Short name for reports, logs and metrics, e.g. `event-log`. */
  readonly name: string;
  /** Removes everything this store holds about `userId` (a normalised user id); resolves to the items removed. */
  erase(userId: string): Promise<number>;
}

/** What one eraser did: the items it removed, or why it failed. */
export interface ErasureResult {
  name: string;
  removed: number;
  /** Set when the eraser failed; the others still ran. */
  error?: string;
}

/**
 * Runs `erasers` one after the other, in order (the order can matter: stop new writes before removing
 * what they would write), and reports each. A failing eraser does not stop the next ones; the caller
 * decides what an incomplete erasure means (forgetting is idempotent, so a retry finishes the job).
 */
export async function eraseUserData(
  erasers: readonly UserDataEraser[],
  userId: string,
): Promise<ErasureResult[]> {
  const out: ErasureResult[] = [];
  for (const eraser of erasers) {
    try {
      out.push({ name: eraser.name, removed: await eraser.erase(userId) });
    } catch (err) {
      out.push({ name: eraser.name, removed: 0, error: (err as Error).message ?? String(err) });
    }
  }
  return out;
}

/**
 * The pseudonymous form of a user id kept where the id itself must not be: the SHA-256 of the
 * normalised id, as 64 lower-case hex digits. Tombstones of forgotten shoppers hold only this.
 */
export function userDigest(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}

/**
 * Named string sets of the live store (`FeatureStore.addMembers` and friends) that carry shoppers'
 * privacy choices. Both the features subgraph (writes) and serving (reads) use these names.
 * - `personalizationOptOut`: user ids of shoppers who opted out of personalisation.
 * - `forgottenUsers`: {@link userDigest}s of shoppers erased by `forgetUser` (tombstones): serving treats
 *   them as unknown, training excludes them.
 */
export const PRIVACY_SETS = {
  personalizationOptOut: 'personalization-opt-out',
  forgottenUsers: 'forgotten-users',
} as const;

/**
 * File in the model registry directory listing the tombstones ({@link userDigest}, one per line) for
 * the offline pipeline: a `train` reads it and leaves those shoppers out.
 */
export const FORGOTTEN_USERS_FILE = 'forgotten-users.sha256';

/** Parses a {@link FORGOTTEN_USERS_FILE}: one digest per line; blank lines and `#` comments are ignored. */
export function parseForgottenUsers(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const digest = line.trim().toLowerCase();
    if (/^[0-9a-f]{64}$/.test(digest)) out.add(digest);
  }
  return out;
}
