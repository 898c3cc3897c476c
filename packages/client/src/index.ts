// The typed client for the API's tRPC endpoint. Its types come from the server's `AppRouter` type
// alone (`import type`, erased at run time), so no server code ends up in a client bundle.
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { EventSource, type FetchLike } from 'eventsource';
import type { AppRouter } from '@personal-automations/router';

export type { AppRouter };
export { TRPCClientError };

/** Every procedure's input type, e.g. `ApiInputs['items']['create']`. */
export type ApiInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output type, e.g. `ApiOutputs['items']['get']`. */
export type ApiOutputs = inferRouterOutputs<AppRouter>;
export type ApiClient = TRPCClient<AppRouter>;
export type ApiClientError = TRPCClientError<AppRouter>;

/** An access token, with the refresh token that renews it when it has expired. */
export type Tokens = { access_token: string; refresh_token?: string | null };

export type ClientOptions = {
  /** The API's base URL, e.g. `http://localhost:8000`; tRPC is served at `<url>/trpc`. */
  url: string;
  /** An access token, or the pair from a login (with a refresh token, a 401 is answered by refreshing once). */
  token?: string | Tokens;
  /** Called whenever the tokens change (login, refresh, logout, failed refresh → null): persist them here. */
  onTokens?: (tokens: Tokens | null) => void;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** Another fetch implementation (older runtimes, tests). */
  fetch?: typeof fetch;
};

/** Procedures whose 401 means "wrong credentials", never "the access token expired". */
const CREDENTIAL_PROCEDURES = new Set(['auth.login', 'auth.refresh', 'auth.logout']);

export const isUnauthorized = (error: unknown): boolean =>
  error instanceof TRPCClientError && (error.data?.httpStatus === 401 || error.data?.code === 'UNAUTHORIZED');

/** The tokens one client holds, and a refresh that concurrent 401s share (a refresh token is single-use). */
function tokenKeeper(options: ClientOptions, trpcUrl: string) {
  let tokens: Tokens | null = typeof options.token === 'string' ? { access_token: options.token } : (options.token ?? null);
  let refreshing: Promise<boolean> | null = null;
  const refresher = createTRPCClient<AppRouter>({ links: [httpLink({ url: trpcUrl, fetch: options.fetch, headers: options.headers })] });

  const set = (next: Tokens | null) => {
    tokens = next;
    options.onTokens?.(next);
  };

  async function refreshOnce(refreshToken: string): Promise<boolean> {
    try {
      set(await refresher.auth.refresh.mutate({ refresh_token: refreshToken }));
      return true;
    } catch (error) {
      if (isUnauthorized(error)) set(null); // the refresh token is dead: so is the session
      return false;
    }
  }

  return {
    current: () => tokens,
    set,
    /** Renews the access token; resolves false when there is nothing to refresh with or it failed. */
    refresh(): Promise<boolean> {
      const refreshToken = tokens?.refresh_token;
      if (!refreshToken) return Promise.resolve(false);
      refreshing ??= refreshOnce(refreshToken).finally(() => {
        refreshing = null;
      });
      return refreshing;
    },
  };
}

type TokenKeeper = ReturnType<typeof tokenKeeper>;

/**
 * Keeps the tokens in step with the auth procedures (login and refresh store the new pair, logout
 * drops it) and retries a call once, after a refresh, when it fails with 401.
 */
function authLink(keeper: TokenKeeper): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let unsubscribe = () => {};
        let retried = false;
        const attempt = () => {
          const sentWith = keeper.current()?.access_token;
          const subscription = next(op).subscribe({
            next(envelope) {
              const result = envelope.result as { type?: string; data?: unknown };
              if (result.type === 'data' || result.type === undefined) {
                if (op.path === 'auth.login' || op.path === 'auth.refresh') keeper.set(result.data as Tokens);
                if (op.path === 'auth.logout') keeper.set(null);
              }
              observer.next(envelope);
            },
            error(error) {
              if (retried || !isUnauthorized(error) || CREDENTIAL_PROCEDURES.has(op.path)) return observer.error(error);
              retried = true;
              // Another call may have refreshed while this one was in flight: then just retry.
              const renewed = keeper.current()?.access_token !== sentWith ? Promise.resolve(true) : keeper.refresh();
              renewed.then(
                (ok) => (ok ? attempt() : observer.error(error)),
                () => observer.error(error),
              );
            },
            complete() {
              observer.complete();
            },
          });
          unsubscribe = () => subscription.unsubscribe();
        };
        attempt();
        return () => unsubscribe();
      });
}

/**
 * The EventSource options for a subscription: the headers go on its requests through `fetch`
 * (the browser's EventSource sends none), so the access token never goes into a URL, where logs
 * and proxies would keep it.
 */
function eventSourceOptions(options: ClientOptions, headers: () => Record<string, string>): { fetch: FetchLike } {
  const fetchImpl = (options.fetch ?? fetch) as FetchLike;
  return { fetch: (url, init) => fetchImpl(url, { ...init, headers: { ...init.headers, ...headers() } }) };
}

/**
 * A typed tRPC client for the API. Log in with `client.auth.login.mutate({ username, password })`
 * (the tokens are kept), or pass tokens you already hold in `token`. Subscriptions (`agent.run`)
 * stream over SSE: `client.agent.run.subscribe(input, { onData })`, where each value is
 * `{ id, data }`, `data` one event frame; unsubscribing cancels the turn.
 */
export function createClient(options: ClientOptions): ApiClient {
  const trpcUrl = `${options.url.replace(/\/+$/, '')}/trpc`;
  const keeper = tokenKeeper(options, trpcUrl);
  const headers = () => {
    const access = keeper.current()?.access_token;
    return { ...options.headers, ...(access ? { authorization: `Bearer ${access}` } : {}) };
  };
  return createTRPCClient<AppRouter>({
    links: [
      authLink(keeper),
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: trpcUrl, EventSource, eventSourceOptions: () => eventSourceOptions(options, headers) }),
        false: httpBatchLink({ url: trpcUrl, fetch: options.fetch, headers }),
      }),
    ],
  });
}
