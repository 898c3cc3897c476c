// Both signature schemes a delivery carries. The HMAC key is the webhook secret's UTF-8 bytes in
// both (the secret is a 43-character URL-safe token, not a `whsec_` base64 key): a Standard
// Webhooks library verifies with the key `whsec_` + base64(secret). docs/webhooks.md shows both.
import { createHmac } from 'node:crypto';

export type SignatureInput = {
  secret: string;
  /** The exact body bytes sent. */
  body: string;
  /** Stable across retries of one delivery (receivers use it to drop duplicates). */
  messageId: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
};

/** `X-Webhook-Signature: sha256=<hex>`, the signature receivers written for the original verify. */
export const legacySignature = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest('hex')}`;

/** `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` (Standard Webhooks). */
export const standardSignature = ({ secret, body, messageId, timestamp }: SignatureInput): string =>
  `v1,${createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${messageId}.${timestamp}.${body}`, 'utf8').digest('base64')}`;

/** The headers that identify and sign one delivery attempt. */
export function signatureHeaders(input: SignatureInput & { eventType: string }): Record<string, string> {
  return {
    'X-Webhook-Event': input.eventType,
    'X-Webhook-Signature': legacySignature(input.secret, input.body),
    'webhook-id': input.messageId,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': standardSignature(input),
  };
}
