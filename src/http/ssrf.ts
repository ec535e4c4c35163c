import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { invalidField } from './errors.js';

// The SSRF guard for URLs the server itself calls (webhooks): no private, loopback, link-local, metadata
// or otherwise special-use address, checked on the URL when it is registered and again on every address
// its name resolves to when it is called, so a name that later points inside (DNS rebinding) is refused
// too. The connection goes to the address that was checked, not to a second resolution.

const special = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, and the cloud metadata service (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and broadcast
] as const) {
  special.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64: may embed any IPv4 address
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local (AWS's metadata service is fd00:ec2::254)
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  special.addSubnet(network, prefix, 'ipv6');
}

const LOOPBACK_NAMES = /^(localhost|.*\.localhost)\.?$/i;

/** Whether an address is loopback (127/8, ::1, or IPv4 loopback mapped into IPv6). */
function isLoopback(address: string): boolean {
  const v4 = mappedIpv4(address) ?? (isIP(address) === 4 ? address : undefined);
  return v4 !== undefined ? v4.startsWith('127.') : address === '::1';
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (::ffff:10.0.0.1, or ::ffff:a00:1 as URLs write it), if it is one. */
function mappedIpv4(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Why the server must not call this IP address, or undefined when it may. */
export function refusedAddress(address: string, options: { allowLoopback: boolean }): string | undefined {
  if (options.allowLoopback && isLoopback(address)) return undefined;
  const v4 = mappedIpv4(address);
  const family = v4 !== undefined ? 'ipv4' : isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (isIP(v4 ?? address) === 0) return `something that is not an IP address (${address})`;
  return special.check(v4 ?? address, family)
    ? `a private, loopback, link-local or reserved address (${address})`
    : undefined;
}

/**
 * Checks a URL the server will call, as it is registered: http(s), no credentials, and a host that is
 * not a special-use address or a loopback name (unless loopback is allowed, for development).
 */
export function checkOutboundUrl(raw: string, field: string, options: { allowLoopback: boolean }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidField(field, 'must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalidField(field, 'must be an absolute http:// or https:// URL');
  if (url.username || url.password) throw invalidField(field, 'must not carry a user name or password');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    const refused = refusedAddress(host, options);
    if (refused) throw invalidField(field, `must not point at ${refused}`);
  } else if (LOOPBACK_NAMES.test(host) && !options.allowLoopback) {
    throw invalidField(field, 'must not point at this machine (localhost)');
  }
  return url;
}

/**
 * A `lookup` for http.request that resolves the name and refuses the connection unless every address
 * is allowed; the socket then connects to the address checked here. IP literals skip `lookup` in Node,
 * so callers check them with refusedAddress first.
 */
export function guardedLookup(options: { allowLoopback: boolean }): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    dns.lookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as dns.LookupAddress[];
      const refused = list.map((a) => refusedAddress(a.address, options)).find((reason) => reason !== undefined);
      if (refused || list.length === 0) {
        const blocked = Object.assign(new Error(`${hostname} resolves to ${refused ?? 'no address'}`), {
          code: 'ESSRF',
        });
        return callback(blocked, '', 0);
      }
      if ((lookupOptions as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
