// One HTTP attempt of one delivery: POST the signed body, wait at most the timeout, and report
// what happened in the shape the delivery log stores. Redirects are not followed (a redirect
// could lead anywhere, including past the SSRF guard); they count as a failed attempt.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { signatureHeaders } from './signing.ts';
import { BlockedAddressError, blockedReason, guardedLookup, hostOf, isBlockedAddress } from './url-guard.ts';

/** The delivery log keeps the first 10,000 characters of a response; reading stops well before a huge body ends. */
export const RESPONSE_BODY_CHARS = 10_000;
const RESPONSE_BODY_MAX_BYTES = RESPONSE_BODY_CHARS * 4;

export type SenderOptions = {
  /** WEBHOOK_ALLOW_PRIVATE_URLS: skip the SSRF guard (local development, tests). */
  allowPrivateUrls: boolean;
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
  /** The transport error, when there was no response. */
  error: string | null;
  /** The URL is refused by the SSRF guard: retrying cannot help. */
  refused: boolean;
  respondedAt: Date | null;
};

/** PostgreSQL text cannot hold NUL; the log keeps the first characters by code point, as Python slices. */
function loggedBody(bytes: Buffer): string {
  const text = bytes.toString('utf8').replaceAll('\u0000', '\uFFFD');
  return text.length <= RESPONSE_BODY_CHARS ? text : [...text].slice(0, RESPONSE_BODY_CHARS).join('');
}

const failure = (error: string, refused = false): AttemptOutcome => ({
  success: false,
  statusCode: null,
  responseBody: null,
  error,
  refused,
  respondedAt: null,
});

export class WebhookSender {
  private readonly options: SenderOptions;
  constructor(options: SenderOptions) {
    this.options = options;
  }

  send(delivery: OutgoingDelivery): Promise<AttemptOutcome> {
    const target = new URL(delivery.url);
    const guarded = !this.options.allowPrivateUrls;
    const host = hostOf(target);
    if (guarded && isIP(host) && isBlockedAddress(host)) return Promise.resolve(failure(blockedReason(host), true));

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
      const request = transport.request(target, { method: 'POST', headers, signal, ...(guarded && { lookup: guardedLookup }) }, (response) => {
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
        if (error instanceof BlockedAddressError) return resolve(failure(error.message, true));
        if (signal.aborted) return resolve(failure(`Timed out after ${this.options.timeoutMs / 1000} s`));
        return resolve(failure(error.message || String(error)));
      });
      request.end(payload);
    });
  }
}
