import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FORGOTTEN_USERS_FILE, parseForgottenUsers, userDigest } from '@recs/core';
import type { Interaction } from './ingest/Interaction';

/**
 * Drops the interactions of shoppers forgotten with `forgetUser`: their SHA-256 digests are in the
 * registry's {@link FORGOTTEN_USERS_FILE}, appended by the features subgraph. No file: nothing to drop.
 */
export async function excludeForgotten(
  interactions: Interaction[],
  registryRoot: string,
): Promise<{ interactions: Interaction[]; excluded: number; forgotten: number }> {
  let text: string;
  try {
    text = await readFile(join(registryRoot, FORGOTTEN_USERS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { interactions, excluded: 0, forgotten: 0 };
    throw err;
  }
  const forgotten = parseForgottenUsers(text);
  if (forgotten.size === 0) return { interactions, excluded: 0, forgotten: 0 };
  const digests = new Map<string, boolean>();
  const kept = interactions.filter((e) => {
    if (!e.userId) return true;
    let gone = digests.get(e.userId);
    if (gone === undefined) digests.set(e.userId, (gone = forgotten.has(userDigest(e.userId))));
    return !gone;
  });
  return { interactions: kept, excluded: interactions.length - kept.length, forgotten: forgotten.size };
}
