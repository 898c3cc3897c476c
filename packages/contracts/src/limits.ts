// The documented maximum sizes of free text (docs/api.md#limits). Without them a caller could
// store megabytes per row (bounded only by the 1 MiB body limit), and every one of those rows is
// sent back in lists, replayed to the chat model as history, and copied into webhook payloads.
import { z } from 'zod';
import { Text } from './common.ts';

/** A chat message's content: POST /conversations/{id}/messages, the agent socket's `message` and its history entries. */
export const MAX_MESSAGE_CHARS = 32_000;
/** Item and webhook descriptions. */
export const MAX_DESCRIPTION_CHARS = 10_000;
/** One webhook event name: webhook_deliveries.event_type is varchar(100). */
export const MAX_EVENT_NAME_CHARS = 100;
/** Event names one webhook subscribes to. */
export const MAX_WEBHOOK_EVENTS = 50;
/** Each field of the login form (username, password and the ignored OAuth2 fields): far above any real credential. */
export const MAX_LOGIN_FIELD_CHARS = 1_024;
/** A refresh token in the refresh and logout bodies (a JWT of a few hundred characters). */
export const MAX_TOKEN_CHARS = 4_096;
/** A message's `tokens_used`: the column is int4, and a larger number would fail at the database (500), not in the contract (422). */
export const MAX_TOKENS_USED = 2_147_483_647;

/**
 * The bound's message in the REST 422's words ("String should have at most 100 characters"), so
 * tRPC callers and the agent socket's `error` event read what REST callers read (the REST 422 builds
 * its own from the issue, apps/api/src/rest/validation.ts).
 */
export const maxChars = (max: number) => ({ error: `String should have at most ${max} characters` });
export const maxItems = (max: number) => ({ error: `List should have at most ${max} items` });

/** A string of at most `max` characters. */
export const boundedString = (max: number) => z.string().max(max, maxChars(max));
/** Free text (no NUL: it is stored in PostgreSQL text) of at most `max` characters. */
export const boundedText = (max: number) => Text.max(max, maxChars(max));

/** An item's or a webhook's description. */
export const DescriptionText = boundedText(MAX_DESCRIPTION_CHARS);
