import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
/** IPv6 global unicast: everything else (ULA, link-local, mapped, NAT64, ...) is special. */
const IPV6_GLOBAL = ipaddr.parseCIDR('2000::/3');

/** Resolves a host name to every address (the shape of `dns.promises.lookup(host, {all: true})`). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** Why an outbound URL was refused: a message naming the problem, safe to show the caller. */
export class UnsafeUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeUrlError';
  }
}

export interface AddressVerdict {
  /** The address in canonical form (IPv4-mapped IPv6 is reported as IPv4). */
  address: string;
  /** ipaddr.js's range name: `unicast` for public addresses, else `loopback`, `private`, ... */
  range: string;
  isPublic: boolean;
}

/**
 * Classifies one IP address. Public means ordinary unicast: loopback, private (RFC 1918),
 * link-local (incl. 169.254.169.254), CGNAT, multicast, broadcast, unspecified, reserved and
 * documentation ranges, IPv6 ULA/link-local/loopback, and IPv6 forms that embed IPv4 (mapped,
 * compatible, NAT64, 6to4, Teredo) are not. Throws UnsafeUrlError for a non-address.
 */
export function classifyAddress(address: string): AddressVerdict {
  if (!ipaddr.isValid(address)) throw new UnsafeUrlError(`'${address}' is not an IP address`);
  // process() turns ::ffff:a.b.c.d into a.b.c.d, so mapped forms get the IPv4 verdict.
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  const canonical = parsed.toString();
  if (!(parsed instanceof ipaddr.IPv6)) return { address: canonical, range, isPublic: range === 'unicast' };
  const isGlobal = parsed.match(IPV6_GLOBAL);
  return {
    address: canonical,
    range: isGlobal ? range : range === 'unicast' ? 'nonGlobal' : range,
    isPublic: isGlobal && range === 'unicast',
  };
}

export interface VettedUrl {
  url: URL;
  /** The addresses the host resolved to, all checked; connections go only to these. */
  addresses: LookupAddress[];
}

const defaultResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/** Parses an absolute http(s) URL with a host (no DNS). Throws UnsafeUrlError naming the problem. */
export function parseHttpUrl(rawUrl: string): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UnsafeUrlError('is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsafeUrlError(`scheme '${url.protocol.replace(/:$/, '')}' is not allowed; use http or https`);
  }
  if (url.hostname === '') throw new UnsafeUrlError('has no host');
  return url;
}

/**
 * Parses and checks an outbound URL: http(s) only, and every address its host resolves to must be
 * public unless `allowPrivate`. Throws UnsafeUrlError naming the problem.
 */
export async function vetUrl(
  rawUrl: string,
  options: { allowPrivate?: boolean; resolver?: Resolver } = {},
): Promise<VettedUrl> {
  const url = parseHttpUrl(rawUrl);
  // The WHATWG parser already normalised numeric hosts (0x7f000001 → 127.0.0.1); IPv6 keeps brackets.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: LookupAddress[];
  if (ipaddr.isValid(hostname)) {
    addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolver ?? defaultResolver)(hostname);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'lookup failed';
      throw new UnsafeUrlError(`host '${hostname}' does not resolve (${code})`);
    }
    if (addresses.length === 0) throw new UnsafeUrlError(`host '${hostname}' does not resolve`);
  }
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const verdict = classifyAddress(address);
      if (!verdict.isPublic) {
        throw new UnsafeUrlError(
          `host '${hostname}' resolves to ${verdict.address} (${verdict.range}); only public addresses are allowed`,
        );
      }
    }
  }
  return { url, addresses };
}

export interface SafeFetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Allow loopback and private destinations (self-hosted receivers on the same network). */
  allowPrivate?: boolean;
  /** Whole exchange, connect to last byte (default 10 s). */
  timeoutMs?: number;
  /** Bytes of response body kept; the rest is not read (default 64 KiB). */
  maxResponseBytes?: number;
  resolver?: Resolver;
}

export interface SafeFetchResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** True when the body was longer than maxResponseBytes and cut. */
  isTruncated: boolean;
}

/**
 * One outbound HTTP request that cannot be pointed at internal services: the URL is vetted (see
 * vetUrl), the socket connects only to the vetted addresses (no second DNS lookup, so no
 * rebinding window), redirects are returned, not followed, and time and body size are capped.
 * Rejects with UnsafeUrlError for a refused URL, or an Error for network failures and timeouts.
 */
export async function safeFetch(rawUrl: string, options: SafeFetchOptions = {}): Promise<SafeFetchResponse> {
  const { url, addresses } = await vetUrl(rawUrl, options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
    const candidates = addresses.filter((a) => family === 0 || a.family === family);
    if (candidates.length === 0) {
      callback(new Error(`no vetted IPv${family} address`), '', 0);
      return;
    }
    if (lookupOptions.all) callback(null, candidates);
    else callback(null, candidates[0]?.address ?? '', candidates[0]?.family ?? 4);
  };
  const body = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
  const transport = url.protocol === 'https:' ? https : http;

  return new Promise<SafeFetchResponse>((resolve, reject) => {
    const request = transport.request(url, {
      method: options.method ?? 'GET',
      headers: {
        ...options.headers,
        ...(body ? { 'content-length': String(body.length) } : {}),
      },
      // A fresh connection per request: a pooled socket would skip the pinned lookup.
      agent: false,
      lookup: pinned,
    });
    let isSettled = false;
    const settle = (outcome: () => void) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: Error) => settle(() => reject(error));
    const timer = setTimeout(() => {
      fail(new Error(`timed out after ${timeoutMs} ms`));
      request.destroy();
    }, timeoutMs);
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let isTruncated = false;
      const finish = () =>
        settle(() =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            isTruncated,
          }),
        );
      response.on('data', (chunk: Buffer) => {
        if (isTruncated) return;
        const room = maxBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          isTruncated = true;
          finish();
          // Enough read: drop the connection instead of draining an unbounded body.
          response.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      response.on('end', finish);
      response.on('error', fail);
      response.on('close', () => fail(new Error('connection closed before the response ended')));
    });
    request.end(body);
  });
}
