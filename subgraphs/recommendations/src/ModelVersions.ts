import type { Logger } from '@recs/core';
import type { Recommender } from './Recommender';

/** A loaded model version: its recommender and what closes its resources. */
export interface LoadedVersion {
  recommender: Recommender;
  close(): Promise<void>;
}

/**
 * Recommenders of model versions other than the promoted one, for experiment variants that name them.
 * `get` never waits: the first request for a version starts loading it in the background and is served
 * by the promoted model (its exposure unlogged) until the load finishes; a failed load is retried after
 * `retryMs`.
 */
export class ModelVersions {
  private readonly loaded = new Map<string, LoadedVersion>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly load: (version: string) => Promise<LoadedVersion>,
    private readonly log: Logger,
    private readonly retryMs = 60_000,
  ) {}

  get(version: string): Recommender | undefined {
    const hit = this.loaded.get(version);
    if (hit) return hit.recommender;
    if (
      !this.loading.has(version) &&
      Date.now() - (this.failedAt.get(version) ?? -Infinity) >= this.retryMs
    ) {
      void this.start(version);
    }
    return undefined;
  }

  /** Loads a version now (resolves when it is ready or failed). */
  async start(version: string): Promise<void> {
    let pending = this.loading.get(version);
    if (!pending) {
      const started = Date.now();
      this.log.info({ modelVersion: version }, 'loading a model version for an experiment variant');
      pending = this.load(version).then(
        (v) => {
          this.loaded.set(version, v);
          this.loading.delete(version);
          this.log.info(
            { modelVersion: version, ms: Date.now() - started },
            'experiment model version loaded',
          );
        },
        (err: unknown) => {
          this.failedAt.set(version, Date.now());
          this.loading.delete(version);
          this.log.warn(
            { modelVersion: version, err: (err as Error).message },
            'experiment model version failed to load',
          );
        },
      );
      this.loading.set(version, pending);
    }
    return pending;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.loading.values());
    await Promise.all([...this.loaded.values()].map((v) => v.close()));
    this.loaded.clear();
  }
}
