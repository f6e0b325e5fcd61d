import { createRequire } from 'node:module';
import type * as Faiss from 'faiss-node';

/** The faiss-node module's shape, typed from its own declarations. */
export type FaissModule = typeof Faiss;

// faiss-node is a native addon that is only present after scripts/build-faiss.sh; loading it lazily
// keeps this package usable (brute force) where it was never built.
const require = createRequire(import.meta.url);
let cached: { module: FaissModule } | { error: Error } | undefined;

function tryLoad(): { module: FaissModule } | { error: Error } {
  if (!cached) {
    try {
      const module = require('faiss-node') as FaissModule;
      // The JS wrapper can resolve while the addon it binds is missing or broken; touch it once.
      new module.IndexFlatIP(1);
      cached = { module };
    } catch (err) {
      cached = { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  return cached;
}

/** Whether the faiss-node native addon loads in this process (the embedded default is brute force). */
export function faissAvailable(): boolean {
  return 'module' in tryLoad();
}

/** The loaded faiss-node module, or a clear error saying why it is unavailable and how to fix it. */
export function requireFaiss(): FaissModule {
  const loaded = tryLoad();
  if ('module' in loaded) return loaded.module;
  throw new Error(
    `faiss backend unavailable: faiss-node does not load here (${loaded.error.message.split('\n')[0]}); ` +
      `build it with packages/vector-index/scripts/build-faiss.sh or use backend 'brute-force'`,
    { cause: loaded.error },
  );
}
