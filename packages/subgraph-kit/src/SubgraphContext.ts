import type { Logger, Principal } from '@recs/core';

/** What every resolver of every subgraph receives, plus the subgraph's own per-request loaders. */
export interface SubgraphContext<L = unknown> {
  principal: Principal;
  /** The gateway's request id, so a subgraph's logs and impressions can be joined to the request. */
  requestId: string;
  log: Logger;
  /** Per-request DataLoaders: created fresh for each request so nothing leaks between callers. */
  loaders: L;
}
