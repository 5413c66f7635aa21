import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, decryptSecret, encryptSecret, randomSecret, sha256Hex } from './crypto.js';

const key = randomBytes(32);

describe('encryptSecret / decryptSecret', () => {
  it('round-trips any text, with a fresh iv each time', () => {
    for (const plain of ['', 'hunter2', 'ünïcødé ✓ 🔐', 'x'.repeat(10_000)]) {
      const sealed = encryptSecret(key, plain);
      expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]*$/);
      expect(sealed).not.toContain(plain || 'never');
      expect(decryptSecret(key, sealed)).toBe(plain);
    }
    expect(encryptSecret(key, 'same')).not.toBe(encryptSecret(key, 'same'));
  });

  it('detects tampering with the data, the tag or the iv, and a wrong key', () => {
    const sealed = encryptSecret(key, 'the webhook secret');
    const [version, iv, tag, data] = sealed.split('.') as [string, string, string, string];
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64url');
    };
    expect(() => decryptSecret(key, [version, iv, tag, flip(data)].join('.'))).toThrow();
    expect(() => decryptSecret(key, [version, iv, flip(tag), data].join('.'))).toThrow();
    expect(() => decryptSecret(key, [version, flip(iv), tag, data].join('.'))).toThrow();
    expect(() => decryptSecret(randomBytes(32), sealed)).toThrow();
  });

  it('rejects values it did not produce', () => {
    expect(() => decryptSecret(key, 'plain text')).toThrow('Unrecognised secret format');
    const v2 = encryptSecret(key, 'x').replace(/^v1/, 'v2');
    expect(() => decryptSecret(key, v2)).toThrow('Unrecognised secret format');
  });
});

describe('constantTimeEqual', () => {
  it('is true only for equal strings, whatever their lengths', () => {
    expect(constantTimeEqual('sl_abc', 'sl_abc')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('sl_abc', 'sl_abd')).toBe(false);
    expect(constantTimeEqual('sl_abc', 'sl_abcd')).toBe(false);
    expect(constantTimeEqual('sl_abc', '')).toBe(false);
    // Same string length, different byte lengths.
    expect(constantTimeEqual('é', 'a')).toBe(false);
    expect(constantTimeEqual('ü', 'ü')).toBe(true);
  });
});

describe('sha256Hex and randomSecret', () => {
  it('hashes to the known digest', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('makes prefixed URL-safe secrets of 256 bits', () => {
    const secret = randomSecret('sl_');
    expect(secret).toMatch(/^sl_[A-Za-z0-9_-]{43}$/);
    expect(randomSecret('sl_')).not.toBe(secret);
  });
});
