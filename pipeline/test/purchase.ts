import type { Interaction } from '../src/ingest/Interaction';

/** A purchase line for tests: one unit at price 1, by customer `u`, in GB, unless given. */
export function purchase(
  line: Pick<Interaction, 'basketId' | 'productId' | 'ts'> & Partial<Interaction>,
): Interaction {
  return { type: 'purchase', userId: 'u', quantity: 1, unitPrice: 1, country: 'GB', ...line };
}
