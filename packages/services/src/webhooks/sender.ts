// One HTTP attempt of one delivery: POST the signed body, wait at most the timeout, and report
// what happened in the shape the delivery log stores. Redirects are not followed (a redirect
// could lead anywhere, including past the SSRF guard); they count as a failed attempt.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { logDetail, publicReason, timedOutAfter, type WebhookLogger } from './failures.ts';
import { signatureHeaders } from './signing.ts';
import { BlockedAddressError, hostOf, isBlockedAddress, type UrlGuard } from './url-guard.ts';

/** The delivery log keeps the first 10,000 characters of a response; reading stops well before a huge body ends. */
export const RESPONSE_BODY_CHARS = 10_000;
const RESPONSE_BODY_MAX_BYTES = RESPONSE_BODY_CHARS * 4;

export type SenderOptions = {
  /**
   * The SSRF guard; null with WEBHOOK_ALLOW_PRIVATE_URLS (local development, tests), where
   * http.request resolves with getaddrinfo, as it would anyway, so names from /etc/hosts work.
   */
  guard: UrlGuard | null;
  timeoutMs: number;
  userAgent: string;
};

export type OutgoingDelivery = { url: string; secret: string; eventType: string; body: string; messageId: string };

export type AttemptOutcome = {
  /** A 2xx answer. */
  success: boolean;
  /** null when no HTTP response arrived. */
  statusCode: number | null;
  responseBody: string | null;
  /** Why no response came, in fixed words (failures.ts); the details are in the server log. */
  error: string | null;
  /** The URL is refused by the SSRF guard: retrying cannot help. */
  refused: boolean;
  respondedAt: Date | null;
};

/** PostgreSQL text cannot hold NUL; the log keeps the first characters by code point, so a cut never splits a surrogate pair. */
function loggedBody(bytes: Buffer): string {
  const text = bytes.toString('utf8').replaceAll('\u0000', '\uFFFD');
  return text.length <= RESPONSE_BODY_CHARS ? text : [...text].slice(0, RESPONSE_BODY_CHARS).join('');
}

/** No response came: the owner gets the fixed reason, the server log the details. */
function failure(delivery: OutgoingDelivery, error: unknown, log: WebhookLogger, reason = publicReason(error)): AttemptOutcome {
  log.warn(
    { deliveryId: delivery.messageId, event: delivery.eventType, detail: logDetail(error) },
    `webhook delivery attempt failed: ${reason}`,
  );
  return {
    success: false,
    statusCode: null,
    responseBody: null,
    error: reason,
    refused: error instanceof BlockedAddressError,
    respondedAt: null,
  };
}

export class WebhookSender {
  private readonly options: SenderOptions;
  constructor(options: SenderOptions) {
    this.options = options;
  }

  send(delivery: OutgoingDelivery, log: WebhookLogger): Promise<AttemptOutcome> {
    const target = new URL(delivery.url);
    const { guard } = this.options;
    const host = hostOf(target);
    // http.request connects to an address literal without calling `lookup`
    if (guard && isIP(host) && isBlockedAddress(host)) return Promise.resolve(failure(delivery, new BlockedAddressError(host, host), log));

    const payload = Buffer.from(delivery.body, 'utf8');
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': String(payload.length),
      'User-Agent': this.options.userAgent,
      ...signatureHeaders({ ...delivery, timestamp: Math.floor(Date.now() / 1000) }),
    };
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const transport = target.protocol === 'https:' ? https : http;

    return new Promise<AttemptOutcome>((resolve) => {
      const request = transport.request(target, { method: 'POST', headers, signal, ...(guard && { lookup: guard.lookup }) }, (response) => {
        const respondedAt = new Date();
        const statusCode = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        let settled = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          const success = statusCode >= 200 && statusCode < 300;
          resolve({ success, statusCode, responseBody: loggedBody(Buffer.concat(chunks)), error: null, refused: false, respondedAt });
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_BODY_MAX_BYTES) {
            finish();
            response.destroy();
          }
        });
        response.on('end', finish);
        // a body cut short (timeout, reset) still leaves the status and what arrived
        response.on('error', finish);
        response.on('close', finish);
      });
      request.on('error', (error) => {
        const reason = signal.aborted ? timedOutAfter(this.options.timeoutMs / 1000) : publicReason(error);
        resolve(failure(delivery, error, log, reason));
      });
      request.end(payload);
    });
  }
}
