import type { Principal } from '@recs/core';

/** Per-request context of the gateway: the verified caller and the id that follows the request. */
export interface GatewayContext {
  principal: Principal;
  requestId: string;
}
