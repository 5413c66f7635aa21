import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, type Resolver, safeFetch, UnsafeUrlError, vetUrl } from './safe-fetch.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['192.0.2.10', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::7f00:1', 'nonGlobal'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
  ])('refuses %s (%s)', (address, range) => {
    const verdict = classifyAddress(address);
    expect(verdict.isPublic).toBe(false);
    expect(verdict.range).toBe(range);
  });

  it.each(['8.8.8.8', '93.184.215.14', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'accepts public %s',
    (address) => {
      expect(classifyAddress(address).isPublic).toBe(true);
    },
  );

  it('reports IPv4-mapped IPv6 in its IPv4 form', () => {
    expect(classifyAddress('::ffff:8.8.8.8').address).toBe('8.8.8.8');
  });

  it('throws for something that is not an address', () => {
    expect(() => classifyAddress('example.com')).toThrow(UnsafeUrlError);
  });
});

describe('vetUrl', () => {
  const resolveTo =
    (...addresses: string[]): Resolver =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it.each([
    'http://127.0.0.1/',
    'http://[::1]:8080/',
    'http://[::ffff:127.0.0.1]/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00::1]/',
    'https://10.0.0.5/hook',
  ])('refuses %s', async (url) => {
    await expect(vetUrl(url)).rejects.toThrow(UnsafeUrlError);
  });

  it('refuses localhost (resolved through the system resolver)', async () => {
    await expect(vetUrl('http://localhost/')).rejects.toThrow(/loopback/);
  });

  it('refuses a name if any of its addresses is private', async () => {
    await expect(
      vetUrl('https://mixed.example/', { resolver: resolveTo('8.8.8.8', '10.0.0.1') }),
    ).rejects.toThrow(/10\.0\.0\.1 \(private\)/);
  });

  it('refuses other schemes and garbage', async () => {
    await expect(vetUrl('ftp://8.8.8.8/')).rejects.toThrow(/scheme 'ftp'/);
    await expect(vetUrl('file:///etc/passwd')).rejects.toThrow(/scheme 'file'/);
    await expect(vetUrl('not a url')).rejects.toThrow(/not a valid URL/);
  });

  it('refuses a name that does not resolve', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await expect(vetUrl('https://nowhere.invalid/', { resolver: failing })).rejects.toThrow(/ENOTFOUND/);
  });

  it('accepts public addresses, and private ones when allowed', async () => {
    const vetted = await vetUrl('https://hooks.example/x', { resolver: resolveTo('93.184.215.14') });
    expect(vetted.addresses).toEqual([{ address: '93.184.215.14', family: 4 }]);
    await expect(vetUrl('http://127.0.0.1:9/', { allowPrivate: true })).resolves.toBeTruthy();
    await expect(vetUrl('ftp://127.0.0.1/', { allowPrivate: true })).rejects.toThrow(/scheme/);
  });
});

describe('safeFetch', () => {
  let server: Server;
  let port: number;
  const seen: { url: string | undefined; host: string | undefined; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      request.on('end', () => {
        seen.push({ url: request.url, host: request.headers.host, body });
        if (request.url === '/redirect') {
          response.writeHead(302, { location: 'http://169.254.169.254/' }).end();
        } else if (request.url === '/big') {
          response.writeHead(200);
          response.end('x'.repeat(200_000));
        } else if (request.url === '/slow') {
          setTimeout(() => response.end('late'), 2000);
        } else {
          response.writeHead(200, { 'content-type': 'text/plain' }).end(`echo:${body}`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a loopback receiver unless private destinations are allowed', async () => {
    await expect(safeFetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(UnsafeUrlError);
    const response = await safeFetch(`http://127.0.0.1:${port}/hi`, {
      method: 'POST',
      body: 'ping',
      allowPrivate: true,
    });
    expect(response).toMatchObject({ status: 200, body: 'echo:ping', isTruncated: false });
  });

  it('connects to the vetted address only (a second lookup cannot rebind the name)', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => {
      calls++;
      return [{ address: calls === 1 ? '127.0.0.1' : '10.255.255.1', family: 4 }];
    };
    const response = await safeFetch(`http://rebind.test:${port}/pinned`, {
      allowPrivate: true,
      resolver: rebinding,
      timeoutMs: 2000,
    });
    expect(response.status).toBe(200);
    expect(calls).toBe(1);
    expect(seen.at(-1)).toMatchObject({ url: '/pinned', host: `rebind.test:${port}` });
  });

  it('returns redirects instead of following them', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/redirect`, { allowPrivate: true });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('http://169.254.169.254/');
  });

  it('caps the response body it reads', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/big`, {
      allowPrivate: true,
      maxResponseBytes: 1024,
    });
    expect(response.body).toHaveLength(1024);
    expect(response.isTruncated).toBe(true);
  });

  it('gives up after the timeout', async () => {
    await expect(
      safeFetch(`http://127.0.0.1:${port}/slow`, { allowPrivate: true, timeoutMs: 100 }),
    ).rejects.toThrow(/timed out after 100 ms/);
  });
});
