// The one place where a failure becomes the agent socket's `error` event.
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
    if (error.code === 'EXTERNAL_SERVICE_ERROR') log.warn({ err: error.cause ?? error }, error.message);
    return { type: 'error', data: { message: error.message } };
  }
  log.error({ err: error }, 'agent turn failed');
  return { type: 'error', data: { message: UNEXPECTED_ERROR } };
}
