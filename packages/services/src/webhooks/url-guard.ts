// SSRF guard: webhook URLs must not reach the server's own network. Checked when a webhook is
// saved (so the owner hears about it at once) and again on every delivery, against the very
// addresses the request then connects to (DNS may change between the two). Names are resolved by
// HostResolver (c-ares, with a deadline), never by getaddrinfo.
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../errors.ts';
import { DELIVERY_FAILURE, type WebhookLogger, WebhookTargetError } from './failures.ts';
import type { HostResolver } from './resolver.ts';

const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (also some clouds' metadata, e.g. 100.100.100.200)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. the cloud metadata address 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast 255.255.255.255
  ['168.63.129.16', 32], // a cloud platform's host metadata endpoint (public range)
];

const BLOCKED_V6: [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, incl. fd00:ec2::254 (metadata)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const blocked = new BlockList();
for (const [network, prefix] of BLOCKED_V4) blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of BLOCKED_V6) blocked.addSubnet(network, prefix, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (accepts `::` and a dotted IPv4 tail). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const v4FromGroups = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** An IPv4 address carried inside an IPv6 one (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIPv4(groups: number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroPrefix && g5 === 0xffff) return v4FromGroups(g6, g7); // IPv4-mapped ::ffff:a.b.c.d
  if (zeroPrefix && g5 === 0 && (g6 !== 0 || g7 > 1)) return v4FromGroups(g6, g7); // IPv4-compatible ::a.b.c.d (not :: or ::1)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4FromGroups(g6, g7); // 64:ff9b::/96
  if (g0 === 0x2002) return v4FromGroups(g1, g2); // 6to4
  return undefined;
}

/** True for addresses a webhook must not reach: private, loopback, link-local, metadata, unspecified, multicast, reserved. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const groups = ipv6Groups(address);
  const v4 = embeddedIPv4(groups);
  if (v4 !== undefined && blocked.check(v4, 'ipv4')) return true;
  return blocked.check(address.split('%')[0]!, 'ipv6');
}

/** The host of a URL as an address or name (`[::1]` → `::1`). */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The owner is told that the URL points inside, never which address it resolved to. */
export class BlockedAddressError extends WebhookTargetError {
  readonly address: string;
  constructor(host: string, address: string) {
    super(DELIVERY_FAILURE.blocked, `${host} is or resolves to the non-public address ${address}`);
    this.address = address;
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export class UrlGuard {
  private readonly resolver: HostResolver;
  constructor(resolver: HostResolver) {
    this.resolver = resolver;
  }

  /** The host's addresses when none is blocked; BlockedAddressError or HostResolutionError otherwise. */
  async publicAddresses(host: string): Promise<LookupAddress[]> {
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await this.resolver.resolve(host);
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) throw new BlockedAddressError(host, bad.address);
    return addresses;
  }

  /**
   * Refuses (VALIDATION_ERROR, 422) a webhook URL whose host is, or resolves to, a blocked address.
   * A host that does not resolve now is accepted: it cannot be reached either, and every delivery
   * checks again.
   */
  async assertPublicUrl(url: string, log: WebhookLogger): Promise<void> {
    try {
      await this.publicAddresses(hostOf(new URL(url)));
    } catch (error) {
      if (!(error instanceof BlockedAddressError)) return;
      log.warn({ url, detail: error.detail }, 'webhook URL refused by the SSRF guard');
      throw new ValidationError('Webhook URL is not allowed', { url, reason: error.message });
    }
  }

  /**
   * A `lookup` for http.request that resolves the host and refuses it when any of its addresses
   * is blocked; the connection then goes to an address that was checked (no rebinding window).
   */
  readonly lookup = (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    this.publicAddresses(hostname).then(
      (addresses) => {
        if (options.all) return callback(null, addresses);
        const first = addresses[0]!;
        return callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
