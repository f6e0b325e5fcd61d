import { createHash } from 'node:crypto';
import type { Assignment, Experiment } from './Experiment';

/**
 * A uniform number in [0, 100) from a string: the first 48 bits of its SHA-256, scaled. 48 bits keep
 * the scaling exact in a double, and SHA-256 makes buckets independent across salts and layers.
 */
export function bucketOf(text: string): number {
  const h = createHash('sha256').update(text).digest();
  return (h.readUIntBE(0, 6) / 2 ** 48) * 100;
}

/**
 * Deterministic assignment of a unit (user or session id) to variants: for each layer, the unit's
 * layer bucket `bucketOf("layer:<layer>:<unit>")` selects at most one running experiment whose traffic
 * slice contains it; inside that experiment, `bucketOf("<salt>:<unit>")` walks the cumulative
 * allocations. Sticky (same input, same answer), reproducible anywhere, no state to store.
 */
export function assign(
  unitId: string,
  experiments: readonly Experiment[],
  attrs: { country?: string } = {},
): Assignment[] {
  const out: Assignment[] = [];
  const layerBuckets = new Map<string, number>();
  for (const e of experiments) {
    if (e.status !== 'RUNNING') continue;
    if (e.segment?.countries && !(attrs.country && e.segment.countries.includes(attrs.country))) continue;
    let lb = layerBuckets.get(e.layer);
    if (lb === undefined) layerBuckets.set(e.layer, (lb = bucketOf(`layer:${e.layer}:${unitId}`)));
    if (lb < e.traffic.from || lb >= e.traffic.to) continue;
    const vb = bucketOf(`${e.salt}:${unitId}`);
    let acc = 0;
    let chosen = e.variants[e.variants.length - 1]!.name;
    for (const v of e.variants) {
      acc += v.allocation;
      if (vb < acc) {
        chosen = v.name;
        break;
      }
    }
    out.push({ experimentId: e.id, layer: e.layer, variant: chosen });
  }
  return out;
}
