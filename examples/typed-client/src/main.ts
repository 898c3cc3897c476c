// A small program that uses the typed client against a running API:
//   API_URL=http://localhost:8000 EMAIL=you@example.com PASSWORD='a long password' pnpm start
// It registers the user when needed, logs in, creates, lists and deletes an item, and streams an
// agent answer (the `agent.run` subscription over SSE). Every input and output type below comes
// from the server's router type; the type check proves it.
import { type ApiInputs, type ApiOutputs, createClient, isUnauthorized, type Tokens, TRPCClientError } from '@personal-automations/client';

type Item = ApiOutputs['items']['get'];
/** One streamed value of `agent.run`: `{ id, data }`, `data` an event frame of the turn. */
type AgentFrame = ApiOutputs['agent']['run'] extends AsyncIterable<infer Frame> ? Frame : never;
type NewItem = ApiInputs['items']['create'];

const url = process.env.API_URL ?? 'http://localhost:8000';
const email = process.env.EMAIL ?? 'typed-client@example.com';
const password = process.env.PASSWORD ?? 'typed client password';

let saved: Tokens | null = null;
const api = createClient({ url, onTokens: (tokens) => (saved = tokens) });

const describe = (item: Item): string => `${item.title} (${item.is_active ? 'active' : 'inactive'}, created ${item.created_at})`;

async function ensureUser(): Promise<void> {
  try {
    const user = await api.auth.register.mutate({ email, password, full_name: 'Typed Client' });
    console.log(`registered ${user.email} (${user.role})`);
  } catch (error) {
    // 409 ALREADY_EXISTS: registered by an earlier run
    if (!(error instanceof TRPCClientError && error.data?.code === 'CONFLICT')) throw error;
  }
}

async function main(): Promise<void> {
  await ensureUser();
  const tokens = await api.auth.login.mutate({ username: email, password });
  console.log(`logged in, token type ${tokens.token_type}; refresh on 401 is ${saved?.refresh_token ? 'armed' : 'off'}`);

  const me = await api.users.me.query();
  console.log(`me: ${me.email}, role ${me.role}`);

  const draft: NewItem = { title: 'Written by the typed client', description: null };
  const item = await api.items.create.mutate(draft);
  console.log(`created ${describe(item)}`);

  const page = await api.items.list.query({ page: 1, size: 10 });
  console.log(`${page.total} item(s) on ${page.pages} page(s)`);

  await api.items.delete.mutate({ item_id: item.id });

  process.stdout.write('agent: ');
  console.log(await streamAnswer('What time is it?'));

  await api.auth.logout.mutate({ refresh_token: tokens.refresh_token });
  console.log(`logged out; a call now fails: ${await api.users.me.query().then(() => 'no', isUnauthorized)}`);
}

/**
 * Streams one agent turn, writing the answer's text as it comes; resolves with how the turn ended.
 * Unsubscribing (not done here: the turn runs to its end) would cancel it.
 */
function streamAnswer(message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let ending = 'no answer';
    api.agent.run.subscribe(
      { message },
      {
        onData: ({ data }: AgentFrame) => {
          if (data.type === 'text_delta') process.stdout.write(data.data.content);
          else if (data.type === 'complete') ending = `complete, saved in conversation ${data.data.conversation_id}`;
          else if (data.type === 'error') ending = `error: ${data.data.message}`;
        },
        onError: reject,
        onComplete: () => resolve(`\n${ending}`),
      },
    );
  });
}

/** Never called: each line must fail to type-check, or `tsc` reports the unused directive. */
export function typeErrorsTheRouterTypeCatches(): void {
  // @ts-expect-error `title` is a string
  void api.items.create.mutate({ title: 42 });
  // @ts-expect-error `size` is at most a number, never a string
  void api.items.list.query({ size: '10' });
  // @ts-expect-error no such procedure
  void api.items.archive.mutate({ item_id: '' });
  // @ts-expect-error `role` is 'admin' | 'user'
  const role: 'owner' = ({} as ApiOutputs['users']['me']).role;
  void role;
}

main().catch((error: unknown) => {
  console.error(error instanceof TRPCClientError ? `API error ${error.data?.httpStatus}: ${error.message}` : error);
  process.exitCode = 1;
});
