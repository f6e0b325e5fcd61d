/**
 * Identifier conventions the outside world relies on (DESIGN.md section 5): a product id is the
 * dataset's product code upper-cased and trimmed; a user id is the customer number as a decimal string
 * without a trailing ".0".
 */

/** Normalise a product code: trim and upper-case ("85123a " -> "85123A"). */
export function normaliseProductId(raw: string): string {
  return raw.trim().toUpperCase();
}

/** Normalise a customer id: "17850.0" -> "17850"; other strings are trimmed only. */
export function normaliseUserId(raw: string): string {
  const t = raw.trim();
  const m = /^(\d+)\.0+$/.exec(t);
  return m ? m[1]! : t;
}

/** Ids accepted from clients: 1..64 printable characters without spaces at the ends. */
export function isValidId(id: string): boolean {
  return id.length >= 1 && id.length <= 64 && /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(id);
}
