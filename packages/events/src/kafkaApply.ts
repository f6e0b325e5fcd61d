import type { Effect } from './effects';
import type { LiveTarget } from './EventLog';
import { APPLY_PRELUDE, encodeApplyItems } from './createRedisEventLog';

/*
 * The Kafka log's apply step reuses the Redis log's apply machinery instead of a second copy of it:
 * the effect code (record loading, `conflict`, `apply`: the Lua twin of effects.ts) is the Redis log's
 * APPLY_PRELUDE, and effects become that script's tokens (and record keys its KEYS layout) through
 * the same encodeApplyItems. Only the decision differs: the Redis log applies an entry that is still
 * pending in its stream group (XPENDING) and XACKs it; the Kafka log applies an entry whose offset is
 * above the group's applied-offset marker of its partition and raises the marker, in the same script.
 */

/*
 * KEYS[1] the group's applied-offset hash (field: partition, value: the highest applied offset),
 * KEYS[2], KEYS[3] the same hash again (the Redis prelude only tests KEYS[3] with EXISTS), KEYS[4..3+r]
 * the live records (r of them, as the prelude indexes them), then the erasure cut-off keys.
 * ARGV[1] group, ARGV[2] now (ms), then per entry 4 values: its effect tokens (joined by \x1f),
 * partition, offset, and the index in KEYS of its shopper's erasure cut-off key (0: none).
 * An entry at or below its partition's marker (also earlier in this call) is skipped (0). An entry of a
 * shopper erased after it was written (its offset is below the cut-off the erasure recorded) raises the
 * marker without effects (0). Otherwise its effects are applied (1), or it is dead (its reason) when
 * they do not fit the stored records; both raise the marker. Records and markers are written at the
 * end, together, so an error while computing writes nothing.
 */
const KAFKA_DECIDE = `
local marks, raised = {}, {}
local function mark(p)
  local m = marks[p]
  if m == nil then
    m = tonumber(call('HGET', KEYS[1], p) or '-1')
    marks[p] = m
  end
  return m
end
local out = {}
for i = 3, #ARGV, 4 do
  local p, o, ek = ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  if o <= mark(p) then
    out[#out + 1] = 0
  else
    marks[p] = o
    raised[p] = true
    local cut = nil
    if ek > 0 then cut = tonumber(call('GET', KEYS[ek]) or '-1') end
    if cut ~= nil and o < cut then
      out[#out + 1] = 0
    else
      local t = {}
      for token in gmatch(ARGV[i], '[^\\31]+') do t[#t + 1] = token end
      local reason = conflict(t)
      if reason then
        out[#out + 1] = reason
      else
        apply(t)
        out[#out + 1] = 1
      end
    end
  end
end
writeRecords()
for p in pairs(raised) do call('HSET', KEYS[1], p, format('%d', marks[p])) end
return out
`;

/** The Kafka apply script and its argument encoder. */
export interface ApplyCompiler {
  /** The Kafka apply script (the Redis log's prelude + {@link KAFKA_DECIDE}). */
  readonly script: string;
  /** Record keys (KEYS[4..]) and each item's effect tokens, exactly as the Redis log lays them out. */
  encode(
    items: readonly { id: string; effects: readonly Effect[] }[],
    target: LiveTarget,
  ): Promise<{ recordKeys: string[]; tokens: string[] }>;
}

export async function compileApply(): Promise<ApplyCompiler> {
  return {
    script: APPLY_PRELUDE + KAFKA_DECIDE,
    encode: async (items, target) => encodeApplyItems(items, target),
  };
}
