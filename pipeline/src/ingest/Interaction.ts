/** The kinds of shopper behaviour the engine learns from and reacts to. */
export type EventType =
  'view' | 'click' | 'add_to_cart' | 'remove_from_cart' | 'purchase' | 'return' | 'impression';

/**
 * One cleaned interaction. Timestamps are the shop's local wall-clock time encoded as epoch
 * milliseconds in UTC (the Online Retail data has no zone), so "before 2011-10-09" means the same on
 * every machine and hour-of-day features read the shop's own clock.
 */
export interface Interaction {
  type: EventType;
  /** Customer id, or null for a guest checkout (still a real basket for co-purchase statistics). */
  userId: string | null;
  productId: string;
  /** Invoice or session the event belongs to. */
  basketId: string;
  quantity: number;
  unitPrice: number;
  ts: number;
  /** ISO 3166-1 alpha-2, or null when unknown. */
  country: string | null;
  device?: string;
}

/** What a product looked like in the source data. */
export interface CatalogueEntry {
  id: string;
  title: string;
  price: number;
  /**
   * Leaf of the taxonomy derived from the title at ingestion (`ingest/taxonomy.ts`), e.g. "bags",
   * "christmas", "other". Absent in catalogue artefacts written before the taxonomy existed.
   */
  category?: string;
  /** Root-to-leaf path of `category`, e.g. ["bags & accessories", "bags"]. */
  categoryPath?: string[];
  /** Brand or label, where the source has one (Complete Journey: "National" / "Private"). */
  brand?: string;
}

/** Unit prices seen per product while reading a source; a catalogue entry's price is their median. */
export class PriceTally {
  private readonly prices = new Map<string, number[]>();

  add(productId: string, unitPrice: number): void {
    const p = this.prices.get(productId);
    if (p) p.push(unitPrice);
    else this.prices.set(productId, [unitPrice]);
  }

  /** Every product seen, in first-seen order, with its median unit price. */
  *medians(): Generator<[productId: string, price: number]> {
    for (const [id, ps] of this.prices) {
      ps.sort((a, b) => a - b);
      yield [id, ps[Math.floor(ps.length / 2)]!];
    }
  }
}
