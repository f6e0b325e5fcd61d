import type { CatalogueEntry } from './ingest/Interaction';
import { applyTaxonomy } from './ingest/taxonomy';
import type { PopularityModel } from './models/popularity';
import type { CoPurchasePair } from './models/coPurchase';
import { ModelRegistry, RegistryError } from './registry/ModelRegistry';
import type { Manifest } from './registry/Manifest';
import type { ModelArtefacts } from './train';
import type { VectorIndex } from '@recs/vector-index';
import { loadItemIndex } from './models/itemIndex';

/** A promoted model version loaded into memory, ready to serve. */
export interface ModelBundle {
  version: string;
  manifest: Manifest;
  catalogue: Map<string, CatalogueEntry>;
  popularity: PopularityModel;
  coPurchase: CoPurchasePair[];
  /**
   * The ALS item vectors in the index structure the manifest's `vectorIndex` names (FAISS when built):
   * search it with a user vector from `foldIn` (history, session or cart) for that user's top items.
   * Absent in versions trained before ALS.
   */
  itemIndex?: VectorIndex;
}

/** The promoted version of a registry; a clear error when none is promoted. */
export async function promotedVersion(registry: ModelRegistry): Promise<string> {
  const version = await registry.current();
  if (!version) {
    throw new RegistryError(`no model version is promoted in ${registry.root}: run \`npm run train\` first`);
  }
  return version;
}

/** Loads the serving artefacts of the promoted version (hash-checked). */
export async function loadPromotedBundle(registryRoot: string): Promise<ModelBundle> {
  return loadBundle(registryRoot, await promotedVersion(new ModelRegistry(registryRoot)));
}

/** Loads the serving artefacts of one version (hash-checked), e.g. one an experiment variant serves. */
export async function loadBundle(registryRoot: string, version: string): Promise<ModelBundle> {
  const registry = new ModelRegistry(registryRoot);
  const manifest = await registry.manifest(version);
  const catalogue = await registry.read<ModelArtefacts['catalogue']>(version, 'catalogue');
  const popularity = await registry.read<ModelArtefacts['popularity']>(version, 'popularity');
  const coPurchase = await registry.read<ModelArtefacts['coPurchase']>(version, 'coPurchase');
  // Versions trained before the taxonomy have no categories: derive them from the titles, as training
  // now does, so the servers can rely on every entry having one.
  if (catalogue.some((c) => c.category === undefined)) applyTaxonomy(catalogue);
  const itemIndex = await loadItemIndex(registry, version);
  return {
    version,
    manifest,
    catalogue: new Map(catalogue.map((c) => [c.id, c])),
    popularity,
    coPurchase,
    ...(itemIndex ? { itemIndex } : {}),
  };
}
