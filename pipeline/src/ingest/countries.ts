/**
 * Country names as written in the Online Retail data, mapped to ISO 3166-1 alpha-2.
 * "EIRE" is Ireland and "RSA" South Africa. The Channel Islands have no single code: they map to
 * Jersey (JE), the larger bailiwick. "European Community" maps to the exceptionally reserved "EU";
 * "Unspecified" has no country (null).
 */
const COUNTRY_CODES: Readonly<Record<string, string | null>> = {
  australia: 'AU',
  austria: 'AT',
  bahrain: 'BH',
  belgium: 'BE',
  brazil: 'BR',
  canada: 'CA',
  'channel islands': 'JE',
  cyprus: 'CY',
  'czech republic': 'CZ',
  denmark: 'DK',
  eire: 'IE',
  ireland: 'IE',
  'european community': 'EU',
  finland: 'FI',
  france: 'FR',
  germany: 'DE',
  greece: 'GR',
  'hong kong': 'HK',
  iceland: 'IS',
  israel: 'IL',
  italy: 'IT',
  japan: 'JP',
  lebanon: 'LB',
  lithuania: 'LT',
  malta: 'MT',
  netherlands: 'NL',
  norway: 'NO',
  poland: 'PL',
  portugal: 'PT',
  rsa: 'ZA',
  'south africa': 'ZA',
  'saudi arabia': 'SA',
  singapore: 'SG',
  spain: 'ES',
  sweden: 'SE',
  switzerland: 'CH',
  usa: 'US',
  'united states': 'US',
  'united arab emirates': 'AE',
  'united kingdom': 'GB',
  unspecified: null,
};

/**
 * The ISO code of a country name; `undefined` when the name is not known at all (a schema violation
 * the caller reports), `null` when the source says the country is unspecified.
 */
export function countryCode(name: string): string | null | undefined {
  const key = name.trim().toLowerCase();
  if (key in COUNTRY_CODES) return COUNTRY_CODES[key];
  return /^[A-Z]{2}$/.test(name.trim()) ? name.trim() : undefined;
}

/** Whether a string is an ISO 3166-1 alpha-2 code as clients send it (two upper-case letters). */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code);
}
