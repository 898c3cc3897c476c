// The outgoing body, byte for byte in the original's format: Python's json.dumps with its
// defaults (", " and ": " separators, every non-ASCII character as \uXXXX), because receivers
// written for the original verify the signature over these exact bytes (docs/compatibility.md).
import { isoOffset } from '../serialize.ts';

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** json.dumps(str) with ensure_ascii: everything outside space..tilde is escaped (UTF-16 units). */
function pythonString(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]|["\\]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function pythonNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return String(value);
}

/** JSON text as Python's `json.dumps(value)` writes it. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return pythonString(isoOffset(value));
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pythonString(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
  }
  return pythonString(String(value));
}

export const TEST_EVENT = 'webhook.test';
export const TEST_DATA = { message: 'This is a test webhook delivery' };

/** The body of a delivery: `{"event": ..., "timestamp": "<iso +00:00>", "data": {...}}`. */
export const deliveryBody = (event: string, occurredAt: Date, data: unknown): string =>
  pythonJsonDumps({ event, timestamp: isoOffset(occurredAt), data });
