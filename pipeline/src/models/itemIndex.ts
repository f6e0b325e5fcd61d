import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createVectorIndex,
  faissAvailable,
  loadVectorIndex,
  type IndexChoice,
  type VectorIndex,
} from '@recs/vector-index';
import type { ModelRegistry } from '../registry/ModelRegistry';

/** Prefix of the registry artefacts holding the saved ALS item index, one per file of its directory. */
export const ITEM_INDEX_PREFIX = 'als-index.';

/**
 * The ALS item factors in an inner-product index with the structure `chooseIndex` picked for the
 * catalogue (FAISS when the native addon is built, else the exact TypeScript scan), so serving finds
 * the items of a folded-in user vector with one search.
 */
export function buildItemIndex(
  ids: readonly string[],
  itemFactors: Float32Array,
  factors: number,
  choice: IndexChoice,
): VectorIndex {
  const backend = faissAvailable() ? 'faiss' : 'brute-force';
  const index = createVectorIndex({
    backend,
    dim: factors,
    // the pure-TypeScript backend is exact only
    type: backend === 'faiss' ? choice.type : 'flat',
    ...choice.params,
  });
  index.add([...ids], itemFactors);
  return index;
}

/**
 * The index as registry artefacts: each file the index saves (meta, ids, vectors, native index) as one
 * binary artefact `als-index.<file>`, so the manifest hash-checks every byte of it.
 */
export async function itemIndexArtefacts(index: VectorIndex): Promise<Record<string, Uint8Array>> {
  const dir = await mkdtemp(join(tmpdir(), 'recs-item-index-'));
  try {
    await index.save(dir);
    const out: Record<string, Uint8Array> = {};
    for (const file of (await readdir(dir)).sort()) {
      out[`${ITEM_INDEX_PREFIX}${file}`] = new Uint8Array(await readFile(join(dir, file)));
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loads the ALS item index of a model version (hash-checked); undefined when the version has none. */
export async function loadItemIndex(
  registry: ModelRegistry,
  version: string,
): Promise<VectorIndex | undefined> {
  const { files } = await registry.manifest(version);
  const names = Object.keys(files)
    .filter((f) => f.startsWith(ITEM_INDEX_PREFIX) && f.endsWith('.bin'))
    .map((f) => f.slice(0, -'.bin'.length));
  if (names.length === 0) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'recs-item-index-'));
  try {
    for (const name of names) {
      await writeFile(
        join(dir, name.slice(ITEM_INDEX_PREFIX.length)),
        await registry.readBinary(version, name),
      );
    }
    return await loadVectorIndex(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
