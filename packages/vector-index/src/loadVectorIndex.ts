import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BruteForceIndex } from './BruteForceIndex';
import { SHARDS_FILE, ShardedIndex } from './ShardedIndex';
import { FaissIndex } from './FaissIndex';
import { readIndexDir } from './persistence';
import type { VectorIndex } from './VectorIndex';

/**
 * Loads an index written by {@link VectorIndex.save}, with the backend and parameters it was saved
 * with. Faiss indexes need the native addon here too.
 */
export async function loadVectorIndex(dir: string): Promise<VectorIndex> {
  if (existsSync(join(dir, SHARDS_FILE))) return ShardedIndex.load(dir, loadVectorIndex);
  const { meta, store } = await readIndexDir(dir);
  switch (meta.kind) {
    case 'brute-force':
      return new BruteForceIndex(store);
    case 'faiss-flat':
    case 'faiss-hnsw':
    case 'faiss-ivf-flat':
    case 'faiss-ivf-pq':
    case 'faiss-ivf-sq8':
      return FaissIndex.restore(dir, meta, store);
    default:
      throw new Error(`${dir}: unknown index kind ${JSON.stringify(meta.kind)} in meta.json`);
  }
}
