// How the SSRF guard resolves webhook host names: with c-ares (dns.Resolver), which runs on the
// event loop. dns.lookup (getaddrinfo) runs on libuv's thread pool, 4 threads by default, and a
// name server that never answers holds a thread for its whole timeout, so a few webhooks with
// such hosts would stall file, crypto and argon2 work process-wide.
//
// c-ares asks the name servers only: it does not read /etc/hosts. A name only /etc/hosts knows
// therefore does not resolve here (accepted at save time as "does not resolve now", failed at
// delivery), which is the safe side, since such names usually point inside (cloud images map
// metadata.google.internal to 169.254.169.254 there). The connection goes to the addresses this
// returned, never to what /etc/hosts says.
import type { LookupAddress } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { DELIVERY_FAILURE, WebhookTargetError } from './failures.ts';

export type HostResolverOptions = {
  /** WEBHOOK_DNS_TIMEOUT_SECONDS, in ms: the deadline of one whole resolution (A and AAAA together). */
  timeoutMs: number;
  /** WEBHOOK_DNS_SERVERS (`1.1.1.1`, `1.1.1.1:53`, `[::1]:53`); empty: the system's name servers. */
  servers: readonly string[];
};

/** The name did not resolve (no record, a name server error) or no answer came before the deadline. */
export class HostResolutionError extends WebhookTargetError {
  readonly timedOut: boolean;
  constructor(host: string, timedOut: boolean, why: string) {
    super(timedOut ? DELIVERY_FAILURE.dnsTimeout : DELIVERY_FAILURE.unresolved, `resolving ${host}: ${why}`);
    this.timedOut = timedOut;
  }
}

/**
 * RFC 6761 reserves `localhost` and its subdomains for the loopback addresses; c-ares, which does
 * not read /etc/hosts, would otherwise report them unknown, and the guard would accept them at save time.
 */
const isLocalhostName = (host: string) => /(^|\.)localhost\.?$/i.test(host);
const LOOPBACK: LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

type Family = { family: 4 | 6; outcome?: { addresses: LookupAddress[] } | { code: string } };

export class HostResolver {
  private readonly options: HostResolverOptions;
  constructor(options: HostResolverOptions) {
    this.options = options;
    this.channel(); // an unusable server list fails here, when the services are built
  }

  /** Every A and AAAA address of `host`; HostResolutionError when there is none, at the latest at the deadline. */
  async resolve(host: string): Promise<LookupAddress[]> {
    if (isLocalhostName(host)) return LOOPBACK;
    // A channel per resolution, so that giving up at the deadline can cancel its queries alone.
    const channel = this.channel();
    const families: Family[] = [{ family: 4 }, { family: 6 }];
    const queries = families.map((entry) =>
      (entry.family === 4 ? channel.resolve4(host) : channel.resolve6(host)).then(
        (found) => {
          entry.outcome = { addresses: found.map((address) => ({ address, family: entry.family })) };
        },
        (error: NodeJS.ErrnoException) => {
          entry.outcome = { code: error.code ?? 'EUNKNOWN' };
        },
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.timeoutMs)));
    await Promise.race([Promise.all(queries), deadline]); // neither rejects
    clearTimeout(timer);
    const settled = families.map(({ family, outcome }) => ({ family, outcome })); // as at the deadline, before cancel() rejects the rest
    channel.cancel();
    // What answered counts even when the other family did not: the connection only goes to checked addresses.
    const addresses = settled.flatMap(({ outcome }) => (outcome && 'addresses' in outcome ? outcome.addresses : []));
    if (addresses.length) return addresses;
    const codes = settled.map(
      ({ family, outcome }) => `${family === 4 ? 'A' : 'AAAA'} ${outcome && 'code' in outcome ? outcome.code : 'no answer'}`,
    );
    const timedOut = settled.some(({ outcome }) => !outcome || ('code' in outcome && outcome.code === 'ETIMEOUT'));
    throw new HostResolutionError(host, timedOut, codes.join(', '));
  }

  private channel(): Resolver {
    // c-ares's own per-try timeout matches the deadline, and one try: it gives up about when we do.
    const channel = new Resolver({ timeout: Math.max(1, Math.ceil(this.options.timeoutMs)), tries: 1 });
    if (this.options.servers.length) channel.setServers([...this.options.servers]);
    return channel;
  }
}
