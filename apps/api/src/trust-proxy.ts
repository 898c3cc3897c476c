// Which peers may tell the API the client's address (X-Forwarded-For), from TRUST_PROXY. The
// answer becomes request.ip: the rate limiter's per-IP key and a login session's ip_address.
import type { Settings } from '@personal-automations/config';

/** proxy-addr's trust function: `hop` 0 is the socket's peer, 1 the address it forwarded, ... */
export type TrustProxyFunction = (address: string, hop: number) => boolean;

/**
 * Fastify's `trustProxy` for TRUST_PROXY. An address/CIDR list goes as it is (only those peers
 * are believed). Fastify 5 believes nobody when given a bare hop count, because whoever reaches
 * the port directly can then forge the header; the count is kept as proxy-addr read it (the
 * first N peers counted from the socket are proxies) for a port that only the proxies can reach,
 * as configuration.md warns.
 */
export function trustProxyOption(trustProxy: Settings['TRUST_PROXY']): false | string[] | TrustProxyFunction {
  if (typeof trustProxy !== 'number') return trustProxy;
  return (_address, hop) => hop < trustProxy;
}
