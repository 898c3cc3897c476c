// Why a delivery attempt got no response, in fixed words. The test route's `message` and the
// delivery log's `error_message` are read by the webhook's owner, so they never carry what the
// server learnt on the way (resolved internal addresses, errno and system error text); those
// details go to the server log only.

/** The part of a pino logger the webhook services write to (the request's or the worker's). */
export type WebhookLogger = { warn(obj: object, msg: string): void };

export const DELIVERY_FAILURE = {
  blocked: 'URL resolves to a non-public address',
  unresolved: 'Could not resolve the host',
  dnsTimeout: 'Timed out resolving the host',
  connect: 'Could not connect',
  closed: 'Connection closed before a response',
  tls: 'TLS handshake failed',
  protocol: 'Invalid HTTP response',
  other: 'Delivery failed',
} as const;

export const timedOutAfter = (seconds: number) => `Timed out after ${seconds} s`;

/** A refusal or failure found before connecting: `message` is for the owner, `detail` for the server log. */
export class WebhookTargetError extends Error {
  readonly detail: string;
  constructor(message: string, detail: string) {
    super(message);
    this.name = new.target.name;
    this.detail = detail;
  }
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'EACCES',
  'EPERM',
]);
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
// getaddrinfo's codes: the resolver behind http.request when the SSRF guard is off
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA']);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$)/;

/** The errno-style code of a transport error; connecting to several addresses fails with an AggregateError of them. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return codeOf(error.errors[0]);
  return undefined;
}

/** The fixed words for a transport error of http.request. */
export function publicReason(error: unknown): string {
  if (error instanceof WebhookTargetError) return error.message;
  const code = codeOf(error) ?? '';
  if (CONNECT_CODES.has(code)) return DELIVERY_FAILURE.connect;
  if (CLOSED_CODES.has(code)) return DELIVERY_FAILURE.closed;
  if (DNS_CODES.has(code)) return DELIVERY_FAILURE.unresolved;
  if (TLS_CODE.test(code)) return DELIVERY_FAILURE.tls;
  if (code.startsWith('HPE_')) return DELIVERY_FAILURE.protocol;
  return DELIVERY_FAILURE.other;
}

/** What the server log keeps of the same error. */
export function logDetail(error: unknown): string {
  if (error instanceof WebhookTargetError) return error.detail;
  if (error instanceof AggregateError) return error.errors.map(logDetail).join('; ');
  return error instanceof Error ? error.message || String(codeOf(error)) : String(error);
}
