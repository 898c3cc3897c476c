// Which procedures a request to `/trpc/<path>` runs, worked out the way tRPC's HTTP handler
// (resolveResponse and its content-type handlers, @trpc/server 11) does it, so the rate limiter
// charges the budgets of the very procedures that will run. test/trpc-call-paths.test.ts pins
// this against the procedures tRPC actually runs for the same requests.

/** How many calls a request carries and their procedure paths (null: the path does not decode). */
export type TrpcCalls = { paths: string[] | null };

/** The media type of a Content-Type header, as tRPC compares it (lower case, parameters dropped). */
const mediaType = (contentType: string | undefined): string | undefined => contentType?.toLowerCase().split(';', 1)[0]?.trim();

/**
 * `pathParam` is Fastify's already-decoded `:path`; tRPC decodes it once more (so `auth.logi%256E`
 * runs `auth.login`). A batch (`?batch=1`, read as URLSearchParams reads it) splits on commas,
 * but only for the JSON handler, which also serves GET requests of any other type.
 */
export function trpcCallPaths(pathParam: string, url: string, method: string, contentType: string | undefined): TrpcCalls {
  let path: string;
  try {
    path = decodeURIComponent(pathParam);
  } catch {
    return { paths: null }; // tRPC answers 400 without running anything
  }
  const type = mediaType(contentType);
  const json = type === 'application/json' || (method === 'GET' && type !== 'multipart/form-data' && type !== 'application/octet-stream');
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const batch = new URLSearchParams(query).get('batch') === '1';
  return { paths: json && batch ? path.split(',') : [path] };
}
