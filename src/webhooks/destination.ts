/**
 * Where a webhook may be sent (SSRF guard). A callback URL is http(s), carries no credentials and, unless the
 * operator allows private destinations, must not resolve to a loopback, private, link-local or otherwise
 * non-public address. The check runs when the URL is accepted AND again right before each delivery (DNS may
 * change in between), and the request is then sent to the address that was checked.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export class DestinationError extends Error {
  override readonly name = 'DestinationError';
}

const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv6');

/** True for addresses a public webhook must never reach (IPv4-mapped IPv6 is judged as IPv4). */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return NON_PUBLIC.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's shape: http(s), a host, no user or password. Throws DestinationError with what to change. */
export function checkCallbackUrlShape(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DestinationError('is not an absolute URL (example: https://example.com/hooks/storyreel)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DestinationError(`must be http or https, not ${url.protocol}`);
  if (url.username || url.password) throw new DestinationError('must not carry credentials; verify deliveries by their signature');
  if (!url.hostname) throw new DestinationError('has no host');
  return url;
}

/**
 * Resolves the URL's host and returns the address to connect to. Refuses non-public addresses unless
 * `allowPrivate` (the operator's STORYREEL_WEBHOOK_ALLOW_PRIVATE, for receivers on the same machine or network).
 */
export async function resolveDestination(text: string, allowPrivate: boolean): Promise<{ url: URL; address: string; family: 4 | 6 }> {
  const url = checkCallbackUrlShape(text);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let address: string;
  let family: number;
  if (isIP(host)) {
    address = host;
    family = isIP(host);
  } else {
    try {
      ({ address, family } = await lookup(host));
    } catch {
      throw new DestinationError(`host ${host} does not resolve`);
    }
  }
  if (!allowPrivate && isNonPublicAddress(address))
    throw new DestinationError(
      `resolves to ${address}, a loopback or private address; refused (an operator may allow it with STORYREEL_WEBHOOK_ALLOW_PRIVATE=1)`,
    );
  return { url, address, family: family === 6 ? 6 : 4 };
}
