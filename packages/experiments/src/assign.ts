import { createHash } from 'node:crypto';
import type { Assignment, AssignmentAttributes, Experiment, Segment, Surface } from './Experiment';

/**
 * A uniform number in [0, 100) from a string: the first 48 bits of its SHA-256, scaled. 48 bits keep
 * the scaling exact in a double, and SHA-256 makes buckets independent across salts and layers.
 */
export function bucketOf(text: string): number {
  const h = createHash('sha256').update(text).digest();
  return (h.readUIntBE(0, 6) / 2 ** 48) * 100;
}

/** Whether the experiment serves at `now`: RUNNING or PROMOTED, inside its schedule. */
export function isLive(e: Experiment, now: number = Date.now()): boolean {
  if (e.status !== 'RUNNING' && e.status !== 'PROMOTED') return false;
  if (e.schedule?.startAt && now < Date.parse(e.schedule.startAt)) return false;
  if (e.schedule?.endAt && now >= Date.parse(e.schedule.endAt)) return false;
  return true;
}

/** Whether a user with these attributes belongs to the segment (no segment: everyone). */
export function inSegment(segment: Segment | undefined, attrs: AssignmentAttributes): boolean {
  if (!segment) return true;
  if (segment.countries && !(attrs.country && segment.countries.includes(attrs.country))) return false;
  if (segment.devices && !(attrs.device && segment.devices.includes(attrs.device))) return false;
  if (segment.newUsers !== undefined && Boolean(attrs.newUser) !== segment.newUsers) return false;
  for (const [k, v] of Object.entries(segment.attributes ?? {})) {
    if (attrs.attributes?.[k] !== v) return false;
  }
  return true;
}

/**
 * Deterministic assignment of a unit (user or session id) to variants: for each layer, the unit's
 * layer bucket `bucketOf("layer:<layer>:<unit>")` selects at most one live experiment whose traffic
 * slice contains it; inside that experiment, `bucketOf("<salt>:<unit>")` walks the cumulative
 * allocations. Sticky (same input, same answer), reproducible anywhere, no state to store. With
 * `surface`, only experiments that change that surface count.
 */
export function assign(
  unitId: string,
  experiments: readonly Experiment[],
  attrs: AssignmentAttributes = {},
  surface?: Surface,
): Assignment[] {
  const out: Assignment[] = [];
  const layerBuckets = new Map<string, number>();
  const now = attrs.now ?? Date.now();
  for (const e of experiments) {
    if (!isLive(e, now) || !inSegment(e.segment, attrs)) continue;
    if (surface && e.surfaces && !e.surfaces.includes(surface)) continue;
    let lb = layerBuckets.get(e.layer);
    if (lb === undefined) layerBuckets.set(e.layer, (lb = bucketOf(`layer:${e.layer}:${unitId}`)));
    if (lb < e.traffic.from || lb >= e.traffic.to) continue;
    const vb = bucketOf(`${e.salt}:${unitId}`);
    let acc = 0;
    let chosen = e.variants[e.variants.length - 1]!;
    for (const v of e.variants) {
      acc += v.allocation;
      if (vb < acc) {
        chosen = v;
        break;
      }
    }
    const control = e.variants[0]!;
    const winner = e.status === 'PROMOTED' ? e.variants.find((v) => v.name === e.winner) : undefined;
    const served = winner ?? (chosen.disabled ? control : chosen);
    out.push({
      experimentId: e.id,
      layer: e.layer,
      variant: chosen.name,
      config: served.config ?? {},
      logged: e.status === 'RUNNING' && !chosen.disabled,
    });
  }
  return out;
}
