import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signDelivery } from './signing.js';

describe('webhook signing', () => {
  it('generates whsec_ secrets of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('signs so that a Standard Webhooks receiver verifies the message', () => {
    const secret = generateWebhookSecret();
    const message = {
      id: 'evt_1',
      type: 'user.created',
      timestamp: '2025-01-01T00:00:00.000Z',
      data: { id: 'usr_1', email: 'ada@example.com' },
    };
    const { body, headers } = signDelivery(secret, message);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(new Webhook(secret).verify(body, headers)).toEqual(message);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('ada', 'eve'), headers)).toThrow();
  });
});
