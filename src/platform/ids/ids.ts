import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

export type IdPrefix =
  | 'ten'
  | 'usr'
  | 'grp'
  | 'app'
  | 'acc'
  | 'lic'
  | 'ctr'
  | 'txn'
  | 'act'
  | 'int'
  | 'ins'
  | 'syn'
  | 'whk'
  | 'dlv'
  | 'aud'
  | 'fil'
  | 'fld'
  | 'iac'
  | 'irt'
  | 'irs'
  | 'prm'
  | 'rol'
  | 'tok'
  | 'job'
  | 'evt'
  | 'req'
  | 'prs';

let lastTime = 0;
let lastRandom = new Uint8Array(10);

/**
 * A prefixed, lexicographically sortable id (`usr_01j...`): 48-bit millisecond time plus 80 random
 * bits, ULID layout in lower-case Crockford base32. Ids made in the same millisecond by this process
 * stay ordered (the random part is incremented).
 */
export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  if (now <= lastTime) {
    increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = new Uint8Array(randomBytes(10));
  }
  return `${prefix}_${encodeTime(lastTime)}${encodeRandom(lastRandom)}`;
}

function increment(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const next = (bytes[i] ?? 0) + 1;
    bytes[i] = next & 0xff;
    if (next <= 0xff) return;
  }
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  return out;
}
