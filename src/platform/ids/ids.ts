import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from a pool refilled 4 KiB at a time (as Node's randomUUID caches its entropy): a
 * `crypto.randomBytes(10)` per id is a call into OpenSSL each time, and every request makes an id.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;
function randomPart(n: number): Uint8Array<ArrayBuffer> {
  if (poolAt + n > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = pool.slice(poolAt, poolAt + n);
  pool.fill(0, poolAt, poolAt + n); // handed out once: never kept where a later read could see it
  poolAt += n;
  return out;
}

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
  | 'wfl'
  | 'wfx'
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
    lastRandom = randomPart(10);
  }
  return `${prefix}_${encodeTime(lastTime)}${encodeRandom(lastRandom)}`;
}

/** Characters of the random part a block's head keeps (the top 30 of its 80 bits). */
const BLOCK_RANDOM_CHARS = 6;

/** Sets the random part's low 50 bits (those a block's head drops) to ones. */
function fillBelowBlock(bytes: Uint8Array): void {
  bytes[3] = (bytes[3] ?? 0) | 0x03;
  bytes.fill(0xff, 4);
}

/**
 * The head of a block of ids made elsewhere (in SQL: head + a 10-digit counter, `rowId`): the
 * prefix, the time and the random part's first 6 characters. Every id of the block sorts after
 * every id this process made before and before every id it makes after, and no two blocks share
 * a head: within a millisecond the head's 30 random bits are stepped past the previous id's, and
 * the next id steps past the block's.
 */
export function newIdBlock(prefix: IdPrefix): string {
  const now = Date.now();
  if (now <= lastTime) {
    fillBelowBlock(lastRandom);
    increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = randomPart(10);
  }
  const head = `${prefix}_${encodeTime(lastTime)}${encodeRandom(lastRandom).slice(0, BLOCK_RANDOM_CHARS)}`;
  fillBelowBlock(lastRandom);
  return head;
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

let lastUuidTime = 0;
let lastUuidRandom = new Uint8Array(10);

/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond time, version 7, variant 10, 74 random bits; ordered
 * within this process like newId. People and groups use these: SCIM clients expect GUID ids.
 */
export function newUuid(): string {
  const now = Date.now();
  if (now <= lastUuidTime) {
    increment(lastUuidRandom);
  } else {
    lastUuidTime = now;
    lastUuidRandom = randomPart(10);
  }
  const bytes = new Uint8Array(16);
  let t = lastUuidTime;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  bytes.set(lastUuidRandom, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for a string shaped like a UUID (any version), compared case-insensitively. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
