import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FORGOTTEN_USERS_FILE, parseForgottenUsers, userDigest } from '@recs/core';
import type { Interaction } from './ingest/Interaction';
import { RegistryError } from './registry/ModelRegistry';

/**
 * Drops the interactions of shoppers forgotten with `forgetUser`: their SHA-256 digests are in the
 * registry's {@link FORGOTTEN_USERS_FILE}, appended by the features subgraph. No file: nothing to drop.
 * A file that exists but cannot be read (or a registry path that is not a directory) is a
 * {@link RegistryError}: training on without it would learn from forgotten shoppers again.
 */
export async function excludeForgotten(
  interactions: Interaction[],
  registryRoot: string,
): Promise<{ interactions: Interaction[]; excluded: number; forgotten: number }> {
  let text: string;
  const file = join(registryRoot, FORGOTTEN_USERS_FILE);
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { interactions, excluded: 0, forgotten: 0 };
    if (code === 'ENOTDIR')
      throw new RegistryError(
        `model registry ${registryRoot} is not a directory (a part of the path is a file)`,
      );
    throw new RegistryError(
      `cannot read the forgotten-shoppers file ${file}: ${err instanceof Error ? err.message : String(err)}`,
    );
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
