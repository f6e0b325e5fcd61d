/**
 * An ISO 8601 / RFC 3339 date-time with a time zone: `2025-03-01T00:00:00Z`, `2025-03-01T09:30+01:00`,
 * `2025-03-01T00:00:00.250Z`. Seconds and fractions are optional; the zone (`Z` or `±hh:mm`) is not,
 * since a time without one means a different instant on every server.
 */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch ms of an ISO 8601 date-time with a time zone; undefined when it is not one or names an
 * impossible date or time (Feb 30, 24:00, minute 60, offset +25:00). `Date.parse` alone rolls
 * `2011-02-30` over to March 2 and reads zone-less times in the server's local zone: every calendar
 * field is checked here first, and the instant is `Date.parse`'s (what `isLive` reads back).
 */
export function parseInstant(v: string): number | undefined {
  const m = INSTANT.exec(v);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, oh, om] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const days = mo === 2 && isLeap(y) ? 29 : DAYS[mo - 1];
  if (days === undefined || d < 1 || d > days) return undefined;
  if (h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}
