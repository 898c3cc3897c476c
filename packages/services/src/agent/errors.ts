// The one place where a failure becomes the agent socket's `error` event.
import type { z } from 'zod';
import type { AgentEvent } from '@personal-automations/contracts';
import { AppError } from '../errors.ts';

/** The part of a pino logger the agent uses. */
export type AgentLogger = {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
};

export const UNEXPECTED_ERROR = 'An unexpected error occurred';

/**
 * Domain errors (a bad frame, a failed model request) carry a message meant for the client;
 * anything else is a bug, logged here and reported without its text.
 */
export function toErrorEvent(error: unknown, log: AgentLogger): AgentEvent {
  if (error instanceof AppError) {
    // a failed model request, or a part (Redis) that did not answer
    if (error.code === 'EXTERNAL_SERVICE_ERROR' || error.code === 'SERVICE_UNAVAILABLE')
      log.warn({ err: error.cause ?? error }, error.message);
    return { type: 'error', data: { message: error.message } };
  }
  log.error({ err: error }, 'agent turn failed');
  return { type: 'error', data: { message: UNEXPECTED_ERROR } };
}

/** A malformed frame's first problem, for its `error` event: `<field path>: <message>`. */
export const describeIssue = (error: z.ZodError): string => {
  const issue = error.issues[0];
  if (!issue) return 'invalid frame';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
};
