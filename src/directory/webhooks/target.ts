// Where a webhook may be sent: https anywhere public; http only to this machine's loopback,
// and only when the operator allows it (SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK=1, for local
// receivers and tests); never to private, link-local, shared or multicast addresses unless
// the operator allows those too (SCIMITAR_WEBHOOK_ALLOW_PRIVATE=1). The address is checked
// when the subscription is saved and again at every connection, after DNS resolution, so a
// name that later resolves inward (DNS rebinding) is refused as well (SSRF).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { scimErrors } from '../../scim/index.ts';

export interface TargetPolicy {
  readonly allowHttpLoopback: boolean;
  readonly allowPrivate: boolean;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const INTERNAL = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) INTERNAL.addSubnet(net, bits, 'ipv6');

/** An IPv4 address mapped into IPv6 (::ffff:10.0.0.1) is checked as the IPv4 address. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return { address: m[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** Why `address` may not be connected to, or undefined when it may. */
export function refusedAddress(address: string, policy: TargetPolicy, protocol: string): string | undefined {
  const a = unmapped(address);
  if (LOOPBACK.check(a.address, a.family)) return policy.allowHttpLoopback ? undefined : `${address} is this machine (loopback)`;
  if (protocol === 'http:') return `http is only for loopback receivers; ${address} is not one`;
  if (INTERNAL.check(a.address, a.family) && !policy.allowPrivate) return `${address} is a private, link-local or reserved address`;
  return undefined;
}

/** Why a URL whose host is an IP address may not be connected to; undefined for a name (checked at lookup) or an allowed address. */
export function refusedLiteral(url: URL, policy: TargetPolicy): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) !== 0 ? refusedAddress(host, policy, url.protocol) : undefined;
}

/** The URL as a webhook target, or a 400 saying why not (before any connection). */
export function checkTargetUrl(raw: unknown, policy: TargetPolicy): URL {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) throw scimErrors.badRequest('url is required: an https URL of at most 2048 characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw scimErrors.badRequest(`url ${JSON.stringify(raw.slice(0, 200))} is not a URL`);
  }
  if (url.username || url.password) throw scimErrors.badRequest('url must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopbackName = host === 'localhost' || (isIP(host) !== 0 && LOOPBACK.check(unmapped(host).address, unmapped(host).family));
  if (url.protocol === 'http:') {
    if (!loopbackName) throw scimErrors.badRequest('url must be https (http only for a loopback receiver, when the operator allows it)');
    if (!policy.allowHttpLoopback) throw scimErrors.badRequest('http to loopback is off: the operator enables it with SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK=1');
  } else if (url.protocol !== 'https:') throw scimErrors.badRequest('url must be https');
  const why = refusedLiteral(url, policy);
  if (why) throw scimErrors.badRequest(`url refused: ${why}`);
  return url;
}

/** A DNS lookup for http(s).request that refuses addresses the policy forbids. */
export function guardedLookup(policy: TargetPolicy, protocol: string) {
  return (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      const bad = list.map((a) => refusedAddress(a.address, policy, protocol)).find((x) => x !== undefined);
      if (bad) return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${bad}`), { code: 'EREFUSED_TARGET' }), []);
      if ((options as { all?: boolean }).all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
}
