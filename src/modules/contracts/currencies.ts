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

export const zeroDecimalCurrencies = [...ZERO_DECIMALS];
export const threeDecimalCurrencies = [...THREE_DECIMALS];
