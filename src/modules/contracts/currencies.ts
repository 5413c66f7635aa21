/** Active ISO 4217 currency codes (fixed list; funds and precious metals left out). */
const CODES = `AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF
GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG`;

export const currencyCodes: ReadonlySet<string> = new Set(CODES.split(/\s+/).filter(Boolean));

const ZERO_DECIMALS = new Set('BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF'.split(' '));
const THREE_DECIMALS = new Set('BHD IQD JOD KWD LYD OMR TND'.split(' '));

/** True for an active ISO 4217 code (upper case). */
export function isCurrencyCode(code: string): boolean {
  return currencyCodes.has(code);
}

/** Minor units per major unit of a currency (100 unless the currency has 0 or 3 decimals). */
export function minorPerMajor(code: string | null | undefined): number {
  if (code && ZERO_DECIMALS.has(code)) return 1;
  if (code && THREE_DECIMALS.has(code)) return 1000;
  return 100;
}

/** Decimal places of a currency's amounts (2 unless the currency has 0 or 3). */
export function currencyDecimals(code: string | null | undefined): number {
  return Math.round(Math.log10(minorPerMajor(code)));
}

/**
 * The decimal digits of a finite non-negative amount as written (the shortest text that reads back
 * as the same number, so 1.15 is "1" and "15", not the binary value 1.149999…), or undefined for
 * amounts JavaScript writes with an exponent (below 1e-6 or from 1e21).
 */
function decimalDigits(amount: number): { whole: string; fraction: string } | undefined {
  const text = String(amount);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match?.[1]) return undefined;
  return { whole: match[1], fraction: match[2] ?? '' };
}

/** True when a finite non-negative amount has no more fraction digits than the currency allows. */
export function fitsCurrency(amount: number, code: string | null | undefined): boolean {
  if (amount === 0) return true;
  const digits = decimalDigits(amount);
  return digits !== undefined && digits.fraction.length <= currencyDecimals(code);
}

/**
 * An amount in major units as exact integer minor units, worked from its decimal digits (never
 * `amount * 100`, which makes 1.15 into 114.99999999999999). The amount must fit the currency
 * (fitsCurrency) and be at most 1e12, so the result is a safe integer.
 */
export function toMinorUnits(amount: number, code: string | null | undefined): number {
  if (amount === 0) return 0;
  const digits = decimalDigits(amount);
  const decimals = currencyDecimals(code);
  if (!digits || digits.fraction.length > decimals) {
    throw new Error(`${amount} has more than ${decimals} decimal places`);
  }
  const minor = Number(`${digits.whole}${digits.fraction.padEnd(decimals, '0')}`);
  if (!Number.isSafeInteger(minor)) throw new Error(`${amount} is too large for minor units`);
  return minor;
}

export const zeroDecimalCurrencies = [...ZERO_DECIMALS];
export const threeDecimalCurrencies = [...THREE_DECIMALS];
